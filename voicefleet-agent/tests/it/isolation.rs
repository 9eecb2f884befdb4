//! What a customer's voice agent can see of its host: its own environment (PATH, HOME, LANG, TZ,
//! the protocol variables, `runtime.env` and its secrets) and its own working directory — not
//! the daemon's environment, where a console's master key or an operator's token may be (and
//! which the daemon rids of such secrets at start).

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use voicefleet_tests::{AgentCleanup, TempDir};

use crate::{AGENT, eventually, simulated_config};

fn environ(pid: i64) -> BTreeMap<String, String> {
    let raw = std::fs::read(format!("/proc/{pid}/environ")).unwrap();
    raw.split(|b| *b == 0)
        .filter(|entry| !entry.is_empty())
        .filter_map(|entry| {
            let text = String::from_utf8_lossy(entry);
            let (name, value) = text.split_once('=')?;
            Some((name.to_owned(), value.to_owned()))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_sees_its_own_environment_and_directory_not_the_daemons() {
    let dir = TempDir::new().unwrap();
    let state = dir.path().join("state");
    let _cleanup = AgentCleanup(state.clone());
    let mut config = simulated_config(json!({"ready_delay_ms": 20}));
    config.set("runtime.env", json!({"GREETING": "hello"})).unwrap();
    std::fs::write(dir.path().join("acme.json"), config.to_json_pretty()).unwrap();
    std::fs::write(
        dir.path().join("secrets.json"),
        r#"{"openai_api_key": "sk-agent-key", "deepgram_api_key": "b", "elevenlabs_api_key": "c"}"#,
    )
    .unwrap();
    // A world-readable secrets file left behind (a copy, a restore): it must not stay so.
    std::fs::create_dir_all(&state).unwrap();
    std::fs::write(state.join("secrets.json"), "{}").unwrap();
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(state.join("secrets.json"), std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut daemon = Command::new(AGENT)
        .args(["--customer-id", "acme", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--state-dir")
        .arg(&state)
        .arg("--config")
        .arg(dir.path().join("acme.json"))
        .arg("--secrets-file")
        .arg(dir.path().join("secrets.json"))
        .arg("--stop-agent-on-exit")
        // Canaries: what an operator's shell or a console host may hold.
        .env("VOICEFLEET_MASTER_KEY", "canary-master-key")
        .env("VOICEFLEET_TOKEN", "canary-operator-token")
        .env("AWS_SECRET_ACCESS_KEY", "canary-aws")
        .env("LANG", "C.UTF-8")
        .env("VOICEFLEET_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    let http = reqwest::Client::new();
    let token_path = state.join("admin.token");
    let status = eventually("a running agent", Duration::from_secs(20), async || {
        let token = std::fs::read_to_string(&token_path).ok()?.trim().to_owned();
        let response =
            http.get(format!("http://127.0.0.1:{port}/v1/status")).bearer_auth(token).send().await.ok()?;
        let status: Value = response.json().await.ok()?;
        (status["state"] == "running" && status["pid"].is_i64()).then_some(status)
    })
    .await;
    let pid = status["pid"].as_i64().unwrap();
    let env = environ(pid);

    for canary in ["VOICEFLEET_MASTER_KEY", "VOICEFLEET_TOKEN", "AWS_SECRET_ACCESS_KEY", "VOICEFLEET_LOG"] {
        assert!(!env.contains_key(canary), "{canary} leaked into the agent: {:?}", env.keys());
    }
    assert_eq!(env.get("GREETING").map(String::as_str), Some("hello"));
    assert_eq!(env.get("VOICEFLEET_SECRET_OPENAI_API_KEY").map(String::as_str), Some("sk-agent-key"));
    assert_eq!(env.get("VOICEFLEET_CUSTOMER_ID").map(String::as_str), Some("acme"));
    assert!(env.contains_key("VOICEFLEET_CONFIG") && env.contains_key("PATH"));
    assert_eq!(env.get("LANG").map(String::as_str), Some("C.UTF-8"));
    // The daemon took its own VOICEFLEET_ secrets out of its environment once read: not even
    // its /proc/PID/environ (the initial environment's memory) still holds the values.
    let daemon_environ =
        String::from_utf8_lossy(&std::fs::read(format!("/proc/{}/environ", daemon.id())).unwrap())
            .into_owned();
    for canary in ["canary-master-key", "canary-operator-token"] {
        assert!(!daemon_environ.contains(canary), "{canary} is still in the daemon's /proc/PID/environ");
    }
    let allowed = ["PATH", "HOME", "LANG", "TZ", "GREETING", "VOICEFLEET_CONFIG", "VOICEFLEET_CUSTOMER_ID"];
    let unexpected: Vec<&String> = env
        .keys()
        .filter(|name| !allowed.contains(&name.as_str()) && !name.starts_with("VOICEFLEET_SECRET_"))
        .filter(|name| !matches!(name.as_str(), "OPENAI_API_KEY" | "DEEPGRAM_API_KEY" | "ELEVENLABS_API_KEY"))
        .collect();
    assert!(unexpected.is_empty(), "the agent got more than it needs: {unexpected:?}");

    // Its own working directory, not the state directory with admin.token and secrets.json.
    let cwd = std::fs::read_link(format!("/proc/{pid}/cwd")).unwrap();
    assert_eq!(cwd, state.join("agent"));
    assert!(!cwd.join("admin.token").exists() && !cwd.join("secrets.json").exists());

    // Secrets on disk are private even when a world-readable file was there before.
    let mode = |path: &std::path::Path| {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    };
    assert_eq!(mode(&state.join("secrets.json")), 0o600);

    Command::new("kill").args(["-15", &daemon.id().to_string()]).status().unwrap();
    daemon.wait().unwrap();
}
