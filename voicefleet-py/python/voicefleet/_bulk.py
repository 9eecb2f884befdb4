"""Bulk runs: an action over selected customers with rate control, a canary, a health gate and
automatic rollback (every rule is the console's), followed from Python."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Mapping, Optional, Sequence, Union

from voicefleet._values import BulkEvent, BulkPlan, BulkReport, Table
from voicefleet.exceptions import InvalidInputError

if TYPE_CHECKING:
    from voicefleet._voicefleet import RawConsole

Selection = Union[str, Sequence[str], Mapping[str, str], None]
Limit = Union[int, str]


def selector_text(selector: Selection) -> str:
    """``None`` or ``"all"``: every customer; ``"tier=prod"``: by tags; ``["a", "b"]``: these
    ids; ``{"tier": "prod"}``: these tags."""
    if selector is None:
        return "all"
    if isinstance(selector, str):
        return selector
    if isinstance(selector, Mapping):
        return ",".join(f"{key}={value}" for key, value in selector.items())
    return ",".join(selector)


def _seconds(value: Union[float, timedelta, None]) -> Optional[float]:
    if value is None:
        return None
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class BulkRun:
    """A bulk run started by ``console.bulk.<action>(...)``: its ``plan``, its ``report`` (read
    now), ``wait()``, ``events()`` and ``cancel()``. A dry run has only its plan."""

    def __init__(self, raw: "RawConsole", first: BulkReport) -> None:
        self._raw = raw
        self._last = first
        self.id = first.id
        self.dry_run = first.outcome == "dry_run"
        self.plan: BulkPlan = first.plan()

    def __repr__(self) -> str:
        return f"BulkRun(id={self.id!r}, action={self.plan.action!r}, outcome={self._last.outcome!r})"

    def _repr_html_(self) -> str:
        return self._last._repr_html_()

    def _fetch(self) -> BulkReport:
        if self.dry_run:
            return self._last
        self._last = BulkReport._from_json(json.loads(self._raw.bulk_run(self.id)))
        return self._last

    @property
    def report(self) -> BulkReport:
        """The run as it stands now (``outcome`` is ``running`` until it ends).

        >>> run.report.count("succeeded")
        3
        """
        return self._fetch()

    def wait(self, timeout: Optional[float] = None, poll_interval: float = 0.25) -> BulkReport:
        """Blocks until the run ends (Ctrl-C interrupts; the run goes on) and returns its report;
        ``TimeoutError`` after ``timeout`` seconds.

        >>> report = console.bulk.restart("tier=staging").wait(timeout=120)
        >>> report.outcome, report.count("failed")
        ('succeeded', 0)
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        report = self._fetch()
        while not report.finished:
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"bulk run {self.id} is still running after {timeout} s")
            time.sleep(poll_interval)
            report = self._fetch()
        return report

    def events(self, timeout: Optional[float] = None, poll_interval: float = 0.25) -> Iterator[BulkEvent]:
        """Yields each target's changes as they happen, then one ``finished`` event.

        >>> for event in run.events():
        ...     print(event.kind, event.customer_id, event.state)
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        seen: Dict[str, str] = {}
        while True:
            report = self._fetch()
            for target in report.targets:
                if seen.get(target.customer_id) != target.state:
                    seen[target.customer_id] = target.state
                    yield BulkEvent("target", self.id, target.customer_id, target.state, target)
            if report.finished:
                yield BulkEvent("finished", self.id, outcome=report.outcome)
                return
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"bulk run {self.id} is still running after {timeout} s")
            time.sleep(poll_interval)

    def cancel(self) -> BulkReport:
        """Stops starting new targets; targets in flight finish.

        >>> run.cancel().outcome
        'running'
        """
        if self.dry_run:
            return self._last
        self._last = BulkReport._from_json(json.loads(self._raw.cancel_bulk(self.id)))
        return self._last


class Bulk:
    """``console.bulk``: start, stop, restart, drain, deploy or patch many customers at once.

    Every action takes the same rate control: ``max_concurrency`` (a number or ``"10%"``),
    ``max_errors`` (no new target starts past it), ``canary`` (the first N run alone and must
    pass), a health gate (``healthy_for`` seconds running with ``max_error_rate`` and
    ``max_p95_ms``), ``auto_rollback`` and ``dry_run`` (the plan only).
    """

    def __init__(self, raw: "RawConsole") -> None:
        self._raw = raw

    def _start(self, action: str, selector: Selection, options: Dict[str, Any]) -> BulkRun:
        request = {"action": action, "selector": selector_text(selector), **options}
        return BulkRun(self._raw, BulkReport._from_json(json.loads(self._raw.start_bulk(json.dumps(request)))))

    @staticmethod
    def _options(
        max_concurrency: Limit, max_errors: Limit, canary: int, healthy_for: Union[float, timedelta, None],
        max_error_rate: Optional[float], max_p95_ms: Optional[float], auto_rollback: bool, dry_run: bool,
    ) -> Dict[str, Any]:
        if not isinstance(canary, int) or canary < 0:
            raise InvalidInputError(f"canary is a number of targets (0 or more), not {canary!r}")
        return {
            "max_concurrency": str(max_concurrency), "max_errors": str(max_errors), "canary": canary,
            "min_healthy_seconds": _seconds(healthy_for), "max_error_rate": max_error_rate,
            "max_p95_ms": max_p95_ms, "auto_rollback": auto_rollback, "dry_run": dry_run,
        }

    def restart(
        self, selector: Selection = None, *, max_concurrency: Limit = "10%", max_errors: Limit = 0,
        canary: int = 0, healthy_for: Union[float, timedelta, None] = None,
        max_error_rate: Optional[float] = None, max_p95_ms: Optional[float] = None,
        dry_run: bool = False,
    ) -> BulkRun:
        """Restarts the selected agents.

        >>> console.bulk.restart("tier=staging", max_concurrency=1).wait().outcome
        'succeeded'
        """
        options = self._options(max_concurrency, max_errors, canary, healthy_for, max_error_rate,
                                max_p95_ms, False, dry_run)
        return self._start("restart", selector, options)

    def start(
        self, selector: Selection = None, *, max_concurrency: Limit = "10%", max_errors: Limit = 0,
        canary: int = 0, dry_run: bool = False,
    ) -> BulkRun:
        """Starts the selected agents.

        >>> console.bulk.start(["acme-dental", "globex-insurance"]).wait()
        """
        options = self._options(max_concurrency, max_errors, canary, None, None, None, False, dry_run)
        return self._start("start", selector, options)

    def stop(
        self, selector: Selection = None, *, max_concurrency: Limit = "10%", max_errors: Limit = 0,
        dry_run: bool = False,
    ) -> BulkRun:
        """Stops (drains, then ends) the selected agents.

        >>> console.bulk.stop("tier=staging", dry_run=True).plan.targets
        ('umbrella-clinic', 'hooli-support')
        """
        options = self._options(max_concurrency, max_errors, 0, None, None, None, False, dry_run)
        return self._start("stop", selector, options)

    def drain(
        self, selector: Selection = None, *, max_concurrency: Limit = "10%", max_errors: Limit = 0,
        dry_run: bool = False,
    ) -> BulkRun:
        """Drains the selected agents (no new calls; running calls finish).

        >>> console.bulk.drain({"tier": "staging"}).wait()
        """
        options = self._options(max_concurrency, max_errors, 0, None, None, None, False, dry_run)
        return self._start("drain", selector, options)

    def deploy(
        self, selector: Selection = None, *, revision: Optional[int] = None,
        max_concurrency: Limit = "10%", max_errors: Limit = 0, canary: int = 0,
        healthy_for: Union[float, timedelta, None] = None, max_error_rate: Optional[float] = None,
        max_p95_ms: Optional[float] = None, auto_rollback: bool = False, dry_run: bool = False,
    ) -> BulkRun:
        """Deploys each selected customer's latest revision (or ``revision``).

        >>> console.bulk.deploy("tier=prod", canary=1, healthy_for=30, auto_rollback=True).wait()
        """
        options = self._options(max_concurrency, max_errors, canary, healthy_for, max_error_rate,
                                max_p95_ms, auto_rollback, dry_run)
        return self._start("deploy", selector, {**options, "revision": revision})

    def patch(
        self, selector: Selection = None, *, set: Optional[Mapping[str, Any]] = None,
        unset: Sequence[str] = (), message: str = "", max_concurrency: Limit = "10%",
        max_errors: Limit = 0, canary: int = 0, healthy_for: Union[float, timedelta, None] = None,
        max_error_rate: Optional[float] = None, max_p95_ms: Optional[float] = None,
        auto_rollback: bool = False, dry_run: bool = False,
    ) -> BulkRun:
        """Makes a revision from these edits on each customer's latest one, then deploys it.

        >>> run = console.bulk.patch("tier=staging", set={"agent_settings.llm.temperature": 0.3},
        ...                          message="calmer", canary=1, healthy_for=5, auto_rollback=True)
        >>> run.wait().outcome
        'succeeded'
        """
        operations: List[Dict[str, Any]] = [
            {"op": "set", "path": path, "value": value} for path, value in (set or {}).items()
        ]
        operations += [{"op": "unset", "path": path} for path in unset]
        options = self._options(max_concurrency, max_errors, canary, healthy_for, max_error_rate,
                                max_p95_ms, auto_rollback, dry_run)
        return self._start("patch", selector, {**options, "operations": operations, "message": message})

    def list(self, limit: int = 20) -> Table[BulkReport]:
        """The latest runs, newest first.

        >>> console.bulk.list(5).to_pandas()
        """
        runs = json.loads(self._raw.bulk_runs(limit))
        return Table(BulkReport, [BulkReport._from_json(run) for run in runs])

    def get(self, id: str) -> BulkRun:
        """A run by id, to wait on or cancel.

        >>> console.bulk.get("b-0001").report
        """
        return BulkRun(self._raw, BulkReport._from_json(json.loads(self._raw.bulk_run(id))))
