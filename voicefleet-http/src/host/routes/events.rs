//! `GET /v1/events`: state changes, exits, crash loops, applied configurations, as SSE.

use std::convert::Infallible;

use axum::extract::State;
use axum::response::sse::{Event, Sse};
use futures_util::Stream;
use voicefleet_core::host::HostEvent;

use crate::host::SharedState;

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
    State(state): State<SharedState>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    crate::sse::respond(crate::sse::broadcast_events(state.host.subscribe(), event_name))
}
