//! Dot-notation get, set and unset.

use serde_json::{Value, json};
use voicefleet_core::ErrorKind;
use voicefleet_core::config::{ConfigDocument, DotPath, parse_value_text, template};

fn document() -> ConfigDocument {
    template("openai-deepgram-elevenlabs").unwrap()
}

#[test]
fn get_reads_keys_and_array_items() {
    let document = document();
    for (path, expected) in [
        ("version", json!(1)),
        ("agent_settings.llm.temperature", json!(0.7)),
        ("telephony.numbers[0]", json!("+15551234567")),
        ("runtime.command[1]", json!("agent.py")),
        ("agent_settings.llm.provider", json!("openai")),
    ] {
        assert_eq!(document.get(path).unwrap(), &expected, "{path}");
    }
}

#[test]
fn get_errors_say_what_exists() {
    let document = document();
    for (path, kind, fragment) in [
        ("agent_settings.llm.nope", ErrorKind::NotFound, "agent_settings.llm.nope"),
        ("nope", ErrorKind::NotFound, "nope"),
        ("telephony.numbers[9]", ErrorKind::NotFound, "telephony.numbers[9]"),
        ("version.x", ErrorKind::InvalidInput, "`version` is a number, not an object"),
        ("agent_settings[0]", ErrorKind::InvalidInput, "not an array"),
        ("", ErrorKind::InvalidInput, "empty"),
        ("a..b", ErrorKind::InvalidInput, "empty"),
        ("a[x]", ErrorKind::InvalidInput, "non-negative integer"),
        ("a[1", ErrorKind::InvalidInput, "unclosed"),
        ("a]", ErrorKind::InvalidInput, "unmatched"),
        ("a[0]b", ErrorKind::InvalidInput, "after `]`"),
    ] {
        let error = document.get(path).unwrap_err();
        assert_eq!(error.kind(), kind, "{path}: {error}");
        assert!(error.to_string().contains(fragment), "{path}: {error}");
    }
    let error = document.get("agent_settings.llm.nope").unwrap_err();
    assert!(error.hint().unwrap().contains("temperature"));
}

#[test]
fn path_display_round_trips() {
    for text in ["a", "a.b", "a[0]", "a[0][1].b", "telephony.numbers[12]"] {
        assert_eq!(DotPath::parse(text).unwrap().to_string(), text);
    }
}

#[test]
fn values_given_as_text_are_json_when_they_parse() {
    assert_eq!(parse_value_text("0.3"), json!(0.3));
    assert_eq!(parse_value_text("true"), json!(true));
    assert_eq!(parse_value_text("[\"a\"]"), json!(["a"]));
    assert_eq!(parse_value_text("gpt-4.1"), json!("gpt-4.1"));
    assert_eq!(parse_value_text("+15551234567"), json!("+15551234567"));
    assert_eq!(parse_value_text("\"0.3\""), json!("0.3"));
}

#[test]
fn set_stores_and_revalidates() {
    let mut document = document();
    document.set("agent_settings.llm.temperature", parse_value_text("0.3")).unwrap();
    assert_eq!(document.get("agent_settings.llm.temperature").unwrap(), &json!(0.3));
    // Append to an array, create a missing object.
    document.set("telephony.numbers[1]", json!("+15557654321")).unwrap();
    assert_eq!(document.get("telephony.numbers").unwrap(), &json!(["+15551234567", "+15557654321"]));
    document.set("runtime.env.REGION", json!("eu")).unwrap();
    document.set("extensions.crm.base_url", json!("https://crm.example")).unwrap();
    assert_eq!(document.get("extensions.crm.base_url").unwrap(), "https://crm.example");
}

#[test]
fn a_set_that_adds_an_error_is_refused_and_changes_nothing() {
    for (path, value) in [
        ("agent_settings.llm.temperature", json!(5)),
        ("agent_settings.llm.api_key", json!("sk-live-literal")),
        ("telephony.numbers[1]", json!("+15551234567")),
        ("runtime.commnd", json!(["x"])),
        ("version", json!("one")),
    ] {
        let mut document = document();
        let before = document.clone();
        let error = document.set(path, value).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{path}");
        assert!(!error.issues().is_empty(), "{path}");
        assert_eq!(document, before, "{path} changed the document");
    }
    // Past the end of an array is a path error, not a silent append.
    let mut document = document();
    assert!(document.set("telephony.numbers[5]", json!("+15557654321")).is_err());
}

#[test]
fn a_set_on_an_already_invalid_document_may_fix_one_error_at_a_time() {
    let mut document = ConfigDocument::from_value(json!({
        "version": 1,
        "runtime": {"command": ["a"], "drain_timeout_seconds": 600},
        "agent_settings": {"llm": {"provider": "openai", "model": "gpt-4.1", "temperature": 9},
                            "stt": {"provider": "deepgram"}, "tts": {"provider": "nope", "voice_id": "v"}}
    }))
    .unwrap();
    let remaining = document.set("agent_settings.llm.temperature", json!(0.2)).unwrap();
    assert_eq!(remaining.errors().count(), 1, "the tts provider error remains");
    document.set("agent_settings.tts.provider", json!("cartesia")).unwrap();
    assert!(document.validate().is_valid());
}

#[test]
fn unset_removes_and_refuses_required_fields() {
    let mut document = document();
    let validation = document.unset("webhooks").unwrap();
    assert!(validation.is_valid());
    assert!(document.get("webhooks").is_err());
    document.unset("telephony.numbers[0]").unwrap_err(); // twilio needs a number
    let before = document.clone();
    assert!(document.unset("runtime.command").is_err());
    assert_eq!(document, before);
    assert_eq!(document.unset("runtime.nope").unwrap_err().kind(), ErrorKind::NotFound);
}

#[test]
fn typed_fills_defaults() {
    let document = ConfigDocument::from_value(json!({
        "version": 1,
        "runtime": {"command": ["a"], "drain_timeout_seconds": 600},
        "agent_settings": {"llm": {"provider": "openai", "model": "gpt-4.1"},
                            "stt": {"provider": "deepgram"}, "tts": {"provider": "cartesia", "voice_id": "v"}}
    }))
    .unwrap();
    let typed = document.typed().unwrap();
    assert_eq!(typed.runtime.start_seconds, 1.0);
    assert_eq!(typed.runtime.max_concurrent_calls, 10);
    assert_eq!(typed.runtime.reload, voicefleet_core::config::ReloadMode::Restart);
    assert_eq!(typed.agent_settings.llm.temperature, 0.7);
    assert_eq!(typed.agent_settings.stt.language, "en-US");
    assert_eq!(typed.agent_settings.vad.sample_rate, 16000);
    assert_eq!(typed.agent_settings.call.max_duration_seconds, 600);
    assert_eq!(typed.telephony.provider, voicefleet_core::config::TelephonyProvider::None);
    assert!(typed.agent_settings.interruption.enabled);
    let invalid = ConfigDocument::from_value(json!({"version": 1})).unwrap();
    assert!(invalid.typed().unwrap_err().issues().len() >= 2);
    let _: Value = document.into_value();
}
