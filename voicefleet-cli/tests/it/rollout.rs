//! What a deploy and a drain do to the running agent, told by the real binary: a rotated secret
//! reaches the agent's environment (read from `/proc/PID/environ`), and a drain that times out
//! says how many calls it cut.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use voicefleet_tests::hosts::simulated_config;

use crate::fleet::{Env, env, run, run_with_stdin};

pub(crate) fn ok(run: &voicefleet_tests::Run, what: &str) {
    assert_eq!(run.code, 0, "{what}: {}{}", run.stdout, run.stderr);
}

/// The agent's PID and state, from `status -o json`.
fn agent(env: &Env) -> (Option<i64>, String) {
    let r = run(env, &["status", "acme", "-o", "json"]);
    ok(&r, "status");
    let statuses: Value = serde_json::from_str(&r.stdout).unwrap();
    (statuses[0]["status"]["pid"].as_i64(), statuses[0]["state"].as_str().unwrap_or_default().to_owned())
}

fn environ(pid: i64) -> String {
    let bytes = std::fs::read(format!("/proc/{pid}/environ")).unwrap();
    String::from_utf8_lossy(&bytes).replace('\0', "\n")
}

/// A customer `acme` on the test host, with its three secrets, deployed and running.
pub(crate) fn running_customer(env: &Env, simulator: Value) -> i64 {
    let endpoint = env.host.endpoint.clone();
    ok(&run(env, &["customers", "add", "acme", "--endpoint", &endpoint]), "add");
    for name in ["openai_api_key", "deepgram_api_key", "elevenlabs_api_key"] {
        ok(&run_with_stdin(env, &["secrets", "set", "acme", name], "sk-first-value\n"), name);
    }
    let file = env.dir.path().join("acme.json");
    std::fs::write(&file, simulated_config(simulator).to_json_pretty()).unwrap();
    ok(&run(env, &["config", "push", "acme", file.to_str().unwrap()]), "push");
    let r = run(env, &["config", "deploy", "acme"]);
    ok(&r, "deploy");
    assert!(r.stderr.contains("acme: stored"), "nothing runs yet: {}", r.stderr);
    ok(&run(env, &["agent", "start", "acme"]), "start");
    let (pid, state) = agent(env);
    assert_eq!(state, "running");
    pid.expect("a running agent has a pid")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_secret_reaches_the_running_agent() {
    let env = env().await;
    let first = tokio::task::block_in_place(|| {
        running_customer(&env, json!({"ready_delay_ms": 20, "call_interval_ms": 100000}))
    });
    assert!(environ(first).contains("OPENAI_API_KEY=sk-first-value"), "{}", environ(first));

    // The same document, another key: the deploy drain-restarts the agent and says so.
    tokio::task::block_in_place(|| {
        ok(
            &run_with_stdin(&env, &["secrets", "set", "acme", "openai_api_key"], "sk-rotated-value\n"),
            "rotate",
        );
        let r = run(&env, &["config", "deploy", "acme"]);
        ok(&r, "deploy after rotation");
        assert!(r.stderr.contains("acme: restarting — a runtime field or a secret changed"), "{}", r.stderr);
        let line = r
            .stderr
            .lines()
            .find(|l| l.starts_with("acme: restarted, now running (pid "))
            .unwrap_or_else(|| panic!("no outcome line: {}", r.stderr));
        let (pid, state) = agent(&env);
        let second = pid.expect("running again");
        assert_eq!(state, "running");
        assert_ne!(second, first, "a new instance");
        assert!(line.contains(&format!("pid {first} → {second}")), "{line}");
        let environment = environ(second);
        assert!(environment.contains("OPENAI_API_KEY=sk-rotated-value"), "{environment}");
        assert!(!environment.contains("OPENAI_API_KEY=sk-first-value"), "{environment}");

        // Nothing changed since: stored, same PID.
        let r = run(&env, &["config", "deploy", "acme", "-o", "json"]);
        ok(&r, "deploy again");
        let deployed: Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(deployed["applied"], "stored", "{}", r.stdout);
        assert_eq!(agent(&env).0, Some(second));
        let _ = run(&env, &["agent", "stop", "acme", "--drain-timeout", "0.2"]);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drain_that_times_out_says_how_many_calls_it_cut() {
    let env = env().await;
    // Long calls, started often: the drain cannot finish in 1 s.
    let first = tokio::task::block_in_place(|| {
        running_customer(
            &env,
            json!({"ready_delay_ms": 20, "call_interval_ms": 50, "call_duration_ms": 600000, "turn_interval_ms": 1000}),
        )
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = tokio::task::block_in_place(|| run(&env, &["status", "acme", "-o", "json"]));
        let statuses: Value = serde_json::from_str(&r.stdout).unwrap();
        if statuses[0]["status"]["calls"]["active_calls"].as_u64().unwrap_or(0) >= 2 {
            break;
        }
        assert!(Instant::now() < deadline, "no calls: {}", r.stdout);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let r = tokio::task::block_in_place(|| run(&env, &["agent", "restart", "acme", "--drain-timeout", "1s"]));
    ok(&r, "restart");
    assert!(r.stderr.contains("acme: draining, "), "{}", r.stderr);
    let outcome = r
        .stderr
        .lines()
        .find(|l| l.starts_with(&format!("acme: pid {first} timed out draining and was killed (SIGKILL), ")))
        .unwrap_or_else(|| panic!("no outcome: {}", r.stderr));
    let cut: u64 = outcome.rsplit(", ").next().unwrap().split(' ').next().unwrap().parse().unwrap();
    assert!(cut >= 2, "{outcome}");
    let (pid, _) = tokio::task::block_in_place(|| agent(&env));
    assert!(r.stderr.contains(&format!("acme: now running, pid {}", pid.unwrap())), "{}", r.stderr);

    // Stopping twice, and starting twice, answer alike: the second changes nothing and says so.
    tokio::task::block_in_place(|| {
        ok(&run(&env, &["agent", "stop", "acme", "--drain-timeout", "0.2"]), "stop");
        let r = run(&env, &["agent", "drain", "acme"]);
        ok(&r, "drain a stopped agent");
        assert!(r.stderr.contains("acme: not running; nothing to do"), "{}", r.stderr);
        ok(&run(&env, &["agent", "start", "acme"]), "start");
        let r = run(&env, &["agent", "start", "acme"]);
        ok(&r, "start a running agent");
        assert!(r.stderr.contains("acme: already running; nothing to do"), "{}", r.stderr);
        let r = run(&env, &["agent", "stop", "acme", "--drain-timeout", "13h"]);
        assert_eq!(r.code, 2, "{}", r.stderr);
        let r = run(&env, &["agent", "stop", "acme", "--drain-timeout", "soon"]);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains("hint:") || r.stderr.contains("90s"), "{}", r.stderr);
        let _ = run(&env, &["agent", "stop", "acme", "--drain-timeout", "0.2"]);
    });
}
