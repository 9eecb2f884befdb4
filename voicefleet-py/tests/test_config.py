"""The Python bindings over voicefleet-core's configuration model."""

import json

import pytest

import voicefleet


def test_templates_validate_clean():
    names = voicefleet.template_names()
    assert names[0] == "default" and len(names) >= 4
    for name in names:
        assert voicefleet.ConfigDocument.template(name).validate() == []


def test_get_set_unset_round_trip():
    doc = voicefleet.ConfigDocument.template("openai-deepgram-elevenlabs")
    assert doc.get("telephony.numbers[0]") == "+15551234567"
    assert doc.set("agent_settings.llm.temperature", 0.3) == []
    assert doc.get("agent_settings.llm.temperature") == 0.3
    doc.unset("webhooks")
    with pytest.raises(voicefleet.NotFoundError) as caught:
        doc.get("webhooks")
    assert "keys at that level" in caught.value.hint


def test_refused_set_raises_with_issues_and_changes_nothing():
    doc = voicefleet.ConfigDocument.template()
    before = doc.to_dict()
    with pytest.raises(voicefleet.InvalidInputError) as caught:
        doc.set("agent_settings.llm.temperature", 9)
    error = caught.value
    assert isinstance(error, voicefleet.VoicefleetError)
    assert error.kind == "invalid_input"
    assert error.issues == [
        {
            "path": "agent_settings.llm.temperature",
            "code": "out_of_range",
            "severity": "error",
            "message": "must be between 0 and 2, got 9",
        }
    ]
    assert doc.to_dict() == before


def test_validate_reports_every_issue_and_missing_secrets():
    data = voicefleet.ConfigDocument.template().to_dict()
    data["version"] = 3
    data["agent_settings"]["llm"]["api_key"] = "sk-literal-0123456789abcdef"
    doc = voicefleet.ConfigDocument(data)
    codes = {(i["path"], i["code"]) for i in doc.validate()}
    assert ("version", "out_of_range") in codes
    assert ("agent_settings.llm.api_key", "secret_literal") in codes
    assert not doc.is_valid()
    assert "sk-literal" not in json.dumps(doc.redacted())

    clean = voicefleet.ConfigDocument.template()
    missing = clean.validate(secrets=["openai_api_key"])
    assert {i["code"] for i in missing} == {"secret_missing"}
    assert clean.is_valid(secrets=clean.secret_references())


def test_malformed_and_wrong_shapes():
    with pytest.raises(voicefleet.InvalidInputError, match="line 1, column 13"):
        voicefleet.ConfigDocument.from_json('{"version": 1')
    with pytest.raises(voicefleet.InvalidInputError, match="not list"):
        voicefleet.ConfigDocument([1, 2])
    with pytest.raises(voicefleet.NotFoundError):
        voicefleet.ConfigDocument.template("nope")


def test_diff_hash_and_schema():
    a = voicefleet.ConfigDocument.template()
    b = voicefleet.ConfigDocument.from_json(a.to_json())
    assert a == b and a.content_hash == b.content_hash
    b.set("agent_settings.llm.temperature", 0.1)
    assert a.diff(b) == [{"path": "agent_settings.llm.temperature", "old": 0.7, "new": 0.1}]
    assert a.content_hash != b.content_hash
    schema = voicefleet.json_schema()
    assert schema["$schema"].endswith("2020-12/schema")
