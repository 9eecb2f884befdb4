//! The supervisor as an embedder opens it: a plain command with no configuration document, the
//! runtime it needs, and a shim that cannot run.

use std::time::Duration;

use voicefleet_core::ErrorKind;
use voicefleet_core::config::template;
use voicefleet_core::customer::CustomerId;
use voicefleet_core::host::{Host, RevisionMeta, StopOptions};
use voicefleet_core::supervisor::{ProcessSpec, ShimCommand, Supervisor};
use voicefleet_tests::{AgentCleanup, TempDir};

use crate::supervisor::{alive, wait_for};

fn shim() -> ShimCommand {
    ShimCommand { program: env!("CARGO_BIN_EXE_voicefleet-shim").into(), args: Vec::new() }
}

fn acme() -> CustomerId {
    CustomerId::parse("acme").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_command_runs_without_a_document_and_stops() {
    let dir = TempDir::new().unwrap();
    let _cleanup = AgentCleanup(dir.path().join("state"));
    let out = dir.path().join("env.txt");
    let spec = ProcessSpec::new([
        "sh",
        "-c",
        "echo \"$GREETING $TOKEN${VOICEFLEET_SHIM:-}\" > \"$OUT\"; exec sleep 600",
    ])
    .env("GREETING", "hello")
    .env("OUT", out.to_str().unwrap())
    .secret_env("TOKEN", "api_token")
    .ready_after(Duration::from_millis(200))
    .stop_timeout(Duration::from_secs(2));
    let host = Supervisor::builder(acme(), dir.path().join("state"))
        .process(spec)
        .shim(shim())
        .open()
        .await
        .unwrap();
    host.set_secret("api_token", "s3cret").await.unwrap();
    assert!(host.config().await.unwrap().is_none(), "no document is applied");

    let status = host.start().await.unwrap();
    let pid = status.pid.expect("a running process has a pid");
    assert!(alive(pid));
    wait_for(&host, "running", Duration::from_secs(10), |s| s.state == "running").await;
    // The shim's own marker is not in the program's environment.
    assert_eq!(std::fs::read_to_string(&out).unwrap().trim(), "hello s3cret");

    // A document is refused: this supervisor's process was given directly.
    let refused = host.apply_config(template("default").unwrap(), RevisionMeta::default()).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Conflict, "{refused}");
    assert!(refused.to_string().contains("without a configuration document"), "{refused}");

    let stopped = host.stop(StopOptions::default()).await.unwrap();
    assert_eq!(stopped.state, "stopped");
    assert!(!alive(pid), "the process is gone after the stop");
    host.shutdown(true).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shim_that_cannot_run_fails_the_start_and_stops() {
    let dir = TempDir::new().unwrap();
    let _cleanup = AgentCleanup(dir.path().join("state"));
    let missing = ShimCommand { program: dir.path().join("no-such-shim"), args: Vec::new() };
    let host = Supervisor::builder(acme(), dir.path().join("state"))
        .command(["sleep", "600"])
        .shim(missing)
        .open()
        .await
        .unwrap();
    let error = host.start().await.unwrap_err();
    assert!(error.to_string().contains("cannot start the shim"), "{error}");
    assert!(error.to_string().contains("no-such-shim"), "{error}");
    let status = host.status().await.unwrap();
    assert_eq!(status.state, "stopped", "no retry of a shim that cannot run: {status:?}");
    assert!(status.last_error.is_some_and(|e| e.contains("no-such-shim")));

    // The shim is told it is one (a binary that forgets shim_entry_point() refuses to open a
    // supervisor of its own instead of starting shims of itself).
    let marker = dir.path().join("shim-env.txt");
    let script = format!("echo \"$VOICEFLEET_SHIM\" > {}", marker.display());
    let recording =
        ShimCommand { program: "/bin/sh".into(), args: vec!["-c".into(), script.into(), "sh".into()] };
    let other = TempDir::new().unwrap();
    let host = Supervisor::builder(acme(), other.path().join("state"))
        .command(["sleep", "600"])
        .shim(recording)
        .open()
        .await
        .unwrap();
    assert!(host.start().await.is_err(), "a shell is no shim");
    assert_eq!(std::fs::read_to_string(&marker).unwrap().trim(), "1");

    // A shim that closes its output without a handshake and keeps running is ended, not left.
    let pid_file = dir.path().join("silent.pid");
    let script = format!("echo $$ > {}; exec 1>&-; exec sleep 600", pid_file.display());
    let silent =
        ShimCommand { program: "/bin/sh".into(), args: vec!["-c".into(), script.into(), "sh".into()] };
    let other = TempDir::new().unwrap();
    let host = Supervisor::builder(acme(), other.path().join("state"))
        .command(["sleep", "600"])
        .shim(silent)
        .open()
        .await
        .unwrap();
    let error = host.start().await.unwrap_err();
    assert!(error.to_string().contains("gave no handshake"), "{error}");
    let pid: i32 = std::fs::read_to_string(&pid_file).unwrap().trim().parse().unwrap();
    assert!(!alive(pid), "the silent shim {pid} was ended");

    // A program that is not a shim (no handshake) is named as such.
    let not_a_shim = ShimCommand { program: "/bin/true".into(), args: Vec::new() };
    let other = TempDir::new().unwrap();
    let host = Supervisor::builder(acme(), other.path().join("state"))
        .command(["sleep", "600"])
        .shim(not_a_shim)
        .open()
        .await
        .unwrap();
    let error = host.start().await.unwrap_err();
    assert!(error.to_string().contains("gave no handshake"), "{error}");
    assert!(error.to_string().contains("shim_entry_point"), "{error}");
}

#[test]
fn a_runtime_without_timers_or_io_is_refused_at_open() {
    let dir = TempDir::new().unwrap();
    for (runtime, missing) in [
        (tokio::runtime::Builder::new_current_thread().enable_io().build().unwrap(), "timers"),
        (tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap(), "IO"),
    ] {
        let opened = runtime.block_on(
            Supervisor::builder(acme(), dir.path().join("state"))
                .command(["sleep", "600"])
                .shim(shim())
                .open(),
        );
        let error = opened.unwrap_err();
        assert!(error.to_string().contains(&format!("with {missing} enabled")), "{error}");
        assert!(error.to_string().contains("enable_all()"), "{error}");
    }
}

#[tokio::test]
async fn a_spec_without_a_program_is_refused() {
    let dir = TempDir::new().unwrap();
    let empty: [&str; 0] = [];
    let error = Supervisor::builder(acme(), dir.path().join("state"))
        .command(empty)
        .shim(shim())
        .open()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert!(error.to_string().contains("needs a program"), "{error}");
    assert!(!dir.path().join("state").exists(), "a refused open creates nothing");
}
