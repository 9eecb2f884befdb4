//! The host contract, run unchanged against the in-process supervisor and against `AgentClient`
//! talking to a real host agent on loopback.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use voicefleet_core::ErrorKind;
use voicefleet_core::auth::Role;
use voicefleet_core::customer::CustomerId;
use voicefleet_core::host::{ApplyAction, Host, HostEvent, LogQuery, RevisionMeta, StopOptions};
use voicefleet_core::lifecycle::ProcessState;
use voicefleet_core::logs::StreamFilter;
use voicefleet_core::supervisor::{ShimCommand, Supervisor, SupervisorOptions};
use voicefleet_http::{AgentClient, AgentClientOptions, TokenSource};
use voicefleet_tests::events::next_event;
use voicefleet_tests::{AgentCleanup, TempDir};

use crate::{AGENT, SECRETS, TestHost, eventually, simulated_config, token};

async fn host_contract(host: Arc<dyn Host>) {
    // Subscribed first: the remote stream is connected long before the first start.
    let mut events = host.subscribe();
    // Before any configuration.
    assert!(host.config().await.unwrap().is_none());
    assert_eq!(host.start().await.unwrap_err().kind(), ErrorKind::Conflict);
    assert_eq!(host.set_secret("Bad Name", "x").await.unwrap_err().kind(), ErrorKind::InvalidInput);
    for name in SECRETS {
        host.set_secret(name, &format!("value-{name}")).await.unwrap();
    }
    let mut names = host.secret_names().await.unwrap();
    names.sort();
    assert_eq!(names, ["deepgram_api_key", "elevenlabs_api_key", "openai_api_key"]);

    // An invalid document: every issue, nothing stored.
    let mut invalid = simulated_config(json!({})).into_value();
    invalid["agent_settings"]["llm"]["temperature"] = json!(9);
    invalid["agent_settings"]["tts"]["api_key"] = json!("secret://not_set");
    let document = voicefleet_core::config::ConfigDocument::from_value(invalid).unwrap();
    let error = host.apply_config(document, RevisionMeta::default()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    let mut codes: Vec<String> = error.issues().iter().map(|i| i.code.clone()).collect();
    codes.sort();
    assert_eq!(codes, ["out_of_range", "secret_missing"]);
    assert!(host.config().await.unwrap().is_none());

    // A valid one, then start.
    let mut document = simulated_config(
        json!({"ready_delay_ms": 20, "call_interval_ms": 100, "call_duration_ms": 30000, "turn_interval_ms": 100}),
    );
    document.set("runtime.reload", json!("signal")).unwrap();
    let applied = host
        .apply_config(
            document.clone(),
            RevisionMeta { revision: None, author: "contract".into(), message: "first".into() },
        )
        .await
        .unwrap();
    assert_eq!((applied.revision.revision, applied.action), (1, ApplyAction::Stored));
    let status = host.start().await.unwrap();
    assert_eq!(status.state, "running");
    let first_pid = status.pid.unwrap();
    next_event(&mut events, Duration::from_secs(5), "a state change to running", |e| {
        matches!(e, HostEvent::StateChanged { to: ProcessState::Running, .. })
    })
    .await;
    assert_eq!(host.start().await.unwrap_err().kind(), ErrorKind::Conflict);
    let (stored, revision) = host.config().await.unwrap().unwrap();
    assert_eq!((revision.revision, revision.author.as_str()), (1, "contract"));
    assert_eq!(stored.content_hash(), document.content_hash());

    // Calls and metrics flow.
    let status = eventually("calls", Duration::from_secs(10), async || {
        let status = host.status().await.unwrap();
        (status.calls.active_calls >= 1 && status.calls.latency_5m.e2e_ms.is_some()).then_some(status)
    })
    .await;
    assert_eq!(status.config.as_ref().unwrap().revision, 1);
    let history = eventually("a metrics sample", Duration::from_secs(5), async || {
        let history = host.metrics_history(0).await.unwrap();
        (!history.is_empty()).then_some(history)
    })
    .await;
    assert!(history[0].rss_bytes > 0);

    // Logs: tail and cursor paging agree.
    let tail = host.logs(LogQuery::Tail { n: 5, stream: StreamFilter::All }).await.unwrap();
    assert!(!tail.is_empty());
    let first = tail[0].seq;
    let after =
        host.logs(LogQuery::After { cursor: first - 1, limit: 3, stream: StreamFilter::All }).await.unwrap();
    assert_eq!(
        after.iter().map(|l| l.seq).collect::<Vec<_>>(),
        (first..first + after.len() as u64).collect::<Vec<_>>()
    );

    // A reloadable change: same process, new revision.
    let mut changed = document.clone();
    changed.set("agent_settings.llm.temperature", json!(0.2)).unwrap();
    let applied = host.apply_config(changed, RevisionMeta::default()).await.unwrap();
    assert_eq!((applied.revision.revision, applied.action), (2, ApplyAction::Reloaded));
    assert_eq!(host.status().await.unwrap().pid, Some(first_pid));

    // Restart: a new process, drained first.
    let restarted = host.restart(StopOptions::with_timeout(Duration::from_millis(300))).await.unwrap();
    assert_eq!(restarted.state, "running");
    assert_ne!(restarted.pid, Some(first_pid));
    let (_, passed) = next_event(&mut events, Duration::from_secs(5), "running after the restart", |e| {
        matches!(e, HostEvent::StateChanged { to: ProcessState::Running, .. })
    })
    .await;
    assert!(passed.iter().any(|e| matches!(e, HostEvent::Exited { .. })), "no exit in {passed:?}");
    assert!(
        passed.iter().any(|e| matches!(e, HostEvent::StateChanged { to: ProcessState::Stopping, .. })),
        "no stopping in {passed:?}"
    );

    // A crash (kill -9): an exit with the signal, then running again at once with a new process.
    let before = host.status().await.unwrap();
    let killed =
        std::process::Command::new("kill").args(["-9", &before.pid.unwrap().to_string()]).status().unwrap();
    assert!(killed.success());
    let (exit, _) = next_event(&mut events, Duration::from_secs(5), "the exit", |e| {
        matches!(e, HostEvent::Exited { .. })
    })
    .await;
    assert!(matches!(exit, HostEvent::Exited { code: None, signal: Some(9), .. }), "{exit:?}");
    next_event(&mut events, Duration::from_secs(5), "running after the crash", |e| {
        matches!(e, HostEvent::StateChanged { to: ProcessState::Running, .. })
    })
    .await;
    let after = host.status().await.unwrap();
    assert_eq!(after.state, "running");
    assert_ne!(after.pid, before.pid);
    assert_eq!(after.restarts, before.restarts + 1);

    // A referenced secret cannot go; an unknown one is not found.
    assert_eq!(host.delete_secret("openai_api_key").await.unwrap_err().kind(), ErrorKind::Conflict);
    assert_eq!(host.delete_secret("never_set").await.unwrap_err().kind(), ErrorKind::NotFound);

    let stopped = host.stop(StopOptions::with_timeout(Duration::from_millis(300))).await.unwrap();
    assert_eq!((stopped.state.as_str(), stopped.pid), ("stopped", None));
    // Stop is idempotent.
    assert_eq!(host.stop(StopOptions::default()).await.unwrap().state, "stopped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_in_process() {
    let dir = TempDir::new().unwrap();
    let _cleanup = AgentCleanup(dir.path().join("state"));
    let shim = ShimCommand { program: AGENT.into(), args: vec!["__shim".into()] };
    let mut options =
        SupervisorOptions::new(CustomerId::parse("contract").unwrap(), dir.path().join("state"), shim);
    options.stop_grace = Duration::from_millis(200);
    let supervisor = Supervisor::open(options).await.unwrap();
    host_contract(Arc::new(supervisor.clone())).await;
    supervisor.shutdown(true).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_over_http() {
    let host = TestHost::start("contract").await;
    let client = AgentClient::new(
        &host.url(),
        TokenSource::Mint(Arc::new(|| token("contract", Role::Admin, 60))),
        AgentClientOptions::default(),
    )
    .unwrap();
    host_contract(Arc::new(client)).await;
    let mut host = host;
    host.daemon.take().unwrap().shutdown().await.unwrap();
}
