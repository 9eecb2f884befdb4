//! Leases: the rule (who may take or renew, from the stored row and the clock) table-tested,
//! and two keepers on one real store: one holds, and the other takes over once the first stops.

use std::sync::Arc;
use std::time::{Duration, Instant};

use voicefleet_core::console::lease::{
    Lease, LeaseDecision, LeaseOptions, LeaseRecord, lease_decision, next_lease, spawn_gated,
};
use voicefleet_core::console::{SqliteStore, Store};

const NOW: u64 = 1_000_000;

fn row(holder: &str, expires_at_ms: u64, generation: u64) -> LeaseRecord {
    LeaseRecord {
        name: "work".to_owned(),
        holder: holder.to_owned(),
        since_ms: NOW - 10_000,
        expires_at_ms,
        generation,
    }
}

/// (stored holder and expiry, asking, now, expected)
type Case = (Option<(&'static str, u64)>, &'static str, u64, LeaseDecision);

#[test]
fn the_stored_row_and_the_clock_decide_who_may_take_or_renew() {
    let cases: Vec<Case> = vec![
        (None, "a", NOW, LeaseDecision::Take),
        (Some(("a", NOW + 1)), "a", NOW, LeaseDecision::Renew),
        (Some(("a", NOW + 1)), "b", NOW, LeaseDecision::Wait),
        // Valid up to, not including, its expiry.
        (Some(("a", NOW)), "b", NOW, LeaseDecision::Take),
        (Some(("a", NOW)), "b", NOW - 1, LeaseDecision::Wait),
        (Some(("a", NOW - 5_000)), "b", NOW, LeaseDecision::Take),
        // Its own expired lease is taken anew (its work stopped before the expiry).
        (Some(("a", NOW)), "a", NOW, LeaseDecision::Take),
        // Released (expiry 0): free at once.
        (Some(("a", 0)), "b", NOW, LeaseDecision::Take),
    ];
    for (stored, asking, now, expected) in cases {
        let stored = stored.map(|(holder, expires)| row(holder, expires, 4));
        assert_eq!(lease_decision(stored.as_ref(), asking, now), expected, "{stored:?} {asking} at {now}");
    }
}

#[test]
fn the_row_written_keeps_the_generation_on_renewal_and_counts_takeovers() {
    let first = next_lease(None, "work", "a", NOW, 6_000).unwrap();
    assert_eq!(
        first,
        LeaseRecord {
            name: "work".to_owned(),
            holder: "a".to_owned(),
            since_ms: NOW,
            expires_at_ms: NOW + 6_000,
            generation: 1
        }
    );
    let renewed = next_lease(Some(&first), "work", "a", NOW + 2_000, 6_000).unwrap();
    assert_eq!((renewed.since_ms, renewed.expires_at_ms, renewed.generation), (NOW, NOW + 8_000, 1));
    assert_eq!(next_lease(Some(&renewed), "work", "b", NOW + 7_999, 6_000), None);
    let taken = next_lease(Some(&renewed), "work", "b", NOW + 8_000, 6_000).unwrap();
    assert_eq!((taken.holder.as_str(), taken.since_ms, taken.generation), ("b", NOW + 8_000, 2));
    // A zero ttl still makes a lease that exists for a moment.
    assert_eq!(next_lease(None, "work", "a", NOW, 0).unwrap().expires_at_ms, NOW + 1);
}

async fn until(what: &str, within: Duration, check: impl Fn() -> bool) -> Duration {
    let started = Instant::now();
    while !check() {
        assert!(started.elapsed() < within, "{what} not within {within:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_keeper_takes_the_work_over_once_the_first_stops() {
    let dir = voicefleet_tests::TempDir::new().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.path().join("console.db")).unwrap());
    let options =
        LeaseOptions::default().ttl(Duration::from_millis(900)).renew_every(Duration::from_millis(300));
    let clock = voicefleet_core::clock::system();
    let (a, a_task) = Lease::spawn(store.clone(), clock.clone(), "a".to_owned(), options.clone());
    until("a holds the lease", Duration::from_secs(5), || a.is_held()).await;
    let (b, b_task) = Lease::spawn(store.clone(), clock, "b".to_owned(), options);
    // Work gated on b's lease: started only when b holds it, stopped when b loses it.
    let started = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let stopped = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (counter, on_stop) = (started.clone(), stopped.clone());
    let gate = spawn_gated(
        b.clone(),
        vec![Box::new(move || {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let guard = Stopped(on_stop.clone());
            tokio::spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await
            })
        })],
    );
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert!(a.is_held() && !b.is_held(), "one holder at a time");
    assert_eq!(started.load(std::sync::atomic::Ordering::SeqCst), 0, "no work without the lease");

    // a dies (its keeper stops without releasing): b takes over after the expiry.
    a_task.abort();
    let took = until("b takes over", Duration::from_secs(5), || b.is_held()).await;
    assert!(took <= Duration::from_millis(900 + 300 + 500), "took {took:?}");
    assert!(!a.is_held(), "a's lease says it is not held once its keeper ended");
    until("b's work starts", Duration::from_secs(2), || {
        started.load(std::sync::atomic::Ordering::SeqCst) == 1
    })
    .await;
    let stored =
        store.claim_lease("console.work", "c", voicefleet_core::clock::system().now_ms(), 900).await.unwrap();
    assert_eq!((stored.holder.as_str(), stored.generation), ("b", 2));

    // b's keeper stops (the process stalls, the database is gone): its work stops.
    b_task.abort();
    until("b's work stops", Duration::from_secs(2), || {
        stopped.load(std::sync::atomic::Ordering::SeqCst) == 1
    })
    .await;
    gate.abort();
    // b released: the lease is free at once.
    store.release_lease("console.work", "b").await.unwrap();
    let free =
        store.claim_lease("console.work", "c", voicefleet_core::clock::system().now_ms(), 900).await.unwrap();
    assert_eq!((free.holder.as_str(), free.generation), ("c", 3));
}

/// Counts its drops: the work's task was stopped.
struct Stopped(Arc<std::sync::atomic::AtomicUsize>);

impl Drop for Stopped {
    fn drop(&mut self) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}
