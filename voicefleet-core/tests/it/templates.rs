//! Built-in templates.

use voicefleet_core::ErrorKind;
use voicefleet_core::config::{LlmProvider, SttProvider, TtsProvider, template, template_names};

#[test]
fn every_template_validates_with_no_issue_at_all() {
    let names = template_names();
    assert_eq!(names[0], "default");
    assert!(names.len() >= 4);
    for name in names {
        let document = template(name).unwrap();
        let validation = document.validate();
        assert!(validation.issues.is_empty(), "{name}: {:?}", validation.issues);
        document.typed().unwrap();
    }
}

#[test]
fn templates_cover_distinct_provider_combinations() {
    let combos: Vec<(LlmProvider, SttProvider, TtsProvider)> = template_names()
        .into_iter()
        .map(|name| {
            let typed = template(name).unwrap().typed().unwrap();
            (
                typed.agent_settings.llm.provider,
                typed.agent_settings.stt.provider,
                typed.agent_settings.tts.provider,
            )
        })
        .collect();
    assert!(combos.contains(&(LlmProvider::Openai, SttProvider::Deepgram, TtsProvider::Elevenlabs)));
    assert!(combos.contains(&(LlmProvider::Anthropic, SttProvider::Assemblyai, TtsProvider::Cartesia)));
    assert!(combos.contains(&(LlmProvider::Groq, SttProvider::Deepgram, TtsProvider::Deepgram)));
}

#[test]
fn unknown_template_names_the_choices() {
    let error = template("nope").unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound);
    assert!(error.hint().unwrap().contains("anthropic-assemblyai-cartesia"));
}
