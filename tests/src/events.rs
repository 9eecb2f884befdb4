//! Waiting on a broadcast channel of events, bounded in time and in count.

use std::time::{Duration, Instant};

use tokio::sync::broadcast;

/// Most events looked at while waiting for one.
const MAX_EVENTS: usize = 10_000;

/// The first event on `events` that `wanted` accepts within `within`; the events passed over (a
/// lag counts as none) are returned too, for assertions and failure messages. Panics on timeout
/// or when the channel closes.
pub async fn next_event<T: Clone + std::fmt::Debug>(
    events: &mut broadcast::Receiver<T>,
    within: Duration,
    what: &str,
    wanted: impl Fn(&T) -> bool,
) -> (T, Vec<T>) {
    let deadline = Instant::now() + within;
    let mut passed = Vec::new();
    for _ in 0..MAX_EVENTS {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, events.recv()).await {
            Ok(Ok(event)) if wanted(&event) => return (event, passed),
            Ok(Ok(event)) => passed.push(event),
            Ok(Err(broadcast::error::RecvError::Lagged(_))) => {}
            Ok(Err(broadcast::error::RecvError::Closed)) => panic!("the channel closed waiting for {what}"),
            Err(_) => panic!("no {what} within {within:?}; saw {passed:?}"),
        }
    }
    panic!("no {what} in {MAX_EVENTS} events");
}

/// The events of a `text/event-stream` response as (name, id, data), as they arrive.
pub fn sse_events(
    response: reqwest::Response,
) -> impl futures_util::Stream<Item = (String, String, String)> + Send + 'static {
    use eventsource_stream::Eventsource as _;
    use futures_util::StreamExt as _;
    response
        .bytes_stream()
        .eventsource()
        .filter_map(|event| std::future::ready(event.ok().map(|e| (e.event, e.id, e.data))))
}

/// A `text/event-stream` response read one event at a time.
pub struct SseReader {
    events: std::pin::Pin<Box<dyn futures_util::Stream<Item = (String, String, String)> + Send>>,
}

impl std::fmt::Debug for SseReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SseReader(..)")
    }
}

impl SseReader {
    /// Reads `response`'s events.
    pub fn new(response: reqwest::Response) -> Self {
        Self { events: Box::pin(sse_events(response)) }
    }

    /// The next event (name, id, data) within `within`; none when none came, or the stream ended.
    pub async fn next_within(&mut self, within: Duration) -> Option<(String, String, String)> {
        use futures_util::StreamExt as _;
        tokio::time::timeout(within, self.events.next()).await.ok().flatten()
    }
}
