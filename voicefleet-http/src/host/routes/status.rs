//! `GET /v1/health`, `GET /v1/ready`, `GET /v1/status`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use voicefleet_core::host::HostStatus;
use voicefleet_core::lifecycle::ProcessState;

use crate::error::ApiError;
use crate::host::SharedState;
use crate::host::wire::Readiness;
use crate::wire::Health;

pub(crate) async fn health() -> Json<Health> {
    Json(Health::now(crate::HOST_API_VERSION))
}

pub(crate) async fn ready(
    State(state): State<SharedState>,
) -> Result<(StatusCode, Json<Readiness>), ApiError> {
    let status = state.host.status().await?;
    let ready = status.state == ProcessState::Running;
    let code = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    Ok((code, Json(Readiness { ready, state: status.state })))
}

pub(crate) async fn status(State(state): State<SharedState>) -> Result<Json<HostStatus>, ApiError> {
    Ok(Json(state.host.status().await?))
}
