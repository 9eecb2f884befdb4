//! `bulk ...`: plan, confirm, run with progress bars, summarize.

use std::collections::BTreeMap;
use std::io::IsTerminal as _;
use std::process::ExitCode;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use voicefleet_core::console::{
    BulkAction, BulkRun, BulkSpec, HealthGate, Limit, RunOutcome, Selector, TargetState,
};

use crate::backend::Backend;
use crate::cli::{BulkCommand, BulkOptions};
use crate::output::{OutputFormat, print_json, table};

fn spec(action: BulkAction, options: &BulkOptions) -> anyhow::Result<BulkSpec> {
    let health_gate = match (options.healthy_for, options.max_error_rate, options.max_p95_ms) {
        (None, None, None) => None,
        (healthy, rate, p95) => Some(HealthGate {
            min_healthy_seconds: healthy.unwrap_or(0.0),
            max_error_rate: rate,
            max_p95_ms: p95,
        }),
    };
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

fn summary(run: &BulkRun) -> String {
    let rows: Vec<Vec<String>> = run
        .targets
        .iter()
        .map(|t| {
            vec![
                t.customer_id.clone(),
                format!("{:?}", t.state).to_lowercase(),
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
                            format!("{:?}", r.outcome).to_lowercase(),
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
            let run = fleet.bulk_run(&actor, &id).await?;
            if output == OutputFormat::Json {
                print_json(&run)?;
            } else {
                println!("{} {} — {:?}", run.id, run.spec.action.name(), run.outcome);
                print!("{}", summary(&run));
            }
            return Ok(ExitCode::SUCCESS);
        }
        BulkCommand::Cancel { id } => {
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
        }
        return Ok(ExitCode::SUCCESS);
    }
    if plan.targets.len() > 1 && !options.yes {
        eprintln!(
            "{} {} customers: {}",
            plan.spec.action.name(),
            plan.targets.len(),
            plan.targets.iter().map(|t| t.customer_id.as_str()).collect::<Vec<_>>().join(", ")
        );
        anyhow::ensure!(
            std::io::stdin().is_terminal(),
            "refusing to act on {} targets without --yes (standard input is not a terminal)",
            plan.targets.len()
        );
        eprint!("proceed? [y/N] ");
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            eprintln!("nothing done");
            return Ok(ExitCode::from(crate::exit::FAILURE));
        }
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
                        bar.set_message(format!("{} {:?}", result.customer_id, result.state).to_lowercase());
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
            "{}: {:?} — {} succeeded, {} failed, {} rolled back, {} skipped",
            finished.id,
            finished.outcome,
            finished.count(TargetState::Succeeded),
            finished.count(TargetState::Failed),
            finished.count(TargetState::RolledBack),
            finished.count(TargetState::Skipped)
        );
    }
    let failed = finished.count(TargetState::Failed) + finished.count(TargetState::RolledBack);
    Ok(if failed > 0 || finished.outcome != RunOutcome::Succeeded {
        ExitCode::from(crate::exit::FAILURE)
    } else {
        ExitCode::SUCCESS
    })
}
