//! The store contract: what every [`Store`] must do, written once and run against each
//! implementation (SQLite in core's tests; PostgreSQL on a real server). Each case gets a fresh,
//! empty store from the caller's factory, keyed with [`audit_key`].

mod accounts;
mod history;
mod lease;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use voicefleet_core::Error;
use voicefleet_core::console::audit::verify;
use voicefleet_core::console::{
    AuditKey, AuditQuery, AuditRecord, CustomerRecord, RevisionRecord, SecretRecord, Store,
};

/// A fresh, empty store (keyed with [`audit_key`]).
pub type Factory = dyn Fn() -> Pin<Box<dyn Future<Output = Arc<dyn Store>> + Send>> + Send + Sync;

/// The key the factory's stores chain audit entries with.
pub fn audit_key() -> AuditKey {
    AuditKey::derive(&[7; 32])
}

/// Runs every case, each on a fresh store from `factory`.
pub async fn run_all(factory: &Factory) {
    macro_rules! case {
        ($name:path) => {{
            let started = std::time::Instant::now();
            $name(factory().await).await;
            eprintln!("store contract: {} ({} ms)", stringify!($name), started.elapsed().as_millis());
        }};
    }
    case!(customers);
    case!(revisions);
    case!(secrets);
    case!(audit_chain);
    case!(history::bulk_runs);
    case!(accounts::users_and_tokens);
    case!(accounts::second_factor);
    case!(accounts::login_failures);
    case!(accounts::login_attempts);
    case!(accounts::key_fingerprints);
    case!(accounts::idempotency_keys);
    case!(history::samples);
    case!(history::events);
    case!(history::alerts);
    case!(history::instances);
    case!(history::export);
    case!(lease::leases);
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
