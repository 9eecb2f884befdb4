//! The state machine, every (state, event) pair.

use proptest::prelude::*;
use voicefleet_core::config::RestartPolicy;
use voicefleet_core::lifecycle::{Action, Event, Outcome, ProcessState, RestartContext, transition};

use Action::*;
use ProcessState::*;

const ALWAYS: RestartContext = RestartContext { policy: RestartPolicy::Always, crash_loop: false };

fn moved(next: ProcessState, action: Option<Action>) -> Outcome {
    Outcome::Move { next, action }
}

/// Every (state, event) pair under `always`, not at the cap.
#[test]
fn every_state_event_pair() {
    let ok = Event::ProcessExited { success: true };
    let failed = Event::ProcessExited { success: false };
    let refused_running = Outcome::Refused { reason: "the agent is already running" };
    let refused_stopping = Outcome::Refused { reason: "the agent is stopping" };
    #[rustfmt::skip]
    let table: Vec<(ProcessState, Event, Outcome)> = vec![
        (Stopped, Event::StartRequested, moved(Starting, Some(Spawn))),
        (Stopped, Event::StopRequested, Outcome::Ignored),
        (Stopped, Event::Ready, Outcome::Ignored),
        (Stopped, ok, Outcome::Ignored),
        (Stopped, failed, Outcome::Ignored),
        (Stopped, Event::SpawnFailed, Outcome::Ignored),
        (Stopped, Event::RetryDue, Outcome::Ignored),
        (Stopped, Event::GroupGone, Outcome::Ignored),

        (Starting, Event::StartRequested, refused_running),
        (Starting, Event::StopRequested, moved(Stopping, Some(Terminate))),
        (Starting, Event::Ready, moved(Running, None)),
        (Starting, ok, moved(Backoff, Some(ScheduleRetry))),
        (Starting, failed, moved(Backoff, Some(ScheduleRetry))),
        (Starting, Event::SpawnFailed, moved(Backoff, Some(ScheduleRetry))),
        (Starting, Event::RetryDue, Outcome::Ignored),
        (Starting, Event::GroupGone, Outcome::Ignored),

        (Running, Event::StartRequested, refused_running),
        (Running, Event::StopRequested, moved(Stopping, Some(Terminate))),
        (Running, Event::Ready, Outcome::Ignored),
        (Running, ok, moved(Backoff, Some(ScheduleRetry))),
        (Running, failed, moved(Backoff, Some(ScheduleRetry))),
        (Running, Event::SpawnFailed, Outcome::Ignored),
        (Running, Event::RetryDue, Outcome::Ignored),
        (Running, Event::GroupGone, Outcome::Ignored),

        (Backoff, Event::StartRequested, moved(Starting, Some(Spawn))),
        (Backoff, Event::StopRequested, moved(Stopped, Some(CancelRetry))),
        (Backoff, Event::Ready, Outcome::Ignored),
        (Backoff, ok, Outcome::Ignored),
        (Backoff, failed, Outcome::Ignored),
        (Backoff, Event::SpawnFailed, Outcome::Ignored),
        (Backoff, Event::RetryDue, moved(Starting, Some(Spawn))),
        (Backoff, Event::GroupGone, Outcome::Ignored),

        (Stopping, Event::StartRequested, refused_stopping),
        (Stopping, Event::StopRequested, Outcome::Ignored),
        (Stopping, Event::Ready, Outcome::Ignored),
        (Stopping, ok, moved(Stopping, Some(KillGroup))),
        (Stopping, failed, moved(Stopping, Some(KillGroup))),
        (Stopping, Event::SpawnFailed, Outcome::Ignored),
        (Stopping, Event::RetryDue, Outcome::Ignored),
        (Stopping, Event::GroupGone, moved(Stopped, None)),

        (Exited, Event::StartRequested, moved(Starting, Some(Spawn))),
        (Exited, Event::StopRequested, Outcome::Ignored),
        (Exited, Event::Ready, Outcome::Ignored),
        (Exited, ok, Outcome::Ignored),
        (Exited, failed, Outcome::Ignored),
        (Exited, Event::SpawnFailed, Outcome::Ignored),
        (Exited, Event::RetryDue, Outcome::Ignored),
        (Exited, Event::GroupGone, Outcome::Ignored),

        (CrashLoop, Event::StartRequested, moved(Starting, Some(Spawn))),
        (CrashLoop, Event::StopRequested, moved(Stopped, Some(CancelRetry))),
        (CrashLoop, Event::Ready, Outcome::Ignored),
        (CrashLoop, ok, Outcome::Ignored),
        (CrashLoop, failed, Outcome::Ignored),
        (CrashLoop, Event::SpawnFailed, Outcome::Ignored),
        (CrashLoop, Event::RetryDue, moved(Starting, Some(Spawn))),
        (CrashLoop, Event::GroupGone, Outcome::Ignored),
    ];
    assert_eq!(table.len(), ProcessState::ALL.len() * Event::ALL.len(), "the table covers every pair");
    for (state, event, expected) in table {
        assert_eq!(transition(state, event, ALWAYS), expected, "{state} + {event:?}");
    }
}

#[test]
fn restart_policies_and_the_cap() {
    let ok = Event::ProcessExited { success: true };
    let failed = Event::ProcessExited { success: false };
    let context = |policy, crash_loop| RestartContext { policy, crash_loop };
    for (policy, cap, event, expected) in [
        (RestartPolicy::Always, true, failed, moved(CrashLoop, Some(ScheduleRetry))),
        (RestartPolicy::Always, true, ok, moved(CrashLoop, Some(ScheduleRetry))),
        (RestartPolicy::Always, true, Event::SpawnFailed, moved(CrashLoop, Some(ScheduleRetry))),
        (RestartPolicy::OnFailure, false, ok, moved(Exited, None)),
        (RestartPolicy::OnFailure, false, failed, moved(Backoff, Some(ScheduleRetry))),
        (RestartPolicy::OnFailure, true, failed, moved(CrashLoop, Some(ScheduleRetry))),
        (RestartPolicy::Never, false, ok, moved(Exited, None)),
        (RestartPolicy::Never, true, failed, moved(Exited, None)),
        (RestartPolicy::Never, false, Event::SpawnFailed, moved(Exited, None)),
    ] {
        for from in [Starting, Running] {
            if event == Event::SpawnFailed && from == Running {
                continue;
            }
            assert_eq!(
                transition(from, event, context(policy, cap)),
                expected,
                "{policy:?} {cap} {from} {event:?}"
            );
        }
    }
}

#[test]
fn state_names_round_trip() {
    for state in ProcessState::ALL {
        assert_eq!(ProcessState::parse(state.as_str()), Some(state));
    }
    assert_eq!(CrashLoop.as_str(), "crash_loop");
    assert_eq!(ProcessState::parse("nope"), None);
}

fn any_event() -> impl Strategy<Value = Event> {
    prop::sample::select(Event::ALL.to_vec())
}

proptest! {
    /// Random event sequences, with the supervisor's own bookkeeping: a spawn never happens while
    /// a process may be alive, `running` is only entered from `starting`, and `stopped` only by a
    /// stop.
    #[test]
    fn random_sequences_never_reach_an_impossible_state(
        events in prop::collection::vec(any_event(), 1..200),
        policy in prop::sample::select(vec![RestartPolicy::Always, RestartPolicy::OnFailure, RestartPolicy::Never]),
        caps in prop::collection::vec(any::<bool>(), 200),
    ) {
        let mut state = Stopped;
        let mut process_alive = false;
        for (index, event) in events.into_iter().enumerate() {
            // Process events only arrive when a process exists (as the supervisor guarantees).
            let real = match event {
                Event::Ready | Event::ProcessExited { .. } => process_alive && state != Stopped,
                Event::SpawnFailed => state == Starting && !process_alive,
                Event::GroupGone => !process_alive && state == Stopping,
                _ => true,
            };
            if !real { continue; }
            let before = state;
            match transition(state, event, RestartContext { policy, crash_loop: caps[index] }) {
                Outcome::Move { next, action } => {
                    match action {
                        Some(Action::Spawn) => {
                            prop_assert!(!process_alive, "spawn while alive from {before}");
                            process_alive = true;
                        }
                        Some(Action::Terminate) => prop_assert!(process_alive),
                        _ => {}
                    }
                    if let Event::ProcessExited { .. } = event { process_alive = false; }
                    if next == Running { prop_assert_eq!(before, Starting); }
                    if next == Stopped { prop_assert!(event == Event::StopRequested || event == Event::GroupGone); }
                    if next.has_process() && next != Stopping { prop_assert!(process_alive); }
                    if !next.has_process() { prop_assert!(!process_alive, "{next} with a live process"); }
                    state = next;
                }
                Outcome::Ignored | Outcome::Refused { .. } => {}
            }
        }
    }
}
