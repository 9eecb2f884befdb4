"""The LiveKit Agents adapter, fed LiveKit's own event and metrics classes (livekit-agents
from PyPI) through a real AgentSession's event emitter."""

from __future__ import annotations

import io
import json
import os
import sys
from typing import Any, Dict, List

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "agents"))

from livekit.agents.voice.events import CloseReason  # noqa: E402

from voicefleet_agent import Reporter  # noqa: E402

import livekit_scripted  # noqa: E402


def events(out: io.StringIO) -> List[Dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_a_session_is_one_call_and_each_reply_one_turn() -> None:
    out = io.StringIO()
    livekit_scripted.run_call("lk-room-1", turns=3, reporter=Reporter(out))
    got = events(out)
    print("\n".join(map(json.dumps, got)))
    assert got[0] == {"event": "call_started", "call_id": "lk-room-1"}
    assert got[1:4] == [
        {"event": "turn", "call_id": "lk-room-1", "e2e_ms": 1000.0, "llm_ttft_ms": 350.0, "tts_ttfb_ms": 150.0,
         "stt_ms": 120.0},
        {"event": "turn", "call_id": "lk-room-1", "e2e_ms": 1100.0, "llm_ttft_ms": 350.0, "tts_ttfb_ms": 150.0,
         "stt_ms": 120.0},
        {"event": "turn", "call_id": "lk-room-1", "e2e_ms": 1200.0, "llm_ttft_ms": 350.0, "tts_ttfb_ms": 150.0,
         "stt_ms": 120.0},
    ]
    assert got[4]["event"] == "call_ended" and got[4]["disconnect_reason"] == "caller_hangup"
    assert len(got) == 5


def test_close_reasons_and_errors() -> None:
    out = io.StringIO()
    livekit_scripted.run_call("lk-2", turns=1, reporter=Reporter(out), reason=CloseReason.ERROR, fail=True)
    got = events(out)
    assert [e["event"] for e in got] == ["call_started", "turn", "error", "call_ended"]
    assert got[2]["kind"] == "llm_error" and "openai timed out" in got[2]["message"]
    assert got[3]["disconnect_reason"] == "error"
    for reason, expected in [(CloseReason.USER_INITIATED, "agent_hangup"), (CloseReason.TASK_COMPLETED, "agent_hangup"),
                             (CloseReason.JOB_SHUTDOWN, "job_shutdown")]:
        out = io.StringIO()
        livekit_scripted.run_call(None, turns=0, reporter=Reporter(out), reason=reason)
        got = events(out)
        assert [e["event"] for e in got] == ["call_started", "call_ended"]
        assert got[0]["call_id"].startswith("livekit-") and got[1]["disconnect_reason"] == expected
