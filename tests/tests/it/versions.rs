//! Host agent versions as the console sees them: a real host agent's package version in the
//! customer's status (and its machine in the console's stored history), and a host that speaks
//! another host API version reported `incompatible`, with what to do, and never read.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::routing::get;
use voicefleet_core::auth::Role;
use voicefleet_core::console::{
    Actor, ControlAction, Fleet as _, NewCustomer, RevisionInput, Selector, health,
};
use voicefleet_http::HostTokenSigner;
use voicefleet_tests::hosts::{TestHost, simulated_config};

fn customer(id: &str, endpoint: String) -> NewCustomer {
    NewCustomer { id: id.into(), name: String::new(), endpoint, tags: Vec::new(), trust: Default::default() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_shows_a_real_host_agents_version_and_its_machine() {
    let signer = HostTokenSigner::generate().unwrap();
    let mut host = TestHost::start("acme", &signer).await;
    let dir = voicefleet_tests::scratch();
    let console = crate::console(dir.path(), &signer, Duration::from_secs(2));
    let admin = Actor::new("t", Role::Admin);
    console.add_customer(&admin, customer("acme", host.endpoint.clone())).await.unwrap();
    for name in ["openai_api_key", "deepgram_api_key", "elevenlabs_api_key"] {
        console.set_secret(&admin, "acme", name, "value").await.unwrap();
    }
    let config = simulated_config(serde_json::json!({"ready_delay_ms": 20, "call_interval_ms": 60000}));
    let input = RevisionInput::Full { document: config.as_value() };
    console.create_revision(&admin, "acme", input, "m").await.unwrap();
    console.deploy(&admin, "acme", None).await.unwrap();
    console.control(&admin, "acme", ControlAction::Start, None).await.unwrap();

    let status = console.status(&admin, &Selector::All).await.unwrap().remove(0);
    assert_eq!(status.agent_version.as_deref(), Some(env!("CARGO_PKG_VERSION")), "{status:?}");
    assert_eq!(status.state, "running");
    let machine = status.status.as_ref().and_then(|s| s.machine).expect("the host's machine");
    assert!(machine.memory_total_bytes.is_some() && machine.state_fs_size_bytes.is_some(), "{machine:?}");

    // The console's refresh stores samples that carry the machine: its history shows them.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let stored = loop {
        console.refresh().await.unwrap();
        let samples = console.metrics(&admin, "acme", 0, u64::MAX).await.unwrap();
        if samples.iter().any(|s| s.machine.is_some()) || std::time::Instant::now() > deadline {
            break samples;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let with_machine = stored.iter().find_map(|s| s.machine).expect("a stored sample with the machine");
    assert!(with_machine.memory_available_bytes <= with_machine.memory_total_bytes);
    host.stop().await;
}

/// A host on loopback that answers its health in host API v99 and counts the status requests
/// it gets (a console must not send any).
async fn future_host() -> (String, Arc<AtomicUsize>, tokio::task::JoinHandle<()>) {
    let asked = Arc::new(AtomicUsize::new(0));
    let counted = asked.clone();
    let app = axum::Router::new()
        .route(
            "/v1/health",
            get(|| async {
                axum::Json(serde_json::json!({"status": "ok", "version": "9.0.0", "api_version": 99}))
            }),
        )
        .route(
            "/v1/status",
            get(move || {
                counted.fetch_add(1, Ordering::SeqCst);
                async { axum::Json(serde_json::json!({"state": {"phase": "a shape v1 does not know"}})) }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (endpoint, asked, server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_speaking_another_api_version_is_reported_incompatible_not_misread() {
    let (endpoint, asked, server) = future_host().await;
    let signer = HostTokenSigner::generate().unwrap();
    let dir = voicefleet_tests::scratch();
    let console = crate::console(dir.path(), &signer, Duration::from_secs(2));
    let admin = Actor::new("t", Role::Admin);
    console.add_customer(&admin, customer("future", endpoint)).await.unwrap();

    let status = console.status(&admin, &Selector::All).await.unwrap().remove(0);
    assert_eq!(status.state, "incompatible", "{status:?}");
    assert!(status.reachable, "it answered: {status:?}");
    assert_eq!(status.agent_version.as_deref(), Some("9.0.0"));
    assert_eq!(status.status, None, "nothing it said was read as a status");
    assert!(!status.drift);
    let reason = health::reason(&status).unwrap();
    assert!(
        reason
            .starts_with("host agent 9.0.0 speaks host API v99; this console speaks v1: upgrade the console"),
        "{reason}"
    );
    assert!(!health::is_healthy(&status));
    // A control request is refused the same way, before anything is sent.
    let error = console.control(&admin, "future", ControlAction::Restart, None).await.unwrap_err();
    assert!(error.to_string().contains("speaks host API v99"), "{error}");
    // The alert says it too.
    console.refresh().await.unwrap();
    let alerts = console.alerts(&admin, false).await.unwrap();
    let alert = alerts.iter().find(|a| a.rule == "incompatible").expect("an incompatible alert");
    assert!(alert.firing && alert.message.contains("upgrade the console"), "{alert:?}");
    assert!(!alerts.iter().any(|a| a.rule == "unreachable"), "{alerts:?}");
    assert_eq!(asked.load(Ordering::SeqCst), 0, "the console read a status it does not understand");
    server.abort();
}
