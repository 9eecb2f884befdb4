"""The console's namespaces: ``customers``, ``configs``, ``secrets``, ``users``, ``tokens`` and ``audit``."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from voicefleet._bulk import Selection, selector_text
from voicefleet._config import ConfigDocument, Issue
from voicefleet._values import (
    AuditEntry, AuditVerification, Change, Customer, KeyCheck, Revision, Secret, Table, Token, User,
)
from voicefleet._voicefleet import RawConsole
from voicefleet.exceptions import NotFoundError

Tags = Union[Mapping[str, str], Sequence[str], None]


def _tags(tags: Tags) -> List[str]:
    if tags is None:
        return []
    if isinstance(tags, Mapping):
        return [f"{key}={value}" for key, value in tags.items()]
    if isinstance(tags, str):
        return [tags]
    return list(tags)


class Customers:
    """``console.customers``: the customer registry."""

    def __init__(self, raw: RawConsole) -> None:
        self._raw = raw

    def list(self, selector: Selection = None) -> Table[Customer]:
        """Every customer, or those selected (``"tier=prod"``, ``["a", "b"]``, ``{"tier": "prod"}``).

        >>> console.customers.list("tier=prod").to_pandas()
        """
        answer = json.loads(self._raw.customers(selector_text(selector)))
        return Table(Customer, [Customer._from_json(c) for c in answer])

    def get(self, id: str) -> Customer:
        """One customer; ``NotFoundError`` when there is none.

        >>> console.customers.get("acme-dental").endpoint
        'http://127.0.0.1:8001'
        """
        return Customer._from_json(json.loads(self._raw.customer(id)))

    def add(self, id: str, endpoint: str, name: str = "", tags: Tags = None) -> Customer:
        """Registers a customer's host agent.

        >>> console.customers.add("acme", "http://127.0.0.1:8001", tags={"tier": "prod"})
        """
        return Customer._from_json(json.loads(self._raw.add_customer(id, endpoint, name, _tags(tags))))

    def remove(self, id: str) -> None:
        """Forgets a customer (its host and agent keep running).

        >>> console.customers.remove("acme")
        """
        self._raw.remove_customer(id)

    def tag(self, id: str, add: Tags = None, remove: Sequence[str] = ()) -> Customer:
        """Adds ``key=value`` tags and removes tag keys.

        >>> console.customers.tag("acme", add={"tier": "staging"}, remove=["beta"]).tags
        {'tier': 'staging'}
        """
        return Customer._from_json(json.loads(self._raw.tag_customer(id, _tags(add), list(remove))))


class Configs:
    """``console.configs``: each customer's configuration revisions."""

    def __init__(self, raw: RawConsole) -> None:
        self._raw = raw

    def history(self, customer: str) -> Table[Revision]:
        """Every revision, newest first.

        >>> console.configs.history("acme-dental")[0].number
        3
        """
        answer = json.loads(self._raw.revisions(customer))
        return Table(Revision, [Revision._from_json(r) for r in answer])

    def _latest_number(self, customer: str) -> int:
        history = self.history(customer)
        if not history:
            raise NotFoundError(f"{customer} has no configuration revision yet; push one first")
        return max(r.number for r in history)

    def revision(self, customer: str, number: Optional[int] = None) -> Revision:
        """One revision with its document (secrets redacted); the latest by default.

        >>> console.configs.revision("acme-dental", 1).message
        'first version'
        """
        number = self._latest_number(customer) if number is None else number
        return Revision._from_json(json.loads(self._raw.revision(customer, number)))

    def get(self, customer: str, path: Optional[str] = None, revision: Optional[int] = None) -> Any:
        """The latest (or ``revision``) document as a :class:`ConfigDocument`, or the value at a
        dot path in it.

        >>> console.configs.get("acme-dental", "agent_settings.llm.model")
        'gpt-4o-mini'
        """
        document = ConfigDocument(self.revision(customer, revision).document or {})
        return document if path is None else document.get(path)

    def set(self, customer: str, path: str, value: Any, message: str = "") -> Revision:
        """A new revision with ``path`` set (refused with every issue when it is invalid).

        >>> console.configs.set("acme-dental", "agent_settings.llm.temperature", 0.3, "calmer")
        """
        operations = [{"op": "set", "path": path, "value": value}]
        return Revision._from_json(json.loads(self._raw.patch(customer, json.dumps(operations), message)))

    def unset(self, customer: str, path: str, message: str = "") -> Revision:
        """A new revision without ``path``.

        >>> console.configs.unset("acme-dental", "runtime.env.LOG_LEVEL", "default log level")
        """
        operations = [{"op": "unset", "path": path}]
        return Revision._from_json(json.loads(self._raw.patch(customer, json.dumps(operations), message)))

    def push(self, customer: str, document: Union[ConfigDocument, Mapping[str, Any]], message: str = "") -> Revision:
        """A new revision holding the whole ``document``.

        >>> console.configs.push("acme", voicefleet.ConfigDocument.template(), "first version")
        """
        text = document.to_json() if isinstance(document, ConfigDocument) else json.dumps(dict(document))
        return Revision._from_json(json.loads(self._raw.push_document(customer, text, message)))

    def validate(self, customer: str, document: Union[ConfigDocument, Mapping[str, Any], None] = None) -> List[Issue]:
        """Every issue of ``document`` (default: the latest revision) for this customer,
        secret references checked against the secrets it has.

        >>> console.configs.validate("acme-dental")
        []
        """
        checked: ConfigDocument
        if document is None:
            checked = ConfigDocument(self.revision(customer).document or {})
        elif isinstance(document, ConfigDocument):
            checked = document
        else:
            checked = ConfigDocument(dict(document))
        names = [s["name"] for s in json.loads(self._raw.secrets(customer))]
        return checked.validate(secrets=names)

    def diff(self, customer: str, from_revision: int, to_revision: Optional[int] = None) -> Table[Change]:
        """What changed between two revisions (``to_revision``: the latest by default).

        >>> console.configs.diff("acme-dental", 1, 2)
        """
        to = self._latest_number(customer) if to_revision is None else to_revision
        answer = json.loads(self._raw.diff(customer, from_revision, to))
        return Table(Change, [Change._from_json(c) for c in answer])

    def rollback(self, customer: str, revision: int, message: str = "") -> Revision:
        """A new revision equal to ``revision`` (deploy it to apply it).

        >>> console.configs.rollback("acme-dental", 1, "back to the first")
        """
        return Revision._from_json(json.loads(self._raw.rollback(customer, revision, message)))

    def deploy(self, customer: str, revision: Optional[int] = None) -> Revision:
        """Sends the revision (the latest by default) and its secrets to the customer's host.

        >>> console.configs.deploy("acme-dental").deployed
        True
        """
        return Revision._from_json(json.loads(self._raw.deploy(customer, revision)))


class Secrets:
    """``console.secrets``: write-only secrets (values go in, never come out)."""

    def __init__(self, raw: RawConsole) -> None:
        self._raw = raw

    def set(self, customer: str, name: str, value: str) -> None:
        """Stores (encrypted) or replaces a secret.

        >>> console.secrets.set("acme-dental", "openai_api_key", os.environ["OPENAI_API_KEY"])
        """
        self._raw.set_secret(customer, name, value)

    def names(self, customer: str) -> Table[Secret]:
        """The customer's secrets: names and when they changed.

        >>> [s.name for s in console.secrets.names("acme-dental")]
        ['deepgram_api_key', 'elevenlabs_api_key', 'openai_api_key']
        """
        return Table(Secret, [Secret._from_json(s) for s in json.loads(self._raw.secrets(customer))])

    def remove(self, customer: str, name: str) -> None:
        """Deletes a secret.

        >>> console.secrets.remove("acme-dental", "old_key")
        """
        self._raw.delete_secret(customer, name)

    def check(self, customer: str, name: Optional[str] = None) -> Table[KeyCheck]:
        """Checks the customer's provider keys live, from its host: for each provider secret the
        deployed configuration uses (or ``name`` alone), the host makes the provider's cheapest
        authenticated read with the value it holds. Values never leave the host; the verdicts
        (``valid``, ``invalid``, ``unreachable``, ``unchecked``) come back and are audited.

        >>> [(k.secret, k.verdict) for k in console.secrets.check("acme-dental")]
        [('openai_api_key', 'valid'), ('deepgram_api_key', 'invalid'), ('elevenlabs_api_key', 'valid')]
        """
        answer = json.loads(self._raw.check_secrets(customer, name))
        return Table(KeyCheck, [KeyCheck._from_json(k) for k in answer])


class Users:
    """``console.users``: console users (admins only)."""

    def __init__(self, raw: RawConsole) -> None:
        self._raw = raw

    def list(self) -> Table[User]:
        """>>> console.users.list()"""
        return Table(User, [User._from_json(u) for u in json.loads(self._raw.users())])

    def add(self, name: str, role: str, password: str) -> User:
        """Adds a user with role ``viewer``, ``operator`` or ``admin``.

        >>> console.users.add("dana", "viewer", getpass.getpass())
        """
        return User._from_json(json.loads(self._raw.add_user(name, role, password)))

    def remove(self, name: str) -> None:
        """>>> console.users.remove("dana")"""
        self._raw.remove_user(name)

    def set_password(self, name: str, password: str, current_password: Optional[str] = None) -> None:
        """Sets a user's password; changing your own needs ``current_password``. The user's
        earlier login tokens stop working.

        >>> console.users.set_password("dana", getpass.getpass())"""
        self._raw.set_password(name, password, current_password)


class Tokens:
    """``console.tokens``: long-lived API tokens for automation."""

    def __init__(self, raw: RawConsole) -> None:
        self._raw = raw

    def list(self) -> Table[Token]:
        """>>> console.tokens.list()"""
        return Table(Token, [Token._from_json(t) for t in json.loads(self._raw.tokens())])

    def create(self, name: str, role: str = "viewer", expires_in: Union[float, timedelta, None] = None) -> Token:
        """A new token; its secret is ``.token``, shown this once (never in a repr).

        >>> secret = console.tokens.create("nightly-report", "viewer", timedelta(days=30)).token
        """
        seconds = None
        if expires_in is not None:
            seconds = int(expires_in.total_seconds() if isinstance(expires_in, timedelta) else expires_in)
        return Token._from_json(json.loads(self._raw.create_token(name, role, seconds)))

    def revoke(self, id: str) -> None:
        """>>> console.tokens.revoke("t-0001")"""
        self._raw.revoke_token(id)


class Audit:
    """``console.audit``: the append-only, hash-chained audit log."""

    def __init__(self, raw: RawConsole) -> None:
        self._raw = raw

    def list(self, after: int = 0, limit: int = 100) -> Table[AuditEntry]:
        """Entries after sequence number ``after``, oldest first.

        >>> console.audit.list(limit=10).to_pandas()
        """
        return Table(AuditEntry, [AuditEntry._from_json(e) for e in json.loads(self._raw.audit(after, limit))])

    def verify(self) -> AuditVerification:
        """Checks the whole chain (edits, deletions, truncation).

        >>> console.audit.verify().ok
        True
        """
        return AuditVerification._from_json(json.loads(self._raw.verify_audit()))
