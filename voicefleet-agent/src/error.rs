//! The one table from error kind to HTTP status, and the JSON error body.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use voicefleet_core::{Error, ErrorKind};

use crate::wire::{ErrorBody, ErrorDetail};

/// The HTTP status for each error kind.
pub(crate) fn status_for(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::InvalidInput => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// An error answered to an HTTP client. Internal details are logged, never sent.
#[derive(Debug)]
pub(crate) struct ApiError {
    kind: ErrorKind,
    message: String,
    hint: Option<String>,
    issues: Vec<voicefleet_core::config::Issue>,
    status: Option<StatusCode>,
}

impl ApiError {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self { kind, message: message.into(), hint: None, issues: Vec::new(), status: None }
    }

    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub(crate) fn too_many_requests() -> Self {
        let mut error =
            Self::new(ErrorKind::Unavailable, "too many requests").with_hint("slow down and retry shortly");
        error.status = Some(StatusCode::TOO_MANY_REQUESTS);
        error
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        let mut error = Self::new(ErrorKind::InvalidInput, message);
        error.status = Some(StatusCode::BAD_REQUEST);
        error
    }
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        let kind = error.kind();
        if kind == ErrorKind::Internal {
            tracing::error!(error = %error, "internal error");
            return ApiError::new(kind, "internal error; see the host agent's log");
        }
        ApiError {
            kind,
            message: error.to_string(),
            hint: error.hint(),
            issues: error.issues().to_vec(),
            status: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status.unwrap_or_else(|| status_for(self.kind));
        let body = ErrorBody {
            error: ErrorDetail {
                kind: self.kind.as_str().to_owned(),
                message: self.message,
                hint: self.hint,
                issues: self.issues,
            },
        };
        (status, Json(body)).into_response()
    }
}
