//! `runtime.user`: a host agent running as root starts the voice agent as that user, which can
//! read its own configuration copy and work in its own directory, and cannot open the daemon's
//! admin token, its secrets or its configuration, nor list the state directory.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use voicefleet_core::config::template;
use voicefleet_tests::{AgentCleanup, TempDir};

use crate::{AGENT, eventually};

/// The system user these tests start agents as.
pub(crate) const TEST_USER: &str = "vf-test-agent";

fn is_root() -> bool {
    nix::unistd::Uid::effective().is_root()
}

/// The test user's uid, creating the user when absent (a system user with no home and no login
/// shell). `None` (with the reason printed) when this process is not root.
pub(crate) fn test_user() -> Option<u32> {
    if !is_root() {
        eprintln!("skipped: runtime.user needs the host agent to run as root, and these tests do not");
        return None;
    }
    let lookup = || nix::unistd::User::from_name(TEST_USER).unwrap();
    if lookup().is_none() {
        let status = Command::new("useradd")
            .args(["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", TEST_USER])
            .status()
            .expect("useradd runs");
        // A concurrent test may have created it meanwhile.
        assert!(status.success() || lookup().is_some(), "useradd {TEST_USER} failed");
    }
    Some(lookup().expect("the test user exists").uid.as_raw())
}

/// Writes `config` (JSON text) and a secrets file into `dir`; the host agent's arguments that use
/// them, for customer `acme`, its state in `dir/state`, stopping its agent when it exits.
fn daemon_args(dir: &std::path::Path, config: &str) -> Vec<std::ffi::OsString> {
    std::fs::write(dir.join("acme.json"), config).unwrap();
    std::fs::write(
        dir.join("secrets.json"),
        r#"{"openai_api_key": "sk-agent-key", "deepgram_api_key": "b", "elevenlabs_api_key": "c"}"#,
    )
    .unwrap();
    let mut args: Vec<std::ffi::OsString> =
        ["--customer-id", "acme", "--stop-agent-on-exit"].iter().map(Into::into).collect();
    for (flag, path) in
        [("--state-dir", "state"), ("--config", "acme.json"), ("--secrets-file", "secrets.json")]
    {
        args.push(flag.into());
        args.push(dir.join(path).into());
    }
    args
}

/// A daemon process on a free loopback port, started with `config` and a secret.
fn start_daemon(dir: &std::path::Path, config: &Value) -> (Child, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let daemon = Command::new(AGENT)
        .args(daemon_args(dir, &serde_json::to_string_pretty(config).unwrap()))
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env("VOICEFLEET_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    (daemon, port)
}

/// What the agent reports about itself: its identity, then one line per file it tries.
const PROBE: &str = r#"
echo "uid=$(id -u) gid=$(id -g) groups=$(id -G) cwd=$(pwd)"
for f in "$STATE_DIR/admin.token" "$STATE_DIR/secrets.json" "$STATE_DIR/config.json" "$VOICEFLEET_CONFIG"; do
  if err=$(cat "$f" 2>&1 >/dev/null); then echo "open $f: ok"; else echo "open $f: $err"; fi
done
if err=$(ls "$STATE_DIR" 2>&1 >/dev/null); then echo "list state: ok"; else echo "list state: $err"; fi
if touch own-file 2>/dev/null; then echo "write cwd: ok"; else echo "write cwd: denied"; fi
echo probe-done
exec sleep 600
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_run_as_runtime_user_reads_its_config_and_not_the_daemons_files() {
    let Some(uid) = test_user() else { return };
    let dir = TempDir::new().unwrap();
    // The agent must be able to pass through the directories above the state directory, as it
    // can through /var/lib.
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o711)).unwrap();
    }
    let state = dir.path().join("state");
    let _cleanup = AgentCleanup(state.clone());
    let mut config = template("default").unwrap();
    config.set("runtime.command", json!(["/bin/sh", "-c", PROBE])).unwrap();
    config.set("runtime.start_seconds", json!(0.2)).unwrap();
    config.set("runtime.user", json!(TEST_USER)).unwrap();
    config.set("runtime.env", json!({"STATE_DIR": state.to_str().unwrap()})).unwrap();
    let (mut daemon, port) = start_daemon(dir.path(), &config.as_value());

    let http = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}");
    let token_path = state.join("admin.token");
    let token = eventually("the admin token", Duration::from_secs(20), async || {
        Some(std::fs::read_to_string(&token_path).ok()?.trim().to_owned()).filter(|t| !t.is_empty())
    })
    .await;
    let lines: Vec<String> = eventually("the agent's report", Duration::from_secs(20), async || {
        let response = http.get(format!("{url}/v1/logs?tail=50")).bearer_auth(&token).send().await.ok()?;
        let body: Value = response.json().await.ok()?;
        let lines: Vec<String> =
            body["lines"].as_array()?.iter().filter_map(|l| l["text"].as_str().map(str::to_owned)).collect();
        lines.iter().any(|l| l == "probe-done").then_some(lines)
    })
    .await;
    let line = |prefix: &str| -> String {
        lines
            .iter()
            .find(|l| l.starts_with(prefix))
            .cloned()
            .unwrap_or_else(|| panic!("no `{prefix}` in {lines:?}"))
    };

    // Its own user and group, and no supplementary groups (root's are cleared).
    let identity = line("uid=");
    let user = nix::unistd::User::from_uid(uid.into()).unwrap().unwrap();
    assert!(identity.starts_with(&format!("uid={uid} gid={} groups={}", user.gid, user.gid)), "{identity}");
    assert!(identity.ends_with(&format!("cwd={}", state.join("agent").display())), "{identity}");

    // The daemon's files: EACCES, whatever the agent knows of their names.
    for name in ["admin.token", "secrets.json", "config.json"] {
        let report = line(&format!("open {}:", state.join(name).display()));
        assert!(report.ends_with("Permission denied"), "{report}");
    }
    assert!(line("list state:").ends_with("Permission denied"), "{lines:?}");
    // Its own configuration copy and working directory.
    assert!(
        line(&format!("open {}:", state.join("agent-config.json").display())).ends_with(": ok"),
        "{lines:?}"
    );
    assert_eq!(line("write cwd:"), "write cwd: ok");

    // On disk: the copy is the user's and private; the state directory only passable.
    let meta = |path: &std::path::Path| {
        use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
        let meta = std::fs::metadata(path).unwrap();
        (meta.uid(), meta.permissions().mode() & 0o777)
    };
    assert_eq!(meta(&state.join("agent-config.json")), (uid, 0o600));
    assert_eq!(meta(&state.join("agent")), (uid, 0o700));
    assert_eq!(meta(&state), (0, 0o711));
    for private in ["admin.token", "secrets.json", "config.json"] {
        assert_eq!(meta(&state.join(private)), (0, 0o600), "{private}");
    }
    for private in ["logs", "run"] {
        assert_eq!(meta(&state.join(private)), (0, 0o700), "{private}");
    }
    let copy: Value =
        serde_json::from_slice(&std::fs::read(state.join("agent-config.json")).unwrap()).unwrap();
    assert_eq!(copy["runtime"]["user"], TEST_USER);

    // An unknown user: an error of validation on this host, and refused at apply time, naming
    // the field and what to do.
    let mut unknown = config.as_value();
    unknown["runtime"]["user"] = json!("vf-no-such-user");
    let response = http
        .post(format!("{url}/v1/config/validate"))
        .bearer_auth(&token)
        .json(&unknown)
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["valid"], false, "{body}");
    let issue = body["issues"].as_array().unwrap().iter().find(|i| i["path"] == "runtime.user").cloned();
    assert_eq!(issue.as_ref().map(|i| i["severity"].clone()), Some(json!("error")), "{body}");
    let response = http
        .put(format!("{url}/v1/config"))
        .bearer_auth(&token)
        .json(&json!({"config": unknown}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    let text = body.to_string();
    assert!(
        text.contains("runtime.user") && text.contains("vf-no-such-user") && text.contains("useradd"),
        "{text}"
    );

    Command::new("kill").args(["-15", &daemon.id().to_string()]).status().unwrap();
    daemon.wait().unwrap();
}

#[test]
fn a_host_agent_not_running_as_root_refuses_another_user_and_says_why() {
    let Some(uid) = test_user() else { return };
    let gid = nix::unistd::User::from_uid(uid.into()).unwrap().unwrap().gid.as_raw();
    let dir = TempDir::new().unwrap();
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    }
    let mut config = template("default").unwrap();
    config.set("runtime.command", json!(["/bin/sleep", "600"])).unwrap();
    config.set("runtime.user", json!("nobody")).unwrap();
    // The daemon as the unprivileged test user: its state directory is its own.
    let output = Command::new("setpriv")
        .args([&format!("--reuid={uid}"), &format!("--regid={gid}"), "--clear-groups", "--"])
        .arg(AGENT)
        .args(daemon_args(dir.path(), &config.to_json_pretty()))
        .args(["--listen", "127.0.0.1:0"])
        .env("VOICEFLEET_LOG", "warn")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("runtime.user") && stderr.contains("not root") && stderr.contains("`nobody`"),
        "{stderr}"
    );
}

#[test]
fn an_unknown_agent_user_stops_the_host_agent_at_start() {
    let dir = TempDir::new().unwrap();
    let output = Command::new(AGENT)
        .args(["--customer-id", "acme", "--listen", "127.0.0.1:0", "--agent-user", "vf-no-such-user"])
        .arg("--state-dir")
        .arg(dir.path().join("state"))
        .env("VOICEFLEET_LOG", "warn")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("default agent user vf-no-such-user")
            && stderr.contains("is not a user on this host")
            && stderr.contains("useradd"),
        "{stderr}"
    );
}
