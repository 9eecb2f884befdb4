//! The console service: the one place that knows the whole fleet. Customers, configuration
//! revisions, encrypted secrets, fleet status with drift, metrics history, alerts, bulk
//! operations and the audit chain, over two ports: a [`Store`] and a [`HostConnector`].
//!
//! [`Console`] implements the [`Fleet`] trait once, here; each verb's body lives in the module of
//! its concern: `customers.rs`, `revisions.rs`, `secrets.rs`, `control.rs`, `status.rs` (polling
//! and the one status cache), `alerts.rs` (the pure rules and their transitions), `run.rs` (bulk
//! runs) and `access.rs` (role checks and the audit entries).

mod access;
mod accounts;
mod alerts;
pub mod audit;
pub mod bulk;
pub mod checkpoint;
mod control;
mod crypto;
mod customers;
pub mod feed;
mod fleet;
pub mod health;
mod instances;
pub mod keyfile;
mod launch_spec;
pub mod lease;
mod live;
mod location;
pub mod login;
pub mod mfa;
mod onboard;
#[cfg(feature = "sqlite")]
mod open;
mod options;
#[cfg(feature = "postgres")]
mod postgres;
mod rate;
pub mod recover;
mod recovery;
mod recovery_notice;
mod recovery_settings;
pub mod replicas;
mod revisions;
mod run;
mod secrets;
mod selector;
#[cfg(feature = "sqlite")]
mod sqlite;
mod status;
mod store;
mod totp;

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::broadcast;

pub use accounts::{Accounts, MAX_TOKEN_LIFE_MS, TOKEN_PREFIX, TokenRecord, TokenView, UserRecord, UserView};
pub use alerts::{
    AlertNotifier, AlertThresholds, CONSOLE_ALERTS, RuleOutcome, SECURITY_WINDOW_MS, evaluate_rules,
    security_rule, transitions,
};
pub use audit::{AuditEntry, AuditKey, AuditRecord, AuditVerification, CheckpointSummary};
pub use bulk::{BulkAction, BulkEvent, BulkRun, BulkSpec, HealthGate, RunOutcome, TargetResult, TargetState};
pub use checkpoint::{Checkpoint, CheckpointLog};
pub use crypto::{KeySource, SecretBox};
pub use fleet::{
    Actor, AuditQuery, ControlAction, CustomerStatus, CustomerView, EventQuery, Fleet, FleetEvent,
    NewCustomer, RevisionInput, RevisionView, SecretInfo,
};
pub use instances::{InstanceControl, InstanceReport};
pub use live::LiveOptions;
pub use location::{SQLITE_FILE, StoreLocation};
pub use mfa::{MfaEnrollment, MfaPolicy, MfaState};
pub use onboard::{OnboardProgress, OnboardReport, Onboarding, Progress};
#[cfg(feature = "sqlite")]
pub use open::{OpenSqlite, OpenedConsole};
#[cfg(all(feature = "postgres", feature = "sqlite"))]
pub use postgres::MoveReport;
#[cfg(feature = "postgres")]
pub use postgres::PostgresStore;
pub use rate::{Limit, RateControl};
pub use recovery::RecoveryStep;
pub use recovery_settings::RecoveryConfig;
pub use selector::Selector;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;
#[cfg(feature = "sqlite")]
pub(crate) use sqlite::{SCHEMA_VERSION, audit_chain};
// One list of schema versions in two dialects: a migration added to one store needs its twin.
#[cfg(all(feature = "sqlite", feature = "postgres"))]
const _: () = assert!(
    postgres::MIGRATIONS.len() as u32 == SCHEMA_VERSION,
    "sqlite/migrations.rs and postgres/migrations.rs must list the same schema versions"
);
pub use store::{
    AlertRecord, CustomerRecord, IdempotencyClaim, LaunchSpecRecord, RecoverySettingsLevels,
    RecoveryStateRecord, RevisionRecord, SecretRecord, Store,
};

use crate::clock::SharedClock;
use crate::config::Change;
use crate::error::Result;
use crate::host::{Host, HostStatus, LogQuery, MetricsSample};
use crate::host_audit::{HostAuditPage, HostAuditVerification};
use crate::logs::LogLine;

/// How the console reaches a customer's host (an HTTP client with a token for that customer, or
/// an in-process host in tests and benchmarks).
pub trait HostConnector: Send + Sync {
    /// A [`Host`] for the customer's host agent at its endpoint, checked with its trust settings.
    /// Only builds the client: a host that does not answer fails the calls, not this (an error
    /// here is an endpoint or trust that cannot be used).
    fn connect(&self, customer: &CustomerRecord) -> Result<Arc<dyn Host>>;
}

/// Console settings: [`ConsoleOptions::default`], then a setter per field.
#[derive(Clone)]
#[non_exhaustive]
pub struct ConsoleOptions {
    /// Longest wait for one host's status.
    pub host_timeout: Duration,
    /// Hosts polled at once.
    pub status_concurrency: usize,
    /// The thresholds of the `cpu`, `memory`, `error_rate` and `p95_latency` alerts.
    pub thresholds: AlertThresholds,
    /// Where alerts that fire or resolve are sent, besides the store and the fleet events; none:
    /// nowhere else.
    pub notifier: Option<Arc<dyn AlertNotifier>>,
    /// How often a health gate polls a target.
    pub health_poll: Duration,
    /// Where "now" comes from.
    pub clock: SharedClock,
    /// Where signed checkpoints of the audit chain's head go (outside the database); `None`:
    /// none are written or checked.
    pub checkpoints: Option<Arc<CheckpointLog>>,
    /// How instances map onto customers (the agent port of derived endpoints).
    pub instance_mapping: crate::instances::MappingOptions,
    /// How a resize waits for the cloud.
    pub resize: crate::instances::ResizeOptions,
    /// The public key (PEM) the hosts trust for the console's tokens, written into an onboarded
    /// host's user data; `None`: this console cannot onboard.
    pub host_public_key_pem: Option<String>,
    /// A bulk run left in flight by a console that stopped is resumed when its last recorded
    /// step is at most this old; an older one ends `interrupted` (the operator decides).
    pub resume_within: Duration,
}

impl std::fmt::Debug for ConsoleOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsoleOptions").field("host_timeout", &self.host_timeout).finish_non_exhaustive()
    }
}

impl Default for ConsoleOptions {
    fn default() -> Self {
        Self {
            host_timeout: Duration::from_secs(3),
            status_concurrency: 1024,
            thresholds: AlertThresholds::default(),
            notifier: None,
            health_poll: Duration::from_millis(250),
            clock: crate::clock::system(),
            checkpoints: None,
            instance_mapping: crate::instances::MappingOptions::default(),
            resize: crate::instances::ResizeOptions::default(),
            host_public_key_pem: None,
            resume_within: Duration::from_secs(3600),
        }
    }
}

/// A bulk run in progress: its cancel flag, its targets and its task (none until spawned).
struct RunHandle {
    cancel: Arc<AtomicBool>,
    targets: BTreeSet<String>,
    task: Option<tokio::task::AbortHandle>,
}

/// The in-process fleet service.
pub struct Console {
    store: Arc<dyn Store>,
    hosts: Arc<dyn HostConnector>,
    secrets: SecretBox,
    options: ConsoleOptions,
    /// What the console last knew of each customer's status (polls and the live path).
    statuses: status::StatusCache,
    runs: Mutex<HashMap<String, RunHandle>>,
    /// Where bulk runs send their progress (into `feed`).
    bulk_events: feed::BulkEvents,
    /// Live events, with ids, shared with the other consoles on the store.
    feed: feed::EventFeed,
    /// A refresh (poll, samples, alert rules) has run in this process: without a server's
    /// refresher (the CLI's embedded console) alerts are evaluated when asked for.
    refreshed: std::sync::atomic::AtomicBool,
    /// When a refresh last pruned old samples (ms since the epoch).
    last_prune_ms: std::sync::atomic::AtomicU64,
    /// The cloud that runs the customers' hosts, when the console was given one.
    instance_provider: std::sync::OnceLock<Arc<dyn crate::instances::InstanceProvider>>,
    /// When hosts stopped answering and when each was last recovered.
    recovery: recovery::RecoveryMemory,
    /// The lease that says whether this console runs the once-only work (bulk runs included);
    /// unset: always (a console alone on its store).
    lease: std::sync::OnceLock<lease::Lease>,
    me: std::sync::Weak<Console>,
}

impl std::fmt::Debug for Console {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Console").finish_non_exhaustive()
    }
}

impl Console {
    /// A console over `store`, reaching hosts through `hosts`, with customer secrets sealed by
    /// `secrets`. Starts no task: polling, live events and checkpoints run when the embedder
    /// starts them ([`Console::spawn_refresher`], [`Console::spawn_live`],
    /// [`Console::spawn_checkpointer`]); without them each call reads the hosts itself.
    pub fn new(
        store: Arc<dyn Store>,
        hosts: Arc<dyn HostConnector>,
        secrets: SecretBox,
        options: ConsoleOptions,
    ) -> Arc<Self> {
        let feed = feed::EventFeed::new();
        Arc::new_cyclic(|me| Self {
            store,
            hosts,
            secrets,
            options,
            statuses: status::StatusCache::default(),
            runs: Mutex::new(HashMap::new()),
            bulk_events: feed::BulkEvents::new(feed.clone()),
            feed,
            refreshed: std::sync::atomic::AtomicBool::new(false),
            last_prune_ms: std::sync::atomic::AtomicU64::new(0),
            instance_provider: std::sync::OnceLock::new(),
            recovery: recovery::RecoveryMemory::default(),
            lease: std::sync::OnceLock::new(),
            me: me.clone(),
        })
    }

    /// The store the console keeps its data in.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Runs bulk runs only while `lease` is held (one of several replicas on one store); set once,
    /// before serving. A console without one runs every run it starts.
    pub fn set_lease(&self, lease: lease::Lease) {
        let _ = self.lease.set(lease);
    }

    /// Whether this console runs the once-only work now (see [`lease`]).
    pub fn owns_work(&self) -> bool {
        self.lease.get().is_none_or(lease::Lease::is_held)
    }

    /// One recovery pass (operator): polls every host, and for each that has not answered for
    /// the policy's `unreachable_after` acts as the policy says, at most once per window.
    pub async fn recover_instances(
        &self,
        actor: &Actor,
        policy: &crate::instances::RecoveryPolicy,
    ) -> Result<Vec<RecoveryStep>> {
        recovery::pass(self, actor, &|_| *policy).await
    }
}

#[async_trait::async_trait]
impl Fleet for Console {
    async fn add_customer(&self, actor: &Actor, customer: NewCustomer) -> Result<CustomerView> {
        customers::add(self, actor, customer).await
    }

    async fn customer(&self, actor: &Actor, id: &str) -> Result<CustomerView> {
        customers::show(self, actor, id).await
    }

    async fn customers(&self, actor: &Actor, selector: &Selector) -> Result<Vec<CustomerView>> {
        customers::list(self, actor, selector).await
    }

    async fn tag_customer(
        &self,
        actor: &Actor,
        id: &str,
        add: Vec<String>,
        remove: Vec<String>,
    ) -> Result<CustomerView> {
        customers::tag(self, actor, id, add, remove).await
    }

    async fn remove_customer(&self, actor: &Actor, id: &str) -> Result<()> {
        customers::remove(self, actor, id).await
    }

    async fn status(&self, actor: &Actor, selector: &Selector) -> Result<Vec<CustomerStatus>> {
        status::polled(self, actor, selector).await
    }

    async fn status_cached(
        &self,
        actor: &Actor,
        selector: &Selector,
        max_age: Duration,
    ) -> Result<Vec<CustomerStatus>> {
        status::cached_or_polled(self, actor, selector, max_age).await
    }

    async fn create_revision(
        &self,
        actor: &Actor,
        id: &str,
        input: RevisionInput,
        message: &str,
    ) -> Result<RevisionView> {
        self.new_revision(actor, id, None, input, message).await
    }

    async fn create_revision_on(
        &self,
        actor: &Actor,
        id: &str,
        parent: Option<u64>,
        input: RevisionInput,
        message: &str,
    ) -> Result<RevisionView> {
        self.new_revision(actor, id, Some(parent.unwrap_or(0)), input, message).await
    }

    async fn revisions(&self, actor: &Actor, id: &str) -> Result<Vec<RevisionView>> {
        revisions::list(self, actor, id).await
    }

    async fn revision(&self, actor: &Actor, id: &str, number: u64) -> Result<RevisionView> {
        revisions::show(self, actor, id, number).await
    }

    async fn diff(&self, actor: &Actor, id: &str, from: u64, to: u64) -> Result<Vec<Change>> {
        revisions::diff(self, actor, id, from, to).await
    }

    async fn rollback(&self, actor: &Actor, id: &str, number: u64, message: &str) -> Result<RevisionView> {
        revisions::rollback(self, actor, id, number, message).await
    }

    async fn deploy(&self, actor: &Actor, id: &str, number: Option<u64>) -> Result<RevisionView> {
        revisions::deploy(self, actor, id, number).await
    }

    async fn set_secret(&self, actor: &Actor, id: &str, name: &str, value: &str) -> Result<()> {
        secrets::set(self, actor, id, name, value).await
    }

    async fn secrets(&self, actor: &Actor, id: &str) -> Result<Vec<SecretInfo>> {
        secrets::list(self, actor, id).await
    }

    async fn delete_secret(&self, actor: &Actor, id: &str, name: &str) -> Result<()> {
        secrets::delete(self, actor, id, name).await
    }

    async fn check_secrets(
        &self,
        actor: &Actor,
        id: &str,
        only: Option<&str>,
    ) -> Result<Vec<crate::keycheck::KeyCheck>> {
        secrets::check(self, actor, id, only).await
    }

    async fn control(
        &self,
        actor: &Actor,
        id: &str,
        action: ControlAction,
        drain_timeout: Option<Duration>,
    ) -> Result<HostStatus> {
        control::control(self, actor, id, action, drain_timeout).await
    }

    async fn logs(&self, actor: &Actor, id: &str, query: LogQuery) -> Result<Vec<LogLine>> {
        control::logs(self, actor, id, query).await
    }

    async fn host_audit(&self, actor: &Actor, id: &str, after: u64, limit: u32) -> Result<HostAuditPage> {
        control::host_audit(self, actor, id, after, limit).await
    }

    async fn verify_host_audit(&self, actor: &Actor, id: &str) -> Result<HostAuditVerification> {
        control::verify_host_audit(self, actor, id).await
    }

    async fn metrics(
        &self,
        actor: &Actor,
        id: &str,
        since_ms: u64,
        until_ms: u64,
    ) -> Result<Vec<MetricsSample>> {
        status::metrics(self, actor, id, since_ms, until_ms).await
    }

    async fn alerts(&self, actor: &Actor, include_resolved: bool) -> Result<Vec<AlertRecord>> {
        alerts::list(self, actor, include_resolved).await
    }

    async fn start_bulk(&self, actor: &Actor, spec: BulkSpec) -> Result<BulkRun> {
        run::start(self, actor, spec).await
    }

    async fn bulk_run(&self, actor: &Actor, id: &str) -> Result<BulkRun> {
        run::show(self, actor, id).await
    }

    async fn bulk_runs(&self, actor: &Actor, limit: usize) -> Result<Vec<BulkRun>> {
        run::list(self, actor, limit).await
    }

    async fn cancel_bulk(&self, actor: &Actor, id: &str) -> Result<BulkRun> {
        run::cancel(self, actor, id).await
    }

    fn bulk_events(&self) -> broadcast::Receiver<BulkEvent> {
        self.feed.bulk_events()
    }

    fn fleet_events(&self) -> broadcast::Receiver<FleetEvent> {
        self.feed.fleet_events()
    }

    fn live_feed(&self) -> Option<feed::EventFeed> {
        Some(self.feed.clone())
    }

    async fn event_history(&self, actor: &Actor, query: &EventQuery) -> Result<Vec<FleetEvent>> {
        status::history(self, actor, query).await
    }

    async fn audit(&self, actor: &Actor, after: u64, limit: usize) -> Result<Vec<AuditEntry>> {
        access::list(self, actor, after, limit).await
    }

    async fn audit_newest(&self, actor: &Actor, query: &AuditQuery) -> Result<Vec<AuditEntry>> {
        access::newest(self, actor, query).await
    }

    async fn verify_audit(&self, actor: &Actor) -> Result<AuditVerification> {
        access::verify(self, actor).await
    }

    async fn instances(&self, actor: &Actor) -> Result<InstanceReport> {
        instances::list(self, actor).await
    }

    async fn sync_instances(&self, actor: &Actor) -> Result<InstanceReport> {
        instances::sync(self, actor).await
    }

    async fn instance_control(
        &self,
        actor: &Actor,
        id: &str,
        control: InstanceControl,
    ) -> Result<crate::instances::Instance> {
        instances::control(self, actor, id, control).await
    }

    async fn resize_instance(
        &self,
        actor: &Actor,
        id: &str,
        instance_type: &str,
    ) -> Result<crate::instances::Instance> {
        instances::resize_instance(self, actor, id, instance_type).await
    }

    async fn onboard(
        &self,
        actor: &Actor,
        request: Onboarding,
        progress: Progress<'_>,
    ) -> Result<OnboardReport> {
        onboard::onboard(self, actor, request, progress).await
    }

    async fn recovery_settings(&self, actor: &Actor) -> Result<RecoveryConfig> {
        recovery_settings::settings(self, actor).await
    }

    async fn set_recovery_settings(
        &self,
        actor: &Actor,
        customer: Option<&str>,
        settings: crate::instances::RecoverySettings,
    ) -> Result<RecoveryConfig> {
        recovery_settings::set_settings(self, actor, customer, settings).await
    }

    async fn launch_spec(&self, actor: &Actor, id: &str) -> Result<crate::instances::LaunchSpec> {
        launch_spec::show(self, actor, id).await
    }

    async fn set_launch_spec(
        &self,
        actor: &Actor,
        id: &str,
        spec: crate::instances::LaunchSpec,
    ) -> Result<crate::instances::LaunchSpec> {
        launch_spec::set(self, actor, id, spec).await
    }
}
