"""A real fleet on loopback for the Python tests: `voicefleet-agent` host daemons (each
supervising the simulated voice agent) behind a console that is either embedded in this process
(`Console.open`) or a `voicefleet console serve` process (`Console.connect`). Every process is
started and stopped here; every wait is bounded in time."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from typing import Any, Callable, Dict, Iterator, List, Optional

import pytest

import voicefleet

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CLI_BIN = os.environ.get("VOICEFLEET_BIN", os.path.join(ROOT, "target", "debug", "voicefleet"))
AGENT_BIN = os.environ.get("VOICEFLEET_AGENT_BIN", os.path.join(ROOT, "target", "debug", "voicefleet-agent"))
ADMIN_PASSWORD = "python tests admin password"
SECRETS = {"openai_api_key": "sk-test-0123456789abcdef", "deepgram_api_key": "dg-test", "elevenlabs_api_key": "el-test"}


def require(binary: str) -> None:
    if not os.path.exists(binary):
        pytest.fail(f"{binary} is missing: build it with `cargo build -p voicefleet-cli -p voicefleet-agent`")


class _Provider(http.server.BaseHTTPRequestHandler):
    """A stand-in for the voice providers' APIs: it knows the OpenAI key in SECRETS only."""

    def do_GET(self) -> None:  # noqa: N802 (the handler's name is http.server's)
        known = self.path == "/v1/models" and self.headers.get("authorization") == f"Bearer {SECRETS['openai_api_key']}"
        self.send_response(200 if known else 401)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (http.server's name)
        pass


_PROVIDER: Optional[str] = None


def provider_url() -> str:
    """The stand-in provider's base URL (started once, on loopback)."""
    global _PROVIDER
    if _PROVIDER is None:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Provider)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        _PROVIDER = f"http://127.0.0.1:{server.server_address[1]}"
    return _PROVIDER


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.1) -> Any:
    """Polls `predicate` until it is truthy, for at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout} s waiting for {what} (last: {last!r})")


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/v1/health", timeout=1):
            return True
    except OSError:
        return False


def simulated_config() -> voicefleet.ConfigDocument:
    """The default template running the simulated voice agent, with calls and turns often."""
    doc = voicefleet.ConfigDocument.template("default")
    doc.set("runtime.command", [AGENT_BIN, "__simulate"])
    doc.set("runtime.start_seconds", 1)
    doc.set("runtime.drain_timeout_seconds", 2)
    doc.set("extensions.simulator", {
        "ready_delay_ms": 100, "call_interval_ms": 300, "call_duration_ms": 1500,
        "turn_interval_ms": 150, "error_every_turns": 25,
    })
    return doc


class Host:
    """A `voicefleet-agent` daemon for one customer on a loopback port, trusting the console key."""

    def __init__(self, customer: str, public_key: str, workdir: str) -> None:
        require(AGENT_BIN)
        self.customer = customer
        self.public_key = public_key
        self.state = os.path.join(workdir, f"host-{customer}")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = os.path.join(workdir, f"host-{customer}.log")
        self.process: Optional[subprocess.Popen[bytes]] = None
        self.start()

    def start(self) -> None:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [AGENT_BIN, "--customer-id", self.customer, "--state-dir", self.state,
                 "--listen", f"127.0.0.1:{self.port}", "--console-public-key", self.public_key,
                 "--stop-agent-on-exit", "--provider-url",
                 ",".join(f"{p}={provider_url()}" for p in ("openai", "deepgram", "elevenlabs"))],
                env=dict(os.environ, VOICEFLEET_LOG="warn"), stdout=subprocess.DEVNULL, stderr=log,
            )
        wait_until(lambda: self.exited_early() or healthy(self.url), 30, f"host agent {self.customer}")

    def exited_early(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            with open(self.log_path) as log:
                pytest.fail(f"host agent {self.customer} exited: {log.read()[-3000:]}")
        return False

    def kill(self) -> None:
        """SIGKILL: the voice agent (under its shim) keeps running and is adopted on restart."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        # After a failure the voice agent (its own process group) and its shim may remain.
        try:
            with open(os.path.join(self.state, "run", "child.json")) as file:
                child = json.load(file)
        except (OSError, ValueError):
            return
        for kill in (lambda: os.killpg(int(child["pgid"]), signal.SIGKILL),
                     lambda: os.kill(int(child["shim_pid"]), signal.SIGKILL)):
            try:
                kill()
            except (OSError, KeyError, TypeError, ValueError):
                pass


class ConsoleServer:
    """`voicefleet console serve` on a free loopback port."""

    def __init__(self, data: str, workdir: str) -> None:
        require(CLI_BIN)
        self.data = data
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(os.path.join(workdir, "console.log"), "wb")
        self.process = subprocess.Popen(
            [CLI_BIN, "--data", data, "console", "serve", "--listen", f"127.0.0.1:{self.port}"],
            env=dict(os.environ, VOICEFLEET_ADMIN_PASSWORD=ADMIN_PASSWORD, VOICEFLEET_LOG="warn"),
            stdout=subprocess.DEVNULL, stderr=self.log,
        )
        wait_until(lambda: self.process.poll() is None and healthy(self.url), 30, "the console server")

    def login(self, name: str = "admin", password: str = ADMIN_PASSWORD) -> str:
        request = urllib.request.Request(
            f"{self.url}/v1/auth/login", data=json.dumps({"name": name, "password": password}).encode(),
            headers={"Content-Type": "application/json"}, method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return str(json.load(response)["token"])

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.log.close()


class Fleet:
    """A console (embedded or served) with two customers, each on its own running host agent."""

    CUSTOMERS = {"acme": {"tier": "prod"}, "globex": {"tier": "staging"}}

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.workdir = tempfile.mkdtemp(prefix=f"voicefleet-py-{mode}-")
        self.data = os.path.join(self.workdir, "console")
        self.server: Optional[ConsoleServer] = None
        self.hosts: Dict[str, Host] = {}
        if mode == "open":
            self.console = voicefleet.Console.open(self.data)
        else:
            self.server = ConsoleServer(self.data, self.workdir)
            self.token = self.server.login()
            self.console = voicefleet.Console.connect(self.server.url, token=self.token)
        key = os.path.join(self.data, "console.pub.pem")
        for customer, tags in self.CUSTOMERS.items():
            host = Host(customer, key, self.workdir)
            self.hosts[customer] = host
            self.console.customers.add(customer, host.url, name=customer.title(), tags=tags)
            for name, value in SECRETS.items():
                self.console.secrets.set(customer, name, value)
            self.console.configs.push(customer, simulated_config(), "first version")
            self.console.configs.deploy(customer)
            self.console.start(customer)
        wait_until(self.all_running, 30, "every agent running")

    def all_running(self) -> bool:
        return all(s.state == "running" for s in self.console.status())

    def close(self) -> None:
        # The console first: it holds an event stream open to every host, which a host's
        # graceful shutdown would otherwise wait out.
        if self.server is not None:
            self.server.stop()
        for host in self.hosts.values():
            host.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


@pytest.fixture(scope="module", params=["open", "connect"])
def fleet(request: Any) -> Iterator[Fleet]:
    """The same fleet behind each implementation of the fleet trait."""
    built = Fleet(request.param)
    try:
        yield built
    finally:
        built.close()


@pytest.fixture(scope="module")
def served() -> Iterator[Fleet]:
    """A fleet behind a console server only (tokens, roles, other processes)."""
    built = Fleet("connect")
    try:
        yield built
    finally:
        built.close()


def run_python(code: str, env: Optional[Dict[str, str]] = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Runs `code` in a fresh interpreter of this venv."""
    import sys

    return subprocess.run(
        [sys.executable, "-c", code], env=dict(os.environ, **(env or {})), capture_output=True,
        text=True, timeout=timeout,
    )


def lines(values: List[Any]) -> List[int]:
    return [v.seq for v in values]
