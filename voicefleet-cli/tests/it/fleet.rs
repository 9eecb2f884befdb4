//! The real binary against a real console and a real host agent on loopback.

use std::time::Duration;

use serde_json::Value;
use voicefleet_http::{ConsoleServer, ServeOptions};
use voicefleet_tests::hosts::{TestHost, simulated_config};

use crate::{voicefleet, voicefleet_with_stdin};

pub(crate) struct Env {
    pub(crate) console: ConsoleServer,
    pub(crate) host: TestHost,
    pub(crate) url: String,
    pub(crate) token: String,
    pub(crate) dir: voicefleet_tests::TempDir,
}

pub(crate) async fn env() -> Env {
    let dir = voicefleet_tests::scratch();
    let mut options = ServeOptions::new(dir.path().join("data"));
    options.listen = ([127, 0, 0, 1], 0).into();
    options.admin_password = Some("an admin password".into());
    options.host_timeout = Duration::from_millis(800);
    let console = ConsoleServer::start(options).await.unwrap();
    let url = format!("http://{}", console.local_addr());
    let embedded = console.embedded();
    let token = embedded.user_token("admin", voicefleet_core::auth::Role::Admin, 600).unwrap();
    let host = TestHost::start("acme", &embedded.signer).await;
    Env { console, host, url, token, dir }
}

pub(crate) fn run(env: &Env, args: &[&str]) -> voicefleet_tests::Run {
    run_with_stdin(env, args, "")
}

pub(crate) fn run_with_stdin(env: &Env, args: &[&str], stdin: &str) -> voicefleet_tests::Run {
    let mut full = vec!["--console", &env.url, "--token", &env.token];
    full.extend_from_slice(args);
    voicefleet_with_stdin(&full, stdin)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_session_end_to_end() {
    let mut env = env().await;
    let endpoint = env.host.endpoint.clone();
    let ok = |run: &voicefleet_tests::Run, what: &str| {
        assert_eq!(run.code, 0, "{what}: {}{}", run.stdout, run.stderr)
    };

    // Customers.
    let r = tokio::task::block_in_place(|| {
        run(
            &env,
            &[
                "customers",
                "add",
                "acme",
                "--endpoint",
                &endpoint,
                "--name",
                "Acme Dental",
                "--tag",
                "tier=prod",
            ],
        )
    });
    ok(&r, "add");
    let r = tokio::task::block_in_place(|| run(&env, &["customers", "list", "-o", "json"]));
    ok(&r, "list");
    let customers: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(customers[0]["id"], "acme");
    let r = tokio::task::block_in_place(|| run(&env, &["customers", "list"]));
    assert!(r.stdout.starts_with("CUSTOMER  NAME         ENDPOINT"), "{}", r.stdout);
    let r = tokio::task::block_in_place(|| run(&env, &["customers", "show", "nosuch"]));
    assert_eq!(r.code, 3, "not found: {}", r.stderr);
    assert!(r.stderr.starts_with("error: customer `nosuch` does not exist"), "{}", r.stderr);

    // Secrets from standard input, never echoed.
    for name in ["openai_api_key", "deepgram_api_key", "elevenlabs_api_key"] {
        let r = tokio::task::block_in_place(|| {
            run_with_stdin(&env, &["secrets", "set", "acme", name], "sk-very-secret-value\n")
        });
        ok(&r, "secret");
        assert!(!r.stdout.contains("very-secret") && !r.stderr.contains("very-secret"));
        // An offline look at the shape: OpenAI keys start `sk-`; Deepgram's are 40 hex digits.
        let warned =
            r.stderr.contains(&format!("warning: {name}: deepgram keys are 40 hexadecimal characters"));
        assert_eq!(warned, name == "deepgram_api_key", "{name}: {}", r.stderr);
    }
    let r = tokio::task::block_in_place(|| run(&env, &["secrets", "list", "acme", "-o", "json"]));
    assert!(!r.stdout.contains("very-secret"));
    assert_eq!(serde_json::from_str::<Value>(&r.stdout).unwrap().as_array().unwrap().len(), 3);

    // Revisions: push a file, patch, history, deploy, start.
    let file = env.dir.path().join("acme.json");
    let config = simulated_config(
        serde_json::json!({"ready_delay_ms": 20, "call_interval_ms": 100, "call_duration_ms": 1000, "turn_interval_ms": 100}),
    );
    std::fs::write(&file, config.to_json_pretty()).unwrap();
    ok(
        &tokio::task::block_in_place(|| {
            run(&env, &["config", "push", "acme", file.to_str().unwrap(), "-m", "first"])
        }),
        "push",
    );
    ok(
        &tokio::task::block_in_place(|| {
            run(&env, &["config", "set", "acme", "agent_settings.llm.temperature", "0.2", "-m", "cooler"])
        }),
        "set",
    );
    let r = tokio::task::block_in_place(|| {
        run(&env, &["config", "set", "acme", "agent_settings.llm.temperature", "9"])
    });
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = tokio::task::block_in_place(|| {
        run(&env, &["config", "get", "acme", "agent_settings.llm.temperature"])
    });
    assert_eq!(r.stdout.trim(), "0.2");
    let r = tokio::task::block_in_place(|| run(&env, &["config", "history", "acme", "-o", "json"]));
    let history: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(history.as_array().unwrap().len(), 2);
    let r =
        tokio::task::block_in_place(|| run(&env, &["config", "diff", "acme", "--from", "1", "--to", "2"]));
    assert_eq!(r.stdout, "~ agent_settings.llm.temperature: 0.7 -> 0.2\n");
    ok(&tokio::task::block_in_place(|| run(&env, &["config", "deploy", "acme"])), "deploy");
    ok(&tokio::task::block_in_place(|| run(&env, &["agent", "start", "acme"])), "start");
    let r = tokio::task::block_in_place(|| run(&env, &["status", "-o", "json"]));
    let statuses: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(statuses[0]["state"], "running");
    assert_eq!(statuses[0]["running_revision"], 2);
    let r = tokio::task::block_in_place(|| run(&env, &["status"]));
    assert!(r.stdout.contains("acme") && r.stdout.contains("running"), "{}", r.stdout);
    let r = tokio::task::block_in_place(|| run(&env, &["logs", "acme", "--tail", "5"]));
    ok(&r, "logs");
    assert!(!r.stdout.is_empty());
    let r = tokio::task::block_in_place(|| run(&env, &["agent", "stop", "acme", "--drain-timeout", "-1"]));
    assert_eq!(r.code, 2, "{}", r.stderr);

    // Bulk with --yes; a failure makes the exit code non-zero.
    let r = tokio::task::block_in_place(|| {
        run(
            &env,
            &["bulk", "restart", "--selector", "tier=prod", "--max-concurrency", "1", "--yes", "-o", "json"],
        )
    });
    ok(&r, "bulk");
    let bulk: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(bulk["outcome"], "succeeded");
    let r = tokio::task::block_in_place(|| {
        run(&env, &["bulk", "restart", "--selector", "tier=prod", "--dry-run"])
    });
    assert!(r.stdout.starts_with("plan: restart on 1 targets"), "{}", r.stdout);

    // Users and tokens.
    let r = tokio::task::block_in_place(|| {
        run_with_stdin(&env, &["users", "add", "bob", "--role", "operator"], "bob's long password\n")
    });
    ok(&r, "users add");
    let r = tokio::task::block_in_place(|| {
        run(&env, &["tokens", "create", "ci", "--role", "viewer", "--expires", "30d", "-o", "json"])
    });
    let token: Value = serde_json::from_str(&r.stdout).unwrap();
    let secret = token["token"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("vft_"));
    let r =
        tokio::task::block_in_place(|| voicefleet(&["--console", &env.url, "--token", &secret, "whoami"]));
    assert_eq!(r.stdout.trim(), "token:ci (viewer)");
    let r = tokio::task::block_in_place(|| {
        voicefleet(&["--console", &env.url, "--token", &secret, "agent", "stop", "acme"])
    });
    assert_eq!(r.code, 4, "a viewer cannot stop: {}", r.stderr);

    // Audit verifies.
    let r = tokio::task::block_in_place(|| run(&env, &["audit", "verify"]));
    ok(&r, "audit");
    assert!(r.stdout.starts_with("audit chain intact"));

    // No token, and a console that does not answer.
    let r = tokio::task::block_in_place(|| voicefleet(&["--console", &env.url, "--token", "", "status"]));
    assert_eq!(r.code, 4, "{}", r.stderr);
    let r = tokio::task::block_in_place(|| {
        voicefleet(&["--console", "http://127.0.0.1:9", "--token", "x", "status"])
    });
    assert_eq!(r.code, 5, "{}", r.stderr);

    tokio::task::block_in_place(|| run(&env, &["agent", "stop", "acme", "--drain-timeout", "0.2"]));
    env.host.stop().await;
    env.console.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_names_why_an_agent_cannot_start() {
    let env = env().await;
    let endpoint = env.host.endpoint.clone();
    let ok = |run: &voicefleet_tests::Run, what: &str| {
        assert_eq!(run.code, 0, "{what}: {}{}", run.stdout, run.stderr)
    };
    ok(
        &tokio::task::block_in_place(|| run(&env, &["customers", "add", "acme", "--endpoint", &endpoint])),
        "add",
    );
    for name in ["openai_api_key", "deepgram_api_key", "elevenlabs_api_key"] {
        ok(
            &tokio::task::block_in_place(|| run_with_stdin(&env, &["secrets", "set", "acme", name], "sk\n")),
            name,
        );
    }
    let mut config = simulated_config(serde_json::json!({"ready_delay_ms": 20}));
    config.set("runtime.working_dir", serde_json::json!("/opt/voice-agent-not-on-this-host")).unwrap();
    let file = env.dir.path().join("acme.json");
    std::fs::write(&file, config.to_json_pretty()).unwrap();
    ok(
        &tokio::task::block_in_place(|| run(&env, &["config", "push", "acme", file.to_str().unwrap()])),
        "push",
    );
    ok(&tokio::task::block_in_place(|| run(&env, &["config", "deploy", "acme"])), "deploy");
    let _ = tokio::task::block_in_place(|| run(&env, &["agent", "start", "acme"]));
    let expected = "acme ";
    let cause = "working directory /opt/voice-agent-not-on-this-host does not exist";
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let table = loop {
        let r = tokio::task::block_in_place(|| run(&env, &["status"]));
        if r.stdout.lines().any(|l| l.starts_with(expected) && l.contains(cause)) {
            break r.stdout;
        }
        assert!(std::time::Instant::now() < deadline, "no cause in the status table:\n{}", r.stdout);
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        table.lines().nth(1).is_some_and(|l| l.contains("backoff") || l.contains("crash_loop")),
        "{table}"
    );
    let r = tokio::task::block_in_place(|| run(&env, &["status", "-o", "json"]));
    let statuses: Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(statuses[0]["status"]["last_error"].as_str().is_some_and(|e| e.contains(cause)), "{}", r.stdout);
}
