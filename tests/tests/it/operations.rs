//! Operation ids on a real host agent: two identical restarts with one id restart the agent once
//! (the second is answered with the first answer, the PID unchanged), a new id restarts it
//! again, and the same id for another action is refused and changes nothing.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use voicefleet_core::console::{CustomerRecord, HostConnector as _};
use voicefleet_core::host::{HostStatus, RevisionMeta, StopOptions};
use voicefleet_core::lifecycle::ProcessState;
use voicefleet_core::operation;
use voicefleet_http::HostTokenSigner;
use voicefleet_tests::hosts::{TestHost, connector, simulated_config};

async fn running_pid(host: &dyn voicefleet_core::host::Host) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let status: HostStatus = host.status().await.expect("status");
        if status.state == ProcessState::Running
            && let Some(pid) = status.pid
        {
            return pid;
        }
        assert!(Instant::now() < deadline, "the agent never ran: {:?}", status.state);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_operation_id_restarts_the_agent_once() {
    let signer = HostTokenSigner::generate().unwrap();
    let mut test_host = TestHost::start("acme-ops", &signer).await;
    let record = CustomerRecord {
        id: "acme-ops".to_owned(),
        name: "Acme".to_owned(),
        endpoint: test_host.endpoint.clone(),
        tags: BTreeMap::new(),
        created_at_ms: 0,
        deployed_revision: None,
        trust: Default::default(),
    };
    let host = connector(&signer).connect(&record).unwrap();
    for name in ["openai_api_key", "deepgram_api_key", "elevenlabs_api_key"] {
        host.set_secret(name, "sk-test-secret").await.unwrap();
    }
    let document = simulated_config(json!({"ready_delay_ms": 20}));
    let meta = RevisionMeta { revision: Some(1), author: "test".to_owned(), message: "first".to_owned() };
    host.apply_config(document, meta).await.unwrap();
    host.start().await.unwrap();
    let first_pid = running_pid(&*host).await;

    // One id, two identical restarts: one restart.
    let id = operation::operation_id("run-0a0b0c0d", "acme-ops", 1, "");
    let once = operation::scoped(id.clone(), host.restart(StopOptions::default())).await.unwrap();
    let second_pid = running_pid(&*host).await;
    assert_ne!(second_pid, first_pid, "the first request restarted the agent");
    let again = operation::scoped(id.clone(), host.restart(StopOptions::default())).await.unwrap();
    assert_eq!(again.pid, once.pid, "the repeat is answered with the first answer");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(running_pid(&*host).await, second_pid, "the repeat did not restart the agent");

    // Over raw HTTP: the repeat is marked as replayed; the same id for a stop is refused.
    let token = signer.host_token("acme-ops");
    let http = reqwest::Client::new();
    let post = |action: &str, id: &str| {
        http.post(format!("{}/v1/agent/{action}", test_host.endpoint))
            .bearer_auth(&token)
            .header("X-Voicefleet-Operation", id)
            .json(&json!({}))
            .send()
    };
    // What the client sent: the id, then the request.
    let id = format!("{id}/agent/restart");
    let replayed = post("restart", &id).await.unwrap();
    assert_eq!(replayed.status(), 200);
    assert_eq!(replayed.headers()["x-voicefleet-operation-replayed"], "true");
    let body: Value = replayed.json().await.unwrap();
    assert_eq!(body["pid"].as_i64(), once.pid.map(i64::from));
    let refused = post("stop", &id).await.unwrap();
    assert_eq!(refused.status(), 422);
    let error: Value = refused.json().await.unwrap();
    let message = error.to_string();
    assert!(message.contains("agent.restart") && message.contains("new operation id"), "{message}");
    let too_long = post("restart", &"x".repeat(201)).await.unwrap();
    assert_eq!(too_long.status(), 422);
    assert_eq!(running_pid(&*host).await, second_pid, "refusals changed nothing");

    // Two identical restarts at once with a new id: one restart, one answer.
    let id = operation::operation_id("run-0a0b0c0d", "acme-ops", 2, "");
    let (a, b) = tokio::join!(post("restart", &id), post("restart", &id));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!((a.status(), b.status()), (reqwest::StatusCode::OK, reqwest::StatusCode::OK));
    let replays =
        [&a, &b].iter().filter(|r| r.headers().contains_key("x-voicefleet-operation-replayed")).count();
    assert_eq!(replays, 1, "one acted, one waited for its answer");
    let (a, b): (Value, Value) = (a.json().await.unwrap(), b.json().await.unwrap());
    // Two restarts one after the other would have answered two different instances.
    assert_eq!(a["pid"], b["pid"], "one restart for two requests");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let third_pid = running_pid(&*host).await;
    assert_ne!(third_pid, second_pid);
    assert_eq!(running_pid(&*host).await, third_pid);

    // Without an id, each request acts, as before.
    host.restart(StopOptions::default()).await.unwrap();
    let fourth_pid = running_pid(&*host).await;
    assert_ne!(fourth_pid, third_pid);
    test_host.stop().await;
}
