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
import subprocess
import sys
import tempfile

import pytest

from apiservers import AGENT_BIN, free_port, start_server, stop_server

CONFIG = """
[[operations]]
include-name = "GET /v1/ready"
checks.not_a_server_error.expected-statuses = ["2xx", "3xx", "4xx", "503"]
"""


@pytest.fixture()
def host():
    work = tempfile.mkdtemp(prefix="voicefleet-schemathesis-host-")
    state = os.path.join(work, "state")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    token_file = os.path.join(state, "admin.token")
    # A fuzzed PUT /v1/config could in theory be valid and start a voice agent: stop it on exit.
    process = start_server(
        [AGENT_BIN, "--customer-id", "acme", "--state-dir", state, "--listen", f"127.0.0.1:{port}",
         "--stop-agent-on-exit"],
        url, os.path.join(work, "host.log"), ready_file=token_file)
    try:
        with open(token_file) as file:
            yield url, file.read().strip()
    finally:
        stop_server(process)
        shutil.rmtree(work, ignore_errors=True)


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
