import time, voicefleet_agent as vf  # a voice agent on the SDK: 20 calls, a failed one, one in progress
vf.on_drain(lambda: vf.call_ended("c-live", disconnect_reason="agent_hangup"))  # SIGTERM ends it
assert vf.config()["agent_settings"]["llm"]["model"] and vf.secret("openai_api_key") == "sk-test-openai"
vf.ready()
for n in range(20):
    with vf.call(f"c-{n}") as call:
        call.turn(e2e_ms=500 + 10 * n, llm_ttft_ms=300 + n, tts_ttfb_ms=150, stt_ms=100)
vf.error("provider_timeout", "the LLM took 5 s"); vf.call_started("c-live")
try:
    with vf.call("c-fail"): raise ConnectionError("the caller's line dropped")
except ConnectionError: pass
while vf.active_calls(): time.sleep(0.1)
