//! Request and response bodies of the host API that are not core's plain data.

use serde::{Deserialize, Serialize};
use serde_json::Value;
#[cfg(feature = "server")]
use voicefleet_core::config::Issue;
use voicefleet_core::host::ConfigRevision;
use voicefleet_core::logs::{LogLine, Stream};

/// `PUT /v1/config`.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PutConfig {
    /// The whole configuration document.
    #[schemars(with = "voicefleet_core::config::VoiceAgentConfig")]
    pub(crate) config: Value,
    #[serde(default)]
    pub(crate) revision: Option<u64>,
    #[serde(default)]
    pub(crate) author: String,
    #[serde(default)]
    pub(crate) message: String,
}

#[cfg(feature = "server")]
/// `PATCH /v1/config`.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PatchConfig {
    pub(crate) operations: Vec<crate::wire::Operation>,
    #[serde(default)]
    pub(crate) author: String,
    #[serde(default)]
    pub(crate) message: String,
}

/// `GET /v1/config`.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct ConfigResponse {
    /// The document as applied, redacted: literal secrets replaced.
    #[schemars(with = "serde_json::Map<String, Value>")]
    pub(crate) config: Value,
    pub(crate) revision: ConfigRevision,
}

#[cfg(feature = "server")]
/// `POST /v1/config/validate`.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct ValidateResponse {
    pub(crate) valid: bool,
    pub(crate) issues: Vec<Issue>,
}

/// `PUT /v1/secrets/{name}`.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PutSecret {
    pub(crate) value: String,
}

#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct SecretNames {
    pub(crate) names: Vec<String>,
}

/// `POST /v1/secrets/check`: what each provider said about each key.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct KeyChecks {
    pub(crate) checks: Vec<voicefleet_core::keycheck::KeyCheck>,
}

#[cfg(feature = "server")]
/// `POST /v1/secrets/check?secret=NAME`.
#[derive(Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CheckParams {
    /// Check this secret only (by default every provider secret the configuration uses).
    #[serde(default)]
    pub(crate) secret: Option<String>,
}

/// `POST /v1/agent/{action}`.
#[derive(Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ControlBody {
    #[serde(default)]
    pub(crate) drain_timeout_seconds: Option<f64>,
}

/// Which of the agent's outputs a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum LogStream {
    Stdout,
    Stderr,
}

#[cfg(feature = "server")]
/// Which lines to read: `all` (the default), `stdout` or `stderr`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum StreamChoice {
    All,
    Stdout,
    Stderr,
}

/// One line of the agent's log.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct LogLineBody {
    /// Its sequence number: a cursor to read on from.
    pub(crate) seq: u64,
    /// When the line was read, milliseconds since the Unix epoch.
    pub(crate) ts_ms: u64,
    pub(crate) stream: LogStream,
    pub(crate) text: String,
}

impl From<LogLine> for LogLineBody {
    fn from(line: LogLine) -> Self {
        let stream = match line.stream {
            Stream::Stdout => LogStream::Stdout,
            Stream::Stderr => LogStream::Stderr,
        };
        Self { seq: line.seq, ts_ms: line.ts_ms, stream, text: line.text }
    }
}

impl LogLineBody {
    pub(crate) fn into_line(self) -> LogLine {
        let stream = match self.stream {
            LogStream::Stdout => Stream::Stdout,
            LogStream::Stderr => Stream::Stderr,
        };
        LogLine { seq: self.seq, ts_ms: self.ts_ms, stream, text: self.text }
    }
}

/// `GET /v1/logs`.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct LogsResponse {
    pub(crate) lines: Vec<LogLineBody>,
    /// Pass as `cursor` to read on from here.
    pub(crate) next_cursor: u64,
}

#[cfg(feature = "server")]
/// `GET /v1/ready`: 200 when the agent is running, else 503, with this body either way.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct Readiness {
    pub(crate) ready: bool,
    pub(crate) state: voicefleet_core::lifecycle::ProcessState,
}

#[cfg(feature = "server")]
/// The first event of `GET /v1/events`: its id is the stream's position before any real event,
/// to resume from with `Last-Event-ID`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub(crate) struct StreamOpened {}

/// `POST /v1/console-keys`.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AddConsoleKey {
    /// The console's new public key (PEM), trusted from now on.
    pub(crate) public_key: String,
    /// Every other key stops being trusted this many seconds from now (the grace period);
    /// absent: they stay trusted.
    #[serde(default)]
    pub(crate) others_expire_in_seconds: Option<u64>,
}

/// One console key a host trusts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ConsoleKeyView {
    /// `sha256:` and 16 hex digits of the key.
    pub fingerprint: String,
    /// When it stops being trusted (seconds since the Unix epoch), if ever.
    pub expires_at: Option<u64>,
    /// Whether it is the host's configured key (`--console-public-key`).
    pub configured: bool,
}

/// `GET|POST /v1/console-keys`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ConsoleKeys {
    pub keys: Vec<ConsoleKeyView>,
}

pub use voicefleet_core::host_audit::HostAuditPage;
