//! What Python sends that is more than a few plain arguments, and its checks: the bulk request,
//! roles, log streams and time bounds, each turned into core's types (every rule is core's).

use std::time::Duration;

use serde::Deserialize;
use voicefleet_core::auth::Role;
use voicefleet_core::config::PatchOperation;
use voicefleet_core::console::{BulkAction, BulkSpec, HealthGate, Limit, Selector};
use voicefleet_core::logs::StreamFilter;
use voicefleet_core::{Error, Result};

/// A bulk operation as the Python wrapper sends it (JSON).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BulkRequest {
    action: String,
    #[serde(default)]
    revision: Option<u64>,
    #[serde(default)]
    operations: Option<Vec<PatchOperation>>,
    #[serde(default)]
    message: Option<String>,
    selector: String,
    max_concurrency: String,
    max_errors: String,
    #[serde(default)]
    canary: usize,
    #[serde(default)]
    min_healthy_seconds: Option<f64>,
    #[serde(default)]
    max_error_rate: Option<f64>,
    #[serde(default)]
    max_p95_ms: Option<f64>,
    #[serde(default)]
    auto_rollback: bool,
    #[serde(default)]
    dry_run: bool,
}

fn invalid(value: impl ToString, reason: &str) -> Error {
    Error::InvalidValue { value: value.to_string(), reason: reason.to_owned() }
}

impl BulkRequest {
    pub(crate) fn parse(text: &str) -> Result<BulkRequest> {
        serde_json::from_str(text).map_err(|error| invalid(text, &format!("not a bulk request: {error}")))
    }

    pub(crate) fn into_spec(self) -> Result<BulkSpec> {
        let action = match self.action.as_str() {
            "start" => BulkAction::Start,
            "stop" => BulkAction::Stop,
            "restart" => BulkAction::Restart,
            "drain" => BulkAction::Drain,
            "deploy" => BulkAction::Deploy { revision: self.revision },
            "patch" => {
                let operations = self.operations.unwrap_or_default();
                if operations.is_empty() {
                    return Err(invalid("[]", "a patch needs at least one operation, e.g. set={\"a.b\": 1}"));
                }
                BulkAction::Patch { operations, message: self.message.unwrap_or_default() }
            }
            other => {
                return Err(invalid(other, "the action is start, stop, restart, drain, deploy or patch"));
            }
        };
        for (name, value) in [
            ("min_healthy_seconds", self.min_healthy_seconds),
            ("max_error_rate", self.max_error_rate),
            ("max_p95_ms", self.max_p95_ms),
        ] {
            if let Some(value) = value
                && !(value.is_finite() && value >= 0.0)
            {
                return Err(invalid(value, &format!("{name} is a number of 0 or more")));
            }
        }
        let health_gate =
            HealthGate::from_limits(self.min_healthy_seconds, self.max_error_rate, self.max_p95_ms);
        Ok(BulkSpec {
            action,
            selector: Selector::parse(&self.selector)?,
            max_concurrency: Limit::parse(&self.max_concurrency)?,
            max_errors: Limit::parse(&self.max_errors)?,
            canary: self.canary,
            health_gate,
            auto_rollback: self.auto_rollback,
            dry_run: self.dry_run,
        })
    }
}

pub(crate) fn role(text: &str) -> Result<Role> {
    Role::parse(text).ok_or_else(|| invalid(text, "the role is viewer, operator or admin"))
}

pub(crate) fn stream(text: &str) -> Result<StreamFilter> {
    StreamFilter::parse(text)
}

/// A drain timeout in seconds, as the CLI bounds it.
pub(crate) fn drain_timeout(seconds: Option<f64>) -> Result<Option<Duration>> {
    match seconds {
        None => Ok(None),
        Some(seconds) if (0.0..=43_200.0).contains(&seconds) => Ok(Some(Duration::from_secs_f64(seconds))),
        Some(seconds) => Err(invalid(seconds, "drain_timeout is 0 to 43200 seconds")),
    }
}

/// A patch from the JSON list of operations (`{"op": "set", "path": ..., "value": ...}`).
pub(crate) fn operations(text: &str) -> Result<Vec<PatchOperation>> {
    serde_json::from_str(text)
        .map_err(|error| invalid(text, &format!("not a list of patch operations: {error}")))
}

/// A JSON document the wrapper serialized.
pub(crate) fn document(text: &str) -> Result<serde_json::Value> {
    voicefleet_core::config::ConfigDocument::parse(text).map(|document| document.into_value())
}
