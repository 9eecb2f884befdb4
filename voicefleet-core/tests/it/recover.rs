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

#[test]
fn a_run_left_in_flight_is_resumed_only_while_its_last_step_is_recent() {
    use std::time::Duration;
    use voicefleet_core::console::bulk::{BulkRun, BulkSpec, RunOutcome};
    use voicefleet_core::console::recover::may_resume;
    use voicefleet_core::console::{Limit, Selector};

    let spec = BulkSpec {
        action: BulkAction::Restart,
        selector: Selector::All,
        max_concurrency: Limit::parse("1").unwrap(),
        max_errors: Limit::parse("0").unwrap(),
        canary: 0,
        health_gate: None,
        auto_rollback: false,
        dry_run: false,
    };
    let run = |created: u64, steps: Vec<(Option<u64>, Option<u64>)>| BulkRun {
        id: "run-1".to_owned(),
        spec: spec.clone(),
        actor: "admin".to_owned(),
        created_at_ms: created,
        finished_at_ms: None,
        outcome: RunOutcome::Running,
        max_concurrency: 1,
        max_errors: 0,
        targets: steps
            .into_iter()
            .map(|(started, finished)| TargetResult {
                started_at_ms: started,
                finished_at_ms: finished,
                ..target(0, None)
            })
            .collect(),
    };
    let hour = Duration::from_secs(3600);
    const H: u64 = 3_600_000;
    let now = 10 * H;
    // (created, targets' (started, finished), expected)
    type Steps = Vec<(Option<u64>, Option<u64>)>;
    let cases: Vec<(u64, Steps, bool)> = vec![
        (now - 1_000, vec![(None, None)], true),
        (now - H, vec![(None, None)], true),
        (now - H - 1, vec![(None, None)], false),
        // The last step counts, whichever target took it.
        (now - 5 * H, vec![(Some(now - 4 * H), Some(now - 4 * H)), (Some(now - 10_000), None)], true),
        (now - 5 * H, vec![(Some(now - 4 * H), Some(now - 2 * H)), (None, None)], false),
        (now - 5 * H, vec![(Some(now - 4 * H), Some(now - 30_000))], true),
    ];
    for (created, steps, expected) in cases {
        let run = run(created, steps);
        assert_eq!(may_resume(&run, now, hour), expected, "{:?}", run.targets);
    }
}
