//! Secret references (`secret://NAME`) and redaction.
//!
//! Documents never hold secret values: fields that carry credentials hold references, and the
//! values live with the console (encrypted) and on the host (in the voice agent's environment).
//! Redaction is the belt to that braces: anything that looks like a credential is replaced before
//! a document is printed, diffed or logged.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::{Map, Value};

/// What replaces a secret value in anything printed.
pub const REDACTED: &str = "<redacted>";

const SCHEME: &str = "secret://";

/// Field names whose values must be secret references.
const SECRET_FIELD_NAMES: [&str; 4] = ["api_key", "auth_token", "password", "token"];

/// True for the field names that must hold `secret://NAME` references.
pub fn is_secret_field(key: &str) -> bool {
    SECRET_FIELD_NAMES.contains(&key)
}

/// Words that make an environment variable's name secret-bearing.
const SECRET_ENV_WORDS: [&str; 5] = ["KEY", "TOKEN", "SECRET", "PASSWORD", "CREDENTIAL"];

/// True for environment variable names that say they carry a secret (`DB_PASSWORD`,
/// `STRIPE_KEY`, `AUTH_TOKEN`): in `runtime.env` a literal value there is refused (it would be
/// shown in revisions and diffs; `runtime.secret_env` takes a reference instead), and any such
/// value is redacted wherever a document is shown.
pub fn is_secret_env_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    SECRET_ENV_WORDS.iter().any(|word| upper.contains(word))
}

/// A parsed `secret://NAME` reference.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SecretReference {
    name: String,
}

impl SecretReference {
    /// Parses `secret://NAME` where NAME is 1 to 64 of `[a-z0-9_]`.
    pub fn parse(text: &str) -> Option<Self> {
        let name = text.strip_prefix(SCHEME)?;
        is_valid_secret_name(name).then(|| Self { name: name.to_owned() })
    }

    /// The secret's name, without `secret://`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The environment variable the host agent exports the value as: `VOICEFLEET_SECRET_<NAME>`.
    pub fn env_name(&self) -> String {
        format!("VOICEFLEET_SECRET_{}", self.name.to_ascii_uppercase())
    }
}

impl fmt::Display for SecretReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{SCHEME}{}", self.name)
    }
}

/// True when `name` is a valid secret name: 1 to 64 of `[a-z0-9_]`.
pub fn is_valid_secret_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// True when the string uses the reference scheme, valid or not.
pub(crate) fn looks_like_reference(text: &str) -> bool {
    text.starts_with(SCHEME)
}

/// Every valid reference outside `extensions`.
pub(crate) fn references(root: &Map<String, Value>) -> BTreeSet<String> {
    fn walk(value: &Value, names: &mut BTreeSet<String>) {
        match value {
            Value::String(text) => {
                if let Some(reference) = SecretReference::parse(text) {
                    names.insert(reference.name);
                }
            }
            Value::Array(items) => items.iter().for_each(|item| walk(item, names)),
            Value::Object(map) => map.values().for_each(|item| walk(item, names)),
            _ => {}
        }
    }
    let mut names = BTreeSet::new();
    for (key, value) in root {
        if key != "extensions" {
            walk(value, &mut names);
        }
    }
    names
}

/// Known credential shapes, so a key pasted into the wrong field is still hidden.
pub(crate) fn looks_like_credential(text: &str) -> bool {
    const PREFIXES: [&str; 5] = ["sk-", "gsk_", "xai-", "AIza", "Bearer "];
    PREFIXES.iter().any(|prefix| text.starts_with(prefix) && text.len() >= prefix.len() + 16)
}

/// A copy of `value` with literal secrets replaced by [`REDACTED`].
pub(crate) fn redact(value: &Value) -> Value {
    fn walk(value: &Value, under_secret_field: bool) -> Value {
        match value {
            Value::String(text) if looks_like_reference(text) => value.clone(),
            Value::String(text) if under_secret_field || looks_like_credential(text) => {
                Value::String(REDACTED.to_owned())
            }
            Value::Array(items) => {
                Value::Array(items.iter().map(|item| walk(item, under_secret_field)).collect())
            }
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(key, item)| (key.clone(), walk(item, under_secret_field || is_secret_field(key))))
                    .collect(),
            ),
            _ => value.clone(),
        }
    }
    let mut redacted = walk(value, false);
    // `runtime.env` values under secret-bearing names (refused by validation; hidden regardless,
    // for documents stored before the rule).
    if let Some(env) = redacted.pointer_mut("/runtime/env").and_then(Value::as_object_mut) {
        for (name, item) in env.iter_mut() {
            if is_secret_env_name(name) && item.is_string() {
                *item = Value::String(REDACTED.to_owned());
            }
        }
    }
    redacted
}

/// An offline sanity check of a secret value for the provider it is meant for (OpenAI keys start
/// `sk-`, Anthropic `sk-ant-`, Groq `gsk_`, Deepgram 40 hex characters, Twilio auth tokens 32 hex
/// characters). Returns a warning sentence, or `None` when the value fits or the provider has no
/// known shape.
pub fn secret_format_warning(provider: &str, value: &str) -> Option<String> {
    let is_hex = |text: &str, len: usize| text.len() == len && text.bytes().all(|b| b.is_ascii_hexdigit());
    let fits = match provider {
        "openai" => value.starts_with("sk-") && !value.starts_with("sk-ant-"),
        "anthropic" => value.starts_with("sk-ant-"),
        "groq" => value.starts_with("gsk_"),
        "deepgram" => is_hex(value, 40),
        "twilio" => is_hex(value, 32),
        _ => return None,
    };
    let shape = match provider {
        "openai" => "start with `sk-`",
        "anthropic" => "start with `sk-ant-`",
        "groq" => "start with `gsk_`",
        "deepgram" => "are 40 hexadecimal characters",
        _ => "are 32 hexadecimal characters",
    };
    (!fits).then(|| format!("{provider} keys {shape}; this value does not"))
}

/// The providers whose settings reference `secret://NAME` in `document` (a section with a
/// `provider` and a secret field holding the reference, such as `agent_settings.llm`), in
/// document order, without repeats. With no document, a name like `openai_api_key` names its
/// provider by its first word.
pub fn providers_using_secret(document: Option<&Value>, name: &str) -> Vec<String> {
    let reference = format!("secret://{name}");
    let mut providers: Vec<String> = Vec::new();
    fn walk(value: &Value, reference: &str, providers: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                let uses =
                    map.iter().any(|(key, item)| is_secret_field(key) && item.as_str() == Some(reference));
                if let (true, Some(provider)) = (uses, map.get("provider").and_then(Value::as_str))
                    && !providers.iter().any(|known| known == provider)
                {
                    providers.push(provider.to_owned());
                }
                map.values().for_each(|item| walk(item, reference, providers));
            }
            Value::Array(items) => items.iter().for_each(|item| walk(item, reference, providers)),
            _ => {}
        }
    }
    match document {
        Some(document) => walk(document, &reference, &mut providers),
        None => providers.extend(name.split('_').next().filter(|word| !word.is_empty()).map(str::to_owned)),
    }
    providers
}
