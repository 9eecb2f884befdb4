//! The recovery policy: what to do about a customer whose host agent has stopped answering,
//! given what the cloud says of its instance. Pure (state × observations → decision); the
//! console observes, asks [`decide`], acts, and records when it acted.
//!
//! A host unreachable for `unreachable_after` whose instance is stopped is started; one whose
//! status checks report a failure is rebooted; one whose instance is terminated or missing is
//! replaced from its recorded launch spec. An instance in transition (pending, stopping,
//! shutting down) is left to finish. An instance that runs with passing checks is not the
//! cloud's problem: no cloud action (the host agent's own alerting covers it). At most one
//! recovery per instance per `window`.

use std::time::Duration;

use super::types::{Instance, InstanceState};

/// Recovery settings, fleet-wide or for one customer. Off by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecoveryPolicy {
    /// Whether the console acts at all.
    pub enabled: bool,
    /// How long a host must have been unreachable before anything is done.
    pub unreachable_after: Duration,
    /// After a recovery, no other one for the same customer within this long.
    pub window: Duration,
}

impl Default for RecoveryPolicy {
    fn default() -> Self {
        RecoveryPolicy {
            enabled: false,
            unreachable_after: Duration::from_secs(120),
            window: Duration::from_secs(30 * 60),
        }
    }
}

/// Recovery settings as set, fleet-wide or for one customer: each field given overrides the
/// level under it (defaults ← fleet ← customer). (Serialized as the console store's record.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct RecoverySettings {
    /// Whether recovery acts at all (off by default).
    pub enabled: Option<bool>,
    /// How long a host must be unreachable before its instance is looked at, in seconds.
    pub unreachable_after_seconds: Option<u64>,
    /// At most one recovery per instance within this many seconds.
    pub window_seconds: Option<u64>,
}

impl RecoverySettings {
    /// Nothing set: the level under it applies.
    pub fn is_empty(&self) -> bool {
        *self == RecoverySettings::default()
    }

    /// Checks the durations: `unreachable_after` 30 s to a day, the window 1 minute to a week.
    pub fn validate(&self) -> crate::Result<()> {
        let check = |value: Option<u64>, name: &str, min: u64, max: u64, hint: &str| match value {
            Some(v) if !(min..=max).contains(&v) => Err(crate::Error::InvalidValue {
                value: format!("{name} {v}s"),
                reason: format!("give {hint}"),
            }),
            _ => Ok(()),
        };
        check(self.unreachable_after_seconds, "unreachable after", 30, 86_400, "30s to 24h")?;
        check(self.window_seconds, "window", 60, 7 * 86_400, "1m to 7d")
    }

    /// This level over `under`.
    fn over(&self, under: RecoveryPolicy) -> RecoveryPolicy {
        RecoveryPolicy {
            enabled: self.enabled.unwrap_or(under.enabled),
            unreachable_after: self
                .unreachable_after_seconds
                .map_or(under.unreachable_after, Duration::from_secs),
            window: self.window_seconds.map_or(under.window, Duration::from_secs),
        }
    }
}

/// A customer's policy: the defaults (off), under the fleet's settings, under its own.
pub fn effective_policy(
    fleet: Option<&RecoverySettings>,
    customer: Option<&RecoverySettings>,
) -> RecoveryPolicy {
    let fleet_level = fleet.map_or_else(RecoveryPolicy::default, |f| f.over(RecoveryPolicy::default()));
    customer.map_or(fleet_level, |c| c.over(fleet_level))
}

/// What the console knows of one customer at a moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryObservation<'a> {
    /// The time of the observation, in milliseconds since the Unix epoch.
    pub now_ms: u64,
    /// Since when its host agent has not answered; `None` when it answers.
    pub unreachable_since_ms: Option<u64>,
    /// Its instance as the cloud reports it; `None` when the cloud has none.
    pub instance: Option<&'a Instance>,
    /// When the last recovery for this customer was started.
    pub last_recovery_ms: Option<u64>,
}

/// A recovery step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecoveryAction {
    /// The instance is stopped: start it.
    Start,
    /// A status check fails: reboot it.
    Reboot,
    /// Terminated or missing: launch a replacement from the launch spec and restore the
    /// customer's configuration and secrets onto it.
    Replace,
    /// Not the policy's: once a replacement's host agent answers, the console deploys the
    /// customer's revision with its secrets there and starts the agent (once per replacement).
    Restore,
}

impl RecoveryAction {
    /// The stable name used in the audit log and the APIs (`start`, `reboot`, `replace`).
    pub fn as_str(self) -> &'static str {
        match self {
            RecoveryAction::Start => "start",
            RecoveryAction::Reboot => "reboot",
            RecoveryAction::Replace => "replace",
            RecoveryAction::Restore => "restore",
        }
    }
}

/// Why nothing is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Hold {
    /// Recovery is off for this customer.
    Disabled,
    /// The host agent answers.
    Reachable,
    /// Unreachable for less than `unreachable_after`.
    NotYet,
    /// A recovery was started within the window.
    RecoveredRecently,
    /// The instance is pending, stopping or shutting down (or in a state not known here).
    InTransition,
    /// The instance runs and its checks pass: not a cloud failure.
    InstanceHealthy,
}

/// The policy's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecoveryDecision {
    /// Do this now.
    Act(RecoveryAction),
    /// Do nothing, for this reason.
    Hold(Hold),
}

/// The decision for one customer.
pub fn decide(policy: &RecoveryPolicy, observation: &RecoveryObservation<'_>) -> RecoveryDecision {
    use RecoveryDecision::{Act, Hold as H};
    if !policy.enabled {
        return H(Hold::Disabled);
    }
    let Some(since) = observation.unreachable_since_ms else {
        return H(Hold::Reachable);
    };
    if observation.now_ms.saturating_sub(since) < millis(policy.unreachable_after) {
        return H(Hold::NotYet);
    }
    if let Some(last) = observation.last_recovery_ms
        && observation.now_ms.saturating_sub(last) < millis(policy.window)
    {
        return H(Hold::RecoveredRecently);
    }
    let Some(instance) = observation.instance else {
        return Act(RecoveryAction::Replace);
    };
    match instance.state {
        InstanceState::Terminated => Act(RecoveryAction::Replace),
        InstanceState::Stopped => Act(RecoveryAction::Start),
        InstanceState::Running if instance.impaired() => Act(RecoveryAction::Reboot),
        InstanceState::Running => H(Hold::InstanceHealthy),
        InstanceState::Pending
        | InstanceState::Stopping
        | InstanceState::ShuttingDown
        | InstanceState::Unknown => H(Hold::InTransition),
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
