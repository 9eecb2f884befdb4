"""Plain values the fleet answers with: small frozen classes with a useful ``repr``, an HTML
table for Jupyter (``_repr_html_``), ``datetime`` (UTC) for times and ``timedelta`` for
durations. Lists come as a :class:`Table`, which also has ``to_pandas()``."""

from __future__ import annotations

import dataclasses
import html
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Generic, Iterator, List, Optional, Sequence, Tuple, TypeVar, overload

from voicefleet._frames import table_to_pandas

T = TypeVar("T", bound="Value")


def time_from_ms(ms: Optional[int]) -> Optional[datetime]:
    """Milliseconds since the epoch to an aware UTC datetime."""
    return None if ms is None else datetime.fromtimestamp(ms / 1000, tz=timezone.utc)


def _time(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S UTC")
    if isinstance(value, timedelta):
        return str(timedelta(seconds=round(value.total_seconds())))
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def _shown_fields(cls: type) -> List[str]:
    return [f.name for f in dataclasses.fields(cls) if f.repr]


def _html_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


class Value:
    """A plain value: shown as a two-column table in Jupyter."""

    def _repr_html_(self) -> str:
        names = _shown_fields(type(self))
        return _html_table(["field", "value"], [(n, getattr(self, n)) for n in names])


class Table(Sequence[T], Generic[T]):
    """A list of values: indexable and iterable, a table in Jupyter, a DataFrame with
    ``to_pandas()`` (pandas is optional: ``pip install pandas``).

    >>> table = console.customers.list()
    >>> [c.id for c in table]
    ['acme-dental', 'globex-insurance']
    """

    __slots__ = ("_items", "_kind")

    def __init__(self, kind: type, items: Sequence[T] = ()) -> None:
        self._kind = kind
        self._items: Tuple[T, ...] = tuple(items)

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> "Table[T]": ...
    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return Table(self._kind, self._items[index])
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[T]:
        return iter(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Table):
            return self._items == other._items
        if isinstance(other, (list, tuple)):
            return list(self._items) == list(other)
        return NotImplemented

    def __repr__(self) -> str:
        if not self._items:
            return f"Table[{self._kind.__name__}]([])"
        lines = ",\n".join(f"  {item!r}" for item in self._items)
        return f"Table[{self._kind.__name__}]([\n{lines}\n])"

    def _repr_html_(self) -> str:
        names = _shown_fields(self._kind)
        rows = [[getattr(item, n) for n in names] for item in self._items]
        return _html_table(names, rows)

    def to_pandas(self) -> Any:
        """A ``pandas.DataFrame``, one row per value, with typed columns: times are
        ``datetime64[ns, UTC]``, durations ``timedelta64[ns]``, optional integers ``Int64``.

        >>> df = console.status().to_pandas()
        >>> df[df.state != "running"][["customer_id", "state", "error"]]
        """
        return table_to_pandas(self._kind, self._items)


@dataclass(frozen=True)
class WhoAmI(Value):
    name: str
    role: str

    @classmethod
    def _from_json(cls, d: Dict[str, Any]) -> "WhoAmI":
        return cls(name=d["name"], role=d["role"])


@dataclass(frozen=True)
class Customer(Value):
    """A customer as the console knows it."""

    id: str
    name: str
    endpoint: str
    tags: Dict[str, str]
    created_at: datetime
    deployed_revision: Optional[int]

    @classmethod
    def _from_json(cls, d: Dict[str, Any]) -> "Customer":
        return cls(
            id=d["id"], name=d["name"], endpoint=d["endpoint"], tags=dict(d["tags"]),
            created_at=_time(d["created_at_ms"]), deployed_revision=d.get("deployed_revision"),
        )


def _p(latency: Optional[Dict[str, Any]], which: str) -> Optional[float]:
    return None if latency is None else float(latency[which])


@dataclass(frozen=True)
class CustomerStatus(Value):
    """One customer's status: the agent's state (or ``unreachable``), resources, calls and
    turn latency (end to end, last 5 minutes), and the revision it runs."""

    customer_id: str
    name: str
    state: str
    reachable: bool
    tags: Dict[str, str]
    last_seen: Optional[datetime]
    error: Optional[str]
    last_error: Optional[str]
    last_exit_code: Optional[int]
    pid: Optional[int]
    uptime: Optional[timedelta]
    restarts: Optional[int]
    cpu_percent: Optional[float]
    rss_bytes: Optional[int]
    deployed_revision: Optional[int]
    running_revision: Optional[int]
    drift: bool
    active_calls: Optional[int]
    calls_total: Optional[int]
    p50_ms: Optional[float]
    p99_ms: Optional[float]
    error_rate: Optional[float]
    p95_ms: Optional[float]

    @property
    def is_up(self) -> bool:
        """Reachable and running.

        >>> [s.customer_id for s in console.status() if not s.is_up]
        []
        """
        return self.reachable and self.state == "running"

    @classmethod
    def _from_json(cls, d: Dict[str, Any]) -> "CustomerStatus":
        host = d.get("status") or {}
        resources = host.get("resources") or {}
        calls = host.get("calls") or {}
        e2e = (calls.get("latency_5m") or {}).get("e2e_ms")
        uptime = host.get("uptime_seconds")
        exit_info = host.get("last_exit") or {}
        return cls(
            customer_id=d["customer_id"], name=d["name"], state=d["state"], reachable=d["reachable"],
            tags=dict(d["tags"]), pid=host.get("pid"),
            uptime=None if uptime is None else timedelta(seconds=uptime),
            restarts=host.get("restarts"),
            cpu_percent=resources.get("cpu_percent"), rss_bytes=resources.get("rss_bytes"),
            active_calls=calls.get("active_calls"), calls_total=calls.get("calls_total"),
            error_rate=calls.get("error_rate_5m"),
            p50_ms=_p(e2e, "p50"), p95_ms=_p(e2e, "p95"), p99_ms=_p(e2e, "p99"),
            deployed_revision=d.get("deployed_revision"), running_revision=d.get("running_revision"),
            drift=d["drift"], last_seen=time_from_ms(d.get("last_seen_ms")), error=d.get("error"),
            last_error=host.get("last_error"), last_exit_code=exit_info.get("code"),
        )


@dataclass(frozen=True)
class AgentStatus(Value):
    """What a host answers to a control action: the agent's state now."""

    customer_id: str
    state: str
    pid: Optional[int]
    uptime: Optional[timedelta]
    restarts: int
    last_error: Optional[str]

    @classmethod
    def _from_json(cls, d: Dict[str, Any]) -> "AgentStatus":
        uptime = d.get("uptime_seconds")
        return cls(
            customer_id=d["customer_id"], state=d["state"], pid=d.get("pid"),
            uptime=None if uptime is None else timedelta(seconds=uptime),
            restarts=d["restarts"], last_error=d.get("last_error"),
        )


@dataclass(frozen=True)
class MetricsSample(Value):
    """One sample of an agent's process group and calls (error rate and p95 over the 5 minutes
    before it)."""

    customer_id: str
    at: datetime
    cpu_percent: float
    rss_bytes: int
    threads: int
    open_files: int
    processes: int
    active_calls: int
    error_rate: float
    p95_ms: Optional[float]

    @classmethod
    def _from_json(cls, customer_id: str, d: Dict[str, Any]) -> "MetricsSample":
        return cls(
            customer_id=customer_id, at=_time(d["at_ms"]), cpu_percent=d["cpu_percent"],
            rss_bytes=d["rss_bytes"], threads=d["threads"], open_files=d["open_files"],
            processes=d["processes"], active_calls=d["active_calls"],
            error_rate=d.get("error_rate", 0.0), p95_ms=d.get("p95_e2e_ms"),
        )


@dataclass(frozen=True)
class LogLine(Value):
    """One line of an agent's output, numbered by its host (``seq`` never repeats)."""

    seq: int
    time: datetime
    stream: str
    text: str

    @classmethod
    def _from_json(cls, d: Dict[str, Any]) -> "LogLine":
        return cls(seq=d["seq"], time=_time(d["ts_ms"]), stream=d["stream"], text=d["text"])


@dataclass(frozen=True)
class Revision(Value):
    """A configuration revision; ``document`` (secrets redacted) when one revision was asked for."""

    customer_id: str
    number: int
    hash: str
    author: str
    message: str
    created_at: datetime
    deployed: bool
    document: Optional[Dict[str, Any]] = field(default=None, repr=False, compare=False)

    @classmethod
    def _from_json(cls, d: Dict[str, Any]) -> "Revision":
        return cls(
            customer_id=d["customer_id"], number=d["number"], hash=d["hash"], author=d["author"],
            message=d["message"], created_at=_time(d["created_at_ms"]), deployed=d["deployed"],
            document=d.get("document"),
        )


@dataclass(frozen=True)
class Change(Value):
    """One changed path between two documents (secrets redacted)."""

    path: str
    old: Any
    new: Any

    @classmethod
    def _from_json(cls, d: Dict[str, Any]) -> "Change":
        return cls(path=d["path"], old=d.get("old"), new=d.get("new"))


@dataclass(frozen=True)
class Secret(Value):
    """A secret's name and when it last changed; never its value."""

    name: str
    updated_at: datetime

    @classmethod
    def _from_json(cls, d: Dict[str, Any]) -> "Secret":
        return cls(name=d["name"], updated_at=_time(d["updated_at_ms"]))


@dataclass(frozen=True)
class KeyCheck(Value):
    """What a provider said about one key, checked from the customer's host; never the value."""

    secret: str
    provider: str
    path: str
    verdict: str
    detail: str
    elapsed: Optional[timedelta]

    @classmethod
    def _from_json(cls, d: Dict[str, Any]) -> "KeyCheck":
        elapsed = d.get("elapsed_ms")
        return cls(
            secret=d["secret"], provider=d["provider"], path=d["path"], verdict=d["verdict"],
            detail=d["detail"], elapsed=None if elapsed is None else timedelta(milliseconds=elapsed),
        )


@dataclass(frozen=True)
class Alert(Value):
    customer_id: str
    rule: str
    firing: bool
    message: str
    since: datetime
    resolved_at: Optional[datetime]

    @classmethod
    def _from_json(cls, d: Dict[str, Any]) -> "Alert":
        return cls(
            customer_id=d["customer_id"], rule=d["rule"], firing=d["firing"], message=d["message"],
            since=_time(d["since_ms"]), resolved_at=time_from_ms(d.get("resolved_at_ms")),
        )


@dataclass(frozen=True)
class AuditEntry(Value):
    seq: int
    at: datetime
    actor: str
    action: str
    target: str
    outcome: str
    request_id: str
    hash: str = field(repr=False)

    @classmethod
    def _from_json(cls, d: Dict[str, Any]) -> "AuditEntry":
        return cls(
            seq=d["seq"], at=_time(d["at_ms"]), actor=d["actor"], action=d["action"],
            target=d["target"], outcome=d["outcome"], request_id=d["request_id"], hash=d["hash"],
        )


@dataclass(frozen=True)
class AuditVerification(Value):
    ok: bool
    entries: int
    first_broken_seq: Optional[int]
    reason: Optional[str]
    #: Signed checkpoints (kept outside the database) the chain was checked against.
    checkpoints: int = 0

    @classmethod
    def _from_json(cls, d: Dict[str, Any]) -> "AuditVerification":
        return cls(
            ok=d["ok"], entries=d["entries"], first_broken_seq=d.get("first_broken_seq"),
            reason=d.get("reason"), checkpoints=d.get("checkpoints", 0),
        )


@dataclass(frozen=True)
class User(Value):
    name: str
    role: str
    created_at: datetime
    locked: bool
    #: The second factor: ``off``, ``pending`` (enabled, waiting for its first code) or ``on``.
    mfa: str = "off"
    #: Whether the user's role requires a second factor (without one, their login is refused).
    mfa_required: bool = False

    @classmethod
    def _from_json(cls, d: Dict[str, Any]) -> "User":
        return cls(
            name=d["name"], role=d["role"], created_at=_time(d["created_at_ms"]), locked=d["locked"],
            mfa=d.get("mfa", "off"), mfa_required=d.get("mfa_required", False),
        )


@dataclass(frozen=True)
class Token(Value):
    """An API token; ``token`` (the secret, shown once when created) never appears in a repr."""

    id: str
    name: str
    role: str
    created_by: str
    created_at: datetime
    expires_at: Optional[datetime]
    revoked: bool
    token: Optional[str] = field(default=None, repr=False, compare=False)

    @classmethod
    def _from_json(cls, d: Dict[str, Any]) -> "Token":
        return cls(
            id=d["id"], name=d["name"], role=d["role"], created_by=d["created_by"],
            created_at=_time(d["created_at_ms"]), expires_at=time_from_ms(d.get("expires_at_ms")),
            revoked=d["revoked"], token=d.get("token"),
        )


@dataclass(frozen=True)
class BulkTarget(Value):
    """One target of a bulk run and where it stands (``pending``, ``running``, ``succeeded``,
    ``failed``, ``skipped``, ``rolled_back`` or ``interrupted``)."""

    customer_id: str
    state: str
    canary: bool
    reason: Optional[str]
    started_at: Optional[datetime]
    finished_at: Optional[datetime]
    previous_revision: Optional[int]
    revision: Optional[int]

    @classmethod
    def _from_json(cls, d: Dict[str, Any]) -> "BulkTarget":
        return cls(
            customer_id=d["customer_id"], state=d["state"], canary=d["canary"], reason=d.get("reason"),
            started_at=time_from_ms(d.get("started_at_ms")), finished_at=time_from_ms(d.get("finished_at_ms")),
            previous_revision=d.get("previous_revision"), revision=d.get("revision"),
        )


@dataclass(frozen=True)
class BulkPlan(Value):
    """What a bulk run does: its action, how many at a time, when it stops, canaries first."""

    action: str
    targets: Tuple[str, ...]
    canary: Tuple[str, ...]
    max_concurrency: int
    max_errors: int


@dataclass(frozen=True)
class BulkReport(Value):
    """A bulk run as stored: its outcome (``running`` until it ends) and every target's result."""

    id: str
    action: str
    outcome: str
    actor: str
    created_at: datetime
    finished_at: Optional[datetime]
    max_concurrency: int
    max_errors: int
    targets: Table[BulkTarget] = field(repr=False)

    @property
    def finished(self) -> bool:
        """The run has ended (any outcome but ``running``).

        >>> console.bulk.list(1)[0].finished
        True
        """
        return self.outcome != "running"

    def count(self, state: str) -> int:
        """How many targets are in ``state`` (e.g. ``"failed"``).

        >>> report.count("failed")
        0
        """
        return sum(1 for t in self.targets if t.state == state)

    @property
    def ok(self) -> bool:
        """Finished with every target succeeded (or a dry run).

        >>> run.wait().ok
        True
        """
        return self.outcome in ("succeeded", "dry_run")

    def plan(self) -> BulkPlan:
        """The run's plan: its targets in order, the canaries, its limits.

        >>> report.plan().canary
        ('acme-dental',)
        """
        return BulkPlan(
            action=self.action, targets=tuple(t.customer_id for t in self.targets),
            canary=tuple(t.customer_id for t in self.targets if t.canary),
            max_concurrency=self.max_concurrency, max_errors=self.max_errors,
        )

    def __repr__(self) -> str:
        counts = ", ".join(
            f"{state}={self.count(state)}"
            for state in ("succeeded", "failed", "rolled_back", "skipped", "interrupted", "running", "pending")
            if self.count(state)
        )
        return f"BulkReport(id={self.id!r}, action={self.action!r}, outcome={self.outcome!r}, {counts})"

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(repr(self))}</p>" + self.targets._repr_html_()

    @classmethod
    def _from_json(cls, d: Dict[str, Any]) -> "BulkReport":
        return cls(
            id=d["id"], action=d["spec"]["action"]["kind"], outcome=d["outcome"], actor=d["actor"],
            created_at=_time(d["created_at_ms"]), finished_at=time_from_ms(d.get("finished_at_ms")),
            max_concurrency=d["max_concurrency"], max_errors=d["max_errors"],
            targets=Table(BulkTarget, [BulkTarget._from_json(t) for t in d["targets"]]),
        )


@dataclass(frozen=True)
class BulkEvent(Value):
    """A change in a bulk run: a target's new state (``kind="target"``), or the run's end
    (``kind="finished"`` with its ``outcome``)."""

    kind: str
    run_id: str
    customer_id: Optional[str] = None
    state: Optional[str] = None
    target: Optional[BulkTarget] = field(default=None, repr=False)
    outcome: Optional[str] = None
