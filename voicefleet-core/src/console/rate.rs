//! Bulk rate control, pure: how many targets may run at once and when the run must stop taking
//! new ones (AWS Systems Manager semantics: after the error that exceeds `max_errors`, no new
//! target starts; targets in flight finish).

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A count or a percentage of the targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    /// That many targets.
    Count(u64),
    /// That percentage of the targets (0 to 100), rounded up.
    Percent(u8),
}

impl Limit {
    /// Parses `10` or `10%`.
    pub fn parse(text: &str) -> Result<Limit> {
        let invalid = || Error::InvalidValue {
            value: text.to_owned(),
            reason: "a limit is a whole number (10) or a percentage (10%)".to_owned(),
        };
        match text.trim().strip_suffix('%') {
            Some(percent) => {
                let value: u8 = percent.trim().parse().map_err(|_| invalid())?;
                if value > 100 {
                    return Err(invalid());
                }
                Ok(Limit::Percent(value))
            }
            None => text.trim().parse().map(Limit::Count).map_err(|_| invalid()),
        }
    }

    /// The limit for `total` targets. Percentages round up, so 10% of 5 is 1, never 0.
    pub fn resolve(self, total: u64) -> u64 {
        match self {
            Limit::Count(count) => count,
            Limit::Percent(percent) => (total * u64::from(percent)).div_ceil(100),
        }
    }
}

/// The rate controller's view of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateControl {
    /// Targets that may be in flight at once, at least 1.
    pub max_concurrency: u64,
    /// Failed targets the run tolerates; one more stops it.
    pub max_errors: u64,
    in_flight: u64,
    errors: u64,
    stopped: bool,
}

impl RateControl {
    /// `max_concurrency` is at least 1.
    pub fn new(max_concurrency: u64, max_errors: u64) -> Self {
        Self { max_concurrency: max_concurrency.max(1), max_errors, in_flight: 0, errors: 0, stopped: false }
    }

    /// May another target start now?
    pub fn may_start(&self) -> bool {
        !self.stopped && self.in_flight < self.max_concurrency
    }

    /// Counts a target as started; call only when [`RateControl::may_start`] says so.
    pub fn started(&mut self) {
        debug_assert!(self.may_start());
        self.in_flight += 1;
    }

    /// A target finished; returns true when this failure stops the run.
    pub fn finished(&mut self, failed: bool) -> bool {
        self.in_flight = self.in_flight.saturating_sub(1);
        if failed {
            self.errors += 1;
            if self.errors > self.max_errors && !self.stopped {
                self.stopped = true;
                return true;
            }
        }
        false
    }

    /// Stops starting new targets (cancel, canary failure).
    pub fn stop(&mut self) {
        self.stopped = true;
    }

    /// Whether no new target may start (too many errors, cancelled, a canary failed).
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// Targets started and not finished.
    pub fn in_flight(&self) -> u64 {
        self.in_flight
    }

    /// Failed targets so far.
    pub fn errors(&self) -> u64 {
        self.errors
    }
}
