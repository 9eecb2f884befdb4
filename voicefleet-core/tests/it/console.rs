//! Console building blocks: rate control, selectors, the audit chain, the SQLite store, secrets
//! at rest.

use std::collections::BTreeMap;

use proptest::prelude::*;
use voicefleet_core::console::audit::{self, AuditRecord};
use voicefleet_core::console::{CustomerRecord, Limit, RateControl, SecretBox, Selector, SqliteStore, Store};

#[test]
fn limits_parse_and_resolve() {
    assert_eq!(Limit::parse("10").unwrap(), Limit::Count(10));
    assert_eq!(Limit::parse("10%").unwrap(), Limit::Percent(10));
    assert_eq!(Limit::Percent(10).resolve(5), 1, "rounds up, never 0");
    assert_eq!(Limit::Percent(10).resolve(1000), 100);
    assert_eq!(Limit::Percent(0).resolve(1000), 0);
    assert_eq!(Limit::Percent(100).resolve(7), 7);
    for bad in ["", "x", "101%", "-1", "1.5"] {
        assert!(Limit::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn selectors() {
    let tags: BTreeMap<String, String> =
        [("tier".into(), "prod".into()), ("region".into(), "eu".into())].into();
    assert!(Selector::parse("all").unwrap().matches("a", &tags));
    assert!(Selector::parse("").unwrap().matches("a", &tags));
    assert!(Selector::parse("tier=prod").unwrap().matches("a", &tags));
    assert!(Selector::parse("tier=prod,region=eu").unwrap().matches("a", &tags));
    assert!(!Selector::parse("tier=prod,region=us").unwrap().matches("a", &tags));
    assert!(Selector::parse("acme,globex").unwrap().matches("globex", &tags));
    assert!(!Selector::parse("acme").unwrap().matches("globex", &tags));
    assert!(Selector::parse("acme,tier=prod").is_err());
    assert!(Selector::parse("Bad_Id").is_err());
}

proptest! {
    /// For any sequence of outcomes and completion orders: concurrency never exceeds the limit,
    /// and no target starts after the error threshold is crossed.
    #[test]
    fn rate_control_never_exceeds_limits(
        total in 1usize..60,
        max_concurrency in 1u64..10,
        max_errors in 0u64..5,
        outcomes in prop::collection::vec(any::<bool>(), 60),
        picks in prop::collection::vec(any::<prop::sample::Index>(), 60),
    ) {
        let mut control = RateControl::new(max_concurrency, max_errors);
        let mut in_flight: Vec<usize> = Vec::new();
        let mut started = 0usize;
        let mut finished = 0usize;
        let mut crossed_at_start_count: Option<usize> = None;
        while finished < started || (started < total && control.may_start()) {
            while started < total && control.may_start() {
                prop_assert!(crossed_at_start_count.is_none(), "a target started after the threshold was crossed");
                control.started();
                in_flight.push(started);
                started += 1;
                prop_assert!(in_flight.len() as u64 <= max_concurrency);
                prop_assert_eq!(control.in_flight(), in_flight.len() as u64);
            }
            if in_flight.is_empty() { break; }
            let which = picks[finished % picks.len()].index(in_flight.len());
            let target = in_flight.swap_remove(which);
            let failed = outcomes[target % outcomes.len()];
            finished += 1;
            if control.finished(failed) {
                crossed_at_start_count = Some(started);
            }
        }
        let errors = control.errors();
        if errors > max_errors {
            prop_assert!(control.is_stopped());
        } else {
            prop_assert_eq!(started, total, "without crossing the threshold every target runs");
        }
    }
}

fn record(action: &str) -> AuditRecord {
    AuditRecord {
        actor: "ops".into(),
        action: action.into(),
        target: "acme".into(),
        request_id: "r1".into(),
        outcome: "ok".into(),
        at_ms: 1_700_000_000_000,
    }
}

#[tokio::test]
async fn the_audit_chain_detects_edits_and_deletions() {
    let dir = voicefleet_tests::scratch();
    let path = dir.path().join("console.db");
    let store = SqliteStore::open(&path).unwrap();
    for action in ["customer.add", "config.revision", "config.deploy", "secret.set", "agent.restart"] {
        store.append_audit(record(action)).await.unwrap();
    }
    let entries = store.audit(0, 100).await.unwrap();
    assert_eq!(entries.len(), 5);
    assert_eq!(entries[0].prev_hash, audit::GENESIS);
    assert_eq!(entries[1].prev_hash, entries[0].hash);
    assert!(audit::verify(&entries).ok);

    // Edit row 3 behind the console's back.
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute("UPDATE audit SET actor = 'mallory' WHERE seq = 3", []).unwrap();
    let verification = audit::verify(&store.audit(0, 100).await.unwrap());
    assert!(!verification.ok);
    assert_eq!(verification.first_broken_seq, Some(3));
    assert!(verification.reason.unwrap().contains("edited"));
    raw.execute("UPDATE audit SET actor = 'ops' WHERE seq = 3", []).unwrap();
    assert!(audit::verify(&store.audit(0, 100).await.unwrap()).ok);

    // Delete row 2.
    raw.execute("DELETE FROM audit WHERE seq = 2", []).unwrap();
    let verification = audit::verify(&store.audit(0, 100).await.unwrap());
    assert_eq!(verification.first_broken_seq, Some(2));
    assert!(verification.reason.unwrap().contains("missing"));
}

#[tokio::test]
async fn the_store_survives_a_restart_and_refuses_duplicates() {
    let dir = voicefleet_tests::scratch();
    let path = dir.path().join("console.db");
    let customer = CustomerRecord {
        id: "acme".into(),
        name: "Acme".into(),
        endpoint: "http://127.0.0.1:8001/".into(),
        tags: [("tier".to_owned(), "prod".to_owned())].into(),
        created_at_ms: 1,
        deployed_revision: None,
        trust: Default::default(),
    };
    {
        let store = SqliteStore::open(&path).unwrap();
        store.insert_customer(customer.clone(), record("customer.add")).await.unwrap();
        let error = store.insert_customer(customer.clone(), record("customer.add")).await.unwrap_err();
        assert_eq!(error.kind(), voicefleet_core::ErrorKind::Conflict);
        // The refused insert left no audit entry behind (same transaction).
        assert_eq!(store.audit(0, 10).await.unwrap().len(), 1);
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.customers().await.unwrap(), vec![customer]);
    let raw = rusqlite::Connection::open(&path).unwrap();
    let mode: String = raw.query_row("PRAGMA journal_mode", [], |row| row.get(0)).unwrap();
    assert_eq!(mode, "wal");
    let version: i64 = raw.query_row("PRAGMA user_version", [], |row| row.get(0)).unwrap();
    assert!(version >= 2);
}

#[test]
fn secrets_at_rest_are_bound_to_their_customer_and_name() {
    let sealed = SecretBox::new(&[7; 32]);
    let (nonce, ciphertext) = sealed.seal("acme", "openai_api_key", "sk-live-123").unwrap();
    assert!(!String::from_utf8_lossy(&ciphertext).contains("sk-live"));
    assert_eq!(sealed.open("acme", "openai_api_key", &nonce, &ciphertext).unwrap(), "sk-live-123");
    assert!(
        sealed.open("globex", "openai_api_key", &nonce, &ciphertext).is_err(),
        "moved to another customer"
    );
    assert!(sealed.open("acme", "other", &nonce, &ciphertext).is_err(), "renamed");
    assert!(
        SecretBox::new(&[8; 32]).open("acme", "openai_api_key", &nonce, &ciphertext).is_err(),
        "wrong key"
    );
    let (nonce2, _) = sealed.seal("acme", "openai_api_key", "sk-live-123").unwrap();
    assert_ne!(nonce, nonce2, "a fresh nonce per value");
}

#[test]
fn the_master_key_file_is_generated_once_and_private() {
    let dir = voicefleet_tests::scratch();
    let path = dir.path().join("master.key");
    let (_, source) = SecretBox::load_or_create(&path).unwrap();
    assert!(matches!(source, voicefleet_core::console::KeySource::Generated(_)));
    let (_, source) = SecretBox::load_or_create(&path).unwrap();
    assert!(matches!(source, voicefleet_core::console::KeySource::File(_)));
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    std::fs::write(&path, "not hex").unwrap();
    assert!(SecretBox::load_or_create(&path).is_err());
}
