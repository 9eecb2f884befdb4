//! What an EC2 error means for the caller: retry it (throttling, a transient failure), or
//! report it as one of the crate's errors (a missing permission names its IAM action).

use aws_sdk_ec2::config::http::HttpResponse;
use aws_sdk_ec2::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use crate::error::Error;

/// Error codes EC2 answers when it is throttling or briefly unable to serve.
const RETRYABLE_CODES: [&str; 8] = [
    "RequestLimitExceeded",
    "Throttling",
    "ThrottlingException",
    "RequestThrottled",
    "InternalError",
    "InternalFailure",
    "ServiceUnavailable",
    "Unavailable",
];

/// Codes that mean the caller's identity lacks a permission.
const PERMISSION_CODES: [&str; 3] = ["UnauthorizedOperation", "AccessDenied", "AccessDeniedException"];

/// Codes that mean the instance id names no instance.
const NOT_FOUND_CODES: [&str; 2] = ["InvalidInstanceID.NotFound", "InvalidInstanceID.Malformed"];

/// One failed attempt, sorted.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Worth another attempt after a wait; the error to report if none is left.
    Retry(Error),
    /// Final.
    Fail(Error),
}

/// Sorts the failure of one call of IAM action `action` (`ec2:StartInstances`) about
/// `instance` (when it is about one).
pub(crate) fn classify<E>(error: SdkError<E, HttpResponse>, action: &str, instance: Option<&str>) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let code = error.code().unwrap_or_default().to_owned();
    let message = error.message().unwrap_or_default().to_owned();
    let status = error.raw_response().map(|response| response.status().as_u16());
    let unavailable = |what: String| Error::Unavailable { message: format!("EC2 {action} failed: {what}") };
    match &error {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            return Failure::Retry(unavailable(DisplayErrorContext(&error).to_string()));
        }
        _ => {}
    }
    if RETRYABLE_CODES.contains(&code.as_str())
        || (code.is_empty() && status.is_some_and(|s| s == 429 || s >= 500))
    {
        let what = if code.is_empty() {
            format!("HTTP {}", status.unwrap_or_default())
        } else {
            format!("{code}: {message}")
        };
        return Failure::Retry(unavailable(what));
    }
    if PERMISSION_CODES.contains(&code.as_str()) {
        return Failure::Fail(Error::CloudPermission {
            action: action.to_owned(),
            message: first_sentence(&message, &code),
        });
    }
    if let Some(id) = instance
        && NOT_FOUND_CODES.contains(&code.as_str())
    {
        return Failure::Fail(Error::InstanceNotFound { id: id.to_owned() });
    }
    match code.as_str() {
        "AuthFailure" | "InvalidClientTokenId" | "SignatureDoesNotMatch" | "ExpiredToken" => {
            Failure::Fail(Error::Unavailable {
                message: format!(
                    "EC2 refused the console's AWS credentials ({code}): check the credentials chain \
                     (environment, profile, instance profile)"
                ),
            })
        }
        "IncorrectInstanceState" | "IncorrectState" => {
            Failure::Fail(Error::blocked(format!("EC2 {action}: {message}"), crate::Remedy::WaitForInstance))
        }
        _ if code.starts_with("Invalid") || code.starts_with("Missing") => {
            Failure::Fail(Error::InvalidValue {
                value: action.to_owned(),
                reason: format!("EC2 refused it ({code}): {message}"),
            })
        }
        "" => Failure::Fail(unavailable(DisplayErrorContext(&error).to_string())),
        _ => Failure::Fail(unavailable(format!("{code}: {message}"))),
    }
}

/// EC2's permission messages carry a long encoded authorization blob after the first
/// sentence: keep what a person can read.
fn first_sentence(message: &str, code: &str) -> String {
    let readable = message.split(" Encoded authorization failure message").next().unwrap_or(message).trim();
    if readable.is_empty() { code.to_owned() } else { readable.trim_end_matches('.').to_owned() }
}
