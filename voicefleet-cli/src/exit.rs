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

pub(crate) fn code_for(error: &anyhow::Error) -> ExitCode {
    let code = match error.downcast_ref::<Error>() {
        Some(core) => code_for_kind(core.kind()),
        None => FAILURE,
    };
    ExitCode::from(code)
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
}
