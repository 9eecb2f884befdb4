"""Report a voice agent's calls, turns and errors to voicefleet.

The host agent (`voicefleet-agent`) runs your voice agent, reads the JSON-lines events it prints
on standard output and derives active calls, calls total, error rate and latency percentiles
from them; it sends SIGTERM to drain the agent and SIGHUP to reload its configuration. This
package writes those lines and wires those signals::

    import voicefleet_agent as vf

    vf.ready()
    with vf.call("c-1842") as call:
        call.turn(e2e_ms=840, llm_ttft_ms=390, tts_ttfb_ms=160, stt_ms=120)

Every function is safe from threads, asyncio tasks and signal handlers, writes one flushed line
per event, and never raises because standard output is closed or its reader went away.
Adapters: `voicefleet_agent.pipecat` (extra `[pipecat]`) and `voicefleet_agent.livekit`
(extra `[livekit]`).
"""

from __future__ import annotations

import signal as _signal
from typing import Any, Callable, ContextManager, List, Optional, Union

from . import _signals
from ._reporter import (
    MAX_MESSAGE_CHARS,
    CallHandle,
    ConfigError,
    Reporter,
    config,
    referenced_secrets,
    secret,
    secret_env_name,
)

__version__ = "0.1.0"

__all__ = [
    "ready",
    "call_started",
    "call_ended",
    "turn",
    "error",
    "call",
    "active_calls",
    "active_call_ids",
    "draining",
    "wait_for_calls",
    "wait_for_calls_async",
    "on_drain",
    "on_reload",
    "config",
    "secret",
    "secret_env_name",
    "referenced_secrets",
    "customer_id",
    "reporter",
    "Reporter",
    "CallHandle",
    "ConfigError",
    "MAX_MESSAGE_CHARS",
]

Number = Union[int, float]

_default = Reporter()


def reporter() -> Reporter:
    """The process-wide reporter the module functions use (it writes to `sys.stdout`)."""
    return _default


def ready() -> bool:
    """Tells the host agent this voice agent accepts calls (`{"event": "ready"}`)."""
    return _default.ready()


def call_started(call_id: str) -> bool:
    """A call began."""
    return _default.call_started(call_id)


def call_ended(call_id: str, duration_s: Optional[Number] = None, disconnect_reason: Optional[str] = None) -> bool:
    """A call ended: `disconnect_reason` is `caller_hangup`, `agent_hangup`, `silence_timeout`,
    `error`, ... Without `duration_s`, the time since `call_started(call_id)` is given."""
    return _default.call_ended(call_id, duration_s, disconnect_reason)


def turn(
    call_id: Optional[str] = None,
    e2e_ms: Optional[Number] = None,
    llm_ttft_ms: Optional[Number] = None,
    tts_ttfb_ms: Optional[Number] = None,
    stt_ms: Optional[Number] = None,
) -> bool:
    """One conversational turn: user stopped speaking → agent audio (`e2e_ms`), LLM time to
    first token, TTS time to first byte, STT time to final transcript; any may be left out."""
    return _default.turn(call_id, e2e_ms, llm_ttft_ms, tts_ttfb_ms, stt_ms)


def error(kind: str, message: str = "") -> bool:
    """Something failed (`provider_timeout`, `reload_failed`, ...): counted in the error rate."""
    return _default.error(kind, message)


def call(call_id: str, disconnect_reason: str = "caller_hangup") -> ContextManager[CallHandle]:
    """`with call(id) as c:` reports the call's start, and its end with the duration and
    `c.disconnect_reason` (`error` if the block raises)."""
    return _default.call(call_id, disconnect_reason)


def active_calls() -> int:
    """Calls started and not ended in this process."""
    return _default.active_calls()


def active_call_ids() -> List[str]:
    return _default.active_call_ids()


def draining() -> bool:
    """True once SIGTERM arrived (with `on_drain` registered): accept no new calls."""
    return _default.draining()


def wait_for_calls(timeout: Optional[float] = None) -> bool:
    """Blocks until no call is in progress (False when `timeout` seconds passed first)."""
    return _default.wait_for_calls(timeout)


async def wait_for_calls_async(timeout: Optional[float] = None) -> bool:
    """Awaits until no call is in progress (False when `timeout` seconds passed first)."""
    return await _default.wait_for_calls_async(timeout)


def on_drain(callback: Callable[[], Any]) -> None:
    """Runs `callback()` when the host agent sends SIGTERM: stop accepting calls, let the calls
    in progress end (`wait_for_calls()`), then exit 0. `draining()` turns True first.

    Register from the main thread. An `async def` callback, registered inside the event loop,
    runs as a task on it; a plain one runs on a thread of its own, so it may block.
    A callback that raises is reported as an `error` event (`drain_failed`).
    """
    _signals.register(_signal.SIGTERM, callback, _default)


def on_reload(callback: Callable[..., Any]) -> None:
    """Runs `callback(config)` with the re-read configuration when the host agent sends SIGHUP
    (`runtime.reload: "signal"`); a callback without parameters is called with none. A document
    that cannot be read, or a callback that raises, is reported as `error` `reload_failed`."""
    _signals.register(_signal.SIGHUP, callback, _default)


def customer_id() -> Optional[str]:
    """`VOICEFLEET_CUSTOMER_ID`: the customer this agent serves."""
    import os

    return os.environ.get("VOICEFLEET_CUSTOMER_ID")

