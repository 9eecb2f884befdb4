//! Turn-taking and runtime rules: timings, resources, the environment and reserved names.

use serde_json::Value;

use super::{at, number_or, push};
use crate::config::Issue;
use crate::config::Severity;
use crate::config::validate::messages::trim;

pub(super) fn turn_rules(root: &Value, issues: &mut Vec<Issue>) {
    let min = number_or(root, &["agent_settings", "turn", "min_endpointing_seconds"], 0.5);
    let max = number_or(root, &["agent_settings", "turn", "max_endpointing_seconds"], 3.0);
    if let (Some(min), Some(max)) = (min, max)
        && min > max
    {
        push(
            issues,
            &["agent_settings", "turn", "min_endpointing_seconds"],
            "min_exceeds_max",
            Severity::Error,
            format!("must be at most max_endpointing_seconds ({}), got {}", trim(max), trim(min)),
        );
    }
}

pub(super) fn runtime_rules(root: &Value, issues: &mut Vec<Issue>) {
    for map_name in ["env", "secret_env"] {
        if let Some(map) = at(root, &["runtime", map_name]).and_then(Value::as_object) {
            for name in map.keys().filter(|name| name.starts_with("VOICEFLEET_")) {
                push(
                    issues,
                    &["runtime", map_name, name],
                    "reserved_env",
                    Severity::Error,
                    "names starting VOICEFLEET_ are reserved for the host agent; choose another name"
                        .to_owned(),
                );
            }
        }
    }
    if let Some(env) = at(root, &["runtime", "env"]).and_then(Value::as_object) {
        for name in env.keys().filter(|name| crate::config::is_secret_env_name(name)) {
            push(
                issues,
                &["runtime", "env", name],
                "secret_literal",
                Severity::Error,
                format!(
                    "`{name}` names a secret, and runtime.env values are shown in revisions and diffs; \
                     set the value as a secret and map it in runtime.secret_env (\"{name}\": \"secret://NAME\")"
                ),
            );
        }
    }
    let drain = number_or(root, &["runtime", "drain_timeout_seconds"], 30.0);
    let longest_call = number_or(root, &["agent_settings", "call", "max_duration_seconds"], 600.0);
    if let (Some(drain), Some(longest_call)) = (drain, longest_call)
        && drain < longest_call
    {
        push(
            issues,
            &["runtime", "drain_timeout_seconds"],
            "drain_below_call_duration",
            Severity::Warning,
            format!(
                "{} s is below agent_settings.call.max_duration_seconds ({} s): a stop may cut calls short",
                trim(drain),
                trim(longest_call)
            ),
        );
    }
}
