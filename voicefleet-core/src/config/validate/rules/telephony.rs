//! Telephony requirements and the webhook's transport.

use serde_json::Value;

use super::{at, push, str_at};
use crate::config::Issue;
use crate::config::Severity;
use crate::config::model::{HTTP_URL_PATTERN, TWILIO_ACCOUNT_SID_PATTERN};
use crate::config::validate::messages::{pattern_matches, pattern_phrase, truncate};

pub(super) fn telephony_rules(root: &Value, issues: &mut Vec<Issue>) {
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

pub(super) fn webhook_rules(root: &Value, issues: &mut Vec<Issue>) {
    let Some(text) = str_at(root, &["webhooks", "url"]) else { return };
    if !pattern_matches(HTTP_URL_PATTERN, text) {
        return; // reported by the schema walk
    }
    let keys = ["webhooks", "url"];
    match url::Url::parse(text) {
        Err(error) => {
            push(issues, &keys, "invalid_format", Severity::Error, format!("is not a valid URL: {error}"))
        }
        Ok(url) if !crate::transport::is_secure_url(&url) => push(
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
