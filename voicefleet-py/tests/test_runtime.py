"""Python manners: Ctrl-C stops long calls within a second, a forked child gets a clear error,
DataFrames need pandas only when asked for, and a log follow resumes across restarts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any, List

import pytest

import voicefleet
from voicefleet._frames import PANDAS_MISSING

from conftest import Fleet, Host, run_python, wait_until

INTERRUPT_BUDGET = 1.0


def interrupted_after(code: str, env: dict[str, str], settle: float = 0.5) -> tuple[float, str]:
    """Runs `code` (which prints `ready` before its long call), sends SIGINT `settle` seconds
    after `ready`, and gives the time from SIGINT to exit and its standard error."""
    process = subprocess.Popen(
        [sys.executable, "-u", "-c", code], env=dict(os.environ, **env),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.strip() == "ready", (line, process.stderr.read() if process.poll() is not None else "")
        time.sleep(settle)
        assert process.poll() is None, "the call ended before it was interrupted"
        sent = time.monotonic()
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
        elapsed = time.monotonic() - sent
        assert process.stderr is not None
        return elapsed, process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_ctrl_c_interrupts_a_blocking_call(tmp_path: Any) -> None:
    # A host that accepts connections and never answers: status waits for it (3 s, then a retry).
    import socket

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1]
        code = (
            "import voicefleet, sys\n"
            f"c = voicefleet.Console.open({str(tmp_path)!r})\n"
            f"c.customers.add('silent', 'http://127.0.0.1:{port}')\n"
            "print('ready')\n"
            "c.status('silent')\n"
            "print('the call finished', file=sys.stderr)\n"
        )
        elapsed, stderr = interrupted_after(code, {}, settle=0.5)
    assert "KeyboardInterrupt" in stderr and "the call finished" not in stderr, stderr
    assert elapsed < INTERRUPT_BUDGET, f"took {elapsed:.2f} s"


def test_ctrl_c_interrupts_follow_and_bulk_wait(served: Fleet) -> None:
    assert served.server is not None
    env = {"VOICEFLEET_CONSOLE": served.server.url, "VOICEFLEET_TOKEN": served.token}
    follow = (
        "import voicefleet\n"
        "lines = voicefleet.Console.connect().logs('acme').follow(tail=1)\n"
        "next(lines)\n"
        "print('ready')\n"
        "for line in lines: pass\n"
    )
    elapsed, stderr = interrupted_after(follow, env)
    assert "KeyboardInterrupt" in stderr and elapsed < INTERRUPT_BUDGET, (elapsed, stderr)
    wait = (
        "import voicefleet\n"
        "run = voicefleet.Console.connect().bulk.restart('tier=staging', healthy_for=4)\n"
        "print('ready')\n"
        "run.wait()\n"
    )
    elapsed, stderr = interrupted_after(wait, env)
    assert "KeyboardInterrupt" in stderr and elapsed < INTERRUPT_BUDGET, (elapsed, stderr)
    # The run itself goes on in the console; cancel it so the fleet is left as found.
    running = [r for r in served.console.bulk.list(5) if r.outcome == "running"]
    for report in running:
        served.console.bulk.get(report.id).cancel()
    for report in running:
        served.console.bulk.get(report.id).wait(timeout=90)


def test_a_forked_child_gets_a_clear_error_and_can_open_its_own(tmp_path: Any) -> None:
    done = run_python(
        "import os, voicefleet\n"
        f"c = voicefleet.Console.open({str(tmp_path)!r})\n"
        "c.customers.add('acme', 'http://127.0.0.1:9')\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    try:\n"
        "        c.customers.list()\n"
        "        os._exit(3)\n"
        "    except voicefleet.VoicefleetError as error:\n"
        "        print(type(error).__name__, '|', error, '|', error.hint, flush=True)\n"
        "    own = voicefleet.Console.open(os.environ['DATA'])\n"
        "    print('child opened its own:', [x.id for x in own.customers.list()], flush=True)\n"
        "    os._exit(0)\n"
        "_, status = os.waitpid(pid, 0)\n"
        "print('child exit', os.waitstatus_to_exitcode(status))\n"
        "print('parent still works', [x.id for x in c.customers.list()])\n",
        env={"DATA": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    assert "UnavailableError | this console was opened in process" in done.stdout, done.stdout
    assert "forked from it" in done.stdout and "open the console again in the child" in done.stdout
    assert "child opened its own: ['acme']" in done.stdout
    assert "child exit 0" in done.stdout and "parent still works ['acme']" in done.stdout


def test_to_pandas_without_pandas(monkeypatch: Any) -> None:
    table = voicefleet.Table(voicefleet.Secret, [])
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="pip install pandas") as caught:
        table.to_pandas()
    assert str(caught.value) == PANDAS_MISSING
    # Everything else works without it.
    assert list(table) == [] and "<table>" in table._repr_html_()


def test_follow_resumes_across_agent_and_host_agent_restarts(fleet: Fleet) -> None:
    console = fleet.console
    host: Host = fleet.hosts["acme"]
    seen: List[voicefleet.LogLine] = []
    follow = console.logs("acme").follow(tail=5, poll_interval=0.1, timeout=120)

    def take(count: int) -> None:
        target = len(seen) + count
        for line in follow:
            seen.append(line)
            if len(seen) >= target:
                return

    take(20)
    old_pid = console.status("acme").pid
    console.restart("acme", drain_timeout=1)
    wait_until(lambda: console.status("acme").pid not in (None, old_pid), 30, "a new agent process")
    take(20)
    # The host agent daemon dies hard and comes back 1.5 s later: the follow waits for it.
    host.kill()
    killed_at = time.time()
    restart = threading.Timer(1.5, host.start)
    restart.start()
    try:
        while not any(line.time.timestamp() > killed_at + 1.5 for line in seen[-5:]):
            take(5)
    finally:
        restart.join(timeout=60)
    take(10)
    seqs = [line.seq for line in seen]
    assert seqs == sorted(set(seqs)), "a line repeated or came out of order"
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "a line was lost"
    assert any(line.time.timestamp() < killed_at for line in seen)


def test_blocking_calls_release_the_gil(tmp_path: Any) -> None:
    import socket

    console = voicefleet.Console.open(str(tmp_path))
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        console.customers.add("silent", f"http://127.0.0.1:{silent.getsockname()[1]}")
        answers: List[Any] = []
        call = threading.Thread(target=lambda: answers.append(console.status("silent")))
        call.start()
        time.sleep(0.3)
        started, spins = time.monotonic(), 0
        while time.monotonic() - started < 0.5:
            spins += 1
        # This thread ran Python for half a second while the other was still inside the call.
        assert call.is_alive() and not answers and spins > 1000
        call.join(timeout=30)
    assert answers and answers[0].state == "unreachable"
