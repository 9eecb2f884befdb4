//! The real daemon binary killed with SIGKILL and started again: the voice agent keeps its PID,
//! its calls go on, and the log has no missing sequence number.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use voicefleet_tests::{AgentCleanup, TempDir};

use crate::{AGENT, eventually, simulated_config};

fn spawn_daemon(dir: &std::path::Path, port: u16) -> Child {
    Command::new(AGENT)
        .args(["--customer-id", "acme", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--state-dir")
        .arg(dir.join("state"))
        .arg("--config")
        .arg(dir.join("acme.json"))
        .arg("--secrets-file")
        .arg(dir.join("secrets.json"))
        .env("VOICEFLEET_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_the_daemon_and_the_agent_carries_on() {
    let dir = TempDir::new().unwrap();
    let _cleanup = AgentCleanup(dir.path().join("state"));
    let config = simulated_config(
        json!({"ready_delay_ms": 20, "call_interval_ms": 100, "call_duration_ms": 60000, "turn_interval_ms": 50, "flood_lines_per_second": 300}),
    );
    std::fs::write(dir.path().join("acme.json"), config.to_json_pretty()).unwrap();
    std::fs::write(
        dir.path().join("secrets.json"),
        r#"{"openai_api_key": "a", "deepgram_api_key": "b", "elevenlabs_api_key": "c"}"#,
    )
    .unwrap();
    let port = free_port();
    let mut daemon = spawn_daemon(dir.path(), port);
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let token_path = dir.path().join("state/admin.token");
    let status = || {
        let http = http.clone();
        let base = base.clone();
        let token = std::fs::read_to_string(&token_path).unwrap_or_default().trim().to_owned();
        async move {
            let response = http.get(format!("{base}/v1/status")).bearer_auth(token).send().await.ok()?;
            response.json::<Value>().await.ok()
        }
    };
    let before = eventually("two calls", Duration::from_secs(15), async || {
        let s = status().await?;
        (s["calls"]["active_calls"].as_u64()? >= 2).then_some(s)
    })
    .await;
    let pid = before["pid"].as_i64().unwrap();

    daemon.kill().unwrap(); // SIGKILL
    daemon.wait().unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await; // the agent writes while unsupervised
    let mut daemon = spawn_daemon(dir.path(), port);

    let after = eventually("the new daemon", Duration::from_secs(15), async || {
        let s = status().await?;
        (s["state"] == "running").then_some(s)
    })
    .await;
    assert_eq!(after["pid"].as_i64(), Some(pid), "the voice agent was adopted, not restarted");
    assert_eq!(after["restarts"], 0);
    let active = after["calls"]["active_calls"].as_u64().unwrap();
    assert!(active >= 2, "calls in progress continue: {active}");
    let later = eventually("more calls", Duration::from_secs(10), async || {
        let s = status().await?;
        (s["calls"]["calls_total"].as_u64()? > after["calls"]["calls_total"].as_u64()?).then_some(s)
    })
    .await;
    assert_eq!(later["pid"].as_i64(), Some(pid));

    let token = std::fs::read_to_string(&token_path).unwrap().trim().to_owned();
    let logs: Value = http
        .get(format!("{base}/v1/logs?cursor=0&limit=10000"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let seqs: Vec<u64> =
        logs["lines"].as_array().unwrap().iter().map(|l| l["seq"].as_u64().unwrap()).collect();
    assert!(seqs.len() > 100);
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "missing sequence numbers");
    let floods: Vec<u64> = logs["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["text"].as_str()?.strip_prefix("flood ")?.parse().ok())
        .collect();
    assert_eq!(floods, (1..=floods.len() as u64).collect::<Vec<_>>(), "every flood line is there");

    // SIGTERM without --stop-agent-on-exit: the daemon leaves, the agent stays.
    nix_kill(daemon.id() as i32, 15);
    daemon.wait().unwrap();
    assert!(std::fs::metadata(format!("/proc/{pid}")).is_ok(), "the agent outlived a graceful daemon exit");
}

fn nix_kill(pid: i32, signal: i32) {
    Command::new("kill").args([format!("-{signal}"), pid.to_string()]).status().unwrap();
}
