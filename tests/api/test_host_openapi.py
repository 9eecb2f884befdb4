"""The host agent's API fuzzed from its own OpenAPI document by schemathesis, on a live server.

Starts `voicefleet-agent` for one customer on a free loopback port with an empty state directory
(no voice agent configured yet), and runs schemathesis against its /v1/openapi.json with the
break-glass admin token from STATE/admin.token: no 5xx response, and every response conforms to
the schema. The SSE streams are left out; everything else, agent control included, is exercised.
Bounded in examples per operation and in time.

One documented 5xx is allowed: GET /v1/ready is the readiness probe and answers 503 (with its
schema) while the voice agent is not running, which is the case here. Its answers are still
checked against the schema, and every other operation may not answer any 5xx.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("VOICEFLEET_AGENT_BIN", os.path.join(ROOT, "target", "debug", "voicefleet-agent"))
CONFIG = """
[[operations]]
include-name = "GET /v1/ready"
checks.not_a_server_error.expected-statuses = ["2xx", "3xx", "4xx", "503"]
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture()
def host():
    if not os.path.exists(BINARY):
        pytest.fail(f"{BINARY} is missing: build it with `cargo build -p voicefleet-agent --bin voicefleet-agent` first")
    state = tempfile.mkdtemp(prefix="voicefleet-schemathesis-host-")
    port = free_port()
    env = dict(os.environ, VOICEFLEET_LOG="warn")
    # A fuzzed PUT /v1/config could in theory be valid and start a voice agent: stop it on exit.
    process = subprocess.Popen(
        [BINARY, "--customer-id", "acme", "--state-dir", state, "--listen", f"127.0.0.1:{port}",
         "--stop-agent-on-exit"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    token_file = os.path.join(state, "admin.token")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail("the host agent exited at start: " + process.stderr.read().decode(errors="replace"))
        try:
            with urllib.request.urlopen(f"{url}/v1/health", timeout=1):
                pass
            if os.path.exists(token_file):
                break
        except OSError:
            pass
        time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("the host agent did not start: " + process.stderr.read().decode(errors="replace"))
    try:
        with open(token_file) as file:
            yield url, file.read().strip()
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(state, ignore_errors=True)


def test_no_server_error_and_schema_conformance(host, tmp_path):
    url, token = host
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    schemathesis = os.path.join(os.path.dirname(sys.executable), "schemathesis")
    result = subprocess.run(
        [
            schemathesis, "--config-file", str(config), "run", f"{url}/v1/openapi.json",
            "--header", f"Authorization: Bearer {token}",
            "--checks", "not_a_server_error,response_schema_conformance",
            "--phases", "examples,fuzzing",
            "--max-examples", "15",
            # Server-sent event streams never end; schemathesis would wait for its timeout.
            "--exclude-path", "/v1/events",
            "--exclude-path", "/v1/logs/follow",
            "--request-timeout", "10",
            "--seed", "1",
            "--workers", "1",
        ],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    # It really ran: every operation but the two streams was exercised.
    summary = result.stdout
    print(summary[-3000:])
    match = re.search(r"(\d+) generated, (\d+) passed", summary)
    assert match and int(match.group(2)) >= 50, summary[-3000:]
    selected = re.search(r"Selected: (\d+)/(\d+)", summary)
    tested = re.search(r"Tested: (\d+)", summary)
    assert selected and tested, summary[-3000:]
    assert int(selected.group(1)) >= 14 and int(tested.group(1)) == int(selected.group(1)), summary[-3000:]
