//! How the schema walk words what it found: types, values, numbers and patterns in plain words.

use serde_json::Value;

use super::DotPath;
use crate::config::model::{
    ABSOLUTE_PATH_PATTERN, E164_PATTERN, ENV_NAME_PATTERN, HTTP_URL_PATTERN, LANGUAGE_PATTERN,
    SECRET_REFERENCE_PATTERN, SIP_URI_PATTERN, TWILIO_ACCOUNT_SID_PATTERN,
};
use crate::config::secrets::{is_secret_env_name, is_secret_field};

pub(super) fn type_phrase(json_type: &str) -> &'static str {
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
pub(super) fn describe(value: &Value, path: &DotPath) -> String {
    let secret = path.to_string().rsplit('.').next().is_some_and(|last| {
        is_secret_field(last) || (path.to_string().starts_with("runtime.env.") && is_secret_env_name(last))
    });
    match value {
        Value::String(_) if secret => "a string".to_owned(),
        Value::String(text) => format!("\"{}\"", truncate(text)),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
        other => other.to_string(),
    }
}

/// `text` shortened for a message; a value that looks like a key is never echoed.
pub(super) fn truncate(text: &str) -> String {
    const LIMIT: usize = 40;
    if crate::config::secrets::looks_like_credential(text) {
        return crate::config::REDACTED.to_owned();
    }
    if text.chars().count() <= LIMIT {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(LIMIT).collect::<String>())
    }
}

pub(super) fn trim(number: f64) -> String {
    if number.fract() == 0.0 && number.abs() < 1e15 {
        format!("{}", number as i64)
    } else {
        format!("{number}")
    }
}

pub(super) fn pattern_matches(pattern: &str, text: &str) -> bool {
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
pub(super) fn pattern_phrase(pattern: &str) -> &'static str {
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
