//! A full disk under a logging agent: the state directory on a 2 MiB tmpfs. The agent and the
//! daemon keep running, the lines the shim cannot write are counted (status and Prometheus), a
//! new configuration is refused with the cause named (507, not a bare 500), and the old one
//! stays intact.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::json;
use voicefleet_agent::Daemon;
use voicefleet_core::auth::Role;
use voicefleet_tests::{AgentCleanup, TempDir};

use crate::e2e::{Api, sample};
use crate::{SECRETS, eventually, settings, simulated_config, token};

/// A tmpfs mounted for the test's life; unmounted (lazily, should something still hold it)
/// when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    /// Mounts a tmpfs of `size` at `dir`; `Err` says why it cannot (not root, no mount).
    fn mount(dir: &Path, size: &str) -> Result<Tmpfs, String> {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size},mode=0700"), "tmpfs"])
            .arg(dir)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !output.status.success() {
            return Err(String::from_utf8_lossy(&output.stderr).trim().to_owned());
        }
        Ok(Tmpfs(dir.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        // The agent's processes may still be letting go of their files: detach it then.
        let unmounted = Command::new("umount").arg(&self.0).output().is_ok_and(|o| o.status.success());
        if !unmounted {
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_state_directory_is_named_counted_and_leaves_the_old_config_intact() {
    let dir = TempDir::new().unwrap();
    let state = dir.path().join("state");
    let _tmpfs = match Tmpfs::mount(&state, "2m") {
        Ok(tmpfs) => tmpfs,
        Err(reason) => {
            println!("skipped: cannot mount a 2 MiB tmpfs for the state directory ({reason})");
            return;
        }
    };
    // Declared after the mount: its drop (killing the agent's group) runs before the unmount.
    let _cleanup = AgentCleanup(state.clone());
    let daemon = Daemon::start(settings(dir.path(), "acme", 0)).await.unwrap();
    let api = Api {
        base: format!("http://{}", daemon.local_addr()),
        token: token("acme", Role::Admin, 300),
        http: reqwest::Client::new(),
    };
    use reqwest::Method;
    for name in SECRETS {
        let (status, _) =
            api.call(Method::PUT, &format!("/v1/secrets/{name}"), Some(json!({"value": "v"}))).await;
        assert_eq!(status, 204);
    }
    let config = simulated_config(json!({"ready_delay_ms": 20, "flood_lines_per_second": 20000}));
    let (status, body) = api
        .call(Method::PUT, "/v1/config", Some(json!({"config": config.as_value(), "message": "first"})))
        .await;
    assert_eq!(status, 200, "{body}");
    let stored_before = std::fs::read(state.join("config.json")).unwrap();
    let (status, body) = api.call(Method::POST, "/v1/agent/start", None).await;
    assert_eq!((status, body["state"].as_str()), (200, Some("running")), "{body}");
    let pid = body["pid"].as_i64().unwrap();

    // The log fills the filesystem; the shim counts what it cannot write.
    let dropped = eventually("dropped lines in status", Duration::from_secs(60), async || {
        let (_, status) = api.call(Method::GET, "/v1/status", None).await;
        let dropped = status["logs"]["lines_dropped"].as_u64().unwrap_or(0);
        (dropped > 0).then_some(status)
    })
    .await;
    assert!(dropped["logs"]["lines_dropped_5m"].as_u64().unwrap() > 0, "{dropped}");
    assert_eq!(dropped["state"], "running", "{dropped}");
    assert_eq!(dropped["pid"].as_i64(), Some(pid), "the agent kept running: {dropped}");

    // Still dropping, still running: the agent is not blocked on its pipe.
    let later = eventually("more dropped lines", Duration::from_secs(30), async || {
        let (_, status) = api.call(Method::GET, "/v1/status", None).await;
        (status["logs"]["lines_dropped"].as_u64() > dropped["logs"]["lines_dropped"].as_u64())
            .then_some(status)
    })
    .await;
    assert_eq!(later["pid"].as_i64(), Some(pid), "{later}");

    // A new configuration cannot be stored: the caller is told why and what to do.
    let mut changed = config.clone();
    changed.set("agent_settings.llm.temperature", json!(0.2)).unwrap();
    let (status, body) = api
        .call(Method::PUT, "/v1/config", Some(json!({"config": changed.as_value(), "message": "second"})))
        .await;
    assert_eq!(status, 507, "{body}");
    assert_eq!(body["error"]["kind"], "unavailable", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("is full") && message.contains(&state.display().to_string()), "{body}");
    assert!(body["error"]["hint"].as_str().unwrap().contains("free space"), "{body}");

    // The old configuration is intact, on disk and as served.
    assert_eq!(std::fs::read(state.join("config.json")).unwrap(), stored_before);
    let (status, body) = api.call(Method::GET, "/v1/config", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["revision"]["revision"], 1, "{body}");
    assert_eq!(body["revision"]["message"], "first", "{body}");

    // Prometheus counts the dropped lines.
    let metrics = api.metrics().await;
    let counted = sample(&metrics, "voicefleet_log_lines_dropped_total{", "").unwrap_or(0.0);
    assert!(counted > 0.0, "{metrics}");

    // The daemon still answers and stops the agent.
    let (status, body) =
        api.call(Method::POST, "/v1/agent/stop", Some(json!({"drain_timeout_seconds": 0}))).await;
    assert_eq!((status, body["state"].as_str()), (200, Some("stopped")), "{body}");
    daemon.shutdown().await.unwrap();
}
