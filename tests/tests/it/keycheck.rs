//! The live key check, end to end: a console asks a real host agent, which asks a provider
//! (a wiremock server standing in for OpenAI, Deepgram and ElevenLabs) with the key it holds.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::json;
use voicefleet_core::ErrorKind;
use voicefleet_core::auth::Role;
use voicefleet_core::console::{Actor, Fleet, NewCustomer, RevisionInput};
use voicefleet_core::keycheck::{KeyCheck, KeyVerdict, ProviderUrls};
use voicefleet_http::HostTokenSigner;
use voicefleet_tests::hosts::{TestHost, down_endpoint, simulated_config};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const GOOD_OPENAI: &str = "sk-good-0123456789abcdefghij";
const GOOD_DEEPGRAM: &str = "0123456789abcdef0123456789abcdef01234567";

fn admin() -> Actor {
    Actor::new("keycheck-test", Role::Admin)
}

/// A provider that accepts exactly one key in `header_name` (`value`) and refuses the rest.
async fn provider(route: &str, header_name: &str, value: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(route))
        .and(header(header_name, value))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": []})))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(route))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": "invalid key"})))
        .with_priority(2)
        .mount(&server)
        .await;
    server
}

fn verdicts(checks: &[KeyCheck]) -> BTreeMap<String, (KeyVerdict, String)> {
    checks.iter().map(|c| (c.secret.clone(), (c.verdict, c.provider.clone()))).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_checks_each_provider_key_live_and_the_console_reports_and_audits_the_verdicts() {
    let openai = provider("/v1/models", "authorization", &format!("Bearer {GOOD_OPENAI}")).await;
    let deepgram = provider("/v1/projects", "authorization", &format!("Token {GOOD_DEEPGRAM}")).await;
    let urls = ProviderUrls::new(BTreeMap::from([
        ("openai".to_owned(), openai.uri()),
        ("deepgram".to_owned(), deepgram.uri()),
        // Nothing listens here: ElevenLabs is unreachable.
        ("elevenlabs".to_owned(), down_endpoint()),
    ]))
    .unwrap();

    let dir = voicefleet_tests::scratch();
    let signer = HostTokenSigner::load_or_create(dir.path()).unwrap();
    let host = TestHost::start_with("acme", &signer, urls).await;
    let console = crate::console(dir.path(), &signer, Duration::from_secs(20));
    let id = "acme";
    console
        .add_customer(
            &admin(),
            NewCustomer {
                id: id.into(),
                name: String::new(),
                endpoint: host.endpoint.clone(),
                tags: vec![],
                trust: Default::default(),
            },
        )
        .await
        .unwrap();
    for (name, value) in [
        ("openai_api_key", GOOD_OPENAI),
        ("deepgram_api_key", GOOD_DEEPGRAM),
        ("elevenlabs_api_key", "el-anything"),
    ] {
        console.set_secret(&admin(), id, name, value).await.unwrap();
    }
    let config = simulated_config(json!({"ready_delay_ms": 20}));
    console
        .create_revision(&admin(), id, RevisionInput::Full { document: config.as_value() }, "base")
        .await
        .unwrap();

    // Nothing deployed yet: the host has no configuration to read the providers from.
    let error = console.check_secrets(&admin(), id, None).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Conflict, "{error}");

    console.deploy(&admin(), id, None).await.unwrap();
    let checks = console.check_secrets(&admin(), id, None).await.unwrap();
    let found = verdicts(&checks);
    assert_eq!(found["openai_api_key"], (KeyVerdict::Valid, "openai".into()), "{checks:?}");
    assert_eq!(found["deepgram_api_key"], (KeyVerdict::Valid, "deepgram".into()), "{checks:?}");
    assert_eq!(found["elevenlabs_api_key"], (KeyVerdict::Unreachable, "elevenlabs".into()), "{checks:?}");
    assert_eq!(checks.len(), 3);
    let openai_check = checks.iter().find(|c| c.secret == "openai_api_key").unwrap();
    assert_eq!(openai_check.path, "agent_settings.llm");
    assert!(openai_check.elapsed_ms.is_some());
    // No verdict or detail carries a value.
    let text = serde_json::to_string(&checks).unwrap();
    assert!(!text.contains(GOOD_OPENAI) && !text.contains(GOOD_DEEPGRAM), "{text}");

    // The provider saw the key the host holds, in its own header form.
    let seen = openai.received_requests().await.unwrap();
    assert!(
        seen.iter()
            .any(|r| r.headers.get("authorization").is_some_and(|v| v == &format!("Bearer {GOOD_OPENAI}")))
    );

    // A rotated key that the provider refuses: invalid once deployed.
    console.set_secret(&admin(), id, "openai_api_key", "sk-revoked-0123456789abcdefgh").await.unwrap();
    console.deploy(&admin(), id, None).await.unwrap();
    let only = console.check_secrets(&admin(), id, Some("openai_api_key")).await.unwrap();
    assert_eq!(only.len(), 1, "{only:?}");
    assert_eq!(only[0].verdict, KeyVerdict::Invalid, "{only:?}");
    assert!(only[0].detail.contains("401"), "{}", only[0].detail);

    // A value with a pasted line break can never be right: invalid, before any connection.
    console.set_secret(&admin(), id, "elevenlabs_api_key", "el-key\n").await.unwrap();
    console.deploy(&admin(), id, None).await.unwrap();
    let only = console.check_secrets(&admin(), id, Some("elevenlabs_api_key")).await.unwrap();
    assert_eq!(only[0].verdict, KeyVerdict::Invalid, "{only:?}");
    assert!(only[0].detail.contains("line break"), "{}", only[0].detail);

    // A secret the configuration does not use with a provider, and a malformed name.
    let error = console.check_secrets(&admin(), id, Some("twilio_auth_token")).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
    assert!(error.to_string().contains("openai_api_key"), "names what it uses: {error}");
    let error = console.check_secrets(&admin(), id, Some("Bad Name")).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");

    // A viewer may not make the host call providers; the denial is audited, as the checks are.
    let viewer = Actor::new("watcher", Role::Viewer);
    let error = console.check_secrets(&viewer, id, None).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Forbidden, "{error}");
    let audit = console.audit(&admin(), 0, 1000).await.unwrap();
    let checks_audited: Vec<_> = audit.iter().filter(|e| e.action == "secret.check").collect();
    assert!(
        checks_audited.iter().any(|e| e.target == "acme" && e.outcome == "2 valid, 1 unreachable"),
        "{checks_audited:?}"
    );
    assert!(checks_audited.iter().any(|e| e.target == "acme/openai_api_key" && e.outcome == "1 invalid"));
    assert!(checks_audited.iter().any(|e| e.actor == "watcher" && e.outcome != "ok"), "{checks_audited:?}");
}

#[test]
fn provider_url_overrides_are_checked() {
    let unknown =
        ProviderUrls::new(BTreeMap::from([("acme-llm".to_owned(), "http://127.0.0.1:1".to_owned())]));
    assert!(unknown.unwrap_err().to_string().contains("openai"));
    let not_http = ProviderUrls::new(BTreeMap::from([("openai".to_owned(), "ftp://x".to_owned())]));
    assert!(not_http.is_err());
    let fine =
        ProviderUrls::new(BTreeMap::from([("openai".to_owned(), "http://127.0.0.1:9/".to_owned())])).unwrap();
    assert_eq!(fine.base("openai").as_deref(), Some("http://127.0.0.1:9"));
    assert_eq!(fine.base("deepgram").as_deref(), Some("https://api.deepgram.com"));
    assert_eq!(fine.base("azure"), None);
}
