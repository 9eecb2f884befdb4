//! The Unix supervisor with real processes: the shim, the simulated voice agent, signals.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use voicefleet_core::config::{ConfigDocument, template};
use voicefleet_core::customer::CustomerId;
use voicefleet_core::host::{ApplyAction, Host, LogQuery, RevisionMeta, StopOptions};
use voicefleet_core::logs::StreamFilter;
use voicefleet_core::supervisor::{ShimCommand, Supervisor, SupervisorOptions};
use voicefleet_tests::TempDir;

pub(crate) fn simulated_config(simulator: Value) -> ConfigDocument {
    let mut document = template("default").unwrap();
    document.set("runtime.command", json!([env!("CARGO_BIN_EXE_voicefleet-simulated-agent")])).unwrap();
    document.set("runtime.start_seconds", json!(5)).unwrap();
    document.set("runtime.drain_timeout_seconds", json!(600)).unwrap();
    document.set("extensions.simulator", simulator).unwrap();
    document
}

pub(crate) fn options(dir: &Path) -> SupervisorOptions {
    let shim = ShimCommand { program: env!("CARGO_BIN_EXE_voicefleet-shim").into(), args: Vec::new() };
    let mut options = SupervisorOptions::new(CustomerId::parse("acme").unwrap(), dir.join("state"), shim);
    options.backoff_initial = Duration::from_millis(100);
    options.stop_grace = Duration::from_millis(300);
    options
}

async fn with_secrets(host: &Supervisor) {
    for name in ["openai_api_key", "deepgram_api_key", "elevenlabs_api_key"] {
        host.set_secret(name, &format!("value-of-{name}")).await.unwrap();
    }
}

async fn wait_for(
    host: &Supervisor,
    what: &str,
    deadline: Duration,
    check: impl Fn(&voicefleet_core::host::HostStatus) -> bool,
) -> voicefleet_core::host::HostStatus {
    let start = Instant::now();
    loop {
        let status = host.status().await.unwrap();
        if check(&status) {
            return status;
        }
        assert!(start.elapsed() < deadline, "timed out waiting for {what}; last status {status:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        let state = stat.rsplit(')').next().unwrap_or("").split_whitespace().next().unwrap_or("");
        state != "Z"
    })
}

fn group_alive(pgid: i32) -> Vec<i32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
                let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
                fields.get(2).and_then(|g| g.parse::<i32>().ok()) == Some(pgid)
                    && fields.first() != Some(&"Z")
            })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_ready_crash_restart_and_stop_without_orphans() {
    let dir = TempDir::new().unwrap();
    let host = Supervisor::open(options(dir.path())).await.unwrap();
    let refused = host.start().await.unwrap_err();
    assert!(refused.to_string().contains("no configuration"), "{refused}");
    with_secrets(&host).await;
    let document = simulated_config(
        json!({"ready_delay_ms": 50, "call_interval_ms": 100, "call_duration_ms": 400, "turn_interval_ms": 50, "grandchildren": 2}),
    );
    let applied = host.apply_config(document, RevisionMeta::default()).await.unwrap();
    assert_eq!((applied.revision.revision, applied.action), (1, ApplyAction::Stored));

    let status = host.start().await.unwrap();
    if status.state != "running" {
        let logs = host.logs(LogQuery::Tail { n: 50, stream: StreamFilter::All }).await.unwrap();
        let shim_log = std::fs::read_to_string(dir.path().join("state/run/shim.log")).unwrap_or_default();
        panic!("not running: {status:?}\nlogs: {logs:#?}\nshim: {shim_log}");
    }
    let pid = status.pid.unwrap();
    let status = wait_for(&host, "calls and turns", Duration::from_secs(10), |s| {
        s.calls.calls_total >= 2 && s.calls.latency_5m.e2e_ms.is_some()
    })
    .await;
    assert!(status.calls.latency_5m.e2e_ms.unwrap().p50 > 100.0);
    assert_eq!(host.start().await.unwrap_err().kind(), voicefleet_core::ErrorKind::Conflict);

    // The agent's environment follows the protocol.
    let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap();
    let environ = String::from_utf8_lossy(&environ);
    for expected in [
        "VOICEFLEET_CUSTOMER_ID=acme",
        "VOICEFLEET_SECRET_OPENAI_API_KEY=value-of-openai_api_key",
        "OPENAI_API_KEY=value-of-openai_api_key",
        "LOG_LEVEL=info",
        "VOICEFLEET_CONFIG=",
    ] {
        assert!(environ.contains(expected), "{expected} missing");
    }

    // kill -9: the first restart is immediate.
    let killed_at = Instant::now();
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL).unwrap();
    let status =
        wait_for(&host, "a new pid", Duration::from_secs(5), |s| s.pid.is_some_and(|p| p != pid)).await;
    assert!(killed_at.elapsed() < Duration::from_secs(1), "restart took {:?}", killed_at.elapsed());
    assert_eq!(status.restarts, 1);
    assert_eq!(status.last_exit.unwrap().signal, Some(9));
    assert!(group_alive(pid).is_empty(), "the crashed agent's grandchildren were killed");
    let new_pid = status.pid.unwrap();
    wait_for(&host, "running", Duration::from_secs(5), |s| s.state == "running").await;

    // Stop: drains calls, then nothing of the group survives, grandchildren that ignore SIGTERM
    // included, and no zombie remains.
    let stopped = host.stop(StopOptions { timeout: Some(Duration::from_secs(10)) }).await.unwrap();
    assert_eq!(stopped.state, "stopped");
    assert!(group_alive(new_pid).is_empty(), "group survivors: {:?}", group_alive(new_pid));
    assert!(!alive(new_pid));
    let logs = host.logs(LogQuery::Tail { n: 200, stream: StreamFilter::All }).await.unwrap();
    assert!(
        logs.iter().any(|l| l.text.contains("SIGTERM received: draining")),
        "the agent was asked to drain"
    );
    assert!(logs.windows(2).all(|w| w[1].seq == w[0].seq + 1), "no gap in sequence numbers");
    host.shutdown(false).await.unwrap();
}
