"""docs/voice-agent-protocol.md: its Node.js snippet, run as the voice agent by a real host agent."""

from __future__ import annotations

import os
import re
import shutil
from typing import Any

import pytest

from conftest import ROOT, template

DOC = os.path.join(ROOT, "docs", "voice-agent-protocol.md")


def test_the_node_snippet_under_a_real_host_agent(host_factory: Any, tmp_path: Any) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is missing (scripts/test installs Debian's nodejs)")
    text = open(DOC).read()
    blocks = re.findall(r"```js\n(.*?)```", text, re.S)
    assert len(blocks) == 1, "one ```js block in the doc"
    script = tmp_path / "agent.mjs"
    script.write_text(blocks[0])
    document = template()
    document["runtime"]["command"] = [node, str(script)]
    document["runtime"]["restart"] = {"policy": "never", "max_backoff_seconds": 60}
    host = host_factory(document)
    status = host.wait_for(lambda s: ((s.get("calls") or {}).get("latency_5m") or {}).get("e2e_ms") is not None
                           and s["calls"]["calls_total"] == 1, what="the snippet's call")
    calls = status["calls"]
    assert calls["calls_total"] == 1 and calls["malformed_events"] == 0
    assert calls["disconnect_reasons"] == {"caller_hangup": 1}
    assert calls["latency_5m"]["e2e_ms"]["p95"] == 840 and calls["latency_5m"]["stt_ms"]["p95"] == 120
