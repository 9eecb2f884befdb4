"""The console API fuzzed from its own OpenAPI document by schemathesis, on a live server.

Starts `voicefleet console serve` on a free loopback port, logs in as admin, and runs
schemathesis against /v1/openapi.json with the admin token: no 5xx response, and every response
conforms to the schema. Bounded in examples per operation and in time.
"""

import json
import re
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request

import pytest

from apiservers import CONSOLE_BIN, free_port, start_server, stop_server

PASSWORD = "schemathesis admin password"


@pytest.fixture()
def console():
    work = tempfile.mkdtemp(prefix="voicefleet-schemathesis-")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = start_server(
        [CONSOLE_BIN, "--data", os.path.join(work, "console"), "console", "serve", "--listen", f"127.0.0.1:{port}"],
        url, os.path.join(work, "console.log"), env={"VOICEFLEET_ADMIN_PASSWORD": PASSWORD})
    try:
        yield url
    finally:
        stop_server(process)
        shutil.rmtree(work, ignore_errors=True)


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
            # Event streams: their events are checked by their own tests (live.rs,
            # onboard_events.rs); the document types a stream's body as text.
            "--exclude-path", "/v1/events",
            "--exclude-path", "/v1/customers/{id}/onboard/events",
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
