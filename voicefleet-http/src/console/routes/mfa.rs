//! A user's second factor: their own under `/v1/auth/mfa` (any logged-in user), anyone's under
//! `/v1/users/{name}/mfa` (admins), and the per-role requirement under `/v1/mfa/policy`
//! (admins). What each may do is core's rule (`Accounts`); the split keeps every route's role
//! exact.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;

use crate::console::Shared;
use crate::console::wire::{MfaDisable, MfaRequirement, OtpCode};
use crate::error::ApiError;
use crate::extract::{Caller, JsonBody, OptionalBody};

pub(crate) async fn enable_mine(
    Caller(actor): Caller,
    State(state): State<Shared>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(state.accounts.enable_mfa(&actor, &actor.name).await?)))
}

pub(crate) async fn enable(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Path(name): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(state.accounts.enable_mfa(&actor, &name).await?)))
}

pub(crate) async fn confirm_mine(
    Caller(actor): Caller,
    State(state): State<Shared>,
    JsonBody(body): JsonBody<OtpCode>,
) -> Result<impl IntoResponse, ApiError> {
    state.accounts.confirm_mfa(&actor, &actor.name, &body.otp).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn confirm(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Path(name): Path<String>,
    JsonBody(body): JsonBody<OtpCode>,
) -> Result<impl IntoResponse, ApiError> {
    state.accounts.confirm_mfa(&actor, &name, &body.otp).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn disable_mine(
    Caller(actor): Caller,
    State(state): State<Shared>,
    OptionalBody(body): OptionalBody<MfaDisable>,
) -> Result<impl IntoResponse, ApiError> {
    state.accounts.disable_mfa(&actor, &actor.name, body.otp.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn disable(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Path(name): Path<String>,
    OptionalBody(body): OptionalBody<MfaDisable>,
) -> Result<impl IntoResponse, ApiError> {
    state.accounts.disable_mfa(&actor, &name, body.otp.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn policy(
    Caller(actor): Caller,
    State(state): State<Shared>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(state.accounts.mfa_policy(&actor).await?))
}

pub(crate) async fn set_policy(
    Caller(actor): Caller,
    State(state): State<Shared>,
    JsonBody(body): JsonBody<MfaRequirement>,
) -> Result<impl IntoResponse, ApiError> {
    let policy = if body.required {
        state.accounts.require_mfa(&actor, body.role).await?
    } else {
        state.accounts.unrequire_mfa(&actor, body.role).await?
    };
    Ok(Json(policy))
}
