"""examples/agents/: each example imports, its voicefleet document is valid for `voicefleet
config validate`, the bare one runs under a real host agent, and the SDK, its adapters and the
examples type-check with mypy --strict (the SDK) and mypy (the examples)."""

from __future__ import annotations

import importlib.util
import json
import os

import subprocess
import sys
from typing import Any

import pytest

from conftest import CLI_BIN, ROOT, SDK, agent_document

EXAMPLES = os.path.join(ROOT, "examples", "agents")


@pytest.mark.parametrize("name,script", [("minimal", "agent.py"), ("pipecat", "bot.py"), ("livekit", "worker.py")])
def test_example_documents_are_valid(name: str, script: str) -> None:
    path = os.path.join(EXAMPLES, name, "voicefleet.json")
    done = subprocess.run([CLI_BIN, "config", "validate", path], capture_output=True, text=True)
    assert done.returncode == 0 and "valid (0 errors" in done.stdout + done.stderr, done.stdout + done.stderr
    document = json.load(open(path))
    assert document["runtime"]["command"][-1] == script or script in document["runtime"]["command"]


@pytest.mark.parametrize("path", ["pipecat/bot.py", "livekit/worker.py"])
def test_framework_examples_import(path: str) -> None:
    spec = importlib.util.spec_from_file_location(f"example_{path.split('/')[0]}", os.path.join(EXAMPLES, path))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert callable(getattr(module, "bot", None) or getattr(module, "entrypoint", None))


def test_mypy() -> None:
    mypy = [sys.executable, "-m", "mypy", "--no-error-summary", "--hide-error-context", "--cache-dir",
            os.path.join(SDK, ".mypy_cache")]
    if importlib.util.find_spec("mypy") is None:
        pytest.fail("mypy is missing: install the SDK with its [test] extra")
    core = subprocess.run(mypy + ["--strict", os.path.join(SDK, "src", "voicefleet_agent", "__init__.py"),
                                  os.path.join(SDK, "src", "voicefleet_agent", "_reporter.py"),
                                  os.path.join(SDK, "src", "voicefleet_agent", "_signals.py")],
                          capture_output=True, text=True)
    assert core.returncode == 0, core.stdout + core.stderr
    rest = subprocess.run(mypy + ["--ignore-missing-imports", "--follow-imports=silent",
                                  os.path.join(SDK, "src", "voicefleet_agent", "pipecat.py"),
                                  os.path.join(SDK, "src", "voicefleet_agent", "livekit.py"),
                                  os.path.join(EXAMPLES, "minimal", "agent.py")],
                          capture_output=True, text=True)
    assert rest.returncode == 0, rest.stdout + rest.stderr
    for example in ("pipecat/bot.py", "livekit/worker.py"):
        one = subprocess.run(mypy + ["--ignore-missing-imports", "--follow-imports=silent",
                                     os.path.join(EXAMPLES, example)], capture_output=True, text=True)
        assert one.returncode == 0, example + ": " + one.stdout + one.stderr


def test_the_minimal_example_runs_under_a_real_host_agent(host_factory: Any, tmp_path: Any) -> None:
    document = json.load(open(os.path.join(EXAMPLES, "minimal", "voicefleet.json")))
    document["runtime"]["command"] = agent_document("agent.py")["runtime"]["command"]  # this interpreter
    document["runtime"]["working_dir"] = os.path.join(EXAMPLES, "minimal")
    document["runtime"]["restart"] = {"policy": "never", "max_backoff_seconds": 60}
    host = host_factory(document, {"openai_api_key": "sk-test"})
    status = host.wait_for(lambda s: s["calls"]["calls_total"] >= 1 and (s["calls"]["latency_5m"].get("e2e_ms") or {})
                           .get("count", 0) >= 2, timeout=60, what="a call with two turns")
    assert status["state"] == "running" and status["calls"]["malformed_events"] == 0
    host.request("POST", "/v1/agent/stop", {"drain_timeout_seconds": 30})
    status = host.wait_for(lambda s: s["state"] == "stopped", timeout=40, what="the drained agent stopped")
    assert status["calls"]["active_calls"] == 0
    assert '"code": 0' in json.dumps(status.get("last_exit")), status.get("last_exit")
    assert any("draining:" in line for line in host.agent_log(400))


