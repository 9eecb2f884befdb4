"""Pipecat: an observer that reports a pipeline's call and its turns to voicefleet.

Install with `pip install "voicefleet-agent-sdk[pipecat]"`, then add one observer to the task
(metrics must be enabled, or the services report no TTFB)::

    from voicefleet_agent.pipecat import VoicefleetObserver

    task = PipelineTask(pipeline, params=PipelineParams(enable_metrics=True),
                        observers=[VoicefleetObserver(call_id=room_or_call_sid)])
    # or, on a task already made: voicefleet_agent.pipecat.attach(task, call_id=...)

What it reports, from the frames the pipeline already carries:

- the call starts at `ClientConnectedFrame` (every transport pushes one when the caller joins),
  or at the first sign of a user turn when the transport pushes none;
- the call ends at `EndFrame` (`agent_hangup`), `CancelFrame` (`caller_hangup`: the usual
  `on_client_disconnected` handler cancels the task) or after a fatal `ErrorFrame` (`error`),
  with its duration; `end_call(reason)` sets another reason first;
- one turn per user utterance the bot answered: `e2e_ms` from the moment the user stopped
  speaking (`VADUserStoppedSpeakingFrame`'s timestamp less the VAD's `stop_secs`) to
  `BotStartedSpeakingFrame`; `stt_ms`, `llm_ttft_ms` and `tts_ttfb_ms` from the first
  `TTFBMetricsData` of the STT, LLM and TTS services in that turn;
- every `ErrorFrame` as an `error` event (its category as the kind).
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from typing import Any, Dict, Optional

from pipecat.frames.frames import (
    BotStartedSpeakingFrame,
    CancelFrame,
    ClientConnectedFrame,
    EndFrame,
    ErrorFrame,
    MetricsFrame,
    UserStartedSpeakingFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.metrics.metrics import TTFBMetricsData
from pipecat.observers.base_observer import BaseObserver, FramePushed
from pipecat.processors.frame_processor import FrameDirection

from . import _default
from ._reporter import Reporter

try:  # the service base classes tell which stage a TTFB belongs to
    from pipecat.services.llm_service import LLMService
    from pipecat.services.stt_service import STTService
    from pipecat.services.tts_service import TTSService

    _STAGE_CLASSES: tuple = ((STTService, "stt_ms"), (LLMService, "llm_ttft_ms"), (TTSService, "tts_ttfb_ms"))
except ImportError:  # pragma: no cover - older layouts: fall back to the processor's name
    _STAGE_CLASSES = ()

__all__ = ["VoicefleetObserver", "attach"]

_STAGES = ("stt_ms", "llm_ttft_ms", "tts_ttfb_ms")


def _stage_of(source: Any, metrics: TTFBMetricsData) -> Optional[str]:
    for cls, stage in _STAGE_CLASSES:
        if isinstance(source, cls):
            return stage
    name = (metrics.processor or getattr(source, "name", "") or "").upper()
    for marker, stage in (("STT", "stt_ms"), ("LLM", "llm_ttft_ms"), ("TTS", "tts_ttfb_ms")):
        if marker in name:
            return stage
    return None


class _Turn:
    __slots__ = ("user_stopped_at", "e2e_ms", "stages")

    def __init__(self, user_stopped_at: float) -> None:
        self.user_stopped_at = user_stopped_at
        self.e2e_ms: Optional[float] = None
        self.stages: Dict[str, float] = {}


class VoicefleetObserver(BaseObserver):
    """Reports one pipeline's call and turns (one pipeline per call, as Pipecat bots run)."""

    def __init__(
        self,
        call_id: Optional[str] = None,
        *,
        reporter: Optional[Reporter] = None,
        end_reason: str = "agent_hangup",
        cancel_reason: str = "caller_hangup",
        **kwargs: Any,
    ) -> None:
        try:
            super().__init__(observe_every_push=False, **kwargs)
        except TypeError:  # Pipecat before observe_every_push: every push is seen
            super().__init__(**kwargs)
        self.call_id = call_id or f"pipecat-{uuid.uuid4().hex[:12]}"
        self._reporter = reporter or _default
        self._end_reason = end_reason
        self._cancel_reason = cancel_reason
        self._reason: Optional[str] = None
        self._started = False
        self._ended = False
        self._turn: Optional[_Turn] = None
        self._seen: "OrderedDict[int, None]" = OrderedDict()

    # -- the call ---------------------------------------------------------------------------

    def start_call(self) -> None:
        """Reports the call started (once); the observer does so by itself on the first
        `ClientConnectedFrame` or user turn."""
        if not self._started and not self._ended:
            self._started = True
            self._reporter.call_started(self.call_id)

    def end_call(self, reason: Optional[str] = None) -> None:
        """Reports the call ended now (once), with `reason`; or, called before the pipeline
        ends, sets the reason the end will carry when `reason` is given and the call goes on."""
        if reason is not None:
            self._reason = reason
        if self._started and not self._ended:
            self._flush_turn()
            self._ended = True
            self._reporter.call_ended(self.call_id, None, self._reason or self._end_reason)

    # -- frames -----------------------------------------------------------------------------

    def _first_time(self, data: FramePushed) -> bool:
        first = getattr(data, "first_push", None)
        if first is not None:
            return bool(first)
        frame_id = getattr(data.frame, "id", None)
        if frame_id is None:
            return True
        if frame_id in self._seen:
            return False
        self._seen[frame_id] = None
        if len(self._seen) > 1024:
            self._seen.popitem(last=False)
        return True

    async def on_push_frame(self, data: FramePushed) -> None:
        if not self._first_time(data):
            return
        frame = data.frame
        if isinstance(frame, ErrorFrame):
            category = getattr(frame, "category", None)
            kind = getattr(category, "value", None) or "pipecat_error"
            if kind == "unknown":
                kind = "pipecat_error"
            self._reporter.error(str(kind), str(frame.error))
            if getattr(frame, "fatal", False):
                self._reason = "error"
            return
        if data.direction != FrameDirection.DOWNSTREAM:
            return
        if isinstance(frame, ClientConnectedFrame):
            self.start_call()
        elif isinstance(frame, (VADUserStartedSpeakingFrame, UserStartedSpeakingFrame)):
            self.start_call()
            # A new utterance: the previous turn, answered, is complete.
            if self._turn is not None and self._turn.e2e_ms is not None:
                self._flush_turn()
        elif isinstance(frame, VADUserStoppedSpeakingFrame):
            self.start_call()
            if self._turn is not None and self._turn.e2e_ms is not None:
                self._flush_turn()
            stopped = getattr(frame, "timestamp", None) or time.time()
            stopped -= getattr(frame, "stop_secs", 0.0) or 0.0
            if self._turn is None:
                self._turn = _Turn(stopped)
            else:  # the user went on after a pause: the turn ends at the last silence
                self._turn.user_stopped_at = stopped
        elif isinstance(frame, MetricsFrame):
            if self._turn is None:
                return
            for metrics in frame.data:
                if isinstance(metrics, TTFBMetricsData) and metrics.value > 0:
                    stage = _stage_of(data.source, metrics)
                    if stage is not None and stage not in self._turn.stages:
                        self._turn.stages[stage] = metrics.value * 1000.0
            self._maybe_complete()
        elif isinstance(frame, BotStartedSpeakingFrame):
            if self._turn is not None and self._turn.e2e_ms is None:
                self._turn.e2e_ms = max(0.0, (time.time() - self._turn.user_stopped_at) * 1000.0)
                self._maybe_complete()
        elif isinstance(frame, EndFrame):
            self.end_call(self._reason or self._end_reason)
        elif isinstance(frame, CancelFrame):
            self.end_call(self._reason or self._cancel_reason)

    # -- turns ------------------------------------------------------------------------------

    def _maybe_complete(self) -> None:
        turn = self._turn
        if turn is not None and turn.e2e_ms is not None and all(s in turn.stages for s in _STAGES):
            self._flush_turn()

    def _flush_turn(self) -> None:
        """Reports the open turn if the bot answered it (a turn with no answer is dropped)."""
        turn, self._turn = self._turn, None
        if turn is None or turn.e2e_ms is None:
            return
        self._reporter.turn(
            self.call_id,
            e2e_ms=turn.e2e_ms,
            llm_ttft_ms=turn.stages.get("llm_ttft_ms"),
            tts_ttfb_ms=turn.stages.get("tts_ttfb_ms"),
            stt_ms=turn.stages.get("stt_ms"),
        )


def attach(task: Any, call_id: Optional[str] = None, *, reporter: Optional[Reporter] = None) -> VoicefleetObserver:
    """Adds a `VoicefleetObserver` to a `PipelineTask` (or `PipelineWorker`) already made and
    returns it."""
    observer = VoicefleetObserver(call_id, reporter=reporter)
    task.add_observer(observer)
    return observer
