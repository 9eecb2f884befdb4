//! `voicefleet host ...` against a real host agent daemon (`voicefleet agent run`) on loopback,
//! with no console at all: the break-glass token comes from the state directory.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use voicefleet_tests::hosts::simulated_config;

use crate::tty::{command, piped};

struct Daemon {
    child: Child,
    url: String,
    state: std::path::PathBuf,
    _cleanup: voicefleet_tests::AgentCleanup,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn daemon(home: &std::path::Path) -> Daemon {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let state = home.join("state");
    let config = home.join("acme.json");
    let document = simulated_config(json!({"ready_delay_ms": 20, "call_interval_ms": 100000}));
    std::fs::write(&config, document.to_json_pretty()).unwrap();
    let secrets = home.join("secrets.json");
    let values = json!({"openai_api_key": "sk-a", "deepgram_api_key": "b", "elevenlabs_api_key": "c"});
    std::fs::write(&secrets, values.to_string()).unwrap();
    let listen = format!("127.0.0.1:{port}");
    let args = [
        "agent",
        "run",
        "--customer-id",
        "acme",
        "--listen",
        &listen,
        "--state-dir",
        state.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "--secrets-file",
        secrets.to_str().unwrap(),
        "--stop-agent-on-exit",
    ];
    let child = command(home, &args, &[("VOICEFLEET_LOG", "warn")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let cleanup = voicefleet_tests::AgentCleanup(state.clone());
    Daemon { child, url: format!("http://{listen}"), state, _cleanup: cleanup }
}

#[test]
fn the_host_cli_controls_the_local_agent_without_a_console() {
    let home = voicefleet_tests::scratch();
    let daemon = daemon(home.path());
    let host = |args: &[&str]| {
        let mut full = vec!["host", "--state-dir", daemon.state.to_str().unwrap(), "--url", &daemon.url];
        full.extend_from_slice(args);
        piped(home.path(), &full, &[])
    };
    let pid = |text: &str| text.lines().find_map(|l| l.strip_prefix("pid       ")).map(str::to_owned);
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        let r = host(&["status"]);
        if r.code == 0 && r.stdout.starts_with("state     running\n") {
            break r.stdout;
        }
        assert!(Instant::now() < deadline, "not running in 20 s: {}{}", r.stdout, r.stderr);
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(status.contains("revision  1 (sha256:"), "{status}");
    // The host agent's version and the machine it runs on.
    assert!(
        status.contains(&format!("agent     voicefleet-agent {}\n", env!("CARGO_PKG_VERSION"))),
        "{status}"
    );
    assert!(status.contains("host      CPU ") && status.contains(", state disk free "), "{status}");
    let first = pid(&status).expect("a pid");

    let r = host(&["logs", "-n", "2", "--no-events"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.lines().count(), 2, "{}", r.stdout);
    assert!(r.stdout.contains(" err simulated agent: pid "), "{}", r.stdout);

    // Events while the agent restarts.
    let mut args =
        vec!["host", "--state-dir", daemon.state.to_str().unwrap(), "--url", &daemon.url, "events"];
    let mut events =
        command(home.path(), &args, &[]).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let r = host(&["restart", "--drain-timeout", "2s"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let second = pid(&r.stdout).expect("a new pid");
    assert_ne!(first, second);
    let mut stdout = BufReader::new(events.stdout.take().unwrap());
    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !(seen.contains("state running → stopping")
        && seen.contains(" exit ")
        && seen.contains("→ running"))
    {
        assert!(Instant::now() < deadline, "events: {seen}");
        let mut line = String::new();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "ended: {seen}");
        seen.push_str(&line);
    }
    let _ = events.kill();
    let _ = events.wait();

    let r = host(&["start"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("already running; nothing to do"), "{}", r.stderr);
    let r = host(&["stop", "--drain-timeout", "1s", "-o", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("\"state\": \"stopped\""), "{}", r.stdout);

    // The host's audit file: each change made here, by the break-glass token.
    let r = host(&["audit"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows: Vec<&str> = r.stdout.lines().skip(1).collect();
    assert!(
        rows.iter().any(|row| row.contains("break-glass") && row.contains("agent.restart")),
        "{}",
        r.stdout
    );
    assert!(rows.iter().any(|row| row.contains("break-glass") && row.contains("agent.stop")), "{}", r.stdout);
    let r = host(&["audit", "--verify"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.starts_with("intact: entries 1 to "), "{}", r.stdout);
    // Someone rewrites the stop as a start: the chain breaks there, and the command says so.
    let audit = daemon.state.join("audit.log");
    let text = std::fs::read_to_string(&audit).unwrap();
    std::fs::write(&audit, text.replace("\"agent.stop\"", "\"agent.start\"")).unwrap();
    let r = host(&["audit", "--verify"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.starts_with("broken: 1 problem in ")
            && r.stdout.contains("its hash does not match its content"),
        "{}",
        r.stdout
    );

    // A directory that is no host's, and a daemon that does not answer.
    args = vec!["host", "--state-dir", "/nonexistent", "status"];
    let r = piped(home.path(), &args, &[]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("admin.token") && r.stderr.contains("hint: is this the host agent's --state-dir?"),
        "{}",
        r.stderr
    );
    let r = piped(
        home.path(),
        &["host", "--state-dir", daemon.state.to_str().unwrap(), "--url", "http://127.0.0.1:9", "status"],
        &[],
    );
    assert_eq!(r.code, 5, "{}", r.stderr);
}
