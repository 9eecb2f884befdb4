//! A console killed (`kill -9`) in the middle of a bulk restart over six hosts: the next
//! `console serve` resumes the run from its recorded per-target state ("a console restart loses
//! nothing"). Targets that finished keep their result and are not repeated, the one in flight is
//! checked against its host (its restart took effect: only its health gate runs, it is not
//! restarted again), the ones that never started run, the takeover is audited, and `bulk cancel`
//! answers that the run already ended.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use voicefleet_http::HostTokenSigner;
use voicefleet_tests::drill::{ConsoleProcess, Operator, login};
use voicefleet_tests::hosts::{TestHost, simulated_config};
use voicefleet_tests::workspace_binary;

fn pid_of(status: &Value, id: &str) -> Option<i64> {
    status.as_array()?.iter().find(|s| s["customer_id"] == id)?["status"]["pid"].as_i64()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_run_cut_by_a_console_kill_is_resumed_by_the_next_console() {
    let dir = voicefleet_tests::scratch();
    let data = dir.path().join("data");
    let binary = workspace_binary("voicefleet");
    let console = ConsoleProcess::start(&binary, &data, &[], &[]);
    let signer = HostTokenSigner::load_or_create(&data).expect("the console's signing key");
    let ids = ["c1", "c2", "c3", "c4", "c5", "c6"];
    let mut hosts = Vec::new();
    for id in ids {
        hosts.push(TestHost::start(id, &signer).await);
    }
    let operator =
        Operator { binary: &binary, url: console.url.clone(), token: login(&console.url).await, env: &[] };
    let config = dir.path().join("agent.json");
    let document =
        simulated_config(json!({"ready_delay_ms": 20, "call_interval_ms": 200, "call_duration_ms": 300}));
    std::fs::write(&config, document.to_json_pretty()).unwrap();
    for host in &hosts {
        let id = host.customer_id.as_str();
        operator.ok(&["customers", "add", id, "--endpoint", &host.endpoint, "--tag", "tier=prod"]);
        for name in ["openai_api_key", "deepgram_api_key", "elevenlabs_api_key"] {
            let run = operator.run(&["secrets", "set", id, name], "sk-test-secret\n");
            assert_eq!(run.code, 0, "{}", run.stderr);
        }
        operator.ok(&["config", "push", id, config.to_str().unwrap(), "-m", "first"]);
        operator.ok(&["config", "deploy", id]);
        operator.ok(&["agent", "start", id]);
    }
    operator.running_fleet(ids.len());
    let status_at_start = operator.json(&["status"]);

    // One target at a time, each held by a 2 s health gate: the run takes over 12 s.
    let mut bulk = Command::new(&binary)
        .args(["--console", &console.url, "--token", &operator.token])
        .args([
            "bulk",
            "restart",
            "-s",
            "tier=prod",
            "--max-concurrency",
            "1",
            "--healthy-for",
            "2s",
            "--yes",
        ])
        .args(["-o", "json"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the bulk restart");

    // Wait until two targets have succeeded and the third is in flight, past its restart.
    let deadline = Instant::now() + Duration::from_secs(40);
    let (run_id, in_flight) = loop {
        assert!(Instant::now() < deadline, "the run never reached its third target");
        std::thread::sleep(Duration::from_millis(100));
        let runs = operator.json(&["bulk", "list"]);
        let Some(run) = runs.as_array().and_then(|r| r.first()).cloned() else { continue };
        let targets = run["targets"].as_array().cloned().unwrap_or_default();
        let succeeded = targets.iter().filter(|t| t["state"] == "succeeded").count();
        let running = targets.iter().find(|t| t["state"] == "running");
        if let (2, Some(running)) = (succeeded, running) {
            // Past the restart itself: the host shows the new instance running.
            std::thread::sleep(Duration::from_millis(800));
            break (
                run["id"].as_str().unwrap().to_owned(),
                running["customer_id"].as_str().unwrap().to_owned(),
            );
        }
    };
    let status_before = operator.json(&["status"]);
    let in_flight_pid = pid_of(&status_before, &in_flight).expect("the in-flight target's PID");

    // kill -9 of the console (dropping the process kills it with SIGKILL).
    drop(console);
    let _ = bulk.kill();
    let _ = bulk.wait();

    let console = ConsoleProcess::start(&binary, &data, &[], &[]);
    let operator =
        Operator { binary: &binary, url: console.url.clone(), token: login(&console.url).await, env: &[] };
    // Resumed at once, one target at a time with its 2 s gate: done within 30 s.
    let deadline = Instant::now() + Duration::from_secs(40);
    let run = loop {
        let run = operator.json(&["bulk", "show", &run_id]);
        if run["outcome"] != "running" {
            break run;
        }
        assert!(Instant::now() < deadline, "the run was never finished: {run:#}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(run["outcome"], "succeeded", "{run:#}");
    assert!(run["finished_at_ms"].as_u64().is_some(), "{run:#}");
    let targets = run["targets"].as_array().unwrap();
    assert!(targets.iter().all(|t| t["state"] == "succeeded"), "{run:#}");
    let state = |id: &str| targets.iter().find(|t| t["customer_id"] == id).unwrap().clone();
    let cut = state(&in_flight);
    let reason = cut["reason"].as_str().unwrap_or_default();
    assert!(reason.is_empty(), "its health gate ran and passed: {cut:#}");

    // The in-flight target was checked, not restarted again; the two finished ones were not
    // repeated; the three that never started were restarted now.
    operator.running_fleet(ids.len());
    let status_after = operator.json(&["status"]);
    assert_eq!(pid_of(&status_after, &in_flight), Some(in_flight_pid), "not restarted twice");
    let finished_before: Vec<String> = ids
        .iter()
        .filter(|id| **id != in_flight && pid_of(&status_before, id) != pid_of(&status_at_start, id))
        .map(|id| id.to_string())
        .collect();
    assert_eq!(finished_before.len(), 2, "{status_before:#}");
    for id in ids.iter().filter(|id| **id != in_flight) {
        let before = pid_of(&status_before, id);
        let after = pid_of(&status_after, id);
        if finished_before.iter().any(|f| f == id) {
            assert_eq!(after, before, "{id} finished before the kill and was not repeated");
        } else {
            assert_ne!(after, before, "{id} never started before the kill and was run after it");
        }
    }

    // Audited, and `bulk cancel` says it is over.
    let audit = operator.json(&["audit", "list", "--action", "bulk.resumed"]);
    assert_eq!(audit.as_array().unwrap().len(), 1, "{audit:#}");
    assert_eq!(audit[0]["target"], run_id.as_str());
    let cancel = operator.run(&["bulk", "cancel", &run_id], "");
    assert_ne!(cancel.code, 0, "{}", cancel.stdout);
    assert!(
        cancel.stderr.contains("already ended") && cancel.stderr.contains("succeeded"),
        "{}",
        cancel.stderr
    );

    // Counted in the console's metrics.
    let metrics = reqwest::Client::new()
        .get(format!("{}/metrics", console.url))
        .bearer_auth(&operator.token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(r#"voicefleet_console_bulk_runs_finished_total{outcome="succeeded"} 1"#),
        "{metrics}"
    );

    console.stop();
    for host in &mut hosts {
        host.stop().await;
    }
}

/// A run left in flight longer than the console resumes (1 h): it ends `interrupted` with each
/// target's true state, audited, and `bulk cancel` says it already ended.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_left_too_long_ends_interrupted_and_cancel_says_so() {
    use voicefleet_core::auth::Role;
    use voicefleet_core::clock::Clock as _;
    use voicefleet_core::console::{
        Actor, AuditQuery, BulkAction, BulkRun, BulkSpec, Fleet as _, Limit, RunOutcome, Selector,
        TargetResult, TargetState,
    };
    use voicefleet_tests::hosts::down_endpoint;
    use voicefleet_tests::store_contract::{customer, record};

    let dir = voicefleet_tests::scratch();
    let signer = HostTokenSigner::generate().unwrap();
    let console = crate::console(dir.path(), &signer, Duration::from_millis(500));
    let store = console.store().clone();
    for id in ["old-a", "old-b", "old-c"] {
        let mut record_of = customer(id);
        record_of.endpoint = down_endpoint();
        store.insert_customer(record_of, record("customer.add", id)).await.unwrap();
    }
    let then = voicefleet_core::clock::SystemClock.now_ms() - 2 * 3_600_000;
    let target = |id: &str, state: TargetState, started: Option<u64>, finished: Option<u64>| TargetResult {
        customer_id: id.to_owned(),
        state,
        canary: false,
        reason: None,
        started_at_ms: started,
        finished_at_ms: finished,
        previous_revision: None,
        revision: None,
    };
    let run = BulkRun {
        id: "run-0000aaaa".to_owned(),
        spec: BulkSpec {
            action: BulkAction::Restart,
            selector: Selector::All,
            max_concurrency: Limit::parse("1").unwrap(),
            max_errors: Limit::parse("0").unwrap(),
            canary: 0,
            health_gate: None,
            auto_rollback: false,
            dry_run: false,
        },
        actor: "admin".to_owned(),
        created_at_ms: then,
        finished_at_ms: None,
        outcome: RunOutcome::Running,
        max_concurrency: 1,
        max_errors: 0,
        targets: vec![
            target("old-a", TargetState::Succeeded, Some(then + 1_000), Some(then + 2_000)),
            target("old-b", TargetState::Running, Some(then + 2_000), None),
            target("old-c", TargetState::Pending, None, None),
        ],
    };
    store.save_bulk_run(&run, None).await.unwrap();

    let found = console.take_over_runs().await.unwrap();
    assert_eq!(found.len(), 1);
    let ended = store.bulk_run(&run.id).await.unwrap().unwrap();
    assert_eq!(ended.outcome, RunOutcome::Interrupted, "{ended:?}");
    assert!(ended.finished_at_ms.is_some());
    let states: Vec<TargetState> = ended.targets.iter().map(|t| t.state).collect();
    assert_eq!(states, [TargetState::Succeeded, TargetState::Interrupted, TargetState::Skipped]);
    let cut = ended.targets[1].reason.clone().unwrap_or_default();
    assert!(cut.contains("in flight") && cut.contains("did not take effect"), "{cut}");
    assert_eq!(ended.targets[2].reason.as_deref(), Some("the console stopped before this target started"));
    let query = AuditQuery { action: Some("bulk.interrupted".to_owned()), limit: 10, ..Default::default() };
    let audit = store.audit_newest(&query).await.unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].target, run.id);

    // Nothing left to take over; a cancel says the run is over and changes nothing.
    assert!(console.take_over_runs().await.unwrap().is_empty());
    let refused = console.cancel_bulk(&Actor::new("ops", Role::Operator), &run.id).await.unwrap_err();
    let text = refused.to_string();
    assert!(text.contains("already ended") && text.contains("interrupted"), "{text}");
    assert_eq!(store.bulk_run(&run.id).await.unwrap().unwrap(), ended);
}

/// Two consoles on one store, one holding the work: a run started through the other is executed
/// by the holder, and a cancel taken by the other stops it there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_started_and_cancelled_through_a_replica_without_the_lease_runs_and_stops_on_the_holder() {
    use voicefleet_core::auth::Role;
    use voicefleet_core::clock::Clock as _;
    use voicefleet_core::console::lease::{Lease, LeaseOptions, WORK_LEASE};
    use voicefleet_core::console::{
        Actor, BulkAction, BulkSpec, Console, ConsoleOptions, Fleet as _, HealthGate, Limit, NewCustomer,
        RunOutcome, SecretBox, Selector, TargetState,
    };
    use voicefleet_tests::sim::SimFleet;

    let dir = voicefleet_tests::scratch();
    let signer = HostTokenSigner::generate().unwrap();
    // The holder: alone on its lease (always held), running takeovers every 200 ms.
    let holder = crate::console(dir.path(), &signer, Duration::from_secs(2));
    let runner = holder.spawn_bulk_runner(Duration::from_millis(200));
    // The other: same store, its lease held by someone else for an hour.
    let store = holder.store().clone();
    let now = voicefleet_core::clock::SystemClock.now_ms();
    store.claim_lease(WORK_LEASE, "someone else", now, 3_600_000).await.unwrap();
    let (lease, keeper) = Lease::spawn(
        store.clone(),
        voicefleet_core::clock::system(),
        "other".to_owned(),
        LeaseOptions::default().renew_every(Duration::from_millis(100)),
    );
    let other = Console::new(
        store.clone(),
        voicefleet_tests::hosts::connector(&signer),
        SecretBox::new(&[9; 32]),
        ConsoleOptions::default().host_timeout(Duration::from_secs(2)),
    );
    other.set_lease(lease);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!other.owns_work(), "the lease is someone else's");

    let fleet = SimFleet::start(4, "rep", signer.public_pem()).await.unwrap();
    let admin = Actor::new("ops", Role::Admin);
    for host in &fleet.hosts {
        let customer = NewCustomer {
            id: host.customer_id.clone(),
            endpoint: host.endpoint.clone(),
            ..serde_json::from_value(serde_json::json!({"id": "x", "endpoint": "http://127.0.0.1:9"}))
                .unwrap()
        };
        other.add_customer(&admin, customer).await.unwrap();
    }
    let spec = BulkSpec {
        action: BulkAction::Restart,
        selector: Selector::All,
        max_concurrency: Limit::parse("1").unwrap(),
        max_errors: Limit::parse("0").unwrap(),
        canary: 0,
        health_gate: Some(HealthGate { min_healthy_seconds: 1.0, max_error_rate: None, max_p95_ms: None }),
        auto_rollback: false,
        dry_run: false,
    };
    let run = other.start_bulk(&admin, spec).await.unwrap();

    // The holder picks it up and runs it; the other runs nothing.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let seen = store.bulk_run(&run.id).await.unwrap().unwrap();
        if seen.count(TargetState::Succeeded) >= 1 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the holder never ran it: {seen:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let audit = holder.store().audit(0, 1000).await.unwrap();
    assert!(audit.iter().any(|e| e.action == "bulk.resumed" && e.target == run.id), "picked up, audited");

    // Cancelled through the other: the holder stops it before the next target.
    other.cancel_bulk(&admin, &run.id).await.unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let ended = loop {
        let seen = store.bulk_run(&run.id).await.unwrap().unwrap();
        if seen.outcome != RunOutcome::Running {
            break seen;
        }
        assert!(std::time::Instant::now() < deadline, "the cancel never reached the holder: {seen:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(ended.outcome, RunOutcome::Cancelled, "{ended:?}");
    assert!(ended.count(TargetState::Skipped) >= 1, "{ended:?}");
    let restarted: u64 = fleet.hosts.iter().map(|h| h.host.restart_requests()).sum();
    assert_eq!(restarted as usize, 4 - ended.count(TargetState::Skipped), "each target run once at most");

    runner.abort();
    keeper.abort();
    fleet.shutdown();
}
