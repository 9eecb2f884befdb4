//! What a console restart concludes about a bulk target that was in flight: the host's status
//! decides, table-tested.

use serde_json::json;
use voicefleet_core::console::bulk::{BulkAction, TargetResult, TargetState};
use voicefleet_core::console::recover::{ConsoleSide, InFlightVerdict, in_flight_verdict};
use voicefleet_core::host::HostStatus;

const NOW: u64 = 1_000_000;

fn status(state: &str, uptime_seconds: Option<f64>, revision: Option<u64>) -> HostStatus {
    let config = revision.map(
        |r| json!({"revision": r, "hash": "sha256:x", "applied_at_ms": 1, "author": "a", "message": "m"}),
    );
    let calls = serde_json::to_value(voicefleet_core::host::CallSummary::default()).unwrap();
    serde_json::from_value(json!({
        "customer_id": "acme", "state": state, "pid": 42, "uptime_seconds": uptime_seconds,
        "restarts": 1, "consecutive_failures": 0, "next_restart_in_ms": null, "last_exit": null,
        "resources": null, "calls": calls, "config": config,
    }))
    .expect("a host status")
}

fn target(started_at_ms: u64, previous_revision: Option<u64>) -> TargetResult {
    TargetResult {
        customer_id: "acme".to_owned(),
        state: TargetState::Running,
        canary: false,
        reason: None,
        started_at_ms: Some(started_at_ms),
        finished_at_ms: None,
        previous_revision,
        revision: None,
    }
}

/// (action, target sent at, host state, uptime s, host revision, console's deployed, gated, expected)
type Case = (BulkAction, u64, &'static str, Option<f64>, Option<u64>, Option<u64>, bool, &'static str);

fn done(verdict: &InFlightVerdict) -> &'static str {
    match verdict {
        InFlightVerdict::Done(_) => "done",
        InFlightVerdict::DoneUnverified(_) => "unverified",
        InFlightVerdict::NotDone(_) => "not done",
    }
}

#[test]
fn the_hosts_status_decides_whether_an_in_flight_action_took_effect() {
    let deploy = BulkAction::Deploy { revision: None };
    let side = |deployed| ConsoleSide { deployed_revision: deployed };
    // (action, target sent at, host state, uptime s, host revision, console's deployed, gated, expected)
    let cases: Vec<Case> = vec![
        // A restart: only an instance started after it was sent counts.
        (BulkAction::Restart, NOW - 2_000, "running", Some(1.0), None, None, false, "done"),
        (BulkAction::Restart, NOW - 2_000, "running", Some(1.0), None, None, true, "unverified"),
        (BulkAction::Restart, NOW - 2_000, "running", Some(60.0), None, None, false, "not done"),
        (BulkAction::Restart, NOW - 2_000, "backoff", None, None, None, false, "not done"),
        (BulkAction::Start, NOW - 2_000, "running", Some(600.0), None, None, false, "done"),
        (BulkAction::Start, NOW - 2_000, "crash_loop", None, None, None, false, "not done"),
        (BulkAction::Stop, NOW - 2_000, "stopped", None, None, None, false, "done"),
        (BulkAction::Drain, NOW - 2_000, "stopping", None, None, None, false, "not done"),
        // A deploy: the console recorded a new revision and the host runs it.
        (deploy.clone(), NOW - 2_000, "running", Some(5.0), Some(4), Some(4), false, "done"),
        (deploy.clone(), NOW - 2_000, "running", Some(5.0), Some(3), Some(3), false, "not done"),
        (deploy.clone(), NOW - 2_000, "running", Some(5.0), Some(3), Some(4), false, "not done"),
        (deploy, NOW - 2_000, "running", Some(5.0), Some(4), Some(4), true, "unverified"),
    ];
    for (index, (action, sent, state, uptime, on_host, deployed, gated, expected)) in
        cases.into_iter().enumerate()
    {
        let verdict = in_flight_verdict(
            &action,
            &target(sent, Some(3)),
            &status(state, uptime, on_host),
            side(deployed),
            NOW,
            gated,
        );
        assert_eq!(done(&verdict), expected, "case {index}: {action:?} on {state}: {verdict:?}");
    }
}
