"""A Pipecat call with no network: scripted STT, LLM and TTS processors, subclasses of Pipecat's
own service classes, that push what the real services push (a `TranscriptionFrame`, LLM text,
the bot starting to speak) and report their time to first byte through Pipecat's own metrics
code (`start_ttfb_metrics` / `stop_ttfb_metrics` → `MetricsFrame([TTFBMetricsData])`)."""

from __future__ import annotations

import asyncio
import time
from typing import List, Optional

from pipecat.frames.frames import (
    BotStartedSpeakingFrame,
    BotStoppedSpeakingFrame,
    ClientConnectedFrame,
    EndFrame,
    ErrorFrame,
    Frame,
    LLMFullResponseEndFrame,
    LLMFullResponseStartFrame,
    LLMTextFrame,
    TranscriptionFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.pipeline.pipeline import Pipeline
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.services.llm_service import LLMService
from pipecat.services.stt_service import STTService
from pipecat.services.tts_service import TTSService

try:  # Pipecat 1.3+: PipelineWorker and WorkerRunner; PipelineTask and PipelineRunner before
    from pipecat.pipeline.worker import PipelineParams, PipelineWorker as PipelineTask
    from pipecat.workers.runner import WorkerRunner as PipelineRunner
except ImportError:  # pragma: no cover
    from pipecat.pipeline.runner import PipelineRunner  # type: ignore[no-redef]
    from pipecat.pipeline.task import PipelineParams, PipelineTask  # type: ignore[no-redef]

import voicefleet_agent.pipecat as vf_pipecat
from voicefleet_agent import Reporter


class ScriptedSTT(STTService):
    def __init__(self, delay: float) -> None:
        super().__init__(sample_rate=16000)
        self.delay = delay

    def can_generate_metrics(self) -> bool:  # as every real service does
        return True

    async def run_stt(self, audio: bytes):  # type: ignore[override]
        yield None

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await FrameProcessor.process_frame(self, frame, direction)  # not the real STT's audio logic
        if isinstance(frame, VADUserStoppedSpeakingFrame):
            await self.push_frame(frame, direction)
            # As the real STT: measured from the end of speech (VAD time less stop_secs).
            await self.start_ttfb_metrics(start_time=frame.timestamp - frame.stop_secs)
            await asyncio.sleep(self.delay)
            await self.stop_ttfb_metrics()
            await self.push_frame(TranscriptionFrame("I'd like an appointment", "caller", "now"))
        else:
            await self.push_frame(frame, direction)


class ScriptedLLM(LLMService):
    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    def can_generate_metrics(self) -> bool:  # as every real service does
        return True

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await FrameProcessor.process_frame(self, frame, direction)
        if isinstance(frame, TranscriptionFrame):
            await self.start_ttfb_metrics()
            await self.push_frame(LLMFullResponseStartFrame())
            await asyncio.sleep(self.delay)
            await self.stop_ttfb_metrics()
            await self.push_frame(LLMTextFrame("Sure, what day suits you?"))
            await self.push_frame(LLMFullResponseEndFrame())
        else:
            await self.push_frame(frame, direction)


class ScriptedTTS(TTSService):
    def __init__(self, delay: float) -> None:
        super().__init__(sample_rate=16000)
        self.delay = delay

    def can_generate_metrics(self) -> bool:  # as every real service does
        return True

    async def run_tts(self, text: str, context_id: str):  # type: ignore[override]
        yield None

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await FrameProcessor.process_frame(self, frame, direction)
        if isinstance(frame, LLMTextFrame):
            await self.start_ttfb_metrics()
            await asyncio.sleep(self.delay)
            await self.stop_ttfb_metrics()
            # What the output transport pushes when the first audio plays.
            await self.push_frame(BotStartedSpeakingFrame())
            await self.push_frame(BotStoppedSpeakingFrame())
        elif not isinstance(frame, (LLMFullResponseStartFrame, LLMFullResponseEndFrame)):
            await self.push_frame(frame, direction)


async def run_call(
    call_id: str,
    turns: int = 3,
    delays: tuple = (0.05, 0.12, 0.04),
    stop_secs: float = 0.2,
    reporter: Optional[Reporter] = None,
    hangup: str = "end",
    fail: bool = False,
) -> List[Frame]:
    """Runs one call of `turns` turns through STT → LLM → TTS to the end (`EndFrame`), or to a
    `CancelFrame` (the caller hung up) with `hangup="cancel"`."""
    stt, llm, tts = ScriptedSTT(delays[0]), ScriptedLLM(delays[1]), ScriptedTTS(delays[2])
    task = PipelineTask(Pipeline([stt, llm, tts]), params=PipelineParams(enable_metrics=True),
                        cancel_on_idle_timeout=False)
    vf_pipecat.attach(task, call_id=call_id, reporter=reporter)  # the one line a bot adds
    runner = PipelineRunner(handle_sigint=False)

    async def caller() -> None:
        await asyncio.sleep(0.2)
        await task.queue_frame(ClientConnectedFrame())
        for _ in range(turns):
            await task.queue_frame(VADUserStartedSpeakingFrame())
            await asyncio.sleep(0.05)
            await task.queue_frame(VADUserStoppedSpeakingFrame(stop_secs=stop_secs, timestamp=time.time()))
            await asyncio.sleep(sum(delays) + 0.15)
        if fail:
            await task.queue_frame(ErrorFrame("the LLM provider answered 503"), FrameDirection.UPSTREAM)
            await asyncio.sleep(0.05)
        if hangup == "cancel":
            await task.cancel()
        else:
            await task.queue_frame(EndFrame())

    if hasattr(runner, "add_workers"):
        await runner.add_workers(task)
        await asyncio.gather(runner.run(), caller())
    else:  # pragma: no cover - Pipecat before 1.3
        await asyncio.gather(runner.run(task), caller())
    return []

