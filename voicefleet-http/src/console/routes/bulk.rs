//! `POST|GET /v1/bulk`, `GET /v1/bulk/{id}`, `POST /v1/bulk/{id}/cancel`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;

use crate::console::idempotency::Outcome;
use crate::console::wire::CursorParams;
use crate::console::{Shared, paginate};
use crate::error::ApiError;
use crate::extract::{Caller, JsonBody, Params};
use crate::wire::BulkSpecBody;

/// Starts a run (or plans it, with `dry_run`). With `Idempotency-Key`, a repeat of the same
/// request by the same caller answers the first run (`Idempotent-Replayed: true`) instead of
/// starting another.
pub(crate) async fn start(
    Caller(actor): Caller,
    State(state): State<Shared>,
    headers: HeaderMap,
    JsonBody(spec): JsonBody<BulkSpecBody>,
) -> Result<impl IntoResponse, ApiError> {
    let key = headers.get("idempotency-key").map(|value| value.to_str().unwrap_or_default().to_owned());
    let (Some(key), false) = (key, spec.dry_run) else {
        let run = state.fleet.start_bulk(&actor, spec.into()).await?;
        if !run.spec.dry_run {
            state.metrics.bulk_started(run.spec.action.name());
        }
        return Ok((StatusCode::CREATED, [(REPLAYED, "false")], Json(run)));
    };
    let fingerprint = serde_json::to_string(&spec).unwrap_or_default();
    let (id, outcome) = state
        .idempotency
        .once(&actor.name, &key, fingerprint, || async {
            let run = state.fleet.start_bulk(&actor, spec.into()).await?;
            state.metrics.bulk_started(run.spec.action.name());
            Ok(run.id)
        })
        .await?;
    let run = state.fleet.bulk_run(&actor, &id).await?;
    let replayed = if outcome == Outcome::Replayed { "true" } else { "false" };
    Ok((StatusCode::CREATED, [(REPLAYED, replayed)], Json(run)))
}

const REPLAYED: &str = "idempotent-replayed";

pub(crate) async fn list(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Params(params): Params<CursorParams>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(paginate(state.fleet.bulk_runs(&actor, 1000).await?, params.cursor.as_deref(), params.limit)?))
}

pub(crate) async fn show(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(state.fleet.bulk_run(&actor, &id).await?))
}

pub(crate) async fn cancel(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(state.fleet.cancel_bulk(&actor, &id).await?))
}
