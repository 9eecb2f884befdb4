//! `voicefleet events [CUSTOMER] [-f] [--since 1h]`: what happened, in order — state changes with
//! the exit behind them, restarts, alerts (the console's event history and live stream), and
//! deploys and control actions (the console's audit log, for admins).

use std::process::ExitCode;
use std::time::Duration;

use serde::Serialize;
use voicefleet_core::ErrorKind;
use voicefleet_core::console::{Actor, AuditEntry, AuditQuery, EventQuery, Fleet, FleetEvent};

use crate::backend::{Backend, now_ms, parse_duration_seconds};
use crate::cli::EventsArgs;
use crate::output::{OutputFormat, timestamp};

/// Audit actions that are events of a customer's agent.
const ACTIONS: [&str; 3] = ["config.", "agent.", "customer."];

/// One line of the history.
#[derive(Debug, Clone, Serialize)]
struct Line {
    at_ms: u64,
    customer: String,
    kind: String,
    detail: String,
}

fn exit_text(exit: &voicefleet_core::host::ExitInfo) -> String {
    match (exit.code, exit.signal) {
        (_, Some(signal)) => format!("killed by signal {signal}"),
        (Some(code), None) => format!("exited with code {code}"),
        (None, None) => "exited".to_owned(),
    }
}

fn from_event(event: &FleetEvent) -> Line {
    match event {
        FleetEvent::StatusChanged { customer_id, from, to, at_ms, exit, restarts, pid } => {
            let from = if from.is_empty() { "unknown" } else { from.as_str() };
            let mut detail = format!("{from} → {to}");
            let mut notes = Vec::new();
            if let Some(exit) = exit {
                notes.push(format!("last run {}", exit_text(exit)));
            }
            if let Some(restarts) = restarts {
                notes.push(format!("{restarts} restarts"));
            }
            if let Some(pid) = pid {
                notes.push(format!("pid {pid}"));
            }
            if !notes.is_empty() {
                detail.push_str(&format!(" ({})", notes.join(", ")));
            }
            Line { at_ms: *at_ms, customer: customer_id.clone(), kind: "state".into(), detail }
        }
        FleetEvent::Alert { alert } => {
            let (customer, at_ms) = event.customer_and_time();
            let state = if alert.firing { "firing" } else { "resolved" };
            Line {
                at_ms,
                customer: customer.to_owned(),
                kind: "alert".into(),
                detail: format!("{} {state}: {}", alert.rule, alert.message),
            }
        }
    }
}

fn from_audit(entry: &AuditEntry) -> Option<Line> {
    if !ACTIONS.iter().any(|prefix| entry.action.starts_with(prefix)) {
        return None;
    }
    let customer = entry.target.split(['#', '/']).next().unwrap_or_default().to_owned();
    let what = match entry.target.split_once('#') {
        Some((_, revision)) => format!("revision {revision} "),
        None => String::new(),
    };
    let outcome = if entry.outcome == "ok" { String::new() } else { format!(": {}", entry.outcome) };
    Some(Line {
        at_ms: entry.at_ms,
        customer,
        kind: entry.action.clone(),
        detail: format!("{what}by {}{outcome}", entry.actor),
    })
}

/// The audit entries about the customer (all of them when `None`) since then, oldest first;
/// `None` when the role cannot read the audit log.
async fn audit_lines(
    fleet: &dyn Fleet,
    actor: &Actor,
    customer: Option<&str>,
    since_ms: u64,
) -> anyhow::Result<Option<Vec<Line>>> {
    let query = AuditQuery {
        since_ms: Some(since_ms),
        customer: customer.map(str::to_owned),
        limit: 1000,
        ..Default::default()
    };
    match fleet.audit_newest(actor, &query).await {
        Ok(entries) => Ok(Some(entries.iter().rev().filter_map(from_audit).collect())),
        Err(error) if matches!(error.kind(), ErrorKind::Forbidden) => Ok(None),
        Err(error) => Err(error.into()),
    }
}

fn print(lines: &[Line], output: OutputFormat) {
    for line in lines {
        if output == OutputFormat::Json {
            if let Ok(text) = serde_json::to_string(line) {
                println!("{text}");
            }
        } else {
            println!("{} {:<16} {:<16} {}", timestamp(line.at_ms), line.customer, line.kind, line.detail);
        }
    }
}

pub(crate) async fn events(
    backend: &Backend,
    output: OutputFormat,
    args: EventsArgs,
) -> anyhow::Result<ExitCode> {
    let (fleet, actor) = (backend.fleet(), backend.actor());
    if let Some(id) = &args.customer {
        fleet.customer(&actor, id).await?;
    }
    let since_ms = now_ms().saturating_sub(parse_duration_seconds(&args.since)? * 1000);
    // Listen before reading the past, so nothing falls between the two.
    let mut live = args.follow.then(|| fleet.fleet_events());
    let query = EventQuery { customer: args.customer.clone(), since_ms, limit: 10_000 };
    let mut lines: Vec<Line> = fleet.event_history(&actor, &query).await?.iter().map(from_event).collect();
    let audit = audit_lines(fleet.as_ref(), &actor, args.customer.as_deref(), since_ms).await?;
    let can_read_audit = audit.is_some();
    match audit {
        Some(audit) => lines.extend(audit),
        None => eprintln!(
            "deploys and control actions come from the audit log, which needs the admin role; showing state changes and alerts"
        ),
    }
    lines.sort_by_key(|line| line.at_ms);
    if output == OutputFormat::Text && lines.is_empty() && !args.follow {
        eprintln!("no event since {} ago", args.since);
    }
    print(&lines, output);
    let Some(live) = live.as_mut() else { return Ok(ExitCode::SUCCESS) };
    let mut last_ms = lines.last().map_or(since_ms, |line| line.at_ms);
    let mut audit_tick = tokio::time::interval(Duration::from_secs(2));
    loop {
        tokio::select! {
            event = live.recv() => match event {
                Ok(event) => {
                    let line = from_event(&event);
                    if args.customer.as_ref().is_none_or(|id| *id == line.customer) && line.at_ms >= last_ms {
                        print(std::slice::from_ref(&line), output);
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                    eprintln!("({missed} events missed: the console sent faster than this terminal read)");
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return Ok(ExitCode::SUCCESS),
            },
            _ = audit_tick.tick(), if can_read_audit => {
                let fresh = audit_lines(fleet.as_ref(), &actor, args.customer.as_deref(), last_ms + 1).await?;
                let fresh = fresh.unwrap_or_default();
                if let Some(last) = fresh.last() {
                    last_ms = last.at_ms;
                }
                print(&fresh, output);
            }
            _ = tokio::signal::ctrl_c() => return Ok(ExitCode::SUCCESS),
        }
    }
}
