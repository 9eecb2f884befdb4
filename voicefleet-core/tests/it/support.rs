//! Helpers: build documents that may be invalid, and check what validation says about them.

use serde_json::{Map, Value};
use voicefleet_core::config::{ConfigDocument, Severity, ValidateOptions, template};

/// The full-featured template (twilio, webhooks, elevenlabs), as a JSON value.
pub(crate) fn base() -> Value {
    template("openai-deepgram-elevenlabs").unwrap().into_value()
}

/// An edit to a raw JSON value, applied without validation (to build invalid documents).
#[derive(Debug, Clone)]
pub(crate) enum Edit {
    Set(&'static str, Value),
    Remove(&'static str),
}

/// Applies edits given as `/`-separated pointers, creating missing objects.
pub(crate) fn edited(mut value: Value, edits: &[Edit]) -> Value {
    for edit in edits {
        let (pointer, new) = match edit {
            Edit::Set(pointer, new) => (*pointer, Some(new.clone())),
            Edit::Remove(pointer) => (*pointer, None),
        };
        let (parent, last) = pointer.rsplit_once('/').unwrap();
        let mut target = &mut value;
        for key in parent.split('/').filter(|k| !k.is_empty()) {
            target = target
                .as_object_mut()
                .unwrap()
                .entry(key.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
        }
        match (target, new) {
            (Value::Object(map), Some(new)) => {
                map.insert(last.to_owned(), new);
            }
            (Value::Object(map), None) => {
                map.shift_remove(last);
            }
            (Value::Array(items), Some(new)) => items[last.parse::<usize>().unwrap()] = new,
            (Value::Array(items), None) => {
                items.remove(last.parse::<usize>().unwrap());
            }
            (other, _) => panic!("cannot edit {pointer} inside {other}"),
        }
    }
    value
}

/// `(path, code, severity)` of every issue.
pub(crate) fn issues_of(value: Value, options: &ValidateOptions) -> Vec<(String, String, Severity)> {
    let document = ConfigDocument::from_value(value).unwrap();
    document
        .validate_with(options)
        .issues
        .into_iter()
        .map(|issue| (issue.path, issue.code, issue.severity))
        .collect()
}

pub(crate) fn set(pointer: &'static str, value: Value) -> Edit {
    Edit::Set(pointer, value)
}

pub(crate) fn remove(pointer: &'static str) -> Edit {
    Edit::Remove(pointer)
}
