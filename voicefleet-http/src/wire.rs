//! Request bodies both APIs share that carry domain values: the HTTP form of core's patch
//! operations, selectors, limits and bulk specifications. Core's types are plain data for the
//! library; these are the wire's, with `From` both ways (the server reads them into core values,
//! the clients write core values as them), so the wire can change without touching core.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
#[cfg(feature = "server")]
use serde_json::Map;
use serde_json::Value;
use voicefleet_core::config::PatchOperation;
use voicefleet_core::console::{
    BulkAction, BulkSpec, HealthGate, Limit, NewCustomer, RevisionInput, Selector,
};

/// One edit: `{"op": "set", "path": "a.b", "value": 1}` or `{"op": "unset", "path": "a.b"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum Operation {
    Set {
        /// A dot path such as `agent_settings.llm.temperature`.
        path: String,
        /// The new value: any JSON value the path's rules accept.
        value: Value,
    },
    Unset {
        path: String,
    },
}

impl From<Operation> for PatchOperation {
    fn from(operation: Operation) -> Self {
        match operation {
            Operation::Set { path, value } => PatchOperation::Set { path, value },
            Operation::Unset { path } => PatchOperation::Unset { path },
        }
    }
}

impl From<PatchOperation> for Operation {
    fn from(operation: PatchOperation) -> Self {
        match operation {
            PatchOperation::Set { path, value } => Operation::Set { path, value },
            PatchOperation::Unset { path } => Operation::Unset { path },
        }
    }
}

pub(crate) fn operations_in(operations: Vec<Operation>) -> Vec<PatchOperation> {
    operations.into_iter().map(PatchOperation::from).collect()
}

pub(crate) fn operations_out(operations: Vec<PatchOperation>) -> Vec<Operation> {
    operations.into_iter().map(Operation::from).collect()
}

/// `POST /v1/customers`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "NewCustomer")]
pub(crate) struct NewCustomerBody {
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) name: String,
    /// The host agent's base URL.
    pub(crate) endpoint: String,
    /// `key=value` tags.
    #[serde(default)]
    pub(crate) tags: Vec<String>,
    /// CA certificates (PEM) the host's certificate must chain to (an https endpoint).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) ca_pem: Option<String>,
    /// The SHA-256 of the host's certificate, for a self-signed one: `sha256:` and 64 hex digits
    /// (openssl's `AB:CD:…` is accepted too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) pin_sha256: Option<String>,
}

impl From<NewCustomerBody> for NewCustomer {
    fn from(body: NewCustomerBody) -> Self {
        NewCustomer {
            id: body.id,
            name: body.name,
            endpoint: body.endpoint,
            tags: body.tags,
            trust: voicefleet_core::transport::HostTrust { ca_pem: body.ca_pem, pin_sha256: body.pin_sha256 },
        }
    }
}

impl From<NewCustomer> for NewCustomerBody {
    fn from(customer: NewCustomer) -> Self {
        NewCustomerBody {
            id: customer.id,
            name: customer.name,
            endpoint: customer.endpoint,
            tags: customer.tags,
            ca_pem: customer.trust.ca_pem,
            pin_sha256: customer.trust.pin_sha256,
        }
    }
}

/// A new revision's content: a whole document, or operations on the latest one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum RevisionContent {
    Full {
        /// The whole configuration document.
        #[schemars(with = "voicefleet_core::config::VoiceAgentConfig")]
        document: Value,
    },
    Patch {
        operations: Vec<Operation>,
    },
}

impl From<RevisionContent> for RevisionInput {
    fn from(content: RevisionContent) -> Self {
        match content {
            RevisionContent::Full { document } => RevisionInput::Full { document },
            RevisionContent::Patch { operations } => {
                RevisionInput::Patch { operations: operations_in(operations) }
            }
        }
    }
}

impl From<RevisionInput> for RevisionContent {
    fn from(input: RevisionInput) -> Self {
        match input {
            RevisionInput::Full { document } => RevisionContent::Full { document },
            RevisionInput::Patch { operations } => {
                RevisionContent::Patch { operations: operations_out(operations) }
            }
        }
    }
}

/// Which customers: all, by id, or by tags (all must match).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[schemars(rename = "SelectorInput")]
pub(crate) enum SelectorBody {
    All,
    Ids { ids: Vec<String> },
    Tags { tags: BTreeMap<String, String> },
}

impl From<SelectorBody> for Selector {
    fn from(body: SelectorBody) -> Self {
        match body {
            SelectorBody::All => Selector::All,
            SelectorBody::Ids { ids } => Selector::Ids { ids },
            SelectorBody::Tags { tags } => Selector::Tags { tags },
        }
    }
}

impl From<Selector> for SelectorBody {
    fn from(selector: Selector) -> Self {
        match selector {
            Selector::All => SelectorBody::All,
            Selector::Ids { ids } => SelectorBody::Ids { ids },
            Selector::Tags { tags } => SelectorBody::Tags { tags },
        }
    }
}

/// A count (`{"count": 10}`) or a percentage (`{"percent": 10}`) of the targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "LimitInput")]
pub(crate) enum LimitBody {
    Count(u64),
    Percent(#[schemars(range(max = 100))] u8),
}

impl From<LimitBody> for Limit {
    fn from(body: LimitBody) -> Self {
        match body {
            LimitBody::Count(count) => Limit::Count(count),
            LimitBody::Percent(percent) => Limit::Percent(percent),
        }
    }
}

impl From<Limit> for LimitBody {
    fn from(limit: Limit) -> Self {
        match limit {
            Limit::Count(count) => LimitBody::Count(count),
            Limit::Percent(percent) => LimitBody::Percent(percent),
        }
    }
}

/// What a bulk run does to each target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[schemars(rename = "BulkActionInput")]
pub(crate) enum BulkActionBody {
    Start,
    Stop,
    Restart,
    Drain,
    /// Deploy an existing revision number of each customer (latest when absent).
    Deploy {
        revision: Option<u64>,
    },
    /// Create a revision from these operations on each customer's latest, then deploy it.
    Patch {
        operations: Vec<Operation>,
        message: String,
    },
    /// Change each target's instance type (drain, stop, set the type, start), then start the agent.
    Resize {
        instance_type: String,
    },
}

impl From<BulkActionBody> for BulkAction {
    fn from(body: BulkActionBody) -> Self {
        match body {
            BulkActionBody::Start => BulkAction::Start,
            BulkActionBody::Stop => BulkAction::Stop,
            BulkActionBody::Restart => BulkAction::Restart,
            BulkActionBody::Drain => BulkAction::Drain,
            BulkActionBody::Deploy { revision } => BulkAction::Deploy { revision },
            BulkActionBody::Patch { operations, message } => {
                BulkAction::Patch { operations: operations_in(operations), message }
            }
            BulkActionBody::Resize { instance_type } => BulkAction::Resize { instance_type },
        }
    }
}

impl From<BulkAction> for BulkActionBody {
    fn from(action: BulkAction) -> Self {
        match action {
            BulkAction::Start => BulkActionBody::Start,
            BulkAction::Stop => BulkActionBody::Stop,
            BulkAction::Restart => BulkActionBody::Restart,
            BulkAction::Drain => BulkActionBody::Drain,
            BulkAction::Deploy { revision } => BulkActionBody::Deploy { revision },
            BulkAction::Patch { operations, message } => {
                BulkActionBody::Patch { operations: operations_out(operations), message }
            }
            BulkAction::Resize { instance_type } => BulkActionBody::Resize { instance_type },
        }
    }
}

/// When a target counts as healthy after its action.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "HealthGateInput")]
pub(crate) struct HealthGateBody {
    /// Running this long, continuously, within the limits below.
    pub(crate) min_healthy_seconds: f64,
    /// Highest error rate (errors per turn, 5 minutes).
    pub(crate) max_error_rate: Option<f64>,
    /// Highest p95 end-to-end turn latency, in milliseconds.
    pub(crate) max_p95_ms: Option<f64>,
}

/// `POST /v1/bulk`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "BulkSpecInput")]
pub(crate) struct BulkSpecBody {
    pub(crate) action: BulkActionBody,
    pub(crate) selector: SelectorBody,
    pub(crate) max_concurrency: LimitBody,
    pub(crate) max_errors: LimitBody,
    /// The first this many targets run alone and must pass before the rest start.
    #[serde(default)]
    pub(crate) canary: usize,
    #[serde(default)]
    pub(crate) health_gate: Option<HealthGateBody>,
    /// Return targets whose deploy failed to their previous revision.
    #[serde(default)]
    pub(crate) auto_rollback: bool,
    /// Only show the plan.
    #[serde(default)]
    pub(crate) dry_run: bool,
}

impl From<BulkSpecBody> for BulkSpec {
    fn from(body: BulkSpecBody) -> Self {
        BulkSpec {
            action: body.action.into(),
            selector: body.selector.into(),
            max_concurrency: body.max_concurrency.into(),
            max_errors: body.max_errors.into(),
            canary: body.canary,
            health_gate: body.health_gate.map(|gate| HealthGate {
                min_healthy_seconds: gate.min_healthy_seconds,
                max_error_rate: gate.max_error_rate,
                max_p95_ms: gate.max_p95_ms,
            }),
            auto_rollback: body.auto_rollback,
            dry_run: body.dry_run,
        }
    }
}

impl From<BulkSpec> for BulkSpecBody {
    fn from(spec: BulkSpec) -> Self {
        BulkSpecBody {
            action: spec.action.into(),
            selector: spec.selector.into(),
            max_concurrency: spec.max_concurrency.into(),
            max_errors: spec.max_errors.into(),
            canary: spec.canary,
            health_gate: spec.health_gate.map(|gate| HealthGateBody {
                min_healthy_seconds: gate.min_healthy_seconds,
                max_error_rate: gate.max_error_rate,
                max_p95_ms: gate.max_p95_ms,
            }),
            auto_rollback: spec.auto_rollback,
            dry_run: spec.dry_run,
        }
    }
}

#[cfg(feature = "server")]
/// `GET /v1/health` on both APIs: answers while the server runs, without a token.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct Health {
    /// Always `ok`.
    pub(crate) status: String,
    /// The server's package version.
    pub(crate) version: String,
    // `crate::HOST_API_VERSION` on a host agent, `crate::CONSOLE_API_VERSION` on a console.
    /// The version of the API this server speaks (the host API on a host agent, the console API
    /// on a console). A client that speaks another one must not read the server's other answers;
    /// this body keeps its shape in every version.
    pub(crate) api_version: u32,
}

#[cfg(feature = "server")]
impl Health {
    pub(crate) fn now(api_version: u32) -> Health {
        Health { status: "ok".to_owned(), version: env!("CARGO_PKG_VERSION").to_owned(), api_version }
    }
}

#[cfg(feature = "server")]
/// An OpenAPI 3.1 document (`GET /v1/openapi.json`).
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(transparent)]
pub(crate) struct OpenApiDocument(#[schemars(with = "Map<String, Value>")] pub(crate) Value);
