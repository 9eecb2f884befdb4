//! Turning text into a document: size and depth limits first, then JSON parsing.

use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// Largest accepted document, in bytes.
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;
/// Deepest accepted nesting of objects and arrays (the root object is level 1).
pub const MAX_DEPTH: usize = 32;

pub(crate) fn parse(text: &str) -> Result<Map<String, Value>> {
    if text.len() > MAX_DOCUMENT_BYTES {
        return Err(Error::DocumentTooLarge { size: text.len(), limit: MAX_DOCUMENT_BYTES });
    }
    check_depth(text.as_bytes())?;
    let value: Value = serde_json::from_str(text).map_err(|error| Error::MalformedJson {
        line: error.line(),
        column: error.column(),
        message: strip_position(&error.to_string()),
    })?;
    match value {
        Value::Object(map) => Ok(map),
        other => Err(Error::NotAnObject { found: json_type_name(&other) }),
    }
}

/// serde_json appends " at line L column C"; the error carries them as fields instead.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_owned(),
        None => message.to_owned(),
    }
}

/// Scans brackets outside strings and stops at the first one past [`MAX_DEPTH`], so a hostile
/// document is refused before the parser builds anything from it.
fn check_depth(bytes: &[u8]) -> Result<()> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &byte in bytes {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(Error::DocumentTooDeep { limit: MAX_DEPTH });
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// The same limits for a value built in memory (an edit, a document from another frontend).
pub(crate) fn check_value(value: &Value) -> Result<()> {
    if value_depth(value) > MAX_DEPTH {
        return Err(Error::DocumentTooDeep { limit: MAX_DEPTH });
    }
    let size = serde_json::to_vec(value).map(|bytes| bytes.len()).unwrap_or(usize::MAX);
    if size > MAX_DOCUMENT_BYTES {
        return Err(Error::DocumentTooLarge { size, limit: MAX_DOCUMENT_BYTES });
    }
    Ok(())
}

pub(crate) fn check_value_map(map: &Map<String, Value>) -> Result<()> {
    check_value(&Value::Object(map.clone()))
}

fn value_depth(value: &Value) -> usize {
    match value {
        Value::Object(map) => 1 + map.values().map(value_depth).max().unwrap_or(0),
        Value::Array(items) => 1 + items.iter().map(value_depth).max().unwrap_or(0),
        _ => 0,
    }
}

pub(crate) fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
