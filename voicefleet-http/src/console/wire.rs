//! Request and response bodies of the console API that are not core's plain data. The server
//! reads them and [`super::client::ConsoleClient`] writes them: one definition for both ends.

use crate::wire::RevisionContent;
use serde::{Deserialize, Serialize};
use voicefleet_core::auth::Role;

/// Every list answers a page: `{items, next_cursor}`; pass `cursor` back for the next one.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "{T}Page")]
pub(crate) struct Page<T> {
    pub(crate) items: Vec<T>,
    pub(crate) next_cursor: Option<String>,
}

/// `?cursor=&limit=&selector=` of the lists.
#[derive(Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PageParams {
    /// A `next_cursor` from the page before.
    pub(crate) cursor: Option<String>,
    /// Items per page, 1 to 1000 (default 100).
    #[schemars(range(min = 1, max = 1000))]
    pub(crate) limit: Option<usize>,
    /// `all` (default), tags `tier=prod,region=eu` (all must match) or ids `acme,globex`.
    pub(crate) selector: Option<String>,
}

/// `?cursor=&limit=` of the lists without a selector.
#[derive(Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CursorParams {
    /// A `next_cursor` from the page before.
    pub(crate) cursor: Option<String>,
    /// Items per page, 1 to 1000 (default 100).
    #[schemars(range(min = 1, max = 1000))]
    pub(crate) limit: Option<usize>,
}

/// `GET /v1/status`.
#[derive(Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StatusParams {
    /// A `next_cursor` from the page before.
    pub(crate) cursor: Option<String>,
    /// Items per page, 1 to 1000 (default 100).
    #[schemars(range(min = 1, max = 1000))]
    pub(crate) limit: Option<usize>,
    /// `all` (default), tags `tier=prod,region=eu` (all must match) or ids `acme,globex`.
    pub(crate) selector: Option<String>,
    /// Poll the hosts now instead of answering from the last background poll.
    pub(crate) fresh: Option<bool>,
}

/// `POST /v1/auth/login`.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Login {
    pub(crate) name: String,
    pub(crate) password: String,
    /// The second factor, for a user who has one (or whose role requires one): the 6-digit
    /// code from their authenticator app, or one of their recovery codes. Without it such a
    /// login is refused with code `otp_required`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64))]
    pub(crate) otp: Option<String>,
}

/// What login answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LoginResponse {
    pub token: String,
    pub name: String,
    pub role: Role,
    pub expires_in_seconds: u64,
}

/// Who a token belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WhoAmI {
    pub name: String,
    pub role: Role,
}

/// `PATCH /v1/customers/{id}`.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TagPatch {
    #[serde(default)]
    pub(crate) add: Vec<String>,
    #[serde(default)]
    pub(crate) remove: Vec<String>,
}

/// `POST /v1/customers/{id}/revisions`. No `deny_unknown_fields`: serde cannot combine it with
/// `flatten`.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct NewRevision {
    #[serde(flatten)]
    pub(crate) input: RevisionContent,
    #[serde(default)]
    pub(crate) message: String,
}

/// `GET /v1/customers/{id}/diff`.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DiffParams {
    /// The revision to diff from.
    pub(crate) from: u64,
    /// The revision to diff to.
    pub(crate) to: u64,
}

/// `POST /v1/customers/{id}/rollback`.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Rollback {
    pub(crate) revision: u64,
    #[serde(default)]
    pub(crate) message: String,
}

/// `POST /v1/customers/{id}/deploy`.
#[derive(Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Deploy {
    #[serde(default)]
    pub(crate) revision: Option<u64>,
}

/// `PUT /v1/customers/{id}/secrets/{name}`.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SecretValue {
    pub(crate) value: String,
}

/// `POST /v1/customers/{id}/secrets/check`: each provider key's verdict, from the host.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct KeyCheckReport {
    pub(crate) checks: Vec<voicefleet_core::keycheck::KeyCheck>,
}

/// `POST /v1/customers/{id}/secrets/check?secret=NAME`.
#[derive(Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct KeyCheckParams {
    /// Check this secret only (by default every provider secret the deployed configuration uses).
    #[serde(default)]
    pub(crate) secret: Option<String>,
}

/// `POST /v1/customers/{id}/agent/{action}`.
#[derive(Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Control {
    #[serde(default)]
    pub(crate) drain_timeout_seconds: Option<f64>,
}

/// `GET /v1/customers/{id}/logs`.
#[derive(Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LogParams {
    /// How many of the last lines (1 to 10000; default 100). Not with `cursor`.
    #[schemars(range(min = 1, max = 10000))]
    pub(crate) tail: Option<usize>,
    /// Lines after this sequence number (a `next_cursor`). Not with `tail`.
    pub(crate) cursor: Option<u64>,
    /// With `cursor`: at most this many lines (1 to 10000; default 1000).
    #[schemars(range(min = 1, max = 10000))]
    pub(crate) limit: Option<usize>,
    /// `all` (default), `stdout` or `stderr`.
    #[schemars(with = "Option<crate::host::wire::StreamChoice>")]
    pub(crate) stream: Option<String>,
}

/// `GET /v1/customers/{id}/metrics`.
#[derive(Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MetricsParams {
    /// Milliseconds since the Unix epoch (default: an hour ago).
    pub(crate) since: Option<u64>,
    /// Milliseconds since the Unix epoch (default: now).
    pub(crate) until: Option<u64>,
}

/// `GET /v1/events/history`.
#[derive(Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EventHistoryParams {
    /// One customer's events (default: every customer's).
    pub(crate) customer: Option<String>,
    /// Milliseconds since the Unix epoch (default: an hour ago).
    pub(crate) since: Option<u64>,
    /// The newest this many, 1 to 10000 (default 1000).
    #[schemars(range(min = 1, max = 10000))]
    pub(crate) limit: Option<usize>,
}

/// `GET /v1/alerts`.
#[derive(Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AlertParams {
    /// Resolved alerts too (default: firing ones only).
    pub(crate) all: Option<bool>,
    /// A `next_cursor` from the page before.
    pub(crate) cursor: Option<String>,
    /// Items per page, 1 to 1000 (default 100).
    #[schemars(range(min = 1, max = 1000))]
    pub(crate) limit: Option<usize>,
}

/// `GET /v1/audit`.
#[derive(Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditParams {
    /// Entries after this sequence number (a `next_cursor`), oldest first.
    pub(crate) after: Option<u64>,
    /// Entries per page, 1 to 1000 (default 100).
    #[schemars(range(min = 1, max = 1000))]
    pub(crate) limit: Option<usize>,
    /// `newest`: newest first, paged with `before` (the `next_cursor`); the filters below apply.
    pub(crate) order: Option<AuditOrder>,
    /// With `order=newest`: entries older than this sequence number.
    pub(crate) before: Option<u64>,
    /// With `order=newest`: entries at or after this time (ms since the epoch).
    pub(crate) since: Option<u64>,
    /// With `order=newest`: entries about this customer (target `ID`, `ID#N`, `ID/SECRET`).
    pub(crate) customer: Option<String>,
    /// With `order=newest`: this actor's entries.
    pub(crate) actor: Option<String>,
    /// With `order=newest`: this action (`config.deploy`), or a group ending with `.` (`config.`).
    pub(crate) action: Option<String>,
}

/// The order of `GET /v1/audit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum AuditOrder {
    Oldest,
    Newest,
}

/// `POST /v1/users`.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewUser {
    pub(crate) name: String,
    pub(crate) role: Role,
    pub(crate) password: String,
}

/// `PUT /v1/users/{name}/password`.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Password {
    pub(crate) password: String,
    /// Your current password: needed to change your own (not when an admin sets another user's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) current_password: Option<String>,
}

/// `POST /v1/tokens`.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewToken {
    pub(crate) name: String,
    pub(crate) role: Role,
    /// Seconds until it expires; never when absent.
    #[serde(default)]
    pub(crate) expires_in_seconds: Option<u64>,
}

/// `GET /v1/config/schema`: the configuration document's JSON Schema (draft 2020-12).
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(transparent)]
pub(crate) struct ConfigSchema(
    #[schemars(with = "serde_json::Map<String, serde_json::Value>")] pub(crate) serde_json::Value,
);

/// `POST /v1/users/{name}/mfa/confirm`.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OtpCode {
    /// The 6-digit code the authenticator app shows now.
    #[schemars(length(max = 64))]
    pub(crate) otp: String,
}

/// `POST /v1/users/{name}/mfa/disable`.
#[derive(Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MfaDisable {
    /// A current code or a recovery code: needed to remove your own confirmed second factor
    /// (not when an admin removes another user's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64))]
    pub(crate) otp: Option<String>,
}

/// `PUT /v1/mfa/policy`.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MfaRequirement {
    pub(crate) role: Role,
    /// Whether users of `role` must have a second factor to log in.
    pub(crate) required: bool,
}
