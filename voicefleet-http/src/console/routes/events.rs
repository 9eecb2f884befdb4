//! `GET /v1/events`: live updates as SSE — `bulk` (a bulk run's progress), `fleet` (status changes
//! and alerts), `lagged` (events a slow reader missed) — from every console on the store, each
//! with an id a reconnecting client sends back as `Last-Event-ID` (to this console or another);
//! `GET /v1/events/history`: the fleet events of the last 7 days.

use std::convert::Infallible;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, Sse};
use futures_util::{Stream, StreamExt as _};
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use voicefleet_core::console::feed::{LiveEvent, LiveItem, LiveSubscription};

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
    headers: HeaderMap,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let last_event_id = headers.get("last-event-id").and_then(|value| value.to_str().ok());
    let stream = match state.fleet.live_feed() {
        Some(feed) => live_events(feed.subscribe(last_event_id)).boxed(),
        None => {
            let bulk = broadcast_events(state.fleet.bulk_events(), |_| "bulk");
            let fleet = broadcast_events(state.fleet.fleet_events(), |_| "fleet");
            futures_util::stream::select(bulk, fleet).boxed()
        }
    };
    respond(stream)
}

/// `bulk` and `fleet` events with their ids (what a subscriber missed first, after its
/// `Last-Event-ID`), and `lagged` with the number missed (0 when it is not known: a
/// `Last-Event-ID` no longer kept, or a gap in the events from other consoles).
fn live_events(
    subscription: LiveSubscription,
) -> impl Stream<Item = Result<Event, Infallible>> + Send + 'static {
    let LiveSubscription { backlog, gap, receiver, after } = subscription;
    let gap = gap.then(|| Event::default().event("lagged").data("0"));
    let first: Vec<Event> = gap.into_iter().chain(backlog.iter().filter_map(|item| encode(item))).collect();
    let live = BroadcastStream::new(receiver).filter_map(move |item| {
        std::future::ready(match item {
            Ok(item) if item.position <= after => None,
            Ok(item) => encode(&item),
            Err(BroadcastStreamRecvError::Lagged(missed)) => {
                Some(Event::default().event("lagged").data(missed.to_string()))
            }
        })
    });
    futures_util::stream::iter(first).chain(live).map(Ok)
}

fn encode(item: &LiveItem) -> Option<Event> {
    let encoded = match &item.event {
        LiveEvent::Bulk(event) => Event::default().event("bulk").json_data(event),
        LiveEvent::Fleet(event) => Event::default().event("fleet").json_data(event),
        LiveEvent::Gap => return Some(Event::default().event("lagged").id(&item.id).data("0")),
    };
    Some(encoded.unwrap_or_else(|_| Event::default().comment("unencodable event")).id(&item.id))
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
