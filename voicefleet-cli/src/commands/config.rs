//! `voicefleet config ...`: documents in files, and customers' revisions on the console.

use std::io::Read as _;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use serde_json::Value;
use voicefleet_core::config::{
    ConfigDocument, PatchOperation, Severity, ValidateOptions, json_schema, parse_value_text, template,
    template_names,
};
use voicefleet_core::console::RevisionInput;
use voicefleet_core::host::ApplyAction;

use crate::backend::Backend;
use crate::cli::{ConfigCommand, Global};
use crate::commands::progress;
use crate::exit;
use crate::output::{OutputFormat, ago, print_json, table};

/// A file (an existing path, `-`, or a name ending .json), else a customer id.
fn is_file(target: &str) -> bool {
    target == "-" || target.ends_with(".json") || target.contains('/') || Path::new(target).exists()
}

pub(crate) async fn run(global: &Global, command: ConfigCommand) -> anyhow::Result<ExitCode> {
    let output = global.output;
    match command {
        ConfigCommand::Validate { file, secrets } => validate(&file, secrets, output),
        ConfigCommand::Template { name, list } => {
            if list {
                template_names().iter().for_each(|name| println!("{name}"));
            } else {
                print!("{}", template(name.as_deref().unwrap_or("default"))?.to_json_pretty());
            }
            Ok(ExitCode::SUCCESS)
        }
        ConfigCommand::Schema => {
            print_json(json_schema())?;
            Ok(ExitCode::SUCCESS)
        }
        ConfigCommand::Get { target, path } => {
            let document =
                if is_file(&target) { load(Path::new(&target))? } else { latest(global, &target).await?.0 };
            let redacted = ConfigDocument::from_value(document.redacted())?;
            match path {
                None => print!("{}", redacted.to_json_pretty()),
                Some(path) => match (redacted.get(&path)?, output) {
                    (Value::String(text), OutputFormat::Text) => println!("{text}"),
                    (value, _) => print_json(value)?,
                },
            }
            Ok(ExitCode::SUCCESS)
        }
        ConfigCommand::Set { target, path, value, message } => {
            let value = parse_value_text(&value);
            if is_file(&target) {
                let file = Path::new(&target);
                let mut document = load(file)?;
                let validation = document.set(&path, value)?;
                save(file, &document)?;
                eprintln!("set {path} in {}", file.display());
                report_remaining(&validation);
                Ok(ExitCode::SUCCESS)
            } else {
                patch(global, &target, vec![PatchOperation::Set { path, value }], &message).await
            }
        }
        ConfigCommand::Unset { target, path, message } => {
            if is_file(&target) {
                let file = Path::new(&target);
                let mut document = load(file)?;
                let validation = document.unset(&path)?;
                save(file, &document)?;
                eprintln!("removed {path} from {}", file.display());
                report_remaining(&validation);
                Ok(ExitCode::SUCCESS)
            } else {
                patch(global, &target, vec![PatchOperation::Unset { path }], &message).await
            }
        }
        ConfigCommand::Diff { a, b, from, to } => {
            let changes = match (b, from, to) {
                (Some(b), None, None) => load(Path::new(&a))?.diff(&load(Path::new(&b))?),
                (None, from, to) if !is_file(&a) => {
                    let backend = Backend::open(global).await?;
                    let (fleet, actor) = (backend.fleet(), backend.actor());
                    let revisions = fleet.revisions(&actor, &a).await?;
                    let latest = revisions.first().map(|r| r.number);
                    let deployed = revisions.iter().find(|r| r.deployed).map(|r| r.number);
                    let (Some(from), Some(to)) = (from.or(deployed), to.or(latest)) else {
                        anyhow::bail!(voicefleet_core::Error::InvalidValue {
                            value: a,
                            reason: "nothing deployed yet to compare with; give --from REV".into()
                        });
                    };
                    if output == OutputFormat::Text {
                        eprintln!("revision {from} → {to}");
                    }
                    fleet.diff(&actor, &a, from, to).await?
                }
                _ => anyhow::bail!(voicefleet_core::Error::InvalidValue {
                    value: a,
                    reason: "give two files, or a customer id (with --from and --to, or neither)".into()
                }),
            };
            match output {
                OutputFormat::Json => print_json(&changes)?,
                OutputFormat::Text | OutputFormat::Wide if changes.is_empty() => eprintln!("no differences"),
                OutputFormat::Text | OutputFormat::Wide => {
                    for change in &changes {
                        println!("{change}");
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        ConfigCommand::History { customer } => {
            let backend = Backend::open(global).await?;
            let revisions = backend.fleet().revisions(&backend.actor(), &customer).await?;
            if output == OutputFormat::Json {
                print_json(&revisions)?;
            } else {
                let rows: Vec<Vec<String>> = revisions
                    .iter()
                    .map(|r| {
                        vec![
                            r.number.to_string(),
                            if r.deployed { "deployed".into() } else { String::new() },
                            ago(Some(r.created_at_ms)),
                            r.author.clone(),
                            r.hash.chars().take(19).collect(),
                            r.message.clone(),
                        ]
                    })
                    .collect();
                print!("{}", table(&["REV", "", "WHEN", "AUTHOR", "HASH", "MESSAGE"], &rows));
            }
            Ok(ExitCode::SUCCESS)
        }
        ConfigCommand::Push { customer, file, message } => {
            let document = load(&file)?;
            let backend = Backend::open(global).await?;
            let revision = backend
                .fleet()
                .create_revision(
                    &backend.actor(),
                    &customer,
                    RevisionInput::Full { document: document.into_value() },
                    &message,
                )
                .await?;
            print_revision(output, &revision, "created")?;
            Ok(ExitCode::SUCCESS)
        }
        ConfigCommand::Rollback { customer, revision, message, deploy: and_deploy } => {
            let backend = Backend::open(global).await?;
            let (fleet, actor) = (backend.fleet(), backend.actor());
            let revision =
                match revision {
                    Some(revision) => revision,
                    None => fleet.revisions(&actor, &customer).await?.get(1).map(|r| r.number).with_context(
                        || format!("`{customer}` has only one revision: nothing before it to roll back to"),
                    )?,
                };
            let created = fleet.rollback(&actor, &customer, revision, &message).await?;
            if and_deploy {
                if output == OutputFormat::Text {
                    eprintln!(
                        "created revision {} of {customer}, equal to revision {revision}",
                        created.number
                    );
                }
                return deploy(&backend, output, &customer, Some(created.number)).await;
            }
            print_revision(output, &created, "created")?;
            eprintln!("deploy it with `voicefleet config deploy {customer}`");
            Ok(ExitCode::SUCCESS)
        }
        ConfigCommand::Deploy { customer, revision } => {
            let backend = Backend::open(global).await?;
            deploy(&backend, output, &customer, revision).await
        }
    }
}

/// Deploys and says how the revision reached the agent: stored, reloaded (SIGHUP), or
/// restarted (a drain-restart, waited for: the old and the new PID).
async fn deploy(
    backend: &Backend,
    output: OutputFormat,
    customer: &str,
    revision: Option<u64>,
) -> anyhow::Result<ExitCode> {
    let (fleet, actor) = (backend.fleet(), backend.actor());
    let before = progress::current(fleet.as_ref(), &actor, customer).await;
    let old_pid = before.as_ref().and_then(|b| b.status.as_ref()?.pid);
    let deployed = fleet.deploy(&actor, customer, revision).await?;
    if output == OutputFormat::Json {
        print_json(&deployed)?;
    } else {
        eprintln!("deployed revision {} of {customer} ({})", deployed.number, deployed.hash);
    }
    let say = |line: String| {
        if output == OutputFormat::Text {
            eprintln!("{line}");
        }
    };
    match deployed.applied {
        Some(ApplyAction::Stored) => say(format!(
            "{customer}: stored — the agent is not running or runs this already; it takes effect at the next start"
        )),
        Some(ApplyAction::Reloaded) => {
            say(format!("{customer}: reloaded — the agent was sent SIGHUP and keeps its calls"))
        }
        Some(ApplyAction::Restarted) => {
            say(format!(
                "{customer}: restarting — a runtime field or a secret changed; draining the old instance…"
            ));
            match progress::wait_for_new_instance(
                fleet.as_ref(),
                &actor,
                customer,
                old_pid,
                Duration::from_secs(120),
            )
            .await
            {
                Some(now) => {
                    let new_pid = now.status.as_ref().and_then(|h| h.pid);
                    let pids = match (old_pid, new_pid) {
                        (Some(old), Some(new)) => format!(" (pid {old} → {new})"),
                        (_, Some(new)) => format!(" (pid {new})"),
                        _ => String::new(),
                    };
                    say(format!("{customer}: restarted, now {}{pids}", now.state));
                }
                None => say(format!(
                    "{customer}: still draining after 2 minutes; follow it with `voicefleet status {customer} --watch`"
                )),
            }
        }
        None => {}
    }
    Ok(ExitCode::SUCCESS)
}

fn print_revision(
    output: OutputFormat,
    revision: &voicefleet_core::console::RevisionView,
    verb: &str,
) -> anyhow::Result<()> {
    if output == OutputFormat::Json {
        print_json(revision)
    } else {
        eprintln!("{verb} revision {} of {} ({})", revision.number, revision.customer_id, revision.hash);
        Ok(())
    }
}

async fn latest(global: &Global, customer: &str) -> anyhow::Result<(ConfigDocument, u64)> {
    let backend = Backend::open(global).await?;
    let fleet = backend.fleet();
    let actor = backend.actor();
    let newest = fleet.revisions(&actor, customer).await?.into_iter().next().with_context(|| {
        format!("`{customer}` has no revision yet; create one with `voicefleet config push {customer} FILE`")
    })?;
    let shown = fleet.revision(&actor, customer, newest.number).await?;
    Ok((ConfigDocument::from_value(shown.document.unwrap_or_default())?, newest.number))
}

async fn patch(
    global: &Global,
    customer: &str,
    operations: Vec<PatchOperation>,
    message: &str,
) -> anyhow::Result<ExitCode> {
    let backend = Backend::open(global).await?;
    let revision = backend
        .fleet()
        .create_revision(&backend.actor(), customer, RevisionInput::Patch { operations }, message)
        .await?;
    print_revision(global.output, &revision, "created")?;
    eprintln!("deploy it with `voicefleet config deploy {customer}`");
    Ok(ExitCode::SUCCESS)
}

fn validate(file: &Path, secrets: Option<Vec<String>>, output: OutputFormat) -> anyhow::Result<ExitCode> {
    let document = load(file)?;
    let options = secrets
        .map(|names| {
            ValidateOptions::with_secrets(
                names.into_iter().map(|name| name.trim().to_owned()).filter(|name| !name.is_empty()),
            )
        })
        .unwrap_or_default();
    let validation = document.validate_with(&options);
    match output {
        OutputFormat::Json => print_json(&validation)?,
        OutputFormat::Text | OutputFormat::Wide => {
            for issue in &validation.issues {
                println!("{issue}");
            }
        }
    }
    let errors = validation.errors().count();
    let warnings = validation.warnings().count();
    if output == OutputFormat::Text {
        let verdict = if errors == 0 { "valid" } else { "invalid" };
        eprintln!(
            "{}: {verdict} ({}, {})",
            display_name(file),
            plural(errors, "error"),
            plural(warnings, "warning")
        )
    }
    Ok(ExitCode::from(if errors == 0 { exit::OK } else { exit::INVALID_INPUT }))
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 { format!("1 {noun}") } else { format!("{count} {noun}s") }
}

fn display_name(file: &Path) -> String {
    if file == Path::new("-") { "<stdin>".to_owned() } else { file.display().to_string() }
}

fn report_remaining(validation: &voicefleet_core::config::Validation) {
    for issue in &validation.issues {
        let label = match issue.severity {
            Severity::Error => "still an error",
            Severity::Warning => "warning",
        };
        eprintln!("{label}: {}: {}", issue.path, issue.message);
    }
}

/// Reads and parses a document; `-` is standard input.
pub(crate) fn load(file: &Path) -> anyhow::Result<ConfigDocument> {
    let mut text = String::new();
    if file == Path::new("-") {
        std::io::stdin().read_to_string(&mut text).context("cannot read standard input")?;
    } else {
        text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    }
    Ok(ConfigDocument::parse(&text)?)
}

fn save(file: &Path, document: &ConfigDocument) -> anyhow::Result<()> {
    anyhow::ensure!(file != Path::new("-"), "cannot write back to standard input; give a file path");
    voicefleet_core::fs::write_atomic(file, document.to_json_pretty().as_bytes(), 0o600)
        .with_context(|| format!("cannot write {}", file.display()))
}
