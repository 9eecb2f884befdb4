//! A console killed (`kill -9`) in the middle of a bulk restart over six hosts: the next
//! `console serve` ends the run as `interrupted` with each target's true state. Targets that
//! finished keep their result, the one in flight is checked against its host (not restarted
//! again), the ones that never started are skipped, the end is audited, and `bulk cancel`
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
async fn a_bulk_run_cut_by_a_console_kill_ends_interrupted_with_each_targets_true_state() {
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
    let run = operator.json(&["bulk", "show", &run_id]);
    assert_eq!(run["outcome"], "interrupted", "{run:#}");
    assert!(run["finished_at_ms"].as_u64().is_some(), "{run:#}");
    let targets = run["targets"].as_array().unwrap();
    let state = |id: &str| targets.iter().find(|t| t["customer_id"] == id).unwrap().clone();
    let succeeded: Vec<&Value> = targets.iter().filter(|t| t["state"] == "succeeded").collect();
    assert_eq!(succeeded.len(), 2, "the two finished targets keep their result: {run:#}");
    let cut = state(&in_flight);
    assert_eq!(cut["state"], "interrupted", "{cut:#}");
    let reason = cut["reason"].as_str().unwrap();
    assert!(
        reason.contains("in flight") && reason.contains("instance started after the restart was sent"),
        "the host was checked: {reason}"
    );
    assert!(reason.contains("health gate was not checked"), "{reason}");
    let skipped: Vec<&Value> = targets.iter().filter(|t| t["state"] == "skipped").collect();
    assert_eq!(skipped.len(), 3, "{run:#}");
    assert!(skipped.iter().all(|t| t["reason"] == "the console stopped before this target started"));
    assert!(targets.iter().all(|t| t["state"] != "running" && t["state"] != "pending"));

    // The in-flight target was checked, not restarted again; the skipped ones were left alone.
    let status_after = operator.running_fleet(ids.len());
    assert_eq!(status_after.len(), ids.len());
    let status_after = operator.json(&["status"]);
    assert_eq!(pid_of(&status_after, &in_flight), Some(in_flight_pid), "not restarted blindly");
    for target in &skipped {
        let id = target["customer_id"].as_str().unwrap();
        assert_eq!(pid_of(&status_after, id), pid_of(&status_before, id), "{id} was never touched");
    }

    // Audited, and `bulk cancel` says it is over.
    let audit = operator.json(&["audit", "list", "--action", "bulk.interrupted"]);
    assert_eq!(audit.as_array().unwrap().len(), 1, "{audit:#}");
    assert_eq!(audit[0]["target"], run_id.as_str());
    let cancel = operator.run(&["bulk", "cancel", &run_id], "");
    assert_ne!(cancel.code, 0, "{}", cancel.stdout);
    assert!(
        cancel.stderr.contains("already ended") && cancel.stderr.contains("interrupted"),
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
        metrics.contains(r#"voicefleet_console_bulk_runs_finished_total{outcome="interrupted"} 1"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"voicefleet_console_bulk_targets_finished_total{state="skipped"} 3"#),
        "{metrics}"
    );

    console.stop();
    for host in &mut hosts {
        host.stop().await;
    }
}
