//! The console service: the one place that knows the whole fleet. Customers, configuration
//! revisions, encrypted secrets, fleet status with drift, metrics history, alerts, bulk
//! operations and the audit chain, over two ports: a [`Store`] and a [`HostConnector`].

mod accounts;
pub mod audit;
pub mod bulk;
mod crypto;
mod fleet;
mod live;
mod rate;
mod selector;
#[cfg(feature = "sqlite")]
mod sqlite;
mod store;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt as _;
use tokio::sync::broadcast;

pub use accounts::{
    Accounts, LOCKOUT_MS, MAX_FAILED_LOGINS, TOKEN_PREFIX, TokenRecord, TokenView, UserRecord, UserView,
};
pub use audit::{AuditEntry, AuditRecord, AuditVerification};
pub use bulk::{BulkAction, BulkEvent, BulkRun, BulkSpec, HealthGate, RunOutcome, TargetResult, TargetState};
pub use crypto::{KeySource, SecretBox};
pub use fleet::{
    Actor, ControlAction, CustomerStatus, CustomerView, Fleet, FleetEvent, NewCustomer, RevisionInput,
    RevisionView, SecretInfo,
};
pub use live::LiveOptions;
pub use rate::{Limit, RateControl};
pub use selector::Selector;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;
pub use store::{AlertRecord, CustomerRecord, RevisionRecord, SecretRecord, Store};

use crate::auth::Role;
use crate::clock::SharedClock;
use crate::config::{ConfigDocument, ValidateOptions};
use crate::customer::{CustomerId, parse_endpoint, parse_tag};
use crate::error::{Error, ErrorKind, Result};
use crate::host::{Host, HostStatus, LogQuery, MetricsSample, RevisionMeta, StopOptions};
use crate::lifecycle::ProcessState;
use crate::logs::LogLine;

/// How the console reaches a customer's host (an HTTP client with a token for that customer, or
/// an in-process host in tests and benchmarks).
pub trait HostConnector: Send + Sync {
    fn connect(&self, customer: &CustomerRecord) -> Result<Arc<dyn Host>>;
}

/// Alert thresholds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AlertThresholds {
    pub cpu_percent: f64,
    pub rss_bytes: u64,
    pub error_rate: f64,
    pub p95_ms: f64,
}

impl Default for AlertThresholds {
    fn default() -> Self {
        Self { cpu_percent: 90.0, rss_bytes: 2 * 1024 * 1024 * 1024, error_rate: 0.05, p95_ms: 2000.0 }
    }
}

/// Where alerts go (a webhook with retries, in the HTTP crate).
#[async_trait::async_trait]
pub trait AlertNotifier: Send + Sync {
    async fn notify(&self, alert: &AlertRecord);
}

/// Console settings.
#[derive(Clone)]
pub struct ConsoleOptions {
    /// Longest wait for one host's status.
    pub host_timeout: Duration,
    /// Hosts polled at once.
    pub status_concurrency: usize,
    pub thresholds: AlertThresholds,
    pub notifier: Option<Arc<dyn AlertNotifier>>,
    /// How often a health gate polls a target.
    pub health_poll: Duration,
    /// Where "now" comes from.
    pub clock: SharedClock,
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
        }
    }
}

#[derive(Debug, Clone)]
struct Cached {
    status: HostStatus,
    at_ms: u64,
}

struct RunHandle {
    cancel: Arc<AtomicBool>,
    targets: BTreeSet<String>,
}

/// The in-process fleet service.
pub struct Console {
    store: Arc<dyn Store>,
    hosts: Arc<dyn HostConnector>,
    secrets: SecretBox,
    options: ConsoleOptions,
    cache: Mutex<HashMap<String, Cached>>,
    runs: Mutex<HashMap<String, RunHandle>>,
    bulk_events: broadcast::Sender<BulkEvent>,
    fleet_events: broadcast::Sender<FleetEvent>,
    last_states: Mutex<HashMap<String, String>>,
    /// The last polled view of each customer, reachable or not, and when.
    last_views: Mutex<HashMap<String, (std::time::Instant, CustomerStatus)>>,
    me: std::sync::Weak<Console>,
}

impl std::fmt::Debug for Console {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Console").finish_non_exhaustive()
    }
}

fn not_found(what: String) -> Error {
    Error::Remote { kind: ErrorKind::NotFound, message: what, hint: None, issues: Vec::new() }
}

fn forbidden(actor: &Actor, needed: Role) -> Error {
    Error::Remote {
        kind: ErrorKind::Forbidden,
        message: format!("this needs the {needed} role; {} has {}", actor.name, actor.role),
        hint: None,
        issues: Vec::new(),
    }
}

fn view(record: CustomerRecord) -> CustomerView {
    CustomerView {
        id: record.id,
        name: record.name,
        endpoint: record.endpoint,
        tags: record.tags,
        created_at_ms: record.created_at_ms,
        deployed_revision: record.deployed_revision,
    }
}

fn revision_view(record: RevisionRecord, deployed: Option<u64>, with_document: bool) -> Result<RevisionView> {
    let document =
        if with_document { Some(ConfigDocument::parse(&record.document)?.redacted()) } else { None };
    Ok(RevisionView {
        deployed: deployed == Some(record.number),
        customer_id: record.customer_id,
        number: record.number,
        hash: record.hash,
        author: record.author,
        message: record.message,
        created_at_ms: record.created_at_ms,
        document,
    })
}

impl Console {
    pub fn new(
        store: Arc<dyn Store>,
        hosts: Arc<dyn HostConnector>,
        secrets: SecretBox,
        options: ConsoleOptions,
    ) -> Arc<Self> {
        let (bulk_events, _) = broadcast::channel(4096);
        let (fleet_events, _) = broadcast::channel(4096);
        Arc::new_cyclic(|me| Self {
            store,
            hosts,
            secrets,
            options,
            cache: Mutex::new(HashMap::new()),
            runs: Mutex::new(HashMap::new()),
            bulk_events,
            fleet_events,
            last_states: Mutex::new(HashMap::new()),
            last_views: Mutex::new(HashMap::new()),
            me: me.clone(),
        })
    }

    /// Refreshes status, samples and alerts every `interval` until the console is dropped.
    pub fn spawn_refresher(self: &Arc<Self>, interval: Duration) -> tokio::task::JoinHandle<()> {
        let me = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                let Some(console) = me.upgrade() else { return };
                let _ = console.refresh().await;
            }
        })
    }

    /// One customer's last polled status and when, without polling.
    pub fn cached_status(&self, id: &str) -> Option<(HostStatus, u64)> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner()).get(id).map(|c| (c.status.clone(), c.at_ms))
    }

    /// Every customer's last polled status, without polling.
    pub fn cached_statuses(&self) -> Vec<(String, HostStatus)> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        let mut statuses: Vec<(String, HostStatus)> =
            cache.iter().map(|(id, c)| (id.clone(), c.status.clone())).collect();
        statuses.sort_by(|a, b| a.0.cmp(&b.0));
        statuses
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// A new revision; with `parent`, only while the latest revision is still that one (0: none).
    async fn new_revision(
        &self,
        actor: &Actor,
        id: &str,
        parent: Option<u64>,
        input: RevisionInput,
        message: &str,
    ) -> Result<RevisionView> {
        self.require(actor, Role::Admin, "config.revision", id).await?;
        let record = self.record(id).await?;
        let options = ValidateOptions { secret_names: Some(self.secret_names(id).await?) };
        let document = match input {
            RevisionInput::Full { document } => {
                let document = ConfigDocument::from_value(document)?;
                document.validate_with(&options).into_result()?;
                document
            }
            RevisionInput::Patch { operations } => {
                let latest = self.latest_revision(id).await?.ok_or_else(|| {
                    Error::conflict(
                        format!("`{id}` has no revision to patch"),
                        Some("create one from a full document first"),
                    )
                })?;
                let mut document = ConfigDocument::parse(&latest.document)?;
                document.apply_operations(&operations, &options)?;
                document.validate_with(&options).into_result()?;
                document
            }
        };
        let revision = RevisionRecord {
            customer_id: id.to_owned(),
            document: document.to_json_pretty(),
            hash: document.content_hash(),
            author: actor.name.clone(),
            message: message.to_owned(),
            created_at_ms: self.options.clock.now_ms(),
            // The next number after the parent the caller saw, checked by the store; 0: the next.
            number: parent.map_or(0, |parent| parent + 1),
        };
        let number = self
            .store
            .insert_revision(revision.clone(), self.audit_record(actor, "config.revision", id))
            .await?;
        revision_view(RevisionRecord { number, ..revision }, record.deployed_revision, false)
    }

    fn audit_record(&self, actor: &Actor, action: &str, target: &str) -> AuditRecord {
        AuditRecord {
            actor: actor.name.clone(),
            action: action.to_owned(),
            target: target.to_owned(),
            request_id: actor.request_id.clone(),
            outcome: "ok".to_owned(),
            at_ms: self.options.clock.now_ms(),
        }
    }

    /// Refuses (and audits the refusal of) a caller below `needed`.
    async fn require(&self, actor: &Actor, needed: Role, action: &str, target: &str) -> Result<()> {
        if actor.role.allows(needed) {
            return Ok(());
        }
        let mut record = self.audit_record(actor, action, target);
        record.outcome = "denied".to_owned();
        let _ = self.store.append_audit(record).await;
        Err(forbidden(actor, needed))
    }

    async fn audit_outcome<T>(&self, actor: &Actor, action: &str, target: &str, result: &Result<T>) {
        let mut record = self.audit_record(actor, action, target);
        if let Err(error) = result {
            record.outcome = format!("failed: {}", error.kind().as_str());
        }
        let _ = self.store.append_audit(record).await;
    }

    async fn record(&self, id: &str) -> Result<CustomerRecord> {
        self.store.customer(id).await?.ok_or_else(|| not_found(format!("customer `{id}` does not exist")))
    }

    async fn latest_revision(&self, id: &str) -> Result<Option<RevisionRecord>> {
        Ok(self.store.revisions(id).await?.into_iter().next())
    }

    async fn secret_names(&self, id: &str) -> Result<BTreeSet<String>> {
        Ok(self.store.secrets(id).await?.into_iter().map(|s| s.name).collect())
    }

    fn host(&self, record: &CustomerRecord) -> Result<Arc<dyn Host>> {
        self.hosts.connect(record)
    }

    /// Polls one host within the timeout; updates the cache.
    async fn poll(
        &self,
        record: &CustomerRecord,
        deployed_hashes: &HashMap<(String, u64), String>,
    ) -> CustomerStatus {
        let outcome = match self.host(record) {
            Ok(host) => match tokio::time::timeout(self.options.host_timeout, host.status()).await {
                Ok(Ok(status)) => Ok(status),
                Ok(Err(error)) => Err(error.to_string()),
                Err(_) => Err(format!("no answer within {:?}", self.options.host_timeout)),
            },
            Err(error) => Err(error.to_string()),
        };
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        let (status, reachable, error, last_seen) = match outcome {
            Ok(status) => {
                let at = self.options.clock.now_ms();
                cache.insert(record.id.clone(), Cached { status: status.clone(), at_ms: at });
                (Some(status), true, None, Some(at))
            }
            Err(error) => {
                let cached = cache.get(&record.id).cloned();
                (cached.as_ref().map(|c| c.status.clone()), false, Some(error), cached.map(|c| c.at_ms))
            }
        };
        drop(cache);
        let running_revision = status.as_ref().and_then(|s| s.config.as_ref()).map(|c| c.revision);
        let running_hash = status.as_ref().and_then(|s| s.config.as_ref()).map(|c| c.hash.clone());
        let deployed_hash =
            record.deployed_revision.and_then(|n| deployed_hashes.get(&(record.id.clone(), n)).cloned());
        let drift = reachable && deployed_hash.is_some() && running_hash != deployed_hash;
        CustomerStatus {
            customer_id: record.id.clone(),
            name: record.name.clone(),
            tags: record.tags.clone(),
            state: if reachable {
                status.as_ref().map(|s| s.state.as_str().to_owned()).unwrap_or_default()
            } else {
                "unreachable".to_owned()
            },
            reachable,
            last_seen_ms: last_seen,
            error,
            status,
            deployed_revision: record.deployed_revision,
            running_revision,
            drift,
        }
    }

    /// Polls every selected host concurrently, records metric samples and evaluates alerts.
    pub async fn poll_fleet(&self, selector: &Selector) -> Result<Vec<CustomerStatus>> {
        let records: Vec<CustomerRecord> =
            self.store.customers().await?.into_iter().filter(|c| selector.matches(&c.id, &c.tags)).collect();
        let mut hashes = HashMap::new();
        for record in &records {
            if let Some(number) = record.deployed_revision {
                if let Some(revision) = self.store.revision(&record.id, number).await? {
                    hashes.insert((record.id.clone(), number), revision.hash);
                }
            }
        }
        let polls: Vec<_> = records.iter().map(|record| Box::pin(self.poll(record, &hashes))).collect();
        let mut statuses: Vec<CustomerStatus> = futures_util::stream::iter(polls)
            .buffer_unordered(self.options.status_concurrency.max(1))
            .collect()
            .await;
        statuses.sort_by(|a, b| a.customer_id.cmp(&b.customer_id));
        let now = std::time::Instant::now();
        let mut views = self.last_views.lock().unwrap_or_else(|p| p.into_inner());
        for status in &statuses {
            views.insert(status.customer_id.clone(), (now, status.clone()));
        }
        Ok(statuses)
    }

    /// The fleet's status from the last poll when every selected customer was polled less than
    /// `max_age` ago (the background refresh keeps it fresh); else a poll now. For dashboards that
    /// ask often: many readers cost the hosts nothing more.
    async fn cached_or_polled(
        &self,
        actor: &Actor,
        selector: &Selector,
        max_age: Duration,
    ) -> Result<Vec<CustomerStatus>> {
        self.require(actor, Role::Viewer, "status", "").await?;
        let records: Vec<CustomerRecord> =
            self.store.customers().await?.into_iter().filter(|c| selector.matches(&c.id, &c.tags)).collect();
        let cached: Option<Vec<CustomerStatus>> = {
            let views = self.last_views.lock().unwrap_or_else(|p| p.into_inner());
            records
                .iter()
                .map(|record| {
                    let (at, view) = views.get(&record.id)?;
                    // A deploy since the poll changes what counts as drift: poll again.
                    (at.elapsed() < max_age && view.deployed_revision == record.deployed_revision)
                        .then(|| view.clone())
                })
                .collect()
        };
        match cached {
            Some(statuses) => Ok(statuses),
            None => self.poll_fleet(selector).await,
        }
    }

    /// One background pass: poll all, store samples, update alerts. Call it periodically.
    pub async fn refresh(&self) -> Result<Vec<CustomerStatus>> {
        let statuses = self.poll_fleet(&Selector::All).await?;
        {
            let mut last = self.last_states.lock().unwrap_or_else(|p| p.into_inner());
            for status in &statuses {
                let previous = last.insert(status.customer_id.clone(), status.state.clone());
                if previous.as_ref().is_some_and(|p| *p != status.state) || previous.is_none() {
                    let _ = self.fleet_events.send(FleetEvent::StatusChanged {
                        customer_id: status.customer_id.clone(),
                        from: previous.unwrap_or_default(),
                        to: status.state.clone(),
                        at_ms: self.options.clock.now_ms(),
                        exit: status.status.as_ref().and_then(|s| s.last_exit),
                        restarts: status.status.as_ref().map(|s| s.restarts),
                        pid: status.status.as_ref().and_then(|s| s.pid),
                    });
                }
            }
        }
        for status in &statuses {
            if let (true, Some(host)) = (status.reachable, &status.status) {
                if let Some(mut sample) = host.resources {
                    sample.active_calls = host.calls.active_calls;
                    self.store.insert_samples(&status.customer_id, &[sample]).await?;
                }
            }
            self.evaluate_alerts(status).await?;
        }
        self.store.prune_samples(self.options.clock.now_ms()).await?;
        Ok(statuses)
    }

    async fn evaluate_alerts(&self, status: &CustomerStatus) -> Result<()> {
        let thresholds = self.options.thresholds;
        let host = status.status.as_ref();
        let state = host.map(|h| h.state);
        let mut rules: Vec<(&str, bool, String)> = vec![
            (
                "unreachable",
                !status.reachable,
                format!("host does not answer: {}", status.error.clone().unwrap_or_default()),
            ),
            (
                "agent_down",
                status.reachable && matches!(state, Some(ProcessState::Exited | ProcessState::Backoff)),
                format!("the voice agent is {}", state.map(|s| s.as_str()).unwrap_or("?")),
            ),
            (
                "crash_loop",
                status.reachable && state == Some(ProcessState::CrashLoop),
                match host.and_then(|h| h.last_error.as_deref()) {
                    Some(error) => format!("the voice agent is crash-looping: {error}"),
                    None => "the voice agent is crash-looping".to_owned(),
                },
            ),
        ];
        if let Some(host) = host.filter(|_| status.reachable) {
            let resources = host.resources.unwrap_or_default();
            rules.push((
                "cpu",
                resources.cpu_percent > thresholds.cpu_percent,
                format!("CPU {:.0} % over {:.0} %", resources.cpu_percent, thresholds.cpu_percent),
            ));
            rules.push((
                "memory",
                resources.rss_bytes > thresholds.rss_bytes,
                format!("RSS {} MiB over {} MiB", resources.rss_bytes >> 20, thresholds.rss_bytes >> 20),
            ));
            rules.push((
                "error_rate",
                host.calls.error_rate_5m > thresholds.error_rate,
                format!("error rate {:.3} over {:.3}", host.calls.error_rate_5m, thresholds.error_rate),
            ));
            let p95 = host.calls.latency_5m.e2e_ms.map(|p| p.p95).unwrap_or(0.0);
            rules.push((
                "p95_latency",
                p95 > thresholds.p95_ms,
                format!("p95 turn latency {p95:.0} ms over {:.0} ms", thresholds.p95_ms),
            ));
        }
        let existing: HashMap<String, AlertRecord> = self
            .store
            .alerts(true)
            .await?
            .into_iter()
            .filter(|a| a.customer_id == status.customer_id)
            .map(|a| (a.rule.clone(), a))
            .collect();
        for (rule, firing, message) in rules {
            let previous = existing.get(rule);
            let changed = match previous {
                Some(previous) => previous.firing != firing,
                None => firing,
            };
            if !changed {
                continue;
            }
            let now = self.options.clock.now_ms();
            let alert = if firing {
                AlertRecord {
                    customer_id: status.customer_id.clone(),
                    rule: rule.to_owned(),
                    firing,
                    message,
                    since_ms: now,
                    resolved_at_ms: None,
                }
            } else {
                let mut resolved = previous.cloned().expect("changed to resolved means it fired");
                resolved.firing = false;
                resolved.resolved_at_ms = Some(now);
                resolved
            };
            self.store.upsert_alert(alert.clone()).await?;
            let _ = self.fleet_events.send(FleetEvent::Alert { alert: alert.clone() });
            if let Some(notifier) = self.options.notifier.clone() {
                // Off the polling path: a slow webhook must not delay the next status pass.
                let alert = alert.clone();
                tokio::spawn(async move { notifier.notify(&alert).await });
            }
        }
        Ok(())
    }

    async fn deploy_record(
        &self,
        actor: &Actor,
        record: &CustomerRecord,
        revision: &RevisionRecord,
    ) -> Result<()> {
        let host = self.host(record)?;
        let document = ConfigDocument::parse(&revision.document)?;
        for name in document.secret_references() {
            let secret = self.store.secret(&record.id, &name).await?.ok_or_else(|| {
                Error::conflict(
                    format!(
                        "revision {} references secret `{name}`, which `{}` does not have",
                        revision.number, record.id
                    ),
                    Some("set the secret first"),
                )
            })?;
            let value = self.secrets.open(&record.id, &name, &secret.nonce, &secret.ciphertext)?;
            host.set_secret(&name, &value).await?;
        }
        let meta = RevisionMeta {
            revision: Some(revision.number),
            author: actor.name.clone(),
            message: revision.message.clone(),
        };
        host.apply_config(document, meta).await?;
        let mut updated = record.clone();
        updated.deployed_revision = Some(revision.number);
        self.store
            .update_customer(
                updated,
                self.audit_record(actor, "config.deploy", &format!("{}#{}", record.id, revision.number)),
            )
            .await
    }

    fn targets_in_runs(&self) -> BTreeSet<String> {
        let runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
        runs.values().flat_map(|run| run.targets.iter().cloned()).collect()
    }
}

#[async_trait::async_trait]
impl Fleet for Console {
    async fn add_customer(&self, actor: &Actor, customer: NewCustomer) -> Result<CustomerView> {
        self.require(actor, Role::Admin, "customer.add", &customer.id).await?;
        let id = CustomerId::parse(&customer.id)?;
        let endpoint = parse_endpoint(&customer.endpoint)?;
        let tags = customer.tags.iter().map(|t| parse_tag(t)).collect::<Result<BTreeMap<_, _>>>()?;
        let name =
            if customer.name.trim().is_empty() { id.to_string() } else { customer.name.trim().to_owned() };
        let record = CustomerRecord {
            id: id.to_string(),
            name,
            endpoint: endpoint.to_string(),
            tags,
            created_at_ms: self.options.clock.now_ms(),
            deployed_revision: None,
        };
        self.store
            .insert_customer(record.clone(), self.audit_record(actor, "customer.add", id.as_str()))
            .await?;
        Ok(view(record))
    }

    async fn customer(&self, actor: &Actor, id: &str) -> Result<CustomerView> {
        self.require(actor, Role::Viewer, "customer.show", id).await?;
        self.record(id).await.map(view)
    }

    async fn customers(&self, actor: &Actor, selector: &Selector) -> Result<Vec<CustomerView>> {
        self.require(actor, Role::Viewer, "customer.list", "").await?;
        Ok(self
            .store
            .customers()
            .await?
            .into_iter()
            .filter(|c| selector.matches(&c.id, &c.tags))
            .map(view)
            .collect())
    }

    async fn tag_customer(
        &self,
        actor: &Actor,
        id: &str,
        add: Vec<String>,
        remove: Vec<String>,
    ) -> Result<CustomerView> {
        self.require(actor, Role::Admin, "customer.tag", id).await?;
        let mut record = self.record(id).await?;
        for key in &remove {
            record.tags.remove(key);
        }
        for tag in &add {
            let (key, value) = parse_tag(tag)?;
            record.tags.insert(key, value);
        }
        self.store.update_customer(record.clone(), self.audit_record(actor, "customer.tag", id)).await?;
        Ok(view(record))
    }

    async fn remove_customer(&self, actor: &Actor, id: &str) -> Result<()> {
        self.require(actor, Role::Admin, "customer.remove", id).await?;
        self.record(id).await?;
        if self.targets_in_runs().contains(id) {
            return Err(Error::conflict(
                format!("customer `{id}` is a target of a bulk run in progress"),
                Some("wait for the run to finish, or cancel it"),
            ));
        }
        self.store.delete_customer(id, self.audit_record(actor, "customer.remove", id)).await?;
        self.cache.lock().unwrap_or_else(|p| p.into_inner()).remove(id);
        Ok(())
    }

    async fn status(&self, actor: &Actor, selector: &Selector) -> Result<Vec<CustomerStatus>> {
        self.require(actor, Role::Viewer, "status", "").await?;
        self.poll_fleet(selector).await
    }

    async fn status_cached(
        &self,
        actor: &Actor,
        selector: &Selector,
        max_age: Duration,
    ) -> Result<Vec<CustomerStatus>> {
        self.cached_or_polled(actor, selector, max_age).await
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
        self.require(actor, Role::Viewer, "config.history", id).await?;
        let record = self.record(id).await?;
        self.store
            .revisions(id)
            .await?
            .into_iter()
            .map(|r| revision_view(r, record.deployed_revision, false))
            .collect()
    }

    async fn revision(&self, actor: &Actor, id: &str, number: u64) -> Result<RevisionView> {
        self.require(actor, Role::Viewer, "config.show", id).await?;
        let record = self.record(id).await?;
        let revision = self
            .store
            .revision(id, number)
            .await?
            .ok_or_else(|| not_found(format!("`{id}` has no revision {number}")))?;
        revision_view(revision, record.deployed_revision, true)
    }

    async fn diff(&self, actor: &Actor, id: &str, from: u64, to: u64) -> Result<Vec<crate::config::Change>> {
        self.require(actor, Role::Viewer, "config.diff", id).await?;
        let load = |number: u64| async move {
            let revision = self
                .store
                .revision(id, number)
                .await?
                .ok_or_else(|| not_found(format!("`{id}` has no revision {number}")))?;
            ConfigDocument::parse(&revision.document)
        };
        Ok(load(from).await?.diff(&load(to).await?))
    }

    async fn rollback(&self, actor: &Actor, id: &str, number: u64, message: &str) -> Result<RevisionView> {
        self.require(actor, Role::Admin, "config.rollback", id).await?;
        let old = self
            .store
            .revision(id, number)
            .await?
            .ok_or_else(|| not_found(format!("`{id}` has no revision {number}")))?;
        let message =
            if message.is_empty() { format!("rollback to revision {number}") } else { message.to_owned() };
        let document: serde_json::Value =
            serde_json::from_str(&old.document).map_err(|e| Error::Internal { message: e.to_string() })?;
        self.create_revision(actor, id, RevisionInput::Full { document }, &message).await
    }

    async fn deploy(&self, actor: &Actor, id: &str, number: Option<u64>) -> Result<RevisionView> {
        self.require(actor, Role::Admin, "config.deploy", id).await?;
        let record = self.record(id).await?;
        let revision = match number {
            Some(number) => self
                .store
                .revision(id, number)
                .await?
                .ok_or_else(|| not_found(format!("`{id}` has no revision {number}")))?,
            None => self
                .latest_revision(id)
                .await?
                .ok_or_else(|| not_found(format!("`{id}` has no revision to deploy")))?,
        };
        let result = self.deploy_record(actor, &record, &revision).await;
        if result.is_err() {
            self.audit_outcome(actor, "config.deploy", &format!("{id}#{}", revision.number), &result).await;
        }
        result?;
        let number = revision.number;
        revision_view(revision, Some(number), false)
    }

    async fn set_secret(&self, actor: &Actor, id: &str, name: &str, value: &str) -> Result<()> {
        self.require(actor, Role::Admin, "secret.set", &format!("{id}/{name}")).await?;
        if !crate::config::is_valid_secret_name(name) {
            return Err(Error::InvalidSecretName { name: name.to_owned() });
        }
        if value.is_empty() || value.len() > 64 * 1024 {
            return Err(Error::Remote {
                kind: ErrorKind::InvalidInput,
                message: "a secret value is 1 byte to 64 KiB".to_owned(),
                hint: None,
                issues: Vec::new(),
            });
        }
        self.record(id).await?;
        let (nonce, ciphertext) = self.secrets.seal(id, name, value)?;
        let secret = SecretRecord {
            name: name.to_owned(),
            nonce,
            ciphertext,
            updated_at_ms: self.options.clock.now_ms(),
        };
        self.store
            .put_secret(id, secret, self.audit_record(actor, "secret.set", &format!("{id}/{name}")))
            .await
    }

    async fn secrets(&self, actor: &Actor, id: &str) -> Result<Vec<SecretInfo>> {
        self.require(actor, Role::Operator, "secret.list", id).await?;
        self.record(id).await?;
        Ok(self
            .store
            .secrets(id)
            .await?
            .into_iter()
            .map(|s| SecretInfo { name: s.name, updated_at_ms: s.updated_at_ms })
            .collect())
    }

    async fn delete_secret(&self, actor: &Actor, id: &str, name: &str) -> Result<()> {
        self.require(actor, Role::Admin, "secret.delete", &format!("{id}/{name}")).await?;
        let record = self.record(id).await?;
        if let Some(number) = record.deployed_revision {
            if let Some(revision) = self.store.revision(id, number).await? {
                if ConfigDocument::parse(&revision.document)?.secret_references().contains(name) {
                    return Err(Error::conflict(
                        format!("secret `{name}` is referenced by the deployed revision {number} of `{id}`"),
                        Some("deploy a revision that no longer references it first"),
                    ));
                }
            }
        }
        if !self
            .store
            .delete_secret(id, name, self.audit_record(actor, "secret.delete", &format!("{id}/{name}")))
            .await?
        {
            return Err(Error::SecretNotFound { name: name.to_owned() });
        }
        Ok(())
    }

    async fn control(
        &self,
        actor: &Actor,
        id: &str,
        action: ControlAction,
        drain_timeout: Option<Duration>,
    ) -> Result<HostStatus> {
        let target = id.to_owned();
        self.require(actor, Role::Operator, &format!("agent.{}", action.as_str()), &target).await?;
        let record = self.record(id).await?;
        let host = self.host(&record)?;
        let options = StopOptions { timeout: drain_timeout };
        let result = match action {
            ControlAction::Start => host.start().await,
            ControlAction::Stop => host.stop(options).await,
            ControlAction::Restart => host.restart(options).await,
            ControlAction::Drain => host.drain(options).await,
        };
        self.audit_outcome(actor, &format!("agent.{}", action.as_str()), id, &result).await;
        result
    }

    async fn logs(&self, actor: &Actor, id: &str, query: LogQuery) -> Result<Vec<LogLine>> {
        self.require(actor, Role::Operator, "logs", id).await?;
        let record = self.record(id).await?;
        self.host(&record)?.logs(query).await
    }

    async fn metrics(
        &self,
        actor: &Actor,
        id: &str,
        since_ms: u64,
        until_ms: u64,
    ) -> Result<Vec<MetricsSample>> {
        self.require(actor, Role::Viewer, "metrics", id).await?;
        self.record(id).await?;
        self.store.samples(id, since_ms, until_ms).await
    }

    async fn alerts(&self, actor: &Actor, include_resolved: bool) -> Result<Vec<AlertRecord>> {
        self.require(actor, Role::Viewer, "alerts", "").await?;
        self.store.alerts(include_resolved).await
    }

    async fn start_bulk(&self, actor: &Actor, spec: BulkSpec) -> Result<BulkRun> {
        let needed = if spec.action.changes_config() { Role::Admin } else { Role::Operator };
        self.require(actor, needed, &format!("bulk.{}", spec.action.name()), "").await?;
        let run = self.plan(actor, spec).await?;
        if run.outcome == RunOutcome::DryRun {
            return Ok(run);
        }
        self.store.save_bulk_run(&run).await?;
        let _ = self
            .store
            .append_audit(self.audit_record(actor, &format!("bulk.{}", run.spec.action.name()), &run.id))
            .await;
        let me = self
            .me
            .upgrade()
            .ok_or_else(|| Error::Unavailable { message: "the console is shutting down".to_owned() })?;
        me.spawn_run(actor.clone(), run.clone());
        Ok(run)
    }

    async fn bulk_run(&self, actor: &Actor, id: &str) -> Result<BulkRun> {
        self.require(actor, Role::Viewer, "bulk.show", id).await?;
        self.store.bulk_run(id).await?.ok_or_else(|| not_found(format!("bulk run `{id}` does not exist")))
    }

    async fn bulk_runs(&self, actor: &Actor, limit: usize) -> Result<Vec<BulkRun>> {
        self.require(actor, Role::Viewer, "bulk.list", "").await?;
        self.store.bulk_runs(limit).await
    }

    async fn cancel_bulk(&self, actor: &Actor, id: &str) -> Result<BulkRun> {
        self.require(actor, Role::Operator, "bulk.cancel", id).await?;
        let found = {
            let runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
            runs.get(id).map(|run| run.cancel.store(true, Ordering::SeqCst)).is_some()
        };
        let run = self
            .store
            .bulk_run(id)
            .await?
            .ok_or_else(|| not_found(format!("bulk run `{id}` does not exist")))?;
        if !found && run.outcome != RunOutcome::Running {
            return Err(Error::conflict(format!("bulk run `{id}` already ended ({:?})", run.outcome), None));
        }
        let _ = self.store.append_audit(self.audit_record(actor, "bulk.cancel", id)).await;
        Ok(run)
    }

    fn bulk_events(&self) -> broadcast::Receiver<BulkEvent> {
        self.bulk_events.subscribe()
    }

    fn fleet_events(&self) -> broadcast::Receiver<FleetEvent> {
        self.fleet_events.subscribe()
    }

    async fn audit(&self, actor: &Actor, after: u64, limit: usize) -> Result<Vec<AuditEntry>> {
        self.require(actor, Role::Admin, "audit.list", "").await?;
        self.store.audit(after, limit).await
    }

    async fn verify_audit(&self, actor: &Actor) -> Result<AuditVerification> {
        self.require(actor, Role::Admin, "audit.verify", "").await?;
        let mut entries = Vec::new();
        let mut after = 0;
        loop {
            let page = self.store.audit(after, 10_000).await?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            entries.extend(page);
        }
        Ok(audit::verify(&entries))
    }
}

mod run;
