//! The restart policy with a fake clock: healthy runs restart at once, failed starts back off,
//! the hot-loop guard, crash_loop after 5 failed starts, and never giving up.

use std::time::{Duration, Instant};

use voicefleet_core::lifecycle::{RestartReason, RestartSettings, RestartTracker, RunEnd};

use RestartReason::{AfterHealthyRun, HotLoop};
use RunEnd::{FailedStart, Healthy};

/// The reason of a failed start's restart (the end and the reason share a name).
const BACKOFF: RestartReason = RestartReason::FailedStart;

fn settings(max_seconds: u64) -> RestartSettings {
    RestartSettings { max: Duration::from_secs(max_seconds), ..RestartSettings::default() }
}

/// Runs `ends` (each at a time in seconds after the start) through a tracker, with no jitter,
/// and checks each decision: (delay in ms, reason, crash_loop, failed starts in a row).
fn check(max_seconds: u64, ends: &[(RunEnd, f64)], expected: &[(u64, RestartReason, bool, u32)]) {
    assert_eq!(ends.len(), expected.len(), "one expectation per end");
    let origin = Instant::now();
    let mut tracker = RestartTracker::new(settings(max_seconds));
    for (index, ((end, at), want)) in ends.iter().zip(expected).enumerate() {
        let now = origin + Duration::from_secs_f64(*at);
        let decision = tracker.decide(*end, now, 0.5);
        let got = (
            decision.delay.as_millis() as u64,
            decision.reason,
            decision.crash_loop,
            decision.consecutive_failed_starts,
        );
        assert_eq!(got, *want, "end #{index} ({end:?} at {at} s)");
        tracker.record(&decision, now);
        assert_eq!(tracker.consecutive_failed_starts(), want.3);
    }
}

#[test]
fn every_crash_after_a_healthy_run_restarts_at_once() {
    let ends: Vec<_> = (0..15).map(|i| (Healthy, f64::from(i) * 5.0)).collect();
    check(60, &ends, &[(0, AfterHealthyRun, false, 0); 15]);
}

#[test]
fn failed_starts_back_off_doubling_to_the_cap_and_loop_after_five() {
    let ends: Vec<_> = (0..9).map(|i| (FailedStart, f64::from(i) * 100.0)).collect();
    check(
        60,
        &ends,
        &[
            (1000, BACKOFF, false, 1),
            (2000, BACKOFF, false, 2),
            (4000, BACKOFF, false, 3),
            (8000, BACKOFF, false, 4),
            (16000, BACKOFF, true, 5),
            (32000, BACKOFF, true, 6),
            (60000, BACKOFF, true, 7),
            (60000, BACKOFF, true, 8),
            (60000, BACKOFF, true, 9),
        ],
    );
}

#[test]
fn a_healthy_run_resets_the_backoff_and_the_failure_count() {
    check(
        60,
        &[(FailedStart, 0.0), (FailedStart, 2.0), (FailedStart, 5.0), (Healthy, 30.0), (FailedStart, 31.0)],
        &[
            (1000, BACKOFF, false, 1),
            (2000, BACKOFF, false, 2),
            (4000, BACKOFF, false, 3),
            (0, AfterHealthyRun, false, 0),
            (1000, BACKOFF, false, 1),
        ],
    );
}

#[test]
fn a_small_cap_is_reached_sooner_and_crash_loop_still_comes_at_five() {
    let ends: Vec<_> = (0..6).map(|i| (FailedStart, f64::from(i) * 10.0)).collect();
    check(
        3,
        &ends,
        &[
            (1000, BACKOFF, false, 1),
            (2000, BACKOFF, false, 2),
            (3000, BACKOFF, false, 3),
            (3000, BACKOFF, false, 4),
            (3000, BACKOFF, true, 5),
            (3000, BACKOFF, true, 6),
        ],
    );
}

#[test]
fn over_twenty_immediate_restarts_in_sixty_seconds_fall_back_to_backoff() {
    // Healthy crashes every second: 20 immediate restarts, then backoff while the window holds 20.
    let mut ends: Vec<(RunEnd, f64)> = (0..22).map(|i| (Healthy, f64::from(i))).collect();
    let mut expected = vec![(0, AfterHealthyRun, false, 0); 20];
    expected.push((1000, HotLoop, false, 0));
    expected.push((2000, HotLoop, false, 0));
    // At 60.5 s the first immediate restart (at 0 s) has left the window: at once again.
    ends.push((Healthy, 60.5));
    expected.push((0, AfterHealthyRun, false, 0));
    // At 61 s the restart at 1 s has left too: 19 in the window, so at once again (20 now).
    ends.push((Healthy, 61.0));
    expected.push((0, AfterHealthyRun, false, 0));
    // At 61.5 s the window holds 20 again (2 s … 19 s, 60.5 s, 61 s): backoff from its first
    // step, as the immediate restarts reset it.
    ends.push((Healthy, 61.5));
    expected.push((1000, HotLoop, false, 0));
    check(60, &ends, &expected);
}

#[test]
fn jitter_stays_within_twenty_percent_and_never_delays_a_healthy_restart() {
    for (unit, expected_ms) in [(0.0, 3200), (0.25, 3600), (0.5, 4000), (0.999_999, 4800)] {
        let origin = Instant::now();
        let mut tracker = RestartTracker::new(settings(60));
        for _ in 0..2 {
            let decision = tracker.decide(FailedStart, origin, 0.5);
            tracker.record(&decision, origin);
        }
        let delay = tracker.decide(FailedStart, origin, unit).delay.as_millis() as i64;
        assert!((delay - expected_ms).abs() <= 1, "unit {unit}: {delay} ms");
        assert_eq!(tracker.decide(Healthy, origin, unit).delay, Duration::ZERO);
    }
}

#[test]
fn it_never_gives_up_and_a_start_request_forgets_the_history() {
    let origin = Instant::now();
    let mut tracker = RestartTracker::new(settings(60));
    let mut at = origin;
    for n in 1..=200u32 {
        let decision = tracker.decide(FailedStart, at, 0.999);
        assert!(decision.delay > Duration::ZERO && decision.delay <= Duration::from_secs(72), "#{n}");
        assert_eq!(decision.crash_loop, n >= 5, "#{n}");
        tracker.record(&decision, at);
        at += decision.delay;
    }
    tracker.reset();
    assert_eq!(tracker.consecutive_failed_starts(), 0);
    assert_eq!(tracker.decide(FailedStart, at, 0.5).delay, Duration::from_secs(1));
}

#[test]
fn deciding_does_not_record() {
    let origin = Instant::now();
    let tracker = RestartTracker::new(settings(60));
    for _ in 0..10 {
        assert_eq!(tracker.decide(FailedStart, origin, 0.5).consecutive_failed_starts, 1);
    }
}
