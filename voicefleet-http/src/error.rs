//! The one table from error kind to HTTP status, and the error body `{error: {kind, message,
//! hint?, issues?}}`. Internal details are logged with the request id, never sent.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use voicefleet_core::config::Issue;
use voicefleet_core::{Error, ErrorKind};

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

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ErrorBody {
    pub(crate) error: ErrorDetail,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ErrorDetail {
    pub(crate) kind: String,
    pub(crate) message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) hint: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) issues: Vec<Issue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) request_id: Option<String>,
}

#[derive(Debug)]
pub(crate) struct ApiError {
    pub(crate) kind: ErrorKind,
    pub(crate) message: String,
    pub(crate) hint: Option<String>,
    pub(crate) issues: Vec<Issue>,
    pub(crate) status: Option<StatusCode>,
}

impl ApiError {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self { kind, message: message.into(), hint: None, issues: Vec::new(), status: None }
    }

    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        let mut error = Self::new(ErrorKind::InvalidInput, message);
        error.status = Some(StatusCode::BAD_REQUEST);
        error
    }

    pub(crate) fn too_many_requests() -> Self {
        let mut error =
            Self::new(ErrorKind::Unavailable, "too many requests").hint("slow down and retry shortly");
        error.status = Some(StatusCode::TOO_MANY_REQUESTS);
        error
    }
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        let kind = error.kind();
        if kind == ErrorKind::Internal {
            tracing::error!(error = %error, "internal error");
            return ApiError::new(kind, "internal error; see the console's log");
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
                request_id: None,
            },
        };
        (status, Json(body)).into_response()
    }
}
