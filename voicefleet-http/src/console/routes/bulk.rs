//! `POST|GET /v1/bulk`, `GET /v1/bulk/{id}`, `POST /v1/bulk/{id}/cancel`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;

use crate::console::wire::PageParams;
use crate::console::{Shared, paginate};
use crate::error::ApiError;
use crate::extract::{Caller, JsonBody, Params};
use crate::wire::BulkSpecBody;

pub(crate) async fn start(
    Caller(actor): Caller,
    State(state): State<Shared>,
    JsonBody(spec): JsonBody<BulkSpecBody>,
) -> Result<impl IntoResponse, ApiError> {
    let run = state.fleet.start_bulk(&actor, spec.into()).await?;
    Ok((StatusCode::CREATED, Json(run)))
}

pub(crate) async fn list(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Params(params): Params<PageParams>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(paginate(state.fleet.bulk_runs(&actor, 1000).await?, &params)?))
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
