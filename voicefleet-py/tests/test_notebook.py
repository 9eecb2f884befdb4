"""examples/notebooks/fleet_overview.ipynb, executed headless (nbclient, a real ipykernel) against
a live `voicefleet demo` fleet, so the notebook cannot rot; and docs/python.md's last command."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from typing import Any, Dict, Iterator

import nbformat
import pytest
from nbclient import NotebookClient

import voicefleet

from conftest import CLI_BIN, ROOT, require, run_python, wait_until

NOTEBOOK = os.path.join(ROOT, "examples", "notebooks", "fleet_overview.ipynb")


def read_env(path: str) -> Dict[str, str]:
    values: Dict[str, str] = {}
    with open(path) as file:
        for line in file:
            key, _, value = line.removeprefix("export ").strip().partition("=")
            values[key] = value
    return values


@pytest.fixture(scope="module")
def demo() -> Iterator[Dict[str, str]]:
    """`voicefleet demo --no-watch` in its own data directory; yields what its demo.env says."""
    require(CLI_BIN)
    data = tempfile.mkdtemp(prefix="voicefleet-py-demo-")
    env = {k: v for k, v in os.environ.items() if k not in ("VOICEFLEET_CONSOLE", "VOICEFLEET_TOKEN")}
    log = open(os.path.join(data, "..", os.path.basename(data) + ".log"), "w+")
    process = subprocess.Popen(
        [CLI_BIN, "demo", "--data", data, "--no-watch"], env=dict(env, VOICEFLEET_LOG="warn"),
        stdout=subprocess.DEVNULL, stderr=log, start_new_session=True,
    )
    try:
        env_file = os.path.join(data, "demo.env")

        def started() -> bool:
            if process.poll() is not None:
                log.seek(0)
                pytest.fail(f"the demo exited: {log.read()[-3000:]}")
            log.seek(0)
            return "five customers running" in log.read() and os.path.exists(env_file)

        wait_until(started, 120, "the demo fleet")
        yield read_env(env_file)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        log.close()
        shutil.rmtree(data, ignore_errors=True)


def test_notebook_runs_headless_against_the_demo(demo: Dict[str, str], monkeypatch: Any) -> None:
    for key, value in demo.items():
        monkeypatch.setenv(key, value)
    console = voicefleet.Console.connect()
    # Turns give latencies within seconds; the chart cell then has something to draw.
    wait_until(
        lambda: all(m.p95_ms is not None for m in console.metrics("acme-dental", since="10m")[-1:]),
        60, "a p95 latency sample",
    )
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": ROOT}}).execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert "acme-dental" in html and "running" in html
    assert any("image/png" in o.get("data", {}) for o in outputs), "the latency chart was not drawn"
    text = "".join(o.get("text", "") for o in outputs)
    assert "5 of 5 customers running" in text
    assert "BulkPlan(action='patch'" in text
    assert not console.bulk.list(5)  # a dry run starts nothing
    assert "agent_settings.llm.temperature" in html  # the diff table


def test_docs_three_commands_give_a_dataframe(demo: Dict[str, str]) -> None:
    # docs/python.md's third command (the first two install the package and start the demo).
    done = run_python(
        "import voicefleet; print(voicefleet.Console.connect().status().to_pandas()[['customer_id', 'state']])",
        env=demo,
    )
    assert done.returncode == 0, done.stderr
    assert "acme-dental" in done.stdout and "running" in done.stdout
