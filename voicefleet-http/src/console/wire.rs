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

#[cfg(feature = "server")]
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

#[cfg(feature = "server")]
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

#[cfg(feature = "server")]
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

#[cfg(feature = "server")]
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

#[cfg(feature = "server")]
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

#[cfg(feature = "server")]
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

#[cfg(feature = "server")]
/// `GET /v1/customers/{id}/metrics`.
#[derive(Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MetricsParams {
    /// Milliseconds since the Unix epoch (default: an hour ago).
    pub(crate) since: Option<u64>,
    /// Milliseconds since the Unix epoch (default: now).
    pub(crate) until: Option<u64>,
}

#[cfg(feature = "server")]
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

#[cfg(feature = "server")]
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

#[cfg(feature = "server")]
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

#[cfg(feature = "server")]
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

#[cfg(feature = "server")]
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

/// An instance's state, as EC2 names them (the schema of [`InstanceBody::state`]).
#[derive(schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[allow(dead_code)]
enum InstanceStateName {
    Pending,
    Running,
    Stopping,
    Stopped,
    ShuttingDown,
    Terminated,
    Unknown,
}

/// A status check's result (the schema of the `*_status` fields).
#[derive(schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[allow(dead_code)]
enum StatusCheckName {
    Ok,
    Impaired,
    Initializing,
    InsufficientData,
    NotApplicable,
    Unknown,
}

/// A customer host's cloud instance.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "Instance")]
pub(crate) struct InstanceBody {
    /// The cloud's id (`i-0123456789abcdef0`).
    pub(crate) id: String,
    #[schemars(with = "InstanceStateName")]
    pub(crate) state: String,
    /// `t3.medium`.
    pub(crate) instance_type: String,
    pub(crate) private_address: Option<String>,
    pub(crate) public_address: Option<String>,
    pub(crate) availability_zone: Option<String>,
    pub(crate) launched_at_ms: Option<u64>,
    /// The cloud's check of the hardware and network under the instance.
    #[schemars(with = "StatusCheckName")]
    pub(crate) system_status: String,
    /// The cloud's check of the instance's own system.
    #[schemars(with = "StatusCheckName")]
    pub(crate) instance_status: String,
    /// Its `voicefleet:customer` tag, as written.
    pub(crate) customer_tag: Option<String>,
}

impl From<&voicefleet_core::instances::Instance> for InstanceBody {
    fn from(instance: &voicefleet_core::instances::Instance) -> Self {
        InstanceBody {
            id: instance.id.clone(),
            state: instance.state.as_str().to_owned(),
            instance_type: instance.instance_type.clone(),
            private_address: instance.private_address.map(|a| a.to_string()),
            public_address: instance.public_address.map(|a| a.to_string()),
            availability_zone: instance.availability_zone.clone(),
            launched_at_ms: instance.launched_at_ms,
            system_status: instance.system_status.as_str().to_owned(),
            instance_status: instance.instance_status.as_str().to_owned(),
            customer_tag: instance.customer_tag.clone(),
        }
    }
}

impl From<InstanceBody> for voicefleet_core::instances::Instance {
    fn from(body: InstanceBody) -> Self {
        use voicefleet_core::instances::{InstanceState, StatusCheck};
        voicefleet_core::instances::Instance {
            id: body.id,
            state: InstanceState::parse(&body.state),
            instance_type: body.instance_type,
            private_address: body.private_address.and_then(|a| a.parse().ok()),
            public_address: body.public_address.and_then(|a| a.parse().ok()),
            availability_zone: body.availability_zone,
            launched_at_ms: body.launched_at_ms,
            system_status: StatusCheck::parse(&body.system_status),
            instance_status: StatusCheck::parse(&body.instance_status),
            customer_tag: body.customer_tag,
        }
    }
}

/// Where a customer's endpoint comes from.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "EndpointSource")]
pub(crate) enum EndpointSourceBody {
    /// Set for the customer.
    Set,
    /// `https://ADDRESS:AGENT_PORT` from the instance.
    Derived,
    /// Neither: the instance has no address.
    None,
}

/// A customer and its instance.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "LinkedInstance")]
pub(crate) struct LinkedInstanceBody {
    pub(crate) customer_id: String,
    pub(crate) instance: InstanceBody,
    /// The host agent's base URL.
    pub(crate) endpoint: Option<String>,
    pub(crate) endpoint_source: EndpointSourceBody,
}

/// `GET /v1/instances`, `POST /v1/instances/sync`: the customers' hosts.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "Instances")]
pub(crate) struct InstancesBody {
    /// Where they were read (`ec2 us-east-1`); none when the console has no instance provider.
    pub(crate) provider: Option<String>,
    /// When the cloud was last read; none before the first sync.
    pub(crate) synced_at_ms: Option<u64>,
    /// One per customer that has an instance.
    pub(crate) linked: Vec<LinkedInstanceBody>,
    /// Tagged instances whose tag names no customer.
    pub(crate) without_customer: Vec<InstanceBody>,
    /// A customer's other instances, besides its linked one (a terminated predecessor).
    pub(crate) extra: Vec<InstanceBody>,
    /// Customers no instance names.
    pub(crate) customers_without_instance: Vec<String>,
}

impl From<&voicefleet_core::console::InstanceReport> for InstancesBody {
    fn from(report: &voicefleet_core::console::InstanceReport) -> Self {
        use voicefleet_core::instances::EndpointSource;
        let mapping = &report.mapping;
        InstancesBody {
            provider: report.provider.clone(),
            synced_at_ms: report.synced_at_ms,
            linked: mapping
                .linked
                .iter()
                .map(|l| LinkedInstanceBody {
                    customer_id: l.customer.to_string(),
                    instance: (&l.instance).into(),
                    endpoint: l.endpoint.as_ref().map(|u| u.to_string()),
                    endpoint_source: match l.endpoint_source {
                        EndpointSource::Set => EndpointSourceBody::Set,
                        EndpointSource::Derived => EndpointSourceBody::Derived,
                        EndpointSource::None => EndpointSourceBody::None,
                    },
                })
                .collect(),
            without_customer: mapping.without_customer.iter().map(InstanceBody::from).collect(),
            extra: mapping.extra.iter().map(InstanceBody::from).collect(),
            customers_without_instance: mapping
                .customers_without_instance
                .iter()
                .map(|c| c.to_string())
                .collect(),
        }
    }
}

impl InstancesBody {
    /// Back into core's report (the client's side); `None` for a customer id that is not one.
    pub(crate) fn into_report(self) -> voicefleet_core::Result<voicefleet_core::console::InstanceReport> {
        use voicefleet_core::customer::CustomerId;
        use voicefleet_core::instances::{EndpointSource, InstanceMapping, LinkedInstance};
        let linked = self
            .linked
            .into_iter()
            .map(|l| {
                Ok(LinkedInstance {
                    customer: CustomerId::parse(&l.customer_id)?,
                    instance: l.instance.into(),
                    endpoint: l.endpoint.and_then(|e| e.parse().ok()),
                    endpoint_source: match l.endpoint_source {
                        EndpointSourceBody::Set => EndpointSource::Set,
                        EndpointSourceBody::Derived => EndpointSource::Derived,
                        EndpointSourceBody::None => EndpointSource::None,
                    },
                })
            })
            .collect::<voicefleet_core::Result<Vec<_>>>()?;
        Ok(voicefleet_core::console::InstanceReport {
            provider: self.provider,
            synced_at_ms: self.synced_at_ms,
            mapping: InstanceMapping {
                linked,
                without_customer: self.without_customer.into_iter().map(Into::into).collect(),
                extra: self.extra.into_iter().map(Into::into).collect(),
                customers_without_instance: self
                    .customers_without_instance
                    .iter()
                    .map(|c| CustomerId::parse(c))
                    .collect::<voicefleet_core::Result<Vec<_>>>()?,
            },
        })
    }
}

/// `POST /v1/customers/{id}/instance/resize`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct InstanceResize {
    /// The new instance type (`t3.large`).
    pub(crate) instance_type: String,
}
