"""Every number a request can carry, at its extremes, on every route of both APIs.

A live console (`voicefleet console serve`) with one customer on a live host agent
(`voicefleet-agent`, trusting the console's key), both on loopback. From each server's own
OpenAPI document, every operation's numeric inputs are found — query and path parameters, the
top-level numeric fields of its JSON body, and `Last-Event-ID` on the event streams — and fed
values at and past the edges of every integer type (0, -1, 2^31, 2^53 + 1, i64 and u64 bounds and
one past them, 1e308, 1e400, a fraction, `nan`). Two passes:

- every input alone at every extreme value (a sweep: a failure names the input and the value);
- a property test (hypothesis): random combinations of extremes across all of an operation's
  numeric inputs at once, bounded in examples.

Each answer must be a client error or a success, never a 5xx (except the documented 503 of the
host's readiness probe while no agent runs); the server must still answer `/v1/health` after
each, and neither server may have logged a panic (a stream that panics on `cursor + 1` keeps
answering 200 and only says so in its log).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apiservers import AGENT_BIN, CONSOLE_BIN, free_port, start_server, stop_server

PASSWORD = "extreme values admin password"
EXTREMES = [
    "0", "-1", "1", "2147483648", "9007199254740993", "9223372036854775807", "9223372036854775808",
    "-9223372036854775808", "-9223372036854775809", "18446744073709551615", "18446744073709551616",
    "99999999999999999999999999", "1e308", "-1e308", "1e400", "0.5", "nan",
]
# Path parameters that are not numbers: the customer that exists, or names that do not.
STRING_PATH_VALUES = {"id": "acme", "action": "restart", "name": "no-such-name"}
# The host's readiness probe answers 503 (with its schema) while no voice agent runs.
ALLOWED_5XX = {("host", "GET", "/v1/ready"): {503}}
# Routes whose success would end the test's own session or server.
SKIPPED = {"/v1/auth/logout"}


class Server:
    def __init__(self, name: str, url: str, token: str, process: subprocess.Popen, log: str) -> None:
        self.name, self.url, self.token, self.process, self.log = name, url, token, process, log

    def spec(self) -> Dict[str, Any]:
        with urllib.request.urlopen(f"{self.url}/v1/openapi.json", timeout=10) as response:
            return json.load(response)

    def panics(self) -> str:
        with open(self.log, errors="replace") as log:
            text = log.read()
        return text if "panicked" in text else ""


def request(server: Server, method: str, path: str, query: List[Tuple[str, str]], body: Optional[bytes],
            headers: Dict[str, str], stream: bool) -> int:
    url = server.url + path + ("?" + urllib.parse.urlencode(query) if query else "")
    all_headers = {"Authorization": f"Bearer {server.token}", **headers}
    if body is not None:
        all_headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=body, headers=all_headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            if stream:
                # An event stream: let it run a moment (a stream that panics does so on its
                # first poll), then hang up.
                time.sleep(0.3)
            else:
                response.read()
            return response.status
    except urllib.error.HTTPError as error:
        error.read()
        return error.code


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/v1/health", timeout=5):
            return True
    except OSError:
        return False


def resolve(spec: Dict[str, Any], schema: Dict[str, Any]) -> Dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def is_numeric(schema: Dict[str, Any]) -> bool:
    kinds = schema.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return "integer" in kinds or "number" in kinds


class Operation:
    """One route of one server, with its numeric inputs."""

    def __init__(self, server: Server, spec: Dict[str, Any], method: str, path: str, op: Dict[str, Any]) -> None:
        self.server, self.method, self.path = server, method.upper(), path
        self.query: List[str] = []
        self.path_numbers: List[str] = []
        self.body_numbers: List[str] = []
        self.stream = "text/event-stream" in json.dumps(op.get("responses", {}))
        for parameter in op.get("parameters", []):
            numeric = is_numeric(parameter.get("schema", {}))
            if parameter["in"] == "query" and numeric:
                self.query.append(parameter["name"])
            elif parameter["in"] == "path" and numeric:
                self.path_numbers.append(parameter["name"])
        body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        self.body_schema = resolve(spec, body) if body else None
        if self.body_schema:
            for name, prop in self.body_schema.get("properties", {}).items():
                if is_numeric(resolve(spec, prop)):
                    self.body_numbers.append(name)

    def inputs(self) -> List[str]:
        names = [f"query:{n}" for n in self.query] + [f"path:{n}" for n in self.path_numbers]
        names += [f"body:{n}" for n in self.body_numbers]
        return names + (["header:Last-Event-ID"] if self.stream else [])

    def send(self, values: Dict[str, str]) -> int:
        path = self.path
        for name, value in STRING_PATH_VALUES.items():
            path = path.replace("{" + name + "}", value)
        for name in self.path_numbers:
            path = path.replace("{" + name + "}", urllib.parse.quote(values.get(f"path:{name}", "1"), safe=""))
        query = [(n, values[f"query:{n}"]) for n in self.query if f"query:{n}" in values]
        body = None
        if self.body_schema is not None:
            # Numbers as raw JSON text (1e400 and nan are not JSON a client library would write).
            fields = [f'"{n}": {values[f"body:{n}"]}' for n in self.body_numbers if f"body:{n}" in values]
            body = ("{" + ", ".join(fields) + "}").encode()
        headers = {"Last-Event-ID": values["header:Last-Event-ID"]} if "header:Last-Event-ID" in values else {}
        return request(self.server, self.method, path, query, body, headers, self.stream)

    def check(self, values: Dict[str, str]) -> None:
        status = self.send(values)
        allowed = ALLOWED_5XX.get((self.server.name, self.method, self.path), set())
        assert status < 500 or status in allowed, f"{self.server.name} {self.method} {self.path} {values}: {status}"
        assert healthy(self.server.url), f"{self.server.name} stopped answering after {self.method} {self.path} {values}"


@pytest.fixture(scope="module")
def servers() -> Iterator[List[Server]]:
    work = tempfile.mkdtemp(prefix="voicefleet-extremes-")
    data, state = os.path.join(work, "console"), os.path.join(work, "host")
    started: List[Server] = []
    try:
        console_port = free_port()
        console = start_server(
            [CONSOLE_BIN, "--data", data, "console", "serve", "--listen", f"127.0.0.1:{console_port}"],
            f"http://127.0.0.1:{console_port}", os.path.join(work, "console.log"),
            env={"VOICEFLEET_ADMIN_PASSWORD": PASSWORD})
        login = urllib.request.Request(
            f"http://127.0.0.1:{console_port}/v1/auth/login", method="POST",
            data=json.dumps({"name": "admin", "password": PASSWORD}).encode(),
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(login, timeout=10) as response:
            console_token = json.load(response)["token"]
        started.append(Server("console", f"http://127.0.0.1:{console_port}", console_token, console,
                              os.path.join(work, "console.log")))
        host_port = free_port()
        host = start_server(
            [AGENT_BIN, "--customer-id", "acme", "--state-dir", state, "--listen", f"127.0.0.1:{host_port}",
             "--console-public-key", os.path.join(data, "console.pub.pem"), "--stop-agent-on-exit"],
            f"http://127.0.0.1:{host_port}", os.path.join(work, "host.log"),
            ready_file=os.path.join(state, "admin.token"))
        with open(os.path.join(state, "admin.token")) as file:
            host_token = file.read().strip()
        started.append(Server("host", f"http://127.0.0.1:{host_port}", host_token, host,
                              os.path.join(work, "host.log")))
        add = urllib.request.Request(
            f"http://127.0.0.1:{console_port}/v1/customers", method="POST",
            data=json.dumps({"id": "acme", "endpoint": f"http://127.0.0.1:{host_port}"}).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {console_token}"})
        with urllib.request.urlopen(add, timeout=10):
            pass
        yield started
    finally:
        # The console first: it holds an event stream open to the host.
        for server in started:
            stop_server(server.process)
        shutil.rmtree(work, ignore_errors=True)


def operations(servers: List[Server]) -> List[Operation]:
    found = []
    for server in servers:
        spec = server.spec()
        for path, ops in spec["paths"].items():
            for method, op in ops.items():
                if path in SKIPPED or method not in ("get", "post", "put", "patch", "delete"):
                    continue
                operation = Operation(server, spec, method, path, op)
                if operation.inputs():
                    found.append(operation)
    return found


def test_every_numeric_input_alone_at_every_extreme(servers: List[Server]) -> None:
    ops = operations(servers)
    # Both servers really have numeric inputs, the streams among them.
    assert {op.server.name for op in ops} == {"console", "host"}, [op.path for op in ops]
    assert any(op.stream for op in ops if op.server.name == "console")
    assert any(op.stream for op in ops if op.server.name == "host")
    sent = 0
    for op in ops:
        for name in op.inputs():
            for value in EXTREMES:
                op.check({name: value})
                sent += 1
    print(f"{sent} requests over {len(ops)} operations")
    for server in servers:
        assert not server.panics(), f"the {server.name} panicked:\n{server.panics()[-3000:]}"


def test_random_combinations_of_extremes(servers: List[Server]) -> None:
    ops = [op for op in operations(servers) if len(op.inputs()) > 1]
    assert ops

    @settings(max_examples=150, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def property_holds(data: st.DataObject) -> None:
        op = data.draw(st.sampled_from(ops), label="operation")
        values = {name: data.draw(st.sampled_from(EXTREMES), label=name)
                  for name in op.inputs() if data.draw(st.booleans(), label=f"send {name}")}
        op.check(values)

    property_holds()
    for server in servers:
        assert not server.panics(), f"the {server.name} panicked:\n{server.panics()[-3000:]}"
