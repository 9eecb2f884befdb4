//! Bulk operations: an action over selected customers, with rate control, a canary, a health
//! gate and automatic rollback. Every run is stored with its spec and every target's result.

use serde::{Deserialize, Serialize};

use super::rate::Limit;
use super::selector::Selector;
use crate::config::PatchOperation;

/// What to do to each target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BulkAction {
    /// Start each target's agent.
    Start,
    /// Stop each target's agent (drain, grace, kill).
    Stop,
    /// Restart each target's agent.
    Restart,
    /// Drain each target's agent: it may take until the timeout to exit on its own.
    Drain,
    /// Deploy an existing revision number of each customer (latest when absent).
    Deploy {
        /// The revision number to deploy to every target; each customer's latest when absent.
        revision: Option<u64>,
    },
    /// Create a revision from these operations on each customer's latest, then deploy it.
    Patch {
        /// The edits, applied in order to each customer's latest revision.
        operations: Vec<PatchOperation>,
        /// The new revisions' message.
        message: String,
    },
    /// Change each target's instance type (drain, stop, set the type, start; operator): see
    /// `voicefleet instances resize`. Then start the agent once its host answers.
    Resize {
        /// The EC2 instance type to set (`t3.large`).
        instance_type: String,
    },
}

impl BulkAction {
    /// The stable name used in the audit log and the APIs (`start`, `deploy`, `patch`…).
    pub fn name(&self) -> &'static str {
        match self {
            BulkAction::Start => "start",
            BulkAction::Stop => "stop",
            BulkAction::Restart => "restart",
            BulkAction::Drain => "drain",
            BulkAction::Deploy { .. } => "deploy",
            BulkAction::Patch { .. } => "patch",
            BulkAction::Resize { .. } => "resize",
        }
    }

    /// Whether the action changes configuration (deploy, patch): such a run needs the admin role, a
    /// control run the operator role.
    pub fn changes_config(&self) -> bool {
        matches!(self, BulkAction::Deploy { .. } | BulkAction::Patch { .. })
    }
}

/// When a target counts as healthy after its action.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct HealthGate {
    /// Running this long, continuously, within the limits below.
    pub min_healthy_seconds: f64,
    /// Highest error rate (errors per turn, 5 minutes).
    pub max_error_rate: Option<f64>,
    /// Highest p95 end-to-end turn latency, in milliseconds.
    pub max_p95_ms: Option<f64>,
}

impl HealthGate {
    /// The gate the given limits make: none when no limit is given; a missing healthy time
    /// means healthy on arrival.
    pub fn from_limits(
        min_healthy_seconds: Option<f64>,
        max_error_rate: Option<f64>,
        max_p95_ms: Option<f64>,
    ) -> Option<HealthGate> {
        match (min_healthy_seconds, max_error_rate, max_p95_ms) {
            (None, None, None) => None,
            (healthy, max_error_rate, max_p95_ms) => {
                Some(HealthGate { min_healthy_seconds: healthy.unwrap_or(0.0), max_error_rate, max_p95_ms })
            }
        }
    }
}

/// A bulk operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BulkSpec {
    /// What to do to each target.
    pub action: BulkAction,
    /// Which customers are targets.
    pub selector: Selector,
    /// How many targets may be in flight at once (a count, or a percentage of the targets rounded
    /// up; at least 1).
    pub max_concurrency: Limit,
    /// How many targets may fail before the run stops starting new ones (a count, or a percentage
    /// of the targets rounded up); targets in flight still finish.
    pub max_errors: Limit,
    /// The first this many targets run alone and must pass before the rest start.
    #[serde(default)]
    pub canary: usize,
    /// What each target must show after its action to count as succeeded; none: the action's own
    /// success is enough.
    #[serde(default)]
    pub health_gate: Option<HealthGate>,
    /// Return targets whose deploy failed to their previous revision.
    #[serde(default)]
    pub auto_rollback: bool,
    /// Only show the plan.
    #[serde(default)]
    pub dry_run: bool,
}

/// Where one target stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TargetState {
    /// Not started yet.
    Pending,
    /// Its action (and health gate) in progress.
    Running,
    /// Its action succeeded and it passed the health gate.
    Succeeded,
    /// Its action failed or it did not pass the health gate; `reason` says why.
    Failed,
    /// Never started: the run was cancelled, its canary failed, or it stopped on errors.
    Skipped,
    /// It failed and was returned to its previous revision (`auto_rollback`); counts as failed.
    RolledBack,
    /// In flight when the console process stopped; its reason says what the host showed.
    Interrupted,
}

/// One target's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TargetResult {
    /// The target customer.
    pub customer_id: String,
    /// Where it stands.
    pub state: TargetState,
    /// Whether it is one of the run's canaries.
    pub canary: bool,
    /// Why it failed, was skipped or rolled back; none while it goes well.
    pub reason: Option<String>,
    /// When its action started, in milliseconds since the Unix epoch; none before.
    pub started_at_ms: Option<u64>,
    /// When it finished, in milliseconds since the Unix epoch; none before.
    pub finished_at_ms: Option<u64>,
    /// For deploys: the revision before and the one deployed.
    pub previous_revision: Option<u64>,
    /// The revision deployed to it (deploy and patch runs).
    pub revision: Option<u64>,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunOutcome {
    /// Still in progress.
    Running,
    /// Every target succeeded.
    Succeeded,
    /// Some targets failed, within `max_errors`.
    CompletedWithErrors,
    /// More targets failed than `max_errors` allows: no new target was started after that.
    StoppedOnErrors,
    /// A canary failed: no other target was started.
    CanaryFailed,
    /// Cancelled: no new target was started after the cancel.
    Cancelled,
    /// Only the plan was made (`dry_run`); nothing was done.
    DryRun,
    /// The console process stopped while the run was in flight (`kill -9`, a power cut); the
    /// next console server ended it with each target's true state.
    Interrupted,
}

impl RunOutcome {
    /// The name the API and the CLI use (`stopped_on_errors`).
    pub fn as_str(self) -> &'static str {
        match self {
            RunOutcome::Running => "running",
            RunOutcome::Succeeded => "succeeded",
            RunOutcome::CompletedWithErrors => "completed_with_errors",
            RunOutcome::StoppedOnErrors => "stopped_on_errors",
            RunOutcome::CanaryFailed => "canary_failed",
            RunOutcome::Cancelled => "cancelled",
            RunOutcome::DryRun => "dry_run",
            RunOutcome::Interrupted => "interrupted",
        }
    }
}

impl std::fmt::Display for RunOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TargetState {
    /// The name the API and the CLI use (`rolled_back`).
    pub fn as_str(self) -> &'static str {
        match self {
            TargetState::Pending => "pending",
            TargetState::Running => "running",
            TargetState::Succeeded => "succeeded",
            TargetState::Failed => "failed",
            TargetState::Skipped => "skipped",
            TargetState::RolledBack => "rolled_back",
            TargetState::Interrupted => "interrupted",
        }
    }
}

impl std::fmt::Display for TargetState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BulkRun {
    /// The run's id.
    pub id: String,
    /// What was asked.
    pub spec: BulkSpec,
    /// Who started it.
    pub actor: String,
    /// When it was started, in milliseconds since the Unix epoch.
    pub created_at_ms: u64,
    /// When it ended, in milliseconds since the Unix epoch; none while it runs.
    pub finished_at_ms: Option<u64>,
    /// How it ended, or `running`.
    pub outcome: RunOutcome,
    /// The spec's `max_concurrency` resolved for this run's number of targets.
    pub max_concurrency: u64,
    /// The spec's `max_errors` resolved for this run's number of targets.
    pub max_errors: u64,
    /// Every target, canaries first, in the order they start.
    pub targets: Vec<TargetResult>,
}

impl BulkRun {
    /// How many targets are in `state`.
    pub fn count(&self, state: TargetState) -> usize {
        self.targets.iter().filter(|t| t.state == state).count()
    }
}

/// Progress of a run, as a stream any frontend can follow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BulkEvent {
    /// A target started or finished.
    Target {
        /// The run.
        run_id: String,
        /// The target's result so far.
        result: TargetResult,
    },
    /// The run ended.
    Finished {
        /// The run.
        run_id: String,
        /// How it ended.
        outcome: RunOutcome,
    },
}
