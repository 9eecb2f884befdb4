//! Restart backoff: first restart immediately, then 1 s doubling to the cap with ±20 % jitter,
//! reset after a stable run. Pure: times and jitter are given.

use std::time::Duration;

/// Backoff parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BackoffSettings {
    /// The first delayed restart waits this long (the very first restart waits nothing).
    pub initial: Duration,
    /// The cap (`runtime.restart.max_backoff_seconds`).
    pub max: Duration,
    /// A run at least this long resets the backoff.
    pub stable_after: Duration,
    /// Jitter as a fraction of the delay (0.2 = ±20 %).
    pub jitter: f64,
}

impl Default for BackoffSettings {
    fn default() -> Self {
        Self {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(60),
            stable_after: Duration::from_secs(60),
            jitter: 0.2,
        }
    }
}

/// The delay before the next restart, and whether it is at the cap (a crash loop).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RestartDelay {
    pub delay: Duration,
    pub at_cap: bool,
    /// How many failures in a row this restart follows.
    pub consecutive_failures: u32,
}

/// Counts failures in a row and turns them into delays.
#[derive(Debug, Clone)]
pub struct Backoff {
    settings: BackoffSettings,
    consecutive_failures: u32,
}

impl Backoff {
    pub fn new(settings: BackoffSettings) -> Self {
        Self { settings, consecutive_failures: 0 }
    }

    pub fn settings(&self) -> BackoffSettings {
        self.settings
    }

    /// Replaces the settings (a new config), keeping the failure count.
    pub fn set_settings(&mut self, settings: BackoffSettings) {
        self.settings = settings;
    }

    /// Failures in a row so far.
    pub fn consecutive_failures(&self) -> u32 {
        self.consecutive_failures
    }

    /// The un-jittered delay for the `n`-th failure in a row (1-based): 0, 1 s, 2 s, 4 s, ... cap.
    fn base_delay(&self, n: u32) -> Duration {
        if n <= 1 {
            return Duration::ZERO;
        }
        let doublings = (n - 2).min(32);
        let delay = self.settings.initial.saturating_mul(1u32 << doublings.min(31));
        delay.min(self.settings.max)
    }

    /// Would the next failure's delay be at the cap? (The state machine's `at_backoff_cap`.)
    pub fn next_is_at_cap(&self, ran_for: Duration) -> bool {
        let n = if ran_for >= self.settings.stable_after { 1 } else { self.consecutive_failures + 1 };
        n > 1 && self.base_delay(n) >= self.settings.max
    }

    /// Records a failure after a run of `ran_for` and returns the delay before the restart.
    /// `jitter_unit` is a random number in [0, 1) (0.5 means no jitter).
    pub fn on_failure(&mut self, ran_for: Duration, jitter_unit: f64) -> RestartDelay {
        if ran_for >= self.settings.stable_after {
            self.consecutive_failures = 0;
        }
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        let base = self.base_delay(self.consecutive_failures);
        let at_cap = self.consecutive_failures > 1 && base >= self.settings.max;
        let factor = 1.0 + self.settings.jitter * (2.0 * jitter_unit.clamp(0.0, 1.0) - 1.0);
        let delay = if base.is_zero() { base } else { base.mul_f64(factor) };
        RestartDelay { delay, at_cap, consecutive_failures: self.consecutive_failures }
    }

    /// Forgets past failures (a requested start, a stable run).
    pub fn reset(&mut self) {
        self.consecutive_failures = 0;
    }
}
