//! `voicefleet config ...` against real files.

use std::fs;

use serde_json::{Value, json};
use voicefleet_tests::scratch;

use crate::{voicefleet, voicefleet_with_stdin};

const INVALID: &str = r#"{
  "version": 2,
  "runtime": {"comand": ["x"], "secret_env": {"KEY": "plain-text-key"}},
  "agent_settings": {
    "llm": {"provider": "anthropic", "model": "claude-sonet-4-5", "temperature": 1.5,
            "api_key": "secret://anthropic_api_key"},
    "stt": {"provider": "deepgramm"},
    "tts": {"provider": "cartesia", "voice_id": "v", "stability": 0.5}
  },
  "telephony": {"provider": "twilio", "numbers": ["+15551234567", "555"]}
}
"#;

fn template_text(name: &str) -> String {
    let run = voicefleet(&["config", "template", name]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout
}

#[test]
fn validate_valid_file_exits_zero() {
    let dir = scratch();
    let file = dir.path().join("acme.json");
    fs::write(&file, template_text("default")).unwrap();
    let run = voicefleet(&["config", "validate", file.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("valid (0 errors, 0 warnings)"), "{}", run.stderr);
}

#[test]
fn validate_invalid_prints_every_issue_errors_first_and_exits_two() {
    let run = voicefleet_with_stdin(&["config", "validate", "-"], INVALID);
    assert_eq!(run.code, 2);
    insta::assert_snapshot!("validate_invalid_text", run.stdout);
    assert!(run.stderr.contains("<stdin>: invalid ("), "{}", run.stderr);
    assert!(!run.stdout.contains("plain-text-key"), "a literal secret was echoed");
}

#[test]
fn validate_json_output_is_an_array_of_issues() {
    let run = voicefleet_with_stdin(&["config", "validate", "-", "--output", "json"], INVALID);
    assert_eq!(run.code, 2);
    let issues: Vec<Value> = serde_json::from_str(&run.stdout).unwrap();
    insta::assert_json_snapshot!("validate_invalid_json", issues);
    for issue in &issues {
        let keys: Vec<&String> = issue.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["path", "code", "severity", "message"]);
    }
}

#[test]
fn validate_checks_secret_names_when_given() {
    let text = template_text("default");
    let run = voicefleet_with_stdin(
        &["config", "validate", "-", "--secrets", "openai_api_key,deepgram_api_key"],
        &text,
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stdout.contains("error: agent_settings.tts.api_key: secret `elevenlabs_api_key` is not set"),
        "{}",
        run.stdout
    );
    let run = voicefleet_with_stdin(
        &["config", "validate", "-", "--secrets", "openai_api_key,deepgram_api_key,elevenlabs_api_key"],
        &text,
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
}

#[test]
fn validate_failures_other_than_the_document() {
    let run = voicefleet(&["config", "validate", "/nonexistent/acme.json"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.starts_with("error: cannot read /nonexistent/acme.json"), "{}", run.stderr);
    let run = voicefleet_with_stdin(&["config", "validate", "-"], "{\n  \"version\": 1,\n  oops\n}");
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("malformed JSON at line 3, column 3"), "{}", run.stderr);
    assert!(run.stderr.contains("hint: "), "{}", run.stderr);
    let run = voicefleet_with_stdin(
        &["config", "validate", "-"],
        &format!("{}1{}", "[".repeat(40), "]".repeat(40)),
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("nested deeper than 32"), "{}", run.stderr);
}

#[test]
fn set_writes_json_values_and_refusals_leave_the_file_untouched() {
    let dir = scratch();
    let file = dir.path().join("acme.json");
    let path = file.to_str().unwrap();
    fs::write(&file, template_text("openai-deepgram-elevenlabs")).unwrap();

    let run = voicefleet(&["config", "set", path, "agent_settings.llm.temperature", "0.3"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let stored: Value = serde_json::from_str(&fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(stored["agent_settings"]["llm"]["temperature"], json!(0.3));
    let run = voicefleet(&["config", "set", path, "agent_settings.llm.model", "gpt-4o"]);
    assert_eq!(run.code, 0);
    assert_eq!(voicefleet(&["config", "get", path, "agent_settings.llm.model"]).stdout, "gpt-4o\n");

    let before = fs::read(&file).unwrap();
    for (dot_path, value, fragment) in [
        ("agent_settings.llm.temperature", "7", "must be between 0 and 2"),
        ("agent_settings.llm.api_key", "sk-live-abcdef", "literal secret"),
        ("telephony.numbers[9]", "+15550000000", "past the end"),
        ("version.x", "1", "not an object"),
    ] {
        let run = voicefleet(&["config", "set", path, dot_path, value]);
        assert_eq!(run.code, 2, "{dot_path}: {}", run.stderr);
        assert!(run.stderr.contains(fragment), "{dot_path}: {}", run.stderr);
        assert_eq!(fs::read(&file).unwrap(), before, "{dot_path} changed the file");
    }
    // No temporary files are left beside it.
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn unset_and_get() {
    let dir = scratch();
    let file = dir.path().join("acme.json");
    let path = file.to_str().unwrap();
    fs::write(&file, template_text("openai-deepgram-elevenlabs")).unwrap();
    assert_eq!(voicefleet(&["config", "unset", path, "webhooks"]).code, 0);
    let run = voicefleet(&["config", "get", path, "webhooks"]);
    assert_eq!(run.code, 3);
    assert!(run.stderr.contains("hint: keys at that level:"), "{}", run.stderr);
    let before = fs::read(&file).unwrap();
    assert_eq!(voicefleet(&["config", "unset", path, "runtime.command"]).code, 2);
    assert_eq!(fs::read(&file).unwrap(), before);
    let run = voicefleet(&["config", "get", path, "telephony.numbers", "--output", "json"]);
    assert_eq!(serde_json::from_str::<Value>(&run.stdout).unwrap(), json!(["+15551234567"]));
}

#[test]
fn diff_text_and_json() {
    let dir = scratch();
    let old = dir.path().join("old.json");
    let new = dir.path().join("new.json");
    fs::write(&old, template_text("default")).unwrap();
    fs::write(&new, template_text("default")).unwrap();
    let new_path = new.to_str().unwrap();
    voicefleet(&["config", "set", new_path, "agent_settings.llm.temperature", "0.2"]);
    voicefleet(&["config", "set", new_path, "runtime.env.REGION", "eu"]);
    let run = voicefleet(&["config", "diff", old.to_str().unwrap(), new_path]);
    assert_eq!(run.code, 0);
    // In document order: runtime comes before agent_settings.
    assert_eq!(run.stdout, "+ runtime.env.REGION: \"eu\"\n~ agent_settings.llm.temperature: 0.7 -> 0.2\n");
    let run = voicefleet(&["config", "diff", old.to_str().unwrap(), new_path, "-o", "json"]);
    let changes: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(changes[0], json!({"path": "runtime.env.REGION", "new": "eu"}));
}

#[test]
fn template_and_schema() {
    let names = voicefleet(&["config", "template", "--list"]).stdout;
    assert_eq!(names.lines().next(), Some("default"));
    for name in names.lines() {
        let text = template_text(name);
        assert_eq!(voicefleet_with_stdin(&["config", "validate", "-"], &text).code, 0, "{name}");
    }
    let run = voicefleet(&["config", "template", "nope"]);
    assert_eq!(run.code, 3);
    assert!(run.stderr.contains("available templates: default"), "{}", run.stderr);
    let schema: Value = serde_json::from_str(&voicefleet(&["config", "schema"]).stdout).unwrap();
    assert_eq!(schema["title"], "VoiceAgentConfig");
}
