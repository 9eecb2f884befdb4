//! Process lifecycle policy: the state machine, the restart policy, what a request does in a
//! given state, and the supervisor's small verdicts (readiness, drain, memory). Pure: no I/O, no
//! clock of its own; the supervisor feeds it events and times, tests feed it fakes.

mod requests;
mod restart;
mod state;
mod verdicts;

pub use requests::{
    AnswerWhen, ConfigChange, ControlRequest, Refusal, RequestFacts, RequestPlan, StopKind, apply_action,
    plan_request,
};
pub use restart::{RestartDecision, RestartReason, RestartSettings, RestartTracker, RunEnd};
pub use state::{Action, Event, Outcome, ProcessState, RestartContext, transition};
pub use verdicts::{
    Drain, DrainVerdict, HEALTHY_AFTER_AT_LEAST, MemoryFacts, MemoryVerdict, memory_verdict, ready_by_time,
    run_was_healthy,
};
