//! What recovery remembers is in the store: a console reopened on the same data does not act
//! again on the same failure within the window, finishes the restore a replacement was waiting
//! for, and resolves the `recovery` alert when the customer runs again.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use voicefleet_core::auth::Role;
use voicefleet_core::clock::Clock;
use voicefleet_core::console::{
    Actor, AuditRecord, Console, ConsoleOptions, Fleet, NewCustomer, RevisionInput, SecretBox, Selector,
    SqliteStore,
};
use voicefleet_core::instances::{
    InstanceAction, InstanceProvider as _, InstanceState, LaunchSpec, RecoveryAction, RecoveryPolicy,
};
use voicefleet_http::HostTokenSigner;
use voicefleet_tests::cloud::{FakeCloud, instance};
use voicefleet_tests::hosts::{TestHost, down_endpoint};

#[derive(Debug, Default)]
struct TestClock(AtomicU64);

impl Clock for TestClock {
    fn now_ms(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

const MINUTE: u64 = 60_000;

fn open(
    path: &Path,
    signer: &HostTokenSigner,
    clock: &Arc<TestClock>,
    cloud: &Arc<FakeCloud>,
) -> Arc<Console> {
    let store = Arc::new(SqliteStore::open(path).unwrap());
    let options = ConsoleOptions::default().host_timeout(Duration::from_millis(500)).clock(clock.clone());
    let console =
        Console::new(store, voicefleet_tests::hosts::connector(signer), SecretBox::new(&[9; 32]), options);
    assert!(console.set_instance_provider(cloud.clone()));
    console
}

fn starts(cloud: &FakeCloud) -> usize {
    cloud.asked().iter().filter(|(_, action)| *action == InstanceAction::Start).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovery_state_survives_a_console_restart() {
    let dir = voicefleet_tests::scratch();
    let path = dir.path().join("console.db");
    let signer = HostTokenSigner::generate().unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
    let clock = Arc::new(TestClock(AtomicU64::new(now)));
    let mut stopped = instance("i-stopped", Some("stopped"));
    stopped.state = InstanceState::Stopped;
    let mut gone = instance("i-gone", Some("gone"));
    gone.state = InstanceState::Terminated;
    let cloud = Arc::new(FakeCloud::with(vec![stopped, gone]));
    let admin = Actor::new("admin", Role::Admin);
    let policy = RecoveryPolicy {
        enabled: true,
        unreachable_after: Duration::from_secs(120),
        window: Duration::from_secs(1800),
    };

    // The first console: both hosts down; it starts one instance and replaces the other.
    let first = open(&path, &signer, &clock, &cloud);
    for id in ["stopped", "gone"] {
        let customer = NewCustomer {
            id: id.to_owned(),
            name: String::new(),
            endpoint: down_endpoint(),
            tags: vec![],
            trust: Default::default(),
        };
        first.add_customer(&admin, customer).await.unwrap();
    }
    for name in ["openai_api_key", "deepgram_api_key", "elevenlabs_api_key"] {
        first.set_secret(&admin, "gone", name, "sk-test").await.unwrap();
    }
    let document = voicefleet_tests::hosts::simulated_config(serde_json::json!({"ready_delay_ms": 20}));
    let input = RevisionInput::Full { document: document.as_value() };
    first.create_revision(&admin, "gone", input, "first").await.unwrap();
    let spec = LaunchSpec {
        image_id: Some("ami-1".to_owned()),
        instance_type: Some("t3.small".to_owned()),
        user_data: Some("#cloud-config\n".to_owned()),
        ..LaunchSpec::default()
    };
    first.record_launch_spec(&admin, "gone", spec).await.unwrap();
    first.sync_instances(&admin).await.unwrap();
    assert!(first.recover_instances(&admin, &policy).await.unwrap().is_empty());
    clock.0.fetch_add(2 * MINUTE, Ordering::SeqCst);
    let mut steps = first.recover_instances(&admin, &policy).await.unwrap();
    steps.sort_by(|a, b| a.customer_id.cmp(&b.customer_id));
    assert_eq!(
        steps.iter().map(|s| (s.customer_id.as_str(), s.action, s.error.clone())).collect::<Vec<_>>(),
        [("gone", RecoveryAction::Replace, None), ("stopped", RecoveryAction::Start, None)]
    );
    let replacement = steps[0].instance_id.clone().unwrap();
    assert_eq!((starts(&cloud), cloud.launched().len()), (1, 1));
    drop(first);

    // The same failure again (the instance stopped once more); a new console on the same data,
    // within the window: it waits `unreachable_after` as any console does, and then still does
    // not act, nor launch another replacement.
    cloud.act("i-stopped", &InstanceAction::Stop).await.unwrap();
    let second = open(&path, &signer, &clock, &cloud);
    clock.0.fetch_add(MINUTE, Ordering::SeqCst);
    assert!(second.recover_instances(&admin, &policy).await.unwrap().is_empty());
    clock.0.fetch_add(3 * MINUTE, Ordering::SeqCst);
    let steps = second.recover_instances(&admin, &policy).await.unwrap();
    assert!(steps.is_empty(), "acted twice in one window: {steps:?}");
    assert_eq!((starts(&cloud), cloud.launched().len()), (1, 1), "{:?}", cloud.asked());

    // The replacement's host agent answers: the restore the first console left pending is done
    // by the second, once, and the customer running again resolves the recovery alert.
    let host = TestHost::start("gone", &signer).await;
    let mut record = second.store().customer("gone").await.unwrap().unwrap();
    record.endpoint = host.endpoint.clone();
    let audit = AuditRecord {
        actor: "admin".to_owned(),
        action: "customer.endpoint".to_owned(),
        target: "gone".to_owned(),
        request_id: String::new(),
        outcome: "ok".to_owned(),
        at_ms: clock.now_ms(),
    };
    second.store().update_customer(record, audit).await.unwrap();
    let mut restores = Vec::new();
    let mut resolved = None;
    for _ in 0..100 {
        let steps = second.recover_instances(&admin, &policy).await.unwrap();
        restores.extend(steps.into_iter().filter(|s| s.action == RecoveryAction::Restore));
        let alerts = second.alerts(&admin, true).await.unwrap();
        resolved = alerts.into_iter().find(|a| a.rule == "recovery" && a.customer_id == "gone" && !a.firing);
        if resolved.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(restores.len(), 1, "{restores:?}");
    assert_eq!((restores[0].instance_id.as_ref(), restores[0].error.as_ref()), (Some(&replacement), None));
    let resolved = resolved.expect("the recovery alert resolves once the restored agent runs");
    assert!(resolved.message.contains("replaced instance i-gone"), "{}", resolved.message);
    assert!(resolved.message.contains("; healthy again at "), "{}", resolved.message);
    let status = second.status(&admin, &Selector::parse("gone").unwrap()).await.unwrap();
    assert_eq!((status[0].state.as_str(), status[0].deployed_revision), ("running", Some(1)));
    // Nothing is left pending; the window's record stays.
    let remembered = second.store().recovery_states().await.unwrap();
    let gone = &remembered["gone"];
    assert_eq!((gone.restore_instance_id.as_ref(), gone.awaiting_healthy), (None, false), "{gone:?}");
    assert!(gone.last_recovery_ms.is_some());
    let audit = second.store().audit(0, 1000).await.unwrap();
    let recoveries: Vec<_> = audit
        .iter()
        .filter(|e| e.action.starts_with("instance.recover."))
        .map(|e| (e.action.as_str(), e.target.as_str(), e.outcome.as_str()))
        .collect();
    assert_eq!(
        recoveries.iter().filter(|r| r.0 != "instance.recover.start").collect::<Vec<_>>(),
        [&("instance.recover.replace", "gone", "ok"), &("instance.recover.restore", "gone", "ok")]
    );
    assert_eq!(recoveries.len(), 3, "{recoveries:?}");
    drop(host);
}
