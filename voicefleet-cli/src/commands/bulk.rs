//! `bulk ...`: plan, confirm, run with progress bars, summarize.

use std::collections::BTreeMap;
use std::io::IsTerminal as _;
use std::process::ExitCode;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use voicefleet_core::console::{
    Actor, BulkAction, BulkRun, BulkSpec, Fleet, HealthGate, Limit, RunOutcome, Selector, TargetState,
};

use voicefleet_core::ErrorKind;
use voicefleet_core::config::{ConfigDocument, PatchOperation, ValidateOptions, parse_value_text};

use crate::backend::Backend;
use crate::cli::{BulkCommand, BulkOptions};
use crate::exit::Refusal;
use crate::output::{OutputFormat, print_json, table};

fn spec(action: BulkAction, options: &BulkOptions) -> anyhow::Result<BulkSpec> {
    let healthy_for = match options.healthy_for.as_deref() {
        Some(text) => Some(voicefleet_core::clock::parse_duration(text)?.as_secs_f64()),
        None => None,
    };
    let health_gate = HealthGate::from_limits(healthy_for, options.max_error_rate, options.max_p95_ms);
    Ok(BulkSpec {
        action,
        selector: Selector::parse(&options.selector)?,
        max_concurrency: Limit::parse(&options.max_concurrency)?,
        max_errors: Limit::parse(&options.max_errors)?,
        canary: options.canary,
        health_gate,
        auto_rollback: options.auto_rollback,
        dry_run: true,
    })
}

/// A state or outcome as the JSON output and the API write it (`rolled_back`): one casing.
fn name(value: &impl serde::Serialize) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// The run whose id is `id` or begins with it (`run-` may be left out), when only one does.
async fn resolve_run(fleet: &dyn Fleet, actor: &Actor, id: &str) -> anyhow::Result<String> {
    let runs = fleet.bulk_runs(actor, 1000).await?;
    if runs.iter().any(|run| run.id == id) {
        return Ok(id.to_owned());
    }
    let wanted = if id.starts_with("run-") { id.to_owned() } else { format!("run-{id}") };
    let matching: Vec<&str> =
        runs.iter().map(|run| run.id.as_str()).filter(|run| run.starts_with(&wanted)).collect();
    match matching.as_slice() {
        [one] => Ok((*one).to_owned()),
        [] => Err(voicefleet_core::Error::BulkRunNotFound { id: id.to_owned() }.into()),
        many => Err(Refusal::new(
            ErrorKind::InvalidInput,
            format!("`{id}` is the beginning of {} runs: {}", many.len(), many.join(", ")),
            "type more of the id",
        )
        .into()),
    }
}

/// For a patch's dry run: each target's latest revision → the one the patch would create, and
/// what would change (computed with core's document edits, as the console will).
async fn patch_preview(
    fleet: &dyn Fleet,
    actor: &Actor,
    plan: &BulkRun,
    operations: &[PatchOperation],
) -> String {
    let mut text = String::new();
    for target in &plan.targets {
        let id = &target.customer_id;
        let revisions = match fleet.revisions(actor, id).await {
            Ok(revisions) => revisions,
            Err(error) => {
                text.push_str(&format!("{id}: {error}\n"));
                continue;
            }
        };
        let Some(latest) = revisions.first() else {
            text.push_str(&format!("{id}: no revision to change\n"));
            continue;
        };
        let deployed =
            revisions.iter().find(|r| r.deployed).map_or("none".to_owned(), |r| r.number.to_string());
        let document = match fleet.revision(actor, id, latest.number).await {
            Ok(view) => view.document.unwrap_or_default(),
            Err(error) => {
                text.push_str(&format!("{id}: {error}\n"));
                continue;
            }
        };
        let before = match ConfigDocument::from_value(document) {
            Ok(document) => document,
            Err(error) => {
                text.push_str(&format!("{id}: {error}\n"));
                continue;
            }
        };
        let mut after = before.clone();
        match after.apply_operations(operations, &ValidateOptions::default()) {
            Ok(_) => {
                text.push_str(&format!(
                    "{id}: revision {} → {} (deployed: {deployed})\n",
                    latest.number,
                    latest.number + 1
                ));
                for change in before.diff(&after) {
                    text.push_str(&format!("    {change}\n"));
                }
            }
            Err(error) => text.push_str(&format!("{id}: would fail: {error}\n")),
        }
    }
    text
}

fn summary(run: &BulkRun) -> String {
    let rows: Vec<Vec<String>> = run
        .targets
        .iter()
        .map(|t| {
            vec![
                t.customer_id.clone(),
                name(&t.state),
                if t.canary { "canary".into() } else { String::new() },
                t.revision.map(|r| r.to_string()).unwrap_or_default(),
                t.reason.clone().unwrap_or_default(),
            ]
        })
        .collect();
    table(&["CUSTOMER", "RESULT", "", "REV", "REASON"], &rows)
}

pub(crate) async fn run(
    backend: &Backend,
    output: OutputFormat,
    command: BulkCommand,
) -> anyhow::Result<ExitCode> {
    let (fleet, actor) = (backend.fleet(), backend.actor());
    let (action, options) = match command {
        BulkCommand::Restart(options) => (BulkAction::Restart, options),
        BulkCommand::Start(options) => (BulkAction::Start, options),
        BulkCommand::Stop(options) => (BulkAction::Stop, options),
        BulkCommand::Drain(options) => (BulkAction::Drain, options),
        BulkCommand::Deploy { options, revision } => (BulkAction::Deploy { revision }, options),
        BulkCommand::Resize { options, instance_type } => (BulkAction::Resize { instance_type }, options),
        BulkCommand::Set { path, value, message, options } => {
            let operations = vec![PatchOperation::Set { path, value: parse_value_text(&value) }];
            (BulkAction::Patch { operations, message }, options)
        }
        BulkCommand::Unset { path, message, options } => {
            (BulkAction::Patch { operations: vec![PatchOperation::Unset { path }], message }, options)
        }
        BulkCommand::List { limit } => {
            let runs = fleet.bulk_runs(&actor, limit.clamp(1, 1000)).await?;
            if output == OutputFormat::Json {
                print_json(&runs)?;
            } else {
                let rows: Vec<Vec<String>> = runs
                    .iter()
                    .map(|r| {
                        vec![
                            r.id.clone(),
                            r.spec.action.name().to_owned(),
                            name(&r.outcome),
                            r.targets.len().to_string(),
                            r.count(TargetState::Failed).to_string(),
                            r.actor.clone(),
                            crate::output::ago(Some(r.created_at_ms)),
                        ]
                    })
                    .collect();
                print!("{}", table(&["RUN", "ACTION", "OUTCOME", "TARGETS", "FAILED", "BY", "WHEN"], &rows));
            }
            return Ok(ExitCode::SUCCESS);
        }
        BulkCommand::Show { id } => {
            let id = resolve_run(fleet.as_ref(), &actor, &id).await?;
            let run = fleet.bulk_run(&actor, &id).await?;
            if output == OutputFormat::Json {
                print_json(&run)?;
            } else {
                println!("{} {}: {}", run.id, run.spec.action.name(), name(&run.outcome));
                print!("{}", summary(&run));
            }
            return Ok(ExitCode::SUCCESS);
        }
        BulkCommand::Cancel { id } => {
            let id = resolve_run(fleet.as_ref(), &actor, &id).await?;
            fleet.cancel_bulk(&actor, &id).await?;
            eprintln!("cancelling {id}: no new target starts; targets in flight finish");
            return Ok(ExitCode::SUCCESS);
        }
    };
    let mut bulk = spec(action, &options)?;
    let plan = fleet.start_bulk(&actor, bulk.clone()).await?;
    if options.dry_run {
        if output == OutputFormat::Json {
            print_json(&plan)?;
        } else {
            println!(
                "plan: {} on {} targets, {} at a time, stop after {} errors{}",
                plan.spec.action.name(),
                plan.targets.len(),
                plan.max_concurrency,
                plan.max_errors,
                if plan.spec.canary > 0 {
                    format!(", {} canary first", plan.spec.canary)
                } else {
                    String::new()
                }
            );
            print!("{}", summary(&plan));
            if let BulkAction::Patch { operations, .. } = &plan.spec.action {
                print!("{}", patch_preview(fleet.as_ref(), &actor, &plan, operations).await);
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    if plan.targets.len() > 1 {
        let ids: Vec<&str> = plan.targets.iter().map(|t| t.customer_id.as_str()).collect();
        crate::confirm::confirm(
            &format!("{} {} customers", plan.spec.action.name(), plan.targets.len()),
            &ids.join(", "),
            options.yes,
        )?;
    }
    bulk.dry_run = false;
    let mut events = fleet.bulk_events();
    let run = fleet.start_bulk(&actor, bulk).await?;
    let total = run.targets.len() as u64;
    let draw = output == OutputFormat::Text && std::io::stderr().is_terminal();
    let bar = if draw { ProgressBar::new(total) } else { ProgressBar::hidden() };
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let mut states: BTreeMap<String, TargetState> = BTreeMap::new();
    let finished = loop {
        tokio::select! {
            event = events.recv() => {
                if let Ok(voicefleet_core::console::BulkEvent::Target { run_id, result }) = event
                    && run_id == run.id {
                        states.insert(result.customer_id.clone(), result.state);
                        let done = states.values().filter(|s| !matches!(s, TargetState::Pending | TargetState::Running)).count();
                        bar.set_position(done as u64);
                        bar.set_message(format!("{} {}", result.customer_id, name(&result.state)));
                    }
            }
            _ = tokio::time::sleep(Duration::from_millis(300)) => {
                let current = fleet.bulk_run(&actor, &run.id).await?;
                if current.outcome != RunOutcome::Running {
                    break current;
                }
            }
        }
    };
    bar.finish_and_clear();
    if output == OutputFormat::Json {
        print_json(&finished)?;
    } else {
        print!("{}", summary(&finished));
        eprintln!(
            "{}: {} — {} succeeded, {} failed, {} rolled back, {} skipped{}",
            finished.id,
            name(&finished.outcome),
            finished.count(TargetState::Succeeded),
            finished.count(TargetState::Failed),
            finished.count(TargetState::RolledBack),
            finished.count(TargetState::Skipped),
            match finished.count(TargetState::Interrupted) {
                0 => String::new(),
                n => format!(", {n} interrupted"),
            }
        );
    }
    let failed = finished.count(TargetState::Failed) + finished.count(TargetState::RolledBack);
    Ok(if failed > 0 || finished.outcome != RunOutcome::Succeeded {
        ExitCode::from(crate::exit::FAILURE)
    } else {
        ExitCode::SUCCESS
    })
}
