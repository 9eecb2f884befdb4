//! Customers, status, secrets, control, logs, metrics, alerts and audit: thin calls on the fleet.

use std::process::ExitCode;
use std::time::Duration;

use voicefleet_core::console::{CustomerStatus, NewCustomer, Selector};
use voicefleet_core::host::LogQuery;
use voicefleet_core::logs::{Stream, StreamFilter};

use crate::backend::{Backend, now_ms, parse_duration_seconds, read_secret};
use crate::cli::{
    AgentCommand, AlertsArgs, AuditCommand, CustomersCommand, LogsArgs, MetricsArgs, SecretsCommand,
    StatusArgs,
};
use crate::output::{OutputFormat, ago, bytes, duration, print_json, table};

pub(crate) async fn customers(
    backend: &Backend,
    output: OutputFormat,
    command: CustomersCommand,
) -> anyhow::Result<ExitCode> {
    let (fleet, actor) = (backend.fleet(), backend.actor());
    match command {
        CustomersCommand::List { selector } => {
            let customers = fleet.customers(&actor, &Selector::parse(&selector)?).await?;
            if output == OutputFormat::Json {
                print_json(&customers)?;
            } else {
                let rows: Vec<Vec<String>> = customers
                    .iter()
                    .map(|c| {
                        let tags =
                            c.tags.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",");
                        vec![
                            c.id.clone(),
                            c.name.clone(),
                            c.endpoint.clone(),
                            tags,
                            c.deployed_revision.map(|r| r.to_string()).unwrap_or("-".into()),
                        ]
                    })
                    .collect();
                print!("{}", table(&["CUSTOMER", "NAME", "ENDPOINT", "TAGS", "DEPLOYED"], &rows));
            }
        }
        CustomersCommand::Add { id, endpoint, name, tags } => {
            let added = fleet.add_customer(&actor, NewCustomer { id, name, endpoint, tags }).await?;
            if output == OutputFormat::Json {
                print_json(&added)?;
            } else {
                eprintln!("added customer {} ({})", added.id, added.endpoint);
            }
        }
        CustomersCommand::Show { id } => {
            let customer = fleet.customer(&actor, &id).await?;
            if output == OutputFormat::Json {
                print_json(&customer)?;
            } else {
                println!(
                    "id        {}\nname      {}\nendpoint  {}",
                    customer.id, customer.name, customer.endpoint
                );
                for (key, value) in &customer.tags {
                    println!("tag       {key}={value}");
                }
                println!(
                    "deployed  {}",
                    customer
                        .deployed_revision
                        .map(|r| format!("revision {r}"))
                        .unwrap_or("nothing yet".into())
                );
            }
        }
        CustomersCommand::Remove { id } => {
            fleet.remove_customer(&actor, &id).await?;
            eprintln!("removed customer {id}");
        }
        CustomersCommand::Tag { id, tags, remove } => {
            let customer = fleet.tag_customer(&actor, &id, tags, remove).await?;
            if output == OutputFormat::Json {
                print_json(&customer)?;
            } else {
                let tags =
                    customer.tags.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ");
                eprintln!("{id}: {tags}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The status table: one row per customer.
pub(crate) fn status_table(statuses: &[CustomerStatus]) -> String {
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
                if s.drift { "DRIFT".to_owned() } else { "".to_owned() },
                if s.reachable { "now".to_owned() } else { ago(s.last_seen_ms) },
            ]
        })
        .collect();
    let mut text = table(
        &[
            "CUSTOMER", "STATE", "UPTIME", "RESTARTS", "CPU", "RSS", "CALLS", "TOTAL", "ERRORS", "P95",
            "REV", "DRIFT", "SEEN",
        ],
        &rows,
    );
    // Why an agent cannot start, under the table: the cause, not just `backoff`.
    for status in statuses {
        if let Some(error) = status.status.as_ref().and_then(|h| h.last_error.as_deref()) {
            text.push_str(&format!("{}: {error}\n", status.customer_id));
        }
    }
    text
}

pub(crate) async fn status(
    backend: &Backend,
    output: OutputFormat,
    args: StatusArgs,
) -> anyhow::Result<ExitCode> {
    let (fleet, actor) = (backend.fleet(), backend.actor());
    let selector = match &args.customer {
        Some(id) => Selector::Ids { ids: vec![id.clone()] },
        None => Selector::parse(&args.selector)?,
    };
    loop {
        let statuses = fleet.status(&actor, &selector).await?;
        if args.customer.is_some() && statuses.is_empty() {
            fleet.customer(&actor, args.customer.as_deref().unwrap_or_default()).await?;
        }
        if output == OutputFormat::Json {
            print_json(&statuses)?;
        } else {
            if args.watch {
                print!("\x1b[2J\x1b[H");
            }
            print!("{}", status_table(&statuses));
        }
        if !args.watch {
            return Ok(ExitCode::SUCCESS);
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            _ = tokio::signal::ctrl_c() => return Ok(ExitCode::SUCCESS),
        }
    }
}

pub(crate) async fn secrets(
    backend: &Backend,
    output: OutputFormat,
    command: SecretsCommand,
) -> anyhow::Result<ExitCode> {
    let (fleet, actor) = (backend.fleet(), backend.actor());
    match command {
        SecretsCommand::Set { customer, name } => {
            if !voicefleet_core::config::is_valid_secret_name(&name) {
                return Err(voicefleet_core::Error::InvalidSecretName { name }.into());
            }
            let value = read_secret(&format!("value of {name} for {customer} (not echoed): "), false)?;
            fleet.set_secret(&actor, &customer, &name, &value).await?;
            eprintln!("set secret {name} for {customer}");
            // An offline look at the value's shape for the providers that use it (the latest
            // revision says which): a warning, never a refusal.
            let latest =
                fleet.revisions(&actor, &customer).await.ok().and_then(|r| r.first().map(|r| r.number));
            let document = match latest {
                Some(number) => fleet.revision(&actor, &customer, number).await.ok().and_then(|r| r.document),
                None => None,
            };
            for provider in voicefleet_core::config::providers_using_secret(document.as_ref(), &name) {
                if let Some(warning) = voicefleet_core::config::secret_format_warning(&provider, &value) {
                    eprintln!("warning: {name}: {warning}");
                    eprintln!("hint: check the value was copied whole from the {provider} dashboard");
                }
            }
        }
        SecretsCommand::List { customer } => {
            let secrets = fleet.secrets(&actor, &customer).await?;
            if output == OutputFormat::Json {
                print_json(&secrets)?;
            } else {
                let rows: Vec<Vec<String>> =
                    secrets.iter().map(|s| vec![s.name.clone(), ago(Some(s.updated_at_ms))]).collect();
                print!("{}", table(&["NAME", "CHANGED"], &rows));
            }
        }
        SecretsCommand::Rm { customer, name } => {
            fleet.delete_secret(&actor, &customer, &name).await?;
            eprintln!("removed secret {name} from {customer}");
        }
        SecretsCommand::Check { customer, name } => {
            let checks = fleet.check_secrets(&actor, &customer, name.as_deref()).await?;
            if output == OutputFormat::Json {
                print_json(&checks)?;
            } else if checks.is_empty() {
                eprintln!("{customer}'s deployed configuration uses no provider secret");
            } else {
                let rows: Vec<Vec<String>> = checks
                    .iter()
                    .map(|c| {
                        vec![
                            c.secret.clone(),
                            c.provider.clone(),
                            c.path.clone(),
                            c.verdict.to_string(),
                            c.detail.clone(),
                        ]
                    })
                    .collect();
                print!("{}", table(&["SECRET", "PROVIDER", "USED BY", "VERDICT", "DETAIL"], &rows));
            }
            let all_valid = checks.iter().all(|c| c.verdict == voicefleet_core::keycheck::KeyVerdict::Valid);
            if !all_valid {
                return Ok(ExitCode::from(crate::exit::FAILURE));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn control(
    backend: &Backend,
    output: OutputFormat,
    command: AgentCommand,
) -> anyhow::Result<ExitCode> {
    use voicefleet_core::console::ControlAction;
    let (customer, action, timeout) = match command {
        AgentCommand::Start { customer } => (customer, ControlAction::Start, None),
        AgentCommand::Stop { customer, drain_timeout } => (customer, ControlAction::Stop, drain_timeout),
        AgentCommand::Restart { customer, drain_timeout } => {
            (customer, ControlAction::Restart, drain_timeout)
        }
        AgentCommand::Drain { customer, drain_timeout } => (customer, ControlAction::Drain, drain_timeout),
        AgentCommand::Run(_) => unreachable!("handled before a backend is opened"),
    };
    if let Some(seconds) = timeout {
        anyhow::ensure!(
            (0.0..=43_200.0).contains(&seconds),
            voicefleet_core::Error::InvalidValue {
                value: seconds.to_string(),
                reason: "--drain-timeout is 0 to 43200 seconds".into()
            }
        );
    }
    let status = backend
        .fleet()
        .control(&backend.actor(), &customer, action, timeout.map(Duration::from_secs_f64))
        .await?;
    if output == OutputFormat::Json {
        print_json(&status)?;
    } else {
        let pid = status.pid.map(|p| format!(", pid {p}")).unwrap_or_default();
        eprintln!("{customer}: {}{pid}", status.state);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_lines(lines: &[voicefleet_core::logs::LogLine], output: OutputFormat) -> anyhow::Result<()> {
    for line in lines {
        if output == OutputFormat::Json {
            println!(
                "{}",
                serde_json::json!({"seq": line.seq, "ts_ms": line.ts_ms, "stream": line.stream.as_str(), "text": line.text})
            );
        } else {
            let marker = if line.stream == Stream::Stderr { "!" } else { " " };
            println!("{:>8}{marker} {}", line.seq, line.text);
        }
    }
    Ok(())
}

pub(crate) async fn logs(
    backend: &Backend,
    output: OutputFormat,
    args: LogsArgs,
) -> anyhow::Result<ExitCode> {
    let (fleet, actor) = (backend.fleet(), backend.actor());
    let stream = if args.stderr { StreamFilter::Only(Stream::Stderr) } else { StreamFilter::All };
    let lines =
        fleet.logs(&actor, &args.customer, LogQuery::Tail { n: args.tail.clamp(1, 10_000), stream }).await?;
    print_lines(&lines, output)?;
    if !args.follow {
        return Ok(ExitCode::SUCCESS);
    }
    let mut cursor = match lines.last() {
        Some(last) => last.seq,
        None => fleet
            .logs(&actor, &args.customer, LogQuery::Tail { n: 1, stream: StreamFilter::All })
            .await?
            .last()
            .map(|l| l.seq)
            .unwrap_or(0),
    };
    loop {
        let lines = fleet
            .logs(&actor, &args.customer, LogQuery::After { cursor, limit: 1000, stream: StreamFilter::All })
            .await?;
        if let Some(last) = lines.last() {
            cursor = last.seq;
        }
        let shown: Vec<_> = lines.into_iter().filter(|l| stream.accepts(l.stream)).collect();
        print_lines(&shown, output)?;
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(300)) => {}
            _ = tokio::signal::ctrl_c() => return Ok(ExitCode::SUCCESS),
        }
    }
}

pub(crate) async fn metrics(
    backend: &Backend,
    output: OutputFormat,
    args: MetricsArgs,
) -> anyhow::Result<ExitCode> {
    let since = now_ms().saturating_sub(parse_duration_seconds(&args.since)? * 1000);
    let samples = backend.fleet().metrics(&backend.actor(), &args.customer, since, now_ms()).await?;
    if output == OutputFormat::Json {
        print_json(&samples)?;
    } else {
        let rows: Vec<Vec<String>> = samples
            .iter()
            .map(|s| {
                vec![
                    ago(Some(s.at_ms)),
                    format!("{:.1}%", s.cpu_percent),
                    bytes(s.rss_bytes),
                    s.threads.to_string(),
                    s.open_files.to_string(),
                    s.active_calls.to_string(),
                    format!("{:.1}%", s.error_rate * 100.0),
                    s.p95_e2e_ms.map_or_else(|| "-".to_owned(), |p95| format!("{p95:.0}ms")),
                ]
            })
            .collect();
        print!("{}", table(&["WHEN", "CPU", "RSS", "THREADS", "FILES", "CALLS", "ERRORS", "P95"], &rows));
        if samples.is_empty() {
            eprintln!("no samples since {}; the console samples every host while it runs", args.since);
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn alerts(
    backend: &Backend,
    output: OutputFormat,
    args: AlertsArgs,
) -> anyhow::Result<ExitCode> {
    let alerts = backend.fleet().alerts(&backend.actor(), args.all).await?;
    if output == OutputFormat::Json {
        print_json(&alerts)?;
    } else {
        let rows: Vec<Vec<String>> = alerts
            .iter()
            .map(|a| {
                vec![
                    a.customer_id.clone(),
                    a.rule.clone(),
                    if a.firing { "firing".into() } else { "resolved".into() },
                    ago(Some(a.since_ms)),
                    a.message.clone(),
                ]
            })
            .collect();
        print!("{}", table(&["CUSTOMER", "RULE", "STATE", "SINCE", "MESSAGE"], &rows));
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn audit(
    backend: &Backend,
    output: OutputFormat,
    command: AuditCommand,
) -> anyhow::Result<ExitCode> {
    let (fleet, actor) = (backend.fleet(), backend.actor());
    match command {
        AuditCommand::List { after, limit } => {
            let entries = fleet.audit(&actor, after, limit.clamp(1, 1000)).await?;
            if output == OutputFormat::Json {
                print_json(&entries)?;
            } else {
                let rows: Vec<Vec<String>> = entries
                    .iter()
                    .map(|e| {
                        vec![
                            e.seq.to_string(),
                            ago(Some(e.at_ms)),
                            e.actor.clone(),
                            e.action.clone(),
                            e.target.clone(),
                            e.outcome.clone(),
                        ]
                    })
                    .collect();
                print!("{}", table(&["SEQ", "WHEN", "ACTOR", "ACTION", "TARGET", "OUTCOME"], &rows));
            }
        }
        AuditCommand::Verify => {
            let verification = fleet.verify_audit(&actor).await?;
            if output == OutputFormat::Json {
                print_json(&verification)?;
            } else if verification.ok {
                println!("audit chain intact ({} entries)", verification.entries);
            } else {
                println!(
                    "audit chain BROKEN at entry {}: {}",
                    verification.first_broken_seq.unwrap_or(0),
                    verification.reason.clone().unwrap_or_default()
                );
            }
            if !verification.ok {
                return Ok(ExitCode::from(crate::exit::FAILURE));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
