"""Every error voicefleet raises, from one table (an error kind is one class).

``VoicefleetError`` is the root; each has ``.kind`` (``invalid_input``, ``not_found``,
``conflict``, ``unauthorized``, ``forbidden``, ``unavailable``, ``internal``), ``.hint`` (what to
do, or ``None``), ``.remedy`` (the same as data, or ``None``: a dict with ``action``, such as
``sync_instances`` or ``list_backups``, and ``subject``, the user, customer or backup location it is
about) and ``.issues`` (a list of dicts with ``path``, ``code``, ``severity`` and ``message``;
filled for ``InvalidInputError`` on refused documents)::

    from voicefleet.exceptions import InvalidInputError
    try:
        console.configs.set("acme", "agent_settings.llm.temperature", 9)
    except InvalidInputError as error:
        for issue in error.issues:
            print(issue["path"], issue["message"])
"""

from voicefleet._voicefleet import (
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
    "ConflictError",
    "ForbiddenError",
    "InternalError",
    "InvalidInputError",
    "NotFoundError",
    "UnauthorizedError",
    "UnavailableError",
    "VoicefleetError",
]
