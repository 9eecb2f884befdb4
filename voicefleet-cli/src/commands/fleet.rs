//! Customers, status, secrets, control, logs, metrics, alerts and audit: thin calls on the fleet.

use std::process::ExitCode;
use std::time::Duration;

use voicefleet_core::console::{AuditQuery, NewCustomer, Selector};
use voicefleet_core::host::LogQuery;
use voicefleet_core::logs::{Stream, StreamFilter};

use crate::backend::{Backend, now_ms, parse_duration_seconds, read_secret};
use crate::cli::{
    AgentCommand, AlertsArgs, AuditCommand, CustomersCommand, LogsArgs, MetricsArgs, SecretsCommand,
};
use crate::commands::lines::LineFilter;
use crate::commands::progress;
use crate::exit::Refusal;
use crate::output::{OutputFormat, ago, bytes, print_json, table, timestamp};

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
        CustomersCommand::Add { id, endpoint, name, tags, ca, pin } => {
            let ca_pem = match ca {
                Some(path) => Some(std::fs::read_to_string(&path).map_err(|error| {
                    crate::exit::Refusal::new(
                        voicefleet_core::ErrorKind::InvalidInput,
                        format!("cannot read the CA bundle {}: {error}", path.display()),
                        "give a PEM file of CA certificates",
                    )
                })?),
                None => None,
            };
            let trust = voicefleet_core::transport::HostTrust { ca_pem, pin_sha256: pin };
            let added = fleet.add_customer(&actor, NewCustomer { id, name, endpoint, tags, trust }).await?;
            if output == OutputFormat::Json {
                print_json(&added)?;
            } else {
                eprintln!("added customer {} ({})", added.id, added.endpoint);
            }
        }
        CustomersCommand::Onboard(args) => return super::onboard::run(backend, output, *args).await,
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
                match (&customer.trust.pin_sha256, &customer.trust.ca_pem) {
                    (Some(pin), _) => println!("tls       pinned certificate {pin}"),
                    (None, Some(pem)) => println!(
                        "tls       {} CA certificate(s) of its own",
                        pem.matches("-----BEGIN CERTIFICATE-----").count()
                    ),
                    (None, None) => println!("tls       the system's roots (https) or none (loopback http)"),
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
        CustomersCommand::Remove { id, yes } => {
            let customer = fleet.customer(&actor, &id).await?;
            let revisions = fleet.revisions(&actor, &id).await.map(|r| r.len()).unwrap_or(0);
            let secrets = fleet.secrets(&actor, &id).await.map(|s| s.len()).unwrap_or(0);
            crate::confirm::confirm(
                &format!("remove customer {id}"),
                &format!(
                    "deletes {} revision{}, {} secret{}, its metrics history and alerts from the console \
                     (the audit log keeps its entries; the agent at {} keeps running)",
                    revisions,
                    progress::plural(revisions as u64),
                    secrets,
                    progress::plural(secrets as u64),
                    customer.endpoint
                ),
                yes,
            )?;
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

pub(crate) async fn secrets(
    backend: &Backend,
    output: OutputFormat,
    command: SecretsCommand,
) -> anyhow::Result<ExitCode> {
    let (fleet, actor) = (backend.fleet(), backend.actor());
    match command {
        SecretsCommand::Set { args, selector } => {
            let (customers, name) = match (args.as_slice(), &selector) {
                ([customer, name], None) => (vec![customer.clone()], name.clone()),
                ([name], Some(selector)) => {
                    let selected = fleet.customers(&actor, &Selector::parse(selector)?).await?;
                    anyhow::ensure!(
                        !selected.is_empty(),
                        Refusal::new(
                            voicefleet_core::ErrorKind::NotFound,
                            format!("selector `{selector}` matches no customer; nothing changed"),
                            "list them with `voicefleet customers list --selector ...`",
                        )
                    );
                    (selected.into_iter().map(|c| c.id).collect(), name.clone())
                }
                _ => anyhow::bail!(Refusal::new(
                    voicefleet_core::ErrorKind::InvalidInput,
                    "give CUSTOMER NAME, or NAME with --selector",
                    "voicefleet secrets set acme openai_api_key, or voicefleet secrets set openai_api_key --selector tier=prod",
                )),
            };
            if !voicefleet_core::config::is_valid_secret_name(&name) {
                return Err(voicefleet_core::Error::InvalidSecretName { name }.into());
            }
            let whom = if customers.len() == 1 {
                customers[0].clone()
            } else {
                format!("{} customers", customers.len())
            };
            let value = read_secret(&format!("value of {name} for {whom} (not echoed): "), false)?;
            for customer in &customers {
                set_one_secret(fleet.as_ref(), &actor, customer, &name, &value).await?;
            }
            if customers.len() > 1 {
                eprintln!(
                    "deploy to pass it to running agents: voicefleet bulk deploy --selector {}",
                    selector.unwrap_or_default()
                );
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
        SecretsCommand::Rm { customer, name, yes } => {
            crate::confirm::confirm(
                &format!("remove secret {name} from {customer}"),
                "its value is deleted and cannot be read back; a revision that references it cannot be deployed",
                yes,
            )?;
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

/// Sets one customer's secret, then an offline look at the value's shape for the providers that
/// use it (the latest revision says which): a warning, never a refusal.
async fn set_one_secret(
    fleet: &dyn voicefleet_core::console::Fleet,
    actor: &voicefleet_core::console::Actor,
    customer: &str,
    name: &str,
    value: &str,
) -> anyhow::Result<()> {
    fleet.set_secret(actor, customer, name, value).await?;
    eprintln!("set secret {name} for {customer}");
    let latest = fleet.revisions(actor, customer).await.ok().and_then(|r| r.first().map(|r| r.number));
    let document = match latest {
        Some(number) => fleet.revision(actor, customer, number).await.ok().and_then(|r| r.document),
        None => None,
    };
    for provider in voicefleet_core::config::providers_using_secret(document.as_ref(), name) {
        if let Some(warning) = voicefleet_core::config::secret_format_warning(&provider, value) {
            eprintln!("warning: {name}: {warning}");
            eprintln!("hint: check the value was copied whole from the {provider} dashboard");
        }
    }
    Ok(())
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
    let timeout = timeout.as_deref().map(parse_drain_timeout).transpose()?;
    let (fleet, actor) = (backend.fleet(), backend.actor());
    let before = progress::current(fleet.as_ref(), &actor, &customer).await;
    let was_running = before.as_ref().is_some_and(|b| matches!(b.state.as_str(), "running" | "starting"));
    // The same answer whatever the request: one that changes nothing says so and succeeds.
    let nothing_to_do = match action {
        ControlAction::Start => was_running.then_some("already running"),
        ControlAction::Stop | ControlAction::Drain => before
            .as_ref()
            .filter(|b| matches!(b.state.as_str(), "stopped" | "exited"))
            .map(|_| "not running"),
        ControlAction::Restart => None,
    };
    if let Some(why) = nothing_to_do
        && let Some(before) = &before
        && let Some(status) = &before.status
    {
        if output == OutputFormat::Json {
            print_json(status)?;
        } else {
            eprintln!("{customer}: {why}; nothing to do");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let request = fleet.control(&actor, &customer, action, timeout);
    let (result, drained) = if action == ControlAction::Start {
        (request.await, progress::Drained::default())
    } else {
        progress::while_draining(fleet.clone(), &actor, &customer, before.as_ref(), request).await
    };
    let status = result?;
    if output == OutputFormat::Json {
        print_json(&status)?;
        return Ok(ExitCode::SUCCESS);
    }
    let pid = status.pid.map(|p| format!(", pid {p}")).unwrap_or_default();
    if action != ControlAction::Start && was_running {
        eprintln!("{customer}: {}", progress::drain_outcome(before.as_ref(), &status, drained));
    }
    let now = match action {
        ControlAction::Restart | ControlAction::Start => format!("now {}{pid}", status.state),
        ControlAction::Stop | ControlAction::Drain => status.state.to_string(),
    };
    eprintln!("{customer}: {now}");
    Ok(ExitCode::SUCCESS)
}

/// `--drain-timeout`: core's duration parser, within what a host accepts.
pub(crate) fn parse_drain_timeout(text: &str) -> anyhow::Result<Duration> {
    let timeout = voicefleet_core::clock::parse_duration(text)?;
    anyhow::ensure!(
        timeout <= Duration::from_secs(43_200),
        voicefleet_core::Error::InvalidValue {
            value: text.to_owned(),
            reason: "--drain-timeout is at most 12h (43200 seconds)".into()
        }
    );
    Ok(timeout)
}

pub(crate) async fn logs(
    backend: &Backend,
    output: OutputFormat,
    args: LogsArgs,
) -> anyhow::Result<ExitCode> {
    let (fleet, actor) = (backend.fleet(), backend.actor());
    let stream = if args.stderr { StreamFilter::Only(Stream::Stderr) } else { StreamFilter::All };
    let since_ms = match args.since.as_deref() {
        Some(text) => Some(now_ms().saturating_sub(parse_duration_seconds(text)? * 1000)),
        None => None,
    };
    let filter = LineFilter { stream, since_ms, no_events: args.no_events, output };
    let tail = args.tail.unwrap_or(if since_ms.is_some() { 10_000 } else { 100 }).clamp(1, 10_000);
    // Filters that drop lines read more, then keep the last `tail` shown.
    let read = if since_ms.is_some() || args.no_events { 10_000 } else { tail };
    let lines = fleet.logs(&actor, &args.customer, LogQuery::Tail { n: read, stream }).await?;
    let shown: Vec<_> = lines.iter().filter(|line| filter.shows(line)).cloned().collect();
    filter.print(&shown[shown.len().saturating_sub(tail)..]);
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
        filter.print(&lines);
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
        let wide = output == OutputFormat::Wide;
        let rows: Vec<Vec<String>> = samples
            .iter()
            .map(|s| {
                let mut row = vec![
                    ago(Some(s.at_ms)),
                    format!("{:.1}%", s.cpu_percent),
                    bytes(s.rss_bytes),
                    s.threads.to_string(),
                    s.open_files.to_string(),
                    s.active_calls.to_string(),
                    format!("{:.1}%", s.error_rate * 100.0),
                    s.p95_e2e_ms.map_or_else(|| "-".to_owned(), |p95| format!("{p95:.0}ms")),
                ];
                if wide {
                    row.extend(super::status::machine_cells(s.machine.as_ref()));
                }
                row
            })
            .collect();
        let mut headers = vec!["WHEN", "CPU", "RSS", "THREADS", "FILES", "CALLS", "ERRORS", "P95"];
        if wide {
            headers.extend(["HOST CPU", "MEM AVAIL", "LOAD 1/5/15", "DISK FREE", "HOST UP"]);
        }
        print!("{}", table(&headers, &rows));
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
        AuditCommand::List { since, customer, actor: by, action, before, after, limit } => {
            let limit = limit.clamp(1, 1000);
            let entries = match after {
                Some(after) => fleet.audit(&actor, after, limit).await?,
                None => {
                    let since_ms = match since.as_deref() {
                        Some(text) => Some(now_ms().saturating_sub(parse_duration_seconds(text)? * 1000)),
                        None => None,
                    };
                    let query = AuditQuery { before, since_ms, customer, actor: by, action, limit };
                    fleet.audit_newest(&actor, &query).await?
                }
            };
            if output == OutputFormat::Json {
                print_json(&entries)?;
            } else {
                let rows: Vec<Vec<String>> = entries
                    .iter()
                    .map(|e| {
                        vec![
                            e.seq.to_string(),
                            timestamp(e.at_ms),
                            e.actor.clone(),
                            e.action.clone(),
                            e.target.clone(),
                            e.outcome.clone(),
                        ]
                    })
                    .collect();
                print!("{}", table(&["SEQ", "WHEN", "ACTOR", "ACTION", "TARGET", "OUTCOME"], &rows));
                if entries.is_empty() {
                    eprintln!("no audit entry matches");
                }
            }
            if entries.len() == limit
                && let Some(last) = entries.last()
            {
                match after {
                    Some(_) => eprintln!("more after these: --after {}", last.seq),
                    None => eprintln!("older entries exist: add --before {} for the next page", last.seq),
                }
            }
        }
        AuditCommand::Host { customer, after, limit, verify } => {
            if verify {
                return super::host_audit::print_verification(
                    &fleet.verify_host_audit(&actor, &customer).await?,
                    output,
                );
            }
            let limit = limit.clamp(1, 1000);
            let page = fleet.host_audit(&actor, &customer, after, limit).await?;
            super::host_audit::print_page(
                &page,
                limit,
                output,
                &format!("voicefleet audit host {customer}"),
            )?;
        }
        AuditCommand::Verify => {
            let verification = fleet.verify_audit(&actor).await?;
            if output == OutputFormat::Json {
                print_json(&verification)?;
            } else if verification.ok {
                println!("audit chain intact ({} entries)", verification.entries);
            } else {
                let at =
                    verification.first_broken_seq.map(|seq| format!(" at entry {seq}")).unwrap_or_default();
                println!("audit chain BROKEN{at}: {}", verification.reason.clone().unwrap_or_default());
            }
            if output != OutputFormat::Json {
                match &verification.latest_checkpoint {
                    Some(latest) => println!(
                        "{} signed checkpoint(s) checked; the latest vouches for entry {} ({}, {})",
                        verification.checkpoints,
                        latest.seq,
                        ago(Some(latest.at_ms)),
                        latest.note
                    ),
                    None => println!("no signed checkpoints checked"),
                }
            }
            if !verification.ok {
                return Ok(ExitCode::from(crate::exit::FAILURE));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
