//! `voicefleet secrets check`: the real binary, a real console and host agent, and a mock
//! provider API (wiremock) that knows one OpenAI key.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};
use voicefleet_core::keycheck::ProviderUrls;
use voicefleet_http::{ConsoleServer, ServeOptions};
use voicefleet_tests::hosts::{TestHost, simulated_config};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::voicefleet_with_stdin;

const GOOD: &str = "sk-live-0123456789abcdefghij";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_check_reports_each_key_and_fails_when_one_is_refused() {
    let provider = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/models"))
        .and(header("authorization", format!("Bearer {GOOD}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": []})))
        .with_priority(1)
        .mount(&provider)
        .await;
    for route in ["/v1/models", "/v1/projects", "/v1/user"] {
        Mock::given(method("GET"))
            .and(path(route))
            .respond_with(ResponseTemplate::new(401))
            .with_priority(2)
            .mount(&provider)
            .await;
    }
    let urls = ProviderUrls::new(
        ["openai", "deepgram", "elevenlabs"]
            .into_iter()
            .map(|p| (p.to_owned(), provider.uri()))
            .collect::<BTreeMap<_, _>>(),
    )
    .unwrap();

    let dir = voicefleet_tests::scratch();
    let mut options = ServeOptions::new(dir.path().join("data"));
    options.listen = ([127, 0, 0, 1], 0).into();
    options.admin_password = Some("an admin password".into());
    options.host_timeout = Duration::from_secs(20);
    let console = ConsoleServer::start(options).await.unwrap();
    let url = format!("http://{}", console.local_addr());
    let embedded = console.embedded();
    let token = embedded.user_token("admin", voicefleet_core::auth::Role::Admin, 600).unwrap();
    let host = TestHost::start_with("acme", &embedded.signer, urls).await;
    let run = |args: &[&str], stdin: &str| {
        let mut full = vec!["--console", url.as_str(), "--token", token.as_str()];
        full.extend_from_slice(args);
        tokio::task::block_in_place(|| voicefleet_with_stdin(&full, stdin))
    };

    let file = dir.path().join("acme.json");
    std::fs::write(&file, simulated_config(json!({"ready_delay_ms": 20})).to_json_pretty()).unwrap();
    let r = run(&["customers", "add", "acme", "--endpoint", host.endpoint.as_str()], "");
    assert_eq!(r.code, 0, "{}", r.stderr);
    for (name, value) in [
        ("openai_api_key", GOOD),
        ("deepgram_api_key", "0123456789abcdef0123456789abcdef01234567"),
        ("elevenlabs_api_key", "el-key"),
    ] {
        let r = run(&["secrets", "set", "acme", name], &format!("{value}\n"));
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let r = run(&["config", "push", "acme", file.to_str().unwrap(), "-m", "first"], "");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(&["config", "deploy", "acme"], "");
    assert_eq!(r.code, 0, "{}", r.stderr);

    // Two of three refused: a table with each verdict, exit 1.
    let r = run(&["secrets", "check", "acme"], "");
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.starts_with("SECRET"), "{}", r.stdout);
    let line = |secret: &str| r.stdout.lines().find(|l| l.starts_with(secret)).unwrap_or_default().to_owned();
    assert!(
        line("openai_api_key").contains("valid") && !line("openai_api_key").contains("invalid"),
        "{}",
        r.stdout
    );
    assert!(line("deepgram_api_key").contains("invalid"), "{}", r.stdout);
    assert!(line("elevenlabs_api_key").contains("agent_settings.tts"), "{}", r.stdout);
    assert!(!r.stdout.contains(GOOD) && !r.stderr.contains(GOOD));

    // One key, as JSON: exit 0 when it is valid.
    let r = run(&["secrets", "check", "acme", "openai_api_key", "-o", "json"], "");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let checks: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(checks.as_array().unwrap().len(), 1);
    assert_eq!(checks[0]["verdict"], "valid");
    assert_eq!(checks[0]["provider"], "openai");

    // A secret the configuration does not use: refused with what it does use.
    let r = run(&["secrets", "check", "acme", "stripe_key"], "");
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("openai_api_key"), "{}", r.stderr);
    drop(host);
    drop(console);
}
