//! `GET /v1/events`: state changes, exits, crash loops, applied configurations, as SSE. Each
//! event has an id; a subscriber that reconnects with `Last-Event-ID` gets what it missed, or a
//! `lagged` event (see `host/event_log.rs`).

use std::convert::Infallible;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, Sse};
use futures_util::Stream;

use crate::host::SharedState;

pub(crate) async fn events(
    State(state): State<SharedState>,
    headers: HeaderMap,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let last_event_id = headers.get("last-event-id").and_then(|value| value.to_str().ok());
    crate::sse::respond(state.events.stream(&state.host, last_event_id))
}
