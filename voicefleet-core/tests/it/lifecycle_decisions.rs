//! The supervisor's small decisions, pure and table-tested: readiness and health, the drain
//! verdict, the memory verdict, what a control request does in each state, and how a
//! configuration reaches the agent.

use std::time::{Duration, Instant};

use voicefleet_core::config::RestartPolicy;
use voicefleet_core::host::ApplyAction;
use voicefleet_core::lifecycle::{
    AnswerWhen, ConfigChange, ControlRequest, Drain, DrainVerdict, MemoryFacts, MemoryVerdict, ProcessState,
    Refusal, RequestFacts, RequestPlan, RestartContext, StopKind, apply_action, memory_verdict, plan_request,
    ready_by_time, run_was_healthy,
};

use ProcessState::*;

const MS: fn(u64) -> Duration = Duration::from_millis;

#[test]
fn readiness_and_health() {
    // (ready event, alive for, start_seconds) -> (ready by time, healthy run)
    for (ready_event, alive_ms, start_seconds, by_time, healthy) in [
        (false, 0, 1.0, false, false),
        (false, 999, 1.0, false, false),
        (false, 1000, 1.0, true, true),
        (true, 10, 1.0, false, true),
        // start_seconds below 1 s: ready early, healthy only after 1 s.
        (false, 300, 0.2, true, false),
        (false, 1000, 0.2, true, true),
        (false, 0, 0.0, true, false),
        // start_seconds above 1 s: healthy with it.
        (false, 2999, 3.0, false, false),
        (false, 3000, 3.0, true, true),
        (true, 5, 3.0, false, true),
    ] {
        let alive = MS(alive_ms);
        assert_eq!(ready_by_time(alive, start_seconds), by_time, "{alive_ms} ms, start {start_seconds}");
        assert_eq!(
            run_was_healthy(ready_event, alive, start_seconds),
            healthy,
            "ready {ready_event}, {alive_ms} ms, start {start_seconds}"
        );
    }
}

#[test]
fn drain_verdicts() {
    let origin = Instant::now();
    // (timeout ms, grace ms, [(at ms, active calls, expected)])
    type Steps = &'static [(u64, usize, DrainVerdict)];
    let cases: [(u64, Option<u64>, Steps); 4] = [
        // Calls end at 200 ms, grace 300 ms: killed at 500 ms.
        (
            10_000,
            Some(300),
            &[
                (0, 2, DrainVerdict::Wait),
                (200, 0, DrainVerdict::Wait),
                (499, 0, DrainVerdict::Wait),
                (500, 0, DrainVerdict::Kill),
            ],
        ),
        // A call starting again resets the grace.
        (
            10_000,
            Some(300),
            &[
                (0, 0, DrainVerdict::Wait),
                (200, 1, DrainVerdict::Wait),
                (400, 0, DrainVerdict::Wait),
                (699, 0, DrainVerdict::Wait),
                (700, 0, DrainVerdict::Kill),
            ],
        ),
        // Calls never end: the deadline decides.
        (
            800,
            Some(300),
            &[(0, 3, DrainVerdict::Wait), (799, 3, DrainVerdict::Wait), (800, 3, DrainVerdict::Kill)],
        ),
        // A drain (no grace): idle, it still waits for the deadline.
        (
            1000,
            None,
            &[(0, 0, DrainVerdict::Wait), (999, 0, DrainVerdict::Wait), (1000, 0, DrainVerdict::Kill)],
        ),
    ];
    for (index, (timeout, grace, steps)) in cases.into_iter().enumerate() {
        let mut drain = Drain::new(origin, MS(timeout), grace.map(MS));
        for (at, active, expected) in steps {
            assert_eq!(drain.check(origin + MS(*at), *active), *expected, "case {index} at {at} ms");
        }
    }
}

#[test]
fn memory_verdicts() {
    let facts = MemoryFacts {
        state: Running,
        rss_bytes: 100,
        limit_bytes: Some(64),
        control_in_progress: false,
        active_calls: 0,
        already_reported: false,
    };
    let verdict = |report, restart| MemoryVerdict { report, restart };
    for (facts, expected) in [
        (facts, verdict(true, true)),
        (MemoryFacts { active_calls: 2, ..facts }, verdict(true, false)),
        (MemoryFacts { active_calls: 2, already_reported: true, ..facts }, verdict(false, false)),
        (MemoryFacts { already_reported: true, ..facts }, verdict(false, true)),
        (MemoryFacts { rss_bytes: 64, ..facts }, verdict(false, false)),
        (MemoryFacts { limit_bytes: None, ..facts }, verdict(false, false)),
        (MemoryFacts { state: Starting, ..facts }, verdict(false, false)),
        (MemoryFacts { state: Stopping, ..facts }, verdict(false, false)),
        (MemoryFacts { control_in_progress: true, ..facts }, verdict(false, false)),
    ] {
        assert_eq!(memory_verdict(facts), expected, "{facts:?}");
    }
}

#[test]
fn what_each_control_request_does_in_each_state() {
    use ControlRequest::*;
    let context = RestartContext { policy: RestartPolicy::Always, crash_loop: false };
    let facts = |state| RequestFacts { state, has_config: true, control_in_progress: false, context };
    let start = RequestPlan::Start { answer: AnswerWhen::Started };
    let stop =
        RequestPlan::Stop { kind: StopKind::WithGrace, then_start: false, answer: AnswerWhen::Stopped };
    let drain =
        RequestPlan::Stop { kind: StopKind::UntilTimeout, then_start: false, answer: AnswerWhen::Stopped };
    let restart =
        RequestPlan::Stop { kind: StopKind::WithGrace, then_start: true, answer: AnswerWhen::Started };
    let running = RequestPlan::Refuse(Refusal::State("the agent is already running"));
    let stopping = RequestPlan::Refuse(Refusal::State("the agent is stopping"));
    #[rustfmt::skip]
    let table = [
        (Stopped, [start, stop, drain, start]),
        (Starting, [running, stop, drain, restart]),
        (Running, [running, stop, drain, restart]),
        (Backoff, [start, stop, drain, start]),
        (Stopping, [stopping, stop, drain, restart]),
        (Exited, [start, stop, drain, start]),
        (CrashLoop, [start, stop, drain, start]),
    ];
    assert_eq!(table.len(), ProcessState::ALL.len());
    for (state, plans) in table {
        for (request, expected) in [Start, Stop, Drain, Restart].into_iter().zip(plans) {
            assert_eq!(plan_request(request, facts(state)), expected, "{request:?} in {state}");
        }
    }
    // Any request while another is carried out is refused; a start (or a restart that is a
    // start) needs a configuration.
    for request in [Start, Stop, Drain, Restart] {
        let busy = RequestFacts { control_in_progress: true, ..facts(Running) };
        assert_eq!(plan_request(request, busy), RequestPlan::Refuse(Refusal::ControlInProgress));
    }
    let bare = RequestFacts { has_config: false, ..facts(Stopped) };
    assert_eq!(plan_request(Start, bare), RequestPlan::Refuse(Refusal::NoConfiguration));
    assert_eq!(plan_request(Restart, bare), RequestPlan::Refuse(Refusal::NoConfiguration));
    assert_eq!(plan_request(Stop, bare), stop);
    assert!(RequestPlan::desired_running(Start) && RequestPlan::desired_running(Restart));
    assert!(!RequestPlan::desired_running(Stop) && !RequestPlan::desired_running(Drain));
}

#[test]
fn how_a_configuration_reaches_the_agent() {
    let change = |agent_running, unchanged, reload_by_signal, runtime_changed| ConfigChange {
        agent_running,
        unchanged,
        reload_by_signal,
        runtime_changed,
        secrets_changed: false,
    };
    let rotated = |change: ConfigChange| ConfigChange { secrets_changed: true, ..change };
    for (input, expected) in [
        (change(false, false, true, false), ApplyAction::Stored),
        (change(false, false, false, true), ApplyAction::Stored),
        (change(true, true, false, true), ApplyAction::Stored),
        (change(true, false, true, false), ApplyAction::Reloaded),
        (change(true, false, true, true), ApplyAction::Restarted),
        (change(true, false, false, false), ApplyAction::Restarted),
        // A rotated secret reaches only a new instance, even with the same document and SIGHUP.
        (rotated(change(true, true, false, false)), ApplyAction::Restarted),
        (rotated(change(true, true, true, false)), ApplyAction::Restarted),
        (rotated(change(true, false, true, false)), ApplyAction::Restarted),
        (rotated(change(false, true, true, false)), ApplyAction::Stored),
    ] {
        assert_eq!(apply_action(input), expected, "{input:?}");
    }
}
