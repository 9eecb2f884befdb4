//! The console's live path: one event subscription per customer's host. Each host event that
//! changes the agent's state re-reads that host's status at once, updates the status cache (so a
//! cached status is never older than the last event) and publishes
//! [`FleetEvent::StatusChanged`] with the exit, the restart count and the new PID — a crash and
//! the restart after it are seen as they happen, not at the next poll. A gap in a stream
//! ([`HostEvent::Lagged`], or a receiver that fell behind) is answered by the same re-read.
//! Polling ([`Console::spawn_refresher`]) stays as the fallback and for resource samples.

use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::sync::{Semaphore, broadcast};
use tokio::task::JoinSet;

use super::{Console, CustomerRecord, CustomerStatus, FleetEvent};
use crate::host::{ExitInfo, HostEvent};
use crate::lifecycle::ProcessState;

/// How the console follows its hosts' events; [`LiveOptions::default`], then a setter per field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct LiveOptions {
    /// How often the customer list is read again (new customers, removed ones, new endpoints).
    pub rescan: Duration,
    /// Streams opened at once; the next batch waits [`LiveOptions::open_pause`].
    pub open_batch: usize,
    /// The pause between two batches of streams opened.
    pub open_pause: Duration,
    /// Hosts whose status is re-read at once after their events.
    pub concurrency: usize,
    /// Wait before subscribing again to a host whose event channel closed.
    pub retry: Duration,
}

impl Default for LiveOptions {
    fn default() -> Self {
        Self {
            rescan: Duration::from_secs(5),
            open_batch: 64,
            open_pause: Duration::from_millis(20),
            concurrency: 64,
            retry: Duration::from_secs(1),
        }
    }
}

impl LiveOptions {
    /// Sets how often the customer list is read again.
    pub fn rescan(mut self, every: Duration) -> Self {
        self.rescan = every;
        self
    }

    /// Sets how many streams are opened at once.
    pub fn open_batch(mut self, streams: usize) -> Self {
        self.open_batch = streams;
        self
    }

    /// Sets the pause between batches of streams opened.
    pub fn open_pause(mut self, pause: Duration) -> Self {
        self.open_pause = pause;
        self
    }

    /// Sets how many hosts' statuses are re-read at once.
    pub fn concurrency(mut self, hosts: usize) -> Self {
        self.concurrency = hosts;
        self
    }

    /// Sets the wait before subscribing again to a closed event channel.
    pub fn retry(mut self, wait: Duration) -> Self {
        self.retry = wait;
        self
    }
}

/// What one host's events asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Update {
    /// The agent's state changed to this.
    State(ProcessState),
    /// Events were lost, or something else changed (a configuration): re-read, publish only
    /// when the state differs.
    Reread,
}

impl Console {
    /// Follows every customer's host events until the console is dropped or the task aborted
    /// (which ends every stream). Start it next to [`Console::spawn_refresher`].
    pub fn spawn_live(self: &Arc<Self>, options: LiveOptions) -> tokio::task::JoinHandle<()> {
        let me = Arc::downgrade(self);
        tokio::spawn(async move {
            let permits = Arc::new(Semaphore::new(options.concurrency.max(1)));
            let mut streams: HashMap<String, (String, tokio::task::AbortHandle)> = HashMap::new();
            let mut tasks = JoinSet::new();
            let mut ticker = tokio::time::interval(options.rescan);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                while tasks.try_join_next().is_some() {}
                let records = {
                    let Some(console) = me.upgrade() else { return };
                    // A store that cannot answer now is asked again at the next tick.
                    let Ok(records) = console.store.customers().await else { continue };
                    records
                };
                let wanted: HashMap<&str, &CustomerRecord> =
                    records.iter().map(|r| (r.id.as_str(), r)).collect();
                streams.retain(|id, (endpoint, task)| {
                    let keep = !task.is_finished()
                        && wanted.get(id.as_str()).is_some_and(|r| r.endpoint == *endpoint);
                    if !keep {
                        task.abort();
                    }
                    keep
                });
                let new: Vec<&CustomerRecord> =
                    records.iter().filter(|r| !streams.contains_key(&r.id)).collect();
                for (opened, record) in new.into_iter().enumerate() {
                    if opened > 0 && opened % options.open_batch.max(1) == 0 {
                        tokio::time::sleep(options.open_pause).await;
                    }
                    let task =
                        tasks.spawn(follow(me.clone(), record.id.clone(), permits.clone(), options.retry));
                    streams.insert(record.id.clone(), (record.endpoint.clone(), task));
                }
            }
        })
    }

    /// Re-reads one customer's status after its events and publishes the change.
    async fn apply_update(&self, id: &str, update: Update, exit: Option<ExitInfo>) {
        let record = match self.store.customer(id).await {
            Ok(Some(record)) => record,
            _ => return,
        };
        // A store that cannot answer leaves drift unknown for this re-read, as before.
        let hashes = self.deployed_hashes(std::slice::from_ref(&record)).await.unwrap_or_default();
        let mut status = self.poll(&record, &hashes).await;
        if let Update::State(to) = update
            && !status.reachable
        {
            // The event is newer than any cached status: the cache says what it said.
            self.patch_cached_state(&mut status, to);
        }
        let to = match update {
            Update::State(to) => to.as_str().to_owned(),
            Update::Reread => status.state.clone(),
        };
        let previous = self.statuses.set_state(id, &to);
        self.statuses.set_view(&status);
        let host = status.status.as_ref();
        if update == Update::Reread && previous.as_deref() == Some(to.as_str()) {
            return;
        }
        let event = FleetEvent::StatusChanged {
            customer_id: id.to_owned(),
            from: previous.unwrap_or_default(),
            to,
            at_ms: self.options.clock.now_ms(),
            exit: exit.or_else(|| host.and_then(|h| h.last_exit)),
            restarts: host.map(|h| h.restarts),
            pid: host.and_then(|h| h.pid),
        };
        self.publish_fleet_event(event).await;
        // As in a refresh; a failure here is retried by the next one.
        let _ = self.evaluate_customer_alerts(&status).await;
    }

    fn patch_cached_state(&self, status: &mut CustomerStatus, to: ProcessState) {
        let now = self.options.clock.now_ms();
        if let Some(patched) = self.statuses.patch_state(&status.customer_id, to, now) {
            status.status = Some(patched);
        }
    }
}

/// One host's stream: subscribe, turn events into updates, subscribe again if it closes.
async fn follow(me: Weak<Console>, id: String, permits: Arc<Semaphore>, retry: Duration) {
    loop {
        let receiver = {
            let Some(console) = me.upgrade() else { return };
            let record = match console.store.customer(&id).await {
                Ok(Some(record)) => record,
                _ => return,
            };
            // A host that cannot be connected (a bad endpoint) is tried again after `retry`.
            console.host(&record).ok().map(|host| host.subscribe())
        };
        if let Some(mut receiver) = receiver {
            let mut exit = None;
            loop {
                let update = match receiver.recv().await {
                    Ok(HostEvent::Exited { at_ms, code, signal }) => {
                        exit = Some(ExitInfo { code, signal, at_ms });
                        continue;
                    }
                    Ok(HostEvent::StateChanged { to, .. }) => Update::State(to),
                    Ok(
                        HostEvent::CrashLoop { .. }
                        | HostEvent::ConfigApplied { .. }
                        | HostEvent::Lagged { .. },
                    ) => Update::Reread,
                    Ok(HostEvent::MemoryLimit { .. }) => continue,
                    Err(broadcast::error::RecvError::Lagged(_)) => Update::Reread,
                    Err(broadcast::error::RecvError::Closed) => break,
                };
                let Ok(_permit) = permits.acquire().await else { return };
                let Some(console) = me.upgrade() else { return };
                // The exit goes with the state change that follows it, and only with that one.
                let with_exit = if matches!(update, Update::State(_)) { exit.take() } else { None };
                console.apply_update(&id, update, with_exit).await;
            }
        }
        tokio::time::sleep(retry).await;
    }
}
