//! Finding what is wrong in a fleet's status: which customers are unhealthy and why, filters
//! over tags (`=` and `!=`), states and health, unhealthy first, and a one-line summary. Pure
//! functions over [`CustomerStatus`], shared by every frontend.

use std::collections::BTreeMap;

use super::{CustomerStatus, Selector};
use crate::customer::parse_tag;
use crate::error::{Error, Result};

/// Every state a customer can show (the agent's states, `unreachable`, and `incompatible`: the
/// host agent speaks an API version this console does not).
pub const STATES: [&str; 9] = [
    "stopped",
    "starting",
    "running",
    "backoff",
    "stopping",
    "exited",
    "crash_loop",
    "unreachable",
    INCOMPATIBLE,
];

/// The state of a customer whose host agent speaks an API version this console does not: its
/// answers are not read, so nothing else about it is known.
pub const INCOMPATIBLE: &str = "incompatible";

/// Healthy: the host answers and the agent is running. Anything else (stopped included, since
/// it takes no calls) is unhealthy.
pub fn is_healthy(status: &CustomerStatus) -> bool {
    status.reachable && status.state == "running"
}

/// Why a customer is in its state, when that needs saying: the error behind `unreachable`, the
/// failed start or last exit behind `backoff`, `crash_loop` or `exited`, a revision drift.
pub fn reason(status: &CustomerStatus) -> Option<String> {
    if !status.reachable || status.state == INCOMPATIBLE {
        return Some(status.error.clone().unwrap_or_else(|| "the host does not answer".to_owned()));
    }
    let host = status.status.as_ref()?;
    if matches!(status.state.as_str(), "backoff" | "crash_loop" | "exited") {
        if let Some(error) = &host.last_error {
            return Some(error.clone());
        }
        if let Some(exit) = host.last_exit {
            let how = match (exit.code, exit.signal) {
                (_, Some(signal)) => format!("killed by signal {signal}"),
                (Some(code), None) => format!("exited with code {code}"),
                (None, None) => "exited".to_owned(),
            };
            let retry = host
                .next_restart_in_ms
                .map(|ms| format!(", next start in {:.0}s", ms as f64 / 1000.0))
                .unwrap_or_default();
            return Some(format!("last run {how}{retry}"));
        }
    }
    if status.drift {
        let running = status.running_revision.map_or("unknown".to_owned(), |r| r.to_string());
        let deployed = status.deployed_revision.map_or("none".to_owned(), |r| r.to_string());
        return Some(format!("runs revision {running}, deployed is {deployed}"));
    }
    None
}

/// Which customers a status listing shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatusFilter {
    /// Tags that must be absent or differ (`key!=value`).
    pub excluded_tags: BTreeMap<String, String>,
    /// Only these states (empty: any).
    pub states: Vec<String>,
    /// Only unhealthy customers ([`is_healthy`]).
    pub unhealthy: bool,
}

impl StatusFilter {
    /// Splits a selector with `!=` terms (`tier=prod,region!=eu`): the [`Selector`] the console
    /// understands, and the exclusions this filter applies.
    pub fn parse_selector(text: &str) -> Result<(Selector, BTreeMap<String, String>)> {
        let mut equal = Vec::new();
        let mut excluded = BTreeMap::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part.split_once("!=") {
                Some((key, value)) => {
                    let (key, value) = parse_tag(&format!("{key}={value}"))?;
                    excluded.insert(key, value);
                }
                None => equal.push(part),
            }
        }
        if !excluded.is_empty() && equal.iter().any(|part| !part.contains('=') && *part != "all") {
            return Err(Error::InvalidTag {
                tag: text.to_owned(),
                reason: "`!=` goes with tags (tier=prod,region!=eu), not with customer ids",
            });
        }
        Ok((Selector::parse(&equal.join(","))?, excluded))
    }

    /// Checks the states given, naming the valid ones.
    pub fn with_states(mut self, states: Vec<String>) -> Result<StatusFilter> {
        for state in &states {
            if !STATES.contains(&state.as_str()) {
                return Err(Error::InvalidValue {
                    value: state.clone(),
                    reason: format!("a state is one of {}", STATES.join(", ")),
                });
            }
        }
        self.states = states;
        Ok(self)
    }

    /// Whether `status` passes the filter: not excluded by a tag, in one of the states (any when
    /// none were given) and, with `unhealthy`, not healthy.
    pub fn matches(&self, status: &CustomerStatus) -> bool {
        let excluded = self.excluded_tags.iter().any(|(key, value)| status.tags.get(key) == Some(value));
        let state = self.states.is_empty() || self.states.contains(&status.state);
        !excluded && state && (!self.unhealthy || !is_healthy(status))
    }
}

/// Unhealthy customers first (worst states first), then by id.
pub fn sort_unhealthy_first(statuses: &mut [CustomerStatus]) {
    let rank = |status: &CustomerStatus| match status.state.as_str() {
        _ if is_healthy(status) => 9,
        "crash_loop" => 0,
        "unreachable" | INCOMPATIBLE => 1,
        "backoff" => 2,
        "exited" => 3,
        "stopping" | "starting" => 4,
        _ => 5,
    };
    statuses.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.customer_id.cmp(&b.customer_id)));
}

/// `5 customers: 4 running, 1 backoff` (states in [`STATES`] order).
pub fn summary(statuses: &[CustomerStatus]) -> String {
    let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
    for status in statuses {
        let index = STATES.iter().position(|s| *s == status.state).unwrap_or(STATES.len());
        *counts.entry(index).or_default() += 1;
    }
    let parts: Vec<String> = counts
        .iter()
        .map(|(index, count)| format!("{count} {}", STATES.get(*index).copied().unwrap_or("other")))
        .collect();
    let noun = if statuses.len() == 1 { "customer" } else { "customers" };
    if parts.is_empty() {
        format!("0 {noun}")
    } else {
        format!("{} {noun}: {}", statuses.len(), parts.join(", "))
    }
}
