//! `GET /v1/health`, `GET /v1/ready`, `GET /v1/status`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use voicefleet_core::host::HostStatus;
use voicefleet_core::lifecycle::ProcessState;

use crate::error::ApiError;
use crate::host::SharedState;
use crate::host::wire::Health;

pub(crate) async fn health() -> Json<Health> {
    Json(Health { status: "ok".to_owned(), version: env!("CARGO_PKG_VERSION").to_owned() })
}

pub(crate) async fn ready(State(state): State<SharedState>) -> Result<Response, ApiError> {
    let status = state.host.status().await?;
    let code =
        if status.state == ProcessState::Running { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    Ok((code, Json(serde_json::json!({"ready": code == StatusCode::OK, "state": status.state})))
        .into_response())
}

pub(crate) async fn status(State(state): State<SharedState>) -> Result<Json<HostStatus>, ApiError> {
    Ok(Json(state.host.status().await?))
}
