//! `POST /v1/auth/login`, `GET /v1/auth/whoami`.

use axum::Json;
use axum::extract::State;
use voicefleet_core::ErrorKind;

use crate::console::Shared;
use crate::console::auth::{CONSOLE_AUDIENCE, LOGIN_SECONDS};
use crate::console::wire::{Login, LoginResponse, WhoAmI};
use crate::error::ApiError;
use crate::extract::{Caller, ClientAddress, JsonBody};

pub(crate) async fn login(
    State(state): State<Shared>,
    ClientAddress(address): ClientAddress,
    request_id: Option<axum::Extension<tower_http::request_id::RequestId>>,
    JsonBody(body): JsonBody<Login>,
) -> Result<Json<LoginResponse>, ApiError> {
    if let Some(address) = address
        && !state.login_limiter.allow(address)
    {
        state.metrics.login_failed("rate_limited");
        return Err(ApiError::too_many_requests());
    }
    let request_id =
        request_id.and_then(|id| id.0.header_value().to_str().ok().map(str::to_owned)).unwrap_or_default();
    let user = match state.accounts.login(&body.name, &body.password, &request_id).await {
        Ok(user) => user,
        Err(error) => {
            state.metrics.login_failed(if error.kind() == ErrorKind::Unauthorized {
                "credentials"
            } else {
                "other"
            });
            return Err(error.into());
        }
    };
    let token = state.signer.sign(&user.name, CONSOLE_AUDIENCE, user.role, LOGIN_SECONDS)?;
    Ok(Json(LoginResponse { token, name: user.name, role: user.role, expires_in_seconds: LOGIN_SECONDS }))
}

pub(crate) async fn whoami(Caller(actor): Caller) -> Json<WhoAmI> {
    Json(WhoAmI { name: actor.name, role: actor.role })
}
