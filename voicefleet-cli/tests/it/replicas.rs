//! Two `console serve` processes on one PostgreSQL database (a real server the test starts), as
//! behind a load balancer: logins, tokens and login limits hold whichever console a request
//! reaches, live events reach the clients of both, and a console given other keys is refused.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use voicefleet_tests::events::SseReader;
use voicefleet_tests::postgres::{PASSWORD, PostgresServer, USER};

const VOICEFLEET: &str = env!("CARGO_BIN_EXE_voicefleet");
const ADMIN_PASSWORD: &str = "admin long password 1";
const MASTER_KEY: &str = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";

/// `console serve` on `data` and the store, with the master key `master_key` in its environment.
fn serve(data: &Path, url: &str, master_key: &str) -> Command {
    let mut command = Command::new(VOICEFLEET);
    command
        .args([
            "--data",
            data.to_str().unwrap(),
            "console",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--store",
            url,
        ])
        .env("VOICEFLEET_STORE_PASSWORD", PASSWORD)
        .env("VOICEFLEET_MASTER_KEY", master_key)
        .env("VOICEFLEET_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    command
}

/// A running console: its process (killed when dropped) and its base URL.
struct Replica {
    child: Child,
    base: String,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(mut command: Command) -> Replica {
    let mut child = command.spawn().unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let (deadline, mut seen) = (Instant::now() + Duration::from_secs(30), String::new());
    while !seen.contains("hosts must trust") {
        assert!(Instant::now() < deadline, "the console did not start: {seen}");
        let mut line = String::new();
        if stderr.read_line(&mut line).unwrap() == 0 {
            let _ = child.kill();
            panic!("it ended: {seen}");
        }
        seen.push_str(&line);
    }
    std::thread::spawn(move || for _ in stderr.lines() {});
    let line = seen.lines().find(|l| l.contains("voicefleet console on ")).unwrap();
    let base = line.split("voicefleet console on ").nth(1).unwrap().split_whitespace().next().unwrap();
    Replica { child, base: base.to_owned() }
}

/// Runs `command` (a console that must refuse to start) and returns its standard error.
fn refused(mut command: Command) -> String {
    let mut child = command.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the console started instead of refusing");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!status.success(), "{stderr}");
    stderr
}

async fn login(http: &reqwest::Client, base: &str, name: &str, password: &str) -> reqwest::Response {
    http.post(format!("{base}/v1/auth/login"))
        .json(&json!({"name": name, "password": password}))
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_consoles_on_one_database_share_logins_tokens_limits_and_events() {
    let server = PostgresServer::start();
    server.create_database("fleet");
    let url = format!("postgres://{USER}@127.0.0.1:{}/fleet?sslmode=disable", server.port);
    let dir = voicefleet_tests::scratch();
    let (data_a, data_b) = (dir.path().join("a"), dir.path().join("b"));

    let a = start(serve(&data_a, &url, MASTER_KEY));
    // A second console with keys of its own is refused before it serves: first its own signing
    // key, then (given A's) another master key.
    let text = refused(serve(&dir.path().join("own-keys"), &url, MASTER_KEY));
    assert!(text.contains("signing key of this console") && text.contains("copy console.key"), "{text}");
    std::fs::create_dir_all(&data_b).unwrap();
    for file in ["console.key", "console.pub.pem"] {
        std::fs::copy(data_a.join(file), data_b.join(file)).unwrap();
    }
    let text = refused(serve(&data_b, &url, &"6b".repeat(32)));
    assert!(text.contains("master key of this console") && text.contains("VOICEFLEET_MASTER_KEY"), "{text}");
    let b = start(serve(&data_b, &url, MASTER_KEY));

    let http = reqwest::Client::new();
    let mut attempts = 0;
    // A login token from A works on B.
    let token = login(&http, &a.base, "admin", ADMIN_PASSWORD).await.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    attempts += 1;
    let whoami = |base: &str, token: &str| {
        http.get(format!("{base}/v1/auth/whoami")).bearer_auth(token.to_owned()).send()
    };
    let me: Value = whoami(&b.base, &token).await.unwrap().json().await.unwrap();
    assert_eq!(me["name"], "admin", "{me}");

    // A customer added through A is read through B.
    let added = http
        .post(format!("{}/v1/customers", a.base))
        .bearer_auth(&token)
        .json(&json!({"id": "acme", "endpoint": "http://127.0.0.1:9", "tags": ["tier=test"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), StatusCode::CREATED);
    let shown = http.get(format!("{}/v1/customers/acme", b.base)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(shown.status(), StatusCode::OK);

    // An API token made on A works on B until it is revoked on A: then B refuses it at once.
    let created: Value = http
        .post(format!("{}/v1/tokens", a.base))
        .bearer_auth(&token)
        .json(&json!({"name": "ci", "role": "viewer"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let api_token = created["token"].as_str().unwrap().to_owned();
    assert_eq!(whoami(&b.base, &api_token).await.unwrap().status(), StatusCode::OK);
    let revoked = http
        .delete(format!("{}/v1/tokens/{}", a.base, created["id"].as_str().unwrap()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    assert_eq!(whoami(&b.base, &api_token).await.unwrap().status(), StatusCode::UNAUTHORIZED);

    // Live events: clients of both consoles see a bulk run started through A, once each, with the
    // same ids; one that reconnects to A with the id of an event it saw on B gets what followed.
    let events = |base: &str, last: Option<&str>| {
        let mut request = http.get(format!("{base}/v1/events")).bearer_auth(&token);
        if let Some(last) = last {
            request = request.header("last-event-id", last);
        }
        request.send()
    };
    let mut on_a = SseReader::new(events(&a.base, None).await.unwrap());
    let mut on_b = SseReader::new(events(&b.base, None).await.unwrap());
    let started = http
        .post(format!("{}/v1/bulk", a.base))
        .bearer_auth(&token)
        .json(&json!({"action": {"kind": "restart"}, "selector": {"kind": "tags", "tags": {"tier": "test"}},
                      "max_concurrency": {"count": 1}, "max_errors": {"count": 1}}))
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), StatusCode::CREATED);
    let run_id = started.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let until_finished = async |reader: &mut SseReader| {
        let mut seen: Vec<(String, String, String)> = Vec::new();
        while !seen.iter().any(|(_, _, data)| data.contains("\"finished\"") && data.contains(&run_id)) {
            let event = reader.next_within(Duration::from_secs(30)).await;
            seen.push(event.unwrap_or_else(|| panic!("the run's end never came: {seen:?}")));
        }
        seen.retain(|(name, _, data)| name == "bulk" && data.contains(&run_id));
        seen
    };
    let (seen_a, seen_b) = (until_finished(&mut on_a).await, until_finished(&mut on_b).await);
    assert!(seen_b.len() >= 2, "a target's result and the run's end: {seen_b:?}");
    let ids =
        |seen: &[(String, String, String)]| seen.iter().map(|(_, id, _)| id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&seen_a), ids(&seen_b), "the same events, once each, in one order");
    let mut unique = ids(&seen_a);
    unique.dedup();
    assert_eq!(unique.len(), seen_a.len(), "no event twice: {seen_a:?}");
    let mut resumed = SseReader::new(events(&a.base, Some(&seen_b[0].1)).await.unwrap());
    let rest = until_finished(&mut resumed).await;
    assert_eq!(ids(&rest), ids(&seen_b)[1..], "resumed on A after the first event seen on B");

    // A retried start that reaches the other console replays the first one's run.
    let spec = json!({"action": {"kind": "restart"}, "selector": {"kind": "tags", "tags": {"tier": "test"}},
                      "max_concurrency": {"count": 1}, "max_errors": {"count": 1}});
    let start_once = |base: &str| {
        http.post(format!("{base}/v1/bulk"))
            .bearer_auth(&token)
            .header("idempotency-key", "retry-1")
            .json(&spec)
            .send()
    };
    let (first, retried) = (start_once(&a.base).await.unwrap(), start_once(&b.base).await.unwrap());
    assert_eq!((first.status(), retried.status()), (StatusCode::CREATED, StatusCode::CREATED));
    assert_eq!(retried.headers()["idempotent-replayed"], "true");
    let (first, retried): (Value, Value) = (first.json().await.unwrap(), retried.json().await.unwrap());
    assert_eq!(first["id"], retried["id"], "one run");

    // Failed logins of one user from one address slow down as one, whichever console counts
    // them: three wrong passwords through A, and B already makes the fourth wait.
    for _ in 0..3 {
        let wrong = login(&http, &a.base, "admin", "not the password").await;
        attempts += 1;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    }
    let slowed = login(&http, &b.base, "admin", ADMIN_PASSWORD).await;
    attempts += 1;
    assert_eq!(slowed.status(), StatusCode::UNAUTHORIZED);
    let text = slowed.text().await.unwrap();
    assert!(text.contains("too many failed logins"), "{text}");

    // Login attempts per address: 20 a minute across both consoles, then 429 from either.
    let mut statuses = Vec::new();
    while attempts < 24 {
        let base = if attempts % 2 == 0 { &a.base } else { &b.base };
        statuses.push((attempts + 1, login(&http, base, "nobody", "whatever password").await.status()));
        attempts += 1;
    }
    for (attempt, status) in &statuses {
        let expected = if *attempt <= 20 { StatusCode::UNAUTHORIZED } else { StatusCode::TOO_MANY_REQUESTS };
        assert_eq!(*status, expected, "attempt {attempt}: {statuses:?}");
    }

    let verdict: Value = http
        .get(format!("{}/v1/audit/verify", b.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(verdict["ok"], true, "{verdict}");
    drop((a, b));
}

/// `voicefleet ARGS` with the store's password and the master key in its environment.
fn run_with_keys(args: &[&str]) -> voicefleet_tests::Run {
    Command::new(VOICEFLEET)
        .args(args)
        .env("VOICEFLEET_STORE_PASSWORD", PASSWORD)
        .env("VOICEFLEET_MASTER_KEY", MASTER_KEY)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap()
        .into()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_console_is_backed_up_and_restored_into_a_new_database() {
    let server = PostgresServer::start();
    server.create_database("source");
    server.create_database("restored");
    let url = |name: &str| format!("postgres://{USER}@127.0.0.1:{}/{name}?sslmode=disable", server.port);
    let dir = voicefleet_tests::scratch();
    let (data, backups, key) =
        (dir.path().join("data"), dir.path().join("backups"), dir.path().join("backup.key"));
    let (data_arg, backups_arg, key_arg) =
        (data.to_str().unwrap(), backups.to_str().unwrap(), key.to_str().unwrap());

    // A console on PostgreSQL with a customer and a secret.
    let http = reqwest::Client::new();
    let console = start(serve(&data, &url("source"), MASTER_KEY));
    let token =
        login(&http, &console.base, "admin", ADMIN_PASSWORD).await.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned();
    let added = http
        .post(format!("{}/v1/customers", console.base))
        .bearer_auth(&token)
        .json(&json!({"id": "acme", "endpoint": "http://127.0.0.1:9"}))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), StatusCode::CREATED);
    let secret = http
        .put(format!("{}/v1/customers/acme/secrets/openai_api_key", console.base))
        .bearer_auth(&token)
        .json(&json!({"value": "sk-not-a-real-key"}))
        .send()
        .await
        .unwrap();
    assert_eq!(secret.status(), StatusCode::NO_CONTENT);

    // Backed up while it runs: every table, the keys, the audit chain's head.
    let run = run_with_keys(&[
        "--data",
        data_arg,
        "console",
        "backup",
        "--to",
        backups_arg,
        "--key",
        key_arg,
        "--store",
        &url("source"),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("audit entries"), "{}", run.stderr);
    drop(console);

    // Restored into a new, empty database: checked, then served from it with the same data.
    let restored = dir.path().join("restored");
    let run = run_with_keys(&[
        "--data",
        restored.to_str().unwrap(),
        "console",
        "restore",
        backups_arg,
        "--key",
        key_arg,
        "--store",
        &url("restored"),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("audit chain verified"), "{}", run.stderr);
    assert!(restored.join("console.key").exists() && !restored.join("console.db").exists());
    // Not twice into one database, and a refused restore leaves no directory behind.
    let again = dir.path().join("again");
    let run = run_with_keys(&[
        "--data",
        again.to_str().unwrap(),
        "console",
        "restore",
        backups_arg,
        "--key",
        key_arg,
        "--store",
        &url("restored"),
    ]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("already holds console data"), "{}", run.stderr);
    assert!(!again.exists(), "nothing written");

    let console = start(serve(&restored, &url("restored"), MASTER_KEY));
    let token =
        login(&http, &console.base, "admin", ADMIN_PASSWORD).await.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned();
    let get = |path: &str| http.get(format!("{}{path}", console.base)).bearer_auth(&token).send();
    let secrets: Value = get("/v1/customers/acme/secrets").await.unwrap().json().await.unwrap();
    assert!(secrets.to_string().contains("openai_api_key"), "{secrets}");
    let verdict: Value = get("/v1/audit/verify").await.unwrap().json().await.unwrap();
    assert_eq!(verdict["ok"], true, "{verdict}");
    let audit: Value = get("/v1/audit?limit=1000").await.unwrap().json().await.unwrap();
    assert!(audit.to_string().contains("console.restore"), "{audit}");
}
