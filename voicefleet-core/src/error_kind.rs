//! What sort of failure an error is ([`ErrorKind`]), and the finer codes a client acts on
//! ([`OtpRefusal`]): the vocabulary each frontend maps to its own (exit code, HTTP status, Python
//! exception).

/// What sort of failure an [`Error`](crate::Error) is, independent of any transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The caller gave something malformed or refused by a rule; retrying unchanged will fail again.
    InvalidInput,
    /// The thing named does not exist.
    NotFound,
    /// The request clashes with the current state (already running, in use).
    Conflict,
    /// No valid credentials.
    Unauthorized,
    /// Valid credentials without the needed role.
    Forbidden,
    /// A dependency (host, disk, process) could not be reached or used; retrying may work.
    Unavailable,
    /// A bug or an unexpected condition.
    Internal,
}

impl ErrorKind {
    /// Parses [`ErrorKind::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        [
            ErrorKind::InvalidInput,
            ErrorKind::NotFound,
            ErrorKind::Conflict,
            ErrorKind::Unauthorized,
            ErrorKind::Forbidden,
            ErrorKind::Unavailable,
            ErrorKind::Internal,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == text)
    }

    /// A stable snake_case name, used in JSON error bodies.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::Internal => "internal",
        }
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a login with the right password was refused at its second factor. Its
/// [`OtpRefusal::code`] is the error body's `code`, so a client knows to ask for a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OtpRefusal {
    /// The user has a second factor and gave no code.
    Required,
    /// The code (or recovery code) is wrong, too old, or was used already.
    Invalid,
    /// The user's role requires a second factor and the user has none enrolled.
    EnrollmentRequired,
}

impl OtpRefusal {
    /// Every refusal, for the OpenAPI document's `code` enum.
    pub const ALL: [OtpRefusal; 3] =
        [OtpRefusal::Required, OtpRefusal::Invalid, OtpRefusal::EnrollmentRequired];

    /// The stable snake_case code of the error body.
    pub fn code(self) -> &'static str {
        match self {
            OtpRefusal::Required => "otp_required",
            OtpRefusal::Invalid => "otp_invalid",
            OtpRefusal::EnrollmentRequired => "mfa_enrollment_required",
        }
    }

    /// Parses [`OtpRefusal::code`].
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|refusal| refusal.code() == code)
    }
}
