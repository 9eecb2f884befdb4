//! Shared helpers for the voicefleet workspace's integration tests: running binaries with input,
//! scratch directories, and waiting on conditions with a deadline (never a bare sleep).

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

pub use tempfile::TempDir;

/// What a finished command printed and how it exited.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(output: Output) -> Self {
        Self {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// Runs `program args...` with `stdin` fed in, `NO_COLOR` set, and waits for it to finish.
pub fn run(program: &Path, args: &[&str], stdin: &str) -> Run {
    let mut child = Command::new(program)
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("cannot start {}: {error}", program.display()));
    child.stdin.take().expect("piped").write_all(stdin.as_bytes()).expect("write stdin");
    child.wait_with_output().expect("wait for the command").into()
}

/// A fresh scratch directory, removed when dropped.
pub fn scratch() -> TempDir {
    tempfile::Builder::new().prefix("voicefleet-test-").tempdir().expect("create a temp dir")
}

/// Polls `condition` every few milliseconds until it holds or `deadline` passes; returns whether
/// it held.
pub fn wait_until(deadline: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if condition() {
            return true;
        }
        if start.elapsed() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Kills whatever voice agent a supervisor state directory records as running, when dropped: a
/// test that fails half-way leaves no process behind.
#[derive(Debug)]
pub struct AgentCleanup(pub std::path::PathBuf);

impl Drop for AgentCleanup {
    fn drop(&mut self) {
        let Ok(text) = std::fs::read_to_string(self.0.join("run/child.json")) else { return };
        for key in ["\"pgid\":", "\"shim_pid\":"] {
            let Some(start) = text.find(key) else { continue };
            let digits: String = text[start + key.len()..]
                .chars()
                .skip_while(|c| *c == ' ')
                .take_while(char::is_ascii_digit)
                .collect();
            if let Ok(pid) = digits.parse::<i32>() {
                let target = if key == "\"pgid\":" { format!("-{pid}") } else { pid.to_string() };
                let _ = Command::new("kill").args(["-9", "--", &target]).stderr(Stdio::null()).status();
            }
        }
    }
}

/// The path of a binary of this workspace (built by `cargo test --workspace`); builds it when
/// missing, so one package's tests can run another package's program.
pub fn workspace_binary(name: &str) -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    // target/<profile>/deps/<test> (or examples/<bench>) -> target/<profile>/<name>
    let profile_dir = exe.parent().and_then(Path::parent).expect("target/<profile>");
    let path = profile_dir.join(name);
    if !path.exists() {
        let package = if name == "voicefleet" { "voicefleet-cli" } else { name };
        let release = profile_dir.file_name().is_some_and(|dir| dir == "release");
        let status = Command::new(env!("CARGO"))
            .args(["build", "-q", "-p", package, "--bin", name])
            .args(release.then_some("--release"))
            .status()
            .expect("run cargo build");
        assert!(status.success(), "cannot build {name}");
    }
    path
}

pub mod cloud;
pub mod cloud_init;
pub mod drill;
pub mod events;
pub mod otp;
pub use events::sse_events;
pub mod fleet_contract;
pub mod hosts;
pub mod instances_contract;
pub mod store_contract;

/// Checks Prometheus exposition text with `promtool check metrics` (Debian's `prometheus`
/// package, which the test command installs): panics with promtool's findings, or with what to
/// install when it is missing.
pub fn promtool_check(text: &str) {
    let child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(error) => {
            panic!("cannot run promtool ({error}): install Debian's `prometheus` package (scripts/test does)")
        }
    };
    child.stdin.take().expect("piped").write_all(text.as_bytes()).expect("write to promtool");
    let run: Run = child.wait_with_output().expect("wait for promtool").into();
    assert_eq!(run.code, 0, "promtool check metrics:\n{}{}\n---\n{text}", run.stdout, run.stderr);
    assert!(
        run.stdout.trim().is_empty() && run.stderr.trim().is_empty(),
        "promtool findings:\n{}{}",
        run.stdout,
        run.stderr
    );
}
pub mod live;
pub mod moto;
pub mod postgres;
pub mod sim;
