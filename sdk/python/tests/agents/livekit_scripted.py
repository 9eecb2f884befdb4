"""A LiveKit Agents call with no network: a real `AgentSession` (no models, never started) whose
event emitter gets the events a running session emits, built from LiveKit's own classes."""

from __future__ import annotations

import time
from typing import Optional

from livekit.agents import AgentSession
from livekit.agents.llm import LLMError
from livekit.agents.metrics import EOUMetrics, LLMMetrics, STTMetrics, TTSMetrics, VADMetrics
from livekit.agents.voice.events import CloseEvent, CloseReason, ErrorEvent, MetricsCollectedEvent

import voicefleet_agent.livekit as vf_livekit
from voicefleet_agent import Reporter


def llm_metrics(speech_id: str, ttft: float) -> LLMMetrics:
    return LLMMetrics(label="openai.LLM", request_id=f"req-{speech_id}", timestamp=time.time(), duration=0.9,
                      ttft=ttft, cancelled=False, completion_tokens=20, prompt_tokens=300,
                      prompt_cached_tokens=0, total_tokens=320, tokens_per_second=40.0, speech_id=speech_id)


def tts_metrics(speech_id: str, ttfb: float) -> TTSMetrics:
    return TTSMetrics(label="elevenlabs.TTS", request_id=f"tts-{speech_id}", timestamp=time.time(), ttfb=ttfb,
                      duration=1.2, audio_duration=2.5, cancelled=False, characters_count=42, streamed=True,
                      speech_id=speech_id)


def eou_metrics(speech_id: str, eou: float, transcription: float) -> EOUMetrics:
    return EOUMetrics(timestamp=time.time(), end_of_utterance_delay=eou, transcription_delay=transcription,
                      on_user_turn_completed_delay=0.001, speech_id=speech_id)


def run_call(call_id: Optional[str], turns: int = 3, reporter: Optional[Reporter] = None,
             reason: CloseReason = CloseReason.PARTICIPANT_DISCONNECTED, fail: bool = False) -> AgentSession:
    session: AgentSession = AgentSession()
    vf_livekit.attach(session, call_id=call_id, reporter=reporter)  # the one line a worker adds
    emit = lambda metrics: session.emit("metrics_collected", MetricsCollectedEvent(metrics=metrics))  # noqa: E731
    # The greeting: a say() with TTS only, no user turn before it.
    emit(tts_metrics("greeting", 0.2))
    for n in range(turns):
        speech = f"speech-{n}"
        emit(VADMetrics(label="silero.VAD", timestamp=time.time(), idle_time=0.1,
                        inference_duration_total=0.01, inference_count=30))
        emit(STTMetrics(label="deepgram.STT", request_id=f"stt-{n}", timestamp=time.time(), duration=0.0,
                        audio_duration=1.5, streamed=True))
        emit(eou_metrics(speech, 0.5 + 0.1 * n, 0.12))
        emit(llm_metrics(speech, 0.35))
        if n == 0:  # a tool call: a second inference for the same reply counts once
            emit(llm_metrics(speech, 0.9))
        emit(tts_metrics(speech, 0.15))
    if fail:
        session.emit("error", ErrorEvent(error=LLMError(timestamp=time.time(), label="openai.LLM",
                                                                  error=TimeoutError("openai timed out"), recoverable=True),
                                         source=None))
    session.emit("close", CloseEvent(reason=reason))
    return session
