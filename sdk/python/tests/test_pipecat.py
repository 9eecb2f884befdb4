"""The Pipecat observer on a real Pipecat pipeline (pipecat-ai from PyPI), run to the end."""

from __future__ import annotations

import asyncio
import io
import json
import os
import sys
from typing import Any, Dict, List

import pytest



sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "agents"))

from voicefleet_agent import Reporter  # noqa: E402

import pipecat_scripted  # noqa: E402


def events(out: io.StringIO) -> List[Dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_a_pipeline_run_to_the_end_is_one_call_with_its_turns() -> None:
    out = io.StringIO()
    asyncio.run(pipecat_scripted.run_call("pc-1", turns=3, reporter=Reporter(out)))
    got = events(out)
    print("\n".join(map(json.dumps, got)))
    assert [e["event"] for e in got] == ["call_started", "turn", "turn", "turn", "call_ended"]
    assert got[0] == {"event": "call_started", "call_id": "pc-1"}
    for turn in got[1:4]:
        assert turn["call_id"] == "pc-1"
        # STT 50 ms after the end of speech (plus the VAD's 200 ms stop_secs), LLM 120, TTS 40;
        # the upper bounds are loose, for a loaded CI machine.
        assert 250 <= turn["stt_ms"] < 5000, turn
        assert 120 <= turn["llm_ttft_ms"] < 5000, turn
        assert 40 <= turn["tts_ttfb_ms"] < 5000, turn
        # From the user's last sound: 200 ms of VAD silence + STT + LLM + TTS.
        assert 410 <= turn["e2e_ms"] < 10000, turn
        assert turn["e2e_ms"] >= turn["llm_ttft_ms"] + turn["tts_ttfb_ms"]
    ended = got[-1]
    assert ended["call_id"] == "pc-1" and ended["disconnect_reason"] == "agent_hangup"
    assert 1.0 < ended["duration_s"] < 60


def test_a_cancelled_pipeline_is_a_caller_hangup_and_errors_are_reported() -> None:
    out = io.StringIO()
    asyncio.run(pipecat_scripted.run_call("pc-2", turns=1, reporter=Reporter(out), hangup="cancel", fail=True))
    got = events(out)
    print("\n".join(map(json.dumps, got)))
    assert [e["event"] for e in got] == ["call_started", "turn", "error", "call_ended"]
    assert got[2]["message"].startswith("the LLM provider answered 503")
    assert got[2]["kind"]
    assert got[-1]["disconnect_reason"] == "caller_hangup"
