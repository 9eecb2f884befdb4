//! Leases: who holds the once-only work, taken, renewed, waited for, taken over after expiry,
//! released; and one winner when many ask at once.

use std::sync::Arc;

use voicefleet_core::console::Store;
use voicefleet_core::console::lease::WORK_LEASE;

const NOW: u64 = 1_700_000_000_000;
const TTL: u64 = 6_000;

pub(super) async fn leases(store: Arc<dyn Store>) {
    // The first to ask takes it, as generation 1.
    let a = store.claim_lease(WORK_LEASE, "a", NOW, TTL).await.unwrap();
    assert_eq!((a.holder.as_str(), a.generation, a.since_ms, a.expires_at_ms), ("a", 1, NOW, NOW + TTL));
    // Another waits while it is valid, and is told who holds it.
    let b = store.claim_lease(WORK_LEASE, "b", NOW + TTL - 1, TTL).await.unwrap();
    assert_eq!(b, a);
    // The holder renews it: same generation, same start, later expiry.
    let renewed = store.claim_lease(WORK_LEASE, "a", NOW + 2_000, TTL).await.unwrap();
    assert_eq!((renewed.holder.as_str(), renewed.generation), ("a", 1));
    assert_eq!((renewed.since_ms, renewed.expires_at_ms), (NOW, NOW + 2_000 + TTL));
    // Leases are by name.
    let other = store.claim_lease("other", "b", NOW, TTL).await.unwrap();
    assert_eq!((other.holder.as_str(), other.generation), ("b", 1));
    // Expired: the next to ask takes it over, as a new generation.
    let expiry = renewed.expires_at_ms;
    let taken = store.claim_lease(WORK_LEASE, "b", expiry, TTL).await.unwrap();
    assert_eq!((taken.holder.as_str(), taken.generation, taken.since_ms), ("b", 2, expiry));
    let late = store.claim_lease(WORK_LEASE, "a", expiry + 1, TTL).await.unwrap();
    assert_eq!(late, taken, "the old holder finds it taken");
    // Released by another than its holder: nothing; by its holder: free at once.
    store.release_lease(WORK_LEASE, "a").await.unwrap();
    assert_eq!(store.claim_lease(WORK_LEASE, "a", expiry + 2, TTL).await.unwrap(), taken);
    store.release_lease(WORK_LEASE, "b").await.unwrap();
    let back = store.claim_lease(WORK_LEASE, "a", expiry + 3, TTL).await.unwrap();
    assert_eq!((back.holder.as_str(), back.generation), ("a", 3));

    // Many replicas asking at once for a free lease: one wins, and all are told the same.
    let claims = (0..8).map(|n| {
        let store = store.clone();
        tokio::spawn(async move { store.claim_lease("race", &format!("r{n}"), NOW, TTL).await.unwrap() })
    });
    let answers: Vec<_> =
        futures_util::future::join_all(claims).await.into_iter().map(|a| a.unwrap()).collect();
    assert!(answers.iter().all(|a| a == &answers[0]), "{answers:?}");
    assert_eq!(answers[0].generation, 1);
}
