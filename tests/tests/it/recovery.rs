//! Recovery execution through the console, over a fake cloud and a clock the test sets: each
//! branch (start, reboot, replace) acts exactly once per window, and only after the host has
//! been unreachable for `unreachable_after`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use voicefleet_core::auth::Role;
use voicefleet_core::clock::Clock;
use voicefleet_core::console::{Actor, Console, ConsoleOptions, Fleet, NewCustomer, SecretBox, SqliteStore};
use voicefleet_core::instances::{
    InstanceAction, InstanceState, LaunchSpec, RecoveryAction, RecoveryPolicy, StatusCheck,
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
async fn each_recovery_branch_acts_once_per_window() {
    let dir = voicefleet_tests::scratch();
    let signer = HostTokenSigner::generate().unwrap();
    let clock = Arc::new(TestClock(AtomicU64::new(1_000 * MINUTE)));
    let store = Arc::new(SqliteStore::open(&dir.path().join("console.db")).unwrap());
    let options = ConsoleOptions::default().host_timeout(Duration::from_millis(300)).clock(clock.clone());
    let console: Arc<Console> =
        Console::new(store, voicefleet_tests::hosts::connector(&signer), SecretBox::new(&[9; 32]), options);
    let mut stopped = instance("i-stopped", Some("stopped"));
    stopped.state = InstanceState::Stopped;
    let mut impaired = instance("i-impaired", Some("impaired"));
    impaired.system_status = StatusCheck::Impaired;
    let mut gone = instance("i-gone", Some("gone"));
    gone.state = InstanceState::Terminated;
    let cloud = Arc::new(FakeCloud::with(vec![stopped, impaired, gone, instance("i-fine", Some("fine"))]));
    assert!(console.set_instance_provider(cloud.clone()));
    let admin = Actor::new("admin", Role::Admin);
    // Every host is down (nothing answers on its endpoint).
    for id in ["stopped", "impaired", "gone", "fine"] {
        let customer = NewCustomer {
            id: id.to_owned(),
            name: String::new(),
            endpoint: down_endpoint(),
            tags: vec![],
            trust: Default::default(),
        };
        console.add_customer(&admin, customer).await.unwrap();
    }
    let spec = LaunchSpec {
        image_id: Some("ami-1".to_owned()),
        instance_type: Some("t3.small".to_owned()),
        user_data: Some("#cloud-config\n".to_owned()),
        ..LaunchSpec::default()
    };
    console.record_launch_spec(&admin, "gone", spec).await.unwrap();
    console.sync_instances(&admin).await.unwrap();

    let policy = RecoveryPolicy {
        enabled: true,
        unreachable_after: Duration::from_secs(120),
        window: Duration::from_secs(1800),
    };
    // Off: nothing, whatever the state.
    let off = RecoveryPolicy { enabled: false, ..policy };
    assert!(console.recover_instances(&admin, &off).await.unwrap().is_empty());
    // A viewer may not run it.
    let viewer = Actor::new("viewer", Role::Viewer);
    assert!(console.recover_instances(&viewer, &policy).await.is_err());

    // First seen unreachable now: nothing yet; a minute later still nothing.
    assert!(console.recover_instances(&admin, &policy).await.unwrap().is_empty());
    clock.0.fetch_add(MINUTE, Ordering::SeqCst);
    assert!(console.recover_instances(&admin, &policy).await.unwrap().is_empty());
    assert!(cloud.asked().is_empty());

    // Two minutes: each branch acts once; the running instance with passing checks is left alone.
    clock.0.fetch_add(MINUTE, Ordering::SeqCst);
    let mut steps = console.recover_instances(&admin, &policy).await.unwrap();
    steps.sort_by(|a, b| a.customer_id.cmp(&b.customer_id));
    let summary: Vec<_> = steps.iter().map(|s| (s.customer_id.as_str(), s.action, s.error.clone())).collect();
    assert_eq!(
        summary,
        [
            ("gone", RecoveryAction::Replace, None),
            ("impaired", RecoveryAction::Reboot, None),
            ("stopped", RecoveryAction::Start, None),
        ]
    );
    let mut asked = cloud.asked();
    asked.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        asked,
        [("i-impaired".to_owned(), InstanceAction::Reboot), ("i-stopped".to_owned(), InstanceAction::Start)]
    );
    assert_eq!(cloud.asked().len(), 2, "{:?}", cloud.asked());
    let replacement = steps[0].instance_id.clone().unwrap();
    let report = console.instances(&admin).await.unwrap();
    let gone = report.mapping.linked.iter().find(|l| l.customer.as_str() == "gone").unwrap();
    assert_eq!(
        (gone.instance.id.as_str(), gone.instance.instance_type.as_str()),
        (replacement.as_str(), "t3.small")
    );

    // Still down within the window: nothing more. After the window: once more.
    clock.0.fetch_add(29 * MINUTE, Ordering::SeqCst);
    assert!(console.recover_instances(&admin, &policy).await.unwrap().is_empty());
    assert_eq!(cloud.asked().len(), 2);
    clock.0.fetch_add(MINUTE, Ordering::SeqCst);
    let again = console.recover_instances(&admin, &policy).await.unwrap();
    // The started instance now runs with passing checks, and the replacement too: only the
    // still-impaired instance is rebooted again.
    assert_eq!(
        again.iter().map(|s| (s.customer_id.as_str(), s.action)).collect::<Vec<_>>(),
        [("impaired", RecoveryAction::Reboot)]
    );
    // Every step is audited.
    let entries = console.store().audit(0, 1000).await.unwrap();
    let recoveries: Vec<_> = entries
        .iter()
        .filter(|e| e.action.starts_with("instance.recover."))
        .map(|e| (e.action.as_str(), e.target.as_str()))
        .collect();
    assert_eq!(recoveries.len(), 4, "{recoveries:?}");
}

/// Collects what would go to the webhook.
#[derive(Debug, Default)]
struct Webhook(std::sync::Mutex<Vec<voicefleet_core::console::AlertRecord>>);

#[async_trait::async_trait]
impl voicefleet_core::console::AlertNotifier for Webhook {
    async fn notify(&self, alert: &voicefleet_core::console::AlertRecord) {
        self.0.lock().unwrap().push(alert.clone());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovery_settings_per_customer_and_the_recovery_alert() {
    use voicefleet_core::console::{ControlAction, RevisionInput, Selector};
    use voicefleet_core::instances::RecoverySettings;
    let dir = voicefleet_tests::scratch();
    let signer = HostTokenSigner::generate().unwrap();
    let start =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
    let clock = Arc::new(TestClock(AtomicU64::new(start)));
    let store = Arc::new(SqliteStore::open(&dir.path().join("console.db")).unwrap());
    let webhook = Arc::new(Webhook::default());
    let options = ConsoleOptions::default()
        .host_timeout(Duration::from_millis(500))
        .clock(clock.clone())
        .notifier(webhook.clone());
    let console: Arc<Console> =
        Console::new(store, voicefleet_tests::hosts::connector(&signer), SecretBox::new(&[9; 32]), options);
    let mut a = instance("i-a", Some("a"));
    a.state = InstanceState::Stopped;
    let mut b = instance("i-b", Some("b"));
    b.state = InstanceState::Stopped;
    let cloud = Arc::new(FakeCloud::with(vec![a, b]));
    assert!(console.set_instance_provider(cloud.clone()));
    let admin = Actor::new("admin", Role::Admin);
    for id in ["a", "b"] {
        let customer = NewCustomer {
            id: id.to_owned(),
            name: String::new(),
            endpoint: down_endpoint(),
            tags: vec![],
            trust: Default::default(),
        };
        console.add_customer(&admin, customer).await.unwrap();
    }
    console.sync_instances(&admin).await.unwrap();

    // Off by default: a pass does nothing, and asks the cloud nothing.
    assert!(console.recover(&admin).await.unwrap().is_empty());
    clock.0.fetch_add(10 * MINUTE, Ordering::SeqCst);
    assert!(console.recover(&admin).await.unwrap().is_empty());
    assert!(cloud.asked().is_empty());

    // Bad input changes nothing; a viewer may read the settings, not set them.
    let bad =
        RecoverySettings { enabled: Some(true), window_seconds: Some(5), ..RecoverySettings::default() };
    let error = console.set_recovery_settings(&admin, None, bad).await.unwrap_err();
    assert_eq!(error.kind(), voicefleet_core::ErrorKind::InvalidInput, "{error}");
    let viewer = Actor::new("viewer", Role::Viewer);
    let on = RecoverySettings { enabled: Some(true), ..RecoverySettings::default() };
    assert!(console.set_recovery_settings(&viewer, None, on).await.is_err());
    assert_eq!(console.recovery_settings(&viewer).await.unwrap(), Default::default());
    let missing = console.set_recovery_settings(&admin, Some("nobody"), on).await.unwrap_err();
    assert_eq!(missing.kind(), voicefleet_core::ErrorKind::NotFound, "{missing}");

    // On for the fleet, off for b.
    console.set_recovery_settings(&admin, None, on).await.unwrap();
    let off = RecoverySettings { enabled: Some(false), ..RecoverySettings::default() };
    let config = console.set_recovery_settings(&admin, Some("b"), off).await.unwrap();
    assert_eq!((config.fleet, config.customers.len()), (on, 1));
    assert!(console.recover(&admin).await.unwrap().is_empty(), "first seen unreachable");
    clock.0.fetch_add(2 * MINUTE, Ordering::SeqCst);
    let steps = console.recover(&admin).await.unwrap();
    assert_eq!(
        steps.iter().map(|s| (s.customer_id.as_str(), s.action)).collect::<Vec<_>>(),
        [("a", RecoveryAction::Start)]
    );
    assert_eq!(cloud.asked(), [("i-a".to_owned(), InstanceAction::Start)]);
    let alerts = console.alerts(&admin, false).await.unwrap();
    let alert = alerts.iter().find(|a| a.rule == "recovery").unwrap();
    assert!(alert.firing && alert.customer_id == "a", "{alert:?}");
    assert!(
        alert.message.starts_with("automatic recovery: started instance i-a (stopped"),
        "{}",
        alert.message
    );

    // a's host answers again and its agent runs: the alert resolves, saying when.
    let host = voicefleet_tests::hosts::TestHost::start("a", &signer).await;
    let mut record = console.store().customer("a").await.unwrap().unwrap();
    record.endpoint = host.endpoint.clone();
    let audit = voicefleet_core::console::AuditRecord {
        actor: "admin".to_owned(),
        action: "customer.endpoint".to_owned(),
        target: "a".to_owned(),
        request_id: String::new(),
        outcome: "ok".to_owned(),
        at_ms: clock.now_ms(),
    };
    console.store().update_customer(record, audit).await.unwrap();
    let document = voicefleet_tests::hosts::simulated_config(serde_json::json!({"ready_delay_ms": 20}));
    for name in ["openai_api_key", "deepgram_api_key", "elevenlabs_api_key"] {
        console.set_secret(&admin, "a", name, "sk-test").await.unwrap();
    }
    console
        .create_revision(&admin, "a", RevisionInput::Full { document: document.as_value() }, "m")
        .await
        .unwrap();
    console.deploy(&admin, "a", None).await.unwrap();
    console.control(&admin, "a", ControlAction::Start, None).await.unwrap();
    let mut resolved = None;
    for _ in 0..100 {
        console.recover(&admin).await.unwrap();
        let alerts = console.alerts(&admin, true).await.unwrap();
        resolved = alerts.into_iter().find(|a| a.rule == "recovery" && !a.firing);
        if resolved.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let resolved = resolved.expect("the recovery alert resolves once the agent runs");
    assert!(resolved.message.contains("; healthy again at "), "{}", resolved.message);
    assert_eq!(console.status(&admin, &Selector::parse("a").unwrap()).await.unwrap()[0].state, "running");
    // The webhook heard both: what was done, and when it was healthy again.
    let heard: Vec<_> =
        webhook.0.lock().unwrap().iter().filter(|a| a.rule == "recovery").map(|a| a.firing).collect();
    assert_eq!(heard, [true, false]);
    let audit = console.store().audit(0, 1000).await.unwrap();
    let actions: Vec<_> = audit
        .iter()
        .filter(|e| e.action.starts_with("recovery.") || e.action.starts_with("instance.recover."))
        .map(|e| (e.action.as_str(), e.target.as_str(), e.outcome.as_str()))
        .collect();
    assert_eq!(
        actions,
        [
            ("recovery.settings", "fleet", "denied"),
            ("recovery.settings", "fleet", "ok"),
            ("recovery.settings", "b", "ok"),
            ("instance.recover.start", "a", "ok")
        ]
    );
}
