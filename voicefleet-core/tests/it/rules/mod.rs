//! One valid and one invalid case for every rule of `config-schema.md`, by section; `check` is
//! the one helper they share.

mod calls;
mod providers;
mod reporting;

use voicefleet_core::config::{Severity, ValidateOptions};

use crate::support::{Edit, base, edited, issues_of};

/// Applies `edits` to the full template; `expected` is `None` for "no error and no warning at
/// all", else the `(path, code, severity)` that must be reported.
pub(crate) fn check(name: &str, edits: &[Edit], expected: Option<(&str, &str, Severity)>) {
    let issues = issues_of(edited(base(), edits), &ValidateOptions::default());
    match expected {
        None => assert!(issues.is_empty(), "{name}: expected no issue, got {issues:?}"),
        Some((path, code, severity)) => assert!(
            issues.iter().any(|(p, c, s)| p == path && *c == code && *s == severity),
            "{name}: expected {severity:?} {code} at {path}, got {issues:?}"
        ),
    }
}

pub(crate) const E: Severity = Severity::Error;
pub(crate) const W: Severity = Severity::Warning;
