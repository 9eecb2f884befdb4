//! End to end on loopback with the HTTP API itself.

use std::time::Duration;

use serde_json::{Value, json};
use voicefleet_core::auth::Role;

use crate::{SECRETS, TestHost, eventually, simulated_config, token};

pub(crate) struct Api {
    pub(crate) base: String,
    pub(crate) token: String,
    pub(crate) http: reqwest::Client,
}

impl Api {
    pub(crate) async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.base)).bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    /// The host's Prometheus exposition (`GET /metrics`).
    pub(crate) async fn metrics(&self) -> String {
        let response =
            self.http.get(format!("{}/metrics", self.base)).bearer_auth(&self.token).send().await.unwrap();
        assert_eq!(response.status(), 200);
        response.text().await.unwrap()
    }
}

/// The value of the first sample in `metrics` whose line starts with `prefix` and contains
/// `contains` (a label, or "" for any).
pub(crate) fn sample(metrics: &str, prefix: &str, contains: &str) -> Option<f64> {
    let line = metrics.lines().find(|line| line.starts_with(prefix) && line.contains(contains))?;
    line.rsplit(' ').next()?.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_configs_restart_and_follow_logs_without_a_gap() {
    let mut host = TestHost::start("acme").await;
    let api = Api { base: host.url(), token: token("acme", Role::Admin, 300), http: reqwest::Client::new() };
    use reqwest::Method;

    for name in SECRETS {
        let (status, _) =
            api.call(Method::PUT, &format!("/v1/secrets/{name}"), Some(json!({"value": "v"}))).await;
        assert_eq!(status, 204);
    }
    let config = simulated_config(
        json!({"ready_delay_ms": 20, "call_interval_ms": 50, "call_duration_ms": 200, "turn_interval_ms": 50, "flood_lines_per_second": 200}),
    );
    let (status, body) = api
        .call(Method::PUT, "/v1/config", Some(json!({"config": config.as_value(), "message": "first"})))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["revision"]["revision"], 1);
    let (status, body) = api.call(Method::POST, "/v1/agent/start", None).await;
    assert_eq!((status, body["state"].as_str()), (200, Some("running")), "{body}");
    let pid = body["pid"].as_i64().unwrap();

    // Read status with the numbers the console shows.
    let (_, status_body) = api.call(Method::GET, "/v1/status", None).await;
    for key in ["state", "pid", "uptime_seconds", "restarts", "calls", "config", "last_exit"] {
        assert!(status_body.get(key).is_some(), "{key} missing from {status_body}");
    }
    assert_eq!(status_body["config"]["hash"], config.content_hash());

    // Follow the logs from the start, across a restart.
    let follow = api
        .http
        .get(format!("{}/v1/logs/follow?cursor=0", api.base))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(follow.status(), 200);
    let mut stream = follow;

    // An invalid document: 422 with every issue; nothing changes on disk or in the agent.
    let on_disk = std::fs::read(host.state().join("config.json")).unwrap();
    let mut invalid = config.as_value();
    invalid["agent_settings"]["llm"]["temperature"] = json!(5);
    invalid["telephony"]["numbers"] = json!(["12345"]);
    let (status, body) = api.call(Method::PUT, "/v1/config", Some(json!({"config": invalid}))).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["kind"], "invalid_input");
    assert_eq!(body["error"]["issues"].as_array().unwrap().len(), 2, "{body}");
    assert_eq!(std::fs::read(host.state().join("config.json")).unwrap(), on_disk);
    let (_, after) = api.call(Method::GET, "/v1/status", None).await;
    assert_eq!((after["pid"].as_i64(), after["config"]["revision"].as_u64()), (Some(pid), Some(1)));

    // A valid change: applied, revision 2 (a runtime change: drain-restart).
    let (status, body) = api.call(Method::PATCH, "/v1/config", Some(json!({"operations": [{"op": "set", "path": "runtime.max_concurrent_calls", "value": 5}], "message": "fewer calls"}))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["revision"]["revision"].as_u64(), body["action"].as_str()),
        (Some(2), Some("restarted"))
    );
    let (_, config_body) = api.call(Method::GET, "/v1/config", None).await;
    assert_eq!(config_body["config"]["runtime"]["max_concurrent_calls"], 5);

    // An explicit restart too.
    eventually("running after the config restart", Duration::from_secs(10), async || {
        let (_, s) = api.call(Method::GET, "/v1/status", None).await;
        (s["state"] == "running").then_some(())
    })
    .await;
    let (status, body) =
        api.call(Method::POST, "/v1/agent/restart", Some(json!({"drain_timeout_seconds": 2}))).await;
    assert_eq!(status, 200, "{body}");
    let new_pid = body["pid"].as_i64().unwrap();
    assert_ne!(new_pid, pid);

    // The followed stream saw every line: contiguous ids across both restarts.
    let (_, tail) = api.call(Method::GET, "/v1/logs?tail=1", None).await;
    let last = tail["next_cursor"].as_u64().unwrap();
    let mut ids = Vec::new();
    let mut buffer = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while ids.last().is_none_or(|id| *id < last) {
        let chunk = tokio::time::timeout_at(deadline, stream.chunk())
            .await
            .expect("follow stalled")
            .unwrap()
            .unwrap();
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let event: String = buffer.drain(..end + 2).collect();
            if let Some(id) = event.lines().find_map(|line| line.strip_prefix("id:")) {
                ids.push(id.trim().parse::<u64>().unwrap());
            }
        }
    }
    assert_eq!(ids[0], 1);
    assert!(ids.windows(2).all(|w| w[1] == w[0] + 1), "a gap in followed sequence numbers");

    // Resuming with Last-Event-ID continues right after it.
    let resumed = api
        .http
        .get(format!("{}/v1/logs/follow", api.base))
        .bearer_auth(&api.token)
        .header("Last-Event-ID", "3")
        .send()
        .await
        .unwrap();
    let mut resumed = resumed;
    let mut text = String::new();
    while !text.contains("\n\n") {
        text.push_str(&String::from_utf8_lossy(&resumed.chunk().await.unwrap().unwrap()));
    }
    assert!(text.contains("id: 4") || text.contains("id:4"), "{text}");

    // Host metrics for Prometheus, labelled by customer.
    let metrics = api.metrics().await;
    assert!(metrics.contains("voicefleet_agent_up{customer=\"acme\"} 1.0"), "{metrics}");
    assert!(metrics.contains("voicefleet_agent_state{customer=\"acme\",state=\"running\"} 1.0"), "{metrics}");
    assert!(metrics.contains("# TYPE voicefleet_calls_total counter"), "{metrics}");
    assert!(metrics.contains("# TYPE voicefleet_turn_latency_seconds histogram"), "{metrics}");
    // Turns were observed: the e2e histogram's +Inf bucket counts them.
    let observed = sample(&metrics, "voicefleet_turn_latency_seconds_count{", "stage=\"e2e\"").unwrap_or(0.0);
    assert!(observed > 0.0, "{metrics}");
    voicefleet_tests::promtool_check(&metrics);

    // The daemon wires its break-glass token and the console's key: both are admitted, another
    // customer's token is not (every route and caller: voicefleet-http's role matrix).
    for (bearer, expected) in [
        (host.admin_token(), 200),
        (token("acme", Role::Viewer, 60), 200),
        (token("globex", Role::Admin, 60), 403),
    ] {
        let response =
            api.http.get(format!("{}/v1/status", api.base)).bearer_auth(bearer).send().await.unwrap();
        assert_eq!(response.status(), expected);
    }

    // Request ids are echoed.
    let response = api
        .http
        .get(format!("{}/v1/health", api.base))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "abc-123");
    host.daemon.take().unwrap().shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_are_capped_and_floods_get_429() {
    let dir = voicefleet_tests::TempDir::new().unwrap();
    let mut settings = crate::settings(dir.path(), "acme", 0);
    settings.rate_limit = 5;
    let daemon = voicefleet_agent::Daemon::start(settings).await.unwrap();
    let base = format!("http://{}", daemon.local_addr());
    let http = reqwest::Client::new();
    let admin = token("acme", Role::Admin, 60);
    let big = json!({"config": {"extensions": {"blob": "x".repeat(1024 * 1024 + 10)}}});
    let response = http.put(format!("{base}/v1/config")).bearer_auth(&admin).json(&big).send().await.unwrap();
    assert!(response.status() == 400 || response.status() == 413, "{}", response.status());
    let mut statuses = Vec::new();
    for _ in 0..30 {
        statuses.push(http.get(format!("{base}/v1/health")).send().await.unwrap().status().as_u16());
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    let limited = http.get(format!("{base}/v1/health")).send().await.unwrap();
    assert_eq!(limited.status(), 429);
    let body: Value = limited.json().await.unwrap();
    assert_eq!(body["error"]["message"], "too many requests");
    daemon.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_tls_when_given_a_certificate() {
    let dir = voicefleet_tests::TempDir::new().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(made.success(), "openssl could not make a test certificate");
    let mut settings = crate::settings(dir.path(), "acme", 0);
    settings.tls = Some((cert.clone(), key.clone()));
    let daemon = voicefleet_agent::Daemon::start(settings).await.unwrap();
    // The test certificate is self-signed: trust it for this client only.
    let https = reqwest::Client::builder().danger_accept_invalid_certs(true).build().unwrap();
    let url = format!("https://127.0.0.1:{}/v1/health", daemon.local_addr().port());
    let response = https.get(&url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    // Plain HTTP to the TLS port gets no answer.
    let plain = reqwest::get(format!("http://127.0.0.1:{}/v1/health", daemon.local_addr().port())).await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());
    daemon.shutdown().await.unwrap();

    // A bad certificate path is refused at start, with the paths named.
    let mut settings = crate::settings(dir.path(), "acme", 0);
    settings.tls = Some((dir.path().join("missing.pem"), key));
    let error = voicefleet_agent::Daemon::start(settings).await.unwrap_err();
    assert!(format!("{error:#}").contains("missing.pem"), "{error:#}");
}
