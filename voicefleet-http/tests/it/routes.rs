//! The console server on loopback: login, slowdown and tokens; the OpenAPI document and the error
//! shape; alert webhooks; live updates.

use serde_json::Value;
use voicefleet_core::auth::Role;
use voicefleet_http::ConsoleClient;

use crate::TestConsole;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_lockout_rate_limit_and_tokens() {
    let mut console = TestConsole::start().await;
    let anonymous = ConsoleClient::new(&console.url, None).unwrap();
    let admin = ConsoleClient::new(
        &console.url,
        Some(anonymous.login("admin", &console.admin_password).await.unwrap().token),
    )
    .unwrap();
    admin.add_user("alice", Role::Operator, "alice's long password").await.unwrap();
    for _ in 0..5 {
        let error = anonymous.login("alice", "wrong password!!").await.unwrap_err();
        assert_eq!(error.kind(), voicefleet_core::ErrorKind::Unauthorized);
    }
    // This address is slowed down for alice (other addresses are not: see core's login tests).
    let slowed = anonymous.login("alice", "alice's long password").await.unwrap_err();
    assert!(slowed.to_string().contains("too many failed logins"), "{slowed}");
    // An admin resets the password, which clears the slowdown.
    admin.set_password("alice", "a brand new password", None).await.unwrap();
    let alice = anonymous.login("alice", "a brand new password").await.unwrap();
    assert_eq!(alice.role, Role::Operator);
    // Failed logins are audited.
    let audit: Value = reqwest::Client::new()
        .get(format!("{}/v1/audit?limit=1000", console.url))
        .bearer_auth(anonymous.login("admin", &console.admin_password).await.unwrap().token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let failed = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "login" && e["outcome"].as_str().unwrap().starts_with("failed"))
        .count();
    assert!(failed >= 6, "{failed} failed logins audited");
    // API tokens: shown once, work, listed without the secret, revocable.
    let created = admin.create_token("ci", Role::Viewer, Some(3600)).await.unwrap();
    let secret = created.token.clone().unwrap();
    assert!(secret.starts_with("vft_"));
    let ci = ConsoleClient::new(&console.url, Some(secret.clone())).unwrap();
    assert_eq!(ci.whoami().await.unwrap().role, Role::Viewer);
    let listed = admin.tokens().await.unwrap();
    assert!(listed.iter().all(|t| t.token.is_none()));
    admin.revoke_token(&created.id).await.unwrap();
    assert_eq!(ci.whoami().await.unwrap_err().kind(), voicefleet_core::ErrorKind::Unauthorized);
    // Removing a user invalidates their login token.
    let bob_admin = admin.clone();
    bob_admin.add_user("bob", Role::Admin, "bob's long password").await.unwrap();
    let bob = ConsoleClient::new(
        &console.url,
        Some(anonymous.login("bob", "bob's long password").await.unwrap().token),
    )
    .unwrap();
    admin.remove_user("bob").await.unwrap();
    assert_eq!(bob.whoami().await.unwrap_err().kind(), voicefleet_core::ErrorKind::Unauthorized);
    // Per address: more than 20 attempts a minute get 429.
    let mut limited = false;
    for _ in 0..25 {
        if let Err(error) = anonymous.login("nobody", "whatever password").await {
            limited |= error.kind() == voicefleet_core::ErrorKind::Unavailable
                && error.to_string().contains("too many");
        }
    }
    assert!(limited, "login attempts are rate limited per address");

    console.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_snapshot_and_error_shape() {
    let mut console = TestConsole::start().await;
    let document: Value =
        reqwest::get(format!("{}/v1/openapi.json", console.url)).await.unwrap().json().await.unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    // The served document is the generated one (snapshotted in openapi.rs).
    assert_eq!(document, voicefleet_http::console::openapi_document());
    let response = reqwest::Client::new()
        .get(format!("{}/v1/customers", console.url))
        .header("x-request-id", "req-42")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["x-request-id"], "req-42");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["kind"], "unauthorized");
    assert!(body["error"]["hint"].as_str().unwrap().contains("login"));
    console.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_reach_the_webhook_with_retries() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let hook = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/alerts"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&hook)
        .await;
    Mock::given(method("POST"))
        .and(path("/alerts"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&hook)
        .await;
    let dir = crate::scratch();
    let mut options = voicefleet_http::ServeOptions::new(dir.path().join("data"));
    options.listen = ([127, 0, 0, 1], 0).into();
    options.admin_password = Some(crate::ADMIN_PASSWORD.into());
    options.refresh_interval = std::time::Duration::from_millis(200);
    options.host_timeout = std::time::Duration::from_millis(300);
    options.alert_webhook = Some(format!("{}/alerts", hook.uri()));
    let server = voicefleet_http::ConsoleServer::start(options).await.unwrap();
    let url = format!("http://{}", server.local_addr());
    let client = ConsoleClient::new(
        &url,
        Some(
            ConsoleClient::new(&url, None)
                .unwrap()
                .login("admin", crate::ADMIN_PASSWORD)
                .await
                .unwrap()
                .token,
        ),
    )
    .unwrap();
    use voicefleet_core::console::Fleet as _;
    let actor = voicefleet_core::console::Actor::new("x", Role::Admin);
    client
        .add_customer(
            &actor,
            voicefleet_core::console::NewCustomer {
                id: "gone".into(),
                name: String::new(),
                endpoint: crate::down_endpoint(),
                tags: vec![],
                trust: Default::default(),
            },
        )
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let received = loop {
        let requests = hook.received_requests().await.unwrap();
        if requests.len() >= 2 {
            break requests;
        }
        assert!(std::time::Instant::now() < deadline, "the webhook got {} requests", requests.len());
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let body: Value = serde_json::from_slice(&received[1].body).unwrap();
    assert_eq!(body["type"], "alert.firing");
    assert_eq!(
        (body["alert"]["customer_id"].as_str(), body["alert"]["rule"].as_str()),
        (Some("gone"), Some("unreachable"))
    );
    let alerts = client.alerts(&actor, false).await.unwrap();
    assert!(alerts.iter().any(|a| a.rule == "unreachable" && a.firing));
    server.shutdown().await;
    assert!(
        voicefleet_http::WebhookNotifier::new("http://hooks.example.com/x", 1, std::time::Duration::ZERO)
            .is_err(),
        "plain http off loopback"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_updates_arrive_as_server_sent_events() {
    let mut console = TestConsole::start().await;
    let token = ConsoleClient::new(&console.url, None)
        .unwrap()
        .login("admin", &console.admin_password)
        .await
        .unwrap()
        .token;
    let client = ConsoleClient::new(&console.url, Some(token.clone())).unwrap();
    let mut events = reqwest::Client::new()
        .get(format!("{}/v1/events", console.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), 200);
    assert_eq!(events.headers()["content-type"], "text/event-stream");
    use voicefleet_core::console::Fleet as _;
    let actor = voicefleet_core::console::Actor::new("x", Role::Admin);
    client
        .add_customer(
            &actor,
            voicefleet_core::console::NewCustomer {
                id: "gone".into(),
                name: String::new(),
                endpoint: crate::down_endpoint(),
                tags: vec![],
                trust: Default::default(),
            },
        )
        .await
        .unwrap();
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    while !(text.contains("\"status_changed\"") && text.contains("\"alert\"")) {
        let chunk = tokio::time::timeout_at(deadline, events.chunk())
            .await
            .expect("no live update arrived")
            .unwrap()
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(text.contains("event: fleet") || text.contains("event:fleet"), "{text}");
    assert!(text.contains("\"to\":\"unreachable\""), "{text}");
    console.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numbers_from_a_request_are_bounded_never_a_500() {
    let console = TestConsole::start().await;
    let anonymous = ConsoleClient::new(&console.url, None).unwrap();
    let token = anonymous.login("admin", &console.admin_password).await.unwrap().token;
    let http = reqwest::Client::new();
    let max = u64::MAX.to_string();
    // A cursor past SQLite's integers reads nothing.
    let response = http
        .get(format!("{}/v1/audit?after={max}&limit={max}", console.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    assert!(status == 200 || status == 400, "{status}: {}", response.text().await.unwrap());
    // A token lifetime that would overflow: refused in the error shape, nothing created.
    for seconds in [u64::MAX, 0] {
        let response = http
            .post(format!("{}/v1/tokens", console.url))
            .bearer_auth(&token)
            .json(&serde_json::json!({"name": "forever", "role": "viewer", "expires_in_seconds": seconds}))
            .send()
            .await
            .unwrap();
        assert!(matches!(response.status().as_u16(), 400 | 422), "{seconds}: {}", response.status());
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["kind"], "invalid_input", "{body}");
    }
    let admin = ConsoleClient::new(&console.url, Some(token)).unwrap();
    assert!(admin.tokens().await.unwrap().iter().all(|t| t.name != "forever"));
    // A login body is capped at 4 KiB: a 64 KiB name is refused before it is parsed. (The body
    // stays small enough to fit the loopback socket's buffers: the server answers 413 without
    // reading the rest, and a body larger than the buffers could meet a closed socket mid-write.)
    let response = http
        .post(format!("{}/v1/auth/login", console.url))
        .json(&serde_json::json!({"name": "x".repeat(64 * 1024), "password": "p"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 413);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["kind"], "invalid_input", "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_die_with_their_reason() {
    use voicefleet_core::ErrorKind;
    let mut console = TestConsole::start().await;
    let anonymous = ConsoleClient::new(&console.url, None).unwrap();
    let url = console.url.clone();
    let login = |name: &str, password: &str| {
        let (anonymous, url, name, password) =
            (anonymous.clone(), url.clone(), name.to_owned(), password.to_owned());
        async move {
            ConsoleClient::new(&url, Some(anonymous.login(&name, &password).await.unwrap().token)).unwrap()
        }
    };
    let admin = login("admin", &console.admin_password).await;

    // Deleting a user revokes the API tokens they created, not only their login.
    admin.add_user("carol", Role::Admin, "carol's long password").await.unwrap();
    let carol = login("carol", "carol's long password").await;
    let created = carol.create_token("carols-ci", Role::Viewer, Some(3600)).await.unwrap();
    let carols_ci = ConsoleClient::new(&console.url, created.token.clone()).unwrap();
    assert_eq!(carols_ci.whoami().await.unwrap().role, Role::Viewer);
    admin.remove_user("carol").await.unwrap();
    assert_eq!(carol.whoami().await.unwrap_err().kind(), ErrorKind::Unauthorized);
    assert_eq!(carols_ci.whoami().await.unwrap_err().kind(), ErrorKind::Unauthorized);
    let listed = admin.tokens().await.unwrap();
    assert!(listed.iter().any(|t| t.id == created.id && t.revoked), "{listed:?}");

    // Changing your own password needs the current one, and ends your earlier logins.
    admin.add_user("dave", Role::Operator, "dave's long password").await.unwrap();
    let dave = login("dave", "dave's long password").await;
    let missing = dave.set_password("dave", "dave's new password", None).await.unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::InvalidInput, "{missing}");
    assert!(missing.to_string().contains("current password"), "{missing}");
    let wrong = dave.set_password("dave", "dave's new password", Some("not my password")).await.unwrap_err();
    assert_eq!(wrong.kind(), ErrorKind::Unauthorized, "{wrong}");
    assert!(anonymous.login("dave", "dave's new password").await.is_err(), "unchanged after a refusal");
    // Logins are dated to the second: the change comes in a later second than the login.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    dave.set_password("dave", "dave's new password", Some("dave's long password")).await.unwrap();
    let ended = dave.whoami().await.unwrap_err();
    assert_eq!(ended.kind(), ErrorKind::Unauthorized);
    assert!(ended.to_string().contains("changed their password"), "{ended}");
    let dave = login("dave", "dave's new password").await;
    assert_eq!(dave.whoami().await.unwrap().name, "dave");
    // An operator cannot set another user's password; an admin can, without the current one,
    // and that ends the user's logins too.
    let denied = dave.set_password("admin", "taken over password", None).await.unwrap_err();
    assert_eq!(denied.kind(), ErrorKind::Forbidden, "{denied}");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    admin.set_password("dave", "dave's third password", None).await.unwrap();
    assert_eq!(dave.whoami().await.unwrap_err().kind(), ErrorKind::Unauthorized);
    // Audited: the refused attempt and the changes.
    let audit: Value = reqwest::Client::new()
        .get(format!("{}/v1/audit?limit=1000", console.url))
        .bearer_auth(anonymous.login("admin", &console.admin_password).await.unwrap().token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let outcomes: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "user.password" && e["target"] == "dave")
        .map(|e| e["outcome"].as_str().unwrap())
        .collect();
    assert!(outcomes.contains(&"denied: wrong current password"), "{outcomes:?}");
    assert_eq!(outcomes.iter().filter(|o| **o == "ok").count(), 2, "{outcomes:?}");

    console.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_logins_and_denials_over_the_threshold_raise_the_security_alert() {
    let mut console = TestConsole::start().await;
    let anonymous = ConsoleClient::new(&console.url, None).unwrap();
    let admin_token = anonymous.login("admin", &console.admin_password).await.unwrap().token;
    let admin = ConsoleClient::new(&console.url, Some(admin_token.clone())).unwrap();
    let security = |alerts: &Value| {
        alerts["items"]
            .as_array()
            .unwrap_or_else(|| panic!("a page of alerts: {alerts}"))
            .iter()
            .find(|a| a["rule"] == "security" && a["customer_id"] == "voicefleet-console")
            .cloned()
    };
    let alerts = || async {
        reqwest::Client::new()
            .get(format!("{}/v1/alerts", console.url))
            .bearer_auth(&admin_token)
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };
    // A few failures stay under the threshold (10 in 5 minutes).
    for _ in 0..3 {
        anonymous.login("admin", "a wrong password").await.unwrap_err();
    }
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    assert_eq!(security(&alerts().await), None);
    // A viewer probing admin routes and more failed logins: over it, within a refresh or two.
    admin.add_user("eve", Role::Viewer, "eve's long password").await.unwrap();
    let eve = ConsoleClient::new(
        &console.url,
        Some(anonymous.login("eve", "eve's long password").await.unwrap().token),
    )
    .unwrap();
    for _ in 0..6 {
        assert!(eve.tokens().await.is_err());
    }
    for _ in 0..3 {
        anonymous.login("eve", "not eve's password").await.unwrap_err();
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let alert = loop {
        if let Some(alert) = security(&alerts().await) {
            break alert;
        }
        assert!(std::time::Instant::now() < deadline, "no security alert");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(alert["firing"], true, "{alert}");
    // Counted when the pass ran: at least 11 of the 12 events, as failed logins and denials.
    let message = alert["message"].as_str().unwrap();
    let counts: Vec<usize> = message.split_whitespace().filter_map(|word| word.parse().ok()).collect();
    assert!(message.contains("failed logins and") && message.contains("denied requests"), "{message}");
    assert!(counts[0] >= 3 && counts[1] >= 1 && counts[0] + counts[1] > 10, "{message}");
    console.stop().await;
}
