//! Console users' second factor (TOTP, RFC 6238), the one place its rules live:
//!
//! - Enabling gives a new secret (20 random bytes) as an `otpauth://` URI and ten recovery codes,
//!   shown once. The secret is sealed with the master key ([`super::SecretBox`], bound to the
//!   user's name); recovery codes are stored only as salted hashes.
//! - Enrollment is *pending* until a first valid code confirms it (`users mfa confirm`, or the
//!   first login with a code): a mistyped or unscanned secret cannot lock anyone out.
//! - Once confirmed, every login needs a code within one 30-second step of now, or an unused
//!   recovery code. The last used step is stored and only a later step is accepted (atomically),
//!   so a code is never accepted twice, nor an older one; a recovery code works once.
//! - Admins can require a second factor for a role: its users without one are refused at login
//!   with `mfa_enrollment_required`; a pending enrollment then asks for its first code at login.
//!
//! The arithmetic (codes, URI, recovery-code hashes) is in `totp.rs`.

use serde::{Deserialize, Serialize};

use super::accounts::{Accounts, UserRecord, remote};
use super::fleet::Actor;
use super::totp;
use crate::auth::Role;
use crate::error::{Error, ErrorKind, OtpRefusal, Result};
use crate::remedy::Remedy;

/// Where wrong codes given to remove your own second factor are counted, in the store's failed
/// logins (by user and "address"): they slow down as failed logins do.
const DISABLE_SLOT: &str = "mfa-disable";

/// The issuer authenticator apps show next to the account name.
pub const ISSUER: &str = "voicefleet";

/// A stored second factor: the secret sealed, the replay guard, the recovery codes hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaRecord {
    /// The user it belongs to.
    pub name: String,
    /// The nonce the TOTP secret was sealed with.
    pub nonce: Vec<u8>,
    /// The TOTP secret sealed with the console's master key.
    pub ciphertext: Vec<u8>,
    /// A first valid code was given; until then logins do not need one (unless the role does).
    pub confirmed: bool,
    /// The last time step whose code was accepted (0: none); only later steps are accepted.
    pub last_step: u64,
    /// When it was enabled, in milliseconds since the Unix epoch.
    pub created_at_ms: u64,
    /// The recovery codes, hashed.
    pub recovery_codes: Vec<RecoveryCodeRecord>,
}

/// A stored recovery code: SHA-256 of a per-code salt and the code (not argon2: a code is 80
/// random bits, so a slow hash would only slow every login that uses one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryCodeRecord {
    /// The random salt of the hash, hex.
    pub salt: String,
    /// The code's salted hash, hex; the code itself is never stored.
    pub hash: String,
    /// When it was used, in milliseconds since the Unix epoch; none while it is unused.
    pub used_at_ms: Option<u64>,
}

/// A user's second factor as shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MfaState {
    /// None.
    #[default]
    Off,
    /// Enabled, waiting for its first code.
    Pending,
    /// Confirmed: every login needs a code.
    On,
}

impl std::fmt::Display for MfaState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            MfaState::Off => "off",
            MfaState::Pending => "pending",
            MfaState::On => "on",
        })
    }
}

/// What enabling answers, once: nothing of it can be read back later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MfaEnrollment {
    /// The user enrolled.
    pub name: String,
    /// `otpauth://totp/voicefleet:NAME?secret=...`: add it to an authenticator app (most read
    /// it from a QR code of this text).
    pub otpauth_uri: String,
    /// The secret alone, base32, for apps where it is typed in.
    pub secret: String,
    /// Single-use codes for when the authenticator is lost; each works once, in place of a code.
    pub recovery_codes: Vec<String>,
}

/// Which roles must have a second factor, and who of them has none confirmed (they cannot log in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MfaPolicy {
    /// The roles whose users must have a confirmed second factor to log in.
    pub required_roles: Vec<Role>,
    /// Users of those roles without one confirmed: their logins are refused until they enroll.
    pub unenrolled: Vec<String>,
}

/// How a login's second factor went.
pub(super) enum FactorCheck {
    /// The user has none in force, and their role does not require one.
    NotNeeded,
    /// Passed; how, for the audit entry (`totp`, `recovery code, 9 left`).
    Passed(String),
    /// Refused: the error answered and the audit entry's reason.
    Refused(Error, String),
}

fn refusal(refusal: OtpRefusal, name: &str, role: Role) -> Error {
    let (message, hint, remedy) = match refusal {
        OtpRefusal::Required => (
            "a second factor is needed: the 6-digit code from your authenticator app, or a recovery code"
                .to_owned(),
            None,
            Some(Remedy::LoginWithOtp),
        ),
        OtpRefusal::Invalid => (
            "the second-factor code is wrong, expired or already used".to_owned(),
            Some(
                "each code works once: wait for the next one in your authenticator app (and check the \
                 device's clock), or give a recovery code"
                    .to_owned(),
            ),
            None,
        ),
        OtpRefusal::EnrollmentRequired => (
            format!("the {role} role requires a second factor and `{name}` has none"),
            None,
            Some(Remedy::EnrollSecondFactor { user: name.to_owned() }),
        ),
    };
    Error::SecondFactor { refusal, message, hint, remedy }
}

fn not_enrolled(name: &str) -> Error {
    remedied(
        ErrorKind::NotFound,
        format!("user `{name}` has no second factor"),
        Remedy::EnableSecondFactor { user: name.to_owned() },
    )
}

/// An error of `kind` with what to do about it as data.
fn remedied(kind: ErrorKind, message: impl Into<String>, remedy: Remedy) -> Error {
    Error::Remote { kind, message: message.into(), hint: None, issues: Vec::new(), remedy: Some(remedy) }
}

impl Accounts {
    /// Admins act on anyone; others only on themselves.
    fn require_self_or_admin(actor: &Actor, name: &str) -> Result<()> {
        if actor.name == name || actor.role.allows(Role::Admin) {
            Ok(())
        } else {
            Err(remedied(
                ErrorKind::Forbidden,
                format!(
                    "managing another user's second factor needs the admin role; {} has {}",
                    actor.name, actor.role
                ),
                Remedy::ManageOwnSecondFactor,
            ))
        }
    }

    async fn existing_user(&self, name: &str) -> Result<UserRecord> {
        self.store
            .user(name)
            .await?
            .ok_or_else(|| remote(ErrorKind::NotFound, format!("user `{name}` does not exist"), None))
    }

    /// The secret of `record`, opened.
    fn secret_of(&self, record: &MfaRecord) -> Result<Vec<u8>> {
        let text = self.secrets.open_user_totp(&record.name, &record.nonce, &record.ciphertext)?;
        totp::base32_decode(&text)
            .ok_or_else(|| Error::Internal { message: "a stored second factor is not base32".to_owned() })
    }

    /// Gives `name` a new (pending) second factor; answers its URI and recovery codes once. A
    /// confirmed one is not replaced: disable it first.
    pub async fn enable_mfa(&self, actor: &Actor, name: &str) -> Result<MfaEnrollment> {
        Self::require_self_or_admin(actor, name)?;
        self.existing_user(name).await?;
        if self.store.mfa(name).await?.is_some_and(|record| record.confirmed) {
            return Err(Error::blocked(
                format!("user `{name}` already has a second factor"),
                Remedy::ReplaceSecondFactor { user: name.to_owned() },
            ));
        }
        let secret = totp::base32(&totp::new_secret()?);
        let (nonce, ciphertext) = self.secrets.seal_user_totp(name, &secret)?;
        let codes = totp::new_recovery_codes()?;
        let recovery_codes = codes
            .iter()
            .map(|code| {
                let salt = crate::random::hex::<16>()?;
                Ok(RecoveryCodeRecord { hash: totp::recovery_code_hash(&salt, code), salt, used_at_ms: None })
            })
            .collect::<Result<Vec<_>>>()?;
        let record = MfaRecord {
            name: name.to_owned(),
            nonce,
            ciphertext,
            confirmed: false,
            last_step: 0,
            created_at_ms: self.clock.now_ms(),
            recovery_codes,
        };
        let audit =
            self.audit(&actor.name, "mfa.enable", name, &actor.request_id, "ok: pending its first code");
        self.store.put_mfa(record, audit).await?;
        Ok(MfaEnrollment {
            name: name.to_owned(),
            otpauth_uri: totp::otpauth_uri(ISSUER, name, &secret),
            secret,
            recovery_codes: codes,
        })
    }

    /// Confirms `name`'s pending second factor with a first valid code; logins need one from now on.
    pub async fn confirm_mfa(&self, actor: &Actor, name: &str, otp: &str) -> Result<()> {
        Self::require_self_or_admin(actor, name)?;
        let record = self.store.mfa(name).await?.ok_or_else(|| not_enrolled(name))?;
        if record.confirmed {
            return Err(remote(
                ErrorKind::Conflict,
                format!("the second factor of `{name}` is already confirmed"),
                None,
            ));
        }
        let secret = self.secret_of(&record)?;
        let now_s = self.clock.now_ms() / 1000;
        let audit = self.audit(&actor.name, "mfa.confirm", name, &actor.request_id, "ok");
        let confirmed = match totp::matching_step(&secret, otp.trim(), now_s, record.last_step) {
            Some(step) => self.store.confirm_mfa(name, step, audit).await?,
            None => false,
        };
        if !confirmed {
            let failed =
                self.audit(&actor.name, "mfa.confirm", name, &actor.request_id, "failed: wrong code");
            self.store.append_audit(failed).await?;
            return Err(remote(
                ErrorKind::InvalidInput,
                "that code is wrong, expired or already used",
                Some(
                    "give the 6 digits your authenticator app shows now for voicefleet (check the device's clock)",
                ),
            ));
        }
        Ok(())
    }

    /// Removes `name`'s second factor. Admins remove anyone's; removing your own confirmed one
    /// needs a current code or a recovery code (`otp`), so a stolen session cannot.
    pub async fn disable_mfa(&self, actor: &Actor, name: &str, otp: Option<&str>) -> Result<()> {
        Self::require_self_or_admin(actor, name)?;
        let record = self.store.mfa(name).await?.ok_or_else(|| not_enrolled(name))?;
        if actor.name == name && record.confirmed {
            let Some(otp) = otp else {
                return Err(Error::Incomplete {
                    message: "removing your own second factor needs a current code".to_owned(),
                    remedy: Remedy::GiveOtp,
                });
            };
            // Wrong codes slow down like failed logins (a stolen session cannot try them all).
            let now = self.clock.now_ms();
            if let Some((failures, last_ms)) = self.store.login_failures(name, DISABLE_SLOT).await?
                && let wait = super::login::login_wait_ms(failures, last_ms, now)
                && wait > 0
            {
                return Err(remote(
                    ErrorKind::Unavailable,
                    "too many wrong codes for removing this second factor",
                    Some(&format!("try again in {} s", wait.div_ceil(1000))),
                ));
            }
            if let Err(reason) = self.use_factor(&record, otp).await? {
                let outcome = format!("failed: {reason}");
                let audit = self.audit(&actor.name, "mfa.disable", name, &actor.request_id, &outcome);
                self.store.record_login_failure(name, DISABLE_SLOT, now, audit).await?;
                return Err(remedied(
                    ErrorKind::InvalidInput,
                    "that code is wrong, expired or already used",
                    Remedy::GiveOtp,
                ));
            }
            self.store.clear_login_failures(name, Some(DISABLE_SLOT), None).await?;
        }
        let audit = self.audit(&actor.name, "mfa.disable", name, &actor.request_id, "ok");
        if !self.store.delete_mfa(name, audit).await? {
            return Err(not_enrolled(name));
        }
        Ok(())
    }

    /// Which roles must have a second factor, and who of them has none.
    pub async fn mfa_policy(&self, actor: &Actor) -> Result<MfaPolicy> {
        Self::require_admin(actor)?;
        self.policy().await
    }

    async fn policy(&self) -> Result<MfaPolicy> {
        let required_roles = self.store.mfa_required_roles().await?;
        let confirmed: std::collections::BTreeSet<String> =
            self.store.mfa_all().await?.into_iter().filter(|r| r.confirmed).map(|r| r.name).collect();
        let unenrolled = self
            .store
            .users()
            .await?
            .into_iter()
            .filter(|u| required_roles.contains(&u.role) && !confirmed.contains(&u.name))
            .map(|u| u.name)
            .collect();
        Ok(MfaPolicy { required_roles, unenrolled })
    }

    /// Requires a second factor at login for users of `role`. An admin whose own login would be
    /// refused by it is told to enroll first.
    pub async fn require_mfa(&self, actor: &Actor, role: Role) -> Result<MfaPolicy> {
        Self::require_admin(actor)?;
        if let Some(me) = self.store.user(&actor.name).await?
            && me.role == role
            && !self.store.mfa(&me.name).await?.is_some_and(|r| r.confirmed)
        {
            return Err(Error::blocked(
                format!(
                    "you ({}) are {role} without a confirmed second factor: your next login would be refused",
                    me.name
                ),
                Remedy::ConfirmOwnSecondFactor { user: me.name.clone() },
            ));
        }
        let audit = self.audit(&actor.name, "mfa.require", role.as_str(), &actor.request_id, "ok: required");
        self.store.set_mfa_required(role, true, audit).await?;
        self.policy().await
    }

    /// Stops requiring a second factor for `role` (users who have one still need it).
    pub async fn unrequire_mfa(&self, actor: &Actor, role: Role) -> Result<MfaPolicy> {
        Self::require_admin(actor)?;
        let audit =
            self.audit(&actor.name, "mfa.require", role.as_str(), &actor.request_id, "ok: not required");
        self.store.set_mfa_required(role, false, audit).await?;
        self.policy().await
    }

    /// Checks `otp` (a code or a recovery code) against `record` and uses it up: `Ok(how)`, or
    /// `Err(why)` for the audit entry.
    async fn use_factor(&self, record: &MfaRecord, otp: &str) -> Result<std::result::Result<String, String>> {
        let otp = otp.trim();
        if totp::is_code(otp) {
            let secret = self.secret_of(record)?;
            let now_s = self.clock.now_ms() / 1000;
            let Some(step) = totp::matching_step(&secret, otp, now_s, record.last_step) else {
                return Ok(Err("wrong or reused code".to_owned()));
            };
            return Ok(if self.store.use_totp_step(&record.name, step).await? {
                Ok("totp".to_owned())
            } else {
                Err("reused code".to_owned())
            });
        }
        // A recovery code: find the unused one it matches (each compared in constant time).
        let unused: Vec<&RecoveryCodeRecord> =
            record.recovery_codes.iter().filter(|c| c.used_at_ms.is_none()).collect();
        let Some(code) = unused.iter().find(|c| totp::recovery_code_matches(&c.salt, &c.hash, otp)) else {
            return Ok(Err("wrong or used recovery code".to_owned()));
        };
        if !self.store.use_recovery_code(&record.name, &code.hash, self.clock.now_ms()).await? {
            return Ok(Err("used recovery code".to_owned()));
        }
        Ok(Ok(format!("recovery code, {} left", unused.len() - 1)))
    }

    /// The second factor of a login whose password was right.
    pub(super) async fn check_second_factor(
        &self,
        user: &UserRecord,
        otp: Option<&str>,
    ) -> Result<FactorCheck> {
        let required = self.store.mfa_required_roles().await?.contains(&user.role);
        let refused = |kind: OtpRefusal, why: &str| {
            Ok(FactorCheck::Refused(refusal(kind, &user.name, user.role), why.to_owned()))
        };
        let record = self.store.mfa(&user.name).await?;
        match (record, otp) {
            (None, _) if required => {
                refused(OtpRefusal::EnrollmentRequired, "no second factor, required for the role")
            }
            (None, _) => Ok(FactorCheck::NotNeeded),
            (Some(record), None) if record.confirmed || required => {
                refused(OtpRefusal::Required, "no code given")
            }
            (Some(_), None) => Ok(FactorCheck::NotNeeded),
            (Some(record), Some(otp)) if !record.confirmed => {
                // A pending enrollment is confirmed by its first code (recovery codes do not).
                let secret = self.secret_of(&record)?;
                let now_s = self.clock.now_ms() / 1000;
                let audit = self.audit(&user.name, "mfa.confirm", &user.name, "", "ok: at login");
                match totp::matching_step(&secret, otp.trim(), now_s, record.last_step) {
                    Some(step) if self.store.confirm_mfa(&user.name, step, audit).await? => {
                        Ok(FactorCheck::Passed("totp, confirming the enrollment".to_owned()))
                    }
                    _ => refused(OtpRefusal::Invalid, "wrong code for the pending enrollment"),
                }
            }
            (Some(record), Some(otp)) => match self.use_factor(&record, otp).await? {
                Ok(how) => Ok(FactorCheck::Passed(how)),
                Err(why) => refused(OtpRefusal::Invalid, &why),
            },
        }
    }

    /// Each user's second-factor state (users without one are absent).
    pub(super) async fn mfa_states(&self) -> Result<std::collections::HashMap<String, MfaState>> {
        Ok(self
            .store
            .mfa_all()
            .await?
            .into_iter()
            .map(|r| (r.name, if r.confirmed { MfaState::On } else { MfaState::Pending }))
            .collect())
    }
}
