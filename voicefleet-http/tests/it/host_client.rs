//! `AgentClient` against a mock server: timeouts, retries, 429, 5xx, malformed bodies, and the
//! host API version read from `/v1/health` before anything else.

use std::time::Duration;

use serde_json::json;
use voicefleet_core::ErrorKind;
use voicefleet_core::host::Host;
use voicefleet_http::{AgentClient, AgentClientOptions, TokenSource};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn client(server: &MockServer) -> AgentClient {
    let options = AgentClientOptions {
        timeout: Duration::from_millis(300),
        retries: 2,
        retry_backoff: Duration::from_millis(10),
    };
    AgentClient::new(&server.uri(), TokenSource::Static("t0ken".into()), options).unwrap()
}

/// A mock host agent that speaks this client's host API (its health says so).
async fn host() -> MockServer {
    host_speaking(
        json!({"status": "ok", "version": "0.1.0", "api_version": voicefleet_http::HOST_API_VERSION}),
    )
    .await
}

async fn host_speaking(health: serde_json::Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/health"))
        .respond_with(ResponseTemplate::new(200).set_body_json(health))
        .mount(&server)
        .await;
    server
}

/// Requests the server received for `route`.
async fn requests_to(server: &MockServer, route: &str) -> usize {
    server.received_requests().await.unwrap().iter().filter(|r| r.url.path() == route).count()
}

fn status_body() -> serde_json::Value {
    json!({"customer_id": "acme", "state": "running", "pid": 42, "uptime_seconds": 1.5, "restarts": 0,
           "consecutive_failures": 0, "next_restart_in_ms": null, "last_exit": null, "resources": null,
           "calls": {"active_calls": 0, "calls_total": 0, "errors_total": 0, "malformed_events": 0, "error_rate_5m": 0.0,
                     "disconnect_reasons": {}, "latency_5m": {}, "latency_1h": {}},
           "config": null})
}

#[tokio::test]
async fn sends_the_token_and_parses_status() {
    let server = host().await;
    Mock::given(method("GET"))
        .and(path("/v1/status"))
        .and(header("authorization", "Bearer t0ken"))
        .respond_with(ResponseTemplate::new(200).set_body_json(status_body()))
        .expect(1)
        .mount(&server)
        .await;
    let status = client(&server).status().await.unwrap();
    assert_eq!((status.pid, status.state.as_str()), (Some(42), "running"));
}

#[tokio::test]
async fn idempotent_reads_retry_5xx_and_429() {
    let server = host().await;
    Mock::given(method("GET"))
        .and(path("/v1/status"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/status"))
        .respond_with(ResponseTemplate::new(429))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/status"))
        .respond_with(ResponseTemplate::new(200).set_body_json(status_body()))
        .mount(&server)
        .await;
    assert_eq!(client(&server).status().await.unwrap().pid, Some(42));
    assert_eq!(requests_to(&server, "/v1/status").await, 3);
}

#[tokio::test]
async fn persistent_failure_is_unavailable_after_the_retries() {
    let server = host().await;
    Mock::given(method("GET"))
        .and(path("/v1/status"))
        .respond_with(ResponseTemplate::new(500).set_body_string("boom"))
        .mount(&server)
        .await;
    let error = client(&server).status().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert_eq!(requests_to(&server, "/v1/status").await, 3);
}

#[tokio::test]
async fn control_requests_are_never_retried() {
    let server = host().await;
    Mock::given(method("POST"))
        .and(path("/v1/agent/restart"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&server)
        .await;
    let error = client(&server).restart(Default::default()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert_eq!(requests_to(&server, "/v1/agent/restart").await, 1);
}

#[tokio::test]
async fn timeouts_are_unavailable() {
    let server = host().await;
    Mock::given(method("GET"))
        .and(path("/v1/status"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(status_body()).set_delay(Duration::from_secs(2)),
        )
        .mount(&server)
        .await;
    let started = std::time::Instant::now();
    let error = client(&server).status().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert!(error.to_string().contains("timed out"), "{error}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn malformed_bodies_and_error_bodies() {
    let server = host().await;
    Mock::given(method("GET"))
        .and(path("/v1/status"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{not json"))
        .mount(&server)
        .await;
    Mock::given(method("PUT")).and(path("/v1/config")).respond_with(ResponseTemplate::new(422).set_body_json(json!({
        "error": {"kind": "invalid_input", "message": "configuration is invalid", "issues": [
            {"path": "version", "code": "out_of_range", "severity": "error", "message": "must be 1, got 2"}]}
    }))).mount(&server).await;
    Mock::given(method("GET"))
        .and(path("/v1/secrets"))
        .respond_with(ResponseTemplate::new(403).set_body_string("<html>nope</html>"))
        .mount(&server)
        .await;
    let client = client(&server);
    let error = client.status().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert!(error.to_string().contains("malformed"), "{error}");
    let document = voicefleet_core::config::template("default").unwrap();
    let error = client.apply_config(document, Default::default()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert_eq!(error.issues()[0].code, "out_of_range");
    assert_eq!(client.secret_names().await.unwrap_err().kind(), ErrorKind::Forbidden);
}

#[tokio::test]
async fn connection_refused_is_unavailable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let options = AgentClientOptions {
        timeout: Duration::from_millis(300),
        retries: 1,
        retry_backoff: Duration::from_millis(5),
    };
    let client =
        AgentClient::new(&format!("http://127.0.0.1:{port}"), TokenSource::Static("x".into()), options)
            .unwrap();
    let error = client.status().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert!(error.to_string().contains("could not connect"), "{error}");
}

#[tokio::test]
async fn a_host_speaking_another_api_version_is_reported_and_never_read() {
    let server = host_speaking(json!({"status": "ok", "version": "9.1.0", "api_version": 99})).await;
    Mock::given(method("GET"))
        .and(path("/v1/status"))
        .respond_with(ResponseTemplate::new(200).set_body_json(status_body()))
        .mount(&server)
        .await;
    let client = client(&server);
    let error = client.status().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert!(
        matches!(&error, voicefleet_core::Error::IncompatibleHost { agent_version, host_api: 99, supported: 1 }
            if agent_version == "9.1.0"),
        "{error:?}"
    );
    assert_eq!(error.to_string(), "host agent 9.1.0 speaks host API v99; this console speaks v1");
    assert!(error.hint().unwrap().starts_with("upgrade the console"), "{:?}", error.hint());
    // Nothing else is asked of it: not a status, not a control request.
    assert!(client.restart(Default::default()).await.is_err());
    assert_eq!(requests_to(&server, "/v1/status").await, 0);
    assert_eq!(requests_to(&server, "/v1/agent/restart").await, 0);
}

#[tokio::test]
async fn the_version_is_read_once_and_again_after_a_failure() {
    let server = host().await;
    Mock::given(method("GET"))
        .and(path("/v1/status"))
        .respond_with(ResponseTemplate::new(200).set_body_json(status_body()))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/status"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{not json"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/status"))
        .respond_with(ResponseTemplate::new(200).set_body_json(status_body()))
        .mount(&server)
        .await;
    let client = client(&server);
    // The status of a host agent that does not say its version takes its health's.
    let status = client.status().await.unwrap();
    assert_eq!(status.agent_version.as_deref(), Some("0.1.0"));
    client.status().await.unwrap();
    assert_eq!(requests_to(&server, "/v1/health").await, 1);
    // An answer it cannot read: perhaps another release now, so the version is read again.
    assert!(client.status().await.is_err());
    client.status().await.unwrap();
    assert_eq!(requests_to(&server, "/v1/health").await, 2);
}

#[tokio::test]
async fn a_host_from_before_api_versions_speaks_version_one() {
    let server = host_speaking(json!({"status": "ok", "version": "0.0.9"})).await;
    Mock::given(method("GET"))
        .and(path("/v1/status"))
        .respond_with(ResponseTemplate::new(200).set_body_json(status_body()))
        .mount(&server)
        .await;
    assert_eq!(client(&server).compatible().await.unwrap(), "0.0.9");
}
