//! Secret references, missing secrets and redaction.

use std::collections::BTreeSet;

use serde_json::json;
use voicefleet_core::config::{
    ConfigDocument, REDACTED, SecretReference, ValidateOptions, secret_format_warning, template,
};

#[test]
fn references_parse() {
    let reference = SecretReference::parse("secret://openai_api_key").unwrap();
    assert_eq!(reference.name(), "openai_api_key");
    assert_eq!(reference.env_name(), "VOICEFLEET_SECRET_OPENAI_API_KEY");
    assert_eq!(reference.to_string(), "secret://openai_api_key");
    for bad in [
        "secret://",
        "secret://UPPER",
        "secret://a-b",
        "sk-123",
        "secret:/x",
        &format!("secret://{}", "a".repeat(65)),
    ] {
        assert!(SecretReference::parse(bad).is_none(), "{bad}");
    }
    assert!(SecretReference::parse(&format!("secret://{}", "a".repeat(64))).is_some());
}

#[test]
fn missing_secrets_are_reported_against_the_customers_names() {
    let document = template("openai-deepgram-elevenlabs").unwrap();
    let all = document.secret_references();
    assert_eq!(
        all.iter().map(String::as_str).collect::<Vec<_>>(),
        ["deepgram_api_key", "elevenlabs_api_key", "openai_api_key", "twilio_auth_token"]
    );
    let options = ValidateOptions::with_secrets(all.clone());
    assert!(document.validate_with(&options).is_valid());

    let mut some = all.clone();
    some.remove("openai_api_key");
    let validation = document.validate_with(&ValidateOptions::with_secrets(some));
    let missing: BTreeSet<&str> =
        validation.errors().filter(|i| i.code == "secret_missing").map(|i| i.path.as_str()).collect();
    assert_eq!(missing, BTreeSet::from(["agent_settings.llm.api_key", "runtime.secret_env.OPENAI_API_KEY"]));
}

#[test]
fn references_inside_extensions_are_not_checked() {
    let mut document = template("default").unwrap();
    document.set("extensions.note", json!("secret://not_a_real_one")).unwrap();
    assert!(!document.secret_references().contains("not_a_real_one"));
    let options = ValidateOptions::with_secrets(document.secret_references());
    assert!(document.validate_with(&options).is_valid());
}

#[test]
fn redaction_hides_literals_and_keeps_references() {
    let document = ConfigDocument::from_value(json!({
        "version": 1,
        "runtime": {"command": ["a"]},
        "agent_settings": {
            "llm": {"provider": "openai", "model": "gpt-4.1", "api_key": "sk-proj-0123456789abcdefghij"},
            "stt": {"provider": "deepgram", "api_key": "secret://deepgram_api_key"},
            "tts": {"provider": "cartesia", "voice_id": "v"}
        },
        "extensions": {"password": "hunter2", "note": "gsk_0123456789abcdefghijk", "ok": "plain"}
    }))
    .unwrap();
    let redacted = document.redacted();
    assert_eq!(redacted["agent_settings"]["llm"]["api_key"], REDACTED);
    assert_eq!(redacted["agent_settings"]["stt"]["api_key"], "secret://deepgram_api_key");
    assert_eq!(redacted["extensions"]["password"], REDACTED);
    assert_eq!(redacted["extensions"]["note"], REDACTED);
    assert_eq!(redacted["extensions"]["ok"], "plain");
    let text = redacted.to_string();
    for secret in ["sk-proj-0123456789abcdefghij", "hunter2", "gsk_0123456789abcdefghijk"] {
        assert!(!text.contains(secret));
    }
    // Validation messages never echo a literal secret either.
    let messages =
        document.validate().issues.iter().map(|i| i.message.clone()).collect::<Vec<_>>().join("\n");
    assert!(!messages.contains("sk-proj"), "{messages}");
}

#[test]
fn provider_key_formats() {
    for (provider, value, fits) in [
        ("openai", "sk-proj-abc", true),
        ("openai", "sk-ant-abc", false),
        ("openai", "abc", false),
        ("anthropic", "sk-ant-api03-abc", true),
        ("anthropic", "sk-abc", false),
        ("groq", "gsk_abc", true),
        ("groq", "sk-abc", false),
        ("deepgram", "0123456789abcdef0123456789abcdef01234567", true),
        ("deepgram", "0123456789abcdef", false),
        ("twilio", "0123456789abcdef0123456789abcdef", true),
        ("twilio", "xyz", false),
        ("cartesia", "anything", true),
    ] {
        assert_eq!(secret_format_warning(provider, value).is_none(), fits, "{provider} {value}");
    }
}

#[test]
fn the_providers_that_use_a_secret_come_from_the_document_or_its_name() {
    use voicefleet_core::config::providers_using_secret;
    let document = serde_json::json!({"agent_settings": {
        "llm": {"provider": "openai", "api_key": "secret://shared_key"},
        "stt": {"provider": "deepgram", "api_key": "secret://deepgram_api_key"},
        "tts": {"provider": "openai", "api_key": "secret://shared_key"}}});
    assert_eq!(providers_using_secret(Some(&document), "shared_key"), ["openai"]);
    assert_eq!(providers_using_secret(Some(&document), "deepgram_api_key"), ["deepgram"]);
    assert!(providers_using_secret(Some(&document), "unused").is_empty());
    assert_eq!(providers_using_secret(None, "groq_api_key"), ["groq"]);
}

#[test]
fn literal_secrets_in_runtime_env_are_refused_redacted_and_never_echoed() {
    use voicefleet_core::config::is_secret_env_name;
    for (name, secret) in [
        ("DB_PASSWORD", true),
        ("stripe_key", true),
        ("AUTH_TOKEN", true),
        ("CLIENT_SECRET", true),
        ("GOOGLE_APPLICATION_CREDENTIALS", true),
        ("LOG_LEVEL", false),
        ("LIVEKIT_URL", false),
    ] {
        assert_eq!(is_secret_env_name(name), secret, "{name}");
    }
    let mut document = template("default").unwrap();
    let value = document.as_value();
    let mut value = value;
    value["runtime"]["env"] = json!({"DB_PASSWORD": "hunter2", "LOG_LEVEL": "info"});
    value["agent_settings"]["llm"]["model"] = json!("sk-proj-0123456789abcdefghij");
    let refused = ConfigDocument::from_value(value.clone()).unwrap();
    let validation = refused.validate();
    let issue = validation.errors().find(|i| i.path == "runtime.env.DB_PASSWORD").expect("refused");
    assert_eq!(issue.code, "secret_literal");
    assert!(issue.message.contains("secret_env"), "{}", issue.message);
    assert!(validation.errors().all(|i| i.path != "runtime.env.LOG_LEVEL"));
    let messages = validation.issues.iter().map(|i| i.message.clone()).collect::<Vec<_>>().join("\n");
    assert!(!messages.contains("hunter2") && !messages.contains("sk-proj"), "{messages}");
    // Shown anywhere (revisions, diffs), the value is hidden.
    let redacted = refused.redacted();
    assert_eq!(redacted["runtime"]["env"]["DB_PASSWORD"], REDACTED);
    assert_eq!(redacted["runtime"]["env"]["LOG_LEVEL"], "info");
    // The setter refuses it and leaves the document as it was.
    assert!(document.set("runtime.env", json!({"DB_PASSWORD": "hunter2"})).is_err());
    assert!(!document.as_value().to_string().contains("hunter2"));
}
