//! Exit codes and error reports: the one table from error kind to exit code.

use std::process::ExitCode;

use voicefleet_core::{Error, ErrorKind};

/// Success.
pub(crate) const OK: u8 = 0;
/// A failure that is not the input's fault (unreadable file, I/O).
pub(crate) const FAILURE: u8 = 1;
/// The input was refused (invalid document, bad flag, bad path).
pub(crate) const INVALID_INPUT: u8 = 2;

/// The exit code for each error kind. Documented in `voicefleet --help` and the README.
pub(crate) fn code_for_kind(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::InvalidInput => INVALID_INPUT,
        ErrorKind::NotFound => 3,
        ErrorKind::Unauthorized | ErrorKind::Forbidden => 4,
        ErrorKind::Unavailable => 5,
        ErrorKind::Conflict | ErrorKind::Internal => FAILURE,
    }
}

/// A refusal of the CLI's own (no console to use, a confirmation declined), with its kind and
/// what to do.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub(crate) struct Refusal {
    pub(crate) kind: ErrorKind,
    pub(crate) message: String,
    pub(crate) hint: String,
}

impl Refusal {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>, hint: impl Into<String>) -> Refusal {
        Refusal { kind, message: message.into(), hint: hint.into() }
    }
}

fn kind_of(error: &anyhow::Error) -> Option<ErrorKind> {
    if let Some(core) = error.downcast_ref::<Error>() {
        return Some(core.kind());
    }
    error.downcast_ref::<Refusal>().map(|refusal| refusal.kind)
}

pub(crate) fn code_for(error: &anyhow::Error) -> ExitCode {
    ExitCode::from(kind_of(error).map_or(FAILURE, code_for_kind))
}

/// The command that helps with `error`, where core's hint says it in library terms.
fn command_hint(error: &Error) -> Option<String> {
    if let Some(remedy) = error.remedy() {
        return Some(crate::remedy::command(&remedy));
    }
    Some(match error {
        Error::NotAnObject { .. } => "run `voicefleet config template` for a starting point".to_owned(),
        Error::InvalidConfig { .. } => "run `voicefleet config validate` to see every issue".to_owned(),
        Error::CustomerNotFound { .. } => {
            "list the customers with `voicefleet customers list` and check the id".to_owned()
        }
        Error::RevisionNotFound { customer, .. } => {
            format!("list the revisions with `voicefleet config history {customer}`")
        }
        Error::BulkRunNotFound { .. } => {
            "list the bulk runs with `voicefleet bulk list` and check the id".to_owned()
        }
        Error::InstanceNotFound { .. } => {
            "list the instances with `voicefleet instances list` and check the id".to_owned()
        }
        _ => return None,
    })
}

/// How to set a secret an issue finds missing (`secret `NAME` is not set for CUSTOMER`).
fn secret_hint(issue: &voicefleet_core::config::Issue) -> Option<String> {
    if issue.code != "secret_missing" {
        return None;
    }
    let name = issue.message.split('`').nth(1)?;
    let customer = issue.message.rsplit_once(" is not set for ").map(|(_, customer)| customer)?;
    Some(match customer {
        "this customer" => format!("set `{name}` with `voicefleet secrets set CUSTOMER {name}`"),
        customer => format!("set it with `voicefleet secrets set {customer} {name}`"),
    })
}

/// Prints `error: ...`, any validation issues, then `hint: ...`, all on standard error.
pub(crate) fn report(error: &anyhow::Error) {
    eprintln!("error: {error:#}");
    if let Some(core) = error.downcast_ref::<Error>() {
        let issues = core.issues();
        if issues.len() > 1 {
            for issue in issues {
                eprintln!("  {}: {}", issue.path, issue.message);
            }
        }
        if let Some(hint) = command_hint(core).or_else(|| core.hint()) {
            eprintln!("hint: {hint}");
        }
        for hint in issues.iter().filter_map(secret_hint) {
            eprintln!("hint: {hint}");
        }
    }
    if let Some(refusal) = error.downcast_ref::<Refusal>()
        && !refusal.hint.is_empty()
    {
        eprintln!("hint: {}", refusal.hint);
    }
    // A console that does not answer, or refuses the token: say where both came from.
    if matches!(kind_of(error), Some(ErrorKind::Unavailable | ErrorKind::Unauthorized))
        && let Some(target) = crate::backend::current_target()
    {
        eprintln!("note: using {}", target.describe());
    }
}
