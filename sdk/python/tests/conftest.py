"""Shared helpers: a real `voicefleet-agent` running a voice agent written with the SDK."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from typing import Any, Dict, Iterator, List, Optional

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SDK = os.path.dirname(HERE)
ROOT = os.path.dirname(os.path.dirname(SDK))
AGENT_BIN = os.environ.get("VOICEFLEET_AGENT_BIN", os.path.join(ROOT, "target", "debug", "voicefleet-agent"))
CLI_BIN = os.environ.get("VOICEFLEET_BIN", os.path.join(ROOT, "target", "debug", "voicefleet"))
SECRETS = {
    "openai_api_key": "sk-test-openai",
    "deepgram_api_key": "dg-test",
    "elevenlabs_api_key": "el-test",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def template() -> Dict[str, Any]:
    """The document `voicefleet config template` prints (it references the three secrets)."""
    if not os.path.exists(CLI_BIN):
        pytest.fail(f"{CLI_BIN} is missing: build it with `cargo build -p voicefleet-cli --bin voicefleet`")
    out = subprocess.run([CLI_BIN, "config", "template"], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


class Host:
    """A `voicefleet-agent` for one customer, on a free loopback port, with a fresh state dir."""

    def __init__(self, document: Dict[str, Any], secrets: Optional[Dict[str, str]] = None) -> None:
        if not os.path.exists(AGENT_BIN):
            pytest.fail(f"{AGENT_BIN} is missing: build it with `cargo build -p voicefleet-agent --bin voicefleet-agent`")
        self.state = tempfile.mkdtemp(prefix="voicefleet-sdk-host-")
        config_path = os.path.join(self.state, "..", os.path.basename(self.state) + "-config.json")
        self.config_path = os.path.abspath(config_path)
        self.secrets_path = self.config_path.replace("-config.json", "-secrets.json")
        with open(self.config_path, "w") as file:
            json.dump(document, file)
        with open(self.secrets_path, "w") as file:
            json.dump(secrets if secrets is not None else SECRETS, file)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.stderr = open(os.path.join(self.state, "..", os.path.basename(self.state) + "-host.log"), "w+")
        self.process = subprocess.Popen(
            [AGENT_BIN, "--customer-id", "acme-dental", "--state-dir", self.state, "--listen",
             f"127.0.0.1:{self.port}", "--config", self.config_path, "--secrets-file", self.secrets_path,
             "--stop-agent-on-exit"],
            env=dict(os.environ, VOICEFLEET_LOG="warn"),
            stdout=subprocess.DEVNULL, stderr=self.stderr,
        )
        token_file = os.path.join(self.state, "admin.token")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the host agent exited at start: {self.log()}")
            if os.path.exists(token_file):
                try:
                    with urllib.request.urlopen(f"{self.url}/v1/health", timeout=1):
                        break
                except OSError:
                    pass
            time.sleep(0.1)
        else:
            self.close()
            pytest.fail(f"the host agent did not start: {self.log()}")
        with open(token_file) as file:
            self.token = file.read().strip()

    def log(self) -> str:
        self.stderr.flush()
        self.stderr.seek(0)
        return self.stderr.read()[-4000:]

    def request(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                text = response.read().decode()
        except urllib.error.HTTPError as error:
            text = error.read().decode()
        return json.loads(text) if text.strip().startswith(("{", "[")) else text

    def status(self) -> Dict[str, Any]:
        return self.request("GET", "/v1/status")

    def agent_log(self, tail: int = 200) -> List[str]:
        answer = self.request("GET", f"/v1/logs?tail={tail}&stream=all")
        return [line.get("line", line.get("text", "")) if isinstance(line, dict) else str(line)
                for line in answer.get("lines", [])] if isinstance(answer, dict) else [str(answer)]

    def wait_for(self, predicate: Any, timeout: float = 30.0, what: str = "the status") -> Dict[str, Any]:
        deadline = time.monotonic() + timeout
        status: Dict[str, Any] = {}
        while time.monotonic() < deadline:
            status = self.status()
            if predicate(status):
                return status
            time.sleep(0.2)
        pytest.fail(f"timed out waiting for {what}; last status: {json.dumps(status)[:3000]}\n"
                    f"agent log: {self.agent_log(60)}\nhost log: {self.log()}")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.stderr.close()
        shutil.rmtree(self.state, ignore_errors=True)
        for path in (self.config_path, self.secrets_path, self.stderr.name):
            try:
                os.remove(path)
            except OSError:
                pass


@pytest.fixture()
def host_factory() -> Iterator[Any]:
    hosts: List[Host] = []

    def make(document: Dict[str, Any], secrets: Optional[Dict[str, str]] = None) -> Host:
        host = Host(document, secrets)
        hosts.append(host)
        return host

    yield make
    for host in hosts:
        host.close()


def agent_document(script: str, *args: str, **runtime: Any) -> Dict[str, Any]:
    """The template with `runtime.command` running `script` under this interpreter."""
    document = template()
    document["runtime"]["command"] = [sys.executable, script, *args]
    document["runtime"]["restart"] = {"policy": "never", "max_backoff_seconds": 60}
    document["runtime"]["drain_timeout_seconds"] = 20
    document["runtime"].update(runtime)
    return document
