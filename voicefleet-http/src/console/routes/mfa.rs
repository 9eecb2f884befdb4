//! `POST /v1/users/{name}/mfa` (enable), `POST /v1/users/{name}/mfa/confirm`,
//! `POST /v1/users/{name}/mfa/disable`, `GET|PUT /v1/mfa/policy`. Who may act on whom is core's
//! rule (`Accounts`): admins on anyone, others on themselves.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;

use crate::console::Shared;
use crate::console::wire::{MfaDisable, MfaRequirement, OtpCode};
use crate::error::ApiError;
use crate::extract::{Caller, JsonBody, OptionalBody};

pub(crate) async fn enable(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Path(name): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    Ok((StatusCode::CREATED, Json(state.accounts.enable_mfa(&actor, &name).await?)))
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
