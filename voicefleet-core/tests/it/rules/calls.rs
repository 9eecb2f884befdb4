//! Voice activity, turns, interruptions, calls, telephony and webhooks.

use serde_json::json;

use super::{E, W, check};
use crate::support::{remove, set};

#[test]
fn vad_turn_interruption_call() {
    check("threshold 1", &[set("/agent_settings/vad/activation_threshold", json!(1))], None);
    check(
        "threshold 1.5",
        &[set("/agent_settings/vad/activation_threshold", json!(1.5))],
        Some(("agent_settings.vad.activation_threshold", "out_of_range", E)),
    );
    check("speech 5", &[set("/agent_settings/vad/min_speech_seconds", json!(5))], None);
    check(
        "speech 6",
        &[set("/agent_settings/vad/min_speech_seconds", json!(6))],
        Some(("agent_settings.vad.min_speech_seconds", "out_of_range", E)),
    );
    check(
        "silence -1",
        &[set("/agent_settings/vad/min_silence_seconds", json!(-1))],
        Some(("agent_settings.vad.min_silence_seconds", "out_of_range", E)),
    );
    check("rate 8000", &[set("/agent_settings/vad/sample_rate", json!(8000))], None);
    check(
        "rate 44100",
        &[set("/agent_settings/vad/sample_rate", json!(44100))],
        Some(("agent_settings.vad.sample_rate", "invalid_value", E)),
    );
    for detection in ["vad", "stt", "model", "manual"] {
        check(detection, &[set("/agent_settings/turn/detection", json!(detection))], None);
    }
    check(
        "detection bad",
        &[set("/agent_settings/turn/detection", json!("auto"))],
        Some(("agent_settings.turn.detection", "invalid_value", E)),
    );
    check("min = max", &[set("/agent_settings/turn/min_endpointing_seconds", json!(3.0))], None);
    check(
        "min > max",
        &[set("/agent_settings/turn/min_endpointing_seconds", json!(3.5))],
        Some(("agent_settings.turn.min_endpointing_seconds", "min_exceeds_max", E)),
    );
    check(
        "min > default max",
        &[
            remove("/agent_settings/turn/max_endpointing_seconds"),
            set("/agent_settings/turn/min_endpointing_seconds", json!(4)),
        ],
        Some(("agent_settings.turn.min_endpointing_seconds", "min_exceeds_max", E)),
    );
    check(
        "max 11",
        &[set("/agent_settings/turn/max_endpointing_seconds", json!(11))],
        Some(("agent_settings.turn.max_endpointing_seconds", "out_of_range", E)),
    );
    check("enabled false", &[set("/agent_settings/interruption/enabled", json!(false))], None);
    check(
        "enabled string",
        &[set("/agent_settings/interruption/enabled", json!("yes"))],
        Some(("agent_settings.interruption.enabled", "invalid_type", E)),
    );
    check(
        "interrupt duration 11",
        &[set("/agent_settings/interruption/min_duration_seconds", json!(11))],
        Some(("agent_settings.interruption.min_duration_seconds", "out_of_range", E)),
    );
    check("min words 10", &[set("/agent_settings/interruption/min_words", json!(10))], None);
    check(
        "min words 11",
        &[set("/agent_settings/interruption/min_words", json!(11))],
        Some(("agent_settings.interruption.min_words", "out_of_range", E)),
    );
    check("first message 1000", &[set("/agent_settings/call/first_message", json!("h".repeat(1000)))], None);
    check(
        "first message 1001",
        &[set("/agent_settings/call/first_message", json!("h".repeat(1001)))],
        Some(("agent_settings.call.first_message", "too_long", E)),
    );
    check(
        "duration 9",
        &[set("/agent_settings/call/max_duration_seconds", json!(9))],
        Some(("agent_settings.call.max_duration_seconds", "out_of_range", E)),
    );
    check(
        "duration 43201",
        &[set("/agent_settings/call/max_duration_seconds", json!(43201))],
        Some(("agent_settings.call.max_duration_seconds", "out_of_range", E)),
    );
    check("silence 3600", &[set("/agent_settings/call/silence_timeout_seconds", json!(3600))], None);
    check(
        "silence 0",
        &[set("/agent_settings/call/silence_timeout_seconds", json!(0))],
        Some(("agent_settings.call.silence_timeout_seconds", "out_of_range", E)),
    );
    check("phrases 32", &[set("/agent_settings/call/end_call_phrases", json!(vec!["bye"; 32]))], None);
    check(
        "phrases 33",
        &[set("/agent_settings/call/end_call_phrases", json!(vec!["bye"; 33]))],
        Some(("agent_settings.call.end_call_phrases", "too_many_items", E)),
    );
    check(
        "phrase 101",
        &[set("/agent_settings/call/end_call_phrases", json!(["x".repeat(101)]))],
        Some(("agent_settings.call.end_call_phrases[0]", "too_long", E)),
    );
    check(
        "call unknown key",
        &[set("/agent_settings/call/max_duraton_seconds", json!(60))],
        Some(("agent_settings.call.max_duraton_seconds", "unknown_key", E)),
    );
}

#[test]
fn telephony() {
    check("none without numbers", &[set("/telephony", json!({"provider": "none"}))], None);
    check("telephony absent", &[remove("/telephony")], None);
    check(
        "provider bad",
        &[set("/telephony/provider", json!("vonage"))],
        Some(("telephony.provider", "invalid_value", E)),
    );
    check(
        "twilio no numbers",
        &[set("/telephony/numbers", json!([]))],
        Some(("telephony.numbers", "required", E)),
    );
    check(
        "number bad",
        &[set("/telephony/numbers", json!(["5551234567"]))],
        Some(("telephony.numbers[0]", "invalid_format", E)),
    );
    check(
        "number short",
        &[set("/telephony/numbers", json!(["+1234567"]))],
        Some(("telephony.numbers[0]", "invalid_format", E)),
    );
    check("number 15 digits", &[set("/telephony/numbers", json!(["+123456789012345"]))], None);
    check(
        "number 16 digits",
        &[set("/telephony/numbers", json!(["+1234567890123456"]))],
        Some(("telephony.numbers[0]", "invalid_format", E)),
    );
    check(
        "numbers duplicate",
        &[set("/telephony/numbers", json!(["+15551234567", "+15551234568", "+15551234567"]))],
        Some(("telephony.numbers[2]", "duplicate_item", E)),
    );
    let many: Vec<String> = (0..101).map(|i| format!("+1555000{i:04}")).collect();
    check(
        "numbers 101",
        &[set("/telephony/numbers", json!(many))],
        Some(("telephony.numbers", "too_many_items", E)),
    );
    check("sid missing", &[remove("/telephony/account_sid")], Some(("telephony.account_sid", "required", E)));
    check(
        "sid bad",
        &[set("/telephony/account_sid", json!("AC123"))],
        Some(("telephony.account_sid", "invalid_format", E)),
    );
    check(
        "auth missing twilio",
        &[remove("/telephony/auth_token")],
        Some(("telephony.auth_token", "required", E)),
    );
    check(
        "auth literal",
        &[set("/telephony/auth_token", json!("0123456789abcdef0123456789abcdef"))],
        Some(("telephony.auth_token", "secret_literal", E)),
    );
    check(
        "telnyx ok",
        &[set("/telephony/provider", json!("telnyx")), remove("/telephony/account_sid")],
        None,
    );
    check(
        "telnyx no auth",
        &[
            set("/telephony/provider", json!("telnyx")),
            remove("/telephony/account_sid"),
            remove("/telephony/auth_token"),
        ],
        Some(("telephony.auth_token", "required", E)),
    );
    check(
        "sid ignored for telnyx",
        &[set("/telephony/provider", json!("telnyx"))],
        Some(("telephony.account_sid", "ignored_for_provider", W)),
    );
    check(
        "sip ok",
        &[set(
            "/telephony",
            json!({"provider": "sip", "numbers": ["+15551234567"], "sip": {"uri": "sip:a@b.example"}}),
        )],
        None,
    );
    check(
        "sip missing",
        &[set("/telephony", json!({"provider": "sip", "numbers": ["+15551234567"]}))],
        Some(("telephony.sip", "required", E)),
    );
    check(
        "sip bad uri",
        &[set(
            "/telephony",
            json!({"provider": "sip", "numbers": ["+15551234567"], "sip": {"uri": "http://x"}}),
        )],
        Some(("telephony.sip.uri", "invalid_format", E)),
    );
}

#[test]
fn webhooks() {
    check("absent", &[remove("/webhooks")], None);
    check("http loopback", &[set("/webhooks/url", json!("http://127.0.0.1:9999/hook"))], None);
    check("http localhost", &[set("/webhooks/url", json!("http://localhost/hook"))], None);
    check("http ipv6 loopback", &[set("/webhooks/url", json!("http://[::1]:8080/hook"))], None);
    check(
        "http remote",
        &[set("/webhooks/url", json!("http://hooks.example.com/x"))],
        Some(("webhooks.url", "insecure_url", E)),
    );
    check(
        "ftp",
        &[set("/webhooks/url", json!("ftp://hooks.example.com/x"))],
        Some(("webhooks.url", "invalid_format", E)),
    );
    check("url missing", &[remove("/webhooks/url")], Some(("webhooks.url", "required", E)));
    check(
        "events all",
        &[set("/webhooks/events", json!(["call_started", "call_ended", "error", "state_changed"]))],
        None,
    );
    check(
        "events bad",
        &[set("/webhooks/events", json!(["call_started", "hangup"]))],
        Some(("webhooks.events[1]", "invalid_value", E)),
    );
    check(
        "events duplicate",
        &[set("/webhooks/events", json!(["error", "error"]))],
        Some(("webhooks.events[1]", "duplicate_item", E)),
    );
    check("timeout 300", &[set("/webhooks/timeout_seconds", json!(300))], None);
    check(
        "timeout 301",
        &[set("/webhooks/timeout_seconds", json!(301))],
        Some(("webhooks.timeout_seconds", "out_of_range", E)),
    );
}
