"""``voicefleet.Console``: the whole fleet from Python, embedded or remote, with the same methods."""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Dict, Optional, Union, overload

from voicefleet._bulk import Bulk, Selection, selector_text
from voicefleet._instances import Instance, InstanceReport
from voicefleet._logs import Logs
from voicefleet._namespaces import Audit, Configs, Customers, Secrets, Tokens, Users
from voicefleet._values import AgentStatus, Alert, CustomerStatus, MetricsSample, Table, WhoAmI
from voicefleet._voicefleet import RawConsole, parse_duration_seconds
from voicefleet.exceptions import InvalidInputError

Since = Union[str, float, timedelta, datetime]

def _ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise InvalidInputError(
            f"{moment.isoformat()} has no time zone; give an aware datetime, e.g. datetime.now(timezone.utc)"
        )
    return int(moment.timestamp() * 1000)


def _since_ms(since: Since, now_ms: int) -> int:
    if isinstance(since, datetime):
        return _ms(since)
    if isinstance(since, timedelta):
        seconds = since.total_seconds()
    elif isinstance(since, (int, float)):
        seconds = float(since)
    else:
        seconds = parse_duration_seconds(since)
    if seconds < 0:
        raise InvalidInputError(f"since is a duration back from now, not {since!r}")
    return max(0, now_ms - int(seconds * 1000))


def credentials_path() -> Path:
    """Where ``voicefleet login`` saves its login: ``$XDG_CONFIG_HOME/voicefleet/credentials.json``
    (else ``~/.config/...``)."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "voicefleet" / "credentials.json"


def _saved_login() -> Optional[Dict[str, str]]:
    try:
        saved = json.loads(credentials_path().read_text())
    except (OSError, ValueError):
        return None
    if isinstance(saved, dict) and isinstance(saved.get("console"), str) and isinstance(saved.get("token"), str):
        return {"console": saved["console"], "token": saved["token"]}
    return None



class Console:
    """The fleet: customers, status, configurations, secrets, control, bulk runs, logs, metrics,
    alerts, audit, users and tokens. Open the embedded console in a data directory, or connect
    to a console server; both have the same methods.

    >>> import voicefleet
    >>> console = voicefleet.Console.connect("http://127.0.0.1:9000")   # token from VOICEFLEET_TOKEN
    >>> console.status().to_pandas()[["customer_id", "state", "p95_ms"]]
    """

    def __init__(self, raw: RawConsole) -> None:
        """Use :meth:`Console.open` or :meth:`Console.connect`."""
        self._raw = raw
        self.customers = Customers(raw)
        self.configs = Configs(raw)
        self.secrets = Secrets(raw)
        self.bulk = Bulk(raw)
        self.audit = Audit(raw)
        self.users = Users(raw)
        self.tokens = Tokens(raw)

    @classmethod
    def open(cls, data_dir: Union[str, "os.PathLike[str]"]) -> "Console":
        """The embedded console in ``data_dir`` (created when new; the CLI's ``--data``): no
        server needed, you act as its admin. A new data directory's first admin password is
        printed once to standard error.

        >>> console = voicefleet.Console.open("~/.local/share/voicefleet")
        """
        path = os.path.expanduser(os.fspath(data_dir))
        raw = RawConsole.open(path)
        first = raw.first_admin()
        if first is not None:
            print(f"created the console's first admin `{first[0]}` with password {first[1]}", file=sys.stderr)
            print(f"(shown once; the embedded console in {path} needs no login)", file=sys.stderr)
        return cls(raw)

    @classmethod
    def connect(cls, url: Optional[str] = None, token: Optional[str] = None) -> "Console":
        """A console server. ``url`` defaults to ``VOICEFLEET_CONSOLE``, then the CLI's saved
        login; ``token`` to ``VOICEFLEET_TOKEN``, then the saved login's token when it is for
        this console.

        >>> console = voicefleet.Console.connect("https://console.example.com", token=api_token)
        """
        saved = _saved_login()
        url = url or os.environ.get("VOICEFLEET_CONSOLE") or (saved or {}).get("console")
        if not url:
            raise InvalidInputError(
                "no console to connect to: give its URL, set VOICEFLEET_CONSOLE, "
                "or log in once with `voicefleet login --console URL`"
            )
        if token is None:
            token = os.environ.get("VOICEFLEET_TOKEN") or None
        if token is None and saved is not None and saved["console"].rstrip("/") == url.rstrip("/"):
            token = saved["token"]
        return cls(RawConsole.connect(url, token))

    def __repr__(self) -> str:
        kind, where = self._raw.location()
        return f"Console({kind}={where!r})"

    def whoami(self) -> WhoAmI:
        """Who the console thinks you are, and your role.

        >>> console.whoami().role
        'admin'
        """
        return WhoAmI._from_json(json.loads(self._raw.whoami()))

    @overload
    def status(self, customer: None = None, selector: Selection = None) -> Table[CustomerStatus]: ...
    @overload
    def status(self, customer: str, selector: Selection = None) -> CustomerStatus: ...
    def status(
        self, customer: Optional[str] = None, selector: Selection = None
    ) -> Union[Table[CustomerStatus], CustomerStatus]:
        """Polls the hosts now: every customer's status (a :class:`Table` with ``to_pandas()``),
        those selected (``selector="tier=prod"``), or one customer's.

        >>> console.status().to_pandas()
        >>> console.status("acme-dental").state
        'running'
        """
        if customer is not None:
            answer = json.loads(self._raw.status(customer))
            if not answer:
                self.customers.get(customer)  # raises NotFoundError
            return CustomerStatus._from_json(answer[0])
        answer = json.loads(self._raw.status(selector_text(selector)))
        return Table(CustomerStatus, [CustomerStatus._from_json(s) for s in answer])

    def _control(self, customer: str, action: str, drain_timeout: Union[float, timedelta, None]) -> AgentStatus:
        seconds = drain_timeout.total_seconds() if isinstance(drain_timeout, timedelta) else drain_timeout
        return AgentStatus._from_json(json.loads(self._raw.control(customer, action, seconds)))

    def start(self, customer: str) -> AgentStatus:
        """Starts a customer's agent.

        >>> console.start("acme-dental").state
        'starting'
        """
        return self._control(customer, "start", None)

    def stop(self, customer: str, drain_timeout: Union[float, timedelta, None] = None) -> AgentStatus:
        """Drains (up to ``drain_timeout`` seconds) and stops a customer's agent.

        >>> console.stop("acme-dental", drain_timeout=30)
        """
        return self._control(customer, "stop", drain_timeout)

    def restart(self, customer: str, drain_timeout: Union[float, timedelta, None] = None) -> AgentStatus:
        """Drains and restarts a customer's agent.

        >>> console.restart("acme-dental").pid
        """
        return self._control(customer, "restart", drain_timeout)

    def drain(self, customer: str, drain_timeout: Union[float, timedelta, None] = None) -> AgentStatus:
        """Stops new calls reaching the agent; running calls finish.

        >>> console.drain("acme-dental")
        """
        return self._control(customer, "drain", drain_timeout)

    def logs(self, customer: str) -> Logs:
        """A customer's agent logs: ``.tail(n)`` and ``.follow()``.

        >>> console.logs("acme-dental").tail(20)
        """
        return Logs(self._raw, customer)

    def metrics(self, customer: str, since: Since = "1h", until: Optional[datetime] = None) -> Table[MetricsSample]:
        """The samples the console kept of a customer (``since``: ``"1h"``, ``"1d"``, seconds, a
        ``timedelta`` or an aware ``datetime``).

        >>> console.metrics("acme-dental", since="1d").to_pandas().set_index("at")["p95_ms"].plot()
        """
        now = int(time.time() * 1000)
        until_ms = now if until is None else _ms(until)
        answer = json.loads(self._raw.metrics(customer, _since_ms(since, now), until_ms))
        return Table(MetricsSample, [MetricsSample._from_json(customer, s) for s in answer])

    def alerts(self, include_resolved: bool = False) -> Table[Alert]:
        """Firing alerts (and resolved ones with ``include_resolved``).

        >>> [a.rule for a in console.alerts()]
        """
        return Table(Alert, [Alert._from_json(a) for a in json.loads(self._raw.alerts(include_resolved))])

    def instances(self) -> InstanceReport:
        """The customers' hosts (EC2 instances) as the last sync found them, mapped onto the
        customers (``provider`` is ``None`` when the console reads no cloud).

        >>> [(l.customer_id, l.instance.state) for l in console.instances().linked]
        [('acme-dental', 'running')]
        """
        return InstanceReport._from_json(json.loads(self._raw.instances()))

    def sync_instances(self) -> InstanceReport:
        """Reads the cloud now (every instance tagged ``voicefleet:customer``), stores and maps it
        (operator).

        >>> [i.id for i in console.sync_instances().without_customer]
        []
        """
        return InstanceReport._from_json(json.loads(self._raw.sync_instances()))

    def start_instance(self, customer: str) -> Instance:
        """Starts the customer's instance (operator).

        >>> console.start_instance("acme-dental").state
        'pending'
        """
        return Instance._from_json(json.loads(self._raw.instance_control(customer, "start")))

    def stop_instance(self, customer: str) -> Instance:
        """Stops the customer's instance, its agent drained first (operator).

        >>> console.stop_instance("acme-dental").state
        'stopping'
        """
        return Instance._from_json(json.loads(self._raw.instance_control(customer, "stop")))

    def reboot_instance(self, customer: str) -> Instance:
        """Reboots the customer's instance (operator).

        >>> console.reboot_instance("acme-dental").id
        'i-0abc1234'
        """
        return Instance._from_json(json.loads(self._raw.instance_control(customer, "reboot")))

    def resize_instance(self, customer: str, instance_type: str) -> Instance:
        """Changes the type of the customer's instance: drain, stop, set the type, start (operator).

        >>> console.resize_instance("acme-dental", "t3.large").instance_type
        't3.large'
        """
        return Instance._from_json(json.loads(self._raw.resize_instance(customer, instance_type)))

    def terminate_instance(self, customer: str, confirm: str) -> Instance:
        """Terminates the customer's instance for good, its agent drained first (admin).
        ``confirm`` must be the customer's name, as the CLI asks for it.

        >>> console.terminate_instance("acme-dental", confirm="Acme Dental")
        """
        name = self.customers.get(customer).name
        if confirm != name:
            raise InvalidInputError(
                f"confirm={confirm!r} is not the name of customer {customer!r}: nothing changed"
            )
        return Instance._from_json(json.loads(self._raw.instance_control(customer, "terminate")))


__all__ = ["Console", "credentials_path"]
