//! The rules between fields, one module per group, over the document as JSON (the schema walk
//! has already reported wrong types: a rule skips a value it cannot read).

mod providers;
mod runtime;
mod secrets;
mod telephony;

use serde_json::Value;

pub(super) use secrets::{missing_secrets, name_customer};

use super::{DotPath, Issue, Severity, issue};

pub(super) fn at<'v>(root: &'v Value, keys: &[&str]) -> Option<&'v Value> {
    keys.iter().try_fold(root, |value, key| value.get(key))
}

pub(super) fn path_of(keys: &[&str]) -> DotPath {
    keys.iter().fold(DotPath::default(), |path, key| path.key(key))
}

pub(super) fn str_at<'v>(root: &'v Value, keys: &[&str]) -> Option<&'v str> {
    at(root, keys).and_then(Value::as_str)
}

/// The number at `keys`, or `default` when absent; `None` when present but not a number (the
/// schema walk has reported that already).
pub(super) fn number_or(root: &Value, keys: &[&str], default: f64) -> Option<f64> {
    match at(root, keys) {
        None => Some(default),
        Some(value) => value.as_f64(),
    }
}

pub(super) fn push(
    issues: &mut Vec<Issue>,
    keys: &[&str],
    code: &'static str,
    severity: Severity,
    message: String,
) {
    issues.push(issue(&path_of(keys), code, severity, message));
}

pub(super) fn cross_field_rules(root: &Value, issues: &mut Vec<Issue>) {
    providers::llm_rules(root, issues);
    providers::tts_rules(root, issues);
    runtime::turn_rules(root, issues);
    runtime::runtime_rules(root, issues);
    telephony::telephony_rules(root, issues);
    telephony::webhook_rules(root, issues);
}
