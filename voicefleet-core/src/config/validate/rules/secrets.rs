//! Secrets the document references that the customer does not have.

use serde_json::Value;

use crate::config::Issue;
use crate::config::Severity;
use crate::config::path::DotPath;
use crate::config::secrets::SecretReference;
use crate::config::validate::issue;

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
                            "secret_missing",
                            Severity::Error,
                            format!(
                                "secret `{}` is not set for this customer; set it with `voicefleet secrets set {}`",
                                reference.name(),
                                reference.name()
                            ),
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
