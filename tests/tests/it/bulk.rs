//! Bulk operations over real hosts.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use voicefleet_core::auth::Role;
use voicefleet_core::config::PatchOperation;
use voicefleet_core::console::{
    Actor, BulkAction, BulkRun, BulkSpec, Console, Fleet, HealthGate, Limit, NewCustomer, RevisionInput,
    RunOutcome, Selector, TargetState,
};
use voicefleet_http::HostTokenSigner;
use voicefleet_tests::hosts::{TestHost, down_endpoint, simulated_config};

fn admin() -> Actor {
    Actor::new("bulk-test", Role::Admin)
}

async fn finish(console: &Console, id: &str) -> BulkRun {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let run = console.bulk_run(&admin(), id).await.unwrap();
        if run.outcome != RunOutcome::Running {
            return run;
        }
        assert!(Instant::now() < deadline, "the run never finished");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Ten real hosts plus one broken one, running, each with a deployed revision.
async fn fleet_of_ten(signer: &HostTokenSigner, console: &Arc<Console>) -> Vec<TestHost> {
    let mut hosts = Vec::new();
    for index in 0..10 {
        hosts.push(TestHost::start(&format!("host-{index:02}"), signer).await);
    }
    let config = simulated_config(json!({"ready_delay_ms": 20, "call_interval_ms": 0}));
    for host in &hosts {
        let id = host.customer_id.clone();
        console
            .add_customer(
                &admin(),
                NewCustomer {
                    id: id.clone(),
                    name: String::new(),
                    endpoint: host.endpoint.clone(),
                    tags: vec!["tier=prod".into()],
                    trust: Default::default(),
                },
            )
            .await
            .unwrap();
        for name in ["openai_api_key", "deepgram_api_key", "elevenlabs_api_key"] {
            console.set_secret(&admin(), &id, name, "v").await.unwrap();
        }
        console
            .create_revision(&admin(), &id, RevisionInput::Full { document: config.as_value() }, "base")
            .await
            .unwrap();
        console.deploy(&admin(), &id, None).await.unwrap();
        console.control(&admin(), &id, voicefleet_core::console::ControlAction::Start, None).await.unwrap();
    }
    // The broken one sorts in the middle: host-04b.
    console
        .add_customer(
            &admin(),
            NewCustomer {
                id: "host-04b".into(),
                name: String::new(),
                endpoint: down_endpoint(),
                tags: vec!["tier=prod".into()],
                trust: Default::default(),
            },
        )
        .await
        .unwrap();
    hosts
}

async fn pids(console: &Console) -> HashMap<String, Option<i32>> {
    console
        .status(&admin(), &Selector::All)
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.customer_id, s.status.and_then(|h| h.pid)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_restart_stops_at_the_broken_host_and_leaves_the_rest_untouched() {
    let signer = HostTokenSigner::generate().unwrap();
    let dir = voicefleet_tests::scratch();
    let console = crate::console(dir.path(), &signer, Duration::from_millis(500));
    let mut hosts = fleet_of_ten(&signer, &console).await;
    let before = pids(&console).await;

    let spec = BulkSpec {
        action: BulkAction::Restart,
        selector: Selector::parse("tier=prod").unwrap(),
        max_concurrency: Limit::Count(1),
        max_errors: Limit::Count(0),
        canary: 0,
        health_gate: None,
        auto_rollback: false,
        dry_run: false,
    };
    let run = console.start_bulk(&admin(), spec).await.unwrap();
    assert_eq!(run.targets.len(), 11);
    let run = finish(&console, &run.id).await;
    assert_eq!(run.outcome, RunOutcome::StoppedOnErrors);
    let states: Vec<(&str, TargetState)> =
        run.targets.iter().map(|t| (t.customer_id.as_str(), t.state)).collect();
    let expected: Vec<(&str, TargetState)> = ["host-00", "host-01", "host-02", "host-03", "host-04"]
        .into_iter()
        .map(|id| (id, TargetState::Succeeded))
        .chain([("host-04b", TargetState::Failed)])
        .chain(
            ["host-05", "host-06", "host-07", "host-08", "host-09"]
                .into_iter()
                .map(|id| (id, TargetState::Skipped)),
        )
        .collect();
    assert_eq!(states, expected, "the report says exactly which ran");
    assert!(
        run.targets[5].reason.as_deref().unwrap().contains("could not connect"),
        "{:?}",
        run.targets[5].reason
    );
    assert_eq!(run.targets[6].reason.as_deref(), Some("the run stopped on errors"));

    let after = pids(&console).await;
    for index in 0..10 {
        let id = format!("host-{index:02}");
        if index < 5 {
            assert_ne!(after[&id], before[&id], "{id} was restarted");
        } else {
            assert_eq!(after[&id], before[&id], "{id} was left untouched");
        }
    }
    // The stored run is whole after a console restart.
    drop(console);
    let console = crate::console(dir.path(), &signer, Duration::from_millis(500));
    let stored = console.bulk_run(&admin(), &run.id).await.unwrap();
    assert_eq!(stored.targets, run.targets);
    for host in &mut hosts {
        host.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_canary_stops_a_bad_rollout_and_auto_rollback_restores_it() {
    let signer = HostTokenSigner::generate().unwrap();
    let dir = voicefleet_tests::scratch();
    let console = crate::console(dir.path(), &signer, Duration::from_millis(500));
    let mut hosts = Vec::new();
    for index in 0..3 {
        hosts.push(TestHost::start(&format!("canary-{index}"), &signer).await);
    }
    let config = simulated_config(json!({"ready_delay_ms": 20, "call_interval_ms": 0}));
    for host in &hosts {
        let id = host.customer_id.clone();
        console
            .add_customer(
                &admin(),
                NewCustomer {
                    id: id.clone(),
                    name: String::new(),
                    endpoint: host.endpoint.clone(),
                    tags: vec![],
                    trust: Default::default(),
                },
            )
            .await
            .unwrap();
        for name in ["openai_api_key", "deepgram_api_key", "elevenlabs_api_key"] {
            console.set_secret(&admin(), &id, name, "v").await.unwrap();
        }
        console
            .create_revision(&admin(), &id, RevisionInput::Full { document: config.as_value() }, "good")
            .await
            .unwrap();
        console.deploy(&admin(), &id, None).await.unwrap();
        console.control(&admin(), &id, voicefleet_core::console::ControlAction::Start, None).await.unwrap();
    }
    // The bad rollout: the agent crashes right after start.
    let spec = BulkSpec {
        action: BulkAction::Patch {
            operations: vec![PatchOperation::Set {
                path: "extensions.simulator.crash_after_ms".into(),
                value: json!(100),
            }],
            message: "bad idea".into(),
        },
        selector: Selector::All,
        max_concurrency: Limit::Percent(100),
        max_errors: Limit::Count(5),
        canary: 1,
        health_gate: Some(HealthGate {
            min_healthy_seconds: 1.5,
            max_error_rate: Some(0.5),
            max_p95_ms: None,
        }),
        auto_rollback: true,
        dry_run: false,
    };
    let run = console.start_bulk(&admin(), spec).await.unwrap();
    let run = finish(&console, &run.id).await;
    assert_eq!(run.outcome, RunOutcome::CanaryFailed);
    assert_eq!(run.targets[0].state, TargetState::RolledBack, "{:?}", run.targets[0]);
    assert!(run.targets[0].reason.as_deref().unwrap().contains("rolled back to revision 1"));
    assert!(run.targets[1..].iter().all(|t| t.state == TargetState::Skipped));
    // The canary runs its previous revision again; the others never changed.
    let statuses = console.status(&admin(), &Selector::All).await.unwrap();
    for status in statuses {
        assert_eq!(status.deployed_revision, Some(1), "{}", status.customer_id);
    }
    let revisions = console.revisions(&admin(), "canary-1").await.unwrap();
    assert_eq!(revisions.len(), 1, "no patch revision was created for a skipped target");
    for host in &mut hosts {
        host.stop().await;
    }
}
