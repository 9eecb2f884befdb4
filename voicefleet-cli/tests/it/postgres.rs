//! A console moved from SQLite to PostgreSQL (`console migrate`), then served from it
//! (`console serve --store postgres://…`), on a real PostgreSQL server the test starts.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use voicefleet_tests::postgres::{PASSWORD, PostgresServer, USER};

use crate::{voicefleet, voicefleet_with_stdin};

const VOICEFLEET: &str = env!("CARGO_BIN_EXE_voicefleet");
const OPS_PASSWORD: &str = "ops long password 1";

/// `voicefleet ARGS` with the store's password in the environment (never in the URL).
fn with_password(args: &[&str]) -> voicefleet_tests::Run {
    Command::new(VOICEFLEET)
        .args(args)
        .env("VOICEFLEET_STORE_PASSWORD", PASSWORD)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap()
        .into()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_moves_to_postgres_with_its_audit_chain_and_serves_from_it() {
    let server = PostgresServer::start();
    server.create_database("console");
    let url = format!("postgres://{USER}@127.0.0.1:{}/console?sslmode=disable", server.port);
    let dir = voicefleet_tests::scratch();
    let data = dir.path().join("data");
    let data_arg = data.to_str().unwrap();

    // A console on SQLite with some history.
    for id in ["acme", "globex"] {
        let run =
            voicefleet(&["--data", data_arg, "customers", "add", id, "--endpoint", "http://127.0.0.1:9"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    let run = voicefleet_with_stdin(
        &["--data", data_arg, "users", "add", "ops", "--role", "admin"],
        &format!("{OPS_PASSWORD}\n"),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);

    // Not a move: the wrong direction, a bad URL.
    let run = with_password(&["console", "migrate", "--from", &url, "--to", &format!("sqlite:{data_arg}")]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("from sqlite:DIR"), "{}", run.stderr);
    let run = voicefleet(&["console", "migrate", "--from", &format!("sqlite:{data_arg}"), "--to", &url]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("VOICEFLEET_STORE_PASSWORD"), "no password: {}", run.stderr);

    let run = with_password(&["console", "migrate", "--from", &format!("sqlite:{data_arg}"), "--to", &url]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("verified after the move"), "{}", run.stdout);
    assert!(run.stdout.contains("customers") && !run.stdout.contains(PASSWORD), "{}", run.stdout);
    // Once: the database now holds console data.
    let again = with_password(&["console", "migrate", "--from", &format!("sqlite:{data_arg}"), "--to", &url]);
    assert_ne!(again.code, 0);
    assert!(again.stderr.contains("already holds console data"), "{}", again.stderr);

    // Refused before anything starts: another kind of URL.
    let run = voicefleet(&["--data", data_arg, "console", "serve", "--store", "mysql://root@db/console"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("sqlite:DATA_DIR or postgres://"), "{}", run.stderr);

    // Served from PostgreSQL: the moved data, logins, and a chain that verifies.
    let mut child = Command::new(VOICEFLEET)
        .args(["--data", data_arg, "console", "serve", "--listen", "127.0.0.1:0", "--store", &url])
        .env("VOICEFLEET_STORE_PASSWORD", PASSWORD)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
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
    assert!(seen.contains(&format!("store: postgres://{USER}@127.0.0.1:{}/console", server.port)), "{seen}");
    let line = seen.lines().find(|l| l.contains("voicefleet console on ")).unwrap();
    let base =
        line.split("voicefleet console on ").nth(1).unwrap().split_whitespace().next().unwrap().to_owned();

    let client = reqwest::Client::new();
    let login: serde_json::Value = client
        .post(format!("{base}/v1/auth/login"))
        .json(&serde_json::json!({"name": "ops", "password": OPS_PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap_or_else(|| panic!("{login}")).to_owned();
    let get = |path: &str| client.get(format!("{base}{path}")).bearer_auth(&token).send();
    let customers: serde_json::Value = get("/v1/customers").await.unwrap().json().await.unwrap();
    let text = customers.to_string();
    assert!(text.contains("\"acme\"") && text.contains("\"globex\""), "{text}");
    let added = client
        .post(format!("{base}/v1/customers"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"id": "initech", "endpoint": "http://127.0.0.1:9"}))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 201, "{}", added.text().await.unwrap());
    let verdict: serde_json::Value = get("/v1/audit/verify").await.unwrap().json().await.unwrap();
    assert_eq!(verdict["ok"], true, "{verdict}");
    // The SQLite history (2 customers, a user, and first-start entries), the move, the new customer.
    assert!(verdict["entries"].as_u64().unwrap() >= 5, "{verdict}");
    let audit: serde_json::Value = get("/v1/audit?limit=100").await.unwrap().json().await.unwrap();
    assert!(audit.to_string().contains("console.migrate"), "{audit}");
    let _ = child.kill();
    let _ = child.wait();
}
