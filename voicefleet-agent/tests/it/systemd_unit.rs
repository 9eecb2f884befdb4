//! The packaged systemd unit's stop and start, played by hand: `KillMode=process` means a stop,
//! a restart or a package upgrade sends SIGTERM to the daemon's main PID alone; the daemon is
//! started again with the unit's environment (settings file, state directory). The voice agent
//! must keep its PID and its calls, and be adopted by the new daemon.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use voicefleet_tests::{AgentCleanup, TempDir};

use crate::{AGENT, eventually, simulated_config};

const UNIT: &str = include_str!("../../../deploy/debian/voicefleet-agent/voicefleet-agent.service");

/// The `[Service]` section's settings (the last value of a repeated key).
fn service_settings() -> BTreeMap<String, Vec<String>> {
    let mut settings: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut in_service = false;
    for line in UNIT.lines().map(str::trim) {
        if line.starts_with('[') {
            in_service = line == "[Service]";
        } else if in_service
            && !line.starts_with('#')
            && let Some((key, value)) = line.split_once('=')
        {
            settings.entry(key.to_owned()).or_default().push(value.to_owned());
        }
    }
    settings
}

fn one<'a>(settings: &'a BTreeMap<String, Vec<String>>, key: &str) -> &'a str {
    settings.get(key).and_then(|v| v.last()).map(String::as_str).unwrap_or("")
}

/// Starts the daemon as the unit does: its ExecStart (the binary under test), its Environment=.
fn start_as_the_unit(settings: &BTreeMap<String, Vec<String>>, dir: &Path) -> Child {
    let exec = one(settings, "ExecStart");
    assert_eq!(exec, "/usr/bin/voicefleet-agent", "the unit runs the daemon with no flags");
    let mut command = Command::new(AGENT);
    for assignment in settings.get("Environment").into_iter().flatten() {
        let (name, value) = assignment.split_once('=').unwrap();
        // The unit's paths, moved under this test's directory.
        command.env(name, dir.join(value.trim_start_matches('/')));
    }
    command.env("VOICEFLEET_LOG", "warn").stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap()
}

fn kill(pid: u32, signal: &str) {
    assert!(Command::new("kill").args([signal, &pid.to_string()]).status().unwrap().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unit_restart_signals_the_daemon_alone_and_the_agent_is_adopted() {
    let settings = service_settings();
    assert_eq!(one(&settings, "KillMode"), "process", "any other KillMode kills the voice agent on restart");
    assert_eq!(one(&settings, "KillSignal"), "SIGTERM");
    let mut capabilities: Vec<&str> = one(&settings, "CapabilityBoundingSet").split_whitespace().collect();
    capabilities.sort_unstable();
    assert_eq!(capabilities, ["CAP_CHOWN", "CAP_KILL", "CAP_SETGID", "CAP_SETUID"]);

    let dir = TempDir::new().unwrap();
    let state = dir.path().join("var/lib/voicefleet-agent");
    let _cleanup = AgentCleanup(state.clone());
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let etc = dir.path().join("etc/voicefleet-agent");
    std::fs::create_dir_all(&etc).unwrap();
    let config = simulated_config(
        json!({"ready_delay_ms": 20, "call_interval_ms": 100, "call_duration_ms": 60000, "turn_interval_ms": 50}),
    );
    std::fs::write(etc.join("agent.json"), config.to_json_pretty()).unwrap();
    std::fs::write(
        etc.join("secrets.json"),
        r#"{"openai_api_key": "a", "deepgram_api_key": "b", "elevenlabs_api_key": "c"}"#,
    )
    .unwrap();
    // The packaged settings file, with this test's customer, port and files, and its agent user
    // (`voicefleet-voice`, which the package creates) played by the test user: the voice agent
    // runs as it, through the state directory's parents as through /var/lib.
    let packaged = include_str!("../../../deploy/etc/agent.toml");
    assert!(
        packaged.contains("\nagent_user = \"voicefleet-voice\"\n"),
        "the package runs agents as voicefleet-voice"
    );
    let agent_user = match crate::agent_user::test_user() {
        Some(_) => format!("agent_user = \"{}\"", crate::agent_user::TEST_USER),
        None => String::new(),
    };
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o711)).unwrap();
    }
    let toml = packaged
        .replace("agent_user = \"voicefleet-voice\"", &agent_user)
        .replace("#customer_id = \"acme\"", "customer_id = \"acme\"")
        .replace("listen = \"127.0.0.1:8000\"", &format!("listen = \"127.0.0.1:{port}\""))
        .replace("console_public_key = \"/etc/voicefleet-agent/console.pub.pem\"\n", "")
        .replace(
            "#config = \"/etc/voicefleet-agent/agent.json\"",
            &format!("config = {:?}", etc.join("agent.json")),
        )
        .replace(
            "#secrets_file = \"/etc/voicefleet-agent/secrets.json\"",
            &format!("secrets_file = {:?}", etc.join("secrets.json")),
        );
    std::fs::write(etc.join("agent.toml"), toml).unwrap();

    let mut daemon = start_as_the_unit(&settings, dir.path());
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let token_path = state.join("admin.token");
    let status = || {
        let (http, base) = (http.clone(), base.clone());
        let token = std::fs::read_to_string(&token_path).unwrap_or_default().trim().to_owned();
        async move {
            http.get(format!("{base}/v1/status"))
                .bearer_auth(token)
                .send()
                .await
                .ok()?
                .json::<Value>()
                .await
                .ok()
        }
    };
    let before = eventually("two calls", Duration::from_secs(20), async || {
        let s = status().await?;
        (s["calls"]["active_calls"].as_u64()? >= 2).then_some(s)
    })
    .await;
    let pid = before["pid"].as_i64().unwrap();
    if let Some(uid) = crate::agent_user::test_user() {
        use std::os::unix::fs::MetadataExt as _;
        assert_eq!(
            std::fs::metadata(format!("/proc/{pid}")).unwrap().uid(),
            uid,
            "the agent runs as agent_user"
        );
    }

    // `systemctl restart` under KillMode=process: SIGTERM to the main PID, then a new one.
    kill(daemon.id(), "-TERM");
    let exit = daemon.wait().unwrap();
    assert!(exit.success(), "the daemon exits cleanly on SIGTERM: {exit:?}");
    assert!(Path::new(&format!("/proc/{pid}")).exists(), "the voice agent outlived the daemon's stop");
    let mut daemon = start_as_the_unit(&settings, dir.path());

    let after = eventually("the new daemon adopts the agent", Duration::from_secs(20), async || {
        let s = status().await?;
        (s["state"] == "running").then_some(s)
    })
    .await;
    assert_eq!(after["pid"].as_i64(), Some(pid), "adopted, not restarted");
    assert_eq!(after["restarts"], 0);
    assert!(after["calls"]["active_calls"].as_u64().unwrap() >= 2, "the calls in progress go on");

    kill(daemon.id(), "-KILL");
    daemon.wait().unwrap();
}
