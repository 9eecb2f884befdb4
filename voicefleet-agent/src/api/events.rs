//! `GET /v1/events`: state changes, exits, crash loops, applied configurations, as SSE.

use std::convert::Infallible;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::{Stream, StreamExt as _};
use tokio_stream::wrappers::BroadcastStream;
use voicefleet_core::host::HostEvent;

use super::{SharedState, Viewer};

fn event_name(event: &HostEvent) -> &'static str {
    match event {
        HostEvent::StateChanged { .. } => "state_changed",
        HostEvent::Exited { .. } => "exited",
        HostEvent::CrashLoop { .. } => "crash_loop",
        HostEvent::ConfigApplied { .. } => "config_applied",
        HostEvent::MemoryLimit { .. } => "memory_limit",
    }
}

pub(crate) async fn events(
    _: Viewer,
    State(state): State<SharedState>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let stream = BroadcastStream::new(state.host.subscribe()).map(|item| {
        Ok(match item {
            Ok(event) => Event::default()
                .event(event_name(&event))
                .json_data(&event)
                .unwrap_or_else(|_| Event::default().comment("unencodable event")),
            // A slow client missed events: tell it rather than pretend.
            Err(tokio_stream::wrappers::errors::BroadcastStreamRecvError::Lagged(missed)) => {
                Event::default().event("lagged").data(missed.to_string())
            }
        })
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}
