//! Secrets the document references that the customer does not have.

use serde_json::Value;

use crate::config::Issue;
use crate::config::Severity;
use crate::config::path::DotPath;
use crate::config::secrets::SecretReference;
use crate::config::validate::issue;

/// The code of a missing secret's issue.
const SECRET_MISSING: &str = "secret_missing";

/// Rewords missing-secret issues for `customer`, whose id the validator does not know (each
/// frontend adds how to set it: the CLI its `voicefleet secrets set CUSTOMER NAME`).
pub(crate) fn name_customer(issues: &mut [Issue], customer: &str) {
    for issue in issues.iter_mut().filter(|issue| issue.code == SECRET_MISSING) {
        // The secret's name is the first quoted word of the message written below.
        if let Some(name) = issue.message.split('`').nth(1).map(str::to_owned) {
            issue.message = format!("secret `{name}` is not set for {customer}");
        }
    }
}

pub(crate) fn missing_secrets(
    root: &Value,
    names: &std::collections::BTreeSet<String>,
    issues: &mut Vec<Issue>,
) {
    fn walk(
        value: &Value,
        path: &DotPath,
        names: &std::collections::BTreeSet<String>,
        issues: &mut Vec<Issue>,
    ) {
        match value {
            Value::String(text) => {
                if let Some(reference) = SecretReference::parse(text)
                    && !names.contains(reference.name())
                {
                    issues.push(issue(
                        path,
                        SECRET_MISSING,
                        Severity::Error,
                        format!("secret `{}` is not set for this customer", reference.name()),
                    ));
                }
            }
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    walk(item, &path.index(index), names, issues);
                }
            }
            Value::Object(map) => {
                for (key, item) in map {
                    if path.segments().is_empty() && key == "extensions" {
                        continue;
                    }
                    walk(item, &path.key(key), names, issues);
                }
            }
            _ => {}
        }
    }
    walk(root, &DotPath::default(), names, issues);
}
