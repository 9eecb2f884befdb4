//! Request and response bodies of the host API that are not core's plain data.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use voicefleet_core::config::Issue;
use voicefleet_core::host::ConfigRevision;
use voicefleet_core::logs::{LogLine, Stream};

/// `PUT /v1/config`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PutConfig {
    pub(crate) config: Value,
    #[serde(default)]
    pub(crate) revision: Option<u64>,
    #[serde(default)]
    pub(crate) author: String,
    #[serde(default)]
    pub(crate) message: String,
}

/// `PATCH /v1/config`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PatchConfig {
    pub(crate) operations: Vec<crate::wire::Operation>,
    #[serde(default)]
    pub(crate) author: String,
    #[serde(default)]
    pub(crate) message: String,
}

/// `GET /v1/config`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ConfigResponse {
    /// Redacted: literal secrets replaced.
    pub(crate) config: Value,
    pub(crate) revision: ConfigRevision,
}

/// `POST /v1/config/validate`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ValidateResponse {
    pub(crate) valid: bool,
    pub(crate) issues: Vec<Issue>,
}

/// `PUT /v1/secrets/{name}`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PutSecret {
    pub(crate) value: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct SecretNames {
    pub(crate) names: Vec<String>,
}

/// `POST /v1/agent/{action}`.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ControlBody {
    #[serde(default)]
    pub(crate) drain_timeout_seconds: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct LogLineBody {
    pub(crate) seq: u64,
    pub(crate) ts_ms: u64,
    pub(crate) stream: String,
    pub(crate) text: String,
}

impl From<LogLine> for LogLineBody {
    fn from(line: LogLine) -> Self {
        Self { seq: line.seq, ts_ms: line.ts_ms, stream: line.stream.as_str().to_owned(), text: line.text }
    }
}

impl LogLineBody {
    pub(crate) fn into_line(self) -> LogLine {
        let stream = if self.stream == "stderr" { Stream::Stderr } else { Stream::Stdout };
        LogLine { seq: self.seq, ts_ms: self.ts_ms, stream, text: self.text }
    }
}

/// `GET /v1/logs`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct LogsResponse {
    pub(crate) lines: Vec<LogLineBody>,
    /// Pass as `cursor` to read on from here.
    pub(crate) next_cursor: u64,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Health {
    pub(crate) status: String,
    pub(crate) version: String,
}
