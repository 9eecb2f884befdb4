//! `AgentClient` against a mock server: timeouts, retries, 429, 5xx, malformed bodies.

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

fn status_body() -> serde_json::Value {
    json!({"customer_id": "acme", "state": "running", "pid": 42, "uptime_seconds": 1.5, "restarts": 0,
           "consecutive_failures": 0, "next_restart_in_ms": null, "last_exit": null, "resources": null,
           "calls": {"active_calls": 0, "calls_total": 0, "errors_total": 0, "malformed_events": 0, "error_rate_5m": 0.0,
                     "disconnect_reasons": {}, "latency_5m": {}, "latency_1h": {}},
           "config": null})
}

#[tokio::test]
async fn sends_the_token_and_parses_status() {
    let server = MockServer::start().await;
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
    let server = MockServer::start().await;
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
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn persistent_failure_is_unavailable_after_the_retries() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/status"))
        .respond_with(ResponseTemplate::new(500).set_body_string("boom"))
        .mount(&server)
        .await;
    let error = client(&server).status().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn control_requests_are_never_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/agent/restart"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&server)
        .await;
    let error = client(&server).restart(Default::default()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn timeouts_are_unavailable() {
    let server = MockServer::start().await;
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
    let server = MockServer::start().await;
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
