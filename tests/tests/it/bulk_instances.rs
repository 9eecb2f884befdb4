//! A fleet-wide resize through the bulk runner, over a fake cloud and real hosts: the canary
//! first and alone, one target at a time, each host drained, its instance stopped, retyped and
//! started, then its agent started again; a target without an instance fails.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use voicefleet_core::auth::Role;
use voicefleet_core::console::{
    Actor, BulkAction, BulkSpec, Console, ConsoleOptions, ControlAction, Fleet, Limit, NewCustomer,
    RevisionInput, RunOutcome, SecretBox, Selector, SqliteStore, TargetState,
};
use voicefleet_core::instances::{InstanceAction, ResizeOptions};
use voicefleet_http::HostTokenSigner;
use voicefleet_tests::cloud::{FakeCloud, instance};
use voicefleet_tests::hosts::{TestHost, simulated_config};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_resize_runs_the_canary_first_then_one_at_a_time() {
    let signer = HostTokenSigner::generate().unwrap();
    let dir = voicefleet_tests::scratch();
    let store = Arc::new(SqliteStore::open(&dir.path().join("console.db")).unwrap());
    let options = ConsoleOptions::default()
        .host_timeout(Duration::from_secs(2))
        .resize(ResizeOptions { poll_interval: Duration::from_millis(20), timeout: Duration::from_secs(10) });
    let console: Arc<Console> =
        Console::new(store, voicefleet_tests::hosts::connector(&signer), SecretBox::new(&[9; 32]), options);
    let ids = ["a", "b", "c"];
    let cloud =
        Arc::new(FakeCloud::with(ids.iter().map(|id| instance(&format!("i-{id}"), Some(id))).collect()));
    assert!(console.set_instance_provider(cloud.clone()));
    let admin = Actor::new("admin", Role::Admin);
    let config = simulated_config(json!({"ready_delay_ms": 20, "call_interval_ms": 0}));
    let mut hosts = Vec::new();
    for id in ids {
        let host = TestHost::start(id, &signer).await;
        let customer = NewCustomer {
            id: id.to_owned(),
            name: String::new(),
            endpoint: host.endpoint.clone(),
            tags: vec!["tier=prod".into()],
            trust: Default::default(),
        };
        console.add_customer(&admin, customer).await.unwrap();
        for name in ["openai_api_key", "deepgram_api_key", "elevenlabs_api_key"] {
            console.set_secret(&admin, id, name, "v").await.unwrap();
        }
        let document = RevisionInput::Full { document: config.as_value() };
        console.create_revision(&admin, id, document, "base").await.unwrap();
        console.deploy(&admin, id, None).await.unwrap();
        console.control(&admin, id, ControlAction::Start, None).await.unwrap();
        hosts.push(host);
    }
    console.sync_instances(&admin).await.unwrap();
    let spec = |selector: &str| BulkSpec {
        action: BulkAction::Resize { instance_type: "t3.large".to_owned() },
        selector: Selector::parse(selector).unwrap(),
        max_concurrency: Limit::Count(1),
        max_errors: Limit::Count(0),
        canary: 1,
        health_gate: None,
        auto_rollback: false,
        dry_run: false,
    };
    // An operator may run it; a viewer may not.
    let viewer = Actor::new("viewer", Role::Viewer);
    assert!(console.start_bulk(&viewer, spec("tier=prod")).await.is_err());
    let operator = Actor::new("operator", Role::Operator);
    let run = console.start_bulk(&operator, spec("tier=prod")).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let run = loop {
        let run = console.bulk_run(&admin, &run.id).await.unwrap();
        if run.outcome != RunOutcome::Running {
            break run;
        }
        assert!(Instant::now() < deadline, "the run never finished");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(run.outcome, RunOutcome::Succeeded, "{run:?}");
    assert!(run.targets.iter().all(|t| t.state == TargetState::Succeeded), "{:?}", run.targets);
    // One instance at a time, in order: stop, set the type, start.
    let asked = cloud.asked();
    let expected: Vec<(String, InstanceAction)> = ids
        .iter()
        .flat_map(|id| {
            let i = format!("i-{id}");
            [
                (i.clone(), InstanceAction::Stop),
                (i.clone(), InstanceAction::SetType("t3.large".to_owned())),
                (i, InstanceAction::Start),
            ]
        })
        .collect();
    assert_eq!(asked, expected);
    let report = console.instances(&admin).await.unwrap();
    assert!(report.mapping.linked.iter().all(|l| l.instance.instance_type == "t3.large"), "{report:?}");
    // Each agent runs again.
    for status in console.status(&admin, &Selector::All).await.unwrap() {
        assert_eq!(status.state, "running", "{status:?}");
    }

    // A customer without an instance fails its target, and the run, without asking the cloud.
    let customer = NewCustomer {
        id: "bare".to_owned(),
        name: String::new(),
        endpoint: hosts[0].endpoint.clone(),
        tags: vec![],
        trust: Default::default(),
    };
    console.add_customer(&admin, customer).await.unwrap();
    let again =
        BulkSpec { action: BulkAction::Resize { instance_type: "t3.xlarge".to_owned() }, ..spec("bare,a") };
    let run = console.start_bulk(&operator, again).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let run = loop {
        let run = console.bulk_run(&admin, &run.id).await.unwrap();
        if run.outcome != RunOutcome::Running {
            break run;
        }
        assert!(Instant::now() < deadline, "the run never finished");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let bare = run.targets.iter().find(|t| t.customer_id == "bare").unwrap();
    assert_eq!(bare.state, TargetState::Failed, "{run:?}");
    assert!(bare.reason.as_deref().unwrap_or_default().contains("no instance"), "{bare:?}");
    assert_eq!(run.outcome, RunOutcome::StoppedOnErrors, "{run:?}");
    let a = run.targets.iter().find(|t| t.customer_id == "a").unwrap();
    assert_eq!(a.state, TargetState::Succeeded, "the canary (a sorts first): {run:?}");
    assert_eq!(cloud.asked().len(), 12, "{:?}", cloud.asked());
    for host in &mut hosts {
        host.stop().await;
    }
}
