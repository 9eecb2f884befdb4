"""The protocol's events as JSON lines, the calls in progress, configuration and secrets."""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
import threading
import time
from typing import IO, Any, Dict, Iterator, List, Optional, Set, Union

__all__ = ["Reporter", "ConfigError", "MAX_MESSAGE_CHARS"]

Number = Union[int, float]

#: Error messages are cut to this many characters, so that every event line stays below
#: PIPE_BUF (4096 bytes) even when escaped: a write of it to the host agent's pipe is atomic, and
#: lines from several processes of one agent (LiveKit's job processes) never interleave.
MAX_MESSAGE_CHARS = 600

_LATENCY_FIELDS = ("e2e_ms", "llm_ttft_ms", "tts_ttfb_ms", "stt_ms")


class ConfigError(RuntimeError):
    """`VOICEFLEET_CONFIG` is not set, or its document cannot be read or parsed."""


def _number(value: Any) -> Optional[float]:
    """A latency or duration as the host accepts it: a finite, non-negative number, else None."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number) or number < 0:
        return None
    return round(number, 3)


def _call_id(call_id: Any) -> str:
    text = str(call_id) if call_id is not None else ""
    if not text:
        raise ValueError("call_id must be a non-empty string")
    return text


class Reporter:
    """Writes protocol events to a stream (standard output unless given) and keeps the calls in
    progress.

    One line per event, written and flushed under a lock, so threads, asyncio tasks and signal
    handlers may all report. A stream that is closed, or a pipe whose reader is gone, never
    raises into the caller: the event is dropped (and standard output is pointed at /dev/null,
    so the interpreter does not fail flushing it at exit either).
    """

    def __init__(self, stream: Optional[IO[str]] = None) -> None:
        self._stream = stream
        self._lock = threading.RLock()
        self._idle = threading.Condition(self._lock)
        self._calls: Dict[str, float] = {}
        self._broken = False
        self._draining = False
        self.dropped = 0
        """Events that could not be written (stdout closed or its reader gone)."""

    # -- writing ----------------------------------------------------------------------------

    def emit(self, event: str, **fields: Any) -> bool:
        """Writes one event with its fields (None values are left out). True when written."""
        record: Dict[str, Any] = {"event": event}
        record.update((key, value) for key, value in fields.items() if value is not None)
        try:
            line = json.dumps(record, ensure_ascii=True, allow_nan=False, default=str) + "\n"
        except (TypeError, ValueError):
            # A field the caller passed that JSON cannot hold: never into the caller.
            line = json.dumps({"event": event, **{k: str(v) for k, v in fields.items() if v is not None}}) + "\n"
        return self._write(line)

    def _write(self, line: str) -> bool:
        with self._lock:
            stream = self._stream if self._stream is not None else sys.stdout
            if self._broken or stream is None:
                self.dropped += 1
                return False
            try:
                stream.write(line)
                stream.flush()
                return True
            except BrokenPipeError:
                self._broken = True
                self._silence(stream)
            except (OSError, ValueError, RuntimeError, AttributeError):
                # ValueError: closed file; RuntimeError: reentrant write from a signal handler.
                pass
            self.dropped += 1
            return False

    def _silence(self, stream: IO[str]) -> None:
        """Points a broken standard output at /dev/null, as the Python docs advise, so the flush
        at interpreter exit does not fail (and turn the exit status into 120)."""
        if stream is not sys.stdout and stream is not sys.__stdout__:
            return
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, stream.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError):
            pass

    # -- the events -------------------------------------------------------------------------

    def ready(self) -> bool:
        """The agent accepts calls."""
        return self.emit("ready")

    def call_started(self, call_id: str) -> bool:
        """A call began. A call id already in progress is not counted twice (nor by the host)."""
        call_id = _call_id(call_id)
        with self._lock:
            self._calls.setdefault(call_id, time.monotonic())
            return self.emit("call_started", call_id=call_id)

    def call_ended(
        self,
        call_id: str,
        duration_s: Optional[Number] = None,
        disconnect_reason: Optional[str] = None,
    ) -> bool:
        """A call ended (`caller_hangup`, `agent_hangup`, `silence_timeout`, `error`, ...; the host
        counts a missing reason as `unknown`). Without `duration_s`, the time since its
        `call_started` is given."""
        call_id = _call_id(call_id)
        with self._lock:
            started = self._calls.pop(call_id, None)
            if duration_s is None and started is not None:
                duration_s = time.monotonic() - started
            written = self.emit(
                "call_ended",
                call_id=call_id,
                duration_s=_number(duration_s),
                disconnect_reason=str(disconnect_reason) if disconnect_reason is not None else None,
            )
            if not self._calls:
                self._idle.notify_all()
            return written

    def turn(
        self,
        call_id: Optional[str] = None,
        e2e_ms: Optional[Number] = None,
        llm_ttft_ms: Optional[Number] = None,
        tts_ttfb_ms: Optional[Number] = None,
        stt_ms: Optional[Number] = None,
    ) -> bool:
        """One conversational turn and its latencies in milliseconds (any may be left out;
        non-finite or negative values are left out)."""
        values = dict(zip(_LATENCY_FIELDS, map(_number, (e2e_ms, llm_ttft_ms, tts_ttfb_ms, stt_ms))))
        return self.emit("turn", call_id=str(call_id) if call_id else None, **values)

    def error(self, kind: str, message: str = "") -> bool:
        """Something failed: a provider timeout, a reload that failed. Counted by the host."""
        text = str(message)
        if len(text) > MAX_MESSAGE_CHARS:
            text = text[: MAX_MESSAGE_CHARS - 3] + "..."
        return self.emit("error", kind=str(kind) or "unknown", message=text)

    @contextlib.contextmanager
    def call(self, call_id: str, disconnect_reason: str = "caller_hangup") -> Iterator["CallHandle"]:
        """Reports a call around a block: `call_started` on entry, `call_ended` with its duration
        on exit. The reason is `disconnect_reason` (settable on the handle while the call runs),
        or `error` when the block raises (the exception propagates)."""
        handle = CallHandle(self, _call_id(call_id), disconnect_reason)
        self.call_started(handle.call_id)
        started = time.monotonic()
        try:
            yield handle
        except BaseException:
            self.call_ended(handle.call_id, time.monotonic() - started, "error")
            raise
        self.call_ended(handle.call_id, time.monotonic() - started, handle.disconnect_reason)

    # -- calls in progress and drain --------------------------------------------------------

    def active_calls(self) -> int:
        """Calls started and not yet ended, in this process."""
        with self._lock:
            return len(self._calls)

    def active_call_ids(self) -> List[str]:
        with self._lock:
            return list(self._calls)

    def draining(self) -> bool:
        """True once SIGTERM (or `start_drain()`) asked the agent to drain."""
        return self._draining

    def start_drain(self) -> None:
        with self._lock:
            self._draining = True
            self._idle.notify_all()

    def wait_for_calls(self, timeout: Optional[float] = None) -> bool:
        """Blocks until no call is in progress; False if `timeout` (seconds) passed first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._idle:
            while self._calls:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._idle.wait(remaining if remaining is None else min(remaining, 0.5))
            return True

    async def wait_for_calls_async(self, timeout: Optional[float] = None, poll: float = 0.1) -> bool:
        """`wait_for_calls` for asyncio code: never blocks the loop."""
        import asyncio

        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while self.active_calls():
            if deadline is not None and loop.time() >= deadline:
                return False
            await asyncio.sleep(poll)
        return True


class CallHandle:
    """The call a `call()` block reports: set `disconnect_reason` to say how it ended, and
    report its turns with `turn()`."""

    def __init__(self, reporter: Reporter, call_id: str, disconnect_reason: str) -> None:
        self._reporter = reporter
        self.call_id = call_id
        self.disconnect_reason = disconnect_reason

    def turn(
        self,
        e2e_ms: Optional[Number] = None,
        llm_ttft_ms: Optional[Number] = None,
        tts_ttfb_ms: Optional[Number] = None,
        stt_ms: Optional[Number] = None,
    ) -> bool:
        return self._reporter.turn(self.call_id, e2e_ms, llm_ttft_ms, tts_ttfb_ms, stt_ms)

    def error(self, kind: str, message: str = "") -> bool:
        return self._reporter.error(kind, message)


# -- configuration and secrets ----------------------------------------------------------------


def config(path: Optional[str] = None) -> Dict[str, Any]:
    """The configuration document (`VOICEFLEET_CONFIG`, unless `path`), read afresh each time.

    It holds `secret://name` references, never values: resolve them with `secret()`.
    Raises `ConfigError` when the variable is unset or the file cannot be read or parsed.
    """
    path = path or os.environ.get("VOICEFLEET_CONFIG")
    if not path:
        raise ConfigError("VOICEFLEET_CONFIG is not set: is this agent running under voicefleet-agent?")
    try:
        with open(path, encoding="utf-8") as file:
            document = json.load(file)
    except (OSError, ValueError) as error:
        raise ConfigError(f"cannot read the configuration {path}: {error}") from error
    if not isinstance(document, dict):
        raise ConfigError(f"the configuration {path} is not a JSON object")
    return document


_MISSING: Any = object()


def secret_env_name(name: str) -> str:
    """`openai_api_key` or `secret://openai_api_key` → `VOICEFLEET_SECRET_OPENAI_API_KEY`."""
    if name.startswith("secret://"):
        name = name[len("secret://") :]
    return "VOICEFLEET_SECRET_" + name.upper()


def secret(name: str, default: Any = _MISSING) -> Any:
    """The value of a secret the configuration references as `secret://name` (`name` may be the
    reference itself). The host agent puts each one in the environment as
    `VOICEFLEET_SECRET_<NAME>`. Raises `KeyError` when absent, unless a `default` is given."""
    value = os.environ.get(secret_env_name(name))
    if value is not None:
        return value
    if default is not _MISSING:
        return default
    raise KeyError(
        f"secret {name!r} is not in the environment ({secret_env_name(name)}): "
        "reference it as secret://name in the configuration and store it on the host"
    )


def referenced_secrets(document: Any) -> Set[str]:
    """Names of every `secret://name` reference in a document."""
    found: Set[str] = set()
    if isinstance(document, dict):
        for value in document.values():
            found |= referenced_secrets(value)
    elif isinstance(document, list):
        for value in document:
            found |= referenced_secrets(value)
    elif isinstance(document, str) and document.startswith("secret://"):
        found.add(document[len("secret://") :])
    return found
