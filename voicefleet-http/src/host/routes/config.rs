//! `GET|PUT|PATCH /v1/config`, `POST /v1/config/validate`.

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse as _, Response};
use serde_json::Value;
use voicefleet_core::ErrorKind;
use voicefleet_core::config::{ConfigDocument, ValidateOptions};
use voicefleet_core::host::{AppliedConfig, RevisionMeta};

use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::host::SharedState;
use crate::host::wire::{ConfigResponse, PatchConfig, PutConfig, ValidateResponse};

fn no_config() -> ApiError {
    ApiError::new(ErrorKind::NotFound, "no configuration has been applied to this host yet")
        .with_hint("PUT /v1/config with a full document first")
}

pub(crate) async fn get_config(State(state): State<SharedState>) -> Result<Json<ConfigResponse>, ApiError> {
    let (document, revision) = state.host.config().await?.ok_or_else(no_config)?;
    Ok(Json(ConfigResponse { config: document.redacted(), revision }))
}

/// Applied once per operation id (`X-Voicefleet-Operation`), every time without one.
pub(crate) async fn put_config(
    State(state): State<SharedState>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<PutConfig>,
) -> Response {
    let operations = state.operations.clone();
    let apply = async move {
        let document = ConfigDocument::from_value(body.config)?;
        let meta = RevisionMeta { revision: body.revision, author: body.author, message: body.message };
        Ok::<_, ApiError>(Json(state.host.apply_config(document, meta).await?))
    };
    operations.once(&headers, "config.apply".to_owned(), async move { apply.await.into_response() }).await
}

pub(crate) async fn patch_config(
    State(state): State<SharedState>,
    JsonBody(body): JsonBody<PatchConfig>,
) -> Result<Json<AppliedConfig>, ApiError> {
    if body.operations.is_empty() {
        return Err(ApiError::new(ErrorKind::InvalidInput, "no operations given").with_hint(
            r#"send {"operations": [{"op": "set", "path": "agent_settings.llm.temperature", "value": 0.3}]}"#,
        ));
    }
    let (mut document, _) = state.host.config().await?.ok_or_else(no_config)?;
    let options = secret_options(&state).await?;
    document.apply_operations(&crate::wire::operations_in(body.operations), &options)?;
    let meta = RevisionMeta { revision: None, author: body.author, message: body.message };
    Ok(Json(state.host.apply_config(document, meta).await?))
}

pub(crate) async fn validate(
    State(state): State<SharedState>,
    JsonBody(body): JsonBody<Value>,
) -> Result<Json<ValidateResponse>, ApiError> {
    let document = ConfigDocument::from_value(body)?;
    let mut validation = document.validate_with(&secret_options(&state).await?);
    // A document valid in itself may still name what this host lacks (a user, a program).
    if let Ok(typed) = document.typed() {
        validation.issues.extend(state.host.host_issues(&typed.runtime));
    }
    Ok(Json(ValidateResponse { valid: validation.is_valid(), issues: validation.issues }))
}

async fn secret_options(state: &SharedState) -> Result<ValidateOptions, ApiError> {
    let names: BTreeSet<String> = state.host.secret_names().await?.into_iter().collect();
    Ok(ValidateOptions::with_secrets(names))
}
