//! A customer's configuration revisions: list, create, show, diff, rollback, deploy.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::Value;

use crate::console::wire::{Deploy, DiffParams, NewRevision, PageParams, Rollback};
use crate::console::{Shared, paginate};
use crate::error::ApiError;
use crate::extract::{Caller, JsonBody, Params};

pub(crate) async fn list(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
    Params(params): Params<PageParams>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(paginate(state.fleet.revisions(&actor, &id).await?, &params)?))
}

pub(crate) async fn create(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<Value>,
) -> Result<impl IntoResponse, ApiError> {
    let body: NewRevision =
        serde_json::from_value(body).map_err(|e| ApiError::bad_request(format!("invalid body: {e}")))?;
    Ok((
        StatusCode::CREATED,
        Json(state.fleet.create_revision(&actor, &id, body.input.into(), &body.message).await?),
    ))
}

pub(crate) async fn show(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Path((id, number)): Path<(String, u64)>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(state.fleet.revision(&actor, &id, number).await?))
}

pub(crate) async fn diff(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
    Params(params): Params<DiffParams>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(state.fleet.diff(&actor, &id, params.from, params.to).await?))
}

pub(crate) async fn rollback(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<Rollback>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(state.fleet.rollback(&actor, &id, body.revision, &body.message).await?)))
}

pub(crate) async fn deploy(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<Deploy>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(state.fleet.deploy(&actor, &id, body.revision).await?))
}
