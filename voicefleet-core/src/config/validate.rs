//! Validation: a walk of the document against the generated JSON Schema, then the rules that
//! involve more than one field. Every issue is collected; nothing stops at the first.

use serde_json::{Map, Value};

use super::model::{
    ABSOLUTE_PATH_PATTERN, E164_PATTERN, ENV_NAME_PATTERN, HTTP_URL_PATTERN, LANGUAGE_PATTERN,
    SECRET_REFERENCE_PATTERN, SIP_URI_PATTERN, TWILIO_ACCOUNT_SID_PATTERN,
};
use super::path::DotPath;
use super::secrets::{SecretReference, is_secret_field, looks_like_reference};
use super::{Issue, Severity, ValidateOptions, Validation, schema::json_schema};

pub(crate) fn validate(root: &Map<String, Value>, options: &ValidateOptions) -> Validation {
    let schema = json_schema();
    let mut walker = Walker { defs: schema.get("$defs").and_then(Value::as_object), issues: Vec::new() };
    let root_value = Value::Object(root.clone());
    walker.check(schema, &root_value, &DotPath::default(), None);
    let mut issues = walker.issues;
    cross_field_rules(&root_value, &mut issues);
    if let Some(names) = &options.secret_names {
        missing_secrets(&root_value, names, &mut issues);
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

struct Walker<'s> {
    defs: Option<&'s Map<String, Value>>,
    issues: Vec<Issue>,
}

fn issue(path: &DotPath, code: &'static str, severity: Severity, message: String) -> Issue {
    Issue { path: path.to_string(), code: code.to_owned(), severity, message }
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
    fn check(&mut self, schema: &'s Value, value: &Value, path: &DotPath, key: Option<&str>) {
        let schema = self.resolve(schema);
        if !self.check_type(schema, value, path) {
            return;
        }
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
            if !allowed.contains(value) {
                self.invalid_value(allowed, value, path);
                return;
            }
        }
        if let Some(expected) = schema.get("const") {
            if expected != value {
                self.error(path, "invalid_value", format!("must be {expected}, got {value}"));
                return;
            }
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
        if let Some(min) = schema.get("minLength").and_then(Value::as_u64) {
            if (length as u64) < min {
                let message = if min == 1 {
                    "must not be empty".to_owned()
                } else {
                    format!("must be at least {min} characters, got {length}")
                };
                self.error(path, "too_short", message);
            }
        }
        if let Some(max) = schema.get("maxLength").and_then(Value::as_u64) {
            if length as u64 > max {
                self.error(path, "too_long", format!("must be at most {max} characters, got {length}"));
            }
        }
        if let Some(pattern) = pattern {
            if !pattern_matches(pattern, text) {
                self.error(
                    path,
                    "invalid_format",
                    format!("must be {}, got \"{}\"", pattern_phrase(pattern), truncate(text)),
                );
            }
        }
    }

    fn check_array(&mut self, schema: &'s Value, items: &[Value], path: &DotPath) {
        if let Some(min) = schema.get("minItems").and_then(Value::as_u64) {
            if (items.len() as u64) < min {
                let message = if min == 1 {
                    "must have at least one item".to_owned()
                } else {
                    format!("must have at least {min} items, got {}", items.len())
                };
                self.error(path, "too_few_items", message);
            }
        }
        if let Some(max) = schema.get("maxItems").and_then(Value::as_u64) {
            if items.len() as u64 > max {
                self.error(
                    path,
                    "too_many_items",
                    format!("must have at most {max} items, got {}", items.len()),
                );
            }
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
            if let Some(pattern) = name_pattern {
                if !pattern_matches(pattern, key) {
                    self.error(
                        &child,
                        "invalid_key",
                        format!("`{key}` is not a valid name: it must be {}", pattern_phrase(pattern)),
                    );
                    continue;
                }
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

fn type_phrase(json_type: &str) -> &'static str {
    match json_type {
        "object" => "an object",
        "array" => "an array",
        "string" => "a string",
        "boolean" => "true or false",
        "null" => "null",
        "number" => "a number",
        "integer" => "a whole number",
        _ => "a value",
    }
}

/// A short description of a value for messages; never the text of a secret field.
fn describe(value: &Value, path: &DotPath) -> String {
    let secret = path.to_string().rsplit('.').next().is_some_and(is_secret_field);
    match value {
        Value::String(_) if secret => "a string".to_owned(),
        Value::String(text) => format!("\"{}\"", truncate(text)),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
        other => other.to_string(),
    }
}

fn truncate(text: &str) -> String {
    const LIMIT: usize = 40;
    if text.chars().count() <= LIMIT {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(LIMIT).collect::<String>())
    }
}

fn trim(number: f64) -> String {
    if number.fract() == 0.0 && number.abs() < 1e15 {
        format!("{}", number as i64)
    } else {
        format!("{number}")
    }
}

fn pattern_matches(pattern: &str, text: &str) -> bool {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static CACHE: OnceLock<Mutex<HashMap<String, regex::Regex>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut cache = cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let regex = cache
        .entry(pattern.to_owned())
        .or_insert_with(|| regex::Regex::new(pattern).expect("schema patterns are valid regexes"));
    regex.is_match(text)
}

/// What a schema pattern means, in words.
fn pattern_phrase(pattern: &str) -> &'static str {
    match pattern {
        SECRET_REFERENCE_PATTERN => "a secret reference secret://NAME",
        ENV_NAME_PATTERN => "an environment variable name: A-Z, 0-9 and _, not starting with a digit",
        E164_PATTERN => "an E.164 phone number: + then 8 to 15 digits, for example +15551234567",
        LANGUAGE_PATTERN => "a BCP-47 language tag such as en, en-US or pt-BR, or multi",
        ABSOLUTE_PATH_PATTERN => "an absolute path starting with /",
        SIP_URI_PATTERN => "a SIP URI such as sip:agent@pbx.example.com",
        TWILIO_ACCOUNT_SID_PATTERN => "a Twilio account SID: AC then 32 lower-case hex digits",
        HTTP_URL_PATTERN => "an http or https URL",
        _ => "in the expected format",
    }
}

/// The closest candidate within a small edit distance, for "did you mean" hints.
pub(crate) fn did_you_mean<'a>(input: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (input.chars().count() / 3).max(2);
    candidates
        .map(|candidate| {
            (strsim::levenshtein(&input.to_ascii_lowercase(), &candidate.to_ascii_lowercase()), candidate)
        })
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

// ---- rules between fields -------------------------------------------------------------------

fn at<'v>(root: &'v Value, keys: &[&str]) -> Option<&'v Value> {
    keys.iter().try_fold(root, |value, key| value.get(key))
}

fn path_of(keys: &[&str]) -> DotPath {
    keys.iter().fold(DotPath::default(), |path, key| path.key(key))
}

fn str_at<'v>(root: &'v Value, keys: &[&str]) -> Option<&'v str> {
    at(root, keys).and_then(Value::as_str)
}

/// The number at `keys`, or `default` when absent; `None` when present but not a number (the
/// schema walk has reported that already).
fn number_or(root: &Value, keys: &[&str], default: f64) -> Option<f64> {
    match at(root, keys) {
        None => Some(default),
        Some(value) => value.as_f64(),
    }
}

fn push(issues: &mut Vec<Issue>, keys: &[&str], code: &'static str, severity: Severity, message: String) {
    issues.push(issue(&path_of(keys), code, severity, message));
}

fn cross_field_rules(root: &Value, issues: &mut Vec<Issue>) {
    llm_rules(root, issues);
    tts_rules(root, issues);
    turn_rules(root, issues);
    runtime_rules(root, issues);
    telephony_rules(root, issues);
    webhook_rules(root, issues);
}

fn known_models(provider: &str) -> Option<&'static [&'static str]> {
    Some(match provider {
        "openai" => &[
            "gpt-4.1",
            "gpt-4.1-mini",
            "gpt-4.1-nano",
            "gpt-4o",
            "gpt-4o-mini",
            "gpt-5",
            "gpt-5-mini",
            "gpt-5-nano",
            "o3",
            "o4-mini",
            "gpt-realtime",
        ],
        "anthropic" => &[
            "claude-sonnet-4-5",
            "claude-haiku-4-5",
            "claude-opus-4-1",
            "claude-sonnet-4-0",
            "claude-3-7-sonnet-latest",
            "claude-3-5-haiku-latest",
        ],
        "google" => &["gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-2.5-pro", "gemini-2.0-flash"],
        "groq" => &[
            "llama-3.3-70b-versatile",
            "llama-3.1-8b-instant",
            "openai/gpt-oss-120b",
            "openai/gpt-oss-20b",
            "moonshotai/kimi-k2-instruct",
        ],
        // Azure model names are the operator's own deployment names.
        _ => return None,
    })
}

fn llm_rules(root: &Value, issues: &mut Vec<Issue>) {
    let Some(provider) = str_at(root, &["agent_settings", "llm", "provider"]) else { return };
    if provider == "anthropic" {
        if let Some(temperature) = at(root, &["agent_settings", "llm", "temperature"]).and_then(Value::as_f64)
        {
            if temperature > 1.0 && temperature <= 2.0 {
                push(
                    issues,
                    &["agent_settings", "llm", "temperature"],
                    "out_of_range",
                    Severity::Error,
                    format!("must be between 0 and 1 for anthropic, got {}", trim(temperature)),
                );
            }
        }
    }
    if let (Some(model), Some(known)) =
        (str_at(root, &["agent_settings", "llm", "model"]), known_models(provider))
    {
        if !model.is_empty() && !known.contains(&model) {
            let suggestion = did_you_mean(model, known.iter().copied())
                .map(|best| format!(" (did you mean \"{best}\"?)"))
                .unwrap_or_default();
            push(
                issues,
                &["agent_settings", "llm", "model"],
                "unknown_model",
                Severity::Warning,
                format!(
                    "\"{}\" is not a known {provider} model{suggestion}; check the name",
                    truncate(model)
                ),
            );
        }
    }
}

fn tts_rules(root: &Value, issues: &mut Vec<Issue>) {
    let Some(provider) = str_at(root, &["agent_settings", "tts", "provider"]) else { return };
    if provider == "elevenlabs" {
        if let Some(speed) = at(root, &["agent_settings", "tts", "speed"]).and_then(Value::as_f64) {
            if (0.5..=2.0).contains(&speed) && !(0.7..=1.2).contains(&speed) {
                push(
                    issues,
                    &["agent_settings", "tts", "speed"],
                    "out_of_range",
                    Severity::Error,
                    format!("must be between 0.7 and 1.2 for elevenlabs, got {}", trim(speed)),
                );
            }
        }
    } else {
        for field in ["stability", "similarity_boost"] {
            if at(root, &["agent_settings", "tts", field]).is_some() {
                push(
                    issues,
                    &["agent_settings", "tts", field],
                    "ignored_for_provider",
                    Severity::Warning,
                    format!("applies to elevenlabs only; {provider} ignores it"),
                );
            }
        }
    }
}

fn turn_rules(root: &Value, issues: &mut Vec<Issue>) {
    let min = number_or(root, &["agent_settings", "turn", "min_endpointing_seconds"], 0.5);
    let max = number_or(root, &["agent_settings", "turn", "max_endpointing_seconds"], 3.0);
    if let (Some(min), Some(max)) = (min, max) {
        if min > max {
            push(
                issues,
                &["agent_settings", "turn", "min_endpointing_seconds"],
                "min_exceeds_max",
                Severity::Error,
                format!("must be at most max_endpointing_seconds ({}), got {}", trim(max), trim(min)),
            );
        }
    }
}

fn runtime_rules(root: &Value, issues: &mut Vec<Issue>) {
    for map_name in ["env", "secret_env"] {
        if let Some(map) = at(root, &["runtime", map_name]).and_then(Value::as_object) {
            for name in map.keys().filter(|name| name.starts_with("VOICEFLEET_")) {
                push(
                    issues,
                    &["runtime", map_name, name],
                    "reserved_env",
                    Severity::Error,
                    "names starting VOICEFLEET_ are reserved for the host agent; choose another name"
                        .to_owned(),
                );
            }
        }
    }
    let drain = number_or(root, &["runtime", "drain_timeout_seconds"], 30.0);
    let longest_call = number_or(root, &["agent_settings", "call", "max_duration_seconds"], 600.0);
    if let (Some(drain), Some(longest_call)) = (drain, longest_call) {
        if drain < longest_call {
            push(
                issues,
                &["runtime", "drain_timeout_seconds"],
                "drain_below_call_duration",
                Severity::Warning,
                format!(
                    "{} s is below agent_settings.call.max_duration_seconds ({} s): a stop may cut calls short",
                    trim(drain),
                    trim(longest_call)
                ),
            );
        }
    }
}

fn telephony_rules(root: &Value, issues: &mut Vec<Issue>) {
    let provider = match at(root, &["telephony", "provider"]) {
        None => "none",
        Some(Value::String(provider)) => provider.as_str(),
        Some(_) => return,
    };
    let has = |field: &str| at(root, &["telephony", field]).is_some();
    if provider != "none" {
        let empty = at(root, &["telephony", "numbers"]).and_then(Value::as_array).is_none_or(Vec::is_empty);
        if empty && !matches!(at(root, &["telephony", "numbers"]), Some(value) if !value.is_array()) {
            push(
                issues,
                &["telephony", "numbers"],
                "required",
                Severity::Error,
                format!("at least one number is required when the provider is {provider}"),
            );
        }
    }
    match provider {
        "twilio" => match str_at(root, &["telephony", "account_sid"]) {
            None if !has("account_sid") => push(
                issues,
                &["telephony", "account_sid"],
                "required",
                Severity::Error,
                "is required for twilio".to_owned(),
            ),
            Some(sid) if !pattern_matches(TWILIO_ACCOUNT_SID_PATTERN, sid) => push(
                issues,
                &["telephony", "account_sid"],
                "invalid_format",
                Severity::Error,
                format!("must be {}, got \"{}\"", pattern_phrase(TWILIO_ACCOUNT_SID_PATTERN), truncate(sid)),
            ),
            None => push(
                issues,
                &["telephony", "account_sid"],
                "invalid_type",
                Severity::Error,
                "must be a string".to_owned(),
            ),
            Some(_) => {}
        },
        _ if has("account_sid") => push(
            issues,
            &["telephony", "account_sid"],
            "ignored_for_provider",
            Severity::Warning,
            format!("applies to twilio only; {provider} ignores it"),
        ),
        _ => {}
    }
    if matches!(provider, "twilio" | "telnyx") && !has("auth_token") {
        push(
            issues,
            &["telephony", "auth_token"],
            "required",
            Severity::Error,
            format!("is required for {provider}: write secret://NAME and set the secret"),
        );
    }
    if provider == "sip" && !has("sip") {
        push(
            issues,
            &["telephony", "sip"],
            "required",
            Severity::Error,
            "is required for sip: {\"uri\": \"sip:agent@pbx.example.com\"}".to_owned(),
        );
    }
}

fn webhook_rules(root: &Value, issues: &mut Vec<Issue>) {
    let Some(text) = str_at(root, &["webhooks", "url"]) else { return };
    if !pattern_matches(HTTP_URL_PATTERN, text) {
        return; // reported by the schema walk
    }
    let keys = ["webhooks", "url"];
    match url::Url::parse(text) {
        Err(error) => {
            push(issues, &keys, "invalid_format", Severity::Error, format!("is not a valid URL: {error}"))
        }
        Ok(url) if url.scheme() == "http" && !is_loopback_host(&url) => push(
            issues,
            &keys,
            "insecure_url",
            Severity::Error,
            "must use https; plain http is allowed only to a loopback host (127.0.0.1, ::1, localhost)"
                .to_owned(),
        ),
        Ok(_) => {}
    }
}

fn is_loopback_host(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(address)) => address.is_loopback(),
        Some(url::Host::Ipv6(address)) => address.is_loopback(),
        None => false,
    }
}

fn missing_secrets(root: &Value, names: &std::collections::BTreeSet<String>, issues: &mut Vec<Issue>) {
    fn walk(
        value: &Value,
        path: &DotPath,
        names: &std::collections::BTreeSet<String>,
        issues: &mut Vec<Issue>,
    ) {
        match value {
            Value::String(text) => {
                if let Some(reference) = SecretReference::parse(text) {
                    if !names.contains(reference.name()) {
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
