//! Recovery settings (`GET|PUT /v1/recovery`, `PUT /v1/customers/{id}/recovery`) and a
//! customer's launch spec (`GET|PUT /v1/customers/{id}/launch-spec`).

use axum::Json;
use axum::extract::{Path, State};
use axum::response::IntoResponse;

use crate::console::Shared;
use crate::console::wire_onboard::{LaunchSpecBody, RecoveryBody, RecoverySettingsBody};
use crate::error::ApiError;
use crate::extract::{Caller, JsonBody};

pub(crate) async fn show(
    Caller(actor): Caller,
    State(state): State<Shared>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(RecoveryBody::from(&state.fleet.recovery_settings(&actor).await?)))
}

pub(crate) async fn set_fleet(
    Caller(actor): Caller,
    State(state): State<Shared>,
    JsonBody(body): JsonBody<RecoverySettingsBody>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(RecoveryBody::from(&state.fleet.set_recovery_settings(&actor, None, body.into()).await?)))
}

pub(crate) async fn set_customer(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<RecoverySettingsBody>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(RecoveryBody::from(&state.fleet.set_recovery_settings(&actor, Some(&id), body.into()).await?)))
}

pub(crate) async fn launch_spec(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(LaunchSpecBody::from(&state.fleet.launch_spec(&actor, &id).await?)))
}

pub(crate) async fn set_launch_spec(
    Caller(actor): Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<LaunchSpecBody>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(LaunchSpecBody::from(&state.fleet.set_launch_spec(&actor, &id, body.into_spec(None)).await?)))
}
