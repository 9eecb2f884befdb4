"""Starting and stopping the two servers the API tests run against: `voicefleet console serve`
and `voicefleet-agent`, on free loopback ports, each wait bounded in time. (Not a conftest.py:
the Python bindings' tests, run in the same pytest process, import their own `conftest`.)"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from typing import Dict, List, Optional

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONSOLE_BIN = os.environ.get("VOICEFLEET_BIN", os.path.join(ROOT, "target", "debug", "voicefleet"))
AGENT_BIN = os.environ.get("VOICEFLEET_AGENT_BIN", os.path.join(ROOT, "target", "debug", "voicefleet-agent"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(argv: List[str], url: str, log_path: str, env: Optional[Dict[str, str]] = None,
                 ready_file: Optional[str] = None, timeout: float = 30) -> "subprocess.Popen[bytes]":
    """Starts `argv` (its stderr in `log_path`) and waits until `url` answers `/v1/health` (and
    `ready_file` exists, when given). Fails the test with the server's log if it does not."""
    if not os.path.exists(argv[0]):
        pytest.fail(f"{argv[0]} is missing: build it with `cargo build -p voicefleet-cli -p voicefleet-agent` first")
    with open(log_path, "ab") as log:
        process = subprocess.Popen(argv, env=dict(os.environ, VOICEFLEET_LOG="warn", **(env or {})),
                                   stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/v1/health", timeout=1):
                pass
            if ready_file is None or os.path.exists(ready_file):
                return process
        except OSError:
            pass
        time.sleep(0.1)
    stop_server(process)
    with open(log_path, errors="replace") as log:
        pytest.fail(f"{argv[0]} did not start: {log.read()[-3000:]}")


def stop_server(process: "subprocess.Popen[bytes]") -> None:
    """SIGTERM, then SIGKILL if it has not ended within 30 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
