//! `AgentClient::subscribe`'s other half: one task per client reads the host's `/v1/events`
//! stream into the client's broadcast channel while anyone listens. It reconnects with jittered
//! backoff and `Last-Event-ID`, so the host replays what was missed or says it cannot (a
//! `lagged` event, passed on as [`HostEvent::Lagged`]); it never drops an event silently.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::StreamExt as _;
use tokio::sync::broadcast;
use voicefleet_core::host::HostEvent;

use super::client::TokenSource;
use crate::console::telemetry::HostRequestMetrics;

/// A stream with no bytes for this long (the host sends a keep-alive every 15 s) is dead.
const IDLE_TIMEOUT: Duration = Duration::from_secs(45);
/// First reconnect delay, doubling up to [`MAX_BACKOFF`], each ±20 %.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// What the reading task needs of its client.
#[derive(Debug, Clone)]
pub(crate) struct Pump {
    pub(crate) http: reqwest::Client,
    pub(crate) url: url::Url,
    pub(crate) token: TokenSource,
    pub(crate) sender: broadcast::Sender<HostEvent>,
    /// True while a task reads the stream.
    pub(crate) running: Arc<AtomicBool>,
    /// Where the stream's health is counted (the console's metrics).
    pub(crate) metrics: Option<HostRequestMetrics>,
}

/// The delay before reconnect number `attempt` (0 = the first after a lost connection).
pub(crate) fn backoff(attempt: u32, jitter: u32) -> Duration {
    let base = FIRST_BACKOFF.saturating_mul(2u32.saturating_pow(attempt.min(16))).min(MAX_BACKOFF);
    // jitter in 0..=u32::MAX maps to a factor in 0.8..=1.2.
    base.mul_f64(0.8 + 0.4 * f64::from(jitter) / f64::from(u32::MAX))
}

fn jitter() -> u32 {
    voicefleet_core::random::bytes::<4>().map(u32::from_le_bytes).unwrap_or(u32::MAX / 2)
}

impl Pump {
    /// Starts the reading task unless one runs (or there is no runtime to run it on).
    pub(crate) fn ensure_running(&self) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        if !self.running.swap(true, Ordering::SeqCst) {
            runtime.spawn(self.clone().run());
        }
    }

    async fn run(self) {
        let mut last_id: Option<String> = None;
        let mut attempt = 0u32;
        loop {
            if self.sender.receiver_count() == 0 {
                // Nobody listens: stop, unless a subscriber came between the check and the flag.
                self.running.store(false, Ordering::SeqCst);
                if self.sender.receiver_count() == 0 || self.running.swap(true, Ordering::SeqCst) {
                    return;
                }
            }
            let connected = tokio::select! {
                connected = self.connect(last_id.as_deref()) => connected,
                () = self.sender.closed() => continue,
            };
            match connected {
                Ok(response) => {
                    attempt = 0;
                    if let Some(metrics) = &self.metrics {
                        metrics.stream_connected(true);
                    }
                    let mut events = crate::sse::parse_events_until_idle(response, IDLE_TIMEOUT);
                    loop {
                        let event = tokio::select! {
                            event = events.next() => event,
                            () = self.sender.closed() => None,
                        };
                        let Some(event) = event else { break };
                        if !event.id.is_empty() {
                            last_id = Some(event.id.clone());
                        }
                        if let Some(metrics) = &self.metrics {
                            metrics.stream_event(&event.event);
                        }
                        if event.event == "open" {
                            continue;
                        }
                        match serde_json::from_str::<HostEvent>(&event.data) {
                            Ok(host_event) => {
                                let _ = self.sender.send(host_event);
                            }
                            Err(error) => {
                                tracing::debug!(%error, name = %event.event, "unreadable host event")
                            }
                        }
                    }
                    if let Some(metrics) = &self.metrics {
                        metrics.stream_connected(false);
                    }
                }
                Err(error) => {
                    if let Some(metrics) = &self.metrics {
                        metrics.stream_failed();
                    }
                    tracing::debug!(url = %self.url, %error, "host event stream unavailable");
                }
            }
            if self.sender.receiver_count() == 0 {
                continue;
            }
            let delay = backoff(attempt, jitter());
            attempt = attempt.saturating_add(1);
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = self.sender.closed() => {}
            }
        }
    }

    async fn connect(&self, last_id: Option<&str>) -> Result<reqwest::Response, String> {
        let mut request = self
            .http
            .get(self.url.clone())
            .bearer_auth(self.token.token())
            .header(reqwest::header::ACCEPT, "text/event-stream");
        if let Some(id) = last_id {
            request = request.header("last-event-id", id);
        }
        let response = request.send().await.map_err(|error| error.to_string())?;
        if response.status().is_success() {
            Ok(response)
        } else {
            Err(format!("the host answered {}", response.status()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_the_cap_with_a_fifth_either_way() {
        let ms = |attempt, jitter| backoff(attempt, jitter).as_secs_f64() * 1000.0;
        let near = |value: f64, expected: f64| (value - expected).abs() < 0.01;
        assert!(near(ms(0, 0), 80.0), "{}", ms(0, 0));
        assert!(near(ms(0, u32::MAX), 120.0), "{}", ms(0, u32::MAX));
        assert!(near(ms(3, u32::MAX / 2), 800.0), "{}", ms(3, u32::MAX / 2));
        assert!(near(ms(30, u32::MAX), 6000.0), "{}", ms(30, u32::MAX));
        assert!(near(ms(30, 0), 4000.0), "{}", ms(30, 0));
    }
}
