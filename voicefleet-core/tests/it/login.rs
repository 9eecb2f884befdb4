//! Logging in: a slowdown per user and address instead of a lock anyone could set, counted
//! atomically in the store; one answer for every failure; every outcome audited.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use voicefleet_core::auth::Role;
use voicefleet_core::clock::Clock;
use voicefleet_core::console::login::{FREE_FAILURES, MAX_WAIT_MS, login_wait_ms};
use voicefleet_core::console::{Accounts, Actor, SqliteStore, Store};

#[derive(Debug, Default)]
struct TestClock(AtomicU64);

impl Clock for TestClock {
    fn now_ms(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

#[test]
fn the_wait_doubles_after_the_free_failures_up_to_fifteen_minutes() {
    let now = 1_000_000;
    let cases = [
        (0, 0),
        (FREE_FAILURES - 1, 0),
        (FREE_FAILURES, 1_000),
        (FREE_FAILURES + 1, 2_000),
        (FREE_FAILURES + 4, 16_000),
        (FREE_FAILURES + 30, MAX_WAIT_MS),
        (u32::MAX, MAX_WAIT_MS),
    ];
    for (failures, wait) in cases {
        assert_eq!(login_wait_ms(failures, now, now), wait, "{failures} failures");
    }
    // Time since the last failure counts down the wait.
    assert_eq!(login_wait_ms(FREE_FAILURES + 1, now, now + 1_500), 500);
    assert_eq!(login_wait_ms(FREE_FAILURES + 1, now, now + 5_000), 0);
    assert_eq!(login_wait_ms(FREE_FAILURES, u64::MAX, 0), u64::MAX, "saturates");
}

async fn accounts() -> (Accounts, Arc<TestClock>, Arc<SqliteStore>) {
    let store = Arc::new(SqliteStore::in_memory().unwrap());
    let clock = Arc::new(TestClock(AtomicU64::new(1_700_000_000_000)));
    let accounts = Accounts::with_clock(
        store.clone(),
        voicefleet_core::console::SecretBox::new(&[9; 32]),
        clock.clone(),
    );
    accounts
        .add_user(&Actor::new("root", Role::Admin), "alice", Role::Operator, "alice's long password")
        .await
        .unwrap();
    (accounts, clock, store)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_slow_one_address_down_and_never_lock_the_user_out_of_another() {
    let (accounts, clock, _) = accounts().await;
    for _ in 0..FREE_FAILURES {
        let error = accounts.login("alice", "wrong password!!", None, "203.0.113.9", "r").await.unwrap_err();
        assert_eq!(error.to_string(), "wrong user name or password");
    }
    // The attacker's address now waits, even with the right password…
    let slowed =
        accounts.login("alice", "alice's long password", None, "203.0.113.9", "r").await.unwrap_err();
    assert!(slowed.to_string().contains("too many failed logins"), "{slowed}");
    assert!(slowed.hint().is_some_and(|h| h.contains("try again in 1 s")), "{:?}", slowed.hint());
    // …while alice, from her own address, gets in.
    let alice = accounts.login("alice", "alice's long password", None, "198.51.100.4", "r").await.unwrap();
    assert_eq!(alice.role, Role::Operator);
    // After the wait, the slowed address may try again.
    clock.0.fetch_add(1_001, Ordering::SeqCst);
    accounts.login("alice", "alice's long password", None, "203.0.113.9", "r").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_failures_are_all_counted() {
    let (accounts, _, store) = accounts().await;
    let attempts: Vec<_> = (0..12)
        .map(|_| {
            let accounts = accounts.clone();
            tokio::spawn(async move {
                accounts.login("alice", "wrong password!!", None, "203.0.113.9", "r").await
            })
        })
        .collect();
    for attempt in attempts {
        assert!(attempt.await.unwrap().is_err());
    }
    let (failures, _) = store.login_failures("alice", "203.0.113.9").await.unwrap().unwrap();
    // Attempts that arrived while slowed down are refused before counting; every checked one counts.
    assert!(failures >= FREE_FAILURES, "{failures}");
    let audit = store.audit(0, 1000).await.unwrap();
    let refused = audit.iter().filter(|e| e.action == "login" && e.outcome.starts_with("failed")).count();
    assert_eq!(refused, 12, "every attempt is audited");
    assert_eq!(
        audit.iter().filter(|e| e.outcome.starts_with("failed: from")).count() as u32,
        failures,
        "each counted failure is one audited wrong password"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_users_bad_names_and_wrong_passwords_get_one_answer_and_nothing_is_echoed() {
    let (accounts, _, store) = accounts().await;
    let huge = "x".repeat(1_900_000);
    let answers: Vec<String> = [
        accounts.login("nobody", "some password!!", None, "a", "r").await,
        accounts.login("alice", "wrong password!!", None, "b", "r").await,
        accounts.login(&huge, "some password!!", None, "c", "r").await,
        accounts.login("evil\u{1b}[2Jname", "some password!!", None, "d", "r").await,
    ]
    .into_iter()
    .map(|answer| answer.unwrap_err().to_string())
    .collect();
    assert!(answers.iter().all(|a| a == "wrong user name or password"), "{answers:?}");
    let audit = store.audit(0, 1000).await.unwrap();
    assert!(audit.iter().all(|e| e.target.len() <= 64 && !e.target.contains('\u{1b}')), "names are bounded");
    assert_eq!(audit.iter().filter(|e| e.target == "<invalid name>").count(), 2);
    // A success is audited too.
    accounts.login("alice", "alice's long password", None, "e", "r").await.unwrap();
    let audit = store.audit(0, 1000).await.unwrap();
    assert!(audit.iter().any(|e| e.action == "login" && e.actor == "alice" && e.outcome == "ok: from e"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_may_not_take_the_name_tokens_carry() {
    let (accounts, _, _) = accounts().await;
    let error = accounts
        .add_user(
            &Actor::new("root", Role::Admin),
            "voicefleet-console",
            Role::Admin,
            "a long enough password",
        )
        .await
        .unwrap_err();
    assert_eq!(error.kind(), voicefleet_core::ErrorKind::InvalidInput, "{error}");
}
