"""Configuration documents: parse, validate, get/set/unset by dot path, diff, redact."""

from __future__ import annotations

import json
from typing import Any, Dict, Iterable, List, Optional, cast

from voicefleet._voicefleet import RawConfigDocument as _RawConfigDocument
from voicefleet.exceptions import InvalidInputError

Issue = Dict[str, str]


class ConfigDocument:
    """A voice-agent configuration document, kept exactly as written."""

    __slots__ = ("_raw",)

    def __init__(self, data: Dict[str, Any]) -> None:
        if not isinstance(data, dict):
            raise InvalidInputError(
                f"a configuration document is a dict, not {type(data).__name__}"
            )
        self._raw = _RawConfigDocument.parse(json.dumps(data))

    @classmethod
    def from_json(cls, text: str) -> "ConfigDocument":
        """Parses JSON text (limits: 1 MiB, 32 levels; errors give line and column).

        >>> doc = ConfigDocument.from_json(open("acme.json").read())
        """
        document = cls.__new__(cls)
        document._raw = _RawConfigDocument.parse(text)
        return document

    @classmethod
    def template(cls, name: str = "default") -> "ConfigDocument":
        """A built-in template; see ``voicefleet.template_names()``.

        >>> ConfigDocument.template("openai-deepgram-elevenlabs").get("agent_settings.llm.provider")
        'openai'
        """
        document = cls.__new__(cls)
        document._raw = _RawConfigDocument.template(name)
        return document

    def validate(self, secrets: Optional[Iterable[str]] = None) -> List[Issue]:
        """Every issue, errors first. With ``secrets``, each secret://NAME must be one of them.

        >>> ConfigDocument.template().validate(secrets=["openai_api_key"])[0]["code"]
        'secret_missing'
        """
        names = None if secrets is None else [str(name) for name in secrets]
        return cast(List[Issue], json.loads(self._raw.validate_json(names)))

    def is_valid(self, secrets: Optional[Iterable[str]] = None) -> bool:
        """True when there is no error (warnings never block).

        >>> ConfigDocument.template().is_valid()
        True
        """
        return not any(issue["severity"] == "error" for issue in self.validate(secrets))

    def get(self, path: str) -> Any:
        """The value at a dot path such as ``agent_settings.llm.temperature`` or ``telephony.numbers[0]``.

        >>> ConfigDocument.template().get("agent_settings.llm.temperature")
        0.7
        """
        return json.loads(self._raw.get_json(path))

    def set(self, path: str, value: Any) -> List[Issue]:
        """Sets a value; refused (document unchanged) when it adds an error. Returns remaining issues.

        >>> doc.set("agent_settings.llm.temperature", 0.3)
        []
        """
        return cast(List[Issue], json.loads(self._raw.set_json(path, json.dumps(value))))

    def unset(self, path: str) -> List[Issue]:
        """Removes a value; refused (document unchanged) when it adds an error.

        >>> doc.unset("runtime.env.LOG_LEVEL")
        []
        """
        return cast(List[Issue], json.loads(self._raw.unset(path)))

    def diff(self, other: "ConfigDocument") -> List[Dict[str, Any]]:
        """Changed paths from this document to ``other``, secrets redacted.

        >>> old.diff(new)
        [{'path': 'agent_settings.llm.temperature', 'old': 0.7, 'new': 0.3}]
        """
        return cast(List[Dict[str, Any]], json.loads(self._raw.diff_json(other._raw)))

    @property
    def content_hash(self) -> str:
        """``sha256:<hex>`` of the canonical JSON: key order does not matter.

        >>> doc.content_hash
        'sha256:9f2c...'
        """
        return self._raw.content_hash()

    def secret_references(self) -> List[str]:
        """The names of every secret://NAME reference, sorted.

        >>> ConfigDocument.template().secret_references()
        ['deepgram_api_key', 'elevenlabs_api_key', 'openai_api_key']
        """
        return self._raw.secret_references()

    def to_dict(self) -> Dict[str, Any]:
        """The document as written (references, never secret values).

        >>> doc.to_dict()["version"]
        1
        """
        return cast(Dict[str, Any], json.loads(self._raw.to_json()))

    def to_json(self) -> str:
        """Pretty JSON text, keys in the order they were written (references, never secrets).

        >>> open("acme.json", "w").write(doc.to_json())
        """
        return self._raw.to_json()

    def redacted(self) -> Dict[str, Any]:
        """The document with any literal secret replaced by ``<redacted>``: the view for printing.

        >>> print(json.dumps(doc.redacted(), indent=2))
        """
        return cast(Dict[str, Any], json.loads(self._raw.redacted_json()))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ConfigDocument) and self._raw == other._raw

    def __repr__(self) -> str:
        return f"ConfigDocument({self.content_hash})"


