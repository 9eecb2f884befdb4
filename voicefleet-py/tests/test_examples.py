"""The examples in examples/python run against a live fleet and type-check under mypy --strict
(with the package's own stubs)."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from typing import Any, Dict

import pytest

from conftest import ROOT, Fleet, wait_until

EXAMPLES = os.path.join(ROOT, "examples", "python")


def run_example(name: str, *args: str, env: Dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, os.path.join(EXAMPLES, name), *args], env=dict(os.environ, **env),
        capture_output=True, text=True, timeout=300,
    )


@pytest.fixture()
def env(served: Fleet) -> Dict[str, str]:
    assert served.server is not None
    return {"VOICEFLEET_CONSOLE": served.server.url, "VOICEFLEET_TOKEN": served.token}


def test_fleet_report_exits_non_zero_when_something_is_down(served: Fleet, env: Dict[str, str]) -> None:
    done = run_example("fleet_report.py", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].split()[:3] == ["CUSTOMER", "STATE", "UPTIME"]
    assert {line.split()[0] for line in done.stdout.splitlines()[1:]} == {"acme", "globex"}
    served.console.stop("globex", drain_timeout=1)
    try:
        wait_until(lambda: served.console.status("globex").state == "stopped", 30, "globex stopped")
        down = run_example("fleet_report.py", env=env)
        assert down.returncode == 1, down.stderr
        assert "down: globex: stopped" in down.stderr
        only_prod = run_example("fleet_report.py", "--selector", "tier=prod", env=env)
        assert only_prod.returncode == 0, only_prod.stderr
    finally:
        served.console.start("globex")
        wait_until(lambda: served.console.status("globex").state == "running", 30, "globex running")
    refused = run_example("fleet_report.py", "--token", "not-a-token", env=env)
    assert refused.returncode == 2 and "error:" in refused.stderr


def test_rollout_patches_staging_with_a_canary(served: Fleet, env: Dict[str, str]) -> None:
    plan = run_example("rollout.py", "agent_settings.llm.temperature", "0.25", "--dry-run", env=env)
    assert plan.returncode == 0, plan.stderr
    assert "plan: patch on 1 targets (globex)" in plan.stdout and "canary: globex" in plan.stdout
    assert served.console.configs.get("globex", "agent_settings.llm.temperature") != 0.25
    done = run_example("rollout.py", "agent_settings.llm.temperature", "0.25", "--healthy-for", "1", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "outcome='succeeded'" in done.stdout and "globex" in done.stdout
    assert served.console.configs.get("globex", "agent_settings.llm.temperature") == 0.25
    assert served.console.configs.get("acme", "agent_settings.llm.temperature") != 0.25
    refused = run_example("rollout.py", "agent_settings.llm.temperature", "9", env=env)
    assert refused.returncode != 0


def test_export_metrics_to_csv(served: Fleet, env: Dict[str, str], tmp_path: Any) -> None:
    wait_until(lambda: served.console.metrics("acme", since="1h"), 30, "samples")
    output = tmp_path / "metrics.csv"
    done = run_example("export_metrics.py", str(output), "--since", "1h", env=env)
    assert done.returncode == 0, done.stderr
    with open(output) as file:
        rows = list(csv.DictReader(file))
    assert rows and {row["customer_id"] for row in rows} == {"acme", "globex"}
    assert {"at", "cpu_percent", "rss_bytes", "p95_ms"} <= set(rows[0])
    assert int(rows[0]["rss_bytes"]) > 0
    wrong = run_example("export_metrics.py", str(tmp_path / "metrics.xlsx"), env=env)
    assert wrong.returncode == 2 and ".csv or a .parquet" in wrong.stderr


def test_examples_and_package_pass_mypy_strict() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary",
         os.path.join(EXAMPLES), os.path.join(ROOT, "voicefleet-py", "python", "voicefleet")],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
