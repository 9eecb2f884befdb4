"""The console API fuzzed from its own OpenAPI document by schemathesis, on a live server.

Starts `voicefleet console serve` on a free loopback port, logs in as admin, and runs
schemathesis against /v1/openapi.json with the admin token: no 5xx response, and every response
conforms to the schema. Bounded in examples per operation and in time.
"""

import json
import re
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("VOICEFLEET_BIN", os.path.join(ROOT, "target", "debug", "voicefleet"))
PASSWORD = "schemathesis admin password"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture()
def console():
    if not os.path.exists(BINARY):
        pytest.fail(f"{BINARY} is missing: build it with `cargo build -p voicefleet-cli` first")
    data = tempfile.mkdtemp(prefix="voicefleet-schemathesis-")
    port = free_port()
    env = dict(os.environ, VOICEFLEET_ADMIN_PASSWORD=PASSWORD, VOICEFLEET_LOG="warn")
    process = subprocess.Popen(
        [BINARY, "--data", data, "console", "serve", "--listen", f"127.0.0.1:{port}"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/v1/health", timeout=1):
                break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("the console did not start: " + process.stderr.read().decode(errors="replace"))
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)


def test_no_server_error_and_schema_conformance(console):
    request = urllib.request.Request(
        f"{console}/v1/auth/login",
        data=json.dumps({"name": "admin", "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        token = json.load(response)["token"]
    schemathesis = os.path.join(os.path.dirname(sys.executable), "schemathesis")
    result = subprocess.run(
        [
            schemathesis, "run", f"{console}/v1/openapi.json",
            "--header", f"Authorization: Bearer {token}",
            "--checks", "not_a_server_error,response_schema_conformance",
            "--phases", "examples,fuzzing",
            "--max-examples", "15",
            "--exclude-path", "/v1/events",
            "--request-timeout", "10",
            "--seed", "1",
            "--workers", "1",
        ],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    # It really ran: every operation but the SSE stream was exercised.
    summary = result.stdout
    print(summary[-3000:])
    match = re.search(r"(\d+) generated, (\d+) passed", summary)
    assert match and int(match.group(2)) >= 100, summary[-3000:]
    assert re.search(r"Tested: (3\d|[4-9]\d)", summary), summary[-3000:]
