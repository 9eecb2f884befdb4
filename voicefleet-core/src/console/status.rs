//! The fleet's status: polling every host with drift, the one status cache (each customer's last
//! host status, last state and last polled view, shared with the live path in `live.rs`), the
//! background refresh (samples, alerts, state-change events) and the metrics history.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;

use super::{Actor, Console, CustomerRecord, CustomerStatus, FleetEvent, Selector};
use crate::auth::Role;
use crate::error::{Error, Result};
use crate::host::{HostStatus, MetricsSample};
use crate::lifecycle::ProcessState;

/// What the console last knew of one customer.
#[derive(Debug, Clone, Default)]
struct Known {
    /// The host's last answer and when (ms since the epoch).
    host: Option<(HostStatus, u64)>,
    /// The state last published in a [`FleetEvent::StatusChanged`].
    state: Option<String>,
    /// The last polled view, reachable or not, and when.
    view: Option<(Instant, CustomerStatus)>,
}

/// The one status cache, by customer id.
#[derive(Debug, Default)]
pub(super) struct StatusCache {
    known: Mutex<HashMap<String, Known>>,
}

impl StatusCache {
    fn with<T>(&self, work: impl FnOnce(&mut HashMap<String, Known>) -> T) -> T {
        work(&mut self.known.lock().unwrap_or_else(|p| p.into_inner()))
    }

    fn host(&self, id: &str) -> Option<(HostStatus, u64)> {
        self.with(|known| known.get(id).and_then(|k| k.host.clone()))
    }

    fn hosts(&self) -> Vec<(String, HostStatus)> {
        let mut statuses: Vec<(String, HostStatus)> = self.with(|known| {
            known.iter().filter_map(|(id, k)| k.host.as_ref().map(|(s, _)| (id.clone(), s.clone()))).collect()
        });
        statuses.sort_by(|a, b| a.0.cmp(&b.0));
        statuses
    }

    fn set_host(&self, id: &str, status: HostStatus, at_ms: u64) {
        self.with(|known| known.entry(id.to_owned()).or_default().host = Some((status, at_ms)));
    }

    /// Records the state now published; returns the one before.
    pub(super) fn set_state(&self, id: &str, state: &str) -> Option<String> {
        self.with(|known| known.entry(id.to_owned()).or_default().state.replace(state.to_owned()))
    }

    pub(super) fn set_view(&self, status: &CustomerStatus) {
        self.with(|known| {
            known.entry(status.customer_id.clone()).or_default().view = Some((Instant::now(), status.clone()))
        });
    }

    /// The view polled less than `max_age` ago, while the deployed revision is still the same.
    fn fresh_view(&self, record: &CustomerRecord, max_age: Duration) -> Option<CustomerStatus> {
        self.with(|known| {
            let (at, view) = known.get(&record.id)?.view.as_ref()?;
            // A deploy since the poll changes what counts as drift: poll again.
            (at.elapsed() < max_age && view.deployed_revision == record.deployed_revision)
                .then(|| view.clone())
        })
    }

    /// Sets the cached host status's state (an event newer than it said so); returns the result.
    pub(super) fn patch_state(&self, id: &str, to: ProcessState, at_ms: u64) -> Option<HostStatus> {
        self.with(|known| {
            let (status, at) = known.get_mut(id)?.host.as_mut()?;
            status.state = to;
            *at = at_ms;
            Some(status.clone())
        })
    }

    pub(super) fn remove(&self, id: &str) {
        self.with(|known| known.remove(id));
    }
}

/// How often a refresh prunes old samples (thinning needs minute resolution, not every pass).
const PRUNE_EVERY_MS: u64 = 5 * 60_000;

/// Deployed revision hashes by (customer, revision), to tell drift.
#[derive(Debug, Default)]
pub(super) struct DeployedHashes {
    /// The deployed revision's hash, by (customer, revision).
    hashes: HashMap<(String, u64), String>,
    /// Each customer's latest revision number.
    latest: HashMap<String, u64>,
}

impl Console {
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
        self.statuses.host(id)
    }

    /// Every customer's last polled status, without polling.
    pub fn cached_statuses(&self) -> Vec<(String, HostStatus)> {
        self.statuses.hosts()
    }

    /// The deployed revisions' hashes of `records` (one read for many, one query each for a few).
    pub(super) async fn deployed_hashes(&self, records: &[CustomerRecord]) -> Result<DeployedHashes> {
        let mut hashes = HashMap::new();
        if records.len() > 4 {
            for (id, number, hash) in self.store.deployed_hashes().await? {
                hashes.insert((id, number), hash);
            }
            return Ok(DeployedHashes { hashes, latest: self.store.latest_revision_numbers().await? });
        }
        for record in records {
            if let Some(number) = record.deployed_revision
                && let Some(revision) = self.store.revision(&record.id, number).await?
            {
                hashes.insert((record.id.clone(), number), revision.hash);
            }
        }
        Ok(DeployedHashes { hashes, latest: self.store.latest_revision_numbers().await? })
    }

    /// Polls one host within the timeout; updates the cache.
    pub(super) async fn poll(
        &self,
        record: &CustomerRecord,
        deployed_hashes: &DeployedHashes,
    ) -> CustomerStatus {
        let outcome = match self.host(record) {
            Ok(host) => match tokio::time::timeout(self.options.host_timeout, host.status()).await {
                Ok(Ok(status)) => Ok(status),
                Ok(Err(error)) => Err(error),
                Err(_) => Err(Error::Unavailable {
                    message: format!("no answer within {:?}", self.options.host_timeout),
                }),
            },
            Err(error) => Err(error),
        };
        let mut incompatible_version = None;
        let (status, reachable, error, last_seen) = match outcome {
            Ok(status) => {
                let at = self.options.clock.now_ms();
                self.statuses.set_host(&record.id, status.clone(), at);
                (Some(status), true, None, Some(at))
            }
            // It answered, in an API this console does not speak: reported, never read.
            Err(error @ Error::IncompatibleHost { .. }) => {
                let message = match error.hint() {
                    Some(hint) => format!("{error}: {hint}"),
                    None => error.to_string(),
                };
                if let Error::IncompatibleHost { agent_version, .. } = error {
                    incompatible_version = Some(agent_version);
                }
                (None, true, Some(message), Some(self.options.clock.now_ms()))
            }
            Err(error) => {
                let cached = self.statuses.host(&record.id);
                (cached.as_ref().map(|c| c.0.clone()), false, Some(error.to_string()), cached.map(|c| c.1))
            }
        };
        let agent_version =
            incompatible_version.clone().or_else(|| status.as_ref().and_then(|s| s.agent_version.clone()));
        let running_revision = status.as_ref().and_then(|s| s.config.as_ref()).map(|c| c.revision);
        let running_hash = status.as_ref().and_then(|s| s.config.as_ref()).map(|c| c.hash.clone());
        let deployed_hash = record
            .deployed_revision
            .and_then(|n| deployed_hashes.hashes.get(&(record.id.clone(), n)).cloned());
        // A revision newer than the deployed one waits for `config deploy`.
        let pending_revision = deployed_hashes
            .latest
            .get(&record.id)
            .copied()
            .filter(|latest| record.deployed_revision.is_none_or(|deployed| *latest > deployed));
        let drift = reachable && status.is_some() && deployed_hash.is_some() && running_hash != deployed_hash;
        CustomerStatus {
            customer_id: record.id.clone(),
            name: record.name.clone(),
            tags: record.tags.clone(),
            state: if incompatible_version.is_some() {
                super::health::INCOMPATIBLE.to_owned()
            } else if reachable {
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
            pending_revision,
            agent_version,
        }
    }

    async fn selected(&self, selector: &Selector) -> Result<Vec<CustomerRecord>> {
        Ok(self.store.customers().await?.into_iter().filter(|c| selector.matches(&c.id, &c.tags)).collect())
    }

    /// Polls every selected host concurrently and keeps each view in the cache.
    pub async fn poll_fleet(&self, selector: &Selector) -> Result<Vec<CustomerStatus>> {
        let records = self.selected(selector).await?;
        let hashes = self.deployed_hashes(&records).await?;
        let polls: Vec<_> = records.iter().map(|record| Box::pin(self.poll(record, &hashes))).collect();
        let mut statuses: Vec<CustomerStatus> = futures_util::stream::iter(polls)
            .buffer_unordered(self.options.status_concurrency.max(1))
            .collect()
            .await;
        statuses.sort_by(|a, b| a.customer_id.cmp(&b.customer_id));
        for status in &statuses {
            self.statuses.set_view(status);
        }
        Ok(statuses)
    }

    /// One background pass: poll all, store samples, update alerts. Call it periodically.
    pub async fn refresh(&self) -> Result<Vec<CustomerStatus>> {
        let statuses = self.poll_fleet(&Selector::All).await?;
        self.refreshed.store(true, std::sync::atomic::Ordering::Relaxed);
        for status in &statuses {
            let previous = self.statuses.set_state(&status.customer_id, &status.state);
            if previous.as_ref() != Some(&status.state) {
                self.publish_fleet_event(FleetEvent::StatusChanged {
                    customer_id: status.customer_id.clone(),
                    from: previous.unwrap_or_default(),
                    to: status.state.clone(),
                    at_ms: self.options.clock.now_ms(),
                    exit: status.status.as_ref().and_then(|s| s.last_exit),
                    restarts: status.status.as_ref().map(|s| s.restarts),
                    pid: status.status.as_ref().and_then(|s| s.pid),
                })
                .await;
            }
        }
        let samples = statuses.iter().filter_map(|s| Some((s.customer_id.clone(), sample_of(s)?))).collect();
        self.store.insert_fleet_samples(samples).await?;
        // Every stored alert in one read, not one read of all of them per customer.
        let mut stored: HashMap<String, HashMap<String, super::AlertRecord>> = HashMap::new();
        for alert in self.store.alerts(true).await? {
            stored.entry(alert.customer_id.clone()).or_default().insert(alert.rule.clone(), alert);
        }
        let none = HashMap::new();
        for status in &statuses {
            self.evaluate_alerts(status, stored.get(&status.customer_id).unwrap_or(&none)).await?;
        }
        self.evaluate_security_alert(stored.get(super::alerts::CONSOLE_ALERTS).unwrap_or(&none)).await?;
        let now = self.options.clock.now_ms();
        let last = self.last_prune_ms.load(std::sync::atomic::Ordering::Relaxed);
        if now.saturating_sub(last) >= PRUNE_EVERY_MS {
            self.last_prune_ms.store(now, std::sync::atomic::Ordering::Relaxed);
            self.store.prune_samples(now).await?;
        }
        Ok(statuses)
    }
}

/// The metrics sample a reachable host's status gives: its resources with the calls' figures.
pub(super) fn sample_of(status: &CustomerStatus) -> Option<MetricsSample> {
    let host = status.status.as_ref().filter(|_| status.reachable)?;
    let mut sample = host.resources?;
    sample.active_calls = host.calls.active_calls;
    sample.machine = sample.machine.or(host.machine);
    Some(sample)
}

/// The fleet's status from the last poll when every selected customer was polled less than
/// `max_age` ago (the background refresh keeps it fresh); else a poll now. For dashboards that
/// ask often: many readers cost the hosts nothing more.
pub(super) async fn cached_or_polled(
    console: &Console,
    actor: &Actor,
    selector: &Selector,
    max_age: Duration,
) -> Result<Vec<CustomerStatus>> {
    console.require(actor, Role::Viewer, "status", "").await?;
    let records = console.selected(selector).await?;
    let cached: Option<Vec<CustomerStatus>> =
        records.iter().map(|record| console.statuses.fresh_view(record, max_age)).collect();
    match cached {
        Some(statuses) => Ok(statuses),
        None => console.poll_fleet(selector).await,
    }
}

pub(super) async fn polled(
    console: &Console,
    actor: &Actor,
    selector: &Selector,
) -> Result<Vec<CustomerStatus>> {
    console.require(actor, Role::Viewer, "status", "").await?;
    console.poll_fleet(selector).await
}

pub(super) async fn metrics(
    console: &Console,
    actor: &Actor,
    id: &str,
    since_ms: u64,
    until_ms: u64,
) -> Result<Vec<MetricsSample>> {
    console.require(actor, Role::Viewer, "metrics", id).await?;
    let record = console.record(id).await?;
    let stored = console.store.samples(id, since_ms, until_ms).await?;
    if !stored.is_empty() {
        return Ok(stored);
    }
    // Nothing sampled here (no server has run the refresher): the host's own history (its
    // last hour, every second), when it answers.
    let Ok(host) = console.host(&record) else { return Ok(stored) };
    match host.metrics_history(since_ms).await {
        Ok(history) => Ok(history.into_iter().filter(|s| s.at_ms <= until_ms).collect()),
        Err(_) => Ok(stored),
    }
}

impl Console {
    /// Publishes a fleet event to live listeners and keeps it for the history (a store that
    /// cannot keep it loses it from the history only, never from the live stream).
    pub(super) async fn publish_fleet_event(&self, event: FleetEvent) {
        // Live listeners first: the history must not slow the live path.
        self.feed.publish(super::feed::LiveEvent::Fleet(event.clone()));
        let (customer, at_ms) = event.customer_and_time();
        let _ = self.store.insert_event(customer, at_ms, &event).await;
    }
}

/// Past fleet events (viewer).
pub(super) async fn history(
    console: &Console,
    actor: &Actor,
    query: &super::EventQuery,
) -> Result<Vec<FleetEvent>> {
    console.require(actor, Role::Viewer, "events.history", query.customer.as_deref().unwrap_or("")).await?;
    console.store.events(query).await
}
