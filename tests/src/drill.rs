//! The disaster drill, shared by the directory and the S3 tests: a console with a fleet and its history is backed up while it runs (by
//! `voicefleet console backup`, another process), stopped, and its data directory destroyed;
//! `voicefleet console restore` fills a new one, `voicefleet console serve` runs on it, and the
//! fleet is the same: the same customers and states, hosts that still trust it, the same users,
//! an audit chain that verifies and records the restore, and a deploy that works (secrets
//! decrypt with the restored master key).

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use voicefleet_http::HostTokenSigner;

use crate::Run;
use crate::hosts::{TestHost, simulated_config};

/// The first admin's password of every console the drill starts.
pub const PASSWORD: &str = "a drill admin password";

/// `voicefleet console serve` as a child process on a free loopback port; killed when dropped.
#[derive(Debug)]
pub struct ConsoleProcess {
    child: Child,
    pub url: String,
}

impl ConsoleProcess {
    /// Starts `binary console serve` on `data` with `env` and the `extra` flags.
    pub fn start(binary: &Path, data: &Path, env: &[(&str, &str)], extra: &[&str]) -> ConsoleProcess {
        let mut child = Command::new(binary)
            .arg("--data")
            .arg(data)
            .args(["console", "serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .env("VOICEFLEET_ADMIN_PASSWORD", PASSWORD)
            .env_remove("VOICEFLEET_MASTER_KEY")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start voicefleet console serve");
        let stderr = child.stderr.take().expect("piped");
        let (lines, received) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        let url = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = received.recv_timeout(left).expect("the console prints its address within 30 s");
            if let Some(rest) = line.strip_prefix("voicefleet console on ") {
                break rest.split_whitespace().next().expect("an address").to_owned();
            }
        };
        // Keep draining its log so it never blocks on a full pipe.
        std::thread::spawn(move || while received.recv().is_ok() {});
        ConsoleProcess { child, url }
    }

    /// SIGTERM, and wait for it to exit (bounded).
    pub fn stop(mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if self.child.try_wait().expect("wait").is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("the console did not stop within 15 s of SIGTERM");
    }
}

impl Drop for ConsoleProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the `voicefleet` binary with `env`.
pub fn voicefleet(binary: &Path, args: &[&str], env: &[(&str, &str)], stdin: &str) -> Run {
    use std::io::Write as _;
    let mut child = Command::new(binary)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("VOICEFLEET_MASTER_KEY")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start voicefleet");
    child.stdin.take().expect("piped").write_all(stdin.as_bytes()).expect("stdin");
    child.wait_with_output().expect("wait").into()
}

/// A login token for the drill's admin.
pub async fn login(url: &str) -> String {
    let answer: Value = reqwest::Client::new()
        .post(format!("{url}/v1/auth/login"))
        .json(&json!({"name": "admin", "password": PASSWORD}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("a login answer");
    answer["token"].as_str().unwrap_or_else(|| panic!("no token: {answer}")).to_owned()
}

/// A CLI session against a console.
#[derive(Debug)]
pub struct Operator<'a> {
    pub binary: &'a Path,
    pub url: String,
    pub token: String,
    pub env: &'a [(&'a str, &'a str)],
}

impl Operator<'_> {
    pub fn run(&self, args: &[&str], stdin: &str) -> Run {
        let mut full = vec!["--console", &self.url, "--token", &self.token];
        full.extend_from_slice(args);
        tokio::task::block_in_place(|| voicefleet(self.binary, &full, self.env, stdin))
    }

    pub fn ok(&self, args: &[&str]) -> Run {
        let run = self.run(args, "");
        assert_eq!(run.code, 0, "voicefleet {args:?}: {}{}", run.stdout, run.stderr);
        run
    }

    pub fn json(&self, args: &[&str]) -> Value {
        let mut full = args.to_vec();
        full.extend(["-o", "json"]);
        serde_json::from_str(&self.ok(&full).stdout).expect("JSON output")
    }

    /// `status` once every customer is running (bounded), as (id, state, deployed revision).
    pub fn running_fleet(&self, customers: usize) -> Vec<(String, String, Value)> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let status = self.json(&["status"]);
            let rows: Vec<(String, String, Value)> = status
                .as_array()
                .expect("a list")
                .iter()
                .map(|s| {
                    (
                        s["customer_id"].as_str().unwrap_or_default().to_owned(),
                        s["state"].as_str().unwrap_or_default().to_owned(),
                        s["deployed_revision"].clone(),
                    )
                })
                .collect();
            if rows.len() == customers && rows.iter().all(|(_, state, _)| state == "running") {
                return rows;
            }
            assert!(Instant::now() < deadline, "the fleet is not running within 30 s: {status}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// The whole drill against `target` (a directory, or `s3://…` with `env` pointing the SDK at a
/// local S3).
pub async fn drill(binary: &Path, dir: &Path, target: &str, env: &[(&str, &str)]) {
    let data = dir.join("data");
    let key = dir.join("backup.key");
    // The audit checkpoints live outside the data directory, and survive its loss.
    let checkpoints = dir.join("audit-checkpoints");
    let checkpoints_arg = checkpoints.to_str().unwrap();
    let console = ConsoleProcess::start(binary, &data, env, &["--audit-checkpoints", checkpoints_arg]);
    let signer = HostTokenSigner::load_or_create(&data).expect("the console's signing key");
    let hosts = [TestHost::start("acme", &signer).await, TestHost::start("globex", &signer).await];
    let operator = Operator { binary, url: console.url.clone(), token: login(&console.url).await, env };

    // A fleet with a history: customers, secrets, two revisions each, deployed and running.
    let config = dir.join("agent.json");
    let document =
        simulated_config(json!({"ready_delay_ms": 20, "call_interval_ms": 200, "call_duration_ms": 500}));
    std::fs::write(&config, document.to_json_pretty()).unwrap();
    for host in &hosts {
        let id = host.customer_id.as_str();
        operator.ok(&["customers", "add", id, "--endpoint", &host.endpoint, "--tag", "tier=prod"]);
        for name in ["openai_api_key", "deepgram_api_key", "elevenlabs_api_key"] {
            let run = operator.run(&["secrets", "set", id, name], "sk-drill-secret\n");
            assert_eq!(run.code, 0, "{}", run.stderr);
        }
        operator.ok(&["config", "push", id, config.to_str().unwrap(), "-m", "first"]);
        operator.ok(&["config", "set", id, "agent_settings.llm.temperature", "0.3", "-m", "calmer"]);
        operator.ok(&["config", "deploy", id]);
        operator.ok(&["agent", "start", id]);
    }
    let before = operator.running_fleet(2);
    let audit_before = operator.json(&["audit", "list", "--limit", "1000"]);
    let entries_before = audit_before.as_array().unwrap().len();
    assert!(entries_before >= 14, "history: {entries_before} audit entries");

    // The backup, taken by another process while the console runs.
    let run = tokio::task::block_in_place(|| {
        voicefleet(
            binary,
            &[
                "--data",
                data.to_str().unwrap(),
                "console",
                "backup",
                "--to",
                target,
                "--key",
                key.to_str().unwrap(),
                "--audit-checkpoints",
                checkpoints_arg,
            ],
            env,
            "",
        )
    });
    assert_eq!(run.code, 0, "backup: {}", run.stderr);
    assert!(run.stderr.contains("generated the backup key"), "{}", run.stderr);
    let listed = tokio::task::block_in_place(|| {
        voicefleet(binary, &["console", "backups", "list", "--from", target, "-o", "json"], env, "")
    });
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    let manifests: Value = serde_json::from_str(&listed.stdout).unwrap();
    assert_eq!(manifests.as_array().unwrap().len(), 1, "{manifests}");
    let manifest = &manifests[0];
    assert_eq!(manifest["audit_entries"].as_u64().unwrap() as usize, entries_before);
    assert_eq!(
        manifest["files"],
        json!(["audit-checkpoints.jsonl", "console.db", "console.key", "console.pub.pem"])
    );
    assert_eq!(manifest["kept_outside"][0]["file"], "master.key");
    // The backup's own run is audited in the live console.
    let after_backup = operator.json(&["audit", "list", "--limit", "1000"]);
    assert!(
        after_backup
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "console.backup" && e["outcome"] == "ok")
    );

    // Disaster: the console stops and its data directory is gone. The master key survives in
    // its own backup.
    console.stop();
    // Its clean shutdown checkpointed a head past the backup's: history the restore will replace.
    let file = checkpoints.join("audit-checkpoints.jsonl");
    let seqs: Vec<u64> = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap()["seq"].as_u64().unwrap())
        .collect();
    assert!(seqs.iter().any(|&seq| seq > entries_before as u64), "checkpoints {seqs:?}");
    let master_key_backup = dir.join("master.key.copy");
    std::fs::copy(data.join("master.key"), &master_key_backup).unwrap();
    std::fs::remove_dir_all(&data).unwrap();

    let restored = dir.join("restored");
    let restore = |args: &[&str]| -> Run {
        let mut full = vec!["--data", restored.to_str().unwrap(), "console", "restore"];
        full.extend_from_slice(args);
        tokio::task::block_in_place(|| voicefleet(binary, &full, env, ""))
    };
    // A wrong key and a wrong master key are refused, and nothing is written.
    let wrong_key = dir.join("wrong.key");
    std::fs::write(&wrong_key, "11".repeat(32)).unwrap();
    let run = restore(&[target, "--key", wrong_key.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("was sealed with backup key"), "{}", run.stderr);
    assert!(run.stderr.contains("hint: give the backup key file"), "{}", run.stderr);
    let run = restore(&[target, "--key", key.to_str().unwrap(), "--master-key", wrong_key.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("is not the master key"), "{}", run.stderr);
    assert!(!restored.exists(), "a refused restore writes nothing");
    assert_eq!(
        std::fs::read_dir(dir)
            .unwrap()
            .filter(|e| e
                .as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(".voicefleet-restoring"))
            .count(),
        0
    );

    let reference = format!("{}/{}", target.trim_end_matches('/'), manifest["name"].as_str().unwrap());
    // The audit chain is keyed with the master key's audit key: a restore without it is refused.
    let run = restore(&[&reference, "--key", key.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--master-key FILE"), "{}", run.stderr);
    assert!(!restored.exists(), "a refused restore writes nothing");
    let run = restore(&[
        &reference,
        "--key",
        key.to_str().unwrap(),
        "--master-key",
        master_key_backup.to_str().unwrap(),
        "--audit-checkpoints",
        checkpoints_arg,
    ]);
    assert_eq!(run.code, 0, "restore: {}", run.stderr);
    assert!(run.stderr.contains("audit chain verified"), "{}", run.stderr);
    assert!(run.stderr.contains("audit checkpoints re-anchored"), "{}", run.stderr);
    // Into a directory that is not empty: refused.
    let run = restore(&[target, "--key", key.to_str().unwrap()]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("is not empty"), "{}", run.stderr);

    // The restored console serves the same fleet; the hosts trust it (same signing key).
    let console = ConsoleProcess::start(binary, &restored, env, &["--audit-checkpoints", checkpoints_arg]);
    let operator = Operator { binary, url: console.url.clone(), token: login(&console.url).await, env };
    let after = operator.running_fleet(2);
    assert_eq!(after, before, "the same customers, states and deployed revisions");
    // Intact against the checkpoints: the restore's anchor supersedes those past the backup's
    // head, and the older ones still match.
    let verify = operator.ok(&["audit", "verify"]);
    assert!(verify.stdout.starts_with("audit chain intact"), "{}{}", verify.stdout, verify.stderr);
    let verification = operator.json(&["audit", "verify"]);
    assert!(verification["checkpoints"].as_u64().unwrap() >= 2, "{verification}");
    let latest = &verification["latest_checkpoint"];
    assert!(latest["note"].as_str().unwrap().starts_with("restore of "), "{verification}");
    assert_eq!(latest["seq"].as_u64().unwrap() as usize, entries_before + 1, "{verification}");
    // Oldest first, by sequence number (the list shows the newest first).
    let by_seq = |list: serde_json::Value| {
        let mut entries = list.as_array().unwrap().clone();
        entries.sort_by_key(|e| e["seq"].as_u64().unwrap());
        entries
    };
    let audit_after = by_seq(operator.json(&["audit", "list", "--limit", "1000"]));
    let actions: Vec<&str> = audit_after.iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(&audit_after[..entries_before], &by_seq(audit_before)[..], "the history is whole");
    assert_eq!(actions[entries_before], "console.restore");
    let secrets = operator.json(&["secrets", "list", "acme"]);
    assert_eq!(secrets.as_array().unwrap().len(), 3);

    // A deploy works: a new revision reaches the host with the secrets decrypted.
    operator.ok(&[
        "config",
        "set",
        "acme",
        "agent_settings.llm.temperature",
        "0.4",
        "-m",
        "after the restore",
    ]);
    operator.ok(&["config", "deploy", "acme"]);
    let fleet = operator.running_fleet(2);
    let acme = fleet.iter().find(|(id, _, _)| id == "acme").unwrap();
    assert_eq!(acme.2, json!(3), "revision 3 deployed: {fleet:?}");
    console.stop();
    drop(hosts);
}
