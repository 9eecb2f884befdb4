//! Work that must happen once, whichever console replica runs it: host event subscriptions and
//! polling, metrics samples, alert rules, the recovery loop, scheduled backups and bulk-run
//! execution. Replicas on one database compete for a lease — a row (name, holder, expiry) in the
//! store, taken or renewed in one transaction — and only the holder runs that work.
//!
//! The holder renews every [`LeaseOptions::renew_every`] (1 s) for [`LeaseOptions::ttl`] (5 s);
//! a replica that cannot renew stops the work before its lease can expire, and another takes
//! it over at its first attempt after the expiry: at most `ttl + renew_every` (6 s) after the
//! holder's last renewal. Times are the replicas' own clocks: keep them in sync (NTP), as the
//! tokens already require. A console alone on its store (the embedded SQLite one) needs no
//! lease: [`Lease::always_held`].
//!
//! The rule — who may take or renew, from the stored row and the clock — is one pure function,
//! [`lease_decision`], which both stores apply inside their transaction ([`next_lease`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::Store;
use crate::clock::SharedClock;

/// The lease that owns every piece of once-only work of a console.
pub const WORK_LEASE: &str = "console.work";

/// A stored lease.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseRecord {
    /// What the lease is for ([`WORK_LEASE`]).
    pub name: String,
    /// The replica that holds (or last held) it.
    pub holder: String,
    /// When it was taken by this holder, in milliseconds since the Unix epoch.
    pub since_ms: u64,
    /// When it expires unless renewed, in milliseconds since the Unix epoch.
    pub expires_at_ms: u64,
    /// How many times it changed hands (1 for its first holder): a takeover is visible.
    pub generation: u64,
}

/// What a replica may do with a lease, given the stored row and the time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseDecision {
    /// Nobody holds it (no row, or the row expired): take it, as a new generation.
    Take,
    /// It is ours and not expired: extend it.
    Renew,
    /// Another replica holds it until the row's expiry: wait.
    Wait,
}

/// Decides whether `holder` may take or renew the lease `row` at `now_ms`. A lease is valid up
/// to, not including, its expiry; an expired lease is free to anyone, its last holder included
/// (which stopped the work before the expiry, so takes it anew).
pub fn lease_decision(row: Option<&LeaseRecord>, holder: &str, now_ms: u64) -> LeaseDecision {
    match row {
        None => LeaseDecision::Take,
        Some(row) if now_ms >= row.expires_at_ms => LeaseDecision::Take,
        Some(row) if row.holder == holder => LeaseDecision::Renew,
        Some(_) => LeaseDecision::Wait,
    }
}

/// The row to write after [`lease_decision`] (none: keep the stored one, held by another).
pub fn next_lease(
    row: Option<&LeaseRecord>,
    name: &str,
    holder: &str,
    now_ms: u64,
    ttl_ms: u64,
) -> Option<LeaseRecord> {
    let expires_at_ms = now_ms.saturating_add(ttl_ms.max(1));
    match (lease_decision(row, holder, now_ms), row) {
        (LeaseDecision::Wait, _) => None,
        (LeaseDecision::Renew, Some(row)) => Some(LeaseRecord { expires_at_ms, ..row.clone() }),
        (_, row) => Some(LeaseRecord {
            name: name.to_owned(),
            holder: holder.to_owned(),
            since_ms: now_ms,
            expires_at_ms,
            generation: row.map_or(0, |r| r.generation) + 1,
        }),
    }
}

/// How a replica keeps a lease; [`LeaseOptions::default`], then a setter per field.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LeaseOptions {
    /// Which lease.
    pub name: String,
    /// How long a lease lasts unless renewed.
    pub ttl: Duration,
    /// How often the holder renews it, and how often the others try to take it.
    pub renew_every: Duration,
}

impl Default for LeaseOptions {
    fn default() -> Self {
        Self { name: WORK_LEASE.to_owned(), ttl: Duration::from_secs(5), renew_every: Duration::from_secs(1) }
    }
}

impl LeaseOptions {
    /// Sets which lease.
    pub fn name(mut self, name: &str) -> Self {
        self.name = name.to_owned();
        self
    }

    /// Sets how long a lease lasts unless renewed.
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Sets how often it is renewed or tried.
    pub fn renew_every(mut self, every: Duration) -> Self {
        self.renew_every = every;
        self
    }
}

/// Whether this replica holds its lease now, and the news when that changes.
#[derive(Debug, Clone)]
pub struct Lease {
    held: watch::Receiver<bool>,
    holder: String,
    /// The sender of a lease that never changes, kept so the channel stays open.
    _always: Option<Arc<watch::Sender<bool>>>,
}

impl Lease {
    /// A lease that is always held: a console alone on its store.
    pub fn always_held() -> Self {
        let (sender, held) = watch::channel(true);
        Self { held, holder: "this console".to_owned(), _always: Some(Arc::new(sender)) }
    }

    /// Competes for the lease `options.name` in `store` as `holder` (see
    /// [`replica_id`]) until the returned task is aborted or ends; the lease says when it is held.
    pub fn spawn(
        store: Arc<dyn Store>,
        clock: SharedClock,
        holder: String,
        options: LeaseOptions,
    ) -> (Lease, JoinHandle<()>) {
        let (sender, held) = watch::channel(false);
        let lease = Lease { held, holder: holder.clone(), _always: None };
        let task = tokio::spawn(async move {
            let mut ticker = tokio::time::interval(options.renew_every);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            // The lease is ours until this instant (by our monotonic clock), less a margin.
            let mut valid_until: Option<Instant> = None;
            let ttl_ms = options.ttl.as_millis() as u64;
            loop {
                ticker.tick().await;
                let asked = Instant::now();
                let attempt = store.claim_lease(&options.name, &holder, clock.now_ms(), ttl_ms);
                match tokio::time::timeout(options.renew_every, attempt).await {
                    Ok(Ok(record)) if record.holder == holder => {
                        valid_until = Some(asked + options.ttl);
                    }
                    Ok(Ok(_)) => valid_until = None,
                    // The store did not answer: the lease lasts what is left of it.
                    Ok(Err(_)) | Err(_) => {}
                }
                // Held only while it stays valid past the next attempt: the work stops before
                // another replica may take over.
                let held = valid_until.is_some_and(|until| Instant::now() + options.renew_every < until);
                sender.send_if_modified(|now| std::mem::replace(now, held) != held);
            }
        });
        (lease, task)
    }

    /// Whether the lease is held now (never once the task that kept it ended).
    pub fn is_held(&self) -> bool {
        self.held.has_changed().is_ok() && *self.held.borrow()
    }

    /// Who this replica is, as written in the lease.
    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// Waits until the lease is held (`true`) or not held (`false`); false when the lease's task
    /// ended, for `want == true`.
    pub async fn wait_for(&mut self, want: bool) -> bool {
        loop {
            // Its task ended: never held again, whatever it last said.
            if self.held.has_changed().is_err() {
                return !want;
            }
            if *self.held.borrow_and_update() == want {
                return true;
            }
            if self.held.changed().await.is_err() {
                return !want;
            }
        }
    }
}

/// A replica's holder id: the machine, the process and a random part (a restarted process is a
/// new holder).
pub fn replica_id() -> String {
    let random: [u8; 4] = crate::random::bytes().unwrap_or([0; 4]);
    let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_owned())
        .unwrap_or_else(|_| "console".to_owned());
    format!("{host}:{}:{suffix}", std::process::id())
}

/// Something started while the lease is held, and stopped (aborted) when it is lost.
pub type Starter = Box<dyn Fn() -> JoinHandle<()> + Send + Sync>;

/// Runs what `starters` start while `lease` is held: starts them all when it is taken, aborts
/// them all when it is lost (or when this task is aborted), starts them again when it comes
/// back.
pub fn spawn_gated(mut lease: Lease, starters: Vec<Starter>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut running = Running(Vec::new());
        loop {
            if !lease.wait_for(true).await {
                return;
            }
            running.0 = starters.iter().map(|start| start()).collect();
            lease.wait_for(false).await;
            running.stop();
        }
    })
}

/// Tasks started under the lease; aborted when dropped.
struct Running(Vec<JoinHandle<()>>);

impl Running {
    fn stop(&mut self) {
        for task in self.0.drain(..) {
            task.abort();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
    }
}
