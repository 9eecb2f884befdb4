//! `GET /v1/events`: live updates as SSE — `bulk` (a bulk run's progress), `fleet` (status changes
//! and alerts), `lagged` (events a slow reader missed).

use std::convert::Infallible;

use axum::extract::State;
use axum::response::sse::{Event, Sse};
use futures_util::Stream;

use crate::console::Shared;
use crate::sse::{broadcast_events, respond};

pub(crate) async fn events(
    State(state): State<Shared>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let bulk = broadcast_events(state.fleet.bulk_events(), |_| "bulk");
    let fleet = broadcast_events(state.fleet.fleet_events(), |_| "fleet");
    respond(futures_util::stream::select(bulk, fleet))
}
