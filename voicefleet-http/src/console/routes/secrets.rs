//! `GET /v1/customers/{id}/secrets` (names only), `PUT|DELETE /v1/customers/{id}/secrets/{name}`,
//! `POST /v1/customers/{id}/secrets/check` (the host checks each provider key live).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;

use crate::console::wire::{CursorParams, KeyCheckParams, KeyCheckReport, SecretValue};
use crate::console::{Shared, paginate};
use crate::error::ApiError;
use crate::extract::{Caller, JsonBody, Params};

pub(crate) async fn list(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
    Params(params): Params<CursorParams>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(paginate(state.fleet.secrets(&actor, &id).await?, params.cursor.as_deref(), params.limit)?))
}

pub(crate) async fn set(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Path((id, name)): Path<(String, String)>,
    JsonBody(body): JsonBody<SecretValue>,
) -> Result<impl IntoResponse, ApiError> {
    state.fleet.set_secret(&actor, &id, &name, &body.value).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn delete(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Path((id, name)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    state.fleet.delete_secret(&actor, &id, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn check(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
    Params(params): Params<KeyCheckParams>,
) -> Result<impl IntoResponse, ApiError> {
    let checks = state.fleet.check_secrets(&actor, &id, params.secret.as_deref()).await?;
    Ok(Json(KeyCheckReport { checks }))
}
