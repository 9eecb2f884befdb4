//! Voice-agent protocol events and the call metrics derived from them.

use voicefleet_core::protocol::{AgentEvent, CallStats, LineKind, TurnLatency, parse_line};

fn check(line: &str, expected: LineKind) {
    assert_eq!(parse_line(line), expected, "{line}");
}

#[test]
fn lines_are_classified() {
    check(r#"{"event": "ready"}"#, LineKind::Event(AgentEvent::Ready));
    check(
        r#"  {"event":"call_started","call_id":"c1"}  "#,
        LineKind::Event(AgentEvent::CallStarted { call_id: "c1".into() }),
    );
    check(
        r#"{"event":"call_ended","call_id":"c1","duration_s":12.5,"disconnect_reason":"caller_hangup"}"#,
        LineKind::Event(AgentEvent::CallEnded {
            call_id: "c1".into(),
            duration_s: Some(12.5),
            disconnect_reason: Some("caller_hangup".into()),
        }),
    );
    check(
        r#"{"event":"turn","call_id":"c1","e2e_ms":800,"llm_ttft_ms":300,"tts_ttfb_ms":150,"stt_ms":120}"#,
        LineKind::Event(AgentEvent::Turn {
            call_id: Some("c1".into()),
            latency: TurnLatency {
                e2e_ms: Some(800.0),
                llm_ttft_ms: Some(300.0),
                tts_ttfb_ms: Some(150.0),
                stt_ms: Some(120.0),
            },
        }),
    );
    check(
        r#"{"event":"error","kind":"llm_timeout","message":"no answer"}"#,
        LineKind::Event(AgentEvent::Error { kind: "llm_timeout".into(), message: "no answer".into() }),
    );
    check("plain log line", LineKind::Plain);
    check(r#"{"level":"info","msg":"json log without event"}"#, LineKind::Plain);
    for malformed in [
        r#"{"event": "ready""#,
        r#"{"event": "call_started"}"#,
        r#"{"event": "teleport"}"#,
        r#"{"event": 7}"#,
        r#"{"event":"turn","e2e_ms":"fast"}"#,
    ] {
        assert!(matches!(parse_line(malformed), LineKind::Malformed { .. }), "{malformed}");
    }
}

#[test]
fn call_stats_track_active_calls_errors_and_reasons() {
    let mut stats = CallStats::default();
    let start = |id: &str| AgentEvent::CallStarted { call_id: id.into() };
    let end = |id: &str, reason: &str| AgentEvent::CallEnded {
        call_id: id.into(),
        duration_s: None,
        disconnect_reason: Some(reason.into()),
    };
    stats.record(&start("a"), 1_000);
    stats.record(&start("b"), 1_000);
    stats.record(&start("b"), 1_000); // repeated: counted once
    assert_eq!((stats.active_calls(), stats.calls_total), (2, 2));
    stats.record(&end("a", "caller_hangup"), 2_000);
    stats.record(&end("zzz", "agent_hangup"), 2_000); // unknown call: reason still counted
    assert_eq!(stats.active_calls(), 1);
    assert_eq!(stats.disconnect_reasons.get("caller_hangup"), Some(&1));
    assert_eq!(stats.disconnect_reasons.get("agent_hangup"), Some(&1));
    let turn = |ms: f64| AgentEvent::Turn {
        call_id: None,
        latency: TurnLatency { e2e_ms: Some(ms), ..TurnLatency::default() },
    };
    for _ in 0..3 {
        stats.record(&turn(500.0), 3_000);
    }
    stats.record(&AgentEvent::Error { kind: "x".into(), message: String::new() }, 3_000);
    assert_eq!(stats.errors_total, 1);
    assert!((stats.error_rate(3_000, 300_000) - 0.25).abs() < 1e-9);
    stats.clear_active();
    assert_eq!(stats.active_calls(), 0);
}

#[test]
fn latency_windows_of_five_minutes_and_an_hour() {
    let mut stats = CallStats::default();
    let minute = 60_000u64;
    let t0 = 10 * 60 * minute;
    // Old, slow turns 30 minutes ago; fresh, fast turns now.
    for i in 0..100 {
        let latency =
            TurnLatency { e2e_ms: Some(2000.0 + i as f64), stt_ms: Some(100.0), ..TurnLatency::default() };
        stats.record(&AgentEvent::Turn { call_id: None, latency }, t0 - 30 * minute);
    }
    for i in 1..=100 {
        let latency = TurnLatency { e2e_ms: Some(i as f64 * 10.0), ..TurnLatency::default() };
        stats.record(&AgentEvent::Turn { call_id: None, latency }, t0);
    }
    let recent = stats.latency(t0, 5 * minute).e2e_ms.unwrap();
    assert_eq!((recent.p50, recent.p95, recent.p99, recent.count), (500.0, 950.0, 990.0, 100));
    assert!(stats.latency(t0, 5 * minute).stt_ms.is_none());
    let hour = stats.latency(t0, 60 * minute).e2e_ms.unwrap();
    assert_eq!(hour.count, 200);
    assert!(hour.p95 > 2000.0);
    // After more than an hour the old samples are dropped.
    stats.record(&AgentEvent::Ready, t0 + 45 * minute);
    assert_eq!(stats.latency(t0 + 45 * minute, 24 * 60 * minute).e2e_ms.unwrap().count, 100);
}

/// Exact nearest-rank percentiles of `samples`: what the windows approximate.
fn exact(mut samples: Vec<f64>) -> [f64; 3] {
    samples.sort_by(f64::total_cmp);
    [50.0, 95.0, 99.0].map(|p: f64| {
        let rank = ((p / 100.0) * samples.len() as f64).ceil() as usize;
        samples[rank.clamp(1, samples.len()) - 1]
    })
}

fn e2e(ms: f64) -> AgentEvent {
    AgentEvent::Turn { call_id: None, latency: TurnLatency { e2e_ms: Some(ms), ..TurnLatency::default() } }
}

#[test]
fn percentile_edges() {
    let mut stats = CallStats::default();
    assert_eq!(stats.latency(1_000, 300_000).e2e_ms, None);
    stats.record(&e2e(7.0), 1_000);
    let one = stats.latency(1_000, 300_000).e2e_ms.unwrap();
    assert_eq!((one.p50, one.p95, one.p99, one.count), (7.0, 7.0, 7.0, 1));
    // Not a latency: not counted (the turn is, in the error rate).
    for bad in [f64::NAN, f64::INFINITY, -3.0] {
        stats.record(&e2e(bad), 1_000);
    }
    assert_eq!(stats.latency(1_000, 300_000).e2e_ms.unwrap().count, 1);
    // Zero and huge latencies have their bins too.
    stats.record(&e2e(0.0), 1_000);
    stats.record(&e2e(1e12), 1_000);
    let all = stats.latency(1_000, 300_000).e2e_ms.unwrap();
    assert_eq!((all.p50, all.p99, all.count), (7.0, 1e12, 3));
}

#[test]
fn windowed_percentiles_stay_within_a_bin_of_the_exact_ones() {
    // 20,000 turns over ten minutes, spread like voice turns (a long tail), from a fixed LCG.
    let mut stats = CallStats::default();
    let (start, mut seed, mut samples) = (7 * 3_600_000u64, 42u64, Vec::new());
    for i in 0..20_000u64 {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let unit = (seed >> 11) as f64 / (1u64 << 53) as f64;
        let ms = 250.0 + 600.0 * unit + if i % 50 == 0 { 4000.0 * unit } else { 0.0 };
        stats.record(&e2e(ms), start + i * 30);
        samples.push(ms);
    }
    let now = start + 20_000 * 30;
    let got = stats.latency(now, 60 * 60_000).e2e_ms.unwrap();
    assert_eq!(got.count, 20_000);
    for (got, want) in [got.p50, got.p95, got.p99].into_iter().zip(exact(samples)) {
        assert!((got - want).abs() <= want * 0.008, "{got} vs exact {want}");
    }
    // The same latency many times comes back exact.
    let mut stats = CallStats::default();
    for _ in 0..1000 {
        stats.record(&e2e(812.5), start);
    }
    let same = stats.latency(start, 300_000).e2e_ms.unwrap();
    assert_eq!((same.p50, same.p99, same.count), (812.5, 812.5, 1000));
}

#[test]
fn error_rate_counts_whole_minutes_of_the_window() {
    let mut stats = CallStats::default();
    let minute = 60_000u64;
    let t0 = 100 * minute;
    let error = AgentEvent::Error { kind: "x".into(), message: String::new() };
    // Twenty minutes ago: 3 errors, 1 turn. Now: 1 error, 3 turns.
    for _ in 0..3 {
        stats.record(&error, t0 - 20 * minute);
    }
    stats.record(&e2e(500.0), t0 - 20 * minute);
    stats.record(&error, t0);
    for _ in 0..3 {
        stats.record(&e2e(500.0), t0 + 1);
    }
    assert!((stats.error_rate(t0 + 1, 5 * minute) - 0.25).abs() < 1e-9);
    assert!((stats.error_rate(t0 + 1, 60 * minute) - 0.5).abs() < 1e-9);
    // An hour later everything has expired; a clock that steps back counts into the newest minute.
    stats.record(&e2e(500.0), t0 + 61 * minute);
    stats.record(&error, t0 + 61 * minute - 5_000);
    assert!((stats.error_rate(t0 + 61 * minute, 60 * minute) - 0.5).abs() < 1e-9);
    assert_eq!(stats.errors_total, 5);
}
