//! Every route × every kind of caller.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Method;
use serde_json::{Value, json};
use voicefleet_core::auth::{Claims, Role};

use crate::{TestHost, now_seconds, token};

/// (method, path, body, the role it needs; None = no token needed).
fn routes() -> Vec<(Method, &'static str, Option<Value>, Option<Role>)> {
    vec![
        (Method::GET, "/v1/health", None, None),
        (Method::GET, "/v1/ready", None, Some(Role::Viewer)),
        (Method::GET, "/v1/status", None, Some(Role::Viewer)),
        (Method::GET, "/v1/metrics/history?since=5m", None, Some(Role::Viewer)),
        (Method::GET, "/metrics", None, Some(Role::Viewer)),
        (Method::GET, "/v1/config", None, Some(Role::Viewer)),
        (Method::GET, "/v1/events", None, Some(Role::Viewer)),
        (Method::POST, "/v1/config/validate", Some(json!({"version": 1})), Some(Role::Operator)),
        (Method::GET, "/v1/secrets", None, Some(Role::Operator)),
        (Method::POST, "/v1/agent/stop", Some(json!({"drain_timeout_seconds": 0})), Some(Role::Operator)),
        (Method::GET, "/v1/logs?tail=1", None, Some(Role::Operator)),
        (Method::GET, "/v1/logs/follow", None, Some(Role::Operator)),
        (Method::PUT, "/v1/config", Some(json!({"config": {}})), Some(Role::Admin)),
        (Method::PATCH, "/v1/config", Some(json!({"operations": []})), Some(Role::Admin)),
        (Method::PUT, "/v1/secrets/some_secret", Some(json!({"value": ""})), Some(Role::Admin)),
        (Method::DELETE, "/v1/secrets/never_set", None, Some(Role::Admin)),
    ]
}

fn forged() -> String {
    // Right claims, wrong key.
    let other = ed25519_dalek::SigningKey::generate(&mut rand_core::OsRng);
    let pem = ed25519_dalek::pkcs8::EncodePrivateKey::to_pkcs8_pem(&other, Default::default()).unwrap();
    let claims = Claims {
        sub: "mallory".into(),
        aud: "acme".into(),
        role: Role::Admin,
        exp: now_seconds() + 60,
        iat: now_seconds(),
        iss: String::new(),
    };
    jsonwebtoken::encode(
        &Header::new(Algorithm::EdDSA),
        &claims,
        &EncodingKey::from_ed_pem(pem.as_bytes()).unwrap(),
    )
    .unwrap()
}

fn hs256() -> String {
    let claims = Claims {
        sub: "mallory".into(),
        aud: "acme".into(),
        role: Role::Admin,
        exp: now_seconds() + 60,
        iat: now_seconds(),
        iss: String::new(),
    };
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(b"guess"))
        .unwrap()
}

fn alg_none() -> String {
    use std::fmt::Write as _;
    let encode = |value: &Value| {
        let bytes = value.to_string().into_bytes();
        const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk.iter().enumerate().fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
            for i in 0..=chunk.len() {
                let _ = write!(out, "{}", TABLE[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    };
    format!(
        "{}.{}.",
        encode(&json!({"alg": "none", "typ": "JWT"})),
        encode(&json!({"sub": "x", "aud": "acme", "role": "admin", "exp": now_seconds() + 60}))
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_checks_its_role() {
    let mut host = TestHost::start("acme").await;
    let http = reqwest::Client::new();
    let callers: Vec<(&str, Option<String>, Option<Role>, u16)> = vec![
        ("no token", None, None, 401),
        ("expired", Some(token("acme", Role::Admin, -60)), None, 401),
        ("wrong audience", Some(token("globex", Role::Admin, 60)), None, 403),
        ("forged", Some(forged()), None, 401),
        ("hs256", Some(hs256()), None, 401),
        ("alg none", Some(alg_none()), None, 401),
        ("garbage", Some("not-a-token".into()), None, 401),
        ("viewer", Some(token("acme", Role::Viewer, 60)), Some(Role::Viewer), 0),
        ("operator", Some(token("acme", Role::Operator, 60)), Some(Role::Operator), 0),
        ("admin", Some(token("acme", Role::Admin, 60)), Some(Role::Admin), 0),
        ("break-glass", Some(host.admin_token()), Some(Role::Admin), 0),
    ];
    let mut failures = Vec::new();
    for (method, path, body, needed) in routes() {
        for (caller, bearer, role, refused_with) in &callers {
            let mut request = http.request(method.clone(), format!("{}{path}", host.url()));
            if let Some(bearer) = bearer {
                request = request.bearer_auth(bearer);
            }
            if let Some(body) = &body {
                request = request.json(body);
            }
            let status = request.send().await.unwrap().status().as_u16();
            let expected_ok = match (needed, role) {
                (None, _) => true,
                (Some(needed), Some(role)) => role.allows(needed),
                (Some(_), None) => false,
            };
            let ok = if expected_ok {
                status != 401 && status != 403
            } else if role.is_some() {
                status == 403
            } else {
                status == *refused_with
            };
            if !ok {
                failures.push(format!("{method} {path} as {caller}: {status}"));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    host.daemon.take().unwrap().shutdown().await.unwrap();
}
