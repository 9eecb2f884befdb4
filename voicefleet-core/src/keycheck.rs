//! The live check of provider keys: for each provider secret a configuration uses, one cheap
//! authenticated read at the provider (OpenAI `GET /v1/models`, Deepgram `GET /v1/projects`,
//! ElevenLabs `GET /v1/user`, …), judged valid, invalid or unreachable.
//!
//! The check runs where the secret lives, on the host: the value never travels to the console.
//! This module holds the rules — which secrets a document uses with which provider
//! ([`targets`]), what request checks a provider's key ([`probe_request`]), what an answer means
//! ([`verdict`]) — and [`check_keys`], which runs them through a [`KeyProbe`] (the HTTP client
//! lives in a frontend crate). Nothing here logs or returns a secret value.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::{ConfigDocument, SecretReference, is_secret_field};
use crate::error::{Error, Result};

/// One provider secret a configuration uses, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyCheckTarget {
    /// The secret's name (`openai_api_key`).
    pub secret: String,
    /// The provider it is meant for (`openai`).
    pub provider: String,
    /// The document section naming provider and secret (`agent_settings.llm`).
    pub path: String,
    /// The section's `account_sid`, for providers whose check needs an account (Twilio).
    pub account: Option<String>,
}

/// What a check concluded about one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum KeyVerdict {
    /// The provider accepted the key.
    Valid,
    /// The provider refused the key (401 or 403).
    Invalid,
    /// No verdict: the provider did not answer, answered with an error, or rate-limited the check.
    Unreachable,
    /// Not checked: the provider has no live check, or the host does not hold the secret.
    Unchecked,
}

impl fmt::Display for KeyVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Valid => "valid",
            Self::Invalid => "invalid",
            Self::Unreachable => "unreachable",
            Self::Unchecked => "unchecked",
        })
    }
}

/// One key's check: which secret, for which provider, the verdict and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct KeyCheck {
    /// The secret's name (`openai_api_key`).
    pub secret: String,
    /// The provider the key is for (`openai`, `deepgram`, `elevenlabs`…).
    pub provider: String,
    /// The document section that uses the secret (`agent_settings.llm`).
    pub path: String,
    /// Valid, refused, or not known (the provider could not be asked).
    pub verdict: KeyVerdict,
    /// What the verdict rests on (`HTTP 401`, `no answer within 10s`); never the value.
    pub detail: String,
    /// How long the provider took to answer, in milliseconds.
    #[serde(default)]
    pub elapsed_ms: Option<u64>,
}

/// An authenticated read that checks one key. Its `Debug` hides the header values.
#[derive(Clone, PartialEq, Eq)]
pub struct ProbeRequest {
    /// The full URL of a `GET`.
    pub url: String,
    /// Headers to send, credentials among them.
    pub headers: Vec<(String, String)>,
    /// HTTP basic credentials (user, password), for providers that take them (Twilio).
    pub basic_auth: Option<(String, String)>,
}

impl fmt::Debug for ProbeRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("ProbeRequest")
            .field("url", &self.url)
            .field("headers", &names)
            .field("basic_auth", &self.basic_auth.as_ref().map(|_| crate::config::REDACTED))
            .finish()
    }
}

/// What a provider answered to a [`ProbeRequest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeOutcome {
    /// An HTTP answer with this status code.
    Status(u16),
    /// No HTTP answer (connection refused, DNS, TLS, timeout): why.
    Failed(String),
    /// The request could not be built from the value (a character no HTTP header may carry, such
    /// as a pasted newline): the key cannot be right.
    Unsendable(String),
}

/// Sends probe requests (an HTTP client, in a frontend crate). Must not log header values.
#[async_trait::async_trait]
pub trait KeyProbe: Send + Sync + fmt::Debug {
    /// Sends one GET and reports what came back (a status, or why none did); never fails.
    async fn get(&self, request: &ProbeRequest) -> ProbeOutcome;
}

/// Each provider's API base URL, overridable per provider (tests, proxies, compatible APIs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderUrls {
    overrides: BTreeMap<String, String>,
}

impl ProviderUrls {
    /// The providers' public APIs, with `overrides` (provider → base URL without a trailing
    /// slash) in their place. An override must be an `http://` or `https://` URL.
    pub fn new(overrides: BTreeMap<String, String>) -> Result<Self> {
        for (provider, url) in &overrides {
            if default_base(provider).is_none() {
                return Err(Error::InvalidValue {
                    value: provider.clone(),
                    reason: format!(
                        "no live key check for this provider; base URLs can be set for {}",
                        CHECKED_PROVIDERS.join(", ")
                    ),
                });
            }
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(Error::InvalidValue {
                    value: url.clone(),
                    reason: format!("the {provider} base URL must start with http:// or https://"),
                });
            }
        }
        let overrides = overrides
            .into_iter()
            .map(|(provider, url)| (provider, url.trim_end_matches('/').to_owned()))
            .collect();
        Ok(Self { overrides })
    }

    /// The base URL used for `provider`, if it has a live check.
    pub fn base(&self, provider: &str) -> Option<String> {
        self.overrides.get(provider).cloned().or_else(|| default_base(provider).map(str::to_owned))
    }
}

/// The providers with a live check, in the order the docs list them.
pub const CHECKED_PROVIDERS: [&str; 10] = [
    "openai",
    "anthropic",
    "groq",
    "google",
    "deepgram",
    "assemblyai",
    "elevenlabs",
    "cartesia",
    "twilio",
    "telnyx",
];

fn default_base(provider: &str) -> Option<&'static str> {
    Some(match provider {
        "openai" => "https://api.openai.com",
        "anthropic" => "https://api.anthropic.com",
        "groq" => "https://api.groq.com/openai",
        "google" => "https://generativelanguage.googleapis.com",
        "deepgram" => "https://api.deepgram.com",
        "assemblyai" => "https://api.assemblyai.com",
        "elevenlabs" => "https://api.elevenlabs.io",
        "cartesia" => "https://api.cartesia.ai",
        "twilio" => "https://api.twilio.com",
        "telnyx" => "https://api.telnyx.com",
        _ => return None,
    })
}

/// The provider secrets `document` uses: each section with a `provider` and a secret field
/// holding a reference, in document order. With `only`, that secret alone; naming a secret the
/// document does not use with a provider is an error.
pub fn targets(document: &Value, only: Option<&str>) -> Result<Vec<KeyCheckTarget>> {
    fn walk(value: &Value, path: &str, found: &mut Vec<KeyCheckTarget>) {
        match value {
            Value::Object(map) => {
                if let Some(provider) = map.get("provider").and_then(Value::as_str) {
                    for (key, item) in map {
                        let Some(reference) = item.as_str().and_then(SecretReference::parse) else {
                            continue;
                        };
                        if is_secret_field(key) {
                            found.push(KeyCheckTarget {
                                secret: reference.name().to_owned(),
                                provider: provider.to_owned(),
                                path: path.to_owned(),
                                account: map.get("account_sid").and_then(Value::as_str).map(str::to_owned),
                            });
                        }
                    }
                }
                for (key, item) in map {
                    if key != "extensions" {
                        let child = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                        walk(item, &child, found);
                    }
                }
            }
            Value::Array(items) => {
                items.iter().enumerate().for_each(|(i, item)| walk(item, &format!("{path}[{i}]"), found))
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk(document, "", &mut found);
    let Some(name) = only else { return Ok(found) };
    let chosen: Vec<KeyCheckTarget> = found.iter().filter(|t| t.secret == name).cloned().collect();
    if chosen.is_empty() {
        let used: Vec<&str> = found.iter().map(|t| t.secret.as_str()).collect();
        return Err(Error::InvalidValue {
            value: name.to_owned(),
            reason: if used.is_empty() {
                "the configuration uses no provider secret to check".to_owned()
            } else {
                format!(
                    "the configuration does not use this secret with a provider; it uses {}",
                    used.join(", ")
                )
            },
        });
    }
    Ok(chosen)
}

/// The request that checks `value` as `target.provider`'s key, or why there is none.
pub fn probe_request(
    target: &KeyCheckTarget,
    value: &str,
    urls: &ProviderUrls,
) -> std::result::Result<ProbeRequest, String> {
    let Some(base) = urls.base(&target.provider) else {
        return Err(format!("no live check for {} keys", target.provider));
    };
    let header = |name: &str, value: String| (name.to_owned(), value);
    let bearer = || vec![header("authorization", format!("Bearer {value}"))];
    let (path, headers, basic_auth) = match target.provider.as_str() {
        "openai" | "groq" => ("/v1/models".to_owned(), bearer(), None),
        "anthropic" => (
            "/v1/models".to_owned(),
            vec![header("x-api-key", value.to_owned()), header("anthropic-version", "2023-06-01".into())],
            None,
        ),
        "google" => ("/v1beta/models".to_owned(), vec![header("x-goog-api-key", value.to_owned())], None),
        "deepgram" => {
            ("/v1/projects".to_owned(), vec![header("authorization", format!("Token {value}"))], None)
        }
        "assemblyai" => {
            ("/v2/transcript?limit=1".to_owned(), vec![header("authorization", value.to_owned())], None)
        }
        "elevenlabs" => ("/v1/user".to_owned(), vec![header("xi-api-key", value.to_owned())], None),
        "cartesia" => (
            "/voices".to_owned(),
            vec![header("x-api-key", value.to_owned()), header("cartesia-version", "2024-06-10".into())],
            None,
        ),
        "twilio" => {
            let Some(account) = target.account.clone() else {
                return Err(format!("{} has no account_sid to check the token against", target.path));
            };
            (format!("/2010-04-01/Accounts/{account}.json"), Vec::new(), Some((account, value.to_owned())))
        }
        "telnyx" => ("/v2/balance".to_owned(), bearer(), None),
        _ => return Err(format!("no live check for {} keys", target.provider)),
    };
    Ok(ProbeRequest { url: format!("{base}{path}"), headers, basic_auth })
}

/// What a provider's answer says about the key.
pub fn verdict(outcome: &ProbeOutcome) -> (KeyVerdict, String) {
    match outcome {
        ProbeOutcome::Status(code @ 200..=299) => (KeyVerdict::Valid, format!("HTTP {code}")),
        ProbeOutcome::Status(code @ (401 | 403)) => {
            (KeyVerdict::Invalid, format!("HTTP {code}: the provider refused the key"))
        }
        ProbeOutcome::Status(429) => {
            (KeyVerdict::Unreachable, "HTTP 429: the provider rate-limited the check; try again later".into())
        }
        ProbeOutcome::Status(code) => (KeyVerdict::Unreachable, format!("HTTP {code} from the provider")),
        ProbeOutcome::Failed(why) => (KeyVerdict::Unreachable, why.clone()),
        ProbeOutcome::Unsendable(why) => (KeyVerdict::Invalid, why.clone()),
    }
}

/// Checks every provider key `document` uses (or `only` that one) with the values `secrets`
/// holds, all at once, each within `timeout`.
pub async fn check_keys(
    document: &ConfigDocument,
    secrets: &BTreeMap<String, String>,
    only: Option<&str>,
    urls: &ProviderUrls,
    probe: &dyn KeyProbe,
    timeout: Duration,
) -> Result<Vec<KeyCheck>> {
    let checks = targets(&document.as_value(), only)?.into_iter().map(|target| async move {
        let done = |verdict, detail: String, elapsed_ms| KeyCheck {
            secret: target.secret.clone(),
            provider: target.provider.clone(),
            path: target.path.clone(),
            verdict,
            detail,
            elapsed_ms,
        };
        let Some(value) = secrets.get(&target.secret) else {
            return done(KeyVerdict::Unchecked, "this host does not hold the secret".into(), None);
        };
        let request = match probe_request(&target, value, urls) {
            Ok(request) => request,
            Err(why) => return done(KeyVerdict::Unchecked, why, None),
        };
        let started = std::time::Instant::now();
        let outcome = tokio::time::timeout(timeout, probe.get(&request))
            .await
            .unwrap_or_else(|_| ProbeOutcome::Failed(format!("no answer within {}s", timeout.as_secs_f64())));
        let (verdict, detail) = verdict(&outcome);
        done(verdict, detail, Some(started.elapsed().as_millis() as u64))
    });
    Ok(futures_util::future::join_all(checks).await)
}
