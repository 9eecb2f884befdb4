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
    /// The user or token name recorded in the audit log (`admin`, `token:ci`, `local:alice`).
    pub name: String,
    /// The role that decides what the actor may do.
    pub role: Role,
    /// The transport's request id, recorded with each audit entry to tie it to a request log; empty
    /// when there is none.
    pub request_id: String,
}

impl Actor {
    /// An actor with no request id.
    pub fn new(name: &str, role: Role) -> Actor {
        Actor { name: name.to_owned(), role, request_id: String::new() }
    }
}

/// A customer to add.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NewCustomer {
    /// The customer's id: 1-63 lower-case letters, digits and `-` (`acme-dental`).
    pub id: String,
    /// A display name; the id when empty.
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
    /// The customer's id.
    pub id: String,
    /// The display name.
    pub name: String,
    /// The host agent's base URL (`https://10.0.1.17:8000`).
    pub endpoint: String,
    /// Tags, key to value.
    pub tags: BTreeMap<String, String>,
    /// When the customer was added, in milliseconds since the Unix epoch.
    pub created_at_ms: u64,
    /// The revision last deployed to the host; none before the first deploy.
    pub deployed_revision: Option<u64>,
    /// How the console checks the host's certificate, when not by the system's roots.
    #[serde(default, skip_serializing_if = "crate::transport::HostTrust::is_default")]
    pub trust: crate::transport::HostTrust,
}

/// One customer's status as polled, with the last known one when the host does not answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CustomerStatus {
    /// The customer's id.
    pub customer_id: String,
    /// The display name.
    pub name: String,
    /// Tags, key to value.
    pub tags: BTreeMap<String, String>,
    /// The agent's state, `unreachable`, or `incompatible` (the host agent speaks an API version
    /// this console does not: `error` says which, and nothing it answers is read).
    #[schemars(with = "CustomerState")]
    pub state: String,
    /// Whether the host answered this poll.
    pub reachable: bool,
    /// When the host last answered.
    pub last_seen_ms: Option<u64>,
    /// Why the host did not answer, or what it answered instead; none when it answered.
    pub error: Option<String>,
    /// The last status the host gave (current when reachable).
    pub status: Option<HostStatus>,
    /// The revision last deployed; none before the first deploy.
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
    /// A whole configuration document, validated against the customer's secrets.
    Full {
        /// The whole configuration document.
        #[schemars(with = "crate::config::VoiceAgentConfig")]
        document: Value,
    },
    /// Operations applied in order to a copy of the latest revision's document, validated once at
    /// the end.
    Patch {
        /// The edits, applied in order.
        operations: Vec<PatchOperation>,
    },
}

/// A revision's summary; `document` (secrets redacted) when one revision is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RevisionView {
    /// The customer's id.
    pub customer_id: String,
    /// The revision number, from 1.
    pub number: u64,
    /// `sha256:<hex>` of the document's canonical JSON: equal hashes are equal documents.
    pub hash: String,
    /// Who created it (the actor's name).
    pub author: String,
    /// Why, in the author's words (a rollback names the revision it restores when the author gave
    /// no message).
    pub message: String,
    /// When it was created, in milliseconds since the Unix epoch.
    pub created_at_ms: u64,
    /// Whether it is the revision deployed to the host now.
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
    /// The secret's name (`openai_api_key`).
    pub name: String,
    /// When its value was last set, in milliseconds since the Unix epoch.
    pub updated_at_ms: u64,
}

/// A control action on one agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ControlAction {
    /// Start the agent; answered once it runs (or fails to).
    Start,
    /// Stop it: drain calls up to the timeout, a short grace, then kill what is left.
    Stop,
    /// Stop then start again.
    Restart,
    /// Like stop, but once calls end the agent may take until the timeout to exit on its own.
    Drain,
}

impl ControlAction {
    /// The stable name used by every API (`start`, `stop`, `restart`, `drain`).
    pub fn as_str(self) -> &'static str {
        match self {
            ControlAction::Start => "start",
            ControlAction::Stop => "stop",
            ControlAction::Restart => "restart",
            ControlAction::Drain => "drain",
        }
    }

    /// Parses [`ControlAction::as_str`].
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
        /// The customer.
        customer_id: String,
        /// The state before.
        #[schemars(with = "CustomerState")]
        from: String,
        /// The state now.
        #[schemars(with = "CustomerState")]
        to: String,
        /// When the console noticed, in milliseconds since the Unix epoch.
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
    Alert {
        /// The alert, as it is now.
        alert: AlertRecord,
    },
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
    /// Adds a customer (admin). Invalid input for a malformed id, endpoint, tag or trust; conflict
    /// when the id is taken. The host is not contacted.
    async fn add_customer(&self, actor: &Actor, customer: NewCustomer) -> Result<CustomerView>;
    /// One customer (viewer); not found for an unknown id.
    async fn customer(&self, actor: &Actor, id: &str) -> Result<CustomerView>;
    /// The customers the selector matches (viewer), by id.
    async fn customers(&self, actor: &Actor, selector: &Selector) -> Result<Vec<CustomerView>>;
    /// Adds `key=value` tags and removes the `remove` keys.
    async fn tag_customer(
        &self,
        actor: &Actor,
        id: &str,
        add: Vec<String>,
        remove: Vec<String>,
    ) -> Result<CustomerView>;
    /// Removes a customer with its revisions, secrets, samples and alerts (admin); the host and
    /// its agent are left as they are. Conflict while a bulk run in progress targets it.
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

    /// Stores a new revision of the customer's configuration (admin), without deploying it. Invalid
    /// input (with the issues) when the document does not validate against the customer's secrets.
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
    /// The customer's revisions, newest first, without their documents (viewer).
    async fn revisions(&self, actor: &Actor, id: &str) -> Result<Vec<RevisionView>>;
    /// One revision with its document, secrets redacted (viewer); not found for an unknown number.
    async fn revision(&self, actor: &Actor, id: &str, number: u64) -> Result<RevisionView>;
    /// What changes from revision `from` to revision `to` (viewer).
    async fn diff(&self, actor: &Actor, id: &str, from: u64, to: u64) -> Result<Vec<Change>>;
    /// A new revision equal to `number`.
    async fn rollback(&self, actor: &Actor, id: &str, number: u64, message: &str) -> Result<RevisionView>;
    /// Pushes the revision (latest when `None`) and its secrets to the host.
    async fn deploy(&self, actor: &Actor, id: &str, number: Option<u64>) -> Result<RevisionView>;

    /// Stores secret `name` for the customer, encrypted (admin). The host gets it at the next
    /// deploy. Invalid input for a bad name or a value that is empty or over 64 KiB.
    async fn set_secret(&self, actor: &Actor, id: &str, name: &str, value: &str) -> Result<()>;
    /// The customer's secret names and when each last changed, never values (operator).
    async fn secrets(&self, actor: &Actor, id: &str) -> Result<Vec<SecretInfo>>;
    /// Deletes a stored secret (admin). Not found when it does not exist; conflict while the
    /// deployed revision references it.
    async fn delete_secret(&self, actor: &Actor, id: &str, name: &str) -> Result<()>;
    /// Checks the customer's provider keys live, on its host, against the deployed configuration
    /// (every provider secret it uses, or `only` that one): verdicts, never values.
    async fn check_secrets(&self, actor: &Actor, id: &str, only: Option<&str>) -> Result<Vec<KeyCheck>>;

    /// Starts, stops, restarts or drains the customer's agent on its host (operator) and answers
    /// the host's status once done; `drain_timeout` overrides the configuration's
    /// `runtime.drain_timeout_seconds`. Fails like [`crate::host::Host::start`] and its siblings,
    /// or unavailable when the host does not answer.
    async fn control(
        &self,
        actor: &Actor,
        id: &str,
        action: ControlAction,
        drain_timeout: Option<Duration>,
    ) -> Result<HostStatus>;
    /// Lines of the customer's agent log, read from its host (operator).
    async fn logs(&self, actor: &Actor, id: &str, query: LogQuery) -> Result<Vec<LogLine>>;
    /// A page of the customer's host audit file (admin): who asked each change of that host
    /// (the console, or the host's break-glass token) and each request it refused.
    async fn host_audit(&self, actor: &Actor, id: &str, after: u64, limit: u32) -> Result<HostAuditPage>;
    /// The customer's host's check of its audit file's hash chain (admin).
    async fn verify_host_audit(&self, actor: &Actor, id: &str) -> Result<HostAuditVerification>;
    /// The customer's resource samples between `since_ms` and `until_ms` (milliseconds since the
    /// Unix epoch), oldest first (viewer).
    async fn metrics(
        &self,
        actor: &Actor,
        id: &str,
        since_ms: u64,
        until_ms: u64,
    ) -> Result<Vec<MetricsSample>>;
    /// Open alerts, and with `include_resolved` the resolved ones kept too (viewer).
    async fn alerts(&self, actor: &Actor, include_resolved: bool) -> Result<Vec<AlertRecord>>;

    /// Starts a run (or, with `dry_run`, returns its plan); follow it with [`Fleet::bulk_run`].
    async fn start_bulk(&self, actor: &Actor, spec: BulkSpec) -> Result<BulkRun>;
    /// One bulk run (viewer); not found for an unknown id.
    async fn bulk_run(&self, actor: &Actor, id: &str) -> Result<BulkRun>;
    /// The newest bulk runs, at most `limit` (viewer).
    async fn bulk_runs(&self, actor: &Actor, limit: usize) -> Result<Vec<BulkRun>>;
    /// Cancels a bulk run (operator): targets not started yet are skipped, those in progress
    /// finish. Conflict when it already ended.
    async fn cancel_bulk(&self, actor: &Actor, id: &str) -> Result<BulkRun>;
    /// Progress events of running bulk runs.
    fn bulk_events(&self) -> tokio::sync::broadcast::Receiver<BulkEvent>;
    /// Status changes and alerts, as the console's polling notices them.
    fn fleet_events(&self) -> tokio::sync::broadcast::Receiver<FleetEvent>;
    /// The live events with their ids, for an event stream a subscriber can resume
    /// (`Last-Event-ID`), on any console sharing the store; none for a fleet that keeps no ids
    /// (a remote console: follow its own stream).
    fn live_feed(&self) -> Option<super::feed::EventFeed> {
        None
    }
    /// Past fleet events (state changes with their exits, alerts), oldest first; kept 7 days.
    async fn event_history(&self, actor: &Actor, query: &EventQuery) -> Result<Vec<FleetEvent>>;

    /// Audit entries after sequence number `after`, oldest first, at most `limit` (admin).
    async fn audit(&self, actor: &Actor, after: u64, limit: usize) -> Result<Vec<AuditEntry>>;
    /// Audit entries newest first, filtered (admin).
    async fn audit_newest(&self, actor: &Actor, query: &AuditQuery) -> Result<Vec<AuditEntry>>;
    /// Checks the audit log's hash chain (admin): whether any entry was altered or removed.
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
