"""The smallest useful voice agent under voicefleet: it reads its configuration and secrets,
says it is ready, reports each call and turn, drains on SIGTERM and reloads on SIGHUP.

The "calls" here are simulated (one every few seconds) so that it runs anywhere; replace
`answer_calls` with your telephony or WebRTC loop. Run it under voicefleet with
`voicefleet-agent --customer-id demo --config examples/agents/minimal/voicefleet.json
--secrets-file secrets.json` from the repository root (secrets.json: {"openai_api_key": "..."}).
"""

from __future__ import annotations

import random
import threading
import time
from typing import Any, Dict

import voicefleet_agent as vf

settings: Dict[str, Any] = vf.config()["agent_settings"]
api_key = vf.secret("openai_api_key")  # from VOICEFLEET_SECRET_OPENAI_API_KEY
stop = threading.Event()


def drain() -> None:
    """SIGTERM: take no new calls; the host waits for the calls in progress to end."""
    print(f"draining: {vf.active_calls()} calls in progress", flush=True)
    stop.set()


def reload(config: Dict[str, Any]) -> None:
    """SIGHUP: the document changed and only agent_settings did (runtime.reload = "signal")."""
    global settings
    settings = config["agent_settings"]
    print(f"reloaded: model {settings['llm']['model']}", flush=True)


def handle_call(call_id: str) -> None:
    with vf.call(call_id) as call:
        for _ in range(random.randint(2, 5)):
            stt, ttft, ttfb = random.uniform(80, 160), random.uniform(250, 600), random.uniform(90, 250)
            time.sleep((stt + ttft + ttfb) / 1000)
            call.turn(e2e_ms=stt + ttft + ttfb + 40, llm_ttft_ms=ttft, tts_ttfb_ms=ttfb, stt_ms=stt)
        call.disconnect_reason = random.choice(["caller_hangup", "caller_hangup", "agent_hangup"])


def answer_calls() -> None:
    n = 0
    while not stop.wait(random.uniform(1, 4)):
        n += 1
        threading.Thread(target=handle_call, args=(f"call-{n}",)).start()


def main() -> None:
    vf.on_drain(drain)
    vf.on_reload(reload)
    vf.ready()
    answer_calls()
    vf.wait_for_calls()  # then exit 0: the host stops waiting as soon as active calls reach 0


if __name__ == "__main__":
    main()
