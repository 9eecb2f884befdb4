//! `GET /v1/events`: live updates as SSE — `bulk` (a bulk run's progress), `fleet` (status changes
//! and alerts), `lagged` (events a slow reader missed); `GET /v1/events/history`: the fleet
//! events of the last 7 days.

use std::convert::Infallible;

use axum::extract::State;
use axum::response::sse::{Event, Sse};
use futures_util::Stream;

use axum::Json;
use voicefleet_core::clock::Clock as _;
use voicefleet_core::console::EventQuery;

use crate::console::Shared;
use crate::console::wire::EventHistoryParams;
use crate::error::ApiError;
use crate::extract::{Caller, Params};
use crate::sse::{broadcast_events, respond};

pub(crate) async fn events(
    State(state): State<Shared>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let bulk = broadcast_events(state.fleet.bulk_events(), |_| "bulk");
    let fleet = broadcast_events(state.fleet.fleet_events(), |_| "fleet");
    respond(futures_util::stream::select(bulk, fleet))
}

pub(crate) async fn history(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Params(params): Params<EventHistoryParams>,
) -> Result<Json<Vec<voicefleet_core::console::FleetEvent>>, ApiError> {
    let hour_ago = voicefleet_core::clock::SystemClock.now_ms().saturating_sub(3_600_000);
    let query = EventQuery {
        customer: params.customer,
        since_ms: params.since.unwrap_or(hour_ago),
        limit: params.limit.unwrap_or(1000).clamp(1, 10_000),
    };
    Ok(Json(state.fleet.event_history(&actor, &query).await?))
}
