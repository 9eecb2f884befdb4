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
    Start,
    Stop,
    Restart,
    Drain,
    /// Deploy an existing revision number of each customer (latest when absent).
    Deploy {
        revision: Option<u64>,
    },
    /// Create a revision from these operations on each customer's latest, then deploy it.
    Patch {
        operations: Vec<PatchOperation>,
        message: String,
    },
    /// Change each target's instance type (drain, stop, set the type, start; operator): see
    /// `voicefleet instances resize`. Then start the agent once its host answers.
    Resize {
        instance_type: String,
    },
}

impl BulkAction {
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
    pub action: BulkAction,
    pub selector: Selector,
    pub max_concurrency: Limit,
    pub max_errors: Limit,
    /// The first this many targets run alone and must pass before the rest start.
    #[serde(default)]
    pub canary: usize,
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
    Pending,
    Running,
    Succeeded,
    Failed,
    Skipped,
    RolledBack,
    /// In flight when the console process stopped; its reason says what the host showed.
    Interrupted,
}

/// One target's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TargetResult {
    pub customer_id: String,
    pub state: TargetState,
    pub canary: bool,
    pub reason: Option<String>,
    pub started_at_ms: Option<u64>,
    pub finished_at_ms: Option<u64>,
    /// For deploys: the revision before and the one deployed.
    pub previous_revision: Option<u64>,
    pub revision: Option<u64>,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunOutcome {
    Running,
    Succeeded,
    /// Some targets failed, within `max_errors`.
    CompletedWithErrors,
    StoppedOnErrors,
    CanaryFailed,
    Cancelled,
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
    pub id: String,
    pub spec: BulkSpec,
    pub actor: String,
    pub created_at_ms: u64,
    pub finished_at_ms: Option<u64>,
    pub outcome: RunOutcome,
    pub max_concurrency: u64,
    pub max_errors: u64,
    pub targets: Vec<TargetResult>,
}

impl BulkRun {
    pub fn count(&self, state: TargetState) -> usize {
        self.targets.iter().filter(|t| t.state == state).count()
    }
}

/// Progress of a run, as a stream any frontend can follow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BulkEvent {
    Target { run_id: String, result: TargetResult },
    Finished { run_id: String, outcome: RunOutcome },
}
