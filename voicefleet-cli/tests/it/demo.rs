//! `voicefleet demo`: five customers running, and nothing left behind.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn processes_mentioning(text: &str) -> Vec<String> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_str().is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit())))
        .filter_map(|e| {
            let cmdline = std::fs::read(e.path().join("cmdline")).ok()?;
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
            let zombie = stat.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z'));
            (cmdline.contains(text) && !zombie).then_some(cmdline)
        })
        .collect()
}

fn free_port_block() -> u16 {
    // Six consecutive free ports are likely around a random free one; the demo replaces taken ones.
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn the_demo_runs_five_customers_and_cleans_up() {
    let dir = voicefleet_tests::scratch();
    let data = dir.path().join("demo");
    let port = free_port_block().to_string();
    let host_port = free_port_block().to_string();
    let started = Instant::now();
    let run = voicefleet_tests::run(
        std::path::Path::new(env!("CARGO_BIN_EXE_voicefleet")),
        &[
            "demo",
            "--data",
            data.to_str().unwrap(),
            "--no-watch",
            "--settle",
            "2",
            "--duration",
            "1",
            "--port",
            &port,
            "--host-port",
            &host_port,
        ],
        "",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let running = run.stdout.lines().filter(|l| l.split_whitespace().nth(1) == Some("running")).count();
    assert_eq!(running, 5, "{}", run.stdout);
    assert!(run.stderr.contains("five customers running after"), "{}", run.stderr);
    assert!(started.elapsed() < Duration::from_secs(60));
    // The shell line it printed named demo.env; the token it held is revoked now, and the file
    // that carried it is gone.
    assert!(run.stderr.contains("demo.env"), "{}", run.stderr);
    assert!(!data.join("demo.env").exists(), "demo.env outlived the demo");
    let tokens = voicefleet_tests::run(
        std::path::Path::new(env!("CARGO_BIN_EXE_voicefleet")),
        &["--data", data.join("console").to_str().unwrap(), "tokens", "list", "-o", "json"],
        "",
    );
    assert_eq!(tokens.code, 0, "{}", tokens.stderr);
    let tokens: serde_json::Value = serde_json::from_str(&tokens.stdout).unwrap();
    let demo_tokens: Vec<_> = tokens
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["name"].as_str().unwrap().starts_with("demo-"))
        .collect();
    assert_eq!(demo_tokens.len(), 1, "{tokens}");
    assert_eq!(demo_tokens[0]["revoked"], true, "the demo's admin token outlived it: {tokens}");
    assert!(
        processes_mentioning(data.to_str().unwrap()).is_empty(),
        "left behind: {:?}",
        processes_mentioning(data.to_str().unwrap())
    );
}

#[test]
fn sigint_stops_everything() {
    let dir = voicefleet_tests::scratch();
    let data = dir.path().join("demo");
    let port = free_port_block().to_string();
    let host_port = free_port_block().to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_voicefleet"))
        .args([
            "demo",
            "--data",
            data.to_str().unwrap(),
            "--no-watch",
            "--settle",
            "0",
            "--port",
            &port,
            "--host-port",
            &host_port,
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    // If an assertion fails, stop the demo anyway (SIGINT: it then stops its agents).
    struct Interrupt(u32);
    impl Drop for Interrupt {
        fn drop(&mut self) {
            let _ = Command::new("kill").args(["-INT", &self.0.to_string()]).status();
        }
    }
    let _interrupt = Interrupt(child.id());
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = sender.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let line = receiver
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("the demo never said it was running");
        if line.contains("five customers running after") {
            break;
        }
    }
    let shims = processes_mentioning("__shim --run-dir")
        .into_iter()
        .filter(|c| c.contains(data.to_str().unwrap()))
        .count();
    assert_eq!(shims, 5, "five shims");
    let agents = agents_of_shims(data.to_str().unwrap());
    assert_eq!(agents.len(), 5, "five voice agents");
    Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    // Promptly: the agents' 2 s drain, then every server at once (no stream waited out).
    let deadline = Instant::now() + Duration::from_secs(12);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the demo did not stop on SIGINT");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    assert!(
        processes_mentioning(data.to_str().unwrap()).is_empty(),
        "left behind: {:?}",
        processes_mentioning(data.to_str().unwrap())
    );
    for pid in agents {
        let gone = std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |stat| {
            stat.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z'))
        });
        assert!(gone, "voice agent {pid} survived");
    }
}

/// PIDs of processes whose parent is a shim of this demo.
fn agents_of_shims(data: &str) -> Vec<i32> {
    let pids: Vec<i32> = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect();
    let is_shim = |pid: i32| {
        std::fs::read(format!("/proc/{pid}/cmdline"))
            .map(|c| {
                String::from_utf8_lossy(&c).contains("__shim") && String::from_utf8_lossy(&c).contains(data)
            })
            .unwrap_or(false)
    };
    pids.iter()
        .copied()
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| stat.rsplit(')').next()?.split_whitespace().nth(1)?.parse::<i32>().ok())
                .is_some_and(is_shim)
        })
        .collect()
}

/// Runs the demo with `scenario` until a stderr line contains each of `wanted` (in order), then
/// stops it with SIGINT and checks that it verified and reported that nothing survived. Returns
/// every stderr line.
fn scenario_run(scenario: &str, wanted: &[&str]) -> Vec<String> {
    let dir = voicefleet_tests::scratch();
    let data = dir.path().join("demo");
    let port = free_port_block().to_string();
    let host_port = free_port_block().to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_voicefleet"))
        .args(["demo", "--data", data.to_str().unwrap(), "--no-watch", "--settle", "0", "--duration", "150"])
        .args(["--port", &port, "--host-port", &host_port, "--scenario", scenario])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    struct Interrupt(u32);
    impl Drop for Interrupt {
        fn drop(&mut self) {
            let _ = Command::new("kill").args(["-INT", &self.0.to_string()]).stderr(Stdio::null()).status();
        }
    }
    let _interrupt = Interrupt(child.id());
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = sender.send(line);
        }
    });
    let mut lines = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    for want in wanted {
        loop {
            let line = receiver
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .unwrap_or_else(|_| panic!("no line with {want:?}; stderr so far:\n{}", lines.join("\n")));
            lines.push(line);
            if lines.last().unwrap().contains(want) {
                break;
            }
        }
    }
    Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    // Promptly: the agents' 2 s drain, then every server at once (no stream waited out).
    let deadline = Instant::now() + Duration::from_secs(12);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the demo did not stop on SIGINT");
        std::thread::sleep(Duration::from_millis(50));
    };
    lines.extend(receiver.try_iter());
    assert!(status.success(), "{status:?}\n{}", lines.join("\n"));
    assert!(
        lines.iter().any(|l| l.starts_with("demo stopped: every agent, shim and server is gone (")
            && !l.contains("(0 processes")),
        "the demo checked what it stopped:\n{}",
        lines.join("\n")
    );
    assert!(
        processes_mentioning(data.to_str().unwrap()).is_empty(),
        "left behind: {:?}",
        processes_mentioning(data.to_str().unwrap())
    );
    lines
}

#[test]
fn the_crash_scenario_reaches_crash_loop_then_recovers() {
    let lines = scenario_run(
        "crash",
        &[
            "hooli-support is in crash_loop after 5 failed starts in a row",
            "rolled hooli-support back to revision 1",
            "hooli-support is running again",
        ],
    );
    assert!(lines.iter().any(|l| l.contains("watch it back off into crash_loop")), "{lines:?}");
}

#[test]
fn the_bad_rollout_scenario_is_stopped_by_its_canary_and_rolled_back() {
    let lines = scenario_run("bad-rollout", &["scenario: the run ended"]);
    let ended = lines.iter().find(|l| l.contains("scenario: the run ended")).unwrap();
    assert!(ended.contains("CanaryFailed"), "{ended}");
    assert!(ended.contains(r#""acme-dental": "rolledback""#), "{ended}");
    assert!(ended.contains(r#""globex-insurance": "skipped""#), "{ended}");
}
