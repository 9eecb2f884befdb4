//! `status`: the fleet's state, unhealthy customers first with the reason, filters, a summary
//! line, colour on a terminal, and an exit code for scripts.

use std::io::IsTerminal as _;
use std::process::ExitCode;
use std::time::Duration;

use voicefleet_core::console::{Actor, CustomerStatus, Fleet, Selector, health};
use voicefleet_core::host::MachineSample;

use crate::backend::Backend;
use crate::cli::StatusArgs;
use crate::exit::Refusal;
use crate::output::{OutputFormat, ago, bytes, duration, painted_table, print_json};

/// The status table: one row per customer, with the reason behind an unhealthy state.
pub(crate) fn status_table(statuses: &[CustomerStatus]) -> String {
    status_table_with(statuses, false, false, &Instances::new())
}

/// Each customer's instance (`i-… running`), when the console knows of any.
type Instances = std::collections::HashMap<String, String>;

/// The customers' instances from the console's last sync; none when it has no provider (or is
/// a console that predates instances).
async fn instances(fleet: &dyn Fleet, actor: &Actor) -> Instances {
    let Ok(report) = fleet.instances(actor).await else { return Instances::new() };
    report
        .mapping
        .linked
        .iter()
        .map(|l| (l.customer.to_string(), format!("{} {}", l.instance.id, l.instance.state)))
        .collect()
}

fn state_colour(state: &str) -> Option<&'static str> {
    match state {
        "running" => Some("32"),
        "starting" | "stopping" => Some("33"),
        "stopped" => Some("2"),
        _ => Some("31"),
    }
}

fn status_table_with(statuses: &[CustomerStatus], colour: bool, wide: bool, instances: &Instances) -> String {
    let rows: Vec<Vec<String>> = statuses
        .iter()
        .map(|s| {
            let host = s.status.as_ref();
            let resources = host.and_then(|h| h.resources);
            let dash = || "-".to_owned();
            vec![
                s.customer_id.clone(),
                s.state.clone(),
                host.and_then(|h| h.uptime_seconds).map(duration).unwrap_or_else(dash),
                host.map(|h| h.restarts.to_string()).unwrap_or_else(dash),
                resources.map(|r| format!("{:.1}%", r.cpu_percent)).unwrap_or_else(dash),
                resources.map(|r| bytes(r.rss_bytes)).unwrap_or_else(dash),
                host.map(|h| h.calls.active_calls.to_string()).unwrap_or_else(dash),
                host.map(|h| h.calls.calls_total.to_string()).unwrap_or_else(dash),
                host.map(|h| format!("{:.1}%", h.calls.error_rate_5m * 100.0)).unwrap_or_else(dash),
                host.and_then(|h| h.calls.latency_5m.e2e_ms)
                    .map(|p| format!("{:.0}ms", p.p95))
                    .unwrap_or_else(dash),
                match (s.running_revision, s.deployed_revision) {
                    (Some(running), _) => running.to_string(),
                    (None, Some(_)) => "?".to_owned(),
                    (None, None) => dash(),
                },
                match (s.drift, s.pending_revision) {
                    (true, _) => "DRIFT".to_owned(),
                    (false, Some(pending)) => format!("{pending} pending"),
                    (false, None) => String::new(),
                },
                if s.reachable { "now".to_owned() } else { ago(s.last_seen_ms) },
            ]
            .into_iter()
            .chain(if wide { wide_cells(s) } else { Vec::new() })
            .chain(
                (!instances.is_empty())
                    .then(|| instances.get(&s.customer_id).cloned().unwrap_or_else(|| "-".to_owned())),
            )
            .chain([health::reason(s).unwrap_or_default()])
            .collect()
        })
        .collect();
    let mut headers = vec![
        "CUSTOMER", "STATE", "UPTIME", "RESTARTS", "CPU", "RSS", "CALLS", "TOTAL", "ERRORS", "P95", "REV",
        "DRIFT", "SEEN",
    ];
    if wide {
        headers.extend(WIDE_HEADERS);
    }
    if !instances.is_empty() {
        headers.push("INSTANCE");
    }
    headers.push("REASON");
    painted_table(&headers, &rows, |column, cell| match column {
        1 if colour => state_colour(cell),
        11 if colour && !cell.is_empty() => Some("33"),
        _ => None,
    })
}

/// The wide view's columns: the host agent's version and the host machine (CPU of all cores,
/// memory available of the total, load averages, free space of the state filesystem, uptime).
const WIDE_HEADERS: [&str; 6] = ["AGENT", "HOST CPU", "MEM AVAIL", "LOAD 1/5/15", "DISK FREE", "HOST UP"];

fn wide_cells(status: &CustomerStatus) -> Vec<String> {
    let dash = || "-".to_owned();
    let mut cells = vec![status.agent_version.clone().unwrap_or_else(dash)];
    cells.extend(machine_cells(status.status.as_ref().and_then(|h| h.machine).as_ref()));
    cells
}

/// The host machine's figures as table cells (a dash for what is unknown): CPU, memory
/// available of the total, load averages, free space of the state filesystem, uptime.
pub(crate) fn machine_cells(machine: Option<&MachineSample>) -> [String; 5] {
    let dash = || "-".to_owned();
    let Some(m) = machine else { return [dash(), dash(), dash(), dash(), dash()] };
    let share = |part: Option<u64>, whole: Option<u64>| match (part, whole) {
        (Some(part), Some(whole)) if whole > 0 => {
            format!("{}/{} {:.0}%", bytes(part), bytes(whole), part as f64 / whole as f64 * 100.0)
        }
        _ => dash(),
    };
    [
        m.cpu_percent.map(|cpu| format!("{cpu:.1}%")).unwrap_or_else(dash),
        share(m.memory_available_bytes, m.memory_total_bytes),
        match (m.load1, m.load5, m.load15) {
            (Some(one), Some(five), Some(fifteen)) => format!("{one:.2} {five:.2} {fifteen:.2}"),
            _ => dash(),
        },
        share(m.state_fs_available_bytes, m.state_fs_size_bytes),
        m.uptime_seconds.map(|up| duration(up as f64)).unwrap_or_else(dash),
    ]
}

pub(crate) async fn status(
    backend: &Backend,
    output: OutputFormat,
    args: StatusArgs,
) -> anyhow::Result<ExitCode> {
    let (fleet, actor) = (backend.fleet(), backend.actor());
    let (selector, excluded_tags) = match &args.customer {
        Some(id) => (Selector::Ids { ids: vec![id.clone()] }, Default::default()),
        None => health::StatusFilter::parse_selector(&args.selector)?,
    };
    let filter = health::StatusFilter { excluded_tags, unhealthy: args.unhealthy, ..Default::default() }
        .with_states(args.states.clone())?;
    let terminal = std::io::stdout().is_terminal();
    let colour = crate::output::colour_stdout();
    let instances =
        if output == OutputFormat::Json { Instances::new() } else { instances(fleet.as_ref(), &actor).await };
    loop {
        let selected = fleet.status(&actor, &selector).await?;
        if let Some(id) = &args.customer
            && selected.is_empty()
        {
            fleet.customer(&actor, id).await?;
        }
        if selected.is_empty() && selector != Selector::All {
            return Err(nothing_selected(fleet.as_ref(), &actor, &args.selector).await);
        }
        let mut statuses: Vec<CustomerStatus> =
            selected.iter().filter(|s| filter.matches(s)).cloned().collect();
        health::sort_unhealthy_first(&mut statuses);
        if output == OutputFormat::Json {
            print_json(&statuses)?;
        } else {
            if args.watch && terminal {
                print!("\x1b[2J\x1b[H");
            }
            if statuses.is_empty() {
                println!("no customer matches these filters ({})", health::summary(&selected));
            } else {
                print!("{}", status_table_with(&statuses, colour, output == OutputFormat::Wide, &instances));
                let hidden = selected.len() - statuses.len();
                let hidden = if hidden > 0 { format!(" ({hidden} more not shown)") } else { String::new() };
                println!("{}{hidden}", health::summary(&statuses));
            }
            if args.watch {
                println!();
            }
        }
        let unhealthy = statuses.iter().any(|s| !health::is_healthy(s));
        if !args.watch {
            return Ok(if args.exit_code && unhealthy {
                ExitCode::from(crate::exit::FAILURE)
            } else {
                ExitCode::SUCCESS
            });
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            _ = tokio::signal::ctrl_c() => return Ok(ExitCode::SUCCESS),
        }
    }
}

/// "selector matched nothing", with the tags and ids in use to pick from.
async fn nothing_selected(fleet: &dyn Fleet, actor: &Actor, selector: &str) -> anyhow::Error {
    let customers = fleet.customers(actor, &Selector::All).await.unwrap_or_default();
    let mut tags: Vec<String> =
        customers.iter().flat_map(|c| c.tags.iter().map(|(k, v)| format!("{k}={v}"))).collect();
    tags.sort();
    tags.dedup();
    let ids: Vec<&str> = customers.iter().map(|c| c.id.as_str()).collect();
    Refusal::new(
        voicefleet_core::ErrorKind::NotFound,
        format!("selector `{selector}` matches no customer"),
        format!(
            "tags in use: {}; customers: {}",
            if tags.is_empty() { "none".to_owned() } else { tags.join(", ") },
            if ids.is_empty() { "none".to_owned() } else { ids.join(", ") }
        ),
    )
    .into()
}
