"""The SDK on its own: the lines it writes, calls in progress, config and secrets, signals,
threads and asyncio, and a standard output that is closed or whose reader went away."""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from typing import Any, Dict, List

import pytest

import voicefleet_agent as vf
from voicefleet_agent import Reporter

from conftest import SDK


def lines(stream: io.StringIO) -> List[Dict[str, Any]]:
    text = stream.getvalue()
    assert text.endswith("\n") or not text
    return [json.loads(line) for line in text.splitlines()]


def test_every_event_is_one_line_with_exactly_the_protocol_fields() -> None:
    out = io.StringIO()
    r = Reporter(out)
    assert r.ready()
    r.call_started("c-1842")
    r.turn("c-1842", e2e_ms=840, llm_ttft_ms=390, tts_ttfb_ms=160, stt_ms=120)
    r.turn("c-1842", e2e_ms=900.5)
    r.call_ended("c-1842", 63.2, "caller_hangup")
    r.error("provider_timeout", "deepgram did not answer in 5 s")
    assert lines(out) == [
        {"event": "ready"},
        {"event": "call_started", "call_id": "c-1842"},
        {"event": "turn", "call_id": "c-1842", "e2e_ms": 840, "llm_ttft_ms": 390, "tts_ttfb_ms": 160, "stt_ms": 120},
        {"event": "turn", "call_id": "c-1842", "e2e_ms": 900.5},
        {"event": "call_ended", "call_id": "c-1842", "duration_s": 63.2, "disconnect_reason": "caller_hangup"},
        {"event": "error", "kind": "provider_timeout", "message": "deepgram did not answer in 5 s"},
    ]


def test_values_the_host_would_refuse_are_left_out_not_written() -> None:
    out = io.StringIO()
    r = Reporter(out)
    r.turn("c", e2e_ms=float("nan"), llm_ttft_ms=float("inf"), tts_ttfb_ms=-1, stt_ms=True)  # type: ignore[arg-type]
    r.turn(None, e2e_ms=10)
    r.call_ended("never-started")
    assert lines(out) == [
        {"event": "turn", "call_id": "c"},
        {"event": "turn", "e2e_ms": 10},
        {"event": "call_ended", "call_id": "never-started"},
    ]
    with pytest.raises(ValueError):
        r.call_started("")


def test_messages_and_odd_characters_stay_on_one_short_line() -> None:
    out = io.StringIO()
    r = Reporter(out)
    r.error("reload_failed", "line one\nline two \u00e9\u2028" + "x" * 10_000)
    text = out.getvalue()
    assert text.count("\n") == 1 and len(text.encode()) < 4096
    event = json.loads(text)
    assert event["message"].startswith("line one\nline two \u00e9\u2028") and event["message"].endswith("...")
    assert len(event["message"]) == vf.MAX_MESSAGE_CHARS


def test_call_context_manager_reports_duration_and_reason() -> None:
    out = io.StringIO()
    r = Reporter(out)
    with r.call("a") as call:
        assert r.active_calls() == 1 and r.active_call_ids() == ["a"]
        call.turn(e2e_ms=700)
        time.sleep(0.05)
    with r.call("b") as call:
        call.disconnect_reason = "silence_timeout"
    with pytest.raises(RuntimeError):
        with r.call("c"):
            raise RuntimeError("the LLM is down")
    assert r.active_calls() == 0
    events = lines(out)
    assert [e["event"] for e in events] == [
        "call_started", "turn", "call_ended", "call_started", "call_ended", "call_started", "call_ended"]
    assert events[2]["call_id"] == "a" and events[2]["disconnect_reason"] == "caller_hangup"
    assert 0.05 <= events[2]["duration_s"] < 1
    assert events[4]["disconnect_reason"] == "silence_timeout"
    assert events[6]["disconnect_reason"] == "error"


def test_call_ended_without_duration_uses_the_time_since_the_start() -> None:
    out = io.StringIO()
    r = Reporter(out)
    r.call_started("x")
    r.call_started("x")  # the same call twice is one call, as for the host
    time.sleep(0.03)
    assert r.active_calls() == 1
    r.call_ended("x", disconnect_reason="agent_hangup")
    assert lines(out)[-1]["duration_s"] >= 0.03
    assert r.wait_for_calls(timeout=0)


def test_threads_never_interleave_lines() -> None:
    out = io.StringIO()
    r = Reporter(out)

    def worker(n: int) -> None:
        for i in range(200):
            with r.call(f"t{n}-{i}") as call:
                call.turn(e2e_ms=i, llm_ttft_ms=i, tts_ttfb_ms=i, stt_ms=i)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    events = lines(out)
    assert len(events) == 8 * 200 * 3
    assert r.active_calls() == 0


def test_asyncio_tasks_and_wait_for_calls_async() -> None:
    out = io.StringIO()
    r = Reporter(out)

    async def one(n: int) -> None:
        with r.call(f"a{n}") as call:
            await asyncio.sleep(0.01 * (n % 5))
            call.turn(e2e_ms=n)

    async def main() -> bool:
        tasks = [asyncio.create_task(one(n)) for n in range(50)]
        await asyncio.sleep(0)
        assert r.active_calls() == 50
        idle = await r.wait_for_calls_async(timeout=5)
        await asyncio.gather(*tasks)
        return idle

    assert asyncio.run(main())
    assert len(lines(out)) == 150


def test_wait_for_calls_times_out_while_a_call_is_in_progress() -> None:
    r = Reporter(io.StringIO())
    r.call_started("long")
    assert not r.wait_for_calls(timeout=0.1)
    threading.Timer(0.1, lambda: r.call_ended("long")).start()
    assert r.wait_for_calls(timeout=5)


def test_a_closed_stream_never_raises() -> None:
    out = io.StringIO()
    r = Reporter(out)
    out.close()
    assert r.ready() is False
    with r.call("c") as call:
        call.turn(e2e_ms=1)
    r.error("x", "y")
    assert r.dropped == 5


def test_module_functions_write_to_the_current_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    vf.ready()
    with vf.call("m-1"):
        vf.turn("m-1", e2e_ms=5)
    assert [json.loads(line)["event"] for line in capsys.readouterr().out.splitlines()] == [
        "ready", "call_started", "turn", "call_ended"]


def test_config_and_secrets(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"version": 1, "agent_settings": {"llm": {"api_key": "secret://openai_api_key"}}}))
    monkeypatch.setenv("VOICEFLEET_CONFIG", str(path))
    monkeypatch.setenv("VOICEFLEET_SECRET_OPENAI_API_KEY", "sk-1")
    monkeypatch.setenv("VOICEFLEET_CUSTOMER_ID", "acme-dental")
    document = vf.config()
    assert document["version"] == 1
    assert vf.secret("openai_api_key") == "sk-1"
    assert vf.secret(document["agent_settings"]["llm"]["api_key"]) == "sk-1"
    assert vf.referenced_secrets(document) == {"openai_api_key"}
    assert vf.customer_id() == "acme-dental"
    assert vf.secret("missing", None) is None
    with pytest.raises(KeyError, match="VOICEFLEET_SECRET_MISSING"):
        vf.secret("missing")
    path.write_text("{not json")
    with pytest.raises(vf.ConfigError):
        vf.config()
    monkeypatch.delenv("VOICEFLEET_CONFIG")
    with pytest.raises(vf.ConfigError, match="VOICEFLEET_CONFIG is not set"):
        vf.config()


def run_agent(code: str, **kwargs: Any) -> "subprocess.Popen[str]":
    env = dict(os.environ, PYTHONPATH=os.path.join(SDK, "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.update(kwargs.pop("env", {}))
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], env=env, text=True,
                            stdout=kwargs.pop("stdout", subprocess.PIPE), stderr=subprocess.PIPE, **kwargs)


def read_event(process: "subprocess.Popen[str]") -> Dict[str, Any]:
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line, process.stderr.read() if process.stderr else ""
    return json.loads(line)


def test_sigterm_drains_a_threaded_agent() -> None:
    process = run_agent("""
        import threading, time, voicefleet_agent as vf
        def drain():
            print("draining with", vf.active_calls(), "calls", flush=True)
            vf.wait_for_calls()
        vf.on_drain(drain)
        vf.call_started("c-1")
        vf.ready()
        while not vf.draining():
            time.sleep(0.01)
        time.sleep(0.2)
        vf.call_ended("c-1", disconnect_reason="caller_hangup")
        vf.wait_for_calls()
    """)
    assert read_event(process) == {"event": "call_started", "call_id": "c-1"}
    assert read_event(process) == {"event": "ready"}
    process.send_signal(signal.SIGTERM)
    assert process.stdout is not None
    assert process.stdout.readline() == "draining with 1 calls\n"
    ended = read_event(process)
    assert ended["event"] == "call_ended" and ended["duration_s"] > 0
    assert process.wait(timeout=10) == 0


def test_sighup_reloads_the_configuration_and_reports_a_failed_reload(tmp_path: Any) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"agent_settings": {"llm": {"temperature": 0.7}}}))
    process = run_agent("""
        import asyncio, voicefleet_agent as vf
        async def main():
            done = asyncio.Event()
            async def reloaded(config):
                print("temperature", config["agent_settings"]["llm"]["temperature"], flush=True)
            vf.on_reload(reloaded)
            vf.on_drain(done.set)
            vf.ready()
            await done.wait()
        asyncio.run(main())
    """, env={"VOICEFLEET_CONFIG": str(path)})
    assert read_event(process) == {"event": "ready"}
    path.write_text(json.dumps({"agent_settings": {"llm": {"temperature": 0.2}}}))
    process.send_signal(signal.SIGHUP)
    assert process.stdout is not None
    assert process.stdout.readline() == "temperature 0.2\n"
    path.write_text("{broken")
    process.send_signal(signal.SIGHUP)
    failed = read_event(process)
    assert failed["event"] == "error" and failed["kind"] == "reload_failed"
    assert "cannot read the configuration" in failed["message"]
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0


def test_a_reader_that_went_away_never_breaks_the_agent() -> None:
    read, write = os.pipe()
    os.close(read)  # nobody reads standard output any more: every write is EPIPE
    process = run_agent("""
        import voicefleet_agent as vf
        for n in range(100):
            with vf.call(f"c-{n}") as call:
                call.turn(e2e_ms=n)
        print("still here", vf.reporter().dropped, file=__import__("sys").stderr)
    """, stdout=write)
    os.close(write)
    assert process.wait(timeout=20) == 0
    assert process.stderr is not None
    err = process.stderr.read()
    assert "still here 300" in err and "Traceback" not in err and "BrokenPipe" not in err, err


def test_a_closed_stdout_never_breaks_the_agent() -> None:
    process = run_agent("""
        import sys, voicefleet_agent as vf
        sys.stdout.close()
        vf.ready(); vf.error("x", "y")
        with vf.call("c"):
            pass
        print("ok", vf.reporter().dropped, file=sys.stderr)
    """)
    assert process.wait(timeout=20) == 0
    assert process.stderr is not None
    assert process.stderr.read().strip() == "ok 4"


def test_the_package_is_typed() -> None:
    import voicefleet_agent

    assert os.path.exists(os.path.join(os.path.dirname(voicefleet_agent.__file__), "py.typed"))
