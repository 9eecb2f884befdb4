//! The supervisor's small decisions, made pure: when an instance counts as ready and as healthy,
//! when a drain is over, and what a memory figure over the limit calls for. The supervisor
//! measures; these functions decide.

use std::time::{Duration, Instant};

use super::ProcessState;

/// A run counts as healthy after this long alive without a `ready` event, at the least.
pub const HEALTHY_AFTER_AT_LEAST: Duration = Duration::from_secs(1);

/// True when an instance alive for `alive_for` is ready without having said so
/// (`runtime.start_seconds`).
pub fn ready_by_time(alive_for: Duration, start_seconds: f64) -> bool {
    alive_for >= Duration::from_secs_f64(start_seconds.max(0.0))
}

/// True when a run was healthy: it emitted `ready`, or lived `max(start_seconds, 1 s)`.
pub fn run_was_healthy(ready_event: bool, alive_for: Duration, start_seconds: f64) -> bool {
    ready_event || alive_for >= Duration::from_secs_f64(start_seconds.max(0.0)).max(HEALTHY_AFTER_AT_LEAST)
}

/// A drain in progress: after SIGTERM, the agent gets until `deadline`; once its calls are 0
/// it gets `grace` more to exit on its own (none: it may take until the deadline).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Drain {
    /// When the group is killed whatever the calls.
    pub deadline: Instant,
    /// How long the agent may take to exit once no call is active; none: until the deadline.
    pub grace: Option<Duration>,
    /// Since when no call has been active.
    pub calls_zero_since: Option<Instant>,
}

/// What a drain calls for now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DrainVerdict {
    /// Calls are still active, or the grace is not over: check again later.
    Wait,
    /// The deadline passed, or the grace after the last call: SIGKILL the group.
    Kill,
}

impl Drain {
    /// A drain that starts at `now` and ends at `now + timeout` at the latest.
    pub fn new(now: Instant, timeout: Duration, grace: Option<Duration>) -> Self {
        Self { deadline: now + timeout, grace, calls_zero_since: None }
    }

    /// Updates the drain with the active calls at `now` and says whether to kill.
    pub fn check(&mut self, now: Instant, active_calls: usize) -> DrainVerdict {
        if active_calls == 0 {
            self.calls_zero_since.get_or_insert(now);
        } else {
            self.calls_zero_since = None;
        }
        let grace_over = match (self.grace, self.calls_zero_since) {
            (Some(grace), Some(since)) => now.saturating_duration_since(since) >= grace,
            _ => false,
        };
        if grace_over || now >= self.deadline { DrainVerdict::Kill } else { DrainVerdict::Wait }
    }
}

/// The facts a memory check needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryFacts {
    /// The agent's state.
    pub state: ProcessState,
    /// The group's resident memory in the latest sample, in bytes.
    pub rss_bytes: u64,
    /// `runtime.memory_limit_mb` in bytes, if set.
    pub limit_bytes: Option<u64>,
    /// A start, stop or restart request is being carried out.
    pub control_in_progress: bool,
    /// Calls in progress.
    pub active_calls: usize,
    /// This instance's excess has already been reported.
    pub already_reported: bool,
}

/// What a memory figure calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryVerdict {
    /// Raise the `memory_limit` event (once per instance).
    pub report: bool,
    /// Drain-restart now (no call is active).
    pub restart: bool,
}

/// Over the limit, a running agent is reported once and restarted as soon as it has no call.
pub fn memory_verdict(facts: MemoryFacts) -> MemoryVerdict {
    let over = facts.limit_bytes.is_some_and(|limit| facts.rss_bytes > limit);
    if !over || facts.state != ProcessState::Running || facts.control_in_progress {
        return MemoryVerdict { report: false, restart: false };
    }
    MemoryVerdict { report: !facts.already_reported, restart: facts.active_calls == 0 }
}
