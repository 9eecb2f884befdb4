//! The simulated voice agent: a program that speaks the voice-agent protocol, for tests,
//! benchmarks and the demo. It reads `VOICEFLEET_CONFIG`, prints `ready`, simulates calls with
//! turn latencies that depend on the configured providers, drains on SIGTERM (finishes its calls,
//! then exits 0) and reloads on SIGHUP.
//!
//! Behaviour is tuned by `extensions.simulator` in the configuration (all optional):
//!
//! | key | default | meaning |
//! |---|---|---|
//! | `ready_delay_ms` | 100 | wait before printing `ready` |
//! | `emit_ready` | true | print `ready` at all |
//! | `call_interval_ms` | 2000 | start a call this often (0: never) |
//! | `call_duration_ms` | 8000 | how long a call lasts |
//! | `turn_interval_ms` | 1000 | a turn this often in each call |
//! | `max_calls` | unlimited | stop starting calls after this many |
//! | `error_every_turns` | 0 | print an `error` event every N turns (0: never) |
//! | `crash_after_ms` | none | exit with `crash_exit_code` (default 1) after this long |
//! | `ignore_sigterm` | false | hang on SIGTERM instead of draining |
//! | `leak_mb_per_second` | 0 | allocate and touch this much memory every second |
//! | `flood_lines_per_second` | 0 | print numbered lines `flood N` at this rate |
//! | `flood_seconds` | unlimited | stop flooding after this long |
//! | `grandchildren` | 0 | start this many child processes that ignore SIGTERM |

use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
use serde_json::{Value, json};

static TERMINATE: AtomicBool = AtomicBool::new(false);
static RELOAD: AtomicBool = AtomicBool::new(false);

extern "C" fn on_terminate(_: i32) {
    TERMINATE.store(true, Ordering::SeqCst);
}

extern "C" fn on_reload(_: i32) {
    RELOAD.store(true, Ordering::SeqCst);
}

#[derive(Debug, Clone)]
struct Settings {
    ready_delay: Duration,
    emit_ready: bool,
    call_interval: Option<Duration>,
    call_duration: Duration,
    turn_interval: Duration,
    max_calls: Option<u64>,
    error_every_turns: u64,
    crash_after: Option<Duration>,
    crash_exit_code: i32,
    ignore_sigterm: bool,
    leak_mb_per_second: u64,
    flood_lines_per_second: u64,
    flood_for: Option<Duration>,
    grandchildren: u64,
    base_latency_ms: [f64; 3],
    max_concurrent_calls: u64,
    summary: String,
}

fn settings_from(config: &Value) -> Settings {
    let sim = &config["extensions"]["simulator"];
    let ms = |key: &str, default: u64| Duration::from_millis(sim[key].as_u64().unwrap_or(default));
    let opt_ms = |key: &str| sim[key].as_u64().map(Duration::from_millis);
    let llm = config["agent_settings"]["llm"]["provider"].as_str().unwrap_or("openai");
    let stt = config["agent_settings"]["stt"]["provider"].as_str().unwrap_or("deepgram");
    let tts = config["agent_settings"]["tts"]["provider"].as_str().unwrap_or("elevenlabs");
    let llm_ms = match llm {
        "groq" => 140.0,
        "google" => 320.0,
        "anthropic" => 450.0,
        "azure_openai" => 420.0,
        _ => 380.0,
    };
    let stt_ms = match stt {
        "deepgram" => 110.0,
        "assemblyai" => 190.0,
        "openai" => 260.0,
        _ => 170.0,
    };
    let tts_ms = match tts {
        "cartesia" => 90.0,
        "deepgram" => 120.0,
        "elevenlabs" => 160.0,
        "openai" => 240.0,
        _ => 180.0,
    };
    let interval = ms("call_interval_ms", 2000);
    Settings {
        ready_delay: ms("ready_delay_ms", 100),
        emit_ready: sim["emit_ready"].as_bool().unwrap_or(true),
        call_interval: (!interval.is_zero()).then_some(interval),
        call_duration: ms("call_duration_ms", 8000),
        turn_interval: ms("turn_interval_ms", 1000).max(Duration::from_millis(10)),
        max_calls: sim["max_calls"].as_u64(),
        error_every_turns: sim["error_every_turns"].as_u64().unwrap_or(0),
        crash_after: opt_ms("crash_after_ms"),
        crash_exit_code: sim["crash_exit_code"].as_i64().unwrap_or(1) as i32,
        ignore_sigterm: sim["ignore_sigterm"].as_bool().unwrap_or(false),
        leak_mb_per_second: sim["leak_mb_per_second"].as_u64().unwrap_or(0),
        flood_lines_per_second: sim["flood_lines_per_second"].as_u64().unwrap_or(0),
        flood_for: opt_ms("flood_seconds").map(|d| d * 1000),
        grandchildren: sim["grandchildren"].as_u64().unwrap_or(0),
        base_latency_ms: [llm_ms, stt_ms, tts_ms],
        max_concurrent_calls: config["runtime"]["max_concurrent_calls"].as_u64().unwrap_or(10),
        summary: format!("llm={llm} stt={stt} tts={tts}"),
    }
}

fn load_config() -> Result<Value, String> {
    let path = std::env::var("VOICEFLEET_CONFIG").map_err(|_| "VOICEFLEET_CONFIG is not set".to_owned())?;
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
    serde_json::from_str(&text).map_err(|e| format!("cannot parse {path}: {e}"))
}

struct Call {
    id: String,
    started: Instant,
    next_turn: Instant,
}

/// Runs the simulated agent until it drains, crashes or is killed; returns the exit code.
pub fn run() -> i32 {
    for (signal, handler) in
        [(Signal::SIGTERM, on_terminate as extern "C" fn(i32)), (Signal::SIGHUP, on_reload)]
    {
        let action = SigAction::new(SigHandler::Handler(handler), SaFlags::SA_RESTART, SigSet::empty());
        // SAFETY: the handlers only store to atomics, which is async-signal-safe.
        unsafe {
            let _ = sigaction(signal, &action);
        }
    }
    let mut config = match load_config() {
        Ok(config) => config,
        Err(message) => {
            eprintln!("simulated agent: {message}");
            return 2;
        }
    };
    let mut settings = settings_from(&config);
    let customer = std::env::var("VOICEFLEET_CUSTOMER_ID").unwrap_or_default();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(256 * 1024, stdout.lock());
    let _ = writeln!(out, "simulated voice agent for {customer} starting ({})", settings.summary);
    let _ = out.flush();
    eprintln!("simulated agent: pid {}", std::process::id());

    let mut grandchildren = Vec::new();
    for _ in 0..settings.grandchildren {
        if let Ok(child) = std::process::Command::new("/bin/sh")
            .args(["-c", "trap '' TERM; while :; do sleep 1; done"])
            .spawn()
        {
            grandchildren.push(child);
        }
    }

    let started = Instant::now();
    let mut rng = u64::from(std::process::id()).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut random = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        (rng >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut ready = false;
    let mut draining = false;
    let mut calls: Vec<Call> = Vec::new();
    let mut calls_started = 0u64;
    let mut turns = 0u64;
    let mut next_call = started + settings.ready_delay;
    let mut leaked: Vec<Vec<u8>> = Vec::new();
    let mut next_leak = started + Duration::from_secs(1);
    let mut flooded = 0u64;
    let mut call_counter = 0u64;
    loop {
        let now = Instant::now();
        if TERMINATE.swap(false, Ordering::SeqCst) {
            if settings.ignore_sigterm {
                let _ = writeln!(out, "SIGTERM received and ignored");
            } else {
                draining = true;
                let _ = writeln!(out, "SIGTERM received: draining {} active calls", calls.len());
            }
        }
        if RELOAD.swap(false, Ordering::SeqCst) {
            match load_config() {
                Ok(new) => {
                    config = new;
                    settings = settings_from(&config);
                    let _ = writeln!(out, "config reloaded ({})", settings.summary);
                }
                Err(message) => {
                    let _ = writeln!(
                        out,
                        "{}",
                        json!({"event": "error", "kind": "reload_failed", "message": message})
                    );
                }
            }
        }
        if let Some(after) = settings.crash_after
            && now.duration_since(started) >= after
        {
            let _ = writeln!(out, "simulated crash after {} ms", after.as_millis());
            let _ = out.flush();
            return settings.crash_exit_code;
        }
        if !ready && settings.emit_ready && now >= started + settings.ready_delay {
            ready = true;
            let _ = writeln!(out, "{}", json!({"event": "ready"}));
        }
        // New calls.
        if let Some(interval) = settings.call_interval {
            let allowed = settings.max_calls.is_none_or(|max| calls_started < max);
            if !draining
                && ready
                && allowed
                && now >= next_call
                && (calls.len() as u64) < settings.max_concurrent_calls
            {
                call_counter += 1;
                let id = format!("call-{}-{call_counter}", std::process::id());
                let _ = writeln!(out, "{}", json!({"event": "call_started", "call_id": id}));
                calls.push(Call { id, started: now, next_turn: now + settings.turn_interval });
                calls_started += 1;
                next_call = now + interval;
            }
        }
        // Turns and call ends.
        let mut index = 0;
        while index < calls.len() {
            let call = &mut calls[index];
            if now.duration_since(call.started) >= settings.call_duration {
                let duration_s = now.duration_since(call.started).as_secs_f64();
                let reason = if random() < 0.8 { "caller_hangup" } else { "agent_hangup" };
                let _ = writeln!(
                    out,
                    "{}",
                    json!({"event": "call_ended", "call_id": call.id, "duration_s": (duration_s * 10.0).round() / 10.0, "disconnect_reason": reason})
                );
                calls.swap_remove(index);
                continue;
            }
            if now >= call.next_turn {
                call.next_turn = now + settings.turn_interval;
                turns += 1;
                let [llm, stt, tts] = settings.base_latency_ms;
                let jitter = |base: f64, r: f64| (base * (0.7 + 0.6 * r)).round();
                let (llm, stt, tts) = (jitter(llm, random()), jitter(stt, random()), jitter(tts, random()));
                let e2e = llm + stt + tts + 60.0;
                let _ = writeln!(
                    out,
                    "{}",
                    json!({"event": "turn", "call_id": call.id, "e2e_ms": e2e, "llm_ttft_ms": llm, "tts_ttfb_ms": tts, "stt_ms": stt})
                );
                if settings.error_every_turns > 0 && turns.is_multiple_of(settings.error_every_turns) {
                    let _ = writeln!(
                        out,
                        "{}",
                        json!({"event": "error", "kind": "llm_timeout", "message": "simulated provider timeout"})
                    );
                }
            }
            index += 1;
        }
        if draining && calls.is_empty() {
            let _ = writeln!(out, "drained: exiting");
            let _ = out.flush();
            for mut child in grandchildren {
                let _ = child.kill();
                let _ = child.wait();
            }
            return 0;
        }
        // Load generators.
        if settings.leak_mb_per_second > 0 && now >= next_leak {
            next_leak = now + Duration::from_secs(1);
            let mut block = vec![0u8; (settings.leak_mb_per_second * 1024 * 1024) as usize];
            for page in block.chunks_mut(4096) {
                page[0] = 1;
            }
            leaked.push(block);
        }
        if settings.flood_lines_per_second > 0 {
            // Exactly rate x duration lines in all, spread over the duration.
            let elapsed = settings
                .flood_for
                .map_or(now.duration_since(started), |limit| now.duration_since(started).min(limit));
            {
                let due = (elapsed.as_secs_f64() * settings.flood_lines_per_second as f64).round() as u64;
                while flooded < due {
                    flooded += 1;
                    let _ = writeln!(out, "flood {flooded}");
                }
            }
        }
        let _ = out.flush();
        std::thread::sleep(Duration::from_millis(if settings.flood_lines_per_second > 0 { 2 } else { 10 }));
    }
}
