//! The schema walk: a JSON value against the generated JSON Schema (types, ranges, lengths,
//! patterns, enums, unknown keys with "did you mean").

use serde_json::{Map, Value};

use super::messages::{describe, pattern_matches, pattern_phrase, trim, truncate, type_phrase};
use super::suggestions::did_you_mean;
use super::{DotPath, Issue, Severity, issue};
use crate::config::model::SECRET_REFERENCE_PATTERN;
use crate::config::secrets::{SecretReference, is_secret_field, looks_like_reference};

pub(super) struct Walker<'s> {
    defs: Option<&'s Map<String, Value>>,
    issues: Vec<Issue>,
}

impl<'s> Walker<'s> {
    pub(super) fn new(defs: Option<&'s Map<String, Value>>) -> Self {
        Self { defs, issues: Vec::new() }
    }

    pub(super) fn into_issues(self) -> Vec<Issue> {
        self.issues
    }
}

impl<'s> Walker<'s> {
    fn error(&mut self, path: &DotPath, code: &'static str, message: String) {
        self.issues.push(issue(path, code, Severity::Error, message));
    }

    fn resolve(&self, schema: &'s Value) -> &'s Value {
        let target = schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|reference| reference.strip_prefix("#/$defs/"))
            .and_then(|name| self.defs?.get(name));
        target.unwrap_or(schema)
    }

    /// Checks `value` at `path` against `schema`; `key` is the field name, for secret handling.
    pub(super) fn check(&mut self, schema: &'s Value, value: &Value, path: &DotPath, key: Option<&str>) {
        let schema = self.resolve(schema);
        if !self.check_type(schema, value, path) {
            return;
        }
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
            && !allowed.contains(value)
        {
            self.invalid_value(allowed, value, path);
            return;
        }
        if let Some(expected) = schema.get("const")
            && expected != value
        {
            self.error(path, "invalid_value", format!("must be {expected}, got {value}"));
            return;
        }
        match value {
            Value::Number(number) => self.check_number(schema, number.as_f64().unwrap_or(f64::NAN), path),
            Value::String(text) => self.check_string(schema, text, path, key),
            Value::Array(items) => self.check_array(schema, items, path),
            Value::Object(map) => self.check_object(schema, map, path),
            Value::Bool(_) | Value::Null => {}
        }
    }

    fn check_type(&mut self, schema: &Value, value: &Value, path: &DotPath) -> bool {
        let types: Vec<&str> = match schema.get("type") {
            Some(Value::String(one)) => vec![one.as_str()],
            Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
            _ => return true,
        };
        let fits = types.iter().any(|expected| match *expected {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "boolean" => value.is_boolean(),
            "null" => value.is_null(),
            "number" => value.is_number(),
            "integer" => value.is_i64() || value.is_u64(),
            _ => true,
        });
        if !fits {
            let wanted = types.iter().map(|t| type_phrase(t)).collect::<Vec<_>>().join(" or ");
            let found = describe(value, path);
            self.error(path, "invalid_type", format!("must be {wanted}, got {found}"));
        }
        fits
    }

    fn invalid_value(&mut self, allowed: &[Value], value: &Value, path: &DotPath) {
        let choices: Vec<String> = allowed
            .iter()
            .map(|choice| choice.as_str().map(str::to_owned).unwrap_or_else(|| choice.to_string()))
            .collect();
        let suggestion = value
            .as_str()
            .and_then(|text| did_you_mean(text, choices.iter().map(String::as_str)))
            .map(|best| format!(" (did you mean \"{best}\"?)"))
            .unwrap_or_default();
        self.error(
            path,
            "invalid_value",
            format!("must be one of {}, got {}{suggestion}", choices.join(", "), describe(value, path)),
        );
    }

    fn check_number(&mut self, schema: &Value, number: f64, path: &DotPath) {
        let minimum = schema.get("minimum").and_then(Value::as_f64);
        let maximum = schema.get("maximum").and_then(Value::as_f64);
        let below = minimum.is_some_and(|min| number < min);
        let above = maximum.is_some_and(|max| number > max);
        if below || above {
            let range = match (minimum, maximum) {
                (Some(min), Some(max)) if min == max => format!("must be {}", trim(min)),
                (Some(min), Some(max)) => format!("must be between {} and {}", trim(min), trim(max)),
                (Some(min), None) => format!("must be at least {}", trim(min)),
                (None, Some(max)) => format!("must be at most {}", trim(max)),
                (None, None) => unreachable!("a bound was crossed"),
            };
            self.error(path, "out_of_range", format!("{range}, got {}", trim(number)));
        }
    }

    fn check_string(&mut self, schema: &Value, text: &str, path: &DotPath, key: Option<&str>) {
        let pattern = schema.get("pattern").and_then(Value::as_str);
        if pattern == Some(SECRET_REFERENCE_PATTERN) || key.is_some_and(is_secret_field) {
            if !looks_like_reference(text) {
                self.error(
                    path,
                    "secret_literal",
                    "holds a literal secret; store the value as a customer secret and write \
                     secret://NAME here instead"
                        .to_owned(),
                );
                return;
            }
            if SecretReference::parse(text).is_none() {
                self.error(
                    path,
                    "invalid_secret_reference",
                    "must be secret://NAME where NAME is 1-64 of a-z, 0-9 and _".to_owned(),
                );
                return;
            }
        }
        let length = text.chars().count();
        if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
            && (length as u64) < min
        {
            let message = if min == 1 {
                "must not be empty".to_owned()
            } else {
                format!("must be at least {min} characters, got {length}")
            };
            self.error(path, "too_short", message);
        }
        if let Some(max) = schema.get("maxLength").and_then(Value::as_u64)
            && length as u64 > max
        {
            self.error(path, "too_long", format!("must be at most {max} characters, got {length}"));
        }
        if let Some(pattern) = pattern
            && !pattern_matches(pattern, text)
        {
            self.error(
                path,
                "invalid_format",
                format!("must be {}, got \"{}\"", pattern_phrase(pattern), truncate(text)),
            );
        }
    }

    fn check_array(&mut self, schema: &'s Value, items: &[Value], path: &DotPath) {
        if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
            && (items.len() as u64) < min
        {
            let message = if min == 1 {
                "must have at least one item".to_owned()
            } else {
                format!("must have at least {min} items, got {}", items.len())
            };
            self.error(path, "too_few_items", message);
        }
        if let Some(max) = schema.get("maxItems").and_then(Value::as_u64)
            && items.len() as u64 > max
        {
            self.error(path, "too_many_items", format!("must have at most {max} items, got {}", items.len()));
        }
        if schema.get("uniqueItems").and_then(Value::as_bool) == Some(true) {
            for (index, item) in items.iter().enumerate() {
                if let Some(first) = items[..index].iter().position(|earlier| earlier == item) {
                    self.error(
                        &path.index(index),
                        "duplicate_item",
                        format!("duplicates item [{first}] ({})", describe(item, path)),
                    );
                }
            }
        }
        if let Some(item_schema) = schema.get("items") {
            for (index, item) in items.iter().enumerate() {
                self.check(item_schema, item, &path.index(index), None);
            }
        }
    }

    fn check_object(&mut self, schema: &'s Value, map: &Map<String, Value>, path: &DotPath) {
        let properties = schema.get("properties").and_then(Value::as_object);
        let additional = schema.get("additionalProperties");
        let name_pattern =
            schema.get("propertyNames").and_then(|names| names.get("pattern")).and_then(Value::as_str);
        for (key, item) in map {
            let child = path.key(key);
            if let Some(pattern) = name_pattern
                && !pattern_matches(pattern, key)
            {
                self.error(
                    &child,
                    "invalid_key",
                    format!("`{key}` is not a valid name: it must be {}", pattern_phrase(pattern)),
                );
                continue;
            }
            match (properties.and_then(|props| props.get(key)), additional) {
                (Some(property), _) => self.check(property, item, &child, Some(key)),
                (None, Some(Value::Bool(false))) => {
                    let known = properties.map(|props| props.keys().map(String::as_str).collect::<Vec<_>>());
                    let suggestion = known
                        .as_ref()
                        .and_then(|known| did_you_mean(key, known.iter().copied()))
                        .map(|best| format!(" (did you mean \"{best}\"?)"))
                        .unwrap_or_default();
                    let message = match (&known, suggestion.is_empty()) {
                        (Some(known), true) if !known.is_empty() => {
                            format!("unknown key; known keys here: {}", known.join(", "))
                        }
                        _ => format!("unknown key{suggestion}"),
                    };
                    self.error(&child, "unknown_key", message);
                }
                (None, Some(additional @ Value::Object(_))) => {
                    self.check(additional, item, &child, Some(key))
                }
                (None, _) => {}
            }
        }
        if let Some(required) = schema.get("required").and_then(Value::as_array) {
            for name in required.iter().filter_map(Value::as_str) {
                if !map.contains_key(name) {
                    self.error(&path.key(name), "required", "is required".to_owned());
                }
            }
        }
    }
}
