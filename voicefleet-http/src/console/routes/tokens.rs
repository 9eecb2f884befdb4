//! `GET|POST /v1/tokens`, `DELETE /v1/tokens/{id}`: API tokens for automation.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;

use crate::console::wire::{CursorParams, NewToken};
use crate::console::{Shared, paginate};
use crate::error::ApiError;
use crate::extract::{Caller, JsonBody, Params};

pub(crate) async fn list(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Params(params): Params<CursorParams>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(paginate(state.accounts.tokens(&actor).await?, params.cursor.as_deref(), params.limit)?))
}

pub(crate) async fn create(
    Caller(actor): Caller,
    State(state): State<Shared>,
    JsonBody(body): JsonBody<NewToken>,
) -> Result<impl IntoResponse, ApiError> {
    // Saturating: an absurd lifetime is refused by core's bound, never overflows here.
    let expires =
        body.expires_in_seconds.map(|s| state.clock.now_ms().saturating_add(s.saturating_mul(1000)));
    Ok((
        StatusCode::CREATED,
        Json(state.accounts.create_token(&actor, &body.name, body.role, expires).await?),
    ))
}

pub(crate) async fn revoke(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    state.accounts.revoke_token(&actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
