//! How long to wait before retrying a throttled or transiently failed cloud call: exponential
//! backoff with full jitter (a random wait between zero and the exponential cap), so many
//! consoles or many calls that failed together do not retry together. Pure: the random draw is
//! passed in.

use std::time::Duration;

/// Retry limits for cloud calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The cap of the first retry's wait; each later retry doubles it.
    pub base: Duration,
    /// No wait is longer than this.
    pub max_delay: Duration,
    /// Calls in all, the first included; `1` never retries.
    pub max_attempts: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { base: Duration::from_millis(200), max_delay: Duration::from_secs(20), max_attempts: 6 }
    }
}

impl Backoff {
    /// The wait before retry number `retry` (1 for the first retry) given a uniform draw
    /// `unit` in `[0, 1)`; `None` once the attempts are spent.
    pub fn delay(&self, retry: u32, unit: f64) -> Option<Duration> {
        if retry == 0 || retry >= self.max_attempts {
            return None;
        }
        let doubling = 2u32.saturating_pow(retry - 1);
        let cap = self.base.saturating_mul(doubling).min(self.max_delay);
        Some(cap.mul_f64(unit.clamp(0.0, 1.0)))
    }

    /// A uniform draw in `[0, 1)` from the system's random source (0 if it has none).
    pub fn draw() -> f64 {
        crate::random::bytes::<4>()
            .map(|bytes| f64::from(u32::from_le_bytes(bytes)) / 4_294_967_296.0)
            .unwrap_or(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap_and_stops_after_the_attempts() {
        let backoff = Backoff {
            base: Duration::from_millis(100),
            max_delay: Duration::from_millis(350),
            max_attempts: 5,
        };
        let full: Vec<_> = (1..=5).map(|retry| backoff.delay(retry, 1.0)).collect();
        assert_eq!(
            full,
            [
                Some(Duration::from_millis(100)),
                Some(Duration::from_millis(200)),
                Some(Duration::from_millis(350)),
                Some(Duration::from_millis(350)),
                None
            ]
        );
        assert_eq!(backoff.delay(3, 0.5), Some(Duration::from_millis(175)));
        assert_eq!(backoff.delay(1, 0.0), Some(Duration::ZERO));
        assert_eq!(backoff.delay(0, 0.5), None);
    }

    #[test]
    fn a_draw_is_in_the_unit_interval() {
        for _ in 0..100 {
            let unit = Backoff::draw();
            assert!((0.0..1.0).contains(&unit), "{unit}");
        }
    }
}
