//! Extractors both APIs share: the authenticated caller, JSON bodies and query strings whose
//! rejections are answered in the API's error shape.

use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use voicefleet_core::ErrorKind;
use voicefleet_core::console::Actor;

use crate::error::ApiError;

/// The caller, as the route's role check found it (see [`crate::routes::with_role`]).
#[derive(Debug, Clone)]
pub(crate) struct Caller(pub(crate) Actor);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts.extensions.get::<Actor>().cloned().map(Caller).ok_or_else(|| {
            ApiError::new(ErrorKind::Internal, "this route has no role check; its caller is unknown")
        })
    }
}

/// A JSON body; a malformed or oversized one is a 400 in the API's error shape.
#[derive(Debug)]
pub(crate) struct JsonBody<T>(pub(crate) T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(JsonBody(value)),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::bad_request("request body too large")
                    .with_hint("configuration documents are at most 1 MiB"))
            }
            Err(rejection) => Err(ApiError::bad_request(rejection.body_text())
                .with_hint("send a JSON body as the API's documentation describes it")),
        }
    }
}

/// A query string; a malformed one is a 400 in the API's error shape.
#[derive(Debug)]
pub(crate) struct Params<T>(pub(crate) T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| Params(value))
            .map_err(|rejection| ApiError::bad_request(rejection.body_text()))
    }
}

/// An optional JSON body: empty (or only whitespace) gives `T::default()`.
#[derive(Debug)]
pub(crate) struct OptionalBody<T>(pub(crate) T);

impl<T: serde::de::DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for OptionalBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|rejection| ApiError::bad_request(rejection.body_text()))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalBody(T::default()));
        }
        serde_json::from_slice(&bytes)
            .map(OptionalBody)
            .map_err(|error| ApiError::bad_request(format!("invalid body: {error}")))
    }
}

/// The client's address, when the server knows it (not for in-process requests).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientAddress(pub(crate) Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let info = parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>();
        Ok(ClientAddress(info.map(|info| info.0.ip())))
    }
}
