//! The voice-agent process state machine: one pure transition function over events.

use std::fmt;

use crate::config::RestartPolicy;

/// Where a supervised voice agent is in its life.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ProcessState {
    /// Not running, because nobody asked it to run or a stop finished.
    Stopped,
    /// Spawned; waiting for the `ready` event or `start_seconds` alive.
    Starting,
    /// Ready and serving calls.
    Running,
    /// Exited unexpectedly; a restart is scheduled.
    Backoff,
    /// A stop was asked: draining calls, then killing the process group.
    Stopping,
    /// Exited and the restart policy says not to restart.
    Exited,
    /// Failing to start over and over (5 failed starts in a row): retrying with backoff, never
    /// giving up.
    CrashLoop,
}

impl ProcessState {
    /// Every state, for tables and schemas that list them.
    pub const ALL: [ProcessState; 7] = [
        ProcessState::Stopped,
        ProcessState::Starting,
        ProcessState::Running,
        ProcessState::Backoff,
        ProcessState::Stopping,
        ProcessState::Exited,
        ProcessState::CrashLoop,
    ];

    /// The stable lower-case name used in every API.
    pub fn as_str(self) -> &'static str {
        match self {
            ProcessState::Stopped => "stopped",
            ProcessState::Starting => "starting",
            ProcessState::Running => "running",
            ProcessState::Backoff => "backoff",
            ProcessState::Stopping => "stopping",
            ProcessState::Exited => "exited",
            ProcessState::CrashLoop => "crash_loop",
        }
    }

    /// Parses [`ProcessState::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == text)
    }

    /// True when a voice-agent process may be alive in this state.
    pub fn has_process(self) -> bool {
        matches!(self, ProcessState::Starting | ProcessState::Running | ProcessState::Stopping)
    }
}

impl fmt::Display for ProcessState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Event {
    /// Someone asked for the agent to run.
    StartRequested,
    /// Someone asked for the agent to stop (drain, then kill).
    StopRequested,
    /// The agent said `ready`, or lived `start_seconds`.
    Ready,
    /// The agent process exited; `success` when its exit code was 0.
    ProcessExited {
        /// True when the exit code was 0.
        success: bool,
    },
    /// The process could not be spawned at all (command not found, no permission).
    SpawnFailed,
    /// The scheduled restart is due.
    RetryDue,
    /// Every process of the group is gone after a stop.
    GroupGone,
}

impl Event {
    /// One of each event, for exhaustive tests.
    pub const ALL: [Event; 8] = [
        Event::StartRequested,
        Event::StopRequested,
        Event::Ready,
        Event::ProcessExited { success: true },
        Event::ProcessExited { success: false },
        Event::SpawnFailed,
        Event::RetryDue,
        Event::GroupGone,
    ];
}

/// What the supervisor must do on entering the new state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Spawn the voice agent.
    Spawn,
    /// Schedule a restart after the backoff delay.
    ScheduleRetry,
    /// Cancel a scheduled restart.
    CancelRetry,
    /// SIGTERM the process group and start draining.
    Terminate,
    /// SIGKILL whatever is left of the process group.
    KillGroup,
}

/// What the restart policy needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestartContext {
    /// The configuration's `runtime.restart.policy`.
    pub policy: RestartPolicy,
    /// True when the restart this exit calls for is a crash loop (5 failed starts in a row).
    pub crash_loop: bool,
}

/// The result of one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Move to `next` and perform `action`, if any.
    Move {
        /// The state to move to.
        next: ProcessState,
        /// What the supervisor must do; none for a change of state alone.
        action: Option<Action>,
    },
    /// The event does not apply in this state (a stale timer, a repeated stop); nothing changes.
    Ignored,
    /// A request that conflicts with the current state; nothing changes and the caller is told.
    Refused {
        /// Why, for the caller (`the agent is already running`).
        reason: &'static str,
    },
}

fn go(next: ProcessState, action: Option<Action>) -> Outcome {
    Outcome::Move { next, action }
}

/// The one transition function. Total: every (state, event) pair has an answer.
pub fn transition(state: ProcessState, event: Event, context: RestartContext) -> Outcome {
    use Action::*;
    use ProcessState::*;
    let after_failure = || {
        if context.policy == RestartPolicy::Never {
            go(Exited, None)
        } else if context.crash_loop {
            go(CrashLoop, Some(ScheduleRetry))
        } else {
            go(Backoff, Some(ScheduleRetry))
        }
    };
    match (state, event) {
        (Stopped | Exited | Backoff | CrashLoop, Event::StartRequested) => go(Starting, Some(Spawn)),
        (Starting | Running, Event::StartRequested) => {
            Outcome::Refused { reason: "the agent is already running" }
        }
        (Stopping, Event::StartRequested) => Outcome::Refused { reason: "the agent is stopping" },

        (Starting | Running, Event::StopRequested) => go(Stopping, Some(Terminate)),
        (Backoff | CrashLoop, Event::StopRequested) => go(Stopped, Some(CancelRetry)),
        (Stopped | Exited | Stopping, Event::StopRequested) => Outcome::Ignored,

        (Starting, Event::Ready) => go(Running, None),
        (_, Event::Ready) => Outcome::Ignored,

        (Starting | Running, Event::ProcessExited { success: true }) => match context.policy {
            // A clean exit under `always` is restarted like a crash: at once after a healthy run,
            // with backoff after a failed start, so an agent that keeps exiting 0 is still seen
            // as looping.
            RestartPolicy::Always => after_failure(),
            RestartPolicy::OnFailure | RestartPolicy::Never => go(Exited, None),
        },
        (Starting | Running, Event::ProcessExited { success: false }) => after_failure(),
        (Stopping, Event::ProcessExited { .. }) => go(Stopping, Some(KillGroup)),
        (_, Event::ProcessExited { .. }) => Outcome::Ignored,

        (Starting, Event::SpawnFailed) => after_failure(),
        (_, Event::SpawnFailed) => Outcome::Ignored,

        (Backoff | CrashLoop, Event::RetryDue) => go(Starting, Some(Spawn)),
        (_, Event::RetryDue) => Outcome::Ignored,

        (Stopping, Event::GroupGone) => go(Stopped, None),
        (_, Event::GroupGone) => Outcome::Ignored,
    }
}

impl PartialEq<&str> for ProcessState {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}
