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
    // Counted in the store: every replica of the console behind a load balancer sees them all.
    if let Some(address) = address
        && !state.accounts.admit_login_attempt(&address.to_string()).await?
    {
        state.metrics.login_failed("rate_limited");
        return Err(ApiError::too_many_requests());
    }
    let request_id =
        request_id.and_then(|id| id.0.header_value().to_str().ok().map(str::to_owned)).unwrap_or_default();
    let from = address.map_or_else(|| "local".to_owned(), |a| a.to_string());
    let user =
        match state.accounts.login(&body.name, &body.password, body.otp.as_deref(), &from, &request_id).await
        {
            Ok(user) => user,
            Err(error) => {
                state.metrics.login_failed(match (error.kind(), error.code()) {
                    (ErrorKind::Unauthorized, Some(_)) => "second_factor",
                    (ErrorKind::Unauthorized, None) => "credentials",
                    _ => "other",
                });
                return Err(error.into());
            }
        };
    let token = state.signer.sign(
        voicefleet_core::auth::TokenKind::Login,
        &user.name,
        CONSOLE_AUDIENCE,
        user.role,
        LOGIN_SECONDS,
    )?;
    Ok(Json(LoginResponse { token, name: user.name, role: user.role, expires_in_seconds: LOGIN_SECONDS }))
}

/// The largest login body: a name, a password and room for a second factor.
const MAX_LOGIN_BODY_BYTES: usize = 4 * 1024;

/// Caps `POST /v1/auth/login` bodies at a few KiB (the API's other bodies may be 2 MiB): an
/// anonymous caller cannot make the console read and parse megabytes per attempt.
pub(crate) async fn cap_body(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    if request.uri().path() != "/v1/auth/login" {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, MAX_LOGIN_BODY_BYTES).await {
        Ok(bytes) => next.run(axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes))).await,
        Err(_) => ApiError::payload_too_large("a login body is at most 4 KiB").into_response(),
    }
}

pub(crate) async fn whoami(Caller(actor): Caller) -> Json<WhoAmI> {
    Json(WhoAmI { name: actor.name, role: actor.role })
}
