//! The console's `/metrics` with a real host behind it: clean under `promtool check metrics`,
//! the fleet's figures per customer, and the console's own counters moving.

use std::time::Duration;

use voicefleet_http::ConsoleClient;
use voicefleet_tests::live::LiveConsole;

async fn scrape(url: &str, token: &str, accept: Option<&str>) -> (String, String) {
    let mut request = reqwest::Client::new().get(format!("{url}/metrics")).bearer_auth(token);
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    let kind = response.headers()["content-type"].to_str().unwrap().to_owned();
    (kind, response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_metrics_pass_promtool_and_count_what_happened() {
    let live = LiveConsole::start("acme", Duration::from_millis(300)).await;
    let url = format!("http://{}", live.server.local_addr());
    let token = live.server.embedded().user_token("admin", voicefleet_core::auth::Role::Admin, 600).unwrap();
    // A refused login and a few requests, so the console's own series have something to count.
    let refused = ConsoleClient::new(&url, None).unwrap().login("admin", "not the password").await;
    assert!(refused.is_err());
    for _ in 0..3 {
        let status =
            reqwest::Client::new().get(format!("{url}/v1/status")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(status.status(), 200);
    }
    // The console follows the host's event stream: the gauge says so once it is connected.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let (kind, text) = loop {
        let (kind, text) = scrape(&url, &token, None).await;
        if text.contains("voicefleet_console_host_event_streams 1") || std::time::Instant::now() > deadline {
            break (kind, text);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(text.contains("voicefleet_console_host_event_streams 1"), "{text}");
    assert!(text.contains("voicefleet_console_host_events_total{event=\"open\"}"), "{text}");
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    voicefleet_tests::promtool_check(&text);
    for expected in [
        "voicefleet_console_customers 1.0",
        "voicefleet_customer_up{customer=\"acme\"} 1.0",
        "voicefleet_customer_reachable{customer=\"acme\"} 1.0",
        "# TYPE voicefleet_customer_turn_latency_seconds histogram",
        "voicefleet_console_login_failures_total{reason=\"credentials\"} 1",
        "voicefleet_console_http_request_duration_seconds_count{method=\"GET\",route=\"/v1/status\",status=\"200\"} 3",
        "# TYPE voicefleet_console_host_event_stream_failures_total counter",
        "voicefleet_console_host_request_duration_seconds_count{operation=\"status\",outcome=\"ok\"}",
    ] {
        assert!(text.contains(expected), "missing `{expected}` in:\n{text}");
    }
    // A Prometheus server asks for OpenMetrics and gets it as written.
    let (kind, text) = scrape(&url, &token, Some("application/openmetrics-text;version=1.0.0")).await;
    assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
    assert!(
        text.trim_end().ends_with("# EOF")
            && text.contains("# TYPE voicefleet_console_login_failures counter")
    );
    live.shutdown().await;
}
