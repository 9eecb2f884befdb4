"""A Pipecat voice bot reporting to voicefleet: Deepgram STT → OpenAI LLM → ElevenLabs TTS over
Pipecat's development runner (WebRTC, Daily or telephony websockets, one pipeline per call).

voicefleet adds three things to an ordinary Pipecat bot, marked `# voicefleet`: the observer
on each call's task, `ready()` when the runner serves, and a drain on SIGTERM that stops taking
calls (the runner keeps serving the calls in progress; the host waits for them to end).

Real calls need provider keys: OPENAI_API_KEY, DEEPGRAM_API_KEY and ELEVENLABS_API_KEY, which
voicefleet puts in the environment from the secrets `voicefleet.json` references, and the
provider packages: `pip install "pipecat-ai[webrtc,daily,deepgram,openai,elevenlabs,silero,runner]"
"voicefleet-agent-sdk[pipecat]"`. The module imports with the bare `pipecat-ai` (the tests
import and type-check it); the providers are imported when a call starts.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from pipecat.pipeline.pipeline import Pipeline

try:  # Pipecat 1.3+
    from pipecat.pipeline.worker import PipelineParams, PipelineWorker as PipelineTask
    from pipecat.workers.runner import WorkerRunner as PipelineRunner
except ImportError:  # pragma: no cover - earlier Pipecat
    from pipecat.pipeline.runner import PipelineRunner  # type: ignore[no-redef]
    from pipecat.pipeline.task import PipelineParams, PipelineTask  # type: ignore[no-redef]

import voicefleet_agent as vf
from voicefleet_agent.pipecat import VoicefleetObserver

SYSTEM_PROMPT = "You are a friendly, concise phone assistant."


def settings() -> Any:
    """`agent_settings` of the voicefleet document (its LLM model, voice, prompt ...)."""
    try:
        return vf.config()["agent_settings"]
    except vf.ConfigError:  # run outside voicefleet: defaults
        return {"llm": {"model": "gpt-4.1-mini", "system_prompt": SYSTEM_PROMPT}, "tts": {"voice_id": ""}}


async def bot(runner_args: Any) -> None:
    """One call: the development runner calls this for every connection."""
    if vf.draining():  # voicefleet: a drain takes no new calls
        return
    from pipecat.audio.vad.silero import SileroVADAnalyzer
    from pipecat.processors.aggregators.llm_context import LLMContext
    from pipecat.processors.aggregators.llm_response_universal import (
        LLMContextAggregatorPair,
        LLMUserAggregatorParams,
    )
    from pipecat.runner.utils import create_transport
    from pipecat.services.deepgram.stt import DeepgramSTTService
    from pipecat.services.elevenlabs.tts import ElevenLabsTTSService
    from pipecat.services.openai.llm import OpenAILLMService
    from pipecat.transports.base_transport import TransportParams

    agent = settings()
    params = lambda: TransportParams(audio_in_enabled=True, audio_out_enabled=True)  # noqa: E731
    transport = await create_transport(runner_args, {"webrtc": params, "daily": params, "twilio": params})
    stt = DeepgramSTTService(api_key=os.environ["DEEPGRAM_API_KEY"])
    llm = OpenAILLMService(api_key=os.environ["OPENAI_API_KEY"], model=agent["llm"]["model"])
    tts = ElevenLabsTTSService(api_key=os.environ["ELEVENLABS_API_KEY"], voice_id=agent["tts"]["voice_id"])
    context = LLMContext([{"role": "system", "content": agent["llm"].get("system_prompt", SYSTEM_PROMPT)}])
    aggregators = LLMContextAggregatorPair(context, user_params=LLMUserAggregatorParams(vad_analyzer=SileroVADAnalyzer()))
    pipeline = Pipeline([transport.input(), stt, aggregators.user(), llm, tts, transport.output(),
                         aggregators.assistant()])
    task = PipelineTask(pipeline, params=PipelineParams(enable_metrics=True),
                        observers=[VoicefleetObserver()])  # voicefleet: the call and its turns

    @transport.event_handler("on_client_disconnected")
    async def on_client_disconnected(transport: Any, client: Any) -> None:
        await task.cancel()  # reported as the caller hanging up

    runner = PipelineRunner(handle_sigint=False)
    if hasattr(runner, "add_workers"):
        await runner.add_workers(task)
        await runner.run()
    else:  # pragma: no cover
        await runner.run(task)


def main() -> None:
    from pipecat.runner.run import main as serve

    vf.on_drain(lambda: print(f"draining: {vf.active_calls()} calls in progress", flush=True))  # voicefleet
    threading.Timer(2.0, vf.ready).start()  # voicefleet: serving (the runner gives no hook)
    serve()


if __name__ == "__main__":
    main()
