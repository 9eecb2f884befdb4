//! `GET /v1/logs` and `GET /v1/logs/follow` (SSE, resumable with `Last-Event-ID`).

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, Sse};
use futures_util::Stream;
use serde::Deserialize;
use voicefleet_core::ErrorKind;
use voicefleet_core::host::LogQuery;
use voicefleet_core::logs::StreamFilter;

use crate::error::ApiError;
use crate::extract::Params;
use crate::host::SharedState;
use crate::host::wire::{LogLineBody, LogsResponse, StreamChoice};

const MAX_LINES: usize = 10_000;

/// `GET /v1/logs`: the last `tail` lines (default 100), or up to `limit` lines after `cursor`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LogsParams {
    /// How many of the last lines (1 to 10000; default 100). Not with `cursor`.
    tail: Option<usize>,
    /// `all` (default), `stdout` or `stderr`.
    #[schemars(with = "Option<StreamChoice>")]
    stream: Option<String>,
    /// Lines after this sequence number (a `next_cursor`). Not with `tail`.
    cursor: Option<u64>,
    /// With `cursor`: at most this many lines (1 to 10000; default 1000).
    limit: Option<usize>,
}

fn stream_filter(text: Option<&str>) -> Result<StreamFilter, ApiError> {
    Ok(StreamFilter::parse(text.unwrap_or("all"))?)
}

pub(crate) async fn logs(
    State(state): State<SharedState>,
    Params(params): Params<LogsParams>,
) -> Result<Json<LogsResponse>, ApiError> {
    let stream = stream_filter(params.stream.as_deref())?;
    let query = match (params.cursor, params.tail) {
        (Some(_), Some(_)) => {
            return Err(ApiError::new(ErrorKind::InvalidInput, "give either tail or cursor, not both"));
        }
        (Some(cursor), None) => {
            LogQuery::After { cursor, limit: params.limit.unwrap_or(1000).clamp(1, MAX_LINES), stream }
        }
        (None, tail) => LogQuery::Tail { n: tail.unwrap_or(100).clamp(1, MAX_LINES), stream },
    };
    let lines = state.host.logs(query).await?;
    let next_cursor = match (lines.last(), params.cursor) {
        (Some(last), _) => last.seq,
        (None, Some(cursor)) => cursor,
        (None, None) => 0,
    };
    Ok(Json(LogsResponse { lines: lines.into_iter().map(LogLineBody::from).collect(), next_cursor }))
}

/// `GET /v1/logs/follow`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FollowParams {
    /// `all` (default), `stdout` or `stderr`.
    #[schemars(with = "Option<StreamChoice>")]
    stream: Option<String>,
    /// Start after this sequence number (`Last-Event-ID` wins); default: the last 100 lines.
    cursor: Option<u64>,
}

/// Lines after the cursor, then new lines as they come; each event's id is the line's sequence
/// number, so a reconnecting client's `Last-Event-ID` resumes exactly.
pub(crate) async fn follow(
    State(state): State<SharedState>,
    headers: HeaderMap,
    Params(params): Params<FollowParams>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let stream = stream_filter(params.stream.as_deref())?;
    let last_event_id =
        headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    let cursor = match (last_event_id, params.cursor) {
        (Some(id), _) => id,
        (None, Some(cursor)) => cursor,
        // No cursor: start with the last 100 lines.
        (None, None) => {
            let tail = state.host.logs(LogQuery::Tail { n: 100, stream }).await?;
            tail.first().map(|line| line.seq.saturating_sub(1)).unwrap_or_else(|| 0)
        }
    };
    let host = state.host.clone();
    let events = futures_util::stream::unfold(
        (host, cursor, Vec::new()),
        move |(host, mut cursor, mut pending)| async move {
            loop {
                if let Some(line) = pending.pop() {
                    let line: voicefleet_core::logs::LogLine = line;
                    let body = LogLineBody::from(line.clone());
                    let event = Event::default()
                        .id(line.seq.to_string())
                        .event("log")
                        .json_data(&body)
                        .unwrap_or_else(|_| Event::default().comment("unencodable line"));
                    return Some((Ok(event), (host, cursor, pending)));
                }
                match host.logs(LogQuery::After { cursor, limit: 1000, stream }).await {
                    Ok(mut lines) if !lines.is_empty() => {
                        cursor = lines.last().map(|l| l.seq).unwrap_or(cursor);
                        lines.reverse();
                        pending = lines;
                    }
                    _ => tokio::time::sleep(Duration::from_millis(100)).await,
                }
            }
        },
    );
    Ok(crate::sse::respond(events))
}
