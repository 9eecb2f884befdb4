//! Time, passed in. Every component that needs "now" is given a [`Clock`] instead of reading the
//! system time itself, so one place says what time is and tests can set it.

use std::fmt::Debug;
use std::sync::Arc;

/// Where "now" comes from.
pub trait Clock: Send + Sync + Debug {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> u64;

    /// Seconds since the Unix epoch.
    fn now_seconds(&self) -> u64 {
        self.now_ms() / 1000
    }
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0)
    }
}

/// A clock to share between components.
pub type SharedClock = Arc<dyn Clock>;

/// The system clock, shared.
pub fn system() -> SharedClock {
    Arc::new(SystemClock)
}

/// A duration as people and the APIs write it: plain seconds (`90`, `0.5`), or a number with a unit,
/// several of them adding up (`90s`, `5m`, `1h30m`, `7d`), read by `humantime`.
pub fn parse_duration(text: &str) -> crate::Result<std::time::Duration> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok(std::time::Duration::from_secs(seconds));
    }
    // Fractions of a second in plain form (`0.5`), as `--drain-timeout 0.5` has always taken.
    if let Ok(seconds) = text.parse::<f64>()
        && seconds.is_finite()
        && seconds >= 0.0
        && text.chars().all(|c| c.is_ascii_digit() || c == '.')
    {
        return Ok(std::time::Duration::from_secs_f64(seconds));
    }
    humantime::parse_duration(text).map_err(|_| crate::Error::InvalidValue {
        value: text.to_owned(),
        reason:
            "a duration is a number of seconds, or a number with s, m, h or d, for example 90s, 5m, 1h, 7d"
                .to_owned(),
    })
}
