//! Every route × every kind of caller, for both APIs, in process through `Router::oneshot`. The
//! routes come from each API's route table (the one place a route's role is written), so a new
//! route is checked without touching this file.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tower::ServiceExt as _;
use voicefleet_core::Result;
use voicefleet_core::auth::{Claims, Role, TokenKind};
use voicefleet_core::config::ConfigDocument;
use voicefleet_core::console::Actor;
use voicefleet_core::host::{
    AppliedConfig, ConfigRevision, Host, HostEvent, HostStatus, LogQuery, MetricsSample, RevisionMeta,
    StopOptions,
};
use voicefleet_core::logs::LogLine;
use voicefleet_http::HostTokenSigner;
use voicefleet_http::console::{ConsoleApiOptions, ROUTES as CONSOLE_ROUTES};
use voicefleet_http::host::{HostApiOptions, ROUTES as HOST_ROUTES};
use voicefleet_http::routes::RouteDoc;

/// A route's path with its parameters filled in.
fn concrete(route: &RouteDoc) -> String {
    let path = route
        .path
        .replace("{id}", "nosuch")
        .replace("{number}", "1")
        .replace("{name}", "nosuch")
        .replace("{action}", "stop")
        .replace("{instance_action}", "reboot");
    match path.as_str() {
        "/v1/metrics/history" => "/v1/metrics/history?since=5m".to_owned(),
        "/v1/logs" => "/v1/logs?tail=1".to_owned(),
        _ => path,
    }
}

/// Sends every route as every caller; returns the failures and the number of checks.
async fn matrix(
    router: axum::Router,
    routes: &[RouteDoc],
    callers: &[(&str, Option<String>, Option<Role>, u16)],
) -> (Vec<String>, usize) {
    let mut failures = Vec::new();
    let mut checked = 0;
    for route in routes {
        let method = Method::from_bytes(route.method.to_uppercase().as_bytes()).unwrap();
        for (caller, bearer, role, refused_with) in callers {
            let mut request = Request::builder().method(method.clone()).uri(concrete(route));
            if let Some(bearer) = bearer {
                request = request.header("authorization", format!("Bearer {bearer}"));
            }
            let body = if route.body.is_some() {
                request = request.header("content-type", "application/json");
                Body::from("{}")
            } else {
                Body::empty()
            };
            let status = router.clone().oneshot(request.body(body).unwrap()).await.unwrap().status().as_u16();
            let allowed = match (route.role, role) {
                (None, _) => true,
                (Some(needed), Some(role)) => role.allows(needed),
                (Some(_), None) => false,
            };
            let ok = match (allowed, role) {
                (true, _) => status != 401 && status != 403 && status != 500,
                (false, Some(_)) => status == 403,
                (false, None) => status == *refused_with,
            };
            checked += 1;
            if !ok {
                failures.push(format!("{} {} as {caller}: {status}", route.method, route.path));
            }
        }
    }
    (failures, checked)
}

#[tokio::test]
async fn every_console_route_checks_its_role_and_only_health_login_and_openapi_are_open() {
    let dir = crate::scratch();
    let embedded = voicefleet_http::open_embedded(
        dir.path().join("data"),
        Some(crate::ADMIN_PASSWORD.to_owned()),
        Duration::from_millis(200),
    )
    .await
    .unwrap();
    let admin = Actor::new("admin", Role::Admin);
    let login = |name: &str, role: Role| {
        embedded.signer.sign(TokenKind::Login, name, "voicefleet-console", role, 600).unwrap()
    };
    embedded.accounts.add_user(&admin, "viewer-user", Role::Viewer, "a long enough password").await.unwrap();
    embedded
        .accounts
        .add_user(&admin, "operator-user", Role::Operator, "a long enough password")
        .await
        .unwrap();
    let viewer = login("viewer-user", Role::Viewer);
    let operator = login("operator-user", Role::Operator);
    let admin_token = login("admin", Role::Admin);
    let api_token = embedded
        .accounts
        .create_token(&admin, "automation", Role::Operator, None)
        .await
        .unwrap()
        .token
        .unwrap();
    let expired =
        embedded.signer.sign_until(TokenKind::Login, "admin", "voicefleet-console", Role::Admin, 1).unwrap();
    let forged = HostTokenSigner::generate()
        .unwrap()
        .sign(TokenKind::Login, "admin", "voicefleet-console", Role::Admin, 600)
        .unwrap();
    // A host token (audience = a customer) is not a console token; nor is one of the host kind
    // whose audience is the console's.
    let host_token = embedded.signer.host_token("acme");
    let host_kind_for_console =
        embedded.signer.sign(TokenKind::Host, "admin", "voicefleet-console", Role::Admin, 600).unwrap();
    let callers: Vec<(&str, Option<String>, Option<Role>, u16)> = vec![
        ("no token", None, None, 401),
        ("expired", Some(expired), None, 401),
        ("forged", Some(forged), None, 401),
        ("host token", Some(host_token), None, 401),
        ("host kind, console audience", Some(host_kind_for_console), None, 401),
        ("garbage", Some("vft_not-a-token".into()), None, 401),
        ("viewer", Some(viewer), Some(Role::Viewer), 0),
        ("operator", Some(operator), Some(Role::Operator), 0),
        ("api token (operator)", Some(api_token), Some(Role::Operator), 0),
        ("admin", Some(admin_token), Some(Role::Admin), 0),
    ];
    let options = ConsoleApiOptions {
        cors_origins: Vec::new(),
        status_max_age: Duration::from_secs(1),
        clock: voicefleet_core::clock::system(),
        host_metrics: embedded.host_metrics.clone(),
    };
    let router = voicefleet_http::console::router(
        embedded.console.clone(),
        embedded.accounts.clone(),
        embedded.signer.clone(),
        options,
    )
    .unwrap();
    let (failures, checked) = matrix(router, CONSOLE_ROUTES, &callers).await;
    assert!(checked > 300, "only {checked} checks");
    assert!(failures.is_empty(), "{failures:#?}");
    // Every refusal of the role check is audited, with the route (its template) as the target.
    let audit = embedded.console.store().audit(0, 100_000).await.unwrap();
    let denied_viewer: Vec<&str> = audit
        .iter()
        .filter(|e| e.action == "api.denied" && e.actor == "viewer-user")
        .map(|e| e.target.as_str())
        .collect();
    let expected: Vec<String> = CONSOLE_ROUTES
        .iter()
        .filter(|r| r.role.is_some_and(|needed| !Role::Viewer.allows(needed)))
        .map(|r| format!("{} {}", r.method.to_uppercase(), r.path))
        .collect();
    assert_eq!(denied_viewer.len(), expected.len(), "{denied_viewer:#?}");
    for route in &expected {
        assert!(denied_viewer.contains(&route.as_str()), "{route} not audited: {denied_viewer:#?}");
    }
    assert!(
        audit.iter().filter(|e| e.action == "api.denied").all(|e| e.outcome.starts_with("denied: needs ")),
        "the outcome names the role"
    );
    let mut open: Vec<String> = CONSOLE_ROUTES
        .iter()
        .filter(|r| r.role.is_none())
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    open.sort();
    assert_eq!(open, ["get /v1/health", "get /v1/openapi.json", "post /v1/auth/login"]);
    // The OpenAPI document's `x-role` is the table's.
    let document = voicefleet_http::console::openapi_document();
    for route in CONSOLE_ROUTES {
        let documented = &document["paths"][route.path][route.method]["x-role"];
        assert_eq!(documented.as_str(), route.role.map(Role::as_str), "{} {}", route.method, route.path);
    }
}

/// A host that answers status and refuses the rest: enough to tell a refused caller from an
/// admitted one.
#[derive(Debug)]
struct StubHost(tokio::sync::broadcast::Sender<HostEvent>);

fn stub_status() -> HostStatus {
    serde_json::from_value(json!({"customer_id": "acme", "state": "running", "pid": 42, "uptime_seconds": 1.5,
        "restarts": 0, "consecutive_failures": 0, "next_restart_in_ms": null, "last_exit": null, "resources": null,
        "calls": {"active_calls": 0, "calls_total": 0, "errors_total": 0, "malformed_events": 0, "error_rate_5m": 0.0,
                  "disconnect_reasons": {}, "latency_5m": {}, "latency_1h": {}},
        "config": null}))
    .unwrap()
}

fn refused() -> voicefleet_core::Error {
    voicefleet_core::Error::Unavailable { message: "a stub host".into() }
}

#[async_trait::async_trait]
impl Host for StubHost {
    async fn status(&self) -> Result<HostStatus> {
        Ok(stub_status())
    }
    async fn start(&self) -> Result<HostStatus> {
        Ok(stub_status())
    }
    async fn stop(&self, _: StopOptions) -> Result<HostStatus> {
        Ok(stub_status())
    }
    async fn restart(&self, _: StopOptions) -> Result<HostStatus> {
        Ok(stub_status())
    }
    async fn drain(&self, _: StopOptions) -> Result<HostStatus> {
        Ok(stub_status())
    }
    async fn config(&self) -> Result<Option<(ConfigDocument, ConfigRevision)>> {
        Ok(None)
    }
    async fn apply_config(&self, _: ConfigDocument, _: RevisionMeta) -> Result<AppliedConfig> {
        Err(refused())
    }
    async fn set_secret(&self, _: &str, _: &str) -> Result<()> {
        Ok(())
    }
    async fn delete_secret(&self, _: &str) -> Result<()> {
        Ok(())
    }
    async fn secret_names(&self) -> Result<Vec<String>> {
        Ok(Vec::new())
    }
    async fn check_keys(&self, _: Option<&str>) -> Result<Vec<voicefleet_core::keycheck::KeyCheck>> {
        Ok(Vec::new())
    }
    async fn logs(&self, _: LogQuery) -> Result<Vec<LogLine>> {
        Ok(Vec::new())
    }
    async fn metrics_history(&self, _: u64) -> Result<Vec<MetricsSample>> {
        Ok(Vec::new())
    }
    fn subscribe(&self) -> tokio::sync::broadcast::Receiver<HostEvent> {
        self.0.subscribe()
    }
}

fn now_seconds() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

fn claims(audience: &str, role: Role, expires_in: i64) -> Claims {
    let now = now_seconds();
    Claims {
        sub: format!("test-{role}"),
        aud: audience.to_owned(),
        role,
        exp: now.saturating_add_signed(expires_in),
        iat: now,
        iss: "voicefleet-console".to_owned(),
        kind: TokenKind::Host,
    }
}

/// A JWT with `alg: none`: header and claims, no signature.
fn alg_none() -> String {
    use base64::Engine as _;
    let encode = |value: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string());
    format!(
        "{}.{}.",
        encode(json!({"alg": "none", "typ": "JWT"})),
        encode(json!({"sub": "x", "aud": "acme", "role": "admin", "exp": now_seconds() + 60}))
    )
}

#[tokio::test]
async fn every_host_route_checks_its_role() {
    let keys = crate::scratch();
    let console = HostTokenSigner::load_or_create(keys.path()).unwrap();
    let token = |audience: &str, role: Role, expires_in: i64| {
        let claims = claims(audience, role, expires_in);
        console.sign_until(TokenKind::Host, &claims.sub, audience, role, claims.exp).unwrap()
    };
    // Right claims, wrong key.
    let forged = HostTokenSigner::generate()
        .unwrap()
        .sign(TokenKind::Host, "mallory", "acme", Role::Admin, 60)
        .unwrap();
    // The console's key, this host's audience, but a login token: not for hosts.
    let login_kind = console.sign(TokenKind::Login, "admin", "acme", Role::Admin, 60).unwrap();
    // The console's key and claims but another issuer.
    let console_key = EncodingKey::from_ed_pem(
        std::fs::read_to_string(keys.path().join("console.key")).unwrap().as_bytes(),
    )
    .unwrap();
    let mut foreign = claims("acme", Role::Admin, 60);
    foreign.iss = "someone-else".to_owned();
    let other_issuer = jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), &foreign, &console_key).unwrap();
    let hs256 = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims("acme", Role::Admin, 60),
        &EncodingKey::from_secret(b"guess"),
    )
    .unwrap();
    let break_glass = "a-break-glass-token-for-this-test".to_owned();
    let callers: Vec<(&str, Option<String>, Option<Role>, u16)> = vec![
        ("no token", None, None, 401),
        ("expired", Some(token("acme", Role::Admin, -60)), None, 401),
        ("wrong audience", Some(token("globex", Role::Admin, 60)), None, 403),
        ("forged", Some(forged), None, 401),
        ("login kind", Some(login_kind), None, 401),
        ("other issuer", Some(other_issuer), None, 401),
        ("hs256", Some(hs256), None, 401),
        ("alg none", Some(alg_none()), None, 401),
        ("garbage", Some("not-a-token".into()), None, 401),
        ("viewer", Some(token("acme", Role::Viewer, 60)), Some(Role::Viewer), 0),
        ("operator", Some(token("acme", Role::Operator, 60)), Some(Role::Operator), 0),
        ("admin", Some(token("acme", Role::Admin, 60)), Some(Role::Admin), 0),
        ("break-glass", Some(break_glass.clone()), Some(Role::Admin), 0),
    ];
    let host = Arc::new(StubHost(tokio::sync::broadcast::channel(4).0));
    let options = HostApiOptions {
        customer_id: "acme".to_owned(),
        admin_token: break_glass,
        console_public_key: Some(console.public_pem().as_bytes().to_vec()),
        console_keys_file: None,
        audit_file: None,
        rate_limit: 100_000,
        clock: voicefleet_core::clock::system(),
    };
    let router = voicefleet_http::host::router(host, options).unwrap();
    let (failures, checked) = matrix(router, HOST_ROUTES, &callers).await;
    assert!(checked > 150, "only {checked} checks");
    assert!(failures.is_empty(), "{failures:#?}");
    let open: Vec<&str> = HOST_ROUTES.iter().filter(|r| r.role.is_none()).map(|r| r.path).collect();
    assert_eq!(open, ["/v1/health", "/v1/openapi.json"]);
}
