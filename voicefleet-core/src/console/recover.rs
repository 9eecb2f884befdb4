//! Runs a previous console process left in flight. A run lives in the process that executes it;
//! when that process dies (`kill -9`, a power cut), its stored run still says `running`. A console
//! server ends every such run as `interrupted` before it serves, with each target's true state:
//! a target that was in flight is checked against its host (the instance's start time, its state,
//! the deployed configuration), never repeated blindly, and a target that never started is
//! skipped. The operator decides whether to run the rest again (`bulk run` with the same
//! selector is a new run, with its own plan).

use std::time::Duration;

use super::Console;
use super::bulk::{BulkAction, BulkEvent, BulkRun, RunOutcome, TargetResult, TargetState};
use crate::error::Result;
use crate::host::HostStatus;
use crate::lifecycle::ProcessState;

/// What the host shows about an action that was in flight when the console stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InFlightVerdict {
    /// The action took effect; nothing is left to verify.
    Done(String),
    /// The action took effect, but the run's health gate was never checked.
    DoneUnverified(String),
    /// The action did not take effect, or the host does not say.
    NotDone(String),
}

/// What the console knows about a customer besides its host's status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConsoleSide {
    /// The revision the console recorded as deployed.
    pub deployed_revision: Option<u64>,
}

/// Decides from the host's status whether `action`, started at `started_at_ms`, took effect.
/// `now_ms` dates the instance (its uptime counts back from it); `gated` says the run had a
/// health gate that was never finished.
pub fn in_flight_verdict(
    action: &BulkAction,
    target: &TargetResult,
    status: &HostStatus,
    console: ConsoleSide,
    now_ms: u64,
    gated: bool,
) -> InFlightVerdict {
    let state = status.state;
    let instance_started_ms = status
        .uptime_seconds
        .map(|up| now_ms.saturating_sub(Duration::from_secs_f64(up.max(0.0)).as_millis() as u64));
    let started_after = matches!((instance_started_ms, target.started_at_ms), (Some(instance), Some(sent)) if instance + 500 >= sent);
    let done = |what: String| {
        if gated { InFlightVerdict::DoneUnverified(what) } else { InFlightVerdict::Done(what) }
    };
    match action {
        BulkAction::Start if state == ProcessState::Running => done("the agent is running".to_owned()),
        BulkAction::Stop | BulkAction::Drain if state == ProcessState::Stopped => {
            done("the agent is stopped".to_owned())
        }
        BulkAction::Restart if state == ProcessState::Running && started_after => {
            done("the agent is running in an instance started after the restart was sent".to_owned())
        }
        BulkAction::Deploy { .. } | BulkAction::Patch { .. } => {
            let host_revision = status.config.as_ref().map(|c| c.revision);
            match (console.deployed_revision, host_revision) {
                (Some(deployed), Some(on_host))
                    if deployed == on_host && Some(deployed) != target.previous_revision =>
                {
                    done(format!("revision {deployed} is deployed on the host"))
                }
                (_, on_host) => InFlightVerdict::NotDone(format!(
                    "the host has revision {}, the run started from {}",
                    on_host.map_or_else(|| "none".to_owned(), |n| n.to_string()),
                    target.previous_revision.map_or_else(|| "none".to_owned(), |n| n.to_string()),
                )),
            }
        }
        _ => InFlightVerdict::NotDone(format!("the agent is {state}")),
    }
}

/// Applies a verdict to a target that was in flight.
fn settle(target: &mut TargetResult, verdict: InFlightVerdict, deployed: Option<u64>, action: &BulkAction) {
    const PREFIX: &str = "the console stopped while this target was in flight";
    match verdict {
        InFlightVerdict::Done(what) => {
            target.state = TargetState::Succeeded;
            target.reason = Some(format!("{PREFIX}; checked after its restart: {what}"));
            if action.changes_config() {
                target.revision = deployed;
            }
        }
        InFlightVerdict::DoneUnverified(what) => {
            target.state = TargetState::Interrupted;
            target.reason = Some(format!("{PREFIX}; {what}, but the health gate was not checked"));
            if action.changes_config() {
                target.revision = deployed;
            }
        }
        InFlightVerdict::NotDone(what) => {
            target.state = TargetState::Interrupted;
            target.reason = Some(format!("{PREFIX}; it did not take effect: {what}"));
        }
    }
}

impl Console {
    /// Ends every run that a previous console process left `running` as `interrupted` (see the
    /// module's documentation) and returns them. A console server calls this once, before it
    /// serves; nothing else may be executing runs on the same store then.
    pub async fn recover_interrupted_runs(&self) -> Result<Vec<BulkRun>> {
        let mut ended = Vec::new();
        for mut run in self.store.unfinished_bulk_runs().await? {
            if self.runs.lock().unwrap_or_else(|p| p.into_inner()).contains_key(&run.id) {
                continue; // executing in this process
            }
            let gated = run.spec.health_gate.is_some();
            for target in &mut run.targets {
                match target.state {
                    TargetState::Pending => {
                        target.state = TargetState::Skipped;
                        target.reason = Some("the console stopped before this target started".to_owned());
                    }
                    TargetState::Running => {
                        let (verdict, deployed) = self.check_in_flight(&run.spec.action, target, gated).await;
                        settle(target, verdict, deployed, &run.spec.action);
                    }
                    _ => continue,
                }
                target.finished_at_ms = Some(self.options.clock.now_ms());
                let event = BulkEvent::Target { run_id: run.id.clone(), result: target.clone() };
                let _ = self.bulk_events.send(event);
            }
            run.outcome = RunOutcome::Interrupted;
            run.finished_at_ms = Some(self.options.clock.now_ms());
            let audit = self.audit_record(&system_actor(), "bulk.interrupted", &run.id);
            self.store.save_bulk_run(&run, Some(audit)).await?;
            let _ =
                self.bulk_events.send(BulkEvent::Finished { run_id: run.id.clone(), outcome: run.outcome });
            ended.push(run);
        }
        Ok(ended)
    }

    async fn check_in_flight(
        &self,
        action: &BulkAction,
        target: &TargetResult,
        gated: bool,
    ) -> (InFlightVerdict, Option<u64>) {
        let record = match self.record(&target.customer_id).await {
            Ok(record) => record,
            Err(error) => return (InFlightVerdict::NotDone(error.to_string()), None),
        };
        let host = match self.host(&record) {
            Ok(host) => host,
            Err(error) => return (InFlightVerdict::NotDone(error.to_string()), None),
        };
        let deployed = record.deployed_revision;
        let status = match tokio::time::timeout(self.options.host_timeout, host.status()).await {
            Ok(Ok(status)) => status,
            Ok(Err(error)) => {
                return (InFlightVerdict::NotDone(format!("the host answered: {error}")), deployed);
            }
            Err(_) => return (InFlightVerdict::NotDone("the host did not answer".to_owned()), deployed),
        };
        let side = ConsoleSide { deployed_revision: deployed };
        (in_flight_verdict(action, target, &status, side, self.options.clock.now_ms(), gated), deployed)
    }
}

fn system_actor() -> super::Actor {
    super::Actor {
        name: "console (restart recovery)".to_owned(),
        role: crate::auth::Role::Admin,
        request_id: String::new(),
    }
}
