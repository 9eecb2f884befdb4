//! Console users and API tokens: argon2 password hashes (logging in is in `login.rs`),
//! hashed long-lived tokens for automation, and the first admin of a new console.

use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::audit::AuditRecord;
use super::crypto::SecretBox;
use super::fleet::Actor;
use super::mfa::MfaState;
use super::store::Store;
use crate::auth::Role;
use crate::clock::SharedClock;
use crate::error::{Error, ErrorKind, Result};

/// A stored user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct UserRecord {
    /// The login name: 1-64 of `a-z`, `0-9`, `_`, `.`, `-`, `@`.
    pub name: String,
    /// What the user may do.
    pub role: Role,
    /// The password's argon2 hash (PHC string).
    pub password_hash: String,
    /// When the user was added, in milliseconds since the Unix epoch.
    pub created_at_ms: u64,
    /// A failed-login counter kept in the record; the console counts failed logins per user and
    /// address instead (see [`Store::login_failures`](super::Store::login_failures)) and leaves
    /// this at 0.
    pub failed_logins: u32,
    /// A lock end kept in the record, in milliseconds since the Unix epoch; the console leaves it
    /// `None` (failed logins are throttled per user and address instead).
    pub locked_until_ms: Option<u64>,
    /// Login tokens issued before this second (Unix time) are refused: a password change ends
    /// every session opened with the old password.
    #[serde(default)]
    pub tokens_after_s: u64,
}

/// A user as shown (no hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct UserView {
    /// The login name.
    pub name: String,
    /// What the user may do.
    pub role: Role,
    /// When the user was added, in milliseconds since the Unix epoch.
    pub created_at_ms: u64,
    /// Whether the user is locked out now (its stored lock end is in the future).
    pub locked: bool,
    /// Their second factor: `off`, `pending` (enabled, waiting for its first code) or `on`.
    #[serde(default)]
    pub mfa: MfaState,
    /// Their role requires a second factor (`users mfa require`): without one confirmed, their
    /// login is refused.
    #[serde(default)]
    pub mfa_required: bool,
}

/// A stored API token: only its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TokenRecord {
    /// The token's id (16 hex digits): what revoking names.
    pub id: String,
    /// A name for people (`ci`); the audit log names its actor `token:NAME`.
    pub name: String,
    /// What the token may do.
    pub role: Role,
    /// The SHA-256 of the token, hex-encoded; the token itself is never stored.
    pub token_hash: String,
    /// The user who created it.
    pub created_by: String,
    /// When it was created, in milliseconds since the Unix epoch.
    pub created_at_ms: u64,
    /// When it stops working, in milliseconds since the Unix epoch; none: never.
    pub expires_at_ms: Option<u64>,
    /// Whether it was revoked (it no longer works).
    pub revoked: bool,
}

/// A token as shown; `token` only once, at creation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TokenView {
    /// The token's id (16 hex digits): what revoking names.
    pub id: String,
    /// A name for people (`ci`).
    pub name: String,
    /// What the token may do.
    pub role: Role,
    /// The user who created it.
    pub created_by: String,
    /// When it was created, in milliseconds since the Unix epoch.
    pub created_at_ms: u64,
    /// When it stops working, in milliseconds since the Unix epoch; none: never.
    pub expires_at_ms: Option<u64>,
    /// Whether it was revoked.
    pub revoked: bool,
    /// The token itself (`vft_` and 48 hex digits): only in the answer that creates it; it cannot
    /// be read again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl From<TokenRecord> for TokenView {
    fn from(record: TokenRecord) -> Self {
        TokenView {
            id: record.id,
            name: record.name,
            role: record.role,
            created_by: record.created_by,
            created_at_ms: record.created_at_ms,
            expires_at_ms: record.expires_at_ms,
            revoked: record.revoked,
            token: None,
        }
    }
}

pub(super) fn remote(kind: ErrorKind, message: impl Into<String>, hint: Option<&str>) -> Error {
    Error::Remote {
        kind,
        message: message.into(),
        hint: hint.map(str::to_owned),
        issues: Vec::new(),
        remedy: None,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The prefix of every API token, so a leaked one is recognisable.
pub const TOKEN_PREFIX: &str = "vft_";

/// The longest life an API token may be given: ten years.
pub const MAX_TOKEN_LIFE_MS: u64 = 10 * 365 * 86_400_000;

fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

pub(super) fn validate_name(name: &str) -> Result<()> {
    let ok = (1..=64).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-@".contains(&b))
        && !crate::auth::RESERVED_NAMES.contains(&name);
    if ok {
        Ok(())
    } else {
        Err(remote(
            ErrorKind::InvalidInput,
            format!("invalid name `{name}`"),
            Some("use 1-64 of a-z, 0-9, '_', '.', '-', '@' (not `voicefleet-console`, which tokens carry)"),
        ))
    }
}

fn validate_password(password: &str) -> Result<()> {
    if password.chars().count() < 10 || password.len() > 1024 {
        return Err(remote(
            ErrorKind::InvalidInput,
            "a password is 10 to 1024 characters",
            Some("use a passphrase of several words"),
        ));
    }
    Ok(())
}

pub(super) fn hash_password(password: &str) -> Result<String> {
    let salt_bytes: [u8; 16] = crate::random::bytes()?;
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| Error::Internal { message: e.to_string() })?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| Error::Internal { message: format!("hashing a password: {e}") })
}

pub(super) fn password_matches(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .is_ok_and(|parsed| argon2::Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// Users and tokens over the store.
#[derive(Clone)]
pub struct Accounts {
    pub(super) store: Arc<dyn Store>,
    pub(super) clock: SharedClock,
    /// Seals users' TOTP secrets (the console's master key).
    pub(super) secrets: Arc<SecretBox>,
}

impl std::fmt::Debug for Accounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Accounts")
    }
}

impl Accounts {
    /// Accounts in `store`, second factors sealed with `secrets`, timed by the system clock.
    pub fn new(store: Arc<dyn Store>, secrets: SecretBox) -> Self {
        Self::with_clock(store, secrets, crate::clock::system())
    }

    /// Accounts in `store`, second factors sealed with `secrets`, timed by `clock`.
    pub fn with_clock(store: Arc<dyn Store>, secrets: SecretBox, clock: SharedClock) -> Self {
        Self { store, clock, secrets: Arc::new(secrets) }
    }

    pub(super) fn audit(
        &self,
        actor: &str,
        action: &str,
        target: &str,
        request_id: &str,
        outcome: &str,
    ) -> AuditRecord {
        AuditRecord {
            actor: actor.to_owned(),
            action: action.to_owned(),
            target: target.to_owned(),
            request_id: request_id.to_owned(),
            outcome: outcome.to_owned(),
            at_ms: self.clock.now_ms(),
        }
    }

    pub(super) fn require_admin(actor: &Actor) -> Result<()> {
        if actor.role.allows(Role::Admin) {
            Ok(())
        } else {
            Err(remote(
                ErrorKind::Forbidden,
                format!("managing users and tokens needs the admin role; {} has {}", actor.name, actor.role),
                None,
            ))
        }
    }

    /// Creates `admin` when there is no user yet; returns its password when one was generated.
    pub async fn ensure_first_admin(&self, password: Option<String>) -> Result<Option<(String, String)>> {
        self.ensure_first_admin_named("admin", password).await
    }

    /// Creates the admin `name` when there is no user yet, with `password` or a generated one;
    /// returns the name and the generated password (empty when it was given).
    pub async fn ensure_first_admin_named(
        &self,
        name: &str,
        password: Option<String>,
    ) -> Result<Option<(String, String)>> {
        if !self.store.users().await?.is_empty() {
            return Ok(None);
        }
        let generated = password.is_none();
        let password = match password {
            Some(password) => password,
            None => {
                let bytes: [u8; 18] = crate::random::bytes()?;
                hex(&bytes)
            }
        };
        validate_password(&password)?;
        validate_name(name)?;
        let user = UserRecord {
            name: name.to_owned(),
            role: Role::Admin,
            password_hash: hash_password(&password)?,
            created_at_ms: self.clock.now_ms(),
            failed_logins: 0,
            locked_until_ms: None,
            tokens_after_s: 0,
        };
        self.store.insert_user(user, self.audit("voicefleet", "user.add", name, "", "ok")).await?;
        Ok(Some((name.to_owned(), if generated { password } else { String::new() })))
    }

    /// Adds a console user (admin). Invalid input for a bad name or a password that is not 10 to
    /// 1024 characters; conflict when the name is taken.
    pub async fn add_user(&self, actor: &Actor, name: &str, role: Role, password: &str) -> Result<UserView> {
        Self::require_admin(actor)?;
        validate_name(name)?;
        validate_password(password)?;
        let user = UserRecord {
            name: name.to_owned(),
            role,
            password_hash: super::login::hash_off_thread(password).await?,
            created_at_ms: self.clock.now_ms(),
            failed_logins: 0,
            locked_until_ms: None,
            tokens_after_s: 0,
        };
        let mfa_required = self.store.mfa_required_roles().await?.contains(&role);
        let view = UserView {
            name: user.name.clone(),
            role,
            created_at_ms: user.created_at_ms,
            locked: false,
            mfa: MfaState::Off,
            mfa_required,
        };
        self.store
            .insert_user(user, self.audit(&actor.name, "user.add", name, &actor.request_id, "ok"))
            .await?;
        Ok(view)
    }

    /// Every user, by name (admin).
    pub async fn users(&self, actor: &Actor) -> Result<Vec<UserView>> {
        Self::require_admin(actor)?;
        let now = self.clock.now_ms();
        let states = self.mfa_states().await?;
        let required = self.store.mfa_required_roles().await?;
        Ok(self
            .store
            .users()
            .await?
            .into_iter()
            .map(|u| UserView {
                mfa: states.get(&u.name).copied().unwrap_or_default(),
                mfa_required: required.contains(&u.role),
                name: u.name,
                role: u.role,
                created_at_ms: u.created_at_ms,
                locked: u.locked_until_ms.is_some_and(|t| t > now),
            })
            .collect())
    }

    /// Removes a user (admin) with its second factor, and revokes the tokens it created. Conflict
    /// for yourself or the last admin; not found for an unknown name.
    pub async fn remove_user(&self, actor: &Actor, name: &str) -> Result<()> {
        Self::require_admin(actor)?;
        if actor.name == name {
            return Err(remote(ErrorKind::Conflict, "you cannot remove yourself", Some("ask another admin")));
        }
        let admins =
            self.store.users().await?.into_iter().filter(|u| u.role == Role::Admin && u.name != name).count();
        let target = self
            .store
            .user(name)
            .await?
            .ok_or_else(|| remote(ErrorKind::NotFound, format!("user `{name}` does not exist"), None))?;
        if target.role == Role::Admin && admins == 0 {
            return Err(remote(
                ErrorKind::Conflict,
                "this is the last admin",
                Some("add another admin first"),
            ));
        }
        self.store
            .delete_user(name, self.audit(&actor.name, "user.remove", name, &actor.request_id, "ok"))
            .await
    }

    /// Admins set anyone's password; others only their own, and changing your own needs the
    /// current one (`current`). The user's earlier login tokens stop working.
    pub async fn set_password(
        &self,
        actor: &Actor,
        name: &str,
        password: &str,
        current: Option<&str>,
    ) -> Result<()> {
        if actor.name != name {
            Self::require_admin(actor)?;
        }
        validate_password(password)?;
        let mut user = self
            .store
            .user(name)
            .await?
            .ok_or_else(|| remote(ErrorKind::NotFound, format!("user `{name}` does not exist"), None))?;
        if actor.name == name {
            let Some(current) = current else {
                return Err(remote(
                    ErrorKind::InvalidInput,
                    "changing your own password needs your current password",
                    Some("give it as `current_password` (the CLI asks for it)"),
                ));
            };
            if !super::login::check_password(current, &user.password_hash).await? {
                let outcome = "denied: wrong current password";
                self.store
                    .append_audit(self.audit(&actor.name, "user.password", name, &actor.request_id, outcome))
                    .await?;
                return Err(remote(ErrorKind::Unauthorized, "the current password is wrong", None));
            }
        }
        user.password_hash = super::login::hash_off_thread(password).await?;
        user.tokens_after_s = self.clock.now_ms() / 1000;
        self.store
            .update_user(user, Some(self.audit(&actor.name, "user.password", name, &actor.request_id, "ok")))
            .await?;
        // A new password starts with a clean slate from every address.
        self.store.clear_login_failures(name, None, None).await
    }

    /// Audits a request refused before any service saw it (the API's role check): action
    /// `api.denied`, the route as target. A failure to write it does not change the refusal.
    pub async fn audit_denial(&self, actor: &Actor, needed: Role, route: &str) {
        let outcome = format!("denied: needs {needed}, has {}", actor.role);
        let record = self.audit(&actor.name, "api.denied", route, &actor.request_id, &outcome);
        let _ = self.store.append_audit(record).await;
    }

    /// A role a user has now (a token signed earlier may outlive a demotion: re-checked here).
    pub async fn user_role(&self, name: &str) -> Result<Option<Role>> {
        Ok(self.store.user(name).await?.map(|u| u.role))
    }

    /// Whether a login token of `name` issued at `issued_at_s` (Unix seconds) still stands, and
    /// with which role: `None` when the user is gone or changed their password since.
    pub async fn login_session(&self, name: &str, issued_at_s: u64) -> Result<Option<Role>> {
        Ok(self.store.user(name).await?.filter(|u| issued_at_s >= u.tokens_after_s).map(|u| u.role))
    }

    /// Creates an API token (admin) with `role`, expiring at `expires_at_ms` (milliseconds since
    /// the Unix epoch, within 10 years; none: never). The answer holds the token itself, the only
    /// time it can be read.
    pub async fn create_token(
        &self,
        actor: &Actor,
        name: &str,
        role: Role,
        expires_at_ms: Option<u64>,
    ) -> Result<TokenView> {
        Self::require_admin(actor)?;
        validate_name(name)?;
        let now = self.clock.now_ms();
        if let Some(at) = expires_at_ms
            && (at <= now || at - now > MAX_TOKEN_LIFE_MS)
        {
            return Err(Error::InvalidValue {
                value: at.to_string(),
                reason: "an API token expires after now and within 10 years".to_owned(),
            });
        }
        let id_bytes: [u8; 8] = crate::random::bytes()?;
        let secret_bytes: [u8; 24] = crate::random::bytes()?;
        let token = format!("{TOKEN_PREFIX}{}", hex(&secret_bytes));
        let record = TokenRecord {
            id: hex(&id_bytes),
            name: name.to_owned(),
            role,
            token_hash: token_hash(&token),
            created_by: actor.name.clone(),
            created_at_ms: self.clock.now_ms(),
            expires_at_ms,
            revoked: false,
        };
        self.store
            .insert_token(
                record.clone(),
                self.audit(&actor.name, "token.create", name, &actor.request_id, "ok"),
            )
            .await?;
        let mut view = TokenView::from(record);
        view.token = Some(token);
        Ok(view)
    }

    /// Every API token, oldest first, revoked ones included; never the tokens themselves (admin).
    pub async fn tokens(&self, actor: &Actor) -> Result<Vec<TokenView>> {
        Self::require_admin(actor)?;
        Ok(self.store.tokens().await?.into_iter().map(TokenView::from).collect())
    }

    /// Revokes token `id` (admin); not found for an unknown id.
    pub async fn revoke_token(&self, actor: &Actor, id: &str) -> Result<()> {
        Self::require_admin(actor)?;
        if !self
            .store
            .revoke_token(id, self.audit(&actor.name, "token.revoke", id, &actor.request_id, "ok"))
            .await?
        {
            return Err(remote(ErrorKind::NotFound, format!("token `{id}` does not exist"), None));
        }
        Ok(())
    }

    /// The actor behind an API token, if it is valid, unrevoked and unexpired.
    pub async fn authenticate_token(&self, token: &str) -> Result<Option<Actor>> {
        if !token.starts_with(TOKEN_PREFIX) {
            return Ok(None);
        }
        let Some(record) = self.store.token_by_hash(&token_hash(token)).await? else { return Ok(None) };
        if record.revoked || record.expires_at_ms.is_some_and(|at| at <= self.clock.now_ms()) {
            return Ok(None);
        }
        Ok(Some(Actor {
            name: format!("token:{}", record.name),
            role: record.role,
            request_id: String::new(),
        }))
    }
}
