//! Differences between documents and their content hash.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::path::DotPath;

/// One changed path: `old` is absent for an addition, `new` for a removal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Change {
    /// The dot path of the changed leaf.
    pub path: String,
    /// The value before (any JSON value; secrets redacted); absent for an addition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<Value>,
    /// The value after (any JSON value; secrets redacted); absent for a removal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<Value>,
}

/// `~ path: old -> new` for a change, `+ path: new` for an addition, `- path: old` for a removal.
impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.old, &self.new) {
            (Some(old), Some(new)) => write!(f, "~ {}: {old} -> {new}", self.path),
            (None, Some(new)) => write!(f, "+ {}: {new}", self.path),
            (Some(old), None) => write!(f, "- {}: {old}", self.path),
            (None, None) => write!(f, "= {}", self.path),
        }
    }
}

/// Changes from `old` to `new`, leaf by leaf, in the order keys appear (old's keys first).
pub(crate) fn diff(old: &Value, new: &Value) -> Vec<Change> {
    let mut changes = Vec::new();
    walk(&DotPath::default(), old, new, &mut changes);
    changes
}

fn walk(path: &DotPath, old: &Value, new: &Value, changes: &mut Vec<Change>) {
    match (old, new) {
        (Value::Object(old_map), Value::Object(new_map)) => {
            for (key, old_value) in old_map {
                let child = path.key(key);
                match new_map.get(key) {
                    Some(new_value) => walk(&child, old_value, new_value, changes),
                    None => changes.push(Change {
                        path: child.to_string(),
                        old: Some(old_value.clone()),
                        new: None,
                    }),
                }
            }
            for (key, new_value) in new_map {
                if !old_map.contains_key(key) {
                    changes.push(Change {
                        path: path.key(key).to_string(),
                        old: None,
                        new: Some(new_value.clone()),
                    });
                }
            }
        }
        (Value::Array(old_items), Value::Array(new_items)) if !path.segments().is_empty() => {
            let longest = old_items.len().max(new_items.len());
            for index in 0..longest {
                let child = path.index(index);
                match (old_items.get(index), new_items.get(index)) {
                    (Some(o), Some(n)) => walk(&child, o, n, changes),
                    (o, n) => {
                        changes.push(Change { path: child.to_string(), old: o.cloned(), new: n.cloned() })
                    }
                }
            }
        }
        _ if old == new => {}
        _ => changes.push(Change { path: path.to_string(), old: Some(old.clone()), new: Some(new.clone()) }),
    }
}

/// `sha256:<hex>` over canonical JSON: object keys sorted, no insignificant whitespace.
pub(crate) fn content_hash(value: &Value) -> String {
    let mut canonical = String::new();
    write_canonical(value, &mut canonical);
    let digest = Sha256::digest(canonical.as_bytes());
    let mut hex = String::with_capacity(7 + 64);
    hex.push_str("sha256:");
    for byte in digest {
        write!(hex, "{byte:02x}").expect("writing to a String cannot fail");
    }
    hex
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (position, key) in keys.into_iter().enumerate() {
                if position > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(&map[key], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (position, item) in items.iter().enumerate() {
                if position > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}
