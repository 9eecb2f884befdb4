"""An agent written with the SDK, run as the voice agent by a real `voicefleet-agent`.

The host agent parses the SDK's lines with the core's parser (`voicefleet_core::protocol`); its
/v1/status shows what it derived from them: active calls, calls total, errors, disconnect
reasons, the latency percentiles of every field, and no malformed event. Then a stop: SIGTERM
reaches the SDK's drain callback, the call in progress ends and the agent exits 0.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict

from conftest import HERE, agent_document

SMALL_AGENT = os.path.join(HERE, "agents", "small_agent.py")


def calls_of(status: Dict[str, Any]) -> Dict[str, Any]:
    return status.get("calls") or {}


def test_small_agent_under_a_real_host_agent(host_factory: Any) -> None:
    host = host_factory(agent_document(SMALL_AGENT))
    status = host.wait_for(
        lambda s: calls_of(s).get("calls_total", 0) >= 22 and calls_of(s).get("active_calls") == 1
        and ((calls_of(s).get("latency_5m") or {}).get("e2e_ms") or {}).get("count") == 20,
        what="22 calls, one of them active, 20 turns",
    )
    print(json.dumps({k: v for k, v in status["calls"].items() if k != "latency_histograms"}))
    calls = calls_of(status)
    assert status["state"] == "running"
    assert calls["active_calls"] == 1
    assert calls["calls_total"] == 22
    assert calls["errors_total"] == 1
    assert calls["malformed_events"] == 0
    assert calls["disconnect_reasons"] == {"caller_hangup": 20, "error": 1}
    latency = calls["latency_5m"]
    e2e = latency["e2e_ms"]
    # 20 turns: 500, 510, ... 690.
    assert e2e["count"] == 20
    assert 680 <= e2e["p95"] <= 690, e2e
    assert 590 <= e2e["p50"] <= 600, e2e
    assert latency["llm_ttft_ms"]["count"] == 20 and 300 <= latency["llm_ttft_ms"]["p95"] <= 319
    assert latency["tts_ttfb_ms"]["p95"] == 150 and latency["stt_ms"]["p95"] == 100

    # The stop drains: SIGTERM → on_drain ends the call in progress → the agent exits 0.
    host.request("POST", "/v1/agent/stop", {"drain_timeout_seconds": 20})
    status = host.wait_for(lambda s: s["state"] == "stopped", what="the agent stopped")
    assert calls_of(status)["active_calls"] == 0
    assert calls_of(status)["disconnect_reasons"] == {"caller_hangup": 20, "error": 1, "agent_hangup": 1}
    last_exit = json.dumps(status.get("last_exit"))
    assert '"code": 0' in last_exit or '"exit_code": 0' in last_exit, status.get("last_exit")


FRAMEWORKS_AGENT = os.path.join(HERE, "agents", "frameworks_agent.py")


def test_pipecat_and_livekit_adapters_under_a_real_host_agent(host_factory: Any) -> None:
    """One agent runs a Pipecat call (4 turns, ends with EndFrame) and a LiveKit session (4 turns,
    the participant disconnects); the host agent reports both calls and their latencies."""
    host = host_factory(agent_document(FRAMEWORKS_AGENT, start_seconds=5))
    status = host.wait_for(
        lambda s: calls_of(s).get("calls_total", 0) >= 2 and calls_of(s).get("active_calls") == 0
        and ((calls_of(s).get("latency_5m") or {}).get("e2e_ms") or {}).get("count") == 8,
        timeout=90, what="2 calls and 8 turns",
    )
    calls = calls_of(status)
    print(json.dumps({k: v for k, v in calls.items() if k != "latency_histograms"}))
    assert calls["calls_total"] == 2 and calls["malformed_events"] == 0
    assert calls["disconnect_reasons"] == {"agent_hangup": 1, "caller_hangup": 1}
    latency = calls["latency_5m"]
    # LiveKit's turns: e2e 1000-1300 ms (EOU 500-800 + TTFT 350 + TTFB 150); Pipecat's ~420 ms.
    assert latency["e2e_ms"]["count"] == 8
    assert 1200 <= latency["e2e_ms"]["p95"] <= 1300, latency
    assert latency["e2e_ms"]["p50"] < 1100, latency
    for stage in ("llm_ttft_ms", "tts_ttfb_ms", "stt_ms"):
        assert latency[stage]["count"] == 8, (stage, latency)
    assert latency["llm_ttft_ms"]["p95"] >= 350 and latency["tts_ttfb_ms"]["p95"] >= 150
    host.request("POST", "/v1/agent/stop", {"drain_timeout_seconds": 20})
    status = host.wait_for(lambda s: s["state"] == "stopped", what="the agent stopped")
    assert '"code": 0' in json.dumps(status.get("last_exit")) or '"exit_code": 0' in json.dumps(status.get("last_exit"))
