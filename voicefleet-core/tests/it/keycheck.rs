//! The key-check rules: which secrets a document uses with which provider, the request that
//! checks each provider's key, and what an answer means.

use std::collections::BTreeMap;

use serde_json::json;
use voicefleet_core::config::template;
use voicefleet_core::keycheck::{
    CHECKED_PROVIDERS, KeyCheckTarget, KeyVerdict, ProbeOutcome, ProviderUrls, probe_request, targets,
    verdict,
};

fn target(provider: &str) -> KeyCheckTarget {
    KeyCheckTarget {
        secret: format!("{provider}_key"),
        provider: provider.into(),
        path: "agent_settings.llm".into(),
        account: None,
    }
}

#[test]
fn the_default_template_uses_three_provider_keys_in_document_order() {
    let document = template("default").unwrap().as_value();
    let found = targets(&document, None).unwrap();
    let summary: Vec<(&str, &str, &str)> =
        found.iter().map(|t| (t.secret.as_str(), t.provider.as_str(), t.path.as_str())).collect();
    assert_eq!(
        summary,
        vec![
            ("openai_api_key", "openai", "agent_settings.llm"),
            ("deepgram_api_key", "deepgram", "agent_settings.stt"),
            ("elevenlabs_api_key", "elevenlabs", "agent_settings.tts"),
        ]
    );
    assert_eq!(targets(&document, Some("deepgram_api_key")).unwrap().len(), 1);
    let error = targets(&document, Some("stripe_key")).unwrap_err().to_string();
    assert!(error.contains("openai_api_key, deepgram_api_key, elevenlabs_api_key"), "{error}");
}

#[test]
fn telephony_tokens_carry_their_account_and_extensions_are_not_read() {
    let document = json!({
        "telephony": {"provider": "twilio", "account_sid": "AC0123", "auth_token": "secret://twilio_token"},
        "extensions": {"x": {"provider": "openai", "api_key": "secret://hidden"}},
        "agent_settings": {"llm": {"provider": "openai", "model": "m", "system_prompt": "secret://not_a_key_field"}}
    });
    let found = targets(&document, None).unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].account.as_deref(), Some("AC0123"));
    assert_eq!(found[0].path, "telephony");
}

#[test]
fn each_provider_is_checked_with_its_cheapest_authenticated_read() {
    let urls = ProviderUrls::default();
    let cases = [
        ("openai", "https://api.openai.com/v1/models", ("authorization", "Bearer K")),
        ("groq", "https://api.groq.com/openai/v1/models", ("authorization", "Bearer K")),
        ("anthropic", "https://api.anthropic.com/v1/models", ("x-api-key", "K")),
        ("google", "https://generativelanguage.googleapis.com/v1beta/models", ("x-goog-api-key", "K")),
        ("deepgram", "https://api.deepgram.com/v1/projects", ("authorization", "Token K")),
        ("assemblyai", "https://api.assemblyai.com/v2/transcript?limit=1", ("authorization", "K")),
        ("elevenlabs", "https://api.elevenlabs.io/v1/user", ("xi-api-key", "K")),
        ("cartesia", "https://api.cartesia.ai/voices", ("x-api-key", "K")),
        ("telnyx", "https://api.telnyx.com/v2/balance", ("authorization", "Bearer K")),
    ];
    for (provider, url, (name, value)) in cases {
        let request = probe_request(&target(provider), "K", &urls).unwrap();
        assert_eq!(request.url, url, "{provider}");
        assert!(request.headers.contains(&(name.to_owned(), value.to_owned())), "{provider}: {request:?}");
        // Debug output names headers, never their values.
        assert!(!format!("{request:?}").contains(value), "{provider}");
    }
    let mut twilio = target("twilio");
    assert!(probe_request(&twilio, "K", &urls).unwrap_err().contains("account_sid"));
    twilio.account = Some("AC1".into());
    let request = probe_request(&twilio, "K", &urls).unwrap();
    assert_eq!(request.url, "https://api.twilio.com/2010-04-01/Accounts/AC1.json");
    assert_eq!(request.basic_auth, Some(("AC1".into(), "K".into())));
    assert!(probe_request(&target("azure_openai"), "K", &urls).unwrap_err().contains("no live check"));
    assert_eq!(CHECKED_PROVIDERS.len(), 10);
    for provider in CHECKED_PROVIDERS {
        assert!(urls.base(provider).is_some(), "{provider}");
    }
}

#[test]
fn an_override_replaces_the_base_url() {
    let urls =
        ProviderUrls::new(BTreeMap::from([("openai".to_owned(), "http://127.0.0.1:4010/".to_owned())]))
            .unwrap();
    let request = probe_request(&target("openai"), "K", &urls).unwrap();
    assert_eq!(request.url, "http://127.0.0.1:4010/v1/models");
}

#[test]
fn answers_map_to_verdicts() {
    let cases = [
        (ProbeOutcome::Status(200), KeyVerdict::Valid),
        (ProbeOutcome::Status(204), KeyVerdict::Valid),
        (ProbeOutcome::Status(401), KeyVerdict::Invalid),
        (ProbeOutcome::Status(403), KeyVerdict::Invalid),
        (ProbeOutcome::Status(429), KeyVerdict::Unreachable),
        (ProbeOutcome::Status(404), KeyVerdict::Unreachable),
        (ProbeOutcome::Status(503), KeyVerdict::Unreachable),
        (ProbeOutcome::Failed("cannot connect".into()), KeyVerdict::Unreachable),
        (ProbeOutcome::Unsendable("a newline".into()), KeyVerdict::Invalid),
    ];
    for (outcome, expected) in cases {
        let (found, detail) = verdict(&outcome);
        assert_eq!(found, expected, "{outcome:?}");
        assert!(!detail.is_empty());
    }
    assert!(verdict(&ProbeOutcome::Status(429)).1.contains("try again"));
}
