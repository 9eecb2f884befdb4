//! How issues are reported: all of them, errors first, with suggestions, warnings never blocking.

use serde_json::json;
use voicefleet_core::config::{Severity, ValidateOptions};

use crate::support::{base, edited, issues_of, set};

#[test]
fn every_issue_is_reported_not_just_the_first() {
    let value = edited(
        base(),
        &[
            set("/version", json!(7)),
            set("/agent_settings/llm/temperature", json!(9)),
            set("/telephony/numbers", json!(["bad"])),
            set("/agent_settings/llm/api_key", json!("literal")),
        ],
    );
    let issues = issues_of(value, &ValidateOptions::default());
    let paths: Vec<&str> = issues.iter().map(|(path, _, _)| path.as_str()).collect();
    for expected in
        ["version", "agent_settings.llm.temperature", "telephony.numbers[0]", "agent_settings.llm.api_key"]
    {
        assert!(paths.contains(&expected), "{expected} missing from {paths:?}");
    }
}

#[test]
fn errors_come_before_warnings() {
    let value = edited(
        base(),
        &[
            set("/agent_settings/llm/model", json!("gpt-9")),
            set("/version", json!(3)),
            set("/runtime/drain_timeout_seconds", json!(1)),
        ],
    );
    let severities: Vec<Severity> =
        issues_of(value, &ValidateOptions::default()).into_iter().map(|(_, _, s)| s).collect();
    let mut sorted = severities.clone();
    sorted.sort();
    assert_eq!(severities, sorted);
    assert_eq!(severities.first(), Some(&Severity::Error));
    assert_eq!(severities.last(), Some(&Severity::Warning));
}

#[test]
fn did_you_mean_suggestions() {
    use voicefleet_core::config::ConfigDocument;
    let value = edited(
        base(),
        &[
            set("/agent_settings/llm/temprature", json!(0.3)),
            set("/agent_settings/stt/provider", json!("deepgramm")),
        ],
    );
    let validation = ConfigDocument::from_value(value).unwrap().validate();
    let messages: Vec<String> =
        validation.issues.iter().map(|issue| format!("{}: {}", issue.path, issue.message)).collect();
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("agent_settings.llm.temprature")
                && m.contains("did you mean \"temperature\"")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("agent_settings.stt.provider") && m.contains("did you mean \"deepgram\"")),
        "{messages:?}"
    );
    // Nothing close: no suggestion, the known keys instead.
    let value = edited(base(), &[set("/agent_settings/llm/zzzzzzzz", json!(1))]);
    let validation = ConfigDocument::from_value(value).unwrap().validate();
    let message = &validation.issues[0].message;
    assert!(
        !message.contains("did you mean") && message.contains("known keys here: provider, model"),
        "{message}"
    );
}

#[test]
fn warnings_never_block() {
    use voicefleet_core::config::ConfigDocument;
    let value = edited(base(), &[set("/agent_settings/llm/model", json!("gpt-9"))]);
    let document = ConfigDocument::from_value(value).unwrap();
    let validation = document.validate();
    assert!(validation.is_valid());
    assert_eq!(validation.warnings().count(), 1);
    assert_eq!(document.typed().unwrap().agent_settings.llm.model, "gpt-9");
}
