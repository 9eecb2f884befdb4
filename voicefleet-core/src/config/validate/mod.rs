//! Validation: a walk of the document against the generated JSON Schema (`walk.rs`, with its
//! messages in `messages.rs` and "did you mean" in `suggestions.rs`), then the rules that involve
//! more than one field (`rules/`, one module per group). Every issue is collected; nothing stops
//! at the first.

mod messages;
mod rules;
pub(crate) mod suggestions;
mod walk;

use serde_json::{Map, Value};

use super::path::DotPath;
use super::{Issue, Severity, ValidateOptions, Validation, schema::json_schema};

/// Missing-secret issues reworded for one customer (see `rules::secrets`).
pub(crate) fn name_customer_in(issues: &mut [Issue], customer: &str) {
    rules::name_customer(issues, customer);
}

pub(crate) fn validate(root: &Map<String, Value>, options: &ValidateOptions) -> Validation {
    let schema = json_schema();
    let mut walker = walk::Walker::new(schema.get("$defs").and_then(Value::as_object));
    let root_value = Value::Object(root.clone());
    walker.check(schema, &root_value, &DotPath::default(), None);
    let mut issues = walker.into_issues();
    rules::cross_field_rules(&root_value, &mut issues);
    if let Some(names) = &options.secret_names {
        rules::missing_secrets(&root_value, names, &mut issues);
    }
    sort_in_document_order(&root_value, &mut issues);
    Validation { issues }
}

/// Errors first, then warnings; within each, in the order the paths appear in the document (a
/// missing field sorts with its parent).
fn sort_in_document_order(root: &Value, issues: &mut [Issue]) {
    fn preorder(value: &Value, path: &DotPath, positions: &mut std::collections::HashMap<String, usize>) {
        positions.insert(path.to_string(), positions.len());
        match value {
            Value::Object(map) => {
                map.iter().for_each(|(key, child)| preorder(child, &path.key(key), positions))
            }
            Value::Array(items) => items
                .iter()
                .enumerate()
                .for_each(|(index, child)| preorder(child, &path.index(index), positions)),
            _ => {}
        }
    }
    let mut positions = std::collections::HashMap::new();
    preorder(root, &DotPath::default(), &mut positions);
    let position_of = |path: &str| {
        let mut candidate = path;
        loop {
            if let Some(position) = positions.get(candidate) {
                return *position;
            }
            match candidate.rfind(['.', '[']) {
                Some(cut) => candidate = &candidate[..cut],
                None => return 0,
            }
        }
    };
    issues.sort_by_key(|issue| (issue.severity, position_of(&issue.path)));
}

/// One issue at `path`.
fn issue(path: &DotPath, code: &'static str, severity: Severity, message: String) -> Issue {
    Issue { path: path.to_string(), code: code.to_owned(), severity, message }
}
