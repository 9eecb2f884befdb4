//! The HTTP side of errors, shared by the host API and the console API: the one table from error
//! kind to HTTP status, the JSON error body `{error: {kind, message, hint?, issues?}}`, and its
//! reading back into a core error by the clients. Internal details are logged, never sent.
//!
//! The kinds' names are core's (`ErrorKind::as_str`); their statuses are [`ERROR_CODES`], one row
//! per kind, from which the server's answers, the clients' fallbacks and the OpenAPI error enum are
//! all derived.

#[cfg(feature = "server")]
use axum::Json;
#[cfg(feature = "server")]
use axum::response::{IntoResponse, Response};
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use voicefleet_core::config::Issue;
use voicefleet_core::{Error, ErrorKind};

/// One row per error kind: its HTTP status. A match over every kind makes a new kind fail to
/// compile until it has a row.
macro_rules! error_codes {
    ($($kind:ident => $status:ident,)*) => {
        /// The HTTP status for each error kind.
        pub fn status_for(kind: ErrorKind) -> StatusCode {
            match kind {
                $(ErrorKind::$kind => StatusCode::$status,)*
            }
        }

        /// Every error kind with its HTTP status, in the table's order.
        pub const ERROR_CODES: &[(ErrorKind, StatusCode)] = &[$((ErrorKind::$kind, StatusCode::$status),)*];
    };
}

error_codes! {
    InvalidInput => UNPROCESSABLE_ENTITY,
    NotFound => NOT_FOUND,
    Conflict => CONFLICT,
    Unauthorized => UNAUTHORIZED,
    Forbidden => FORBIDDEN,
    Unavailable => SERVICE_UNAVAILABLE,
    Internal => INTERNAL_SERVER_ERROR,
}

/// The kind a client assumes for an error status whose body it cannot read: the table's kind for
/// a 4xx status it lists, invalid input for the other refusals of a body (400, 413), and
/// unavailable for everything else (a proxy's 502, a 500 without the API's body).
pub fn kind_for_status(status: StatusCode) -> ErrorKind {
    if status == StatusCode::BAD_REQUEST || status == StatusCode::PAYLOAD_TOO_LARGE {
        return ErrorKind::InvalidInput;
    }
    ERROR_CODES
        .iter()
        .find(|(_, code)| *code == status && status.is_client_error())
        .map(|(kind, _)| *kind)
        .unwrap_or(ErrorKind::Unavailable)
}

fn kind_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({"type": "string", "enum": kind_names()})
}

fn code_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let codes: Vec<&str> = voicefleet_core::OtpRefusal::ALL.iter().map(|refusal| refusal.code()).collect();
    schemars::json_schema!({"type": "string", "enum": codes})
}

fn action_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({"type": "string", "enum": voicefleet_core::Remedy::ACTIONS})
}

/// What the client can do about an error, as data: a client names its own command or request
/// for it (the `hint` says it in words).
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RemedyDetail {
    /// What to do: `login_with_otp`, `list_backups`, `sync_instances`, `onboard_customer`…
    #[schemars(schema_with = "action_schema")]
    pub action: String,
    /// The user, customer or backup location it is about, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
}

impl RemedyDetail {
    #[cfg(feature = "server")]
    fn of(remedy: &voicefleet_core::Remedy) -> Self {
        RemedyDetail { action: remedy.action().to_owned(), subject: remedy.subject().map(str::to_owned) }
    }

    fn remedy(&self) -> Option<voicefleet_core::Remedy> {
        voicefleet_core::Remedy::from_parts(&self.action, self.subject.as_deref())
    }
}

/// The names of every error kind, for the OpenAPI document's error enum.
pub fn kind_names() -> Vec<&'static str> {
    ERROR_CODES.iter().map(|(kind, _)| kind.as_str()).collect()
}

/// The error body of every voicefleet API.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "Error")]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong, what to do about it, and every validation issue.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ErrorDetail {
    /// The error's kind; clients branch on it.
    #[schemars(schema_with = "kind_schema")]
    pub kind: String,
    /// A finer reason than the kind, for refusals a client acts on: `otp_required` (log in
    /// again with `otp`), `otp_invalid`, `mfa_enrollment_required`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "code_schema")]
    pub code: Option<String>,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub issues: Vec<Issue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remedy: Option<RemedyDetail>,
}

#[cfg(feature = "server")]
/// An error answered to an HTTP client.
#[derive(Debug)]
pub struct ApiError {
    kind: ErrorKind,
    code: Option<&'static str>,
    message: String,
    hint: Option<String>,
    issues: Vec<Issue>,
    // Boxed: every handler returns `Result<_, ApiError>`, and most errors have no remedy.
    remedy: Option<Box<voicefleet_core::Remedy>>,
    status: Option<StatusCode>,
}

#[cfg(feature = "server")]
impl ApiError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            code: None,
            message: message.into(),
            hint: None,
            issues: Vec::new(),
            remedy: None,
            status: None,
        }
    }

    /// The kind of error this answer says.
    #[cfg(test)]
    pub(crate) fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn too_many_requests() -> Self {
        let mut error =
            Self::new(ErrorKind::Unavailable, "too many requests").with_hint("slow down and retry shortly");
        error.status = Some(StatusCode::TOO_MANY_REQUESTS);
        error
    }

    /// A body over the route's cap: 413.
    pub fn payload_too_large(message: impl Into<String>) -> Self {
        let mut error = Self::new(ErrorKind::InvalidInput, message);
        error.status = Some(StatusCode::PAYLOAD_TOO_LARGE);
        error
    }

    /// A body that is not JSON, or not the right JSON: 400.
    pub fn bad_request(message: impl Into<String>) -> Self {
        let mut error = Self::new(ErrorKind::InvalidInput, message);
        error.status = Some(StatusCode::BAD_REQUEST);
        error
    }
}

#[cfg(feature = "server")]
/// What to do about `error` in this API's terms (its route), where core's library terms would
/// leave a client guessing which request that is.
fn route_hint(error: &Error) -> Option<String> {
    use voicefleet_core::Remedy;
    Some(match (error, error.remedy()) {
        (Error::NoConfiguration, _) => "PUT /v1/config with a full document first".to_owned(),
        (_, Some(Remedy::LoginWithOtp)) => {
            "POST /v1/auth/login again with `otp`: the code from your authenticator app, or a recovery code"
                .to_owned()
        }
        (_, Some(Remedy::GiveOtp)) => {
            "give `otp` in the body: the code your authenticator app shows now, or an unused recovery code"
                .to_owned()
        }
        (_, Some(Remedy::EnableSecondFactor { user })) => format!("POST /v1/users/{user}/mfa enables one"),
        (_, Some(Remedy::SyncInstances)) => {
            "POST /v1/instances/sync reads the cloud; or tag the instance voicefleet:customer=ID".to_owned()
        }
        (_, Some(Remedy::OnboardCustomer { customer })) => {
            format!("POST /v1/customers/{customer}/onboard launches an instance and records its launch spec")
        }
        (_, Some(Remedy::InspectAgent { customer })) => {
            format!("GET /v1/customers/{customer}/logs and /v1/customers/{customer}/status say why")
        }
        _ => return None,
    })
}

#[cfg(feature = "server")]
impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        let kind = error.kind();
        if kind == ErrorKind::Internal {
            tracing::error!(error = %error, "internal error");
            return ApiError::new(
                kind,
                "internal error; the server's log has the details under this request's x-request-id",
            );
        }
        // A stale `If-Match` is a failed precondition, a full disk is insufficient storage (its
        // kind stays `unavailable`); everything else follows the table.
        let status = match &error {
            Error::Stale { .. } => Some(StatusCode::PRECONDITION_FAILED),
            _ if error.is_storage_full() => Some(StatusCode::INSUFFICIENT_STORAGE),
            _ => None,
        };
        ApiError {
            kind,
            code: error.code(),
            message: error.to_string(),
            hint: route_hint(&error).or_else(|| error.hint()),
            issues: error.issues().to_vec(),
            remedy: error.remedy().map(Box::new),
            status,
        }
    }
}

#[cfg(feature = "server")]
impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status.unwrap_or_else(|| status_for(self.kind));
        let body = ErrorBody {
            error: ErrorDetail {
                kind: self.kind.as_str().to_owned(),
                code: self.code.map(str::to_owned),
                message: self.message,
                hint: self.hint,
                issues: self.issues,
                remedy: self.remedy.as_deref().map(RemedyDetail::of),
            },
        };
        (status, Json(body)).into_response()
    }
}

/// Reads an unsuccessful response of a voicefleet API back into a core error; `server` names it
/// in messages ("the host agent", "the console").
pub async fn remote_error(response: reqwest::Response, server: &str) -> Error {
    let status = response.status();
    let fallback = kind_for_status(status);
    let bytes = response.bytes().await.unwrap_or_default();
    match serde_json::from_slice::<ErrorBody>(&bytes) {
        // A refused second factor comes back as itself: a client asks for a code on `otp_required`.
        Ok(body)
            if let Some(refusal) =
                body.error.code.as_deref().and_then(voicefleet_core::OtpRefusal::parse) =>
        {
            let remedy = body.error.remedy.as_ref().and_then(RemedyDetail::remedy);
            Error::SecondFactor { refusal, message: body.error.message, hint: body.error.hint, remedy }
        }
        Ok(body) => Error::Remote {
            kind: if status == StatusCode::TOO_MANY_REQUESTS {
                ErrorKind::Unavailable
            } else {
                ErrorKind::parse(&body.error.kind).unwrap_or(fallback)
            },
            remedy: body.error.remedy.as_ref().and_then(RemedyDetail::remedy),
            message: body.error.message,
            hint: body.error.hint,
            issues: body.error.issues,
        },
        Err(_) => Error::Remote {
            kind: fallback,
            message: format!("{server} answered {status} with an unreadable body"),
            hint: None,
            issues: Vec::new(),
            remedy: None,
        },
    }
}

/// A request that got no answer: `unavailable`, saying whether it timed out or could not connect.
pub fn transport_error(target: &str, error: &reqwest::Error) -> Error {
    let what = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "failed"
    };
    // The cause is deep in the chain (a refused connection, a certificate that is not trusted or
    // not the pinned one): name the innermost one.
    let mut cause: &dyn std::error::Error = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    let cause = cause.to_string();
    if cause == error.to_string() {
        Error::Unavailable { message: format!("the request to {target} {what}: {error}") }
    } else {
        Error::Unavailable { message: format!("the request to {target} {what}: {cause}") }
    }
}
