//! The restart policy. Every failed call is a customer hearing silence, so a crash after a
//! healthy run restarts at once, every time. Backoff (1 s doubling to the cap, ±20 % jitter) is
//! only for failed starts (the agent exited before it became ready) and is reset by the next
//! healthy run. A hot-loop guard sends a healthy agent that crashes over and over (more than 20
//! immediate restarts in 60 s) back to backoff. After 5 failed starts in a row the agent is in
//! `crash_loop`; it keeps retrying at the backoff delays and never gives up.
//!
//! Pure: the time and the jitter are given, so tests drive it with a fake clock.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Restart parameters; [`RestartSettings::default`] is the product's policy with a 60 s cap.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RestartSettings {
    /// The delay after the first failed start; it doubles with each further one.
    pub initial: Duration,
    /// The cap (`runtime.restart.max_backoff_seconds`).
    pub max: Duration,
    /// Jitter as a fraction of the delay (0.2 = ±20 %).
    pub jitter: f64,
    /// More immediate restarts than this within `hot_loop_window` fall back to backoff.
    pub hot_loop_limit: usize,
    /// The window `hot_loop_limit` counts immediate restarts in.
    pub hot_loop_window: Duration,
    /// This many failed starts in a row is a crash loop.
    pub crash_loop_after: u32,
}

impl Default for RestartSettings {
    fn default() -> Self {
        Self {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(60),
            jitter: 0.2,
            hot_loop_limit: 20,
            hot_loop_window: Duration::from_secs(60),
            crash_loop_after: 5,
        }
    }
}

/// How an instance ended, as far as the policy cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunEnd {
    /// It became ready (its `ready` event, or `max(start_seconds, 1 s)` alive), then ended.
    Healthy,
    /// It ended (or could not be spawned) before it became ready.
    FailedStart,
}

/// Why a restart waits as long as it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestartReason {
    /// A crash after a healthy run: at once.
    AfterHealthyRun,
    /// A failed start: backoff.
    FailedStart,
    /// A healthy run, but too many immediate restarts lately: backoff.
    HotLoop,
}

/// What to do about one ended instance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RestartDecision {
    /// How long to wait before starting again (zero: at once).
    pub delay: Duration,
    /// Why that delay.
    pub reason: RestartReason,
    /// The agent is crash-looping (`crash_loop_after` failed starts in a row, or more).
    pub crash_loop: bool,
    /// Failed starts in a row, this one included.
    pub consecutive_failed_starts: u32,
}

/// The restart history the policy needs: failed starts in a row, the backoff step, and the
/// times of recent immediate restarts.
#[derive(Debug, Clone)]
pub struct RestartTracker {
    settings: RestartSettings,
    consecutive_failed_starts: u32,
    /// Delayed restarts in a row (failed starts and hot-loop fallbacks); 0 after a healthy run.
    backoff_step: u32,
    immediate: VecDeque<Instant>,
}

impl RestartTracker {
    /// A tracker with no history.
    pub fn new(settings: RestartSettings) -> Self {
        Self { settings, consecutive_failed_starts: 0, backoff_step: 0, immediate: VecDeque::new() }
    }

    /// The settings it decides with.
    pub fn settings(&self) -> RestartSettings {
        self.settings
    }

    /// Replaces the settings (a new configuration), keeping the history.
    pub fn set_settings(&mut self, settings: RestartSettings) {
        self.settings = settings;
    }

    /// Failed starts in a row so far.
    pub fn consecutive_failed_starts(&self) -> u32 {
        self.consecutive_failed_starts
    }

    /// Forgets the history (someone asked for a start).
    pub fn reset(&mut self) {
        self.consecutive_failed_starts = 0;
        self.backoff_step = 0;
        self.immediate.clear();
    }

    /// The un-jittered delay of the `step`-th delayed restart in a row (1-based): 1 s, 2 s, 4 s, …
    fn base_delay(&self, step: u32) -> Duration {
        let doublings = step.saturating_sub(1).min(31);
        self.settings.initial.saturating_mul(1u32 << doublings).min(self.settings.max)
    }

    fn jittered(&self, base: Duration, jitter_unit: f64) -> Duration {
        let factor = 1.0 + self.settings.jitter * (2.0 * jitter_unit.clamp(0.0, 1.0) - 1.0);
        base.mul_f64(factor)
    }

    fn recent_immediate(&self, now: Instant) -> usize {
        self.immediate
            .iter()
            .filter(|at| now.saturating_duration_since(**at) < self.settings.hot_loop_window)
            .count()
    }

    /// The decision for an instance that ended at `now`, without recording it (the caller
    /// records it with [`RestartTracker::record`] once the restart is really scheduled).
    /// `jitter_unit` is a random number in [0, 1) (0.5 means no jitter).
    pub fn decide(&self, end: RunEnd, now: Instant, jitter_unit: f64) -> RestartDecision {
        match end {
            RunEnd::Healthy if self.recent_immediate(now) < self.settings.hot_loop_limit => RestartDecision {
                delay: Duration::ZERO,
                reason: RestartReason::AfterHealthyRun,
                crash_loop: false,
                consecutive_failed_starts: 0,
            },
            RunEnd::Healthy => RestartDecision {
                delay: self.jittered(self.base_delay(self.backoff_step + 1), jitter_unit),
                reason: RestartReason::HotLoop,
                crash_loop: false,
                consecutive_failed_starts: 0,
            },
            RunEnd::FailedStart => {
                let failed = self.consecutive_failed_starts.saturating_add(1);
                RestartDecision {
                    delay: self.jittered(self.base_delay(self.backoff_step + 1), jitter_unit),
                    reason: RestartReason::FailedStart,
                    crash_loop: failed >= self.settings.crash_loop_after,
                    consecutive_failed_starts: failed,
                }
            }
        }
    }

    /// Records a restart scheduled by `decision` at `now`.
    pub fn record(&mut self, decision: &RestartDecision, now: Instant) {
        let window = self.settings.hot_loop_window;
        self.immediate.retain(|at| now.saturating_duration_since(*at) < window);
        self.consecutive_failed_starts = decision.consecutive_failed_starts;
        match decision.reason {
            RestartReason::AfterHealthyRun => {
                self.backoff_step = 0;
                self.immediate.push_back(now);
            }
            RestartReason::FailedStart | RestartReason::HotLoop => {
                self.backoff_step = self.backoff_step.saturating_add(1);
            }
        }
    }
}
