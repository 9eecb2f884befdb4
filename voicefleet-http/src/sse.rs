//! Server-sent events, both ends: a broadcast channel served as an event stream (a slow reader is
//! told how many events it missed, never silently skipped), and the client side's parsing of a
//! response body into events (`eventsource-stream`).

#[cfg(feature = "server")]
use std::convert::Infallible;

#[cfg(feature = "server")]
use axum::response::sse::{Event, KeepAlive, KeepAliveStream, Sse};
use futures_util::{Stream, StreamExt as _};
#[cfg(feature = "server")]
use serde::Serialize;
#[cfg(feature = "server")]
use tokio::sync::broadcast;
#[cfg(feature = "server")]
use tokio_stream::wrappers::BroadcastStream;
#[cfg(feature = "server")]
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

#[cfg(feature = "server")]
/// Each message of `receiver` as an event named by `name`, with its JSON as data; `lagged` (with
/// the number missed) when the reader fell behind.
pub(crate) fn broadcast_events<T>(
    receiver: broadcast::Receiver<T>,
    name: fn(&T) -> &'static str,
) -> impl Stream<Item = Result<Event, Infallible>> + Send + 'static
where
    T: Serialize + Clone + Send + 'static,
{
    BroadcastStream::new(receiver).map(move |item| {
        Ok(match item {
            Ok(message) => Event::default()
                .event(name(&message))
                .json_data(&message)
                .unwrap_or_else(|_| Event::default().comment("unencodable event")),
            Err(BroadcastStreamRecvError::Lagged(missed)) => {
                Event::default().event("lagged").data(missed.to_string())
            }
        })
    })
}

#[cfg(feature = "server")]
/// An event stream with the keep-alive comments every voicefleet stream sends.
pub(crate) fn respond<S>(stream: S) -> Sse<KeepAliveStream<S>>
where
    S: Stream<Item = Result<Event, Infallible>> + Send + 'static,
{
    Sse::new(stream).keep_alive(KeepAlive::default())
}

/// The events of a `text/event-stream` response, parsed as they arrive; ends with the body.
pub(crate) fn parse_events(
    response: reqwest::Response,
) -> impl Stream<Item = eventsource_stream::Event> + Send + Unpin + 'static {
    use eventsource_stream::Eventsource as _;
    response.bytes_stream().eventsource().filter_map(|item| async move { item.ok() }).boxed()
}

/// [`parse_events`], ending the stream also when no byte (keep-alives included) came for `idle`:
/// a host that vanished without closing the connection is noticed.
pub(crate) fn parse_events_until_idle(
    response: reqwest::Response,
    idle: std::time::Duration,
) -> impl Stream<Item = eventsource_stream::Event> + Send + Unpin + 'static {
    use eventsource_stream::Eventsource as _;
    let bytes = futures_util::stream::unfold(Box::pin(response.bytes_stream()), move |mut body| async move {
        match tokio::time::timeout(idle, body.next()).await {
            Ok(Some(Ok(chunk))) => Some((Ok::<_, String>(chunk), body)),
            Ok(Some(Err(error))) => Some((Err(error.to_string()), body)),
            Ok(None) | Err(_) => None,
        }
    });
    bytes
        .eventsource()
        .take_while(|item| std::future::ready(item.is_ok()))
        .filter_map(|item| async move { item.ok() })
        .boxed()
}
