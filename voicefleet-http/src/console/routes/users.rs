//! `GET|POST /v1/users`, `DELETE /v1/users/{name}`, `PUT /v1/users/{name}/password`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;

use crate::console::wire::{CursorParams, NewUser, Password};
use crate::console::{Shared, paginate};
use crate::error::ApiError;
use crate::extract::{Caller, JsonBody, Params};

pub(crate) async fn list(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Params(params): Params<CursorParams>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(paginate(state.accounts.users(&actor).await?, params.cursor.as_deref(), params.limit)?))
}

pub(crate) async fn add(
    Caller(actor): Caller,
    State(state): State<Shared>,
    JsonBody(body): JsonBody<NewUser>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(state.accounts.add_user(&actor, &body.name, body.role, &body.password).await?),
    ))
}

pub(crate) async fn remove(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Path(name): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    state.accounts.remove_user(&actor, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn set_password(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Path(name): Path<String>,
    JsonBody(body): JsonBody<Password>,
) -> Result<impl IntoResponse, ApiError> {
    state.accounts.set_password(&actor, &name, &body.password, body.current_password.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}
