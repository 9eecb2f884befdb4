//! `voicefleet config ...`: the file-based configuration commands.

use std::collections::BTreeSet;
use std::io::Read as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use serde_json::Value;
use voicefleet_core::config::{
    ConfigDocument, Severity, ValidateOptions, json_schema, parse_value_text, template, template_names,
};

use crate::cli::ConfigCommand;
use crate::exit;
use crate::output::{OutputFormat, print_json};

pub(crate) fn run(command: ConfigCommand) -> anyhow::Result<ExitCode> {
    match command {
        ConfigCommand::Validate { file, secrets, output } => validate(&file, secrets, output),
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
        ConfigCommand::Get { file, path, output } => {
            let document = load(&file)?;
            let redacted = ConfigDocument::from_value(document.redacted())?;
            match (redacted.get(&path)?, output) {
                (Value::String(text), OutputFormat::Text) => println!("{text}"),
                (value, _) => print_json(value)?,
            }
            Ok(ExitCode::SUCCESS)
        }
        ConfigCommand::Set { file, path, value } => {
            let mut document = load(&file)?;
            let validation = document.set(&path, parse_value_text(&value))?;
            save(&file, &document)?;
            eprintln!("set {path} in {}", file.display());
            report_remaining(&validation);
            Ok(ExitCode::SUCCESS)
        }
        ConfigCommand::Unset { file, path } => {
            let mut document = load(&file)?;
            let validation = document.unset(&path)?;
            save(&file, &document)?;
            eprintln!("removed {path} from {}", file.display());
            report_remaining(&validation);
            Ok(ExitCode::SUCCESS)
        }
        ConfigCommand::Diff { old, new, output } => {
            let changes = load(&old)?.diff(&load(&new)?);
            match output {
                OutputFormat::Json => print_json(&changes)?,
                OutputFormat::Text if changes.is_empty() => eprintln!("no differences"),
                OutputFormat::Text => {
                    for change in &changes {
                        match (&change.old, &change.new) {
                            (Some(old), Some(new)) => println!("~ {}: {old} -> {new}", change.path),
                            (None, Some(new)) => println!("+ {}: {new}", change.path),
                            (Some(old), None) => println!("- {}: {old}", change.path),
                            (None, None) => {}
                        }
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn validate(file: &Path, secrets: Option<Vec<String>>, output: OutputFormat) -> anyhow::Result<ExitCode> {
    let document = load(file)?;
    let options = ValidateOptions {
        secret_names: secrets.map(|names| {
            names
                .into_iter()
                .map(|name| name.trim().to_owned())
                .filter(|name| !name.is_empty())
                .collect::<BTreeSet<_>>()
        }),
    };
    let validation = document.validate_with(&options);
    match output {
        OutputFormat::Json => print_json(&validation)?,
        OutputFormat::Text => {
            for issue in &validation.issues {
                println!("{}: {}: {}", issue.severity.as_str(), issue.path, issue.message);
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
fn load(file: &Path) -> anyhow::Result<ConfigDocument> {
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
