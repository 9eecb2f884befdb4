//! Provider rules: known models, provider-specific ranges of the LLM and the voice.

use serde_json::Value;

use super::{at, push, str_at};
use crate::config::Issue;
use crate::config::Severity;
use crate::config::validate::messages::{trim, truncate};
use crate::config::validate::suggestions::did_you_mean;

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

pub(super) fn llm_rules(root: &Value, issues: &mut Vec<Issue>) {
    let Some(provider) = str_at(root, &["agent_settings", "llm", "provider"]) else { return };
    if provider == "anthropic"
        && let Some(temperature) = at(root, &["agent_settings", "llm", "temperature"]).and_then(Value::as_f64)
        && temperature > 1.0
        && temperature <= 2.0
    {
        push(
            issues,
            &["agent_settings", "llm", "temperature"],
            "out_of_range",
            Severity::Error,
            format!("must be between 0 and 1 for anthropic, got {}", trim(temperature)),
        );
    }
    if let (Some(model), Some(known)) =
        (str_at(root, &["agent_settings", "llm", "model"]), known_models(provider))
        && !model.is_empty()
        && !known.contains(&model)
    {
        let suggestion = did_you_mean(model, known.iter().copied())
            .map(|best| format!(" (did you mean \"{best}\"?)"))
            .unwrap_or_default();
        push(
            issues,
            &["agent_settings", "llm", "model"],
            "unknown_model",
            Severity::Warning,
            format!("\"{}\" is not a known {provider} model{suggestion}; check the name", truncate(model)),
        );
    }
}

pub(super) fn tts_rules(root: &Value, issues: &mut Vec<Issue>) {
    let Some(provider) = str_at(root, &["agent_settings", "tts", "provider"]) else { return };
    if provider == "elevenlabs" {
        if let Some(speed) = at(root, &["agent_settings", "tts", "speed"]).and_then(Value::as_f64)
            && (0.5..=2.0).contains(&speed)
            && !(0.7..=1.2).contains(&speed)
        {
            push(
                issues,
                &["agent_settings", "tts", "speed"],
                "out_of_range",
                Severity::Error,
                format!("must be between 0.7 and 1.2 for elevenlabs, got {}", trim(speed)),
            );
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
