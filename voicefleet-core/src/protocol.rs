//! The voice-agent protocol: the JSON-lines events a voice agent prints on stdout, and the call
//! metrics derived from them. Documented for agent authors in `docs/voice-agent-protocol.md`.
//! Pure: times are given in milliseconds since the Unix epoch.

mod window;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// One event from a voice agent.
#[derive(Debug, Clone, PartialEq)]
pub enum AgentEvent {
    /// `{"event": "ready"}`: the agent accepts calls (`starting` becomes `running`).
    Ready,
    /// A call began; the same id twice is one call.
    CallStarted {
        /// The agent's id for the call.
        call_id: String,
    },
    /// A call ended.
    CallEnded {
        /// The id its `call_started` gave.
        call_id: String,
        /// How long it lasted, in seconds, when the agent said.
        duration_s: Option<f64>,
        /// Why it ended (`caller_hangup`, `error`…), when the agent said.
        disconnect_reason: Option<String>,
    },
    /// One conversational turn and its latencies.
    Turn {
        /// The call it belongs to, when the agent said.
        call_id: Option<String>,
        /// Its latencies, in milliseconds.
        latency: TurnLatency,
    },
    /// Something failed in the agent; counted in the error rate.
    Error {
        /// A short machine-readable kind (`llm_timeout`, `reload_failed`); `unknown` when absent.
        kind: String,
        /// What happened, in words; empty when absent.
        message: String,
    },
}

/// Latencies of one conversational turn, in milliseconds; absent ones were not reported.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TurnLatency {
    /// End to end: from the caller's last sound to the agent's first audio.
    pub e2e_ms: Option<f64>,
    /// The LLM's time to first token.
    pub llm_ttft_ms: Option<f64>,
    /// Text-to-speech's time to first byte of audio.
    pub tts_ttfb_ms: Option<f64>,
    /// Speech-to-text's delay to the final transcript.
    pub stt_ms: Option<f64>,
}

/// What a stdout line is.
#[derive(Debug, Clone, PartialEq)]
pub enum LineKind {
    /// A protocol event.
    Event(AgentEvent),
    /// Looked like an event (a JSON object with `event`, or an object that does not parse) but is
    /// not a valid one: kept as a log line and counted, never fatal.
    Malformed {
        /// Why it is not a valid event (a JSON error, an unknown `event`, a missing `call_id`).
        reason: String,
    },
    /// An ordinary log line.
    Plain,
}

#[derive(Deserialize)]
struct RawEvent {
    event: String,
    call_id: Option<String>,
    duration_s: Option<f64>,
    disconnect_reason: Option<String>,
    e2e_ms: Option<f64>,
    llm_ttft_ms: Option<f64>,
    tts_ttfb_ms: Option<f64>,
    stt_ms: Option<f64>,
    kind: Option<String>,
    message: Option<String>,
}

/// Classifies one stdout line.
pub fn parse_line(line: &str) -> LineKind {
    let trimmed = line.trim();
    if !trimmed.starts_with('{') || !trimmed.contains("\"event\"") {
        return LineKind::Plain;
    }
    let raw: RawEvent = match serde_json::from_str(trimmed) {
        Ok(raw) => raw,
        Err(error) => return LineKind::Malformed { reason: error.to_string() },
    };
    let need_call = |call_id: Option<String>| {
        call_id.filter(|id| !id.is_empty()).ok_or_else(|| format!("`{}` needs a call_id", raw.event))
    };
    let event = match raw.event.as_str() {
        "ready" => Ok(AgentEvent::Ready),
        "call_started" => need_call(raw.call_id.clone()).map(|call_id| AgentEvent::CallStarted { call_id }),
        "call_ended" => need_call(raw.call_id.clone()).map(|call_id| AgentEvent::CallEnded {
            call_id,
            duration_s: raw.duration_s,
            disconnect_reason: raw.disconnect_reason.clone(),
        }),
        "turn" => Ok(AgentEvent::Turn {
            call_id: raw.call_id.clone(),
            latency: TurnLatency {
                e2e_ms: raw.e2e_ms,
                llm_ttft_ms: raw.llm_ttft_ms,
                tts_ttfb_ms: raw.tts_ttfb_ms,
                stt_ms: raw.stt_ms,
            },
        }),
        "error" => Ok(AgentEvent::Error {
            kind: raw.kind.clone().unwrap_or_else(|| "unknown".to_owned()),
            message: raw.message.clone().unwrap_or_default(),
        }),
        other => Err(format!("unknown event `{other}`")),
    };
    match event {
        Ok(event) => LineKind::Event(event),
        Err(reason) => LineKind::Malformed { reason },
    }
}

/// p50, p95 and p99 of one latency, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Percentiles {
    /// The median, in milliseconds.
    pub p50: f64,
    /// The 95th percentile (nearest rank), in milliseconds.
    pub p95: f64,
    /// The 99th percentile (nearest rank), in milliseconds.
    pub p99: f64,
    /// How many samples they were computed from.
    pub count: usize,
}

/// Percentiles of every turn latency over one window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LatencySummary {
    /// End-to-end turn latency; none when no turn in the window reported it.
    pub e2e_ms: Option<Percentiles>,
    /// The LLM's time to first token; none when no turn in the window reported it.
    pub llm_ttft_ms: Option<Percentiles>,
    /// Text-to-speech's time to first byte; none when no turn in the window reported it.
    pub tts_ttfb_ms: Option<Percentiles>,
    /// Speech-to-text's delay; none when no turn in the window reported it.
    pub stt_ms: Option<Percentiles>,
}

/// Upper bounds of the turn-latency histogram buckets, in seconds (a last `+Inf` bucket is
/// implied): fine around the 0.3-1.5 s where voice turns live.
pub const LATENCY_BUCKETS_SECONDS: [f64; 12] =
    [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0];

/// A latency histogram since the instance started, in seconds: per bucket of
/// [`LATENCY_BUCKETS_SECONDS`] the count of observations at most its bound and above the one
/// before (the last entry counts those over every bound), their sum and count. Unlike
/// percentiles, histograms from many hosts add up, so a fleet-wide p95 can be computed from them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Histogram {
    /// Observations per bucket (not cumulative): one entry per bound (0.05, 0.1, 0.2, 0.3, 0.5,
    /// 0.75, 1, 1.5, 2, 3, 5 and 10 seconds), then one for those above every bound.
    pub buckets: Vec<u64>,
    /// The sum of every observation, in seconds.
    pub sum_seconds: f64,
    /// How many observations.
    pub count: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram { buckets: vec![0; LATENCY_BUCKETS_SECONDS.len() + 1], sum_seconds: 0.0, count: 0 }
    }
}

impl Histogram {
    /// Counts one observation (negative or non-finite values are ignored).
    pub fn observe(&mut self, seconds: f64) {
        if !seconds.is_finite() || seconds < 0.0 {
            return;
        }
        let index = LATENCY_BUCKETS_SECONDS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(LATENCY_BUCKETS_SECONDS.len());
        if self.buckets.len() != LATENCY_BUCKETS_SECONDS.len() + 1 {
            self.buckets = vec![0; LATENCY_BUCKETS_SECONDS.len() + 1];
        }
        self.buckets[index] += 1;
        self.sum_seconds += seconds;
        self.count += 1;
    }
}

/// A histogram for each turn latency.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LatencyHistograms {
    /// End-to-end turn latency.
    pub e2e: Histogram,
    /// The LLM's time to first token.
    pub llm_ttft: Histogram,
    /// Text-to-speech's time to first byte.
    pub tts_ttfb: Histogram,
    /// Speech-to-text's delay.
    pub stt: Histogram,
}

impl LatencyHistograms {
    fn observe(&mut self, latency: &TurnLatency) {
        let pairs = [
            (&mut self.e2e, latency.e2e_ms),
            (&mut self.llm_ttft, latency.llm_ttft_ms),
            (&mut self.tts_ttfb, latency.tts_ttfb_ms),
            (&mut self.stt, latency.stt_ms),
        ];
        for (histogram, milliseconds) in pairs {
            if let Some(milliseconds) = milliseconds {
                histogram.observe(milliseconds / 1000.0);
            }
        }
    }

    /// `(stage name, histogram)` for each stage.
    pub fn stages(&self) -> [(&'static str, &Histogram); 4] {
        [("e2e", &self.e2e), ("llm_ttft", &self.llm_ttft), ("tts_ttfb", &self.tts_ttfb), ("stt", &self.stt)]
    }
}

/// Call metrics of one voice-agent instance, derived from its events.
#[derive(Debug, Clone, Default)]
pub struct CallStats {
    active: BTreeSet<String>,
    /// Calls started.
    pub calls_total: u64,
    /// `error` events.
    pub errors_total: u64,
    /// Lines that looked like events but were not valid ones.
    pub malformed_events: u64,
    /// Ended calls by `disconnect_reason` (`unknown` when the agent gave none).
    pub disconnect_reasons: BTreeMap<String, u64>,
    /// Every turn's latencies, bucketed.
    pub histograms: LatencyHistograms,
    /// The last hour's turns and errors, a slot a minute (bounded whatever the call rate).
    window: window::Window,
}

impl CallStats {
    /// Calls in progress.
    pub fn active_calls(&self) -> usize {
        self.active.len()
    }

    /// Applies one event seen at `now_ms`.
    pub fn record(&mut self, event: &AgentEvent, now_ms: u64) {
        match event {
            AgentEvent::Ready => {}
            AgentEvent::CallStarted { call_id } => {
                if self.active.insert(call_id.clone()) {
                    self.calls_total += 1;
                }
            }
            AgentEvent::CallEnded { call_id, disconnect_reason, .. } => {
                self.active.remove(call_id);
                let reason = disconnect_reason.clone().unwrap_or_else(|| "unknown".to_owned());
                *self.disconnect_reasons.entry(reason).or_default() += 1;
            }
            AgentEvent::Turn { latency, .. } => {
                self.histograms.observe(latency);
                self.window.turn(latency, now_ms);
            }
            AgentEvent::Error { .. } => {
                self.errors_total += 1;
                self.window.error(now_ms);
            }
        }
        self.window.expire(now_ms);
    }

    /// Forgets one call in progress without counting an end (its process is gone).
    pub fn forget_call(&mut self, call_id: &str) {
        self.active.remove(call_id);
    }

    /// Forgets calls in progress (the process they belonged to is gone).
    pub fn clear_active(&mut self) {
        self.active.clear();
    }

    /// Errors per turn over the last `window_ms`: error events / (turns + error events); 0 without
    /// either. Counted by whole minutes (the current one and those that end inside the window), for
    /// the last hour.
    pub fn error_rate(&self, now_ms: u64, window_ms: u64) -> f64 {
        self.window.error_rate(now_ms, window_ms)
    }

    /// Latency percentiles over the last `window_ms` (5 minutes and 1 hour in the APIs), counted by
    /// whole minutes for the last hour. Values are kept in bins 1/128 wide, each reporting the mean
    /// of what it holds: a latency seen many times comes back exact, any other within 0.8 %;
    /// memory stays bounded whatever the call rate.
    pub fn latency(&self, now_ms: u64, window_ms: u64) -> LatencySummary {
        self.window.latency(now_ms, window_ms)
    }
}
