//! The one error type of `voicefleet-core`.
//!
//! Every error has a [`ErrorKind`]; each frontend maps kinds to its own vocabulary (exit code, HTTP
//! status, Python exception) in one exhaustive table. Messages start lower case and carry no
//! trailing period; [`Error::hint`] says what to do about it.

use crate::config::Issue;
use crate::remedy::Remedy;

pub use crate::error_kind::{ErrorKind, OtpRefusal};

/// ENOSPC and EDQUOT on Linux (every platform the supervisor runs on).
const NO_SPACE: i32 = 28;
const OVER_QUOTA: i32 = 122;

const STORAGE_FULL_HINT: &str = "free space on that filesystem (a voice agent's old logs are in its \
     state directory's logs/), then try again; nothing was changed";

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in `voicefleet-core`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A configuration document over the size limit (1 MiB), refused before it is parsed.
    #[error("document is {size} bytes, over the limit of {limit} bytes")]
    DocumentTooLarge {
        /// The document's size, in bytes.
        size: usize,
        /// The largest size accepted, in bytes.
        limit: usize,
    },

    /// A configuration document whose objects and arrays nest too deep, refused before it is
    /// parsed.
    #[error("document is nested deeper than {limit} levels")]
    DocumentTooDeep {
        /// The deepest nesting accepted, in levels.
        limit: usize,
    },

    /// Text that is not JSON.
    #[error("malformed JSON at line {line}, column {column}: {message}")]
    MalformedJson {
        /// Where the parser stopped: the line, from 1.
        line: usize,
        /// Where the parser stopped: the column, from 1.
        column: usize,
        /// What the parser expected there.
        message: String,
    },

    /// A configuration document that is valid JSON but not an object.
    #[error("document root is {found}, not a JSON object")]
    NotAnObject {
        /// The JSON type found instead (`array`, `string`, `number`…).
        found: &'static str,
    },

    /// A configuration refused by validation; nothing was changed.
    #[error("configuration is invalid: {}", summarize_issues(.issues))]
    InvalidConfig {
        /// Every issue found, errors and warnings; at least one is an error.
        issues: Vec<Issue>,
    },

    /// A document path (`agent_settings.llm.temperature`, `telephony.numbers[0]`) that does
    /// not parse.
    #[error("invalid path `{path}`: {reason}")]
    InvalidPath {
        /// The path as given.
        path: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A value given by the user that is not in the expected form; `reason` says which form.
    #[error("invalid value `{value}`: {reason}")]
    InvalidValue {
        /// The value as given.
        value: String,
        /// The form expected.
        reason: String,
    },

    /// A document path that names no value in the document.
    #[error("path `{path}` does not exist")]
    PathNotFound {
        /// The path as given.
        path: String,
        /// The keys that do exist at the deepest level reached, for a suggestion.
        available: Vec<String>,
    },

    /// A customer id that is not 1-63 lower-case letters, digits and `-`.
    #[error("invalid customer id `{id}`: {reason}")]
    InvalidCustomerId {
        /// The id as given.
        id: String,
        /// Which rule it breaks.
        reason: &'static str,
    },

    /// A customer tag that is not `key=value` with a valid key and value.
    #[error("invalid tag `{tag}`: {reason}")]
    InvalidTag {
        /// The tag as given.
        tag: String,
        /// Which rule it breaks.
        reason: &'static str,
    },

    /// A host agent's base URL that cannot be used.
    #[error("invalid endpoint `{endpoint}`: {reason}")]
    InvalidEndpoint {
        /// The endpoint as given.
        endpoint: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A configuration template name that does not exist ([`crate::config::template_names`]
    /// lists those that do).
    #[error("unknown template `{name}`")]
    UnknownTemplate {
        /// The name as given.
        name: String,
    },

    /// The request clashes with the current state: the agent is already running, another
    /// control request is in progress, a name is taken, a secret is still referenced.
    #[error("{message}")]
    Conflict {
        /// What clashes.
        message: String,
        /// What to do about it, when there is something to say ([`Error::hint`]).
        hint: Option<String>,
        /// What to do about it as data, for a frontend to say in its own terms; when set, it
        /// is the hint.
        remedy: Option<Remedy>,
    },

    /// A control request (start, restart) to a host with no configuration document applied.
    #[error("no configuration has been applied to this host yet")]
    NoConfiguration,

    /// The caller changed something on top of a state that is no longer the latest (optimistic
    /// concurrency: an HTTP `If-Match` that no longer matches).
    #[error("{message}")]
    Stale {
        /// Which state moved on.
        message: String,
    },

    /// A secret name that is not 1-64 of `a-z`, `0-9` and `_`.
    #[error("invalid secret name `{name}`")]
    InvalidSecretName {
        /// The name as given.
        name: String,
    },

    /// A secret that is not stored.
    #[error("secret `{name}` does not exist")]
    SecretNotFound {
        /// The name as given.
        name: String,
    },

    /// A customer the console does not know.
    #[error("customer `{id}` does not exist")]
    CustomerNotFound {
        /// The id as given.
        id: String,
    },

    /// `number: None`: the customer has no revision at all.
    #[error("{}", match .number {
        Some(number) => format!("`{customer}` has no revision {number}"),
        None => format!("`{customer}` has no revision to deploy"),
    })]
    RevisionNotFound {
        /// The customer's id.
        customer: String,
        /// The revision number asked for; none when any revision would do.
        number: Option<u64>,
    },

    /// No backup at `target` (or none named `name` there).
    #[error("{}", match .name {
        Some(name) => format!("no backup {name} at {target}"),
        None => format!("no backup at {target}"),
    })]
    BackupNotFound {
        /// Where the backups were looked for (a directory or an `s3://` prefix).
        target: String,
        /// The backup asked for; none when the latest would do.
        name: Option<String>,
    },

    /// A bulk run the console does not know.
    #[error("bulk run `{id}` does not exist")]
    BulkRunNotFound {
        /// The id as given.
        id: String,
    },

    /// A cloud instance the console does not know.
    #[error("instance `{id}` does not exist")]
    InstanceNotFound {
        /// The id as given.
        id: String,
    },

    /// The cloud refused a call for want of a permission: `action` is the IAM action to grant.
    #[error("the cloud refused {action}: {message}")]
    CloudPermission {
        /// The IAM action refused (`ec2:RunInstances`).
        action: String,
        /// The cloud's own message.
        message: String,
    },

    /// Valid credentials without the role the action needs.
    #[error("this needs the {needed} role; {actor} has {role}")]
    Forbidden {
        /// The user or token that asked.
        actor: String,
        /// The role it has.
        role: crate::auth::Role,
        /// The least role the action needs.
        needed: crate::auth::Role,
    },

    /// A file or socket operation failed. A full filesystem is kind unavailable (see
    /// [`Error::is_storage_full`]); anything else is internal.
    #[error("{context}: {source}")]
    Io {
        /// What was being done (`cannot write /var/lib/voicefleet/acme/config.json`).
        context: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// A dependency (a host agent, a process, a cloud API, the supervisor's task) could not be
    /// reached or used; retrying later may work.
    #[error("{message}")]
    Unavailable {
        /// What could not be reached, and why.
        message: String,
    },

    /// A request that lacks an input it needs (kind invalid input); `remedy` says which.
    #[error("{message}")]
    Incomplete {
        /// What is missing, and why it is needed.
        message: String,
        /// What to give.
        remedy: Remedy,
    },

    /// A host or agent that did not reach the state asked for in time; `remedy` says how to
    /// finish by hand.
    #[error("{message}")]
    NotReady {
        /// What was waited for, and what was seen last.
        message: String,
        /// How to go on.
        remedy: Remedy,
    },

    /// A write refused because the filesystem is full (or over its quota): nothing was changed.
    #[error("cannot write {what}: the filesystem of {dir} is full")]
    StorageFull {
        /// What was being written.
        what: String,
        /// The directory on the full filesystem.
        dir: String,
    },

    /// A bug or an unexpected condition (a task that panicked, a store that is corrupt).
    #[error("internal error: {message}")]
    Internal {
        /// What went wrong.
        message: String,
    },

    /// A host agent speaks a version of the host API that this side does not: its answers are
    /// not read.
    #[error("host agent {agent_version} speaks host API v{host_api}; this console speaks v{supported}")]
    IncompatibleHost {
        /// The host agent's package version.
        agent_version: String,
        /// The host API version the host agent speaks.
        host_api: u32,
        /// The host API version this side speaks.
        supported: u32,
    },

    /// A login refused at its second factor (kind unauthorized; [`Error::code`] says which).
    #[error("{message}")]
    SecondFactor {
        /// Which refusal: no code, a wrong code, or no second factor enrolled.
        refusal: OtpRefusal,
        /// The refusal in words.
        message: String,
        /// What to do about it.
        hint: Option<String>,
        /// What to do about it as data ([`Error::remedy`]).
        remedy: Option<Remedy>,
    },

    /// An error reported by a remote voicefleet service (a host agent, a console), with its kind.
    #[error("{message}")]
    Remote {
        /// The kind the remote side gave.
        kind: ErrorKind,
        /// The remote side's message.
        message: String,
        /// The remote side's hint, when it gave one.
        hint: Option<String>,
        /// The validation issues it reported (a refused configuration), else empty.
        issues: Vec<Issue>,
        /// The remote side's remedy, when it gave one it could say as data.
        remedy: Option<Remedy>,
    },
}

impl Error {
    /// An I/O failure with what was being done.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io { context: context.into(), source }
    }

    /// True for an I/O error that says the filesystem is full or over its quota.
    pub fn is_no_space(error: &std::io::Error) -> bool {
        matches!(error.raw_os_error(), Some(code) if code == NO_SPACE || code == OVER_QUOTA)
    }

    /// True when the failure is a full filesystem ([`Error::StorageFull`], or an I/O error
    /// that says so): frontends answer it as such (HTTP 507).
    pub fn is_storage_full(&self) -> bool {
        match self {
            Error::StorageFull { .. } => true,
            Error::Io { source, .. } => Error::is_no_space(source),
            _ => false,
        }
    }

    /// A request that clashes with the current state.
    pub fn conflict(message: impl Into<String>, hint: Option<&str>) -> Self {
        Error::Conflict { message: message.into(), hint: hint.map(str::to_owned), remedy: None }
    }

    /// A request that clashes with the current state, and what to do about it.
    pub fn blocked(message: impl Into<String>, remedy: Remedy) -> Self {
        Error::Conflict { message: message.into(), hint: None, remedy: Some(remedy) }
    }

    /// What the caller can do about it, as data: each frontend says it in its own terms
    /// ([`Error::hint`] says it in the library's).
    pub fn remedy(&self) -> Option<Remedy> {
        match self {
            Error::Conflict { remedy, .. }
            | Error::SecondFactor { remedy, .. }
            | Error::Remote { remedy, .. } => remedy.clone(),
            Error::NotReady { remedy, .. } | Error::Incomplete { remedy, .. } => Some(remedy.clone()),
            Error::BackupNotFound { target, .. } => Some(Remedy::ListBackups { target: target.clone() }),
            _ => None,
        }
    }
}

fn summarize_issues(issues: &[Issue]) -> String {
    match issues {
        [] => "no issues".to_owned(),
        [one] => format!("{}: {}", one.path, one.message),
        [first, rest @ ..] => format!("{}: {} (and {} more)", first.path, first.message, rest.len()),
    }
}

impl Error {
    /// The kind of failure, for the frontends' mapping tables.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::DocumentTooLarge { .. }
            | Error::DocumentTooDeep { .. }
            | Error::MalformedJson { .. }
            | Error::NotAnObject { .. }
            | Error::InvalidConfig { .. }
            | Error::InvalidPath { .. }
            | Error::InvalidValue { .. }
            | Error::InvalidCustomerId { .. }
            | Error::InvalidTag { .. }
            | Error::InvalidEndpoint { .. }
            | Error::InvalidSecretName { .. }
            | Error::Incomplete { .. } => ErrorKind::InvalidInput,
            Error::PathNotFound { .. }
            | Error::UnknownTemplate { .. }
            | Error::SecretNotFound { .. }
            | Error::CustomerNotFound { .. }
            | Error::RevisionNotFound { .. }
            | Error::BulkRunNotFound { .. }
            | Error::BackupNotFound { .. }
            | Error::InstanceNotFound { .. } => ErrorKind::NotFound,
            Error::Forbidden { .. } => ErrorKind::Forbidden,
            Error::SecondFactor { .. } => ErrorKind::Unauthorized,
            Error::Conflict { .. } | Error::Stale { .. } | Error::NoConfiguration => ErrorKind::Conflict,
            Error::Io { source, .. } if Error::is_no_space(source) => ErrorKind::Unavailable,
            Error::Io { .. } | Error::Internal { .. } => ErrorKind::Internal,
            Error::Unavailable { .. }
            | Error::IncompatibleHost { .. }
            | Error::StorageFull { .. }
            | Error::NotReady { .. }
            | Error::CloudPermission { .. } => ErrorKind::Unavailable,
            Error::Remote { kind, .. } => *kind,
        }
    }

    /// What the user can do about it, when there is something to say.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::DocumentTooLarge { .. } => Some(
                "a configuration document is at most 1 MiB; move large data out of `extensions`".to_owned(),
            ),
            Error::DocumentTooDeep { .. } => {
                Some("flatten the nesting, most likely inside `extensions`".to_owned())
            }
            Error::MalformedJson { .. } => {
                Some("fix the JSON syntax at that position and try again".to_owned())
            }
            Error::NotAnObject { .. } => Some(
                "a configuration document is an object such as {\"version\": 1, ...}; \
                 start from a template"
                    .to_owned(),
            ),
            Error::InvalidConfig { .. } => Some("validate the document to see every issue".to_owned()),
            Error::InvalidPath { .. } => Some(
                "paths are dot-separated keys with [i] for array items, \
                 for example agent_settings.llm.temperature or telephony.numbers[0]"
                    .to_owned(),
            ),
            Error::InvalidValue { .. } => None,
            Error::PathNotFound { available, .. } if !available.is_empty() => {
                Some(format!("keys at that level: {}", available.join(", ")))
            }
            Error::PathNotFound { .. } => None,
            Error::InvalidCustomerId { .. } => Some(
                "use 1-63 lower-case letters, digits and '-', not starting or ending with '-', \
                 for example acme-dental"
                    .to_owned(),
            ),
            Error::InvalidTag { .. } => Some(
                "tags are key=value; keys are 1-63 of [a-z0-9_.-], values at most 255 printable characters"
                    .to_owned(),
            ),
            Error::InvalidEndpoint { .. } => {
                Some("give the host agent's base URL, for example https://10.0.1.17:8000".to_owned())
            }
            Error::Conflict { hint, remedy, .. }
            | Error::Remote { hint, remedy, .. }
            | Error::SecondFactor { hint, remedy, .. } => {
                remedy.as_ref().map(Remedy::to_string).or_else(|| hint.clone())
            }
            Error::NotReady { remedy, .. } | Error::Incomplete { remedy, .. } => Some(remedy.to_string()),
            Error::BackupNotFound { target, .. } => {
                Some(Remedy::ListBackups { target: target.clone() }.to_string())
            }
            Error::NoConfiguration => Some("apply a configuration document to the host first".to_owned()),
            Error::Stale { .. } => {
                Some("read the latest revision, make your change on top of it, and try again".to_owned())
            }
            Error::InvalidSecretName { .. } => {
                Some("secret names are 1-64 of a-z, 0-9 and _, for example openai_api_key".to_owned())
            }
            Error::SecretNotFound { .. } => {
                Some("list the secret names that exist and check the spelling".to_owned())
            }
            Error::CustomerNotFound { .. } => Some("list the customers and check the id".to_owned()),
            Error::RevisionNotFound { customer, .. } => {
                Some(format!("list {customer}'s revisions and check the number"))
            }
            Error::BulkRunNotFound { .. } => Some("list the bulk runs and check the id".to_owned()),
            Error::InstanceNotFound { .. } => Some("list the instances and check the id".to_owned()),
            Error::CloudPermission { action, .. } => Some(format!(
                "grant {action} to the console's AWS identity (its instance profile or the credentials in its \
                 environment), then try again"
            )),
            Error::Forbidden { .. } => Some("ask an admin for a token or user with that role".to_owned()),
            Error::StorageFull { .. } => Some(STORAGE_FULL_HINT.to_owned()),
            Error::Io { source, .. } if Error::is_no_space(source) => Some(STORAGE_FULL_HINT.to_owned()),
            Error::Io { .. } | Error::Internal { .. } | Error::Unavailable { .. } => None,
            Error::IncompatibleHost { host_api, supported, .. } => Some(if host_api > supported {
                "upgrade the console to a release that speaks the host's API (see docs/operations.md, Upgrading)"
                    .to_owned()
            } else {
                "upgrade the host agent's package to this console's release (see docs/operations.md, Upgrading)"
                    .to_owned()
            }),
            Error::UnknownTemplate { .. } => {
                Some(format!("available templates: {}", crate::config::template_names().join(", ")))
            }
        }
    }

    /// A finer code than the kind, for the refusals a client acts on (`otp_required`: ask for
    /// a code and try again).
    pub fn code(&self) -> Option<&'static str> {
        match self {
            Error::SecondFactor { refusal, .. } => Some(refusal.code()),
            _ => None,
        }
    }

    /// The validation issues this error carries, if any.
    pub fn issues(&self) -> &[Issue] {
        match self {
            Error::InvalidConfig { issues } | Error::Remote { issues, .. } => issues,
            _ => &[],
        }
    }
}
