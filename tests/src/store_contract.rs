//! The store contract: what every [`Store`] must do, written once and run against each
//! implementation (SQLite in core's tests; PostgreSQL on a real server). Each case gets a fresh,
//! empty store from the caller's factory, keyed with [`audit_key`].

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use voicefleet_core::Error;
use voicefleet_core::auth::Role;
use voicefleet_core::console::audit::verify;
use voicefleet_core::console::bulk::{BulkAction, BulkRun, BulkSpec, RunOutcome, TargetResult, TargetState};
use voicefleet_core::console::mfa::{MfaRecord, RecoveryCodeRecord};
use voicefleet_core::console::{
    AlertRecord, AuditKey, AuditQuery, AuditRecord, CustomerRecord, EventQuery, FleetEvent, Limit,
    RevisionRecord, SecretRecord, Selector, Store, TokenRecord, UserRecord,
};
use voicefleet_core::host::MetricsSample;
use voicefleet_core::instances::LaunchSpec;

/// A fresh, empty store (keyed with [`audit_key`]).
pub type Factory = dyn Fn() -> Pin<Box<dyn Future<Output = Arc<dyn Store>> + Send>> + Send + Sync;

/// The key the factory's stores chain audit entries with.
pub fn audit_key() -> AuditKey {
    AuditKey::derive(&[7; 32])
}

/// Runs every case, each on a fresh store from `factory`.
pub async fn run_all(factory: &Factory) {
    macro_rules! case {
        ($name:ident) => {{
            let started = std::time::Instant::now();
            $name(factory().await).await;
            eprintln!("store contract: {} ({} ms)", stringify!($name), started.elapsed().as_millis());
        }};
    }
    case!(customers);
    case!(revisions);
    case!(secrets);
    case!(audit_chain);
    case!(bulk_runs);
    case!(users_and_tokens);
    case!(second_factor);
    case!(login_failures);
    case!(samples);
    case!(events);
    case!(alerts);
    case!(instances);
}

pub fn record(action: &str, target: &str) -> AuditRecord {
    AuditRecord {
        actor: "admin".to_owned(),
        action: action.to_owned(),
        target: target.to_owned(),
        request_id: "req".to_owned(),
        outcome: "ok".to_owned(),
        at_ms: 1_700_000_000_000,
    }
}

pub fn customer(id: &str) -> CustomerRecord {
    CustomerRecord {
        id: id.to_owned(),
        name: format!("Customer {id}"),
        endpoint: format!("https://{id}.example:7070"),
        tags: BTreeMap::from([("tier".to_owned(), "gold".to_owned())]),
        created_at_ms: 1_700_000_000_000,
        deployed_revision: None,
        trust: Default::default(),
    }
}

fn revision(customer_id: &str, number: u64, document: &str) -> RevisionRecord {
    RevisionRecord {
        customer_id: customer_id.to_owned(),
        number,
        document: document.to_owned(),
        hash: format!("sha256:{document}"),
        author: "admin".to_owned(),
        message: "change".to_owned(),
        created_at_ms: 1_700_000_000_000,
    }
}

/// The whole chain, checked with [`audit_key`]; returns its length.
pub async fn verified_chain(store: &dyn Store) -> u64 {
    let entries = store.audit(0, 1_000_000).await.unwrap();
    let verdict = verify(&entries, Some(&audit_key()));
    assert!(verdict.ok, "the audit chain breaks: {verdict:?}");
    let head = store.audit_head().await.unwrap();
    assert_eq!(head, entries.last().map(|entry| (entry.seq, entry.hash.clone())));
    verdict.entries
}

async fn customers(store: Arc<dyn Store>) {
    store.insert_customer(customer("acme"), record("customer.add", "acme")).await.unwrap();
    store.insert_customer(customer("beta"), record("customer.add", "beta")).await.unwrap();
    let again = store.insert_customer(customer("acme"), record("customer.add", "acme")).await;
    assert!(matches!(again, Err(Error::Conflict { .. })), "{again:?}");
    // The refused change left no audit entry (same transaction).
    assert_eq!(verified_chain(&*store).await, 2);
    assert_eq!(store.customer("acme").await.unwrap(), Some(customer("acme")));
    assert_eq!(store.customer("nobody").await.unwrap(), None);
    let ids: Vec<String> = store.customers().await.unwrap().into_iter().map(|c| c.id).collect();
    assert_eq!(ids, ["acme", "beta"]);

    let mut changed = customer("acme");
    changed.name = "Acme Corp".to_owned();
    changed.tags.insert("region".to_owned(), "eu".to_owned());
    store.update_customer(changed.clone(), record("customer.tag", "acme")).await.unwrap();
    assert_eq!(store.customer("acme").await.unwrap(), Some(changed));
    let missing = store.update_customer(customer("nobody"), record("customer.tag", "nobody")).await;
    assert!(matches!(missing, Err(Error::CustomerNotFound { .. })), "{missing:?}");

    store.insert_revision(revision("acme", 0, "a"), record("config.create", "acme#1")).await.unwrap();
    let secret =
        SecretRecord { name: "KEY".to_owned(), nonce: vec![1], ciphertext: vec![2], updated_at_ms: 5 };
    store.put_secret("acme", secret, record("secret.set", "acme/KEY")).await.unwrap();
    store.delete_customer("acme", record("customer.remove", "acme")).await.unwrap();
    assert_eq!(store.customer("acme").await.unwrap(), None);
    assert!(store.revisions("acme").await.unwrap().is_empty());
    assert!(store.secrets("acme").await.unwrap().is_empty());
    assert_eq!(verified_chain(&*store).await, 6);
}

async fn revisions(store: Arc<dyn Store>) {
    store.insert_customer(customer("acme"), record("customer.add", "acme")).await.unwrap();
    for expected in 1..=3 {
        let number = store
            .insert_revision(revision("acme", 0, &format!("doc{expected}")), record("config.create", "acme"))
            .await
            .unwrap();
        assert_eq!(number, expected);
    }
    let stale = store.insert_revision(revision("acme", 3, "late"), record("config.create", "acme")).await;
    assert!(matches!(stale, Err(Error::Stale { .. })), "{stale:?}");
    assert_eq!(
        store.insert_revision(revision("acme", 4, "next"), record("config.create", "acme")).await.unwrap(),
        4
    );

    // Two writers on the same parent: one wins, the other is told its parent is stale.
    let racers = (0..4).map(|i| {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .insert_revision(revision("acme", 5, &format!("race{i}")), record("config.create", "acme"))
                .await
        })
    });
    let results: Vec<_> =
        futures_util::future::join_all(racers).await.into_iter().map(Result::unwrap).collect();
    assert_eq!(results.iter().filter(|r| matches!(r, Ok(5))).count(), 1, "{results:?}");
    assert!(results.iter().all(|r| matches!(r, Ok(5) | Err(Error::Stale { .. }))), "{results:?}");

    let numbers: Vec<u64> = store.revisions("acme").await.unwrap().iter().map(|r| r.number).collect();
    assert_eq!(numbers, [5, 4, 3, 2, 1]);
    assert_eq!(store.revision("acme", 2).await.unwrap().unwrap().document, "doc2");
    assert_eq!(store.revision("acme", 9).await.unwrap(), None);
    assert_eq!(store.revision("acme", u64::MAX).await.unwrap(), None);
    assert_eq!(store.latest_revision_numbers().await.unwrap().get("acme"), Some(&5));
    assert!(store.deployed_hashes().await.unwrap().is_empty());
    let mut deployed = customer("acme");
    deployed.deployed_revision = Some(2);
    store.update_customer(deployed, record("config.deploy", "acme#2")).await.unwrap();
    assert_eq!(store.deployed_hashes().await.unwrap(), [("acme".to_owned(), 2, "sha256:doc2".to_owned())]);
    assert_eq!(verified_chain(&*store).await, 7);
}

async fn secrets(store: Arc<dyn Store>) {
    store.insert_customer(customer("acme"), record("customer.add", "acme")).await.unwrap();
    let secret = |name: &str, byte: u8| SecretRecord {
        name: name.to_owned(),
        nonce: vec![byte; 12],
        ciphertext: vec![byte, 0, 255],
        updated_at_ms: u64::from(byte),
    };
    store.put_secret("acme", secret("B_KEY", 1), record("secret.set", "acme/B_KEY")).await.unwrap();
    store.put_secret("acme", secret("A_KEY", 2), record("secret.set", "acme/A_KEY")).await.unwrap();
    store.put_secret("acme", secret("B_KEY", 3), record("secret.set", "acme/B_KEY")).await.unwrap();
    assert_eq!(store.secret("acme", "B_KEY").await.unwrap(), Some(secret("B_KEY", 3)));
    let names: Vec<String> = store.secrets("acme").await.unwrap().into_iter().map(|s| s.name).collect();
    assert_eq!(names, ["A_KEY", "B_KEY"]);
    assert!(store.delete_secret("acme", "A_KEY", record("secret.delete", "acme/A_KEY")).await.unwrap());
    assert!(!store.delete_secret("acme", "A_KEY", record("secret.delete", "acme/A_KEY")).await.unwrap());
    assert_eq!(store.secret("acme", "A_KEY").await.unwrap(), None);
    assert_eq!(verified_chain(&*store).await, 6);
}

async fn audit_chain(store: Arc<dyn Store>) {
    assert_eq!(store.audit_head().await.unwrap(), None);
    // Writers at once: plain appends and audited changes, on several connections.
    let writers = (0..4).map(|w| {
        let store = store.clone();
        tokio::spawn(async move {
            for i in 0..20 {
                if i % 5 == 0 {
                    let id = format!("c{w}-{i}");
                    store.insert_customer(customer(&id), record("customer.add", &id)).await.unwrap();
                } else {
                    store.append_audit(record("login", &format!("w{w}"))).await.unwrap();
                }
            }
        })
    });
    for writer in futures_util::future::join_all(writers).await {
        writer.unwrap();
    }
    assert_eq!(verified_chain(&*store).await, 80);
    let page = store.audit(10, 5).await.unwrap();
    assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), [11, 12, 13, 14, 15]);
    assert!(store.audit(u64::MAX, 5).await.unwrap().is_empty());

    let mut entry = record("config.deploy", "acme#3");
    entry.actor = "token:ci".to_owned();
    let appended = store.append_audit(entry).await.unwrap();
    assert_eq!(appended.seq, 81);
    store.append_audit(record("secret.set", "acme/KEY")).await.unwrap();
    store.append_audit(record("secret.set", "acme-other/KEY")).await.unwrap();
    let query = |customize: fn(&mut AuditQuery)| {
        let mut query = AuditQuery { limit: 100, ..AuditQuery::default() };
        customize(&mut query);
        query
    };
    let seqs = |entries: Vec<voicefleet_core::console::AuditEntry>| {
        entries.iter().map(|e| e.seq).collect::<Vec<_>>()
    };
    let by_customer = store.audit_newest(&query(|q| q.customer = Some("acme".to_owned()))).await.unwrap();
    assert_eq!(seqs(by_customer), [82, 81]);
    let by_actor = store.audit_newest(&query(|q| q.actor = Some("token:ci".to_owned()))).await.unwrap();
    assert_eq!(seqs(by_actor), [81]);
    let by_group = store.audit_newest(&query(|q| q.action = Some("secret.".to_owned()))).await.unwrap();
    assert_eq!(seqs(by_group), [83, 82]);
    let before = store.audit_newest(&query(|q| (q.before, q.limit) = (Some(83), 2))).await.unwrap();
    assert_eq!(seqs(before), [82, 81]);
    assert_eq!(verified_chain(&*store).await, 83);
}

fn target(customer_id: &str, state: TargetState) -> TargetResult {
    TargetResult {
        customer_id: customer_id.to_owned(),
        state,
        canary: false,
        reason: None,
        started_at_ms: None,
        finished_at_ms: None,
        previous_revision: None,
        revision: None,
    }
}

fn run(id: &str, created_at_ms: u64, outcome: RunOutcome, targets: &[&str]) -> BulkRun {
    BulkRun {
        id: id.to_owned(),
        spec: BulkSpec {
            action: BulkAction::Restart,
            selector: Selector::All,
            max_concurrency: Limit::Count(2),
            max_errors: Limit::Count(0),
            canary: 0,
            health_gate: None,
            auto_rollback: false,
            dry_run: false,
        },
        actor: "admin".to_owned(),
        created_at_ms,
        finished_at_ms: None,
        outcome,
        max_concurrency: 2,
        max_errors: 0,
        targets: targets.iter().map(|id| target(id, TargetState::Pending)).collect(),
    }
}

async fn bulk_runs(store: Arc<dyn Store>) {
    // Targets in an order that is not alphabetical: it is kept.
    let first = run("run-1", 1_000, RunOutcome::Running, &["zeta", "alpha", "mid"]);
    store.save_bulk_run(&first, Some(record("bulk.start", "run-1"))).await.unwrap();
    store.save_bulk_run(&run("run-2", 2_000, RunOutcome::Succeeded, &["alpha"]), None).await.unwrap();
    store.save_bulk_run(&run("run-3", 3_000, RunOutcome::Running, &[]), None).await.unwrap();
    assert_eq!(store.bulk_run("run-1").await.unwrap(), Some(first.clone()));
    assert_eq!(store.bulk_run("none").await.unwrap(), None);

    let mut done = target("alpha", TargetState::Succeeded);
    done.finished_at_ms = Some(1_500);
    store.save_target_result("run-1", &done).await.unwrap();
    let loaded = store.bulk_run("run-1").await.unwrap().unwrap();
    let order: Vec<&str> = loaded.targets.iter().map(|t| t.customer_id.as_str()).collect();
    assert_eq!(order, ["zeta", "alpha", "mid"]);
    assert_eq!(loaded.targets[1], done);

    let newest: Vec<String> = store.bulk_runs(2).await.unwrap().into_iter().map(|r| r.id).collect();
    assert_eq!(newest, ["run-3", "run-2"]);
    let unfinished: Vec<String> =
        store.unfinished_bulk_runs().await.unwrap().into_iter().map(|r| r.id).collect();
    assert_eq!(unfinished, ["run-1", "run-3"]);

    let mut finished = loaded.clone();
    finished.outcome = RunOutcome::Cancelled;
    finished.finished_at_ms = Some(2_500);
    store.save_bulk_run(&finished, None).await.unwrap();
    assert_eq!(store.bulk_run("run-1").await.unwrap(), Some(finished.clone()));
    assert_eq!(store.unfinished_bulk_runs().await.unwrap().len(), 1);

    assert_eq!(store.audit_bulk_run("none", record("bulk.cancel", "none")).await.unwrap(), None);
    assert_eq!(store.audit_bulk_run("run-1", record("bulk.cancel", "run-1")).await.unwrap(), Some(finished));
    assert_eq!(verified_chain(&*store).await, 2);
}

fn user(name: &str, role: Role) -> UserRecord {
    UserRecord {
        name: name.to_owned(),
        role,
        password_hash: format!("$argon2id$hash-of-{name}"),
        created_at_ms: 1_000,
        failed_logins: 0,
        locked_until_ms: None,
        tokens_after_s: 0,
    }
}

fn token(id: &str, created_by: &str, created_at_ms: u64) -> TokenRecord {
    TokenRecord {
        id: id.to_owned(),
        name: format!("token {id}"),
        role: Role::Operator,
        token_hash: format!("hash-{id}"),
        created_by: created_by.to_owned(),
        created_at_ms,
        expires_at_ms: Some(9_999_999_999_999),
        revoked: false,
    }
}

async fn users_and_tokens(store: Arc<dyn Store>) {
    store.insert_user(user("bob", Role::Viewer), record("user.add", "bob")).await.unwrap();
    store.insert_user(user("alice", Role::Admin), record("user.add", "alice")).await.unwrap();
    let again = store.insert_user(user("bob", Role::Admin), record("user.add", "bob")).await;
    assert!(matches!(again, Err(Error::Conflict { .. })), "{again:?}");
    let names: Vec<String> = store.users().await.unwrap().into_iter().map(|u| u.name).collect();
    assert_eq!(names, ["alice", "bob"]);
    let mut changed = user("bob", Role::Operator);
    (changed.failed_logins, changed.locked_until_ms, changed.tokens_after_s) = (3, Some(77), 1_700_000_000);
    store.update_user(changed.clone(), None).await.unwrap();
    assert_eq!(store.user("bob").await.unwrap(), Some(changed));
    assert_eq!(store.user("nobody").await.unwrap(), None);

    store.insert_token(token("t2", "bob", 20), record("token.create", "t2")).await.unwrap();
    store.insert_token(token("t1", "alice", 10), record("token.create", "t1")).await.unwrap();
    assert_eq!(store.token_by_hash("hash-t2").await.unwrap(), Some(token("t2", "bob", 20)));
    assert_eq!(store.token_by_hash("nothing").await.unwrap(), None);
    let ids: Vec<String> = store.tokens().await.unwrap().into_iter().map(|t| t.id).collect();
    assert_eq!(ids, ["t1", "t2"]);
    assert!(store.revoke_token("t1", record("token.revoke", "t1")).await.unwrap());
    assert!(!store.revoke_token("none", record("token.revoke", "none")).await.unwrap());
    assert!(store.token_by_hash("hash-t1").await.unwrap().unwrap().revoked);

    // Deleting a user revokes the tokens they made and removes their second factor.
    store.put_mfa(mfa("bob", 0), record("mfa.enable", "bob")).await.unwrap();
    store.delete_user("bob", record("user.remove", "bob")).await.unwrap();
    assert_eq!(store.user("bob").await.unwrap(), None);
    assert!(store.token_by_hash("hash-t2").await.unwrap().unwrap().revoked);
    assert_eq!(store.mfa("bob").await.unwrap(), None);
    assert_eq!(verified_chain(&*store).await, 8);
}

fn mfa(name: &str, last_step: u64) -> MfaRecord {
    MfaRecord {
        name: name.to_owned(),
        nonce: vec![9; 12],
        ciphertext: vec![1, 2, 3],
        confirmed: false,
        last_step,
        created_at_ms: 5,
        recovery_codes: ["c", "a", "b"]
            .iter()
            .map(|code| RecoveryCodeRecord {
                salt: format!("salt-{code}"),
                hash: format!("hash-{code}"),
                used_at_ms: None,
            })
            .collect(),
    }
}

async fn second_factor(store: Arc<dyn Store>) {
    store.insert_user(user("alice", Role::Admin), record("user.add", "alice")).await.unwrap();
    store.insert_user(user("bob", Role::Viewer), record("user.add", "bob")).await.unwrap();
    store.put_mfa(mfa("alice", 0), record("mfa.enable", "alice")).await.unwrap();
    store.put_mfa(mfa("bob", 0), record("mfa.enable", "bob")).await.unwrap();
    // Codes in the order they were given.
    assert_eq!(store.mfa("alice").await.unwrap(), Some(mfa("alice", 0)));
    assert_eq!(store.mfa_all().await.unwrap().len(), 2);

    assert!(store.confirm_mfa("alice", 100, record("mfa.confirm", "alice")).await.unwrap());
    assert!(!store.confirm_mfa("alice", 100, record("mfa.confirm", "alice")).await.unwrap());
    assert!(store.mfa("alice").await.unwrap().unwrap().confirmed);

    // One code, many logins at once: exactly one uses it.
    let logins = (0..8).map(|_| {
        let store = store.clone();
        tokio::spawn(async move { store.use_totp_step("alice", 101).await.unwrap() })
    });
    let used: Vec<bool> =
        futures_util::future::join_all(logins).await.into_iter().map(Result::unwrap).collect();
    assert_eq!(used.iter().filter(|u| **u).count(), 1, "{used:?}");
    assert!(!store.use_totp_step("alice", 100).await.unwrap());
    assert!(store.use_totp_step("alice", 102).await.unwrap());
    assert_eq!(store.mfa("alice").await.unwrap().unwrap().last_step, 102);

    let codes = (0..4).map(|_| {
        let store = store.clone();
        tokio::spawn(async move { store.use_recovery_code("alice", "hash-a", 77).await.unwrap() })
    });
    let used: Vec<bool> =
        futures_util::future::join_all(codes).await.into_iter().map(Result::unwrap).collect();
    assert_eq!(used.iter().filter(|u| **u).count(), 1, "{used:?}");
    assert!(!store.use_recovery_code("alice", "no-such", 77).await.unwrap());
    let stored = store.mfa("alice").await.unwrap().unwrap();
    assert_eq!(stored.recovery_codes[1].used_at_ms, Some(77));

    // A new enrollment replaces the old one, codes included.
    let mut again = mfa("alice", 0);
    again.recovery_codes.truncate(1);
    store.put_mfa(again.clone(), record("mfa.enable", "alice")).await.unwrap();
    assert_eq!(store.mfa("alice").await.unwrap(), Some(again));
    assert!(store.delete_mfa("bob", record("mfa.disable", "bob")).await.unwrap());
    assert!(!store.delete_mfa("bob", record("mfa.disable", "bob")).await.unwrap());

    assert!(store.mfa_required_roles().await.unwrap().is_empty());
    store.set_mfa_required(Role::Operator, true, record("mfa.require", "operator")).await.unwrap();
    store.set_mfa_required(Role::Admin, true, record("mfa.require", "admin")).await.unwrap();
    store.set_mfa_required(Role::Admin, true, record("mfa.require", "admin")).await.unwrap();
    let mut expected = vec![Role::Admin, Role::Operator];
    expected.sort();
    assert_eq!(store.mfa_required_roles().await.unwrap(), expected);
    store.set_mfa_required(Role::Operator, false, record("mfa.require", "operator")).await.unwrap();
    assert_eq!(store.mfa_required_roles().await.unwrap(), [Role::Admin]);
    assert_eq!(verified_chain(&*store).await, 12);
}

async fn login_failures(store: Arc<dyn Store>) {
    const DAY_MS: u64 = 86_400_000;
    let now = 10 * DAY_MS;
    let failures = (0..10).map(|i| {
        let store = store.clone();
        tokio::spawn(async move {
            store.record_login_failure("alice", "10.0.0.1", now + i, record("login", "alice")).await.unwrap()
        })
    });
    let mut counts: Vec<u32> =
        futures_util::future::join_all(failures).await.into_iter().map(Result::unwrap).collect();
    counts.sort();
    assert_eq!(counts, (1..=10).collect::<Vec<u32>>());
    assert_eq!(store.login_failures("alice", "10.0.0.1").await.unwrap().map(|(n, _)| n), Some(10));
    store.record_login_failure("alice", "10.0.0.2", now, record("login", "alice")).await.unwrap();
    store.clear_login_failures("alice", Some("10.0.0.1"), None).await.unwrap();
    assert_eq!(store.login_failures("alice", "10.0.0.1").await.unwrap(), None);
    assert_eq!(store.login_failures("alice", "10.0.0.2").await.unwrap(), Some((1, now)));
    store.clear_login_failures("alice", None, Some(record("user.unlock", "alice"))).await.unwrap();
    assert_eq!(store.login_failures("alice", "10.0.0.2").await.unwrap(), None);
    // Failures older than a day are forgotten when another is counted.
    store.record_login_failure("bob", "10.0.0.3", now, record("login", "bob")).await.unwrap();
    store
        .record_login_failure("carol", "10.0.0.3", now + 2 * DAY_MS, record("login", "carol"))
        .await
        .unwrap();
    assert_eq!(store.login_failures("bob", "10.0.0.3").await.unwrap(), None);
    assert_eq!(verified_chain(&*store).await, 14);
}

fn sample(at_ms: u64, cpu: f64) -> MetricsSample {
    MetricsSample { at_ms, cpu_percent: cpu, rss_bytes: 1 << 20, ..MetricsSample::default() }
}

async fn samples(store: Arc<dyn Store>) {
    const MINUTE: u64 = 60_000;
    const DAY: u64 = 1_440 * MINUTE;
    let now = 30 * DAY;
    store.insert_samples("acme", &[sample(now - 8 * DAY, 1.0), sample(now - 10, 2.0)]).await.unwrap();
    // Older than a day (within the thinning window): 3 in one minute, 1 in the next.
    let old = now - DAY - 2 * 3_600_000;
    let minute_start = old - old % MINUTE;
    let thinned = [minute_start + 1, minute_start + 2, minute_start + 3, minute_start + MINUTE + 1];
    store.insert_samples("acme", &thinned.map(|at| sample(at, 3.0))).await.unwrap();
    store
        .insert_fleet_samples(vec![
            ("acme".to_owned(), sample(now - 5, 4.0)),
            ("beta".to_owned(), sample(now - 5, 5.0)),
        ])
        .await
        .unwrap();
    assert_eq!(store.samples("acme", 0, u64::MAX).await.unwrap().len(), 7);
    assert_eq!(store.samples("beta", 0, u64::MAX).await.unwrap(), [sample(now - 5, 5.0)]);
    assert_eq!(
        store.samples("acme", now - 10, now - 5).await.unwrap(),
        [sample(now - 10, 2.0), sample(now - 5, 4.0)]
    );

    store.prune_samples(now).await.unwrap();
    let kept: Vec<u64> = store.samples("acme", 0, u64::MAX).await.unwrap().iter().map(|s| s.at_ms).collect();
    assert_eq!(kept, [minute_start + 1, minute_start + MINUTE + 1, now - 10, now - 5]);
}

fn status_event(customer_id: &str, at_ms: u64) -> FleetEvent {
    FleetEvent::StatusChanged {
        customer_id: customer_id.to_owned(),
        from: "running".to_owned(),
        to: "unreachable".to_owned(),
        at_ms,
        exit: None,
        restarts: Some(2),
        pid: Some(4242),
    }
}

async fn events(store: Arc<dyn Store>) {
    const DAY: u64 = 86_400_000;
    let now = 30 * DAY;
    store.insert_event("acme", now - 8 * DAY, &status_event("acme", now - 8 * DAY)).await.unwrap();
    for at in [now - 30, now - 20, now - 10] {
        store.insert_event("acme", at, &status_event("acme", at)).await.unwrap();
    }
    store.insert_event("beta", now - 15, &status_event("beta", now - 15)).await.unwrap();
    let query = |customer: Option<&str>, since_ms, limit| EventQuery {
        customer: customer.map(str::to_owned),
        since_ms,
        limit,
    };
    let times = |events: Vec<FleetEvent>| events.iter().map(|e| e.customer_and_time().1).collect::<Vec<_>>();
    assert_eq!(
        times(store.events(&query(None, now - DAY, 100)).await.unwrap()),
        [now - 30, now - 20, now - 15, now - 10]
    );
    assert_eq!(times(store.events(&query(Some("acme"), 0, 2)).await.unwrap()), [now - 20, now - 10]);
    assert_eq!(store.events(&query(Some("beta"), 0, 10)).await.unwrap(), [status_event("beta", now - 15)]);
    store.prune_samples(now).await.unwrap();
    assert_eq!(store.events(&query(Some("acme"), 0, 100)).await.unwrap().len(), 3);
}

fn alert(customer_id: &str, rule: &str, firing: bool) -> AlertRecord {
    AlertRecord {
        customer_id: customer_id.to_owned(),
        rule: rule.to_owned(),
        firing,
        message: format!("{rule} on {customer_id}"),
        since_ms: 10,
        resolved_at_ms: (!firing).then_some(20),
    }
}

async fn alerts(store: Arc<dyn Store>) {
    store.insert_customer(customer("acme"), record("customer.add", "acme")).await.unwrap();
    store.upsert_alert(alert("acme", "unreachable", true)).await.unwrap();
    store.upsert_alert(alert("acme", "cpu", true)).await.unwrap();
    store.upsert_alert(alert("beta", "cpu", true)).await.unwrap();
    store.upsert_alert(alert("acme", "cpu", false)).await.unwrap();
    let firing = store.alerts(false).await.unwrap();
    assert_eq!(firing, [alert("acme", "unreachable", true), alert("beta", "cpu", true)]);
    assert_eq!(store.alerts(true).await.unwrap().len(), 3);
    assert_eq!(
        store.customer_alerts("acme").await.unwrap(),
        [alert("acme", "cpu", false), alert("acme", "unreachable", true)]
    );
    store.delete_customer("acme", record("customer.remove", "acme")).await.unwrap();
    assert!(store.customer_alerts("acme").await.unwrap().is_empty());
    assert_eq!(store.alerts(true).await.unwrap(), [alert("beta", "cpu", true)]);
}

async fn instances(store: Arc<dyn Store>) {
    use crate::cloud::instance;
    assert_eq!(store.instances().await.unwrap(), (Vec::new(), None));
    store
        .replace_instances(
            vec![instance("i-2", Some("acme")), instance("i-1", None)],
            100,
            record("instances.sync", "ec2"),
        )
        .await
        .unwrap();
    let (found, synced) = store.instances().await.unwrap();
    assert_eq!(found, [instance("i-1", None), instance("i-2", Some("acme"))]);
    assert_eq!(synced, Some(100));
    let mut stopped = instance("i-2", Some("acme"));
    stopped.state = voicefleet_core::instances::InstanceState::Stopped;
    store.put_instance(stopped.clone(), 200).await.unwrap();
    store.put_instance(instance("i-3", Some("beta")), 150).await.unwrap();
    assert_eq!(
        store.instances().await.unwrap(),
        (vec![instance("i-1", None), stopped, instance("i-3", Some("beta"))], Some(200))
    );
    store.replace_instances(vec![instance("i-9", None)], 300, record("instances.sync", "ec2")).await.unwrap();
    assert_eq!(store.instances().await.unwrap(), (vec![instance("i-9", None)], Some(300)));

    store.insert_customer(customer("acme"), record("customer.add", "acme")).await.unwrap();
    let spec = LaunchSpec {
        image_id: Some("ami-1".to_owned()),
        instance_type: Some("t3.small".to_owned()),
        ..LaunchSpec::default()
    };
    store.put_launch_spec("acme", spec.clone(), record("instances.launch_spec", "acme")).await.unwrap();
    assert_eq!(store.launch_spec("acme").await.unwrap(), Some(spec));
    let template = LaunchSpec { launch_template_id: Some("lt-1".to_owned()), ..LaunchSpec::default() };
    store.put_launch_spec("acme", template.clone(), record("instances.launch_spec", "acme")).await.unwrap();
    assert_eq!(store.launch_spec("acme").await.unwrap(), Some(template));
    assert_eq!(store.launch_spec("beta").await.unwrap(), None);
    store.delete_customer("acme", record("customer.remove", "acme")).await.unwrap();
    assert_eq!(store.launch_spec("acme").await.unwrap(), None);
    assert_eq!(verified_chain(&*store).await, 6);
}
