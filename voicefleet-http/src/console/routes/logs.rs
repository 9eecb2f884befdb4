//! `GET /v1/customers/{id}/logs`: log lines (tail or after a cursor), proxied from the host.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use voicefleet_core::ErrorKind;
use voicefleet_core::host::LogQuery;
use voicefleet_core::logs::StreamFilter;

use crate::console::Shared;
use crate::console::wire::LogParams;
use crate::error::ApiError;
use crate::extract::{Caller, Params};
use crate::host::wire::{LogLineBody, LogsResponse};

pub(crate) async fn logs(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
    Params(params): Params<LogParams>,
) -> Result<impl IntoResponse, ApiError> {
    let stream = StreamFilter::parse(params.stream.as_deref().unwrap_or("all"))?;
    let query = match (params.cursor, params.tail) {
        (Some(_), Some(_)) => {
            return Err(ApiError::new(ErrorKind::InvalidInput, "give either tail or cursor, not both"));
        }
        (Some(cursor), None) => {
            LogQuery::After { cursor, limit: params.limit.unwrap_or(1000).clamp(1, 10_000), stream }
        }
        (None, tail) => LogQuery::Tail { n: tail.unwrap_or(100).clamp(1, 10_000), stream },
    };
    let lines = state.fleet.logs(&actor, &id, query).await?;
    let next_cursor = lines.last().map(|l| l.seq).or(params.cursor).unwrap_or(0);
    Ok(Json(LogsResponse { lines: lines.into_iter().map(LogLineBody::from).collect(), next_cursor }))
}
