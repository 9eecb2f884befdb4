//! A launch spec's user data holds the host's TLS private key: the store keeps it sealed with
//! the master key, on SQLite and on PostgreSQL (the raw row holds no key), no API shows it, and
//! a replacement launched from the spec gets it whole.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use voicefleet_core::auth::Role;
use voicefleet_core::clock::Clock;
use voicefleet_core::console::{
    Actor, Console, ConsoleOptions, Fleet, NewCustomer, PostgresStore, SecretBox, SqliteStore, Store,
};
use voicefleet_core::customer::CustomerId;
use voicefleet_core::instances::{
    HostUserData, InstanceState, LaunchSpec, RecoveryAction, RecoveryPolicy, render_host_user_data,
    self_signed,
};
use voicefleet_http::HostTokenSigner;
use voicefleet_tests::cloud::{FakeCloud, instance};
use voicefleet_tests::hosts::down_endpoint;

#[derive(Debug, Default)]
struct TestClock(AtomicU64);

impl Clock for TestClock {
    fn now_ms(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

const MINUTE: u64 = 60_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn launch_user_data_is_sealed_at_rest_on_sqlite() {
    let dir = voicefleet_tests::scratch();
    let path = dir.path().join("console.db");
    let store = Arc::new(SqliteStore::open(&path).unwrap());
    let raw = move || {
        let db = rusqlite::Connection::open(&path).unwrap();
        let mut statement = db.prepare("SELECT body FROM launch_specs").unwrap();
        let rows = statement.query_map([], |row| row.get::<_, String>(0)).unwrap();
        rows.map(Result::unwrap).collect::<Vec<_>>().join("\n")
    };
    sealed_on(store, &raw).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn launch_user_data_is_sealed_at_rest_on_postgres() {
    let server = voicefleet_tests::postgres::PostgresServer::start();
    let url = server.create_database("sealed");
    let store = Arc::new(PostgresStore::connect(&url).await.unwrap());
    let psql = voicefleet_tests::postgres::bin_dir().join("psql");
    let raw = move || {
        let output = Command::new(&psql)
            .args([url.as_str(), "-At", "-c", "SELECT body FROM launch_specs"])
            .output()
            .expect("run psql");
        assert!(output.status.success(), "psql: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };
    sealed_on(store, &raw).await;
}

/// Records a spec whose user data holds a real host key, reads the raw rows with `raw`, reads
/// the spec back through the fleet, then has recovery replace the terminated host from it.
async fn sealed_on(store: Arc<dyn Store>, raw: &(dyn Fn() -> String + Send + Sync)) {
    let signer = HostTokenSigner::generate().unwrap();
    let clock = Arc::new(TestClock(AtomicU64::new(1_000 * MINUTE)));
    let options = ConsoleOptions::default().host_timeout(Duration::from_millis(300)).clock(clock.clone());
    let console: Arc<Console> = Console::new(
        store.clone(),
        voicefleet_tests::hosts::connector(&signer),
        SecretBox::new(&[9; 32]),
        options,
    );
    let mut gone = instance("i-gone", Some("gone"));
    gone.state = InstanceState::Terminated;
    let cloud = Arc::new(FakeCloud::with(vec![gone]));
    assert!(console.set_instance_provider(cloud.clone()));
    let admin = Actor::new("admin", Role::Admin);
    let customer = NewCustomer {
        id: "gone".to_owned(),
        name: String::new(),
        endpoint: down_endpoint(),
        tags: vec![],
        trust: Default::default(),
    };
    console.add_customer(&admin, customer).await.unwrap();

    let tls = self_signed("gone", clock.now_ms(), 30).unwrap();
    let id = CustomerId::parse("gone").unwrap();
    let user_data = render_host_user_data(&HostUserData {
        customer_id: &id,
        package_url: "https://packages.example.com/voicefleet-agent.deb",
        console_public_key_pem: signer.public_pem(),
        tls: Some(&tls),
    })
    .unwrap();
    assert!(user_data.contains("PRIVATE KEY"), "the test's user data holds a key");
    // A line of the key's base64, as the user data holds it.
    let key_line = tls.key_pem.lines().nth(1).unwrap().to_owned();
    let spec = LaunchSpec {
        image_id: Some("ami-1".to_owned()),
        instance_type: Some("t3.small".to_owned()),
        user_data: Some(user_data.clone()),
        ..LaunchSpec::default()
    };
    // Recording one is an admin's, audited.
    let operator = Actor::new("operator", Role::Operator);
    assert!(console.record_launch_spec(&operator, "gone", spec.clone()).await.is_err());
    console.record_launch_spec(&admin, "gone", spec).await.unwrap();

    // The raw row: the spec's fields, the user data sealed.
    let rows = raw();
    assert!(rows.contains("ami-1") && rows.contains("sealed_user_data"), "{rows}");
    assert!(!rows.contains("PRIVATE KEY") && !rows.contains(&key_line), "{rows}");
    assert!(!rows.contains("#cloud-config"), "{rows}");

    // Read through the fleet (what every API and the CLI show): no user data.
    let shown = console.launch_spec(&admin, "gone").await.unwrap();
    assert_eq!((shown.user_data, shown.image_id.as_deref()), (None, Some("ami-1")));
    // Changed by hand: the sealed user data is kept, still sealed.
    let changed = LaunchSpec {
        image_id: Some("ami-2".to_owned()),
        instance_type: Some("t3.small".to_owned()),
        ..LaunchSpec::default()
    };
    assert_eq!(console.set_launch_spec(&admin, "gone", changed).await.unwrap().user_data, None);
    let rows = raw();
    assert!(rows.contains("ami-2") && !rows.contains("PRIVATE KEY"), "{rows}");

    // The host is down and its instance terminated: recovery replaces it from the spec, with the
    // user data opened whole (the same key, so the pin still holds).
    console.sync_instances(&admin).await.unwrap();
    let policy = RecoveryPolicy {
        enabled: true,
        unreachable_after: Duration::from_secs(120),
        window: Duration::from_secs(1800),
    };
    assert!(console.recover_instances(&admin, &policy).await.unwrap().is_empty());
    clock.0.fetch_add(2 * MINUTE, Ordering::SeqCst);
    let steps = console.recover_instances(&admin, &policy).await.unwrap();
    assert_eq!(steps.len(), 1, "{steps:?}");
    assert_eq!((steps[0].action, steps[0].error.as_deref()), (RecoveryAction::Replace, None), "{steps:?}");
    let launched = cloud.launched();
    assert_eq!(launched.len(), 1, "{launched:?}");
    assert_eq!(Some(&launched[0].0), steps[0].instance_id.as_ref());
    assert_eq!(launched[0].1, user_data, "the replacement gets the user data as recorded");

    // Under another master key the sealed user data does not open: no replacement is launched
    // with anything else.
    let other = Console::new(
        store,
        voicefleet_tests::hosts::connector(&signer),
        SecretBox::new(&[8; 32]),
        ConsoleOptions::default().host_timeout(Duration::from_millis(300)).clock(clock.clone()),
    );
    assert!(other.set_instance_provider(cloud.clone()));
    let error = other
        .set_launch_spec(
            &admin,
            "gone",
            LaunchSpec {
                image_id: Some("ami-3".to_owned()),
                instance_type: Some("t3.small".to_owned()),
                ..LaunchSpec::default()
            },
        )
        .await
        .unwrap_err();
    assert!(error.to_string().contains("does not decrypt"), "{error}");
    assert!(raw().contains("ami-2"), "a refused change changes nothing");
}
