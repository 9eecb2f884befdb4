"""LiveKit Agents: report an `AgentSession`'s call and turns to voicefleet.

Install with `pip install "voicefleet-agent-sdk[livekit]"`, then, in the job's entrypoint::

    from voicefleet_agent.livekit import attach

    session = AgentSession(stt=..., llm=..., tts=..., vad=...)
    attach(session, call_id=ctx.room.name)
    await session.start(agent=MyAgent(), room=ctx.room)

What it reports, from the session's own events:

- the call starts when `attach` is called, and ends at the session's `close` event with its
  duration; the reason from `CloseEvent.reason`: `participant_disconnected` → `caller_hangup`,
  `user_initiated` and `task_completed` → `agent_hangup` (your code ended it), `error` → `error`,
  `job_shutdown` → `job_shutdown`;
- one turn per agent reply, from `metrics_collected`: the `EOUMetrics`, `LLMMetrics` and
  `TTSMetrics` that carry the reply's `speech_id` give `stt_ms` (`transcription_delay`),
  `llm_ttft_ms` (`ttft`, the first inference's), `tts_ttfb_ms` (`ttfb`) and `e2e_ms`,
  LiveKit's own sum for the time from the end of the user's speech to the agent's first audio:
  `end_of_utterance_delay + ttft + ttfb`. A turn is reported when all three arrived, or at the
  next user turn or the close with what it has (a reply without an EOU, such as the greeting,
  has no `e2e_ms`; one with nothing but a TTS TTFB is not a turn and is dropped);
- every `error` event as an `error` event of kind `llm_error`, `stt_error`, `tts_error`, ...

LiveKit's worker runs each job in a process of its own; every process writes to the same
standard output, and each event is one write below PIPE_BUF, so lines never interleave.
`active_calls()` counts the calls of the process it is called in.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from typing import Any, Dict, Optional

from . import _default
from ._reporter import Reporter

__all__ = ["attach", "SessionReporter", "CLOSE_REASONS"]

#: `CloseEvent.reason` → voicefleet `disconnect_reason`.
CLOSE_REASONS: Dict[str, str] = {
    "participant_disconnected": "caller_hangup",
    "user_initiated": "agent_hangup",
    "task_completed": "agent_hangup",
    "error": "error",
    "job_shutdown": "job_shutdown",
}


class _Turn:
    __slots__ = ("eou_s", "stt_s", "ttft_s", "ttfb_s")

    def __init__(self) -> None:
        self.eou_s: Optional[float] = None
        self.stt_s: Optional[float] = None
        self.ttft_s: Optional[float] = None
        self.ttfb_s: Optional[float] = None

    def complete(self) -> bool:
        return self.eou_s is not None and self.ttft_s is not None and self.ttfb_s is not None


def _ms(seconds: Optional[float]) -> Optional[float]:
    return None if seconds is None or seconds < 0 else seconds * 1000.0


class SessionReporter:
    """The handlers `attach` connects; kept so a test or a custom session can feed it."""

    def __init__(self, call_id: str, reporter: Reporter) -> None:
        self.call_id = call_id
        self._reporter = reporter
        self._turns: "OrderedDict[str, _Turn]" = OrderedDict()
        self._ended = False
        self._started_at = time.monotonic()

    # -- session events ---------------------------------------------------------------------

    def on_metrics_collected(self, event: Any) -> None:
        metrics = getattr(event, "metrics", event)
        kind = getattr(metrics, "type", "")
        speech_id = getattr(metrics, "speech_id", None)
        if kind == "eou_metrics":
            # A new user turn: replies before it are as complete as they will get.
            turn = self._turn(speech_id, flush_older=True)
            turn.eou_s = metrics.end_of_utterance_delay
            if metrics.transcription_delay > 0:
                turn.stt_s = metrics.transcription_delay
        elif kind == "llm_metrics":
            turn = self._turn(speech_id)
            if turn.ttft_s is None and metrics.ttft >= 0 and not metrics.cancelled:
                turn.ttft_s = metrics.ttft
        elif kind == "tts_metrics":
            turn = self._turn(speech_id)
            if turn.ttfb_s is None and metrics.ttfb >= 0 and not metrics.cancelled:
                turn.ttfb_s = metrics.ttfb
        elif kind == "realtime_model_metrics":
            # A speech-to-speech model: its time to first audio token is the reply's latency.
            if getattr(metrics, "ttft", -1) >= 0 and not getattr(metrics, "cancelled", False):
                self._reporter.turn(self.call_id, e2e_ms=_ms(metrics.ttft), llm_ttft_ms=_ms(metrics.ttft))
            return
        else:
            return
        if speech_id is not None and self._turns.get(speech_id) is not None and self._turns[speech_id].complete():
            self._flush(speech_id)

    def on_error(self, event: Any) -> None:
        error = getattr(event, "error", event)
        kind = getattr(error, "type", None) or type(error).__name__
        inner = getattr(error, "error", None)
        message = str(inner if inner is not None else error)
        source = getattr(event, "source", None)
        label = getattr(source, "label", None) or getattr(error, "label", None)
        if label:
            message = f"{label}: {message}"
        self._reporter.error(str(kind), message)

    def on_close(self, event: Any) -> None:
        reason = getattr(event, "reason", None)
        reason = getattr(reason, "value", reason)
        self.end_call(CLOSE_REASONS.get(str(reason), str(reason) if reason else "unknown"))

    def end_call(self, reason: str) -> None:
        """Reports the call ended (once), after the turns still open."""
        if self._ended:
            return
        for speech_id in list(self._turns):
            self._flush(speech_id)
        self._ended = True
        self._reporter.call_ended(self.call_id, time.monotonic() - self._started_at, reason)

    # -- turns ------------------------------------------------------------------------------

    def _turn(self, speech_id: Optional[str], flush_older: bool = False) -> _Turn:
        key = speech_id or f"_anonymous-{len(self._turns)}"
        if flush_older:
            for older in [k for k in self._turns if k != key]:
                self._flush(older)
        turn = self._turns.get(key)
        if turn is None:
            turn = self._turns[key] = _Turn()
            while len(self._turns) > 16:  # bounded whatever the session does
                self._flush(next(iter(self._turns)))
        return turn

    def _flush(self, speech_id: str) -> None:
        turn = self._turns.pop(speech_id, None)
        if turn is None or (turn.eou_s is None and turn.ttft_s is None):
            return  # a TTS-only reply (a `say()`) is not a conversational turn
        e2e = turn.eou_s + turn.ttft_s + turn.ttfb_s if turn.complete() else None  # type: ignore[operator]
        self._reporter.turn(
            self.call_id,
            e2e_ms=_ms(e2e),
            llm_ttft_ms=_ms(turn.ttft_s),
            tts_ttfb_ms=_ms(turn.ttfb_s),
            stt_ms=_ms(turn.stt_s),
        )


def attach(session: Any, call_id: Optional[str] = None, *, reporter: Optional[Reporter] = None) -> SessionReporter:
    """Reports `session` (a `livekit.agents.AgentSession`) as one call: `call_started` now,
    turns from its `metrics_collected` events, errors from `error`, `call_ended` at `close`."""
    handlers = SessionReporter(call_id or f"livekit-{uuid.uuid4().hex[:12]}", reporter or _default)
    handlers._reporter.call_started(handlers.call_id)
    handlers._started_at = time.monotonic()
    session.on("metrics_collected", handlers.on_metrics_collected)
    session.on("error", handlers.on_error)
    session.on("close", handlers.on_close)
    return handlers
