//! The host's append-only audit file: a real host agent records who asked each change (a
//! console token's subject, or the break-glass token) and every refusal, in `STATE/audit.log`
//! (0600) and over `/v1/audit`; an edited line is reported by `/v1/audit/verify`.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use voicefleet_core::auth::Role;

use crate::{SECRETS, TestHost, simulated_config, token};

async fn call(
    url: &str,
    method: Method,
    path: &str,
    bearer: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new().request(method, format!("{url}{path}"));
    if let Some(bearer) = bearer {
        request = request.bearer_auth(bearer);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_host_audits_who_changed_what_and_who_was_refused_and_catches_an_edit() {
    let host = TestHost::start("acme").await;
    let url = host.url();
    let break_glass = host.admin_token();
    let console = token("acme", Role::Admin, 60);
    let viewer = token("acme", Role::Viewer, 60);

    for name in SECRETS {
        let (status, _) = call(
            &url,
            Method::PUT,
            &format!("/v1/secrets/{name}"),
            Some(&console),
            Some(json!({"value": "v"})),
        )
        .await;
        assert_eq!(status, 204);
    }
    let config = simulated_config(json!({"ready_delay_ms": 20}));
    let (status, body) =
        call(&url, Method::PUT, "/v1/config", Some(&break_glass), Some(json!({"config": config.as_value()})))
            .await;
    assert_eq!(status, 200, "{body}");
    // Refusals: a viewer asking for a restart, no token, a forged one (even for a read).
    assert_eq!(call(&url, Method::POST, "/v1/agent/restart", Some(&viewer), None).await.0, 403);
    assert_eq!(call(&url, Method::DELETE, "/v1/secrets/openai_api_key", None, None).await.0, 401);
    assert_eq!(call(&url, Method::GET, "/v1/status", Some("not-a-token"), None).await.0, 401);
    // A read that is allowed is not a change: not audited.
    assert_eq!(call(&url, Method::GET, "/v1/status", Some(&viewer), None).await.0, 200);
    // The audit itself is for admins (the console's token or break-glass).
    assert_eq!(
        call(&url, Method::GET, "/v1/audit", Some(&token("acme", Role::Operator, 60)), None).await.0,
        403
    );

    let (status, page) = call(&url, Method::GET, "/v1/audit?after=0&limit=1000", Some(&console), None).await;
    assert_eq!(status, 200, "{page}");
    let entries = page["entries"].as_array().unwrap();
    let summary: Vec<(String, String, String, String)> = entries
        .iter()
        .map(|e| {
            let field = |name: &str| e[name].as_str().unwrap().to_owned();
            (field("actor"), field("action"), field("target"), field("outcome"))
        })
        .collect();
    let row = |actor: &str, action: &str, target: &str, outcome: &str| {
        (actor.to_owned(), action.to_owned(), target.to_owned(), outcome.to_owned())
    };
    let mut expected: Vec<_> =
        SECRETS.iter().map(|name| row("test-admin", "secret.set", &format!("secret:{name}"), "ok")).collect();
    expected.extend([
        row("break-glass", "config.apply", "acme", "ok"),
        row("test-viewer", "agent.restart", "acme", "denied"),
        row("anonymous", "secret.delete", "secret:openai_api_key", "denied"),
        row("anonymous", "GET /v1/status", "acme", "denied"),
        row("test-operator", "GET /v1/audit", "acme", "denied"),
    ]);
    assert_eq!(summary, expected);
    let seqs: Vec<u64> = entries.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (1..=expected.len() as u64).collect::<Vec<_>>());
    assert!(entries.iter().all(|e| !e["request_id"].as_str().unwrap().is_empty()));
    assert_eq!(page["next_after"], expected.len());
    // Paging: after the fifth, two.
    let (_, later) = call(&url, Method::GET, "/v1/audit?after=5&limit=2", Some(&break_glass), None).await;
    let later: Vec<u64> =
        later["entries"].as_array().unwrap().iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(later, [6, 7]);

    // The file: private, one line per entry, the same entries.
    let path = host.state().join("audit.log");
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), expected.len());
    let first: Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(first, entries[0]);

    let (_, verification) = call(&url, Method::GET, "/v1/audit/verify", Some(&break_glass), None).await;
    assert_eq!(verification["intact"], true, "{verification}");
    assert_eq!(verification["last_seq"], expected.len());

    // Someone rewrites who applied the configuration: the chain says where.
    let forged = text.replacen("\"actor\":\"break-glass\"", "\"actor\":\"test-admin\"", 1);
    assert_ne!(forged, text);
    std::fs::write(&path, forged).unwrap();
    let (_, verification) = call(&url, Method::GET, "/v1/audit/verify", Some(&break_glass), None).await;
    assert_eq!(verification["intact"], false, "{verification}");
    let problems = verification["problems"].to_string();
    assert!(problems.contains("entry 4: its hash does not match its content"), "{problems}");

    // A removed line is a gap in the chain.
    std::fs::write(
        &path,
        text.lines().enumerate().filter(|(i, _)| *i != 2).map(|(_, l)| format!("{l}\n")).collect::<String>(),
    )
    .unwrap();
    let (_, verification) = call(&url, Method::GET, "/v1/audit/verify", Some(&break_glass), None).await;
    assert!(verification["problems"].to_string().contains("entry 4: follows entry 2"), "{verification}");
}
