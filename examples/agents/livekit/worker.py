"""A LiveKit Agents worker reporting to voicefleet: each job's AgentSession is one call.

voicefleet adds two lines to an ordinary worker, marked `# voicefleet`: `ready()` when the
worker registered with LiveKit, and `attach(session, ...)` in the session entrypoint. Drain is
LiveKit's own: on SIGTERM the worker stops taking jobs and waits for those in progress, which
is what the host agent expects (set `runtime.drain_timeout_seconds` to your longest call).

Real calls need a LiveKit server (LIVEKIT_URL in `runtime.env`; LIVEKIT_API_KEY and
LIVEKIT_API_SECRET as secrets) and provider keys (OPENAI_API_KEY, DEEPGRAM_API_KEY,
ELEVEN_API_KEY), which voicefleet puts in the environment from the secrets `voicefleet.json`
references, and the plugins: `pip install "livekit-agents[openai,deepgram,elevenlabs,silero]"
"voicefleet-agent-sdk[livekit]"`. The module imports with the bare `livekit-agents` (the tests
import and type-check it); the plugins are imported when a job starts.
"""

from __future__ import annotations

from typing import Any

from livekit.agents import Agent, AgentServer, AgentSession, JobContext, cli

import voicefleet_agent as vf
from voicefleet_agent.livekit import attach

server = AgentServer()
server.on("worker_registered", lambda *_: vf.ready())  # voicefleet: accepting calls


def settings() -> Any:
    try:
        return vf.config()["agent_settings"]
    except vf.ConfigError:  # run outside voicefleet: defaults
        return {"llm": {"model": "gpt-4.1-mini", "system_prompt": "You are a friendly, concise phone assistant."},
                "stt": {"model": "nova-3"}, "tts": {"voice_id": ""}}


@server.rtc_session()
async def entrypoint(ctx: JobContext) -> None:
    from livekit.plugins import deepgram, elevenlabs, openai, silero  # type: ignore[attr-defined]

    agent = settings()
    session: AgentSession = AgentSession(
        stt=deepgram.STT(model=agent["stt"]["model"]),
        llm=openai.LLM(model=agent["llm"]["model"]),
        tts=elevenlabs.TTS(voice_id=agent["tts"]["voice_id"]),
        vad=silero.VAD.load(),
    )
    attach(session, call_id=ctx.room.name)  # voicefleet: the call, its turns and errors
    await session.start(agent=Agent(instructions=agent["llm"]["system_prompt"]), room=ctx.room)
    await ctx.connect()


if __name__ == "__main__":
    cli.run_app(server)
