//! The Unix supervisor with real processes: the shim, the simulated voice agent, signals.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use voicefleet_core::config::{ConfigDocument, template};
use voicefleet_core::customer::CustomerId;
use voicefleet_core::host::{ApplyAction, Host, LogQuery, RevisionMeta, StopOptions};
use voicefleet_core::logs::StreamFilter;
use voicefleet_core::supervisor::{ShimCommand, Supervisor, SupervisorOptions};
use voicefleet_tests::{AgentCleanup, TempDir};

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

pub(crate) async fn with_secrets(host: &Supervisor) {
    for name in ["openai_api_key", "deepgram_api_key", "elevenlabs_api_key"] {
        host.set_secret(name, &format!("value-of-{name}")).await.unwrap();
    }
}

pub(crate) async fn wait_for(
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

pub(crate) fn alive(pid: i32) -> bool {
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
    let _cleanup = AgentCleanup(dir.path().join("state"));
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
    let stopped = host.stop(StopOptions::with_timeout(Duration::from_secs(10))).await.unwrap();
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

async fn started_host(dir: &Path, simulator: Value, edit: impl FnOnce(&mut ConfigDocument)) -> Supervisor {
    let host = Supervisor::open(options(dir)).await.unwrap();
    with_secrets(&host).await;
    let mut document = simulated_config(simulator);
    edit(&mut document);
    host.apply_config(document, RevisionMeta::default()).await.unwrap();
    host.start().await.unwrap();
    host
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_supervisor_adopts_the_running_agent_without_losing_lines_or_calls() {
    let dir = TempDir::new().unwrap();
    let _cleanup = AgentCleanup(dir.path().join("state"));
    let simulator = json!({"ready_delay_ms": 10, "call_interval_ms": 50, "call_duration_ms": 60000, "turn_interval_ms": 100, "max_calls": 3, "flood_lines_per_second": 500});
    let host = started_host(dir.path(), simulator, |_| {}).await;
    let before = wait_for(&host, "three calls", Duration::from_secs(10), |s| s.calls.active_calls == 3).await;
    let pid = before.pid.unwrap();
    host.shutdown(false).await.unwrap();
    drop(host);
    // The agent keeps writing while nobody supervises it.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(alive(pid), "the agent survived its supervisor");

    let host = Supervisor::open(options(dir.path())).await.unwrap();
    let after =
        wait_for(&host, "adopted and running", Duration::from_secs(5), |s| s.state == "running").await;
    assert_eq!(after.pid, Some(pid), "adopted, not restarted");
    assert_eq!(after.calls.active_calls, 3, "calls in progress were replayed from the log");
    assert_eq!(after.restarts, 0);
    let lines =
        host.logs(LogQuery::After { cursor: 0, limit: usize::MAX, stream: StreamFilter::All }).await.unwrap();
    assert!(lines.windows(2).all(|w| w[1].seq == w[0].seq + 1), "no missing sequence number");
    let floods: Vec<u64> = lines.iter().filter_map(|l| l.text.strip_prefix("flood ")?.parse().ok()).collect();
    assert!(floods.len() > 100);
    assert_eq!(
        floods,
        (1..=floods.len() as u64).collect::<Vec<_>>(),
        "every line written while unsupervised is there"
    );
    host.stop(StopOptions::with_timeout(Duration::from_millis(200))).await.unwrap();
    assert!(!alive(pid));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reused_pid_is_never_adopted() {
    let dir = TempDir::new().unwrap();
    let _cleanup = AgentCleanup(dir.path().join("state"));
    let host = started_host(dir.path(), json!({"ready_delay_ms": 10, "call_interval_ms": 0}), |_| {}).await;
    host.stop(StopOptions::default()).await.unwrap();
    host.shutdown(false).await.unwrap();
    // Forge a record naming live processes (this test process) with another start time.
    let me = std::process::id() as i32;
    let forged = json!({"pid": me, "pgid": me, "start_time": 1, "shim_pid": me, "shim_start_time": 1, "first_seq": 1, "spawned_at_ms": 0});
    std::fs::write(dir.path().join("state/run/child.json"), forged.to_string()).unwrap();
    let host = Supervisor::open(options(dir.path())).await.unwrap();
    let status = host.status().await.unwrap();
    assert_eq!((status.state.as_str(), status.pid), ("stopped", None));
    assert!(!dir.path().join("state/run/child.json").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_kills_an_agent_that_ignores_sigterm() {
    let dir = TempDir::new().unwrap();
    let _cleanup = AgentCleanup(dir.path().join("state"));
    // Idle: killed after the grace period once calls are 0.
    let host = started_host(
        dir.path(),
        json!({"ready_delay_ms": 10, "call_interval_ms": 0, "ignore_sigterm": true}),
        |_| {},
    )
    .await;
    let pid = host.status().await.unwrap().pid.unwrap();
    let started = Instant::now();
    let status = host.stop(StopOptions::with_timeout(Duration::from_secs(30))).await.unwrap();
    let took = started.elapsed();
    assert_eq!(status.state, "stopped");
    assert_eq!(status.last_exit.unwrap().signal, Some(9));
    assert!(took >= Duration::from_millis(250) && took < Duration::from_secs(3), "{took:?}");
    assert!(!alive(pid));

    // Busy: calls never end and SIGTERM is ignored, so the drain timeout decides.
    host.apply_config(
        simulated_config(json!({"ready_delay_ms": 10, "call_interval_ms": 10, "call_duration_ms": 600000, "ignore_sigterm": true})),
        RevisionMeta::default(),
    )
    .await
    .unwrap();
    host.start().await.unwrap();
    wait_for(&host, "a call", Duration::from_secs(5), |s| s.calls.active_calls > 0).await;
    let started = Instant::now();
    host.stop(StopOptions::with_timeout(Duration::from_millis(800))).await.unwrap();
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(750) && took < Duration::from_secs(3), "{took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_well_behaved_agent_finishes_its_calls_before_exiting() {
    let dir = TempDir::new().unwrap();
    let _cleanup = AgentCleanup(dir.path().join("state"));
    let host = started_host(
        dir.path(),
        json!({"ready_delay_ms": 10, "call_interval_ms": 20, "call_duration_ms": 700, "max_calls": 2}),
        |_| {},
    )
    .await;
    wait_for(&host, "two calls", Duration::from_secs(5), |s| s.calls.active_calls == 2).await;
    let status = host.drain(StopOptions::with_timeout(Duration::from_secs(10))).await.unwrap();
    assert_eq!(status.state, "stopped");
    assert_eq!(status.last_exit.unwrap().code, Some(0), "it exited on its own");
    let logs = host
        .logs(LogQuery::Tail { n: 1000, stream: StreamFilter::Only(voicefleet_core::logs::Stream::Stdout) })
        .await
        .unwrap();
    let ended = logs.iter().filter(|l| l.text.contains("\"call_ended\"")).count();
    assert_eq!(ended, 2, "both calls ended normally");
    assert_eq!(status.calls.disconnect_reasons.values().sum::<u64>(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_loop_keeps_retrying_at_the_cap_and_says_so() {
    let dir = TempDir::new().unwrap();
    let _cleanup = AgentCleanup(dir.path().join("state"));
    let host = Supervisor::open(options(dir.path())).await.unwrap();
    with_secrets(&host).await;
    let mut events = host.subscribe();
    let mut document = simulated_config(json!({"crash_after_ms": 5, "emit_ready": false}));
    document.set("runtime.restart.max_backoff_seconds", json!(1)).unwrap();
    host.apply_config(document, RevisionMeta::default()).await.unwrap();
    host.start().await.unwrap();
    let status = wait_for(&host, "crash_loop", Duration::from_secs(15), |s| s.state == "crash_loop").await;
    assert!(status.consecutive_failures >= 3);
    assert_eq!(status.last_exit.unwrap().code, Some(1));
    let mut saw_crash_loop = false;
    while let Ok(event) = events.try_recv() {
        saw_crash_loop |= matches!(event, voicefleet_core::host::HostEvent::CrashLoop { .. });
    }
    assert!(saw_crash_loop, "a crash loop raises an event");
    // It keeps trying: the restart count keeps growing.
    let later =
        wait_for(&host, "more restarts", Duration::from_secs(5), |s| s.restarts > status.restarts + 1).await;
    assert!(later.restarts > status.restarts);
    // A stop cancels the retries.
    assert_eq!(host.stop(StopOptions::default()).await.unwrap().state, "stopped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_policies_never_and_on_failure() {
    let dir = TempDir::new().unwrap();
    let _cleanup = AgentCleanup(dir.path().join("state"));
    let host = started_host(
        dir.path(),
        json!({"crash_after_ms": 50, "crash_exit_code": 0, "ready_delay_ms": 10}),
        |d| {
            d.set("runtime.restart.policy", json!("on-failure")).unwrap();
        },
    )
    .await;
    let status = wait_for(&host, "exited", Duration::from_secs(5), |s| s.state == "exited").await;
    assert_eq!((status.restarts, status.last_exit.unwrap().code), (0, Some(0)));
    host.shutdown(false).await.unwrap();

    let dir = TempDir::new().unwrap();
    let _cleanup = AgentCleanup(dir.path().join("state"));
    let host = started_host(
        dir.path(),
        json!({"crash_after_ms": 50, "crash_exit_code": 3, "ready_delay_ms": 10}),
        |d| {
            d.set("runtime.restart.policy", json!("never")).unwrap();
        },
    )
    .await;
    let status = wait_for(&host, "exited", Duration::from_secs(5), |s| s.state == "exited").await;
    assert_eq!((status.restarts, status.last_exit.unwrap().code), (0, Some(3)));
    // A start request still starts it.
    // A start request still starts it: a new instance runs, then ends with an exit of its own.
    let first_exit = status.last_exit.unwrap().at_ms;
    host.start().await.unwrap();
    let again = wait_for(&host, "a second run's exit", Duration::from_secs(5), |s| {
        s.state == "exited" && s.last_exit.is_some_and(|exit| exit.at_ms > first_exit)
    })
    .await;
    assert_eq!((again.restarts, again.last_exit.unwrap().code), (0, Some(3)));
    host.shutdown(true).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_changes_reload_or_restart_and_invalid_ones_change_nothing() {
    let dir = TempDir::new().unwrap();
    let _cleanup = AgentCleanup(dir.path().join("state"));
    let host = started_host(dir.path(), json!({"ready_delay_ms": 10, "call_interval_ms": 0}), |d| {
        d.set("runtime.reload", json!("signal")).unwrap();
    })
    .await;
    let pid = host.status().await.unwrap().pid.unwrap();
    let (mut document, revision) = host.config().await.unwrap().unwrap();
    assert_eq!(revision.revision, 1);

    // An agent_settings change with reload = signal: SIGHUP, same process.
    document.set("agent_settings.llm.temperature", json!(0.2)).unwrap();
    let applied = host
        .apply_config(
            document.clone(),
            RevisionMeta { revision: None, author: "ops".into(), message: "cooler".into() },
        )
        .await
        .unwrap();
    assert_eq!((applied.action, applied.revision.revision), (ApplyAction::Reloaded, 2));
    let lines = || async { host.logs(LogQuery::Tail { n: 50, stream: StreamFilter::All }).await.unwrap() };
    let start = Instant::now();
    while !lines().await.iter().any(|l| l.text.starts_with("config reloaded")) {
        assert!(start.elapsed() < Duration::from_secs(5), "no reload seen");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(host.status().await.unwrap().pid, Some(pid));

    // Invalid: every issue, nothing written, nothing restarted.
    let on_disk = std::fs::read(dir.path().join("state/config.json")).unwrap();
    let mut invalid = document.clone().into_value();
    invalid["agent_settings"]["llm"]["temperature"] = json!(7);
    invalid["agent_settings"]["llm"]["api_key"] = json!("secret://missing_secret");
    let error = host
        .apply_config(ConfigDocument::from_value(invalid).unwrap(), RevisionMeta::default())
        .await
        .unwrap_err();
    let codes: Vec<&str> = error.issues().iter().map(|i| i.code.as_str()).collect();
    assert!(codes.contains(&"out_of_range") && codes.contains(&"secret_missing"), "{codes:?}");
    assert_eq!(std::fs::read(dir.path().join("state/config.json")).unwrap(), on_disk);
    assert_eq!(host.status().await.unwrap().config.unwrap().revision, 2);

    // A runtime change: drain-restart, new process.
    document.set("runtime.max_concurrent_calls", json!(3)).unwrap();
    let applied = host.apply_config(document, RevisionMeta::default()).await.unwrap();
    assert_eq!(applied.action, ApplyAction::Restarted);
    let status = wait_for(&host, "restarted", Duration::from_secs(10), |s| {
        s.state == "running" && s.pid.is_some_and(|p| p != pid)
    })
    .await;
    assert_eq!(status.config.unwrap().revision, 3);
    assert!(!alive(pid));

    // The config file keeps references, never values, and is private.
    let text = std::fs::read_to_string(dir.path().join("state/config.json")).unwrap();
    assert!(text.contains("secret://openai_api_key") && !text.contains("value-of-"));
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(dir.path().join("state/config.json")).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);

    // Secrets: a referenced one cannot be deleted; names are validated.
    assert_eq!(
        host.delete_secret("openai_api_key").await.unwrap_err().kind(),
        voicefleet_core::ErrorKind::Conflict
    );
    assert_eq!(
        host.set_secret("Bad-Name", "x").await.unwrap_err().kind(),
        voicefleet_core::ErrorKind::InvalidInput
    );
    assert_eq!(host.delete_secret("nope").await.unwrap_err().kind(), voicefleet_core::ErrorKind::NotFound);
    host.shutdown(true).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_the_memory_limit_the_agent_is_restarted_when_idle() {
    let dir = TempDir::new().unwrap();
    let _cleanup = AgentCleanup(dir.path().join("state"));
    let mut options = options(dir.path());
    options.metrics_interval = Duration::from_millis(100);
    let host = Supervisor::open(options).await.unwrap();
    with_secrets(&host).await;
    let mut document =
        simulated_config(json!({"ready_delay_ms": 10, "call_interval_ms": 0, "leak_mb_per_second": 40}));
    document.set("runtime.memory_limit_mb", json!(64)).unwrap();
    host.apply_config(document, RevisionMeta::default()).await.unwrap();
    let mut events = host.subscribe();
    let pid = host.start().await.unwrap().pid.unwrap();
    let status =
        wait_for(&host, "a memory restart", Duration::from_secs(15), |s| s.pid.is_some_and(|p| p != pid))
            .await;
    assert!(status.state == "starting" || status.state == "running");
    let mut saw = false;
    while let Ok(event) = events.try_recv() {
        saw |= matches!(event, voicefleet_core::host::HostEvent::MemoryLimit { .. });
    }
    assert!(saw, "the memory limit raised an event");
    let history = host.metrics_history(0).await.unwrap();
    assert!(history.len() >= 3);
    assert!(history.iter().any(|s| s.rss_bytes > 64 * 1024 * 1024));
    assert!(history.iter().all(|s| s.threads >= 1 && s.processes >= 1));
    host.shutdown(true).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_line_is_lost_at_ten_thousand_lines_a_second_across_rotations() {
    let dir = TempDir::new().unwrap();
    let _cleanup = AgentCleanup(dir.path().join("state"));
    let mut options = options(dir.path());
    options.log_limits = voicefleet_core::logs::LogLimits { max_file_bytes: 64 * 1024, keep_files: 50 };
    let host = Supervisor::open(options).await.unwrap();
    with_secrets(&host).await;
    host.apply_config(
        simulated_config(json!({"ready_delay_ms": 10, "call_interval_ms": 0, "flood_lines_per_second": 10000, "flood_seconds": 2})),
        RevisionMeta::default(),
    )
    .await
    .unwrap();
    host.start().await.unwrap();
    let files = host.log_files();
    let start = Instant::now();
    let mut floods = Vec::new();
    while floods.len() < 20_000 {
        assert!(start.elapsed() < Duration::from_secs(20), "only {} flood lines", floods.len());
        tokio::time::sleep(Duration::from_millis(100)).await;
        let lines = files.read_after(0, usize::MAX, StreamFilter::All).unwrap();
        floods = lines.iter().filter_map(|l| l.text.strip_prefix("flood ")?.parse::<u64>().ok()).collect();
    }
    assert_eq!(floods, (1..=20_000).collect::<Vec<u64>>());
    let rotated = std::fs::read_dir(dir.path().join("state/logs")).unwrap().count();
    assert!(rotated > 5, "the log rotated ({rotated} files)");
    host.shutdown(true).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_samples_carry_the_error_rate_and_p95_of_their_time() {
    let dir = TempDir::new().unwrap();
    let _cleanup = AgentCleanup(dir.path().join("state"));
    let mut options = options(dir.path());
    options.metrics_interval = Duration::from_millis(100);
    let host = Supervisor::open(options).await.unwrap();
    with_secrets(&host).await;
    let document =
        simulated_config(json!({"ready_delay_ms": 10, "call_interval_ms": 50, "call_duration_ms": 2000,
        "turn_interval_ms": 20, "error_every_turns": 4}));
    host.apply_config(document, RevisionMeta::default()).await.unwrap();
    host.start().await.unwrap();
    // Turns and errors flow; a later sample says so (bounded: 10 s).
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let sample = loop {
        let history = host.metrics_history(0).await.unwrap();
        if let Some(sample) = history.iter().rev().find(|s| s.p95_e2e_ms.is_some() && s.error_rate > 0.0) {
            break *sample;
        }
        assert!(std::time::Instant::now() < deadline, "no sample with figures in {history:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let status = host.status().await.unwrap();
    // One error every four turns: a fifth of the events are errors.
    assert!((0.1..=0.3).contains(&sample.error_rate), "{sample:?}");
    let p95 = sample.p95_e2e_ms.unwrap();
    assert!(p95 > 0.0 && p95 < 10_000.0, "{sample:?}");
    assert!(status.calls.latency_5m.e2e_ms.is_some());
    host.shutdown(true).await.unwrap();
}
