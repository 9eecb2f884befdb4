//! Runs a console left in flight. A run lives in the process that executes it; when that process
//! dies (`kill -9`, a power cut, a replica that lost its lease), its stored run still says
//! `running`. The console that owns the work next ([`Console::spawn_bulk_runner`]: a console
//! server alone on its store at its start, or the replica that takes the lease over) resumes it
//! from its recorded per-target state: finished targets keep their result and are not repeated,
//! pending ones run, and one that was in flight is checked against its host
//! ([`in_flight_verdict`]: the instance's start time, its state, the deployed configuration) —
//! done, it is not repeated; done with a health gate never checked, only the gate runs; not done,
//! the action is sent again with the same operation id ([`crate::operation`]), which the host
//! answers without acting twice if the first request reached it after all.
//!
//! A run whose last recorded step is older than [`ConsoleOptions::resume_within`] (1 h: the
//! console was down long enough for the operator's intent to be stale) is not resumed: it ends
//! `interrupted` with each target's true state — the in-flight ones checked, never repeated
//! blindly, the pending ones skipped — and the operator decides whether to run the rest again.
//!
//! [`ConsoleOptions::resume_within`]: super::ConsoleOptions::resume_within

use std::collections::HashSet;
use std::sync::{Arc, Weak};
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
    /// Takes over the runs that are stored `running` but execute in no process (see the
    /// module's documentation); returns them as they were found. Only the console that owns the
    /// work may call this (its runner does, every second).
    pub async fn take_over_runs(self: &Arc<Self>) -> Result<Vec<BulkRun>> {
        let mut found = Vec::new();
        for run in self.store.unfinished_bulk_runs().await? {
            if !self.register_run(&run) {
                continue; // executing in this process
            }
            // Read again now that it is ours: it may have ended in this process meanwhile.
            let run = match self.store.bulk_run(&run.id).await {
                Ok(Some(run)) if run.outcome == RunOutcome::Running => run,
                other => {
                    self.unregister_run(&run.id);
                    other?;
                    continue;
                }
            };
            found.push(run.clone());
            let now = self.options.clock.now_ms();
            let taken = if may_resume(&run, now, self.options.resume_within) {
                self.resume(run).await
            } else {
                let id = run.id.clone();
                let ended = self.interrupt(run).await;
                self.unregister_run(&id);
                ended
            };
            taken?;
        }
        Ok(found)
    }

    /// Resumes a registered run: checks its in-flight targets, then executes the rest.
    async fn resume(self: &Arc<Self>, mut run: BulkRun) -> Result<()> {
        let gated = run.spec.health_gate.is_some();
        let mut again = Vec::new();
        let mut gate_only = HashSet::new();
        for target in run.targets.iter_mut().filter(|t| t.state == TargetState::Running) {
            let (verdict, deployed) = self.check_in_flight(&run.spec.action, target, gated).await;
            match verdict {
                InFlightVerdict::Done(what) => {
                    target.state = TargetState::Succeeded;
                    target.reason =
                        Some(format!("{TAKEN_OVER}; checked by the console that took over: {what}"));
                    if run.spec.action.changes_config() {
                        target.revision = deployed;
                    }
                    target.finished_at_ms = Some(self.options.clock.now_ms());
                    let event = BulkEvent::Target { run_id: run.id.clone(), result: target.clone() };
                    let _ = self.bulk_events.send(event);
                }
                InFlightVerdict::DoneUnverified(_) => {
                    gate_only.insert(target.customer_id.clone());
                }
                InFlightVerdict::NotDone(_) => again.push(target.customer_id.clone()),
            }
        }
        let audit = self.audit_record(&system_actor(), "bulk.resumed", &run.id);
        if let Err(error) = self.store.save_bulk_run(&run, Some(audit)).await {
            self.unregister_run(&run.id);
            return Err(error);
        }
        // Not stored: the targets to run (again) start as any pending one does.
        for target in run.targets.iter_mut() {
            if gate_only.contains(&target.customer_id) || again.contains(&target.customer_id) {
                target.state = TargetState::Pending;
            }
        }
        let actor = super::Actor {
            name: format!("{} (resumed)", run.actor),
            role: crate::auth::Role::Admin,
            request_id: String::new(),
        };
        // A cancel taken while no console executed it applies before any target starts.
        let _ = self.forward_cancels().await;
        self.spawn_registered(actor, run, gate_only);
        Ok(())
    }

    /// Ends a run as `interrupted` with each target's true state.
    async fn interrupt(&self, mut run: BulkRun) -> Result<()> {
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
        let _ = self.bulk_events.send(BulkEvent::Finished { run_id: run.id.clone(), outcome: run.outcome });
        Ok(())
    }

    /// Takes over runs left in flight every `every` (see [`Console::take_over_runs`]) until
    /// aborted; aborting it stops every run this process executes, leaving them to the console
    /// that owns the work next. Start it only while this console owns the work.
    pub fn spawn_bulk_runner(self: &Arc<Self>, every: Duration) -> tokio::task::JoinHandle<()> {
        let me = Arc::downgrade(self);
        tokio::spawn(async move {
            let _abandon = Abandon(me.clone());
            let mut ticker = tokio::time::interval(every);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                let Some(console) = me.upgrade() else { return };
                if let Err(error) = console.forward_cancels().await {
                    eprintln!("voicefleet console: cannot read bulk cancels: {error}");
                }
                match console.take_over_runs().await {
                    Ok(runs) => {
                        for run in runs {
                            eprintln!(
                                "voicefleet console: bulk run {} was left in flight by a console \
                                 that stopped; taken over from each target's recorded state",
                                run.id
                            );
                        }
                    }
                    Err(error) => eprintln!("voicefleet console: cannot take over bulk runs: {error}"),
                }
            }
        })
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

/// Why a target's result was decided by the console that took its run over.
const TAKEN_OVER: &str = "the console running it stopped while this target was in flight";

/// Whether a run left in flight may be resumed at `now_ms`: its last recorded step (its
/// creation, a target's start or end) is at most `within` old.
pub fn may_resume(run: &BulkRun, now_ms: u64, within: Duration) -> bool {
    let last = run
        .targets
        .iter()
        .flat_map(|t| [t.started_at_ms, t.finished_at_ms])
        .flatten()
        .fold(run.created_at_ms, u64::max);
    now_ms.saturating_sub(last) <= within.as_millis() as u64
}

/// Stops this process's runs when the runner ends (the lease was lost, the server stops).
struct Abandon(Weak<Console>);

impl Drop for Abandon {
    fn drop(&mut self) {
        if let Some(console) = self.0.upgrade() {
            console.abandon_runs();
        }
    }
}
