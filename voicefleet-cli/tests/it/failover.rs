//! Two `console serve` replicas on one PostgreSQL database: what one writes the other reads;
//! a bulk restart over 20 simulated hosts started through A, A killed (`kill -9`) mid-run, and
//! B takes the run over within 10 s and finishes it — each host restarted exactly once, the run's
//! record complete, the audit chain intact.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use voicefleet_tests::drill::{ConsoleProcess, Operator, login};
use voicefleet_tests::postgres::{PASSWORD, PostgresServer, USER};
use voicefleet_tests::sim::SimFleet;

const VOICEFLEET: &str = env!("CARGO_BIN_EXE_voicefleet");
const HOSTS: usize = 20;

/// A replica's data directory with the keys every replica shares (copied from the first).
fn shared_keys(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for file in ["master.key", "console.key", "console.pub.pem"] {
        std::fs::copy(from.join(file), to.join(file)).unwrap_or_else(|e| panic!("copy {file}: {e}"));
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_takes_over_a_bulk_run_when_the_other_dies() {
    let server = PostgresServer::start();
    server.create_database("replicas");
    let url = format!("postgres://{USER}@127.0.0.1:{}/replicas?sslmode=disable", server.port);
    let env = [("VOICEFLEET_STORE_PASSWORD", PASSWORD)];
    let binary = Path::new(VOICEFLEET);
    let dir = voicefleet_tests::scratch();
    let (data_a, data_b) = (dir.path().join("a"), dir.path().join("b"));

    let a = ConsoleProcess::start(binary, &data_a, &env, &["--store", &url]);
    shared_keys(&data_a, &data_b);
    let b = ConsoleProcess::start(binary, &data_b, &env, &["--store", &url]);
    let through_a = Operator { binary, url: a.url.clone(), token: login(&a.url).await, env: &[] };
    let through_b = Operator { binary, url: b.url.clone(), token: login(&b.url).await, env: &[] };

    // Written through A, read through B.
    let public_key = std::fs::read_to_string(data_a.join("console.pub.pem")).unwrap();
    let fleet = SimFleet::start(HOSTS, "sim", &public_key).await.unwrap();
    for host in &fleet.hosts {
        through_a.ok(&[
            "customers",
            "add",
            &host.customer_id,
            "--endpoint",
            &host.endpoint,
            "--tag",
            "fleet=sim",
        ]);
    }
    let shown = through_b.json(&["customers", "show", "sim-0007"]);
    let endpoint = shown["endpoint"].as_str().unwrap_or_default().trim_end_matches('/');
    assert_eq!(endpoint, fleet.hosts[7].endpoint, "{shown:#}");
    let pids_before: Vec<Option<i64>> =
        fleet.hosts.iter().map(|h| h.host.status_now().pid.map(i64::from)).collect();

    // One host at a time, each held by a 1 s health gate: the run takes over 20 s.
    let mut bulk = Command::new(binary)
        .args(["--console", &a.url, "--token", &through_a.token])
        .args([
            "bulk",
            "restart",
            "-s",
            "fleet=sim",
            "--max-concurrency",
            "1",
            "--healthy-for",
            "1s",
            "--yes",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the bulk restart");
    let deadline = Instant::now() + Duration::from_secs(60);
    let run_id = loop {
        assert!(Instant::now() < deadline, "the run never got under way");
        std::thread::sleep(Duration::from_millis(100));
        let runs = through_b.json(&["bulk", "list"]);
        let Some(run) = runs.as_array().and_then(|r| r.first()).cloned() else { continue };
        let done =
            run["targets"].as_array().map_or(0, |t| t.iter().filter(|t| t["state"] == "succeeded").count());
        if done >= 4 {
            break run["id"].as_str().unwrap().to_owned();
        }
    };

    // kill -9 of A mid-run (dropping the process kills it with SIGKILL).
    drop(a);
    let killed_ms = now_ms();
    let _ = bulk.kill();
    let _ = bulk.wait();
    let at_kill = through_b.json(&["bulk", "show", &run_id]);
    assert_eq!(at_kill["outcome"], "running", "{at_kill:#}");

    // B takes it over within 10 s, and finishes it.
    let deadline = Instant::now() + Duration::from_secs(90);
    let run = loop {
        let run = through_b.json(&["bulk", "show", &run_id]);
        if run["outcome"] != "running" {
            break run;
        }
        assert!(Instant::now() < deadline, "B never finished the run: {run:#}");
        std::thread::sleep(Duration::from_millis(250));
    };
    let resumed = through_b.json(&["audit", "list", "--action", "bulk.resumed"]);
    let resumed = resumed.as_array().unwrap();
    assert_eq!(resumed.len(), 1, "{resumed:#?}");
    let took_ms = resumed[0]["at_ms"].as_u64().unwrap().saturating_sub(killed_ms);
    eprintln!("takeover {took_ms} ms after the kill");
    assert!(took_ms <= 10_000, "taken over {took_ms} ms after the kill");

    // The record is complete: every target succeeded, with its times.
    assert_eq!(run["outcome"], "succeeded", "{run:#}");
    assert!(run["finished_at_ms"].as_u64().is_some());
    let targets = run["targets"].as_array().unwrap();
    assert_eq!(targets.len(), HOSTS);
    for target in targets {
        assert_eq!(target["state"], "succeeded", "{target:#}");
        assert!(target["started_at_ms"].as_u64().is_some() && target["finished_at_ms"].as_u64().is_some());
    }

    // Each host restarted exactly once: one restart acted on, a new PID.
    for (host, before) in fleet.hosts.iter().zip(&pids_before) {
        assert_eq!(host.host.restart_requests(), 1, "{} restarted once", host.customer_id);
        let after = host.host.status_now().pid.map(i64::from);
        assert!(after.is_some() && after != *before, "{}: {before:?} -> {after:?}", host.customer_id);
    }

    // The audit chain is intact, read through the surviving replica.
    let verify = through_b.run(&["audit", "verify"], "");
    assert_eq!(verify.code, 0, "{}{}", verify.stdout, verify.stderr);
    let verdict: Value = reqwest::Client::new()
        .get(format!("{}/v1/audit/verify", b.url))
        .bearer_auth(&through_b.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(verdict["ok"], true, "{verdict}");

    b.stop();
    fleet.shutdown();
}
