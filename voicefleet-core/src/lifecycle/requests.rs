//! What a control request or a configuration does in a given state: pure plans the supervisor
//! carries out.

use super::{Event, Outcome, ProcessState, RestartContext, transition};
use crate::host::ApplyAction;

/// A control request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlRequest {
    /// Start the agent.
    Start,
    /// Stop it: drain, a grace once calls end, then kill the group.
    Stop,
    /// Drain it: once calls end it may take until the timeout to exit on its own.
    Drain,
    /// Stop it (like `Stop`) then start it again.
    Restart,
}

/// What the supervisor knows when a request arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestFacts {
    /// The agent's state now.
    pub state: ProcessState,
    /// Whether a configuration was applied (a start needs one).
    pub has_config: bool,
    /// Another control request is still being carried out.
    pub control_in_progress: bool,
    /// What the restart policy needs to know (policy, crash loop).
    pub context: RestartContext,
}

/// Why a request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Another start, stop, drain or restart is still being carried out.
    ControlInProgress,
    /// No configuration was applied yet: there is nothing to start.
    NoConfiguration,
    /// The state machine refuses it (already running, stopping).
    State(&'static str),
}

/// When the request is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerWhen {
    /// Once running, or in a failure state.
    Started,
    /// Once stopped.
    Stopped,
}

/// How a stop ends the process: with a grace after calls end, or waiting up to the timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopKind {
    /// Once calls are 0 the agent gets the stop grace to exit, then is killed.
    WithGrace,
    /// Once calls are 0 the agent may take until the timeout to exit on its own.
    UntilTimeout,
}

/// What to do with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestPlan {
    /// Refuse the request; nothing changes.
    Refuse(Refusal),
    /// Forget the restart history, run `StartRequested`.
    Start {
        /// When to answer the caller.
        answer: AnswerWhen,
    },
    /// Run `StopRequested`; start again once stopped when `then_start`.
    Stop {
        /// Whether to wait out the timeout or kill after the grace.
        kind: StopKind,
        /// Whether to start again once stopped (a restart).
        then_start: bool,
        /// When to answer the caller.
        answer: AnswerWhen,
    },
}

impl RequestPlan {
    /// Whether the agent should be running after this request (persisted across restarts).
    pub fn desired_running(request: ControlRequest) -> bool {
        matches!(request, ControlRequest::Start | ControlRequest::Restart)
    }
}

/// The plan for `request` given `facts`.
pub fn plan_request(request: ControlRequest, facts: RequestFacts) -> RequestPlan {
    if facts.control_in_progress {
        return RequestPlan::Refuse(Refusal::ControlInProgress);
    }
    match request {
        ControlRequest::Start if !facts.has_config => RequestPlan::Refuse(Refusal::NoConfiguration),
        ControlRequest::Start => match transition(facts.state, Event::StartRequested, facts.context) {
            Outcome::Refused { reason } => RequestPlan::Refuse(Refusal::State(reason)),
            _ => RequestPlan::Start { answer: AnswerWhen::Started },
        },
        // Nothing to stop: a restart is a start.
        ControlRequest::Restart if !facts.state.has_process() => plan_request(ControlRequest::Start, facts),
        ControlRequest::Restart => {
            RequestPlan::Stop { kind: StopKind::WithGrace, then_start: true, answer: AnswerWhen::Started }
        }
        ControlRequest::Stop => {
            RequestPlan::Stop { kind: StopKind::WithGrace, then_start: false, answer: AnswerWhen::Stopped }
        }
        ControlRequest::Drain => {
            RequestPlan::Stop { kind: StopKind::UntilTimeout, then_start: false, answer: AnswerWhen::Stopped }
        }
    }
}

/// What a configuration change is, as far as the running agent cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfigChange {
    /// The agent is starting or running.
    pub agent_running: bool,
    /// The new document has the same hash as the applied one.
    pub unchanged: bool,
    /// `runtime.reload = "signal"` in the new document.
    pub reload_by_signal: bool,
    /// A field under `runtime` changed.
    pub runtime_changed: bool,
    /// The secret values the document gives the agent differ from those it was started with (a
    /// rotated secret): only a new instance sees them, since they are in its environment.
    pub secrets_changed: bool,
}

/// How a configuration reaches the agent: stored, SIGHUP, or drain-restart. A changed secret is
/// a runtime change: secrets reach the agent through its environment, which a signal cannot
/// change, so it drain-restarts whatever `runtime.reload` says.
pub fn apply_action(change: ConfigChange) -> ApplyAction {
    if !change.agent_running || (change.unchanged && !change.secrets_changed) {
        ApplyAction::Stored
    } else if change.reload_by_signal && !change.runtime_changed && !change.secrets_changed {
        ApplyAction::Reloaded
    } else {
        ApplyAction::Restarted
    }
}
