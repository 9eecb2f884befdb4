"""voicefleet: run and control voice agents for many customers, from notebooks and scripts.

The fleet, from a console server or the embedded console in a data directory::

    import voicefleet
    console = voicefleet.Console.connect("http://127.0.0.1:9000")  # or Console.open("./data")
    df = console.status().to_pandas()          # one row per customer (pandas is optional)
    console.restart("acme-dental")
    run = console.bulk.restart("tier=staging", max_concurrency=1)
    print(run.plan.targets, run.wait().outcome)
    for line in console.logs("acme-dental").follow(timeout=10):
        print(line.text)

Configuration documents::

    doc = voicefleet.ConfigDocument.template("default")
    doc.set("agent_settings.llm.temperature", 0.3)
    doc.validate()          # -> [] when there is nothing to say

Every error is a ``voicefleet.exceptions.VoicefleetError``, one subclass per kind; refused
documents raise ``InvalidInputError`` whose ``issues`` lists every problem.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List

from voicefleet._bulk import Bulk, BulkRun
from voicefleet._config import ConfigDocument, Issue
from voicefleet._console import Console
from voicefleet._instances import Instance, InstanceReport, LinkedInstance
from voicefleet._logs import Logs
from voicefleet._values import (
    AgentStatus,
    Alert,
    AuditEntry,
    AuditVerification,
    BulkEvent,
    BulkPlan,
    BulkReport,
    BulkTarget,
    Change,
    Customer,
    CustomerStatus,
    LogLine,
    MetricsSample,
    Revision,
    KeyCheck,
    Secret,
    Table,
    Token,
    User,
    WhoAmI,
)
from voicefleet._voicefleet import __version__
from voicefleet._voicefleet import json_schema as _json_schema
from voicefleet._voicefleet import template_names as _template_names
from voicefleet.exceptions import (
    ConflictError,
    ForbiddenError,
    InternalError,
    InvalidInputError,
    NotFoundError,
    UnauthorizedError,
    UnavailableError,
    VoicefleetError,
)

__all__ = [
    "AgentStatus",
    "Alert",
    "AuditEntry",
    "AuditVerification",
    "Bulk",
    "BulkEvent",
    "BulkPlan",
    "BulkReport",
    "BulkRun",
    "BulkTarget",
    "Change",
    "ConfigDocument",
    "ConflictError",
    "Console",
    "Customer",
    "CustomerStatus",
    "ForbiddenError",
    "Instance",
    "InstanceReport",
    "InternalError",
    "InvalidInputError",
    "Issue",
    "LogLine",
    "Logs",
    "MetricsSample",
    "NotFoundError",
    "Revision",
    "KeyCheck",
    "LinkedInstance",
    "Secret",
    "Table",
    "Token",
    "UnauthorizedError",
    "UnavailableError",
    "User",
    "VoicefleetError",
    "WhoAmI",
    "__version__",
    "json_schema",
    "template_names",
]


def template_names() -> List[str]:
    """The names of the built-in templates, ``default`` first.

    >>> voicefleet.template_names()[0]
    'default'
    """
    return list(_template_names())


def json_schema() -> Dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a configuration document.

    >>> voicefleet.json_schema()["$schema"]
    'https://json-schema.org/draft/2020-12/schema'
    """
    result: Dict[str, Any] = json.loads(_json_schema())
    return result
