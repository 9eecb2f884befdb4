//! Setters of [`ConsoleOptions`] (its fields are public to read; the struct is
//! `#[non_exhaustive]`, so it is built from its default).

use std::sync::Arc;
use std::time::Duration;

use super::{AlertNotifier, AlertThresholds, CheckpointLog, ConsoleOptions};
use crate::clock::SharedClock;
use crate::instances::{MappingOptions, ResizeOptions};

impl ConsoleOptions {
    /// Sets the longest wait for one host's status.
    pub fn host_timeout(mut self, timeout: Duration) -> Self {
        self.host_timeout = timeout;
        self
    }

    /// Sets how many hosts are polled at once.
    pub fn status_concurrency(mut self, hosts: usize) -> Self {
        self.status_concurrency = hosts;
        self
    }

    /// Sets the alert thresholds.
    pub fn thresholds(mut self, thresholds: AlertThresholds) -> Self {
        self.thresholds = thresholds;
        self
    }

    /// Sends alert notifications to `notifier`.
    pub fn notifier(mut self, notifier: Arc<dyn AlertNotifier>) -> Self {
        self.notifier = Some(notifier);
        self
    }

    /// Sets how often a health gate polls a target.
    pub fn health_poll(mut self, every: Duration) -> Self {
        self.health_poll = every;
        self
    }

    /// Sets how old a bulk run left in flight may be and still be resumed.
    pub fn resume_within(mut self, age: Duration) -> Self {
        self.resume_within = age;
        self
    }

    /// Sets where "now" comes from.
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Writes and checks signed checkpoints of the audit chain's head in `log`.
    pub fn checkpoints(mut self, log: Arc<CheckpointLog>) -> Self {
        self.checkpoints = Some(log);
        self
    }

    /// Sets how instances map onto customers.
    pub fn instance_mapping(mut self, mapping: MappingOptions) -> Self {
        self.instance_mapping = mapping;
        self
    }

    /// Sets how a resize waits for the cloud.
    pub fn resize(mut self, resize: ResizeOptions) -> Self {
        self.resize = resize;
        self
    }

    /// Sets the public key (PEM) hosts trust for this console's tokens; onboarding writes it into
    /// a new host's user data (without it, this console cannot onboard).
    pub fn host_public_key_pem(mut self, pem: impl Into<String>) -> Self {
        self.host_public_key_pem = Some(pem.into());
        self
    }
}
