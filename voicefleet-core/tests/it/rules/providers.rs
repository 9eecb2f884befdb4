//! The document's top level, runtime and provider sections.

use serde_json::json;

use super::{E, W, check};
use crate::support::{remove, set};

#[test]
fn top_level() {
    check("version 1", &[set("/version", json!(1))], None);
    check("version 2", &[set("/version", json!(2))], Some(("version", "out_of_range", E)));
    check("version missing", &[remove("/version")], Some(("version", "required", E)));
    check("version string", &[set("/version", json!("1"))], Some(("version", "invalid_type", E)));
    check("unknown top key", &[set("/runtme", json!({}))], Some(("runtme", "unknown_key", E)));
    check(
        "extensions free-form",
        &[set("/extensions", json!({"x": {"api_key": "literal", "deep": [1, {"y": null}]}}))],
        None,
    );
    check(
        "extensions not object",
        &[set("/extensions", json!([1]))],
        Some(("extensions", "invalid_type", E)),
    );
    check("runtime missing", &[remove("/runtime")], Some(("runtime", "required", E)));
    check("agent_settings missing", &[remove("/agent_settings")], Some(("agent_settings", "required", E)));
}

#[test]
fn runtime() {
    check("command ok", &[set("/runtime/command", json!(["./agent", "--port", "1"]))], None);
    check(
        "command empty",
        &[set("/runtime/command", json!([]))],
        Some(("runtime.command", "too_few_items", E)),
    );
    check(
        "command too long",
        &[set("/runtime/command", json!(vec!["a"; 65]))],
        Some(("runtime.command", "too_many_items", E)),
    );
    check(
        "command empty arg",
        &[set("/runtime/command", json!(["a", ""]))],
        Some(("runtime.command[1]", "too_short", E)),
    );
    check(
        "command string",
        &[set("/runtime/command", json!("python3 agent.py"))],
        Some(("runtime.command", "invalid_type", E)),
    );
    check("command missing", &[remove("/runtime/command")], Some(("runtime.command", "required", E)));
    check("working_dir absolute", &[set("/runtime/working_dir", json!("/srv/agent"))], None);
    check(
        "working_dir relative",
        &[set("/runtime/working_dir", json!("srv/agent"))],
        Some(("runtime.working_dir", "invalid_format", E)),
    );
    check("env ok", &[set("/runtime/env", json!({"A_B1": "x", "_X": ""}))], None);
    check(
        "env bad name",
        &[set("/runtime/env", json!({"1A": "x"}))],
        Some(("runtime.env.1A", "invalid_key", E)),
    );
    check(
        "env lower name",
        &[set("/runtime/env", json!({"log_level": "x"}))],
        Some(("runtime.env.log_level", "invalid_key", E)),
    );
    check(
        "env reserved",
        &[set("/runtime/env", json!({"VOICEFLEET_CONFIG": "x"}))],
        Some(("runtime.env.VOICEFLEET_CONFIG", "reserved_env", E)),
    );
    check(
        "env value number",
        &[set("/runtime/env", json!({"A": 1}))],
        Some(("runtime.env.A", "invalid_type", E)),
    );
    check("secret_env ref", &[set("/runtime/secret_env", json!({"KEY": "secret://k_1"}))], None);
    check(
        "secret_env literal",
        &[set("/runtime/secret_env", json!({"KEY": "abc"}))],
        Some(("runtime.secret_env.KEY", "secret_literal", E)),
    );
    check(
        "secret_env bad ref",
        &[set("/runtime/secret_env", json!({"KEY": "secret://Bad-Name"}))],
        Some(("runtime.secret_env.KEY", "invalid_secret_reference", E)),
    );
    check(
        "secret_env reserved",
        &[set("/runtime/secret_env", json!({"VOICEFLEET_SECRET_X": "secret://x"}))],
        Some(("runtime.secret_env.VOICEFLEET_SECRET_X", "reserved_env", E)),
    );
    check("policy on-failure", &[set("/runtime/restart/policy", json!("on-failure"))], None);
    check("policy never", &[set("/runtime/restart/policy", json!("never"))], None);
    check(
        "policy bad",
        &[set("/runtime/restart/policy", json!("sometimes"))],
        Some(("runtime.restart.policy", "invalid_value", E)),
    );
    check("backoff 3600", &[set("/runtime/restart/max_backoff_seconds", json!(3600))], None);
    check(
        "backoff 0",
        &[set("/runtime/restart/max_backoff_seconds", json!(0))],
        Some(("runtime.restart.max_backoff_seconds", "out_of_range", E)),
    );
    check(
        "backoff 3601",
        &[set("/runtime/restart/max_backoff_seconds", json!(3601))],
        Some(("runtime.restart.max_backoff_seconds", "out_of_range", E)),
    );
    check(
        "restart unknown",
        &[set("/runtime/restart/polcy", json!("always"))],
        Some(("runtime.restart.polcy", "unknown_key", E)),
    );
    check("start 0", &[set("/runtime/start_seconds", json!(0))], None);
    check("start 0.5", &[set("/runtime/start_seconds", json!(0.5))], None);
    check(
        "start 301",
        &[set("/runtime/start_seconds", json!(301))],
        Some(("runtime.start_seconds", "out_of_range", E)),
    );
    check(
        "start negative",
        &[set("/runtime/start_seconds", json!(-1))],
        Some(("runtime.start_seconds", "out_of_range", E)),
    );
    check("drain 43200", &[set("/runtime/drain_timeout_seconds", json!(43200))], None);
    check(
        "drain 43201",
        &[set("/runtime/drain_timeout_seconds", json!(43201))],
        Some(("runtime.drain_timeout_seconds", "out_of_range", E)),
    );
    check(
        "drain below call",
        &[set("/runtime/drain_timeout_seconds", json!(30))],
        Some(("runtime.drain_timeout_seconds", "drain_below_call_duration", W)),
    );
    check("reload signal", &[set("/runtime/reload", json!("signal"))], None);
    check(
        "reload bad",
        &[set("/runtime/reload", json!("hup"))],
        Some(("runtime.reload", "invalid_value", E)),
    );
    check("calls 1000", &[set("/runtime/max_concurrent_calls", json!(1000))], None);
    check(
        "calls 0",
        &[set("/runtime/max_concurrent_calls", json!(0))],
        Some(("runtime.max_concurrent_calls", "out_of_range", E)),
    );
    check(
        "calls fraction",
        &[set("/runtime/max_concurrent_calls", json!(2.5))],
        Some(("runtime.max_concurrent_calls", "invalid_type", E)),
    );
    check("memory 64", &[set("/runtime/memory_limit_mb", json!(64))], None);
    check("memory absent", &[remove("/runtime/memory_limit_mb")], None);
    check(
        "memory 63",
        &[set("/runtime/memory_limit_mb", json!(63))],
        Some(("runtime.memory_limit_mb", "out_of_range", E)),
    );
    check(
        "memory 65537",
        &[set("/runtime/memory_limit_mb", json!(65537))],
        Some(("runtime.memory_limit_mb", "out_of_range", E)),
    );
    check(
        "memory null",
        &[set("/runtime/memory_limit_mb", json!(null))],
        Some(("runtime.memory_limit_mb", "invalid_type", E)),
    );
}

#[test]
fn llm() {
    for provider in ["openai", "google", "groq", "azure_openai"] {
        let expected = if matches!(provider, "openai" | "azure_openai") {
            None
        } else {
            Some(("agent_settings.llm.model", "unknown_model", W))
        };
        check(provider, &[set("/agent_settings/llm/provider", json!(provider))], expected);
    }
    check(
        "provider bad",
        &[set("/agent_settings/llm/provider", json!("opnai"))],
        Some(("agent_settings.llm.provider", "invalid_value", E)),
    );
    check(
        "provider missing",
        &[remove("/agent_settings/llm/provider")],
        Some(("agent_settings.llm.provider", "required", E)),
    );
    check(
        "model empty",
        &[set("/agent_settings/llm/model", json!(""))],
        Some(("agent_settings.llm.model", "too_short", E)),
    );
    check(
        "model long",
        &[set("/agent_settings/llm/model", json!("m".repeat(129)))],
        Some(("agent_settings.llm.model", "too_long", E)),
    );
    check(
        "model unknown",
        &[set("/agent_settings/llm/model", json!("gpt-9"))],
        Some(("agent_settings.llm.model", "unknown_model", W)),
    );
    check("temperature 2", &[set("/agent_settings/llm/temperature", json!(2))], None);
    check(
        "temperature 2.1",
        &[set("/agent_settings/llm/temperature", json!(2.1))],
        Some(("agent_settings.llm.temperature", "out_of_range", E)),
    );
    check(
        "anthropic 1",
        &[
            set("/agent_settings/llm/provider", json!("anthropic")),
            set("/agent_settings/llm/model", json!("claude-haiku-4-5")),
            set("/agent_settings/llm/temperature", json!(1)),
        ],
        None,
    );
    check(
        "anthropic 1.2",
        &[
            set("/agent_settings/llm/provider", json!("anthropic")),
            set("/agent_settings/llm/model", json!("claude-haiku-4-5")),
            set("/agent_settings/llm/temperature", json!(1.2)),
        ],
        Some(("agent_settings.llm.temperature", "out_of_range", E)),
    );
    check("max_tokens 50", &[set("/agent_settings/llm/max_tokens", json!(50))], None);
    check(
        "max_tokens 49",
        &[set("/agent_settings/llm/max_tokens", json!(49))],
        Some(("agent_settings.llm.max_tokens", "out_of_range", E)),
    );
    check(
        "max_tokens 10001",
        &[set("/agent_settings/llm/max_tokens", json!(10001))],
        Some(("agent_settings.llm.max_tokens", "out_of_range", E)),
    );
    check("prompt 32000", &[set("/agent_settings/llm/system_prompt", json!("é".repeat(32000)))], None);
    check(
        "prompt 32001",
        &[set("/agent_settings/llm/system_prompt", json!("p".repeat(32001)))],
        Some(("agent_settings.llm.system_prompt", "too_long", E)),
    );
    check(
        "api_key literal",
        &[set("/agent_settings/llm/api_key", json!("sk-proj-abc"))],
        Some(("agent_settings.llm.api_key", "secret_literal", E)),
    );
    check(
        "api_key bad ref",
        &[set("/agent_settings/llm/api_key", json!("secret://"))],
        Some(("agent_settings.llm.api_key", "invalid_secret_reference", E)),
    );
    check("api_key absent", &[remove("/agent_settings/llm/api_key")], None);
}

#[test]
fn stt_and_tts() {
    for provider in ["deepgram", "assemblyai", "google", "azure", "openai"] {
        check(provider, &[set("/agent_settings/stt/provider", json!(provider))], None);
    }
    check(
        "stt provider bad",
        &[set("/agent_settings/stt/provider", json!("whisper"))],
        Some(("agent_settings.stt.provider", "invalid_value", E)),
    );
    check("stt model absent", &[remove("/agent_settings/stt/model")], None);
    for language in ["en", "en-US", "pt-BR", "multi", "zh-Hant-TW"] {
        check(language, &[set("/agent_settings/stt/language", json!(language))], None);
    }
    check(
        "language bad",
        &[set("/agent_settings/stt/language", json!("English"))],
        Some(("agent_settings.stt.language", "invalid_format", E)),
    );
    check("endpointing 10", &[set("/agent_settings/stt/endpointing_ms", json!(10))], None);
    check(
        "endpointing 5001",
        &[set("/agent_settings/stt/endpointing_ms", json!(5001))],
        Some(("agent_settings.stt.endpointing_ms", "out_of_range", E)),
    );
    check(
        "stt key literal",
        &[set("/agent_settings/stt/api_key", json!("0123456789abcdef0123456789abcdef01234567"))],
        Some(("agent_settings.stt.api_key", "secret_literal", E)),
    );

    for provider in ["cartesia", "openai", "azure", "google", "deepgram"] {
        check(
            provider,
            &[
                set("/agent_settings/tts/provider", json!(provider)),
                remove("/agent_settings/tts/stability"),
                remove("/agent_settings/tts/similarity_boost"),
            ],
            None,
        );
    }
    check(
        "tts provider bad",
        &[set("/agent_settings/tts/provider", json!("polly"))],
        Some(("agent_settings.tts.provider", "invalid_value", E)),
    );
    check(
        "voice missing",
        &[remove("/agent_settings/tts/voice_id")],
        Some(("agent_settings.tts.voice_id", "required", E)),
    );
    check(
        "voice long",
        &[set("/agent_settings/tts/voice_id", json!("v".repeat(129)))],
        Some(("agent_settings.tts.voice_id", "too_long", E)),
    );
    check("speed 1.2 elevenlabs", &[set("/agent_settings/tts/speed", json!(1.2))], None);
    check(
        "speed 1.5 elevenlabs",
        &[set("/agent_settings/tts/speed", json!(1.5))],
        Some(("agent_settings.tts.speed", "out_of_range", E)),
    );
    check(
        "speed 0.6 elevenlabs",
        &[set("/agent_settings/tts/speed", json!(0.6))],
        Some(("agent_settings.tts.speed", "out_of_range", E)),
    );
    check(
        "speed 2.0 cartesia",
        &[
            set("/agent_settings/tts/provider", json!("cartesia")),
            remove("/agent_settings/tts/stability"),
            remove("/agent_settings/tts/similarity_boost"),
            set("/agent_settings/tts/speed", json!(2.0)),
        ],
        None,
    );
    check(
        "speed 2.1",
        &[set("/agent_settings/tts/speed", json!(2.1))],
        Some(("agent_settings.tts.speed", "out_of_range", E)),
    );
    check("stability 1", &[set("/agent_settings/tts/stability", json!(1))], None);
    check(
        "stability 1.1",
        &[set("/agent_settings/tts/stability", json!(1.1))],
        Some(("agent_settings.tts.stability", "out_of_range", E)),
    );
    check(
        "similarity -0.1",
        &[set("/agent_settings/tts/similarity_boost", json!(-0.1))],
        Some(("agent_settings.tts.similarity_boost", "out_of_range", E)),
    );
    check(
        "stability cartesia",
        &[set("/agent_settings/tts/provider", json!("cartesia"))],
        Some(("agent_settings.tts.stability", "ignored_for_provider", W)),
    );
}
