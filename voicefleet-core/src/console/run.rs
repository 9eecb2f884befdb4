//! Planning and executing bulk runs.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::task::JoinSet;

use super::bulk::{
    BulkAction, BulkEvent, BulkRun, BulkSpec, HealthGate, RunOutcome, TargetResult, TargetState,
};
use super::rate::RateControl;
use super::store::CustomerRecord;
use super::{Actor, Console, Fleet as _, RevisionInput, RunHandle};
use crate::auth::Role;
use crate::error::{Error, Result};
use crate::host::StopOptions;
use crate::lifecycle::ProcessState;
use crate::operation::operation_id;

/// `run-` and 8 random hex digits: short enough to type (the CLI takes a unique prefix too);
/// runs are ordered by their creation time, not by id.
fn run_id() -> String {
    let random: [u8; 4] = crate::random::bytes().unwrap_or([0; 4]);
    let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
    format!("run-{suffix}")
}

impl Console {
    /// Resolves the targets and limits; with `dry_run`, that is the whole answer. Otherwise the
    /// run starts in the background.
    pub(super) async fn plan(&self, actor: &Actor, spec: BulkSpec) -> Result<BulkRun> {
        let targets: Vec<CustomerRecord> = self
            .store
            .customers()
            .await?
            .into_iter()
            .filter(|c| spec.selector.matches(&c.id, &c.tags))
            .collect();
        if targets.is_empty() {
            return Err(Error::Remote {
                kind: crate::ErrorKind::InvalidInput,
                message: "the selector matches no customer".to_owned(),
                hint: Some("list customers with the same selector to check it".to_owned()),
                issues: Vec::new(),
                remedy: None,
            });
        }
        if let BulkAction::Patch { operations, .. } = &spec.action
            && operations.is_empty()
        {
            return Err(Error::Remote {
                kind: crate::ErrorKind::InvalidInput,
                message: "a patch needs at least one operation".to_owned(),
                hint: None,
                issues: Vec::new(),
                remedy: None,
            });
        }
        let total = targets.len() as u64;
        let canary = spec.canary.min(targets.len());
        let run = BulkRun {
            id: run_id(),
            actor: actor.name.clone(),
            created_at_ms: self.options.clock.now_ms(),
            finished_at_ms: None,
            outcome: if spec.dry_run { RunOutcome::DryRun } else { RunOutcome::Running },
            max_concurrency: spec.max_concurrency.resolve(total).max(1),
            max_errors: spec.max_errors.resolve(total),
            targets: targets
                .iter()
                .enumerate()
                .map(|(index, customer)| TargetResult {
                    customer_id: customer.id.clone(),
                    state: TargetState::Pending,
                    canary: index < canary,
                    reason: None,
                    started_at_ms: None,
                    finished_at_ms: None,
                    previous_revision: customer.deployed_revision,
                    revision: None,
                })
                .collect(),
            spec,
        };
        Ok(run)
    }

    /// Starts executing a saved run in the background.
    pub fn spawn_run(self: &Arc<Self>, actor: Actor, run: BulkRun) {
        if self.register_run(&run) {
            self.spawn_registered(actor, run, HashSet::new());
        }
    }

    /// Records that `run` executes in this process (before it is saved, so that the takeover
    /// loop never picks it up too); false when it already is.
    pub(super) fn register_run(&self, run: &BulkRun) -> bool {
        let mut runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
        if runs.contains_key(&run.id) {
            return false;
        }
        let targets = run.targets.iter().map(|t| t.customer_id.clone()).collect();
        runs.insert(
            run.id.clone(),
            RunHandle { cancel: Arc::new(AtomicBool::new(false)), targets, task: None },
        );
        true
    }

    pub(super) fn unregister_run(&self, id: &str) {
        self.runs.lock().unwrap_or_else(|p| p.into_inner()).remove(id);
    }

    /// Executes a registered run; the targets in `gate_only` took effect already and only wait
    /// for the health gate (a run taken over).
    pub(super) fn spawn_registered(self: &Arc<Self>, actor: Actor, run: BulkRun, gate_only: HashSet<String>) {
        let mut runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
        let Some(handle) = runs.get_mut(&run.id) else { return };
        let cancel = handle.cancel.clone();
        let console = self.clone();
        let task = tokio::spawn(async move {
            let id = run.id.clone();
            console.execute(actor, run, cancel, gate_only).await;
            console.unregister_run(&id);
        });
        handle.task = Some(task.abort_handle());
    }

    /// Stops executing every run of this process, leaving each as stored (`running`, targets in
    /// flight included) for the console that takes them over: the lease was lost.
    pub(super) fn abandon_runs(&self) {
        let mut runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
        for (_, handle) in runs.drain() {
            if let Some(task) = handle.task {
                task.abort();
            }
        }
    }

    async fn execute(
        self: &Arc<Self>,
        actor: Actor,
        mut run: BulkRun,
        cancel: Arc<AtomicBool>,
        gate_only: HashSet<String>,
    ) {
        let mut control = RateControl::new(run.max_concurrency, run.max_errors);
        let mut outcome = None;
        // Targets finished before a takeover count as they did, their errors included.
        for target in run.targets.iter().filter(|t| finished(t.state)) {
            if matches!(target.state, TargetState::Failed | TargetState::RolledBack) {
                if target.canary {
                    control.stop();
                    outcome.get_or_insert(RunOutcome::CanaryFailed);
                } else if control.may_start() {
                    control.started();
                    if control.finished(true) {
                        outcome.get_or_insert(RunOutcome::StoppedOnErrors);
                    }
                }
            }
        }
        // What is left to start, in the run's order (canaries first).
        let order: Vec<usize> =
            (0..run.targets.len()).filter(|i| run.targets[*i].state == TargetState::Pending).collect();
        let canary_count = order.iter().filter(|i| run.targets[**i].canary).count();
        let index_of: HashMap<String, usize> =
            run.targets.iter().enumerate().map(|(index, t)| (t.customer_id.clone(), index)).collect();
        let mut next = 0;
        let mut tasks: JoinSet<TargetResult> = JoinSet::new();
        loop {
            if cancel.load(Ordering::SeqCst) && !control.is_stopped() {
                control.stop();
                outcome.get_or_insert(RunOutcome::Cancelled);
            }
            // The canary phase ends when every canary has finished.
            let canaries_done = run.targets.iter().filter(|t| t.canary).all(|t| finished(t.state));
            let phase_end = if next < canary_count || !canaries_done { canary_count } else { order.len() };
            while control.may_start() && next < phase_end {
                control.started();
                let target = &mut run.targets[order[next]];
                target.state = TargetState::Running;
                // A target taken over keeps its first start: its operation is the same one.
                target.started_at_ms.get_or_insert(self.options.clock.now_ms());
                self.publish(&run.id, target.clone()).await;
                let gate = gate_only.contains(&target.customer_id);
                let (console, actor, spec, result, run_id) =
                    (self.clone(), actor.clone(), run.spec.clone(), target.clone(), run.id.clone());
                tasks.spawn(async move { console.run_target(&actor, &run_id, &spec, result, gate).await });
                next += 1;
            }
            let Some(joined) = tasks.join_next().await else { break };
            let result = match joined {
                Ok(result) => result,
                Err(error) => {
                    // A panicked target task: find which by elimination is not possible, so
                    // record it against nothing and count it as an error.
                    tracing_free_log(&format!("bulk target task failed: {error}"));
                    if control.finished(true) {
                        outcome.get_or_insert(RunOutcome::StoppedOnErrors);
                    }
                    continue;
                }
            };
            let failed = matches!(result.state, TargetState::Failed | TargetState::RolledBack);
            if let Some(index) = index_of.get(&result.customer_id) {
                run.targets[*index] = result.clone();
            }
            let canary = result.canary;
            self.publish(&run.id, result).await;
            if failed && canary {
                // A failed canary stops the run before any other target starts.
                control.stop();
                outcome.get_or_insert(RunOutcome::CanaryFailed);
            }
            if control.finished(failed) {
                outcome.get_or_insert(RunOutcome::StoppedOnErrors);
            }
        }
        for target in run.targets.iter_mut().filter(|t| t.state == TargetState::Pending) {
            target.state = TargetState::Skipped;
            target.reason = Some(match outcome {
                Some(RunOutcome::CanaryFailed) => "the canary failed".to_owned(),
                Some(RunOutcome::Cancelled) => "the run was cancelled".to_owned(),
                _ => "the run stopped on errors".to_owned(),
            });
            let _ = self.store.save_target_result(&run.id, target).await;
        }
        run.outcome = outcome.unwrap_or(if control.errors() > 0 {
            RunOutcome::CompletedWithErrors
        } else {
            RunOutcome::Succeeded
        });
        run.finished_at_ms = Some(self.options.clock.now_ms());
        let _ = self.store.save_bulk_run(&run, None).await;
        let _ = self.bulk_events.send(BulkEvent::Finished { run_id: run.id.clone(), outcome: run.outcome });
    }

    async fn publish(&self, run_id: &str, result: TargetResult) {
        let _ = self.store.save_target_result(run_id, &result).await;
        let _ = self.bulk_events.send(BulkEvent::Target { run_id: run_id.to_owned(), result });
    }

    async fn run_target(
        self: Arc<Self>,
        actor: &Actor,
        run_id: &str,
        spec: &BulkSpec,
        mut result: TargetResult,
        gate_only: bool,
    ) -> TargetResult {
        // The host requests carry the target's operation id: a console that takes the run over
        // sends the same one again, and the host does not act twice.
        let customer = result.customer_id.clone();
        let operation = |step: &str| operation_id(run_id, &customer, 1, step);
        let outcome = if gate_only {
            Ok(())
        } else {
            let id = operation("");
            crate::operation::scoped(id, self.apply_action(actor, spec, &mut result)).await
        };
        let outcome = match (outcome, spec.health_gate) {
            (Ok(()), Some(gate)) => self.health_gate(&result.customer_id, gate).await,
            (other, _) => other,
        };
        match outcome {
            Ok(()) => result.state = TargetState::Succeeded,
            Err(error) => {
                result.state = TargetState::Failed;
                result.reason = Some(error.to_string());
                if spec.auto_rollback
                    && spec.action.changes_config()
                    && let Some(previous) = result.previous_revision
                {
                    let system = system(actor);
                    let rollback = self.deploy(&system, &result.customer_id, Some(previous));
                    match crate::operation::scoped(operation("rollback"), rollback).await {
                        Ok(_) => {
                            result.state = TargetState::RolledBack;
                            result.reason = Some(format!("{error}; rolled back to revision {previous}"));
                        }
                        Err(rollback) => {
                            result.reason = Some(format!(
                                "{error}; rollback to revision {previous} failed too: {rollback}"
                            ));
                        }
                    }
                }
            }
        }
        result.finished_at_ms = Some(self.options.clock.now_ms());
        result
    }

    async fn apply_action(&self, actor: &Actor, spec: &BulkSpec, result: &mut TargetResult) -> Result<()> {
        let id = result.customer_id.clone();
        let record = self.record(&id).await?;
        let host = self.host(&record)?;
        let stop = StopOptions::default();
        match &spec.action {
            BulkAction::Start => host.start().await.map(drop),
            BulkAction::Stop => host.stop(stop).await.map(drop),
            BulkAction::Restart => host.restart(stop).await.map(drop),
            BulkAction::Drain => host.drain(stop).await.map(drop),
            BulkAction::Deploy { revision } => {
                let deployed = self.deploy(actor, &id, *revision).await?;
                result.revision = Some(deployed.number);
                Ok(())
            }
            BulkAction::Patch { operations, message } => {
                let created = self
                    .create_revision(
                        actor,
                        &id,
                        RevisionInput::Patch { operations: operations.clone() },
                        message,
                    )
                    .await?;
                let deployed = self.deploy(actor, &id, Some(created.number)).await?;
                result.revision = Some(deployed.number);
                Ok(())
            }
            BulkAction::Resize { instance_type } => {
                self.resize_instance(actor, &id, instance_type).await?;
                self.start_when_answering(&host).await
            }
        }
    }

    /// Starts the agent once its host answers again (after its instance was restarted), waiting
    /// at most the resize's own timeout.
    async fn start_when_answering(&self, host: &std::sync::Arc<dyn crate::host::Host>) -> Result<()> {
        let deadline = tokio::time::Instant::now() + self.options.resize.timeout;
        loop {
            match host.start().await {
                Ok(_) => return Ok(()),
                Err(error) if error.kind() == crate::ErrorKind::Unavailable => {
                    if tokio::time::Instant::now() >= deadline {
                        return Err(error);
                    }
                    tokio::time::sleep(self.options.resize.poll_interval).await;
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// Healthy: running for `min_healthy_seconds` in a row with error rate and p95 within limits.
    async fn health_gate(&self, id: &str, gate: HealthGate) -> Result<()> {
        let record = self.record(id).await?;
        let host = self.host(&record)?;
        let needed = Duration::from_secs_f64(gate.min_healthy_seconds.max(0.0));
        let deadline = Instant::now() + needed + Duration::from_secs(30);
        let mut healthy_since: Option<Instant> = None;
        let mut last_problem = String::from("never healthy");
        // A crash after a healthy run restarts at once, so `running` can hide it: a crash
        // while the gate watches (the restart count grows) fails the gate at once.
        let mut restarts_seen: Option<u64> = None;
        loop {
            let problem = match tokio::time::timeout(self.options.host_timeout, host.status()).await {
                Ok(Ok(status)) => {
                    let p95 = status.calls.latency_5m.e2e_ms.map(|p| p.p95);
                    if let Some(seen) = restarts_seen.filter(|seen| status.restarts > *seen) {
                        return Err(Error::Unavailable {
                            message: format!(
                                "health gate failed: the agent crashed and was restarted ({seen} -> {} restarts)",
                                status.restarts
                            ),
                        });
                    }
                    restarts_seen = Some(status.restarts);
                    if status.state != ProcessState::Running {
                        Some(format!("the agent is {}", status.state))
                    } else if gate.max_error_rate.is_some_and(|max| status.calls.error_rate_5m > max) {
                        Some(format!(
                            "error rate {:.3} over {:.3}",
                            status.calls.error_rate_5m,
                            gate.max_error_rate.unwrap_or(0.0)
                        ))
                    } else if let (Some(max), Some(p95)) = (gate.max_p95_ms, p95) {
                        (p95 > max).then(|| format!("p95 latency {p95:.0} ms over {max:.0} ms"))
                    } else {
                        None
                    }
                }
                Ok(Err(error)) => Some(error.to_string()),
                Err(_) => Some("the host did not answer".to_owned()),
            };
            match problem {
                None => {
                    let since = *healthy_since.get_or_insert_with(Instant::now);
                    if since.elapsed() >= needed {
                        return Ok(());
                    }
                }
                Some(problem) => {
                    healthy_since = None;
                    last_problem = problem;
                }
            }
            if Instant::now() >= deadline {
                return Err(Error::Unavailable { message: format!("health gate failed: {last_problem}") });
            }
            tokio::time::sleep(self.options.health_poll).await;
        }
    }
}

/// Rollbacks run with the run's actor, raised to admin only for the rollback itself: the run was
/// authorised for a config change, and returning to the previous revision is part of it.
fn system(actor: &Actor) -> Actor {
    Actor {
        name: format!("{} (auto-rollback)", actor.name),
        role: Role::Admin,
        request_id: actor.request_id.clone(),
    }
}

fn finished(state: TargetState) -> bool {
    !matches!(state, TargetState::Pending | TargetState::Running)
}

fn tracing_free_log(message: &str) {
    eprintln!("voicefleet console: {message}");
}

impl Console {
    /// Cancels the runs this process executes that were cancelled through another replica: a
    /// cancel is recorded as its audit entry, whichever replica took it. The takeover loop calls
    /// this at each pass.
    pub(super) async fn forward_cancels(&self) -> Result<()> {
        let running: Vec<(String, Arc<AtomicBool>)> = {
            let runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
            runs.iter()
                .filter(|(_, run)| !run.cancel.load(Ordering::SeqCst))
                .map(|(id, run)| (id.clone(), run.cancel.clone()))
                .collect()
        };
        for (id, cancel) in running {
            let query = super::AuditQuery {
                customer: Some(id),
                action: Some("bulk.cancel".to_owned()),
                limit: 1,
                ..Default::default()
            };
            if !self.store.audit_newest(&query).await?.is_empty() {
                cancel.store(true, Ordering::SeqCst);
            }
        }
        Ok(())
    }

    /// Every customer a run in progress targets.
    pub(super) fn targets_in_runs(&self) -> BTreeSet<String> {
        let runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
        runs.values().flat_map(|run| run.targets.iter().cloned()).collect()
    }
}

pub(super) async fn start(console: &Console, actor: &Actor, spec: BulkSpec) -> Result<BulkRun> {
    let action = format!("bulk.{}", spec.action.name());
    let needed = if spec.action.changes_config() { Role::Admin } else { Role::Operator };
    console.require(actor, needed, &action, "").await?;
    let run = console.plan(actor, spec).await?;
    if run.outcome == RunOutcome::DryRun {
        return Ok(run);
    }
    let me = console
        .me
        .upgrade()
        .ok_or_else(|| Error::Unavailable { message: "the console is shutting down".to_owned() })?;
    // Run here when this console owns the work; else the replica that does picks it up.
    let here = console.owns_work() && me.register_run(&run);
    if let Err(error) =
        console.store.save_bulk_run(&run, Some(console.audit_record(actor, &action, &run.id))).await
    {
        if here {
            console.unregister_run(&run.id);
        }
        return Err(error);
    }
    if here {
        me.spawn_registered(actor.clone(), run.clone(), HashSet::new());
    }
    Ok(run)
}

pub(super) async fn show(console: &Console, actor: &Actor, id: &str) -> Result<BulkRun> {
    console.require(actor, Role::Viewer, "bulk.show", id).await?;
    console.store.bulk_run(id).await?.ok_or_else(|| Error::BulkRunNotFound { id: id.to_owned() })
}

pub(super) async fn list(console: &Console, actor: &Actor, limit: usize) -> Result<Vec<BulkRun>> {
    console.require(actor, Role::Viewer, "bulk.list", "").await?;
    console.store.bulk_runs(limit).await
}

pub(super) async fn cancel(console: &Console, actor: &Actor, id: &str) -> Result<BulkRun> {
    console.require(actor, Role::Operator, "bulk.cancel", id).await?;
    let found = {
        let runs = console.runs.lock().unwrap_or_else(|p| p.into_inner());
        runs.get(id).map(|run| run.cancel.store(true, Ordering::SeqCst)).is_some()
    };
    let run =
        console.store.bulk_run(id).await?.ok_or_else(|| Error::BulkRunNotFound { id: id.to_owned() })?;
    if !found && run.outcome != RunOutcome::Running {
        return Err(Error::conflict(format!("bulk run `{id}` already ended ({})", run.outcome), None));
    }
    console
        .store
        .audit_bulk_run(id, console.audit_record(actor, "bulk.cancel", id))
        .await?
        .ok_or_else(|| Error::BulkRunNotFound { id: id.to_owned() })
}
