//! `GET /v1/secrets` (names only), `PUT|DELETE /v1/secrets/{name}` (values are write-only),
//! `POST /v1/secrets/check` (each provider key checked live from here; verdicts only).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use voicefleet_core::ErrorKind;

use crate::error::ApiError;
use crate::extract::{JsonBody, Params};
use crate::host::SharedState;
use crate::host::wire::{CheckParams, KeyChecks, PutSecret, SecretNames};

pub(crate) async fn names(State(state): State<SharedState>) -> Result<Json<SecretNames>, ApiError> {
    Ok(Json(SecretNames { names: state.host.secret_names().await? }))
}

pub(crate) async fn put_secret(
    State(state): State<SharedState>,
    Path(name): Path<String>,
    JsonBody(body): JsonBody<PutSecret>,
) -> Result<StatusCode, ApiError> {
    if body.value.is_empty() || body.value.len() > 64 * 1024 {
        return Err(ApiError::new(ErrorKind::InvalidInput, "a secret value is 1 byte to 64 KiB"));
    }
    state.host.set_secret(&name, &body.value).await?;
    tracing::info!(secret = %name, "secret set");
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn delete_secret(
    State(state): State<SharedState>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.host.delete_secret(&name).await?;
    tracing::info!(secret = %name, "secret deleted");
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn check(
    State(state): State<SharedState>,
    Params(params): Params<CheckParams>,
) -> Result<Json<KeyChecks>, ApiError> {
    let checks = state.host.check_keys(params.secret.as_deref()).await?;
    for check in &checks {
        tracing::info!(secret = %check.secret, provider = %check.provider, verdict = %check.verdict, "key checked");
    }
    Ok(Json(KeyChecks { checks }))
}
