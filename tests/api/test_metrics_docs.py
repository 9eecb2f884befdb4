"""docs/metrics.md and the Grafana dashboard (deploy/grafana/voicefleet.json) against live scrapes.

Starts a live host agent running the simulated voice agent (so calls start, end and have turn
latencies) and a live console with that host added as a customer, then makes the console's
label families appear: a refused login, a finished bulk run (restart), host requests (polls). Both
`/metrics` endpoints are scraped in the classic text format, and:

- every metric family documented in docs/metrics.md exists in a scrape, with the documented type;
- every metric family exposed is documented;
- every metric name in the dashboard's PromQL exists (`_bucket`, `_sum`, `_count` only on
  histograms), and every label matched in a selector exists on that metric;
- `promtool check metrics` passes on both scrapes.
"""

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest

from apiservers import AGENT_BIN, CONSOLE_BIN, ROOT, free_port, start_server, stop_server

DOCS = os.path.join(ROOT, "docs", "metrics.md")
DASHBOARD = os.path.join(ROOT, "deploy", "grafana", "voicefleet.json")
PASSWORD = "metrics docs admin password"
CUSTOMER = "acme"
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def request(url, token=None, body=None, method=None, accept=None):
    headers = {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        headers["Content-Type"] = "application/json"
    if accept:
        headers["Accept"] = accept
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    with urllib.request.urlopen(req, timeout=15) as response:
        text = response.read().decode()
        return response.status, response.headers.get("Content-Type", ""), text


def wait_until(what, predicate, timeout=60):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except (OSError, ValueError) as error:
            last = error
        time.sleep(0.25)
    pytest.fail(f"timed out waiting for {what} (last: {last!r})")


def host_config():
    """A configuration running the simulated voice agent (the agent binary's `__simulate`), fast."""
    return {
        "version": 1,
        "runtime": {
            "command": [AGENT_BIN, "__simulate"],
            "env": {"LOG_LEVEL": "info"},
            "secret_env": {"OPENAI_API_KEY": "secret://openai_api_key"},
            "restart": {"policy": "always", "max_backoff_seconds": 60},
            "start_seconds": 1,
            "drain_timeout_seconds": 5,
            "reload": "signal",
            "max_concurrent_calls": 10,
            "memory_limit_mb": 2048,
        },
        "agent_settings": {
            "llm": {"provider": "openai", "model": "gpt-4.1", "temperature": 0.7, "max_tokens": 250,
                    "system_prompt": "You answer the phone.", "api_key": "secret://openai_api_key"},
            "stt": {"provider": "deepgram", "model": "nova-3", "language": "en-US", "endpointing_ms": 300,
                    "api_key": "secret://deepgram_api_key"},
            "tts": {"provider": "elevenlabs", "voice_id": "21m00Tcm4TlvDq8ikWAM", "model": "eleven_flash_v2_5",
                    "speed": 1.0, "stability": 0.5, "similarity_boost": 0.75,
                    "api_key": "secret://elevenlabs_api_key"},
            "vad": {"activation_threshold": 0.5, "min_speech_seconds": 0.05, "min_silence_seconds": 0.55,
                    "sample_rate": 16000},
            "turn": {"detection": "vad", "min_endpointing_seconds": 0.5, "max_endpointing_seconds": 3.0},
            "interruption": {"enabled": True, "min_duration_seconds": 0.5, "min_words": 0},
            "call": {"first_message": "Hello", "max_duration_seconds": 600, "silence_timeout_seconds": 30,
                     "end_call_phrases": ["goodbye"]},
        },
        "telephony": {"provider": "twilio", "numbers": ["+15551234567"],
                      "account_sid": "AC0123456789abcdef0123456789abcdef", "auth_token": "secret://twilio_auth_token"},
        "extensions": {"simulator": {"ready_delay_ms": 100, "call_interval_ms": 200, "call_duration_ms": 1000,
                                     "turn_interval_ms": 150, "error_every_turns": 5}},
    }


SECRETS = {name: f"test-{name}-not-a-real-key"
           for name in ("openai_api_key", "deepgram_api_key", "elevenlabs_api_key", "twilio_auth_token")}


@pytest.fixture(scope="module")
def scrapes():
    """Classic-format scrapes of a live host agent and of a live console that polls it."""
    work = tempfile.mkdtemp(prefix="voicefleet-metrics-docs-")
    processes = []
    try:
        # The console first: the host must trust its public key.
        data = os.path.join(work, "console")
        console_port = free_port()
        console = f"http://127.0.0.1:{console_port}"
        processes.append(start_server(
            [CONSOLE_BIN, "--data", data, "console", "serve", "--listen", f"127.0.0.1:{console_port}"],
            console, os.path.join(work, "console.log"), env={"VOICEFLEET_ADMIN_PASSWORD": PASSWORD}))
        public_key = os.path.join(data, "console.pub.pem")
        wait_until("the console's public key", lambda: os.path.exists(public_key), timeout=10)

        state = os.path.join(work, "host")
        config = os.path.join(work, "config.json")
        secrets = os.path.join(work, "secrets.json")
        with open(config, "w") as file:
            json.dump(host_config(), file)
        with open(secrets, "w") as file:
            json.dump(SECRETS, file)
        host_port = free_port()
        host = f"http://127.0.0.1:{host_port}"
        token_file = os.path.join(state, "admin.token")
        processes.append(start_server(
            [AGENT_BIN, "--customer-id", CUSTOMER, "--state-dir", state, "--listen", f"127.0.0.1:{host_port}",
             "--config", config, "--secrets-file", secrets, "--console-public-key", public_key,
             "--stop-agent-on-exit"],
            host, os.path.join(work, "host.log"), ready_file=token_file))
        with open(token_file) as file:
            host_token = file.read().strip()

        # Log in; then a refused login (voicefleet_console_login_failures_total{reason="credentials"}).
        _, _, body = request(f"{console}/v1/auth/login", body={"name": "admin", "password": PASSWORD})
        token = json.loads(body)["token"]
        with pytest.raises(urllib.error.HTTPError) as refused:
            request(f"{console}/v1/auth/login", body={"name": "admin", "password": "not the password at all"})
        assert refused.value.code == 401

        # The host as a customer (the console's per-customer series and its host requests).
        request(f"{console}/v1/customers", token, {"id": CUSTOMER, "name": "Acme", "endpoint": host}, "POST")

        # Calls that ended (voicefleet_calls_ended_total has one series per reason) and turns.
        def calls_ended():
            _, _, text = request(f"{host}/metrics", host_token)
            return "voicefleet_calls_ended_total{" in text and re.search(
                r'voicefleet_turn_latency_seconds_count\{[^}]*stage="e2e"[^}]*\} [1-9]', text)

        wait_until("calls that ended on the host", calls_ended, timeout=60)

        # A bulk run to its end (started, targets and finished counters).
        spec = {"action": {"kind": "restart"}, "selector": {"kind": "ids", "ids": [CUSTOMER]},
                "max_concurrency": {"count": 1}, "max_errors": {"count": 0}}
        _, _, body = request(f"{console}/v1/bulk", token, spec, "POST")
        run = json.loads(body)["id"]

        def bulk_finished():
            _, _, text = request(f"{console}/metrics", token)
            return "voicefleet_console_bulk_runs_finished_total{" in text

        wait_until(f"bulk run {run} to finish", bulk_finished, timeout=60)

        # The console's poll of the restarted host, with its turns again.
        def fleet_fresh():
            _, _, text = request(f"{console}/v1/status?fresh=true", token)
            _, _, metrics = request(f"{console}/metrics", token)
            return 'voicefleet_customer_up{customer="acme"} 1' in metrics and re.search(
                r'voicefleet_customer_turn_latency_seconds_count\{[^}]*stage="e2e"[^}]*\} [1-9]', metrics)

        wait_until("the console to see the host running with turns", fleet_fresh, timeout=60)

        status, content_type, console_text = request(f"{console}/metrics", token)
        assert status == 200 and content_type.startswith("text/plain; version=0.0.4"), content_type
        status, content_type, host_text = request(f"{host}/metrics", host_token)
        assert status == 200 and content_type.startswith("text/plain; version=0.0.4"), content_type
        # OpenMetrics on request, from both.
        for url, auth in ((console, token), (host, host_token)):
            _, content_type, text = request(f"{url}/metrics", auth, accept="application/openmetrics-text")
            assert content_type.startswith("application/openmetrics-text"), content_type
            assert text.rstrip().endswith("# EOF"), text[-200:]
        dump = os.environ.get("VOICEFLEET_METRICS_DUMP")  # a directory: keep the scrapes there
        if dump:
            os.makedirs(dump, exist_ok=True)
            for name, text in (("console.prom", console_text), ("host.prom", host_text)):
                with open(os.path.join(dump, name), "w") as file:
                    file.write(text)
        yield {"console": console_text, "host": host_text}
    finally:
        for process in reversed(processes):
            stop_server(process)
        shutil.rmtree(work, ignore_errors=True)


def families(text):
    """{family name: type} from a classic-format scrape's `# TYPE` lines."""
    found = {}
    for line in text.splitlines():
        match = re.match(r"# TYPE (\S+) (\S+)$", line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


def labels_of(text):
    """{sample name: set of label names} from a scrape's samples."""
    found = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? ", line)
        if match:
            names = set(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="', match.group(2) or ""))
            found.setdefault(match.group(1), set()).update(names)
    return found


def documented():
    """{family name: (type, section)} from docs/metrics.md's tables (first column: the name in
    backticks, second: the type)."""
    found = {}
    section = None
    with open(DOCS) as file:
        for line in file:
            heading = re.match(r"##+ (.*)", line)
            if heading:
                section = heading.group(1).strip()
            row = re.match(r"\|\s*`(voicefleet_[a-z0-9_]+)`\s*\|\s*(\w+)\s*\|", line)
            if row:
                assert row.group(1) not in found, f"{row.group(1)} is documented twice in docs/metrics.md"
                found[row.group(1)] = (row.group(2), section)
    return found


def dashboard_expressions():
    """Every PromQL expression of the dashboard: panel targets (rows included) and query variables."""
    with open(DASHBOARD) as file:
        dashboard = json.load(file)
    expressions = []

    def panels(items):
        for panel in items:
            yield panel
            yield from panels(panel.get("panels", []))

    for panel in panels(dashboard.get("panels", [])):
        for target in panel.get("targets", []):
            if target.get("expr"):
                expressions.append((panel.get("title", "?"), target["expr"]))
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable.get("type") == "query":
            query = variable.get("query")
            query = query.get("query") if isinstance(query, dict) else query
            if query:
                expressions.append((f"variable {variable['name']}", query))
    return dashboard, expressions


def test_documented_metrics_exist(scrapes):
    exposed = {**families(scrapes["console"]), **families(scrapes["host"])}
    docs = documented()
    assert len(docs) >= 20, f"docs/metrics.md documents only {len(docs)} metrics"
    missing = sorted(name for name in docs if name not in exposed)
    assert not missing, f"documented in docs/metrics.md but in neither scrape: {missing}"
    wrong = {name: (kind, exposed[name]) for name, (kind, _) in docs.items() if exposed[name] != kind}
    assert not wrong, f"documented type differs from the exposed one (documented, exposed): {wrong}"


def test_exposed_metrics_are_documented(scrapes):
    docs = documented()
    for service in ("console", "host"):
        undocumented = sorted(name for name in families(scrapes[service]) if name not in docs)
        assert not undocumented, f"the {service} exposes metrics docs/metrics.md does not list: {undocumented}"


def test_dashboard_uses_only_exposed_metrics(scrapes):
    exposed = {**families(scrapes["console"]), **families(scrapes["host"])}
    labels = {**labels_of(scrapes["console"]), **labels_of(scrapes["host"])}
    dashboard, expressions = dashboard_expressions()
    assert dashboard.get("schemaVersion", 0) >= 38
    variables = {variable["name"]: variable for variable in dashboard["templating"]["list"]}
    assert any(v.get("type") == "datasource" and v.get("query") == "prometheus" for v in variables.values())
    assert "label_values(" in json.dumps(variables["customer"].get("query"))
    assert len(expressions) >= 15, expressions
    problems = []
    used = set()
    for where, expression in expressions:
        names = re.findall(r"\b(voicefleet_[a-zA-Z0-9_:]+)", expression)
        if not names:
            problems.append(f"{where}: no voicefleet metric in `{expression}`")
        for name in names:
            used.add(name)
            if name in exposed:
                continue
            base = next((name[: -len(s)] for s in HISTOGRAM_SUFFIXES if name.endswith(s)), None)
            if base is None or exposed.get(base) != "histogram":
                problems.append(f"{where}: `{name}` is not exposed (nor a histogram's series)")
        # Labels matched in a selector exist on that metric.
        for name, matchers in re.findall(r"\b(voicefleet_[a-zA-Z0-9_:]+)\{([^}]*)\}", expression):
            for label in re.findall(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)", matchers):
                if label not in labels.get(name, set()):
                    problems.append(f"{where}: `{name}` has no label `{label}`")
    assert not problems, "\n".join(problems)
    print(f"{len(expressions)} dashboard expressions over {len(used)} metric names, all exposed")


@pytest.mark.parametrize("service", ["console", "host"])
def test_promtool_check_metrics(scrapes, service):
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool is missing: install Debian's `prometheus` package (scripts/test does)")
    result = subprocess.run([promtool, "check", "metrics"], input=scrapes[service],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and not result.stdout.strip() and not result.stderr.strip(), (
        f"promtool check metrics on the {service}'s /metrics:\n{result.stdout}{result.stderr}")


def histogram_problems(text):
    """Series of histograms whose buckets are not cumulative, whose `+Inf` bucket is missing or
    misspelt, or whose `+Inf` bucket differs from `_count`."""
    kinds = families(text)
    series = {}
    counts = {}
    for line in text.splitlines():
        match = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+)$", line)
        if not match:
            continue
        name, labelset, value = match.groups()
        pairs = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"', labelset))
        if name.endswith("_bucket") and kinds.get(name[:-7]) == "histogram":
            le = pairs.pop("le")
            key = (name[:-7], tuple(sorted(pairs.items())))
            series.setdefault(key, []).append((le, float(value)))
        elif name.endswith("_count") and kinds.get(name[:-6]) == "histogram":
            counts[(name[:-6], tuple(sorted(pairs.items())))] = float(value)
    problems = []
    for key, buckets in series.items():
        values = [value for _, value in buckets]
        if values != sorted(values):
            problems.append(f"{key}: buckets not cumulative")
        if buckets[-1][0] != "+Inf":
            problems.append(f"{key}: last bucket is le=\"{buckets[-1][0]}\", not le=\"+Inf\"")
        if buckets[-1][1] != counts.get(key):
            problems.append(f"{key}: last bucket {buckets[-1][1]} but _count {counts.get(key)}")
    return problems


@pytest.mark.parametrize("service", ["console", "host"])
def test_histograms_are_consistent(scrapes, service):
    problems = histogram_problems(scrapes[service])
    assert not problems, "\n".join(problems[:20])


def test_dashboard_promql_parses(tmp_path):
    """Every dashboard expression (Grafana's variables filled in) is valid PromQL, by `promtool check rules`."""
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool is missing: install Debian's `prometheus` package (scripts/test does)")
    _, expressions = dashboard_expressions()
    lines = ["groups:", "  - name: dashboard", "    rules:"]
    for number, (_, expression) in enumerate(expressions):
        if expression.startswith("label_values("):
            continue
        filled = (expression.replace("$__rate_interval", "5m").replace("$__range", "1h")
                  .replace("$customer", ".*"))
        lines += [f"      - record: voicefleet:dashboard_check_{number}", f"        expr: {json.dumps(filled)}"]
    rules = tmp_path / "rules.yml"
    rules.write_text("\n".join(lines) + "\n")
    result = subprocess.run([promtool, "check", "rules", str(rules)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
