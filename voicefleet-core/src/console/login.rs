//! Logging in. The rules, each against a finding:
//!
//! - No address gets more than [`LOGINS_PER_WINDOW`] attempts a minute ([`Accounts::admit_login_attempt`],
//!   counted in the store like the slowdown below, so replicas of the console count as one).
//! - No lock an anonymous caller can set: failed logins slow down that user *from that address*
//!   ([`login_wait_ms`], counted in the store so every console replica sees the same count, and
//!   incremented atomically), so the real user from another address still gets in.
//! - One answer for every failure, in about the same time: an unknown user's password is checked
//!   against a dummy hash, so timing does not tell which names exist.
//! - Password hashing (argon2, deliberately slow) runs on the blocking pool behind a small
//!   semaphore, never on the async workers: a burst of logins cannot stall the API.
//! - A user with a second factor (`mfa.rs`) also gives a code; only after the right password is a
//!   missing or wrong code told apart (`otp_required`, `otp_invalid`), and it counts as a
//!   failure in the slowdown like a wrong password.

use std::sync::OnceLock;
use std::time::Duration;

use super::accounts::{Accounts, UserView, hash_password, password_matches, remote, validate_name};
use super::mfa::{FactorCheck, MfaState};
use crate::error::{Error, ErrorKind, Result};

/// Failed logins of one user from one address allowed before each attempt has to wait.
pub const FREE_FAILURES: u32 = 3;
/// The longest wait between attempts of one user from one address.
pub const MAX_WAIT_MS: u64 = 15 * 60 * 1000;
/// Login attempts allowed from one client address per [`LOGIN_WINDOW_MS`], counted in the store
/// so every console replica behind a load balancer counts the same attempts.
pub const LOGINS_PER_WINDOW: u32 = 20;
/// The window login attempts per address are counted in.
pub const LOGIN_WINDOW_MS: u64 = 60_000;
/// Password checks running at once (each takes a core for tens of milliseconds).
const CONCURRENT_CHECKS: usize = 2;

/// How long, from `now_ms`, a user must wait before the next attempt from an address that failed
/// `failures` times in a row, the last at `last_ms`: nothing for the first [`FREE_FAILURES`],
/// then 1 s, 2 s, 4 s… up to [`MAX_WAIT_MS`].
pub fn login_wait_ms(failures: u32, last_ms: u64, now_ms: u64) -> u64 {
    if failures < FREE_FAILURES {
        return 0;
    }
    let exponent = (failures - FREE_FAILURES).min(20);
    let wait = (1000u64 << exponent).min(MAX_WAIT_MS);
    (last_ms.saturating_add(wait)).saturating_sub(now_ms)
}

/// Checks `password` against `hash` on the blocking pool, at most [`CONCURRENT_CHECKS`] at once.
pub(super) async fn check_password(password: &str, hash: &str) -> Result<bool> {
    static PERMITS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(CONCURRENT_CHECKS);
    let _permit = PERMITS.acquire().await.map_err(|e| Error::Internal { message: e.to_string() })?;
    let (password, hash) = (password.to_owned(), hash.to_owned());
    tokio::task::spawn_blocking(move || password_matches(&password, &hash))
        .await
        .map_err(|e| Error::Internal { message: e.to_string() })
}

/// Hashes `password` on the blocking pool, under the same permits as checks.
pub(super) async fn hash_off_thread(password: &str) -> Result<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| Error::Internal { message: e.to_string() })?
}

/// A hash to check unknown users' passwords against (the same argon2 parameters as real ones).
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not a password of anyone").unwrap_or_default())
}

fn refused() -> Error {
    remote(ErrorKind::Unauthorized, "wrong user name or password", None)
}

impl Accounts {
    /// Counts a login attempt from `address` (an IP address) and says whether it may go on:
    /// false past [`LOGINS_PER_WINDOW`] attempts in the current window, whichever console
    /// replica the earlier attempts reached.
    pub async fn admit_login_attempt(&self, address: &str) -> Result<bool> {
        let now = self.clock.now_ms();
        let attempts = self.store.count_login_attempt(address, now, LOGIN_WINDOW_MS).await?;
        Ok(attempts <= LOGINS_PER_WINDOW)
    }

    /// Checks a user's password, and their second factor (`otp`: a code or a recovery code)
    /// when they have one or their role requires one. `address` is the caller's (an IP address,
    /// or `local`); every outcome is audited, a wrong name or password answers the same whatever
    /// its cause.
    pub async fn login(
        &self,
        name: &str,
        password: &str,
        otp: Option<&str>,
        address: &str,
        request_id: &str,
    ) -> Result<UserView> {
        let now = self.clock.now_ms();
        if validate_name(name).is_err() || password.len() > 1024 || otp.is_some_and(|otp| otp.len() > 64) {
            // Nothing of the submitted name is stored or echoed.
            let audit =
                self.audit("anonymous", "login", "<invalid name>", request_id, "failed: invalid name");
            self.store.append_audit(audit).await?;
            return Err(refused());
        }
        if let Some((failures, last_ms)) = self.store.login_failures(name, address).await? {
            let wait = login_wait_ms(failures, last_ms, now);
            if wait > 0 {
                let outcome = format!("failed: slowed down ({failures} failures from {address})");
                self.store.append_audit(self.audit(name, "login", name, request_id, &outcome)).await?;
                let seconds = Duration::from_millis(wait).as_secs().max(1);
                return Err(remote(
                    ErrorKind::Unauthorized,
                    "too many failed logins for this user from your address",
                    Some(&format!("try again in {seconds} s, or from another address")),
                ));
            }
        }
        let user = self.store.user(name).await?;
        let hash = user.as_ref().map_or(dummy_hash(), |u| u.password_hash.as_str());
        let matches = check_password(password, hash).await?;
        let Some(user) = user.filter(|_| matches) else {
            let audit = self.audit(name, "login", name, request_id, &format!("failed: from {address}"));
            self.store.record_login_failure(name, address, now, audit).await?;
            return Err(refused());
        };
        let (factor, mfa) = match self.check_second_factor(&user, otp).await? {
            FactorCheck::NotNeeded => (String::new(), MfaState::Off),
            FactorCheck::Passed(how) => (format!(", second factor: {how}"), MfaState::On),
            FactorCheck::Refused(error, why) => {
                let outcome = format!("failed: second factor: {why}, from {address}");
                let audit = self.audit(name, "login", name, request_id, &outcome);
                self.store.record_login_failure(name, address, now, audit).await?;
                return Err(error);
            }
        };
        let audit = self.audit(name, "login", name, request_id, &format!("ok: from {address}{factor}"));
        self.store.clear_login_failures(name, Some(address), Some(audit)).await?;
        Ok(UserView {
            name: user.name,
            role: user.role,
            created_at_ms: user.created_at_ms,
            locked: false,
            mfa,
            mfa_required: false,
        })
    }
}
