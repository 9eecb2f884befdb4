"""A voice agent that runs one scripted Pipecat call and one scripted LiveKit Agents session
(no network, no keys), each reported by its adapter, then stays up until drained."""

import asyncio
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import voicefleet_agent as vf  # noqa: E402

import livekit_scripted  # noqa: E402
import pipecat_scripted  # noqa: E402


async def main() -> None:
    stop = asyncio.Event()
    vf.on_drain(stop.set)
    vf.ready()
    await pipecat_scripted.run_call("pipecat-call", turns=4)
    livekit_scripted.run_call("livekit-room", turns=4)
    await stop.wait()


asyncio.run(main())
# The host agent gives an agent 1 s after its last call ends to exit before SIGKILL; tearing down
# the interpreter with Pipecat and LiveKit loaded can take longer than that on a loaded machine.
sys.stdout.flush()
os._exit(0)
