//! The console with no server around it (the CLI's `--data`): no refresher ever samples or
//! evaluates alerts, yet metrics and alerts answer from what is there now.

use std::time::Duration;

use voicefleet_core::auth::Role;
use voicefleet_core::console::{Actor, ControlAction, Fleet as _, NewCustomer, RevisionInput};
use voicefleet_http::HostTokenSigner;
use voicefleet_tests::hosts::{TestHost, down_endpoint, simulated_config};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_refresher_metrics_come_from_the_host_and_alerts_are_evaluated_when_asked() {
    let signer = HostTokenSigner::generate().unwrap();
    let mut host = TestHost::start("acme", &signer).await;
    let dir = voicefleet_tests::scratch();
    let console = crate::console(dir.path(), &signer, Duration::from_millis(800));
    let admin = Actor::new("t", Role::Admin);
    for (id, endpoint) in [("acme", host.endpoint.clone()), ("gone", down_endpoint())] {
        let customer = NewCustomer {
            id: id.into(),
            name: String::new(),
            endpoint,
            tags: Vec::new(),
            trust: Default::default(),
        };
        console.add_customer(&admin, customer).await.unwrap();
    }
    for name in ["openai_api_key", "deepgram_api_key", "elevenlabs_api_key"] {
        console.set_secret(&admin, "acme", name, "value").await.unwrap();
    }
    let config = simulated_config(serde_json::json!({"ready_delay_ms": 20, "call_interval_ms": 60000}));
    console
        .create_revision(&admin, "acme", RevisionInput::Full { document: config.as_value() }, "m")
        .await
        .unwrap();
    console.deploy(&admin, "acme", None).await.unwrap();
    console.control(&admin, "acme", ControlAction::Start, None).await.unwrap();
    // The host samples every second on its own; the console has stored nothing.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let samples = loop {
        let samples = console.metrics(&admin, "acme", 0, u64::MAX).await.unwrap();
        if samples.len() >= 2 || std::time::Instant::now() > deadline {
            break samples;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(samples.len() >= 2, "the host's own history: {samples:?}");
    assert!(samples.iter().all(|s| s.rss_bytes > 0 && s.processes >= 1), "{samples:?}");
    // The unreachable host's alert fires on the first question, with no refresher running.
    let alerts = console.alerts(&admin, false).await.unwrap();
    assert!(
        alerts.iter().any(|a| a.customer_id == "gone" && a.rule == "unreachable" && a.firing),
        "{alerts:?}"
    );
    // None for the running agent. (The machine's own rules judge the machine these tests run on,
    // which may be short of disk: not what this test is about.)
    let machine_rules = ["disk_low", "memory_pressure"];
    assert!(
        !alerts.iter().any(|a| a.customer_id == "acme" && !machine_rules.contains(&a.rule.as_str())),
        "{alerts:?}"
    );
    host.stop().await;
}
