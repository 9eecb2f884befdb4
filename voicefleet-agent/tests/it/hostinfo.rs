//! The machine a host agent runs on, as its API reports it: the status's `machine` figures in
//! sane ranges, the metrics history carrying them, Prometheus gauges in base units (clean under
//! promtool), and its version and host API version in `/v1/health` and the status.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use voicefleet_core::auth::Role;

use crate::e2e::{Api, sample};
use crate::{SECRETS, TestHost, eventually, simulated_config, token};

fn number(value: &Value, key: &str) -> f64 {
    value[key].as_f64().unwrap_or_else(|| panic!("{key} missing from {value}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_history_and_metrics_report_the_host_machine() {
    let mut host = TestHost::start("acme").await;
    let api = Api { base: host.url(), token: token("acme", Role::Admin, 300), http: reqwest::Client::new() };

    // The health says which host API this agent speaks, without a token.
    let health: Value = reqwest::get(format!("{}/v1/health", api.base)).await.unwrap().json().await.unwrap();
    assert_eq!(health["api_version"], voicefleet_http::HOST_API_VERSION);
    assert_eq!(health["version"], env!("CARGO_PKG_VERSION"));

    // No voice agent yet: the machine is reported all the same, with CPU once it is measured.
    let machine = eventually("a machine sample with CPU", Duration::from_secs(10), async || {
        let (_, status) = api.call(Method::GET, "/v1/status", None).await;
        status["machine"].get("cpu_percent").filter(|cpu| cpu.is_number()).map(|_| status["machine"].clone())
    })
    .await;
    let (_, status) = api.call(Method::GET, "/v1/status", None).await;
    assert_eq!(status["agent_version"], env!("CARGO_PKG_VERSION"), "{status}");
    let cpu = number(&machine, "cpu_percent");
    assert!((0.0..=100.0).contains(&cpu), "{machine}");
    let (total, available) =
        (number(&machine, "memory_total_bytes"), number(&machine, "memory_available_bytes"));
    assert!(total > 0.0 && available <= total, "{machine}");
    let used = number(&machine, "memory_used_percent");
    assert!((0.0..=100.0).contains(&used), "{machine}");
    for load in ["load1", "load5", "load15"] {
        assert!(number(&machine, load) >= 0.0, "{machine}");
    }
    assert!(number(&machine, "uptime_seconds") > 0.0, "{machine}");
    // The filesystem is the state directory's own: coreutils' `stat -f` on it says the same size.
    let (fs_available, fs_size) =
        (number(&machine, "state_fs_available_bytes"), number(&machine, "state_fs_size_bytes"));
    assert!(fs_size > 0.0 && fs_available <= fs_size, "{machine}");
    let stat =
        std::process::Command::new("stat").args(["-f", "-c", "%S %b"]).arg(host.state()).output().unwrap();
    let fields: Vec<f64> =
        String::from_utf8_lossy(&stat.stdout).split_whitespace().map(|f| f.parse().unwrap()).collect();
    assert_eq!(fs_size, fields[0] * fields[1], "stat -f says {fields:?}");

    // A running agent: its samples in the history carry the machine's figures.
    for name in SECRETS {
        let (code, _) =
            api.call(Method::PUT, &format!("/v1/secrets/{name}"), Some(json!({"value": "v"}))).await;
        assert_eq!(code, 204);
    }
    let config = simulated_config(json!({"ready_delay_ms": 20}));
    let (code, body) = api.call(Method::PUT, "/v1/config", Some(json!({"config": config.as_value()}))).await;
    assert_eq!(code, 200, "{body}");
    let (code, body) = api.call(Method::POST, "/v1/agent/start", None).await;
    assert_eq!(code, 200, "{body}");
    let history = eventually("two history samples with the machine", Duration::from_secs(10), async || {
        let (_, history) = api.call(Method::GET, "/v1/metrics/history?since=5m", None).await;
        let samples = history.as_array()?.clone();
        let joined = samples.iter().filter(|s| s["machine"]["memory_total_bytes"].is_number()).count();
        (joined >= 2).then_some(samples)
    })
    .await;
    for sample in history.iter().filter(|s| s["machine"].is_object()) {
        let at = number(sample, "at_ms");
        let machine_at = number(&sample["machine"], "at_ms");
        assert!((at - machine_at).abs() <= 2_000.0, "{sample}");
    }

    // Prometheus: the machine's gauges in base units, clean under promtool.
    let metrics = api.metrics().await;
    voicefleet_tests::promtool_check(&metrics);
    let gauge = |name: &str| -> f64 {
        assert!(metrics.contains(&format!("# TYPE {name} gauge")), "{name}: {metrics}");
        sample(&metrics, &format!("{name}{{customer=\"acme\"}} "), "")
            .unwrap_or_else(|| panic!("{name}: {metrics}"))
    };
    let ratio = gauge("voicefleet_host_cpu_ratio");
    assert!((0.0..=1.0).contains(&ratio), "{ratio}");
    assert!(gauge("voicefleet_host_memory_available_bytes") <= gauge("voicefleet_host_memory_total_bytes"));
    assert!(
        gauge("voicefleet_host_state_fs_available_bytes") <= gauge("voicefleet_host_state_fs_size_bytes")
    );
    assert!(gauge("voicefleet_host_uptime_seconds") > 0.0);
    for load in ["voicefleet_host_load1", "voicefleet_host_load5", "voicefleet_host_load15"] {
        assert!(gauge(load) >= 0.0);
    }
    host.daemon.take().unwrap().shutdown().await.unwrap();
}
