//! The fleet contract: what the console can be asked, by anyone, through any transport. The
//! in-process [`super::Console`] implements it over the store and the hosts; the console HTTP
//! client implements it over the wire.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::audit::{AuditEntry, AuditVerification};
use super::bulk::{BulkEvent, BulkRun, BulkSpec};
use super::selector::Selector;
use super::store::AlertRecord;
use crate::auth::Role;
use crate::config::{Change, PatchOperation};
use crate::error::Result;
use crate::host::{HostStatus, LogQuery, MetricsSample};
use crate::host_audit::{HostAuditPage, HostAuditVerification};
use crate::keycheck::KeyCheck;
use crate::logs::LogLine;

/// Who is asking, for role checks and the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Actor {
    pub name: String,
    pub role: Role,
    pub request_id: String,
}

impl Actor {
    pub fn new(name: &str, role: Role) -> Actor {
        Actor { name: name.to_owned(), role, request_id: String::new() }
    }
}

/// A customer to add.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NewCustomer {
    pub id: String,
    #[serde(default)]
    pub name: String,
    /// The host agent's base URL.
    pub endpoint: String,
    /// `key=value` tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// How to check the host's certificate: a CA bundle or a pin (default: the system's roots).
    #[serde(default)]
    pub trust: crate::transport::HostTrust,
}

/// What the console can say of a customer's agent: its state, that its host did not answer
/// (`unreachable`), or that its host agent speaks an API version this console does not
/// (`incompatible`). (The fields that hold it are strings; this names their values for the
/// schema.)
#[derive(schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
enum CustomerState {
    Stopped,
    Starting,
    Running,
    Backoff,
    Stopping,
    Exited,
    CrashLoop,
    Unreachable,
    Incompatible,
}

/// A customer as the console knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CustomerView {
    pub id: String,
    pub name: String,
    pub endpoint: String,
    pub tags: BTreeMap<String, String>,
    pub created_at_ms: u64,
    pub deployed_revision: Option<u64>,
    /// How the console checks the host's certificate, when not by the system's roots.
    #[serde(default, skip_serializing_if = "crate::transport::HostTrust::is_default")]
    pub trust: crate::transport::HostTrust,
}

/// One customer's status as polled, with the last known one when the host does not answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CustomerStatus {
    pub customer_id: String,
    pub name: String,
    pub tags: BTreeMap<String, String>,
    /// The agent's state, `unreachable`, or `incompatible` (the host agent speaks an API version
    /// this console does not: `error` says which, and nothing it answers is read).
    #[schemars(with = "CustomerState")]
    pub state: String,
    pub reachable: bool,
    /// When the host last answered.
    pub last_seen_ms: Option<u64>,
    pub error: Option<String>,
    /// The last status the host gave (current when reachable).
    pub status: Option<HostStatus>,
    pub deployed_revision: Option<u64>,
    /// The revision the host says it runs.
    pub running_revision: Option<u64>,
    /// The host runs something other than the deployed revision.
    pub drift: bool,
    /// The latest revision, when it is newer than the deployed one (not deployed yet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_revision: Option<u64>,
    /// The host agent's package version, as it last said (none before it answered).
    #[serde(default)]
    pub agent_version: Option<String>,
}

/// A new revision: a whole document, or operations on the latest one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RevisionInput {
    Full {
        /// The whole configuration document.
        #[schemars(with = "crate::config::VoiceAgentConfig")]
        document: Value,
    },
    Patch {
        operations: Vec<PatchOperation>,
    },
}

/// A revision's summary; `document` (secrets redacted) when one revision is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RevisionView {
    pub customer_id: String,
    pub number: u64,
    pub hash: String,
    pub author: String,
    pub message: String,
    pub created_at_ms: u64,
    pub deployed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// The document (secrets redacted), when one revision is shown.
    #[schemars(with = "Option<serde_json::Map<String, Value>>")]
    pub document: Option<Value>,
    /// How the host applied it, in a deploy's answer: stored (the agent is not running or
    /// nothing changed), reloaded (SIGHUP) or restarted (drain-restart: a runtime field or a
    /// secret value changed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied: Option<crate::host::ApplyAction>,
}

/// A secret's name and when it last changed; never its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SecretInfo {
    pub name: String,
    pub updated_at_ms: u64,
}

/// A control action on one agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ControlAction {
    Start,
    Stop,
    Restart,
    Drain,
}

impl ControlAction {
    pub fn as_str(self) -> &'static str {
        match self {
            ControlAction::Start => "start",
            ControlAction::Stop => "stop",
            ControlAction::Restart => "restart",
            ControlAction::Drain => "drain",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [ControlAction::Start, ControlAction::Stop, ControlAction::Restart, ControlAction::Drain]
            .into_iter()
            .find(|action| action.as_str() == text)
    }
}

/// A change the console noticed while polling.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FleetEvent {
    /// A customer's state changed (`unreachable` included): seen by a poll, or at once from the
    /// host's event stream. The optional fields are known when the host's status was read with it.
    StatusChanged {
        customer_id: String,
        #[schemars(with = "CustomerState")]
        from: String,
        #[schemars(with = "CustomerState")]
        to: String,
        at_ms: u64,
        /// How the agent last ended (set when this change follows an exit).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        exit: Option<crate::host::ExitInfo>,
        /// The host's restart count.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        restarts: Option<u64>,
        /// The agent's process id now (a new one after a restart).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pid: Option<i32>,
    },
    /// An alert fired or resolved.
    Alert { alert: AlertRecord },
}

/// Which audit entries to list, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only entries older than this sequence number (the next page, newest first).
    pub before: Option<u64>,
    /// Only entries at or after this time.
    pub since_ms: Option<u64>,
    /// Only entries about this customer (target `ID`, `ID#REVISION` or `ID/SECRET`).
    pub customer: Option<String>,
    /// Only this actor's entries (`admin`, `token:ci`, `local:alice`…).
    pub actor: Option<String>,
    /// Only this action (`config.deploy`), or this group when it ends with `.` (`config.`).
    pub action: Option<String>,
    /// At most this many, 1 to 1000.
    pub limit: usize,
}

impl AuditQuery {
    /// Whether an entry is one this query lists (what the store's SQL also checks).
    pub fn matches(&self, entry: &super::AuditEntry) -> bool {
        let customer = self.customer.as_deref().is_none_or(|id| {
            entry.target == id
                || entry
                    .target
                    .strip_prefix(id)
                    .is_some_and(|rest| rest.starts_with('#') || rest.starts_with('/'))
        });
        let action = self.action.as_deref().is_none_or(|action| match action.strip_suffix('.') {
            Some(group) => entry.action.strip_prefix(group).is_some_and(|rest| rest.starts_with('.')),
            None => entry.action == action,
        });
        self.before.is_none_or(|before| entry.seq < before)
            && self.since_ms.is_none_or(|since| entry.at_ms >= since)
            && self.actor.as_deref().is_none_or(|actor| entry.actor == actor)
            && customer
            && action
    }
}

/// Which past fleet events to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventQuery {
    /// One customer's events (all customers' when `None`).
    pub customer: Option<String>,
    /// Events at or after this time.
    pub since_ms: u64,
    /// The newest this many, 1 to 10,000.
    pub limit: usize,
}

impl FleetEvent {
    /// The customer it is about, and when it happened.
    pub fn customer_and_time(&self) -> (&str, u64) {
        match self {
            FleetEvent::StatusChanged { customer_id, at_ms, .. } => (customer_id, *at_ms),
            FleetEvent::Alert { alert } => {
                (&alert.customer_id, alert.resolved_at_ms.unwrap_or(alert.since_ms))
            }
        }
    }
}

/// The console's contract.
#[async_trait::async_trait]
pub trait Fleet: Send + Sync {
    async fn add_customer(&self, actor: &Actor, customer: NewCustomer) -> Result<CustomerView>;
    async fn customer(&self, actor: &Actor, id: &str) -> Result<CustomerView>;
    async fn customers(&self, actor: &Actor, selector: &Selector) -> Result<Vec<CustomerView>>;
    /// Adds `key=value` tags and removes the `remove` keys.
    async fn tag_customer(
        &self,
        actor: &Actor,
        id: &str,
        add: Vec<String>,
        remove: Vec<String>,
    ) -> Result<CustomerView>;
    async fn remove_customer(&self, actor: &Actor, id: &str) -> Result<()>;

    /// Polls the selected hosts now (concurrently, each within the host timeout).
    async fn status(&self, actor: &Actor, selector: &Selector) -> Result<Vec<CustomerStatus>>;
    /// The status from the last poll when every selected customer was polled less than `max_age`
    /// ago, else a poll now: for dashboards that ask often (a remote console decides the age).
    async fn status_cached(
        &self,
        actor: &Actor,
        selector: &Selector,
        max_age: Duration,
    ) -> Result<Vec<CustomerStatus>>;

    async fn create_revision(
        &self,
        actor: &Actor,
        id: &str,
        input: RevisionInput,
        message: &str,
    ) -> Result<RevisionView>;
    /// [`Fleet::create_revision`] only while the customer's latest revision is still `parent`
    /// (`None`: it has none yet); else [`crate::Error::Stale`] and nothing changes.
    async fn create_revision_on(
        &self,
        actor: &Actor,
        id: &str,
        parent: Option<u64>,
        input: RevisionInput,
        message: &str,
    ) -> Result<RevisionView>;
    async fn revisions(&self, actor: &Actor, id: &str) -> Result<Vec<RevisionView>>;
    async fn revision(&self, actor: &Actor, id: &str, number: u64) -> Result<RevisionView>;
    async fn diff(&self, actor: &Actor, id: &str, from: u64, to: u64) -> Result<Vec<Change>>;
    /// A new revision equal to `number`.
    async fn rollback(&self, actor: &Actor, id: &str, number: u64, message: &str) -> Result<RevisionView>;
    /// Pushes the revision (latest when `None`) and its secrets to the host.
    async fn deploy(&self, actor: &Actor, id: &str, number: Option<u64>) -> Result<RevisionView>;

    async fn set_secret(&self, actor: &Actor, id: &str, name: &str, value: &str) -> Result<()>;
    async fn secrets(&self, actor: &Actor, id: &str) -> Result<Vec<SecretInfo>>;
    async fn delete_secret(&self, actor: &Actor, id: &str, name: &str) -> Result<()>;
    /// Checks the customer's provider keys live, on its host, against the deployed configuration
    /// (every provider secret it uses, or `only` that one): verdicts, never values.
    async fn check_secrets(&self, actor: &Actor, id: &str, only: Option<&str>) -> Result<Vec<KeyCheck>>;

    async fn control(
        &self,
        actor: &Actor,
        id: &str,
        action: ControlAction,
        drain_timeout: Option<Duration>,
    ) -> Result<HostStatus>;
    async fn logs(&self, actor: &Actor, id: &str, query: LogQuery) -> Result<Vec<LogLine>>;
    /// A page of the customer's host audit file (admin): who asked each change of that host
    /// (the console, or the host's break-glass token) and each request it refused.
    async fn host_audit(&self, actor: &Actor, id: &str, after: u64, limit: u32) -> Result<HostAuditPage>;
    /// The customer's host's check of its audit file's hash chain (admin).
    async fn verify_host_audit(&self, actor: &Actor, id: &str) -> Result<HostAuditVerification>;
    async fn metrics(
        &self,
        actor: &Actor,
        id: &str,
        since_ms: u64,
        until_ms: u64,
    ) -> Result<Vec<MetricsSample>>;
    async fn alerts(&self, actor: &Actor, include_resolved: bool) -> Result<Vec<AlertRecord>>;

    /// Starts a run (or, with `dry_run`, returns its plan); follow it with [`Fleet::bulk_run`].
    async fn start_bulk(&self, actor: &Actor, spec: BulkSpec) -> Result<BulkRun>;
    async fn bulk_run(&self, actor: &Actor, id: &str) -> Result<BulkRun>;
    async fn bulk_runs(&self, actor: &Actor, limit: usize) -> Result<Vec<BulkRun>>;
    async fn cancel_bulk(&self, actor: &Actor, id: &str) -> Result<BulkRun>;
    /// Progress events of running bulk runs.
    fn bulk_events(&self) -> tokio::sync::broadcast::Receiver<BulkEvent>;
    /// Status changes and alerts, as the console's polling notices them.
    fn fleet_events(&self) -> tokio::sync::broadcast::Receiver<FleetEvent>;
    /// Past fleet events (state changes with their exits, alerts), oldest first; kept 7 days.
    async fn event_history(&self, actor: &Actor, query: &EventQuery) -> Result<Vec<FleetEvent>>;

    async fn audit(&self, actor: &Actor, after: u64, limit: usize) -> Result<Vec<AuditEntry>>;
    /// Audit entries newest first, filtered (admin).
    async fn audit_newest(&self, actor: &Actor, query: &AuditQuery) -> Result<Vec<AuditEntry>>;
    async fn verify_audit(&self, actor: &Actor) -> Result<AuditVerification>;

    /// The customers' hosts as the last sync found them, mapped onto the customers (viewer).
    async fn instances(&self, actor: &Actor) -> Result<super::InstanceReport>;
    /// Reads the cloud now (every page), stores what it found, and maps it (operator).
    async fn sync_instances(&self, actor: &Actor) -> Result<super::InstanceReport>;
    /// Starts, stops (drained first), reboots or terminates (admin; drained first) the customer's
    /// instance; the instance as the cloud reports it afterwards.
    async fn instance_control(
        &self,
        actor: &Actor,
        id: &str,
        control: super::InstanceControl,
    ) -> Result<crate::instances::Instance>;
    /// Changes the type of the customer's instance: drain, stop, set the type, start (operator).
    async fn resize_instance(
        &self,
        actor: &Actor,
        id: &str,
        instance_type: &str,
    ) -> Result<crate::instances::Instance>;
    /// Launches the customer's host and brings it to a running agent (admin): see
    /// [`super::Onboarding`]. `progress` hears of each step as it is done (a remote console's
    /// steps are heard once it answers).
    async fn onboard(
        &self,
        actor: &Actor,
        request: super::Onboarding,
        progress: super::Progress<'_>,
    ) -> Result<super::OnboardReport>;
    /// The recovery settings: the fleet's and each customer's own (viewer).
    async fn recovery_settings(&self, actor: &Actor) -> Result<super::RecoveryConfig>;
    /// Sets the fleet's recovery settings (`customer` `None`) or a customer's; empty settings
    /// clear them (admin).
    async fn set_recovery_settings(
        &self,
        actor: &Actor,
        customer: Option<&str>,
        settings: crate::instances::RecoverySettings,
    ) -> Result<super::RecoveryConfig>;
    /// How the customer's host is launched (viewer), without its user data (it holds the
    /// host's TLS key).
    async fn launch_spec(&self, actor: &Actor, id: &str) -> Result<crate::instances::LaunchSpec>;
    /// Changes it, keeping the user data recorded at onboarding (admin).
    async fn set_launch_spec(
        &self,
        actor: &Actor,
        id: &str,
        spec: crate::instances::LaunchSpec,
    ) -> Result<crate::instances::LaunchSpec>;
}
