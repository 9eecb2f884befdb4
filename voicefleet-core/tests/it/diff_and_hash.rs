//! Diff between documents and the content hash.

use serde_json::json;
use voicefleet_core::config::{Change, ConfigDocument, REDACTED, template};

#[test]
fn diff_lists_changed_paths() {
    let old = template("openai-deepgram-elevenlabs").unwrap();
    let mut new = old.clone();
    new.set("agent_settings.llm.temperature", json!(0.2)).unwrap();
    new.set("telephony.numbers[1]", json!("+15557654321")).unwrap();
    new.unset("webhooks").unwrap();
    let changes = old.diff(&new);
    assert_eq!(
        changes,
        vec![
            Change {
                path: "agent_settings.llm.temperature".into(),
                old: Some(json!(0.7)),
                new: Some(json!(0.2))
            },
            Change { path: "telephony.numbers[1]".into(), old: None, new: Some(json!("+15557654321")) },
            Change { path: "webhooks".into(), old: Some(old.get("webhooks").unwrap().clone()), new: None },
        ]
    );
    assert!(old.diff(&old).is_empty());
}

#[test]
fn diff_redacts_secrets() {
    let base = json!({"version": 1, "runtime": {"command": ["a"]},
        "agent_settings": {"llm": {"provider": "openai", "model": "gpt-4.1", "api_key": "sk-old-0123456789abcdef"},
                           "stt": {"provider": "deepgram"}, "tts": {"provider": "cartesia", "voice_id": "v"}}});
    let old = ConfigDocument::from_value(base.clone()).unwrap();
    let mut changed = base;
    changed["agent_settings"]["llm"]["api_key"] = json!("secret://openai_api_key");
    let new = ConfigDocument::from_value(changed).unwrap();
    let changes = old.diff(&new);
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].old, Some(json!(REDACTED)));
    assert_eq!(changes[0].new, Some(json!("secret://openai_api_key")));
}

#[test]
fn hash_ignores_key_order_and_formatting() {
    let a = ConfigDocument::parse(r#"{"version": 1, "runtime": {"command": ["a"], "reload": "signal"}}"#)
        .unwrap();
    let b =
        ConfigDocument::parse("{\"runtime\":{\"reload\":\"signal\",\"command\":[\"a\"]},\n \"version\":1}")
            .unwrap();
    let c = ConfigDocument::parse(r#"{"version": 1, "runtime": {"command": ["b"], "reload": "signal"}}"#)
        .unwrap();
    assert_eq!(a.content_hash(), b.content_hash());
    assert_ne!(a.content_hash(), c.content_hash());
    assert!(a.content_hash().starts_with("sha256:"));
    assert_eq!(a.content_hash().len(), "sha256:".len() + 64);
    // Array order matters.
    let d = ConfigDocument::parse(r#"{"version": 1, "runtime": {"command": ["b", "a"]}}"#).unwrap();
    let e = ConfigDocument::parse(r#"{"version": 1, "runtime": {"command": ["a", "b"]}}"#).unwrap();
    assert_ne!(d.content_hash(), e.content_hash());
}

#[test]
fn changes_issues_and_kinds_display_as_the_frontends_print_them() {
    use voicefleet_core::ErrorKind;
    use voicefleet_core::config::{Issue, Severity};

    let mut before = template("default").unwrap();
    let mut after = before.clone();
    after.set("agent_settings.llm.temperature", json!(0.25)).unwrap();
    after.set("extensions.note", json!("new")).unwrap();
    before.set("extensions.gone", json!(1)).unwrap();
    let lines: Vec<String> = before.diff(&after).iter().map(ToString::to_string).collect();
    assert!(
        lines.iter().any(|l| l.starts_with("~ agent_settings.llm.temperature: ") && l.ends_with(" -> 0.25")),
        "{lines:?}"
    );
    assert!(lines.contains(&"+ extensions.note: \"new\"".to_owned()), "{lines:?}");
    assert!(lines.contains(&"- extensions.gone: 1".to_owned()), "{lines:?}");

    let issue = Issue {
        path: "runtime.command".into(),
        code: "empty".into(),
        severity: Severity::Error,
        message: "must not be empty".into(),
    };
    assert_eq!(issue.to_string(), "error: runtime.command: must not be empty");
    let whole = Issue { path: String::new(), severity: Severity::Warning, ..issue };
    assert_eq!(whole.to_string(), "warning: (document): must not be empty");
    assert_eq!(ErrorKind::NotFound.to_string(), "not_found");
}
