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
        if let Some(hint) = core.hint() {
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
