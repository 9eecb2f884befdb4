//! Roles and token claims: who may do what. Signing and checking tokens is the transports' job;
//! what a token says and what each role allows is decided here.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A console user's or token's role. Ordered: `viewer < operator < admin`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads status, metrics, configuration (redacted) and events.
    Viewer,
    /// Also controls agents (start, stop, restart, drain) and reads logs.
    Operator,
    /// Also changes configuration, secrets, users and tokens.
    Admin,
}

impl Role {
    /// The stable lower-case name used in every API (`viewer`, `operator`, `admin`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }

    /// Parses [`Role::as_str`]; none for any other text.
    pub fn parse(text: &str) -> Option<Role> {
        [Role::Viewer, Role::Operator, Role::Admin].into_iter().find(|role| role.as_str() == text)
    }

    /// True when this role may do what `required` may.
    pub fn allows(self, required: Role) -> bool {
        self >= required
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who signs every voicefleet token (its `iss` claim), and a name no customer or user may take.
pub const ISSUER: &str = "voicefleet-console";

/// Customer ids and user names that are taken by tokens themselves (the console's audience and
/// its hosts' subject), so a token for one can never pass as a token for the other.
pub const RESERVED_NAMES: [&str; 1] = [ISSUER];

/// What a signed token is for; each side accepts only its own kind. (API tokens are opaque
/// random strings checked against the console's store, never signed tokens.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// A console user's session, accepted by the console API only.
    Login,
    /// The console's call to one host, accepted by that host's API only.
    Host,
}

/// What a token the console signs says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Claims {
    /// Who: a user name or an API token's name.
    pub sub: String,
    /// For which customer (host tokens) or `voicefleet-console` (console tokens).
    pub aud: String,
    /// The role it grants.
    pub role: Role,
    /// Expiry, seconds since the Unix epoch.
    pub exp: u64,
    /// Issued at, seconds since the Unix epoch.
    pub iat: u64,
    /// Always [`ISSUER`].
    pub iss: String,
    /// What the token is for.
    pub kind: TokenKind,
}
