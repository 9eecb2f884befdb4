//! Alerts: the rules ([`evaluate_rules`], a pure function of a customer's status and the
//! thresholds), the transitions they make on the stored alerts ([`transitions`], pure too), and
//! the console's side of it: store, publish, notify.

use std::collections::HashMap;

use super::{Actor, AlertRecord, Console, CustomerStatus, FleetEvent};
use crate::auth::Role;
use crate::error::Result;
use crate::host::MachineSample;
use crate::lifecycle::ProcessState;

/// Alert thresholds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AlertThresholds {
    /// `cpu` fires above this CPU use of the agent's process group, in percent of one core.
    pub cpu_percent: f64,
    /// `memory` fires above this resident memory of the agent's process group, in bytes.
    pub rss_bytes: u64,
    /// `error_rate` fires above this error rate (errors per turn over 5 minutes, 0 to 1).
    pub error_rate: f64,
    /// `p95_latency` fires above this p95 end-to-end turn latency over 5 minutes, in milliseconds.
    pub p95_ms: f64,
    /// `disk_low` fires when the host's state filesystem has less than this fraction free…
    pub disk_free_ratio: f64,
    /// …or less than this many bytes free, whichever comes first.
    pub disk_free_bytes: u64,
    /// `memory_pressure` fires when the host's available memory is under this fraction.
    pub memory_available_ratio: f64,
    /// The `security` rule fires when failed logins and role denials within
    /// [`SECURITY_WINDOW_MS`] add up to more than this.
    pub security_events: usize,
}

impl Default for AlertThresholds {
    /// CPU over 90 %, RSS over 2 GiB, error rate over 5 %, p95 over 2 s; the host's state
    /// filesystem under 10 % or 1 GiB free; the host's available memory under 10 %; more than 10
    /// failed logins and denials in 5 minutes.
    fn default() -> Self {
        Self {
            cpu_percent: 90.0,
            rss_bytes: 2 * 1024 * 1024 * 1024,
            error_rate: 0.05,
            p95_ms: 2000.0,
            disk_free_ratio: 0.10,
            disk_free_bytes: 1024 * 1024 * 1024,
            memory_available_ratio: 0.10,
            security_events: 10,
        }
    }
}

/// Console-wide alerts (the `security` rule) are stored under this name, which no customer can
/// take.
pub const CONSOLE_ALERTS: &str = crate::auth::ISSUER;

/// The window of the `security` rule.
pub const SECURITY_WINDOW_MS: u64 = 5 * 60_000;

/// The `security` rule: failed logins and role denials within the window, over the threshold.
pub fn security_rule(failed_logins: usize, denials: usize, thresholds: &AlertThresholds) -> RuleOutcome {
    let total = failed_logins.saturating_add(denials);
    outcome(
        "security",
        total > thresholds.security_events,
        format!(
            "{failed_logins} failed logins and {denials} denied requests in 5 minutes (more than {}): \
             see the audit log of the last 5 minutes",
            thresholds.security_events
        ),
    )
}

/// Where alerts go (a webhook with retries, in the HTTP crate).
#[async_trait::async_trait]
pub trait AlertNotifier: Send + Sync {
    /// Sends one alert that fired or resolved; failures are the notifier's to retry or log (it
    /// returns nothing).
    async fn notify(&self, alert: &AlertRecord);
}

/// One rule's verdict on one status.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleOutcome {
    /// `unreachable`, `incompatible`, `agent_down`, `crash_loop`, `cpu`, `memory`, `error_rate`,
    /// `p95_latency`, `log_lines_dropped`, `disk_low`, `memory_pressure` or (console-wide)
    /// `security`.
    pub rule: &'static str,
    /// Whether the rule's condition holds now.
    pub firing: bool,
    /// What the alert says when it fires.
    pub message: String,
}

fn outcome(rule: &'static str, firing: bool, message: String) -> RuleOutcome {
    RuleOutcome { rule, firing, message }
}

/// Every rule's verdict on `status`. The resource and call rules are judged only while the host
/// answers (an unreachable host's cached figures say nothing new); the machine's rules
/// (`disk_low`, `memory_pressure`) only when the host reports those figures.
pub fn evaluate_rules(status: &CustomerStatus, thresholds: &AlertThresholds) -> Vec<RuleOutcome> {
    let host = status.status.as_ref();
    let state = host.map(|h| h.state);
    let mut outcomes = vec![
        outcome(
            "unreachable",
            !status.reachable,
            format!("host does not answer: {}", status.error.clone().unwrap_or_default()),
        ),
        outcome(
            "incompatible",
            status.state == super::health::INCOMPATIBLE,
            status.error.clone().unwrap_or_else(|| "the host agent speaks another API version".to_owned()),
        ),
        outcome(
            "agent_down",
            status.reachable && matches!(state, Some(ProcessState::Exited | ProcessState::Backoff)),
            format!("the voice agent is {}", state.map(|s| s.as_str()).unwrap_or("?")),
        ),
        outcome(
            "crash_loop",
            status.reachable && state == Some(ProcessState::CrashLoop),
            match host.and_then(|h| h.last_error.as_deref()) {
                Some(error) => format!("the voice agent is crash-looping: {error}"),
                None => "the voice agent is crash-looping".to_owned(),
            },
        ),
    ];
    if let Some(host) = host.filter(|_| status.reachable) {
        let resources = host.resources.unwrap_or_default();
        outcomes.push(outcome(
            "cpu",
            resources.cpu_percent > thresholds.cpu_percent,
            format!("CPU {:.0} % over {:.0} %", resources.cpu_percent, thresholds.cpu_percent),
        ));
        outcomes.push(outcome(
            "memory",
            resources.rss_bytes > thresholds.rss_bytes,
            format!("RSS {} MiB over {} MiB", resources.rss_bytes >> 20, thresholds.rss_bytes >> 20),
        ));
        outcomes.push(outcome(
            "error_rate",
            host.calls.error_rate_5m > thresholds.error_rate,
            format!("error rate {:.3} over {:.3}", host.calls.error_rate_5m, thresholds.error_rate),
        ));
        let p95 = host.calls.latency_5m.e2e_ms.map(|p| p.p95).unwrap_or(0.0);
        outcomes.push(outcome(
            "p95_latency",
            p95 > thresholds.p95_ms,
            format!("p95 turn latency {p95:.0} ms over {:.0} ms", thresholds.p95_ms),
        ));
        outcomes.push(outcome(
            "log_lines_dropped",
            host.logs.lines_dropped_5m > 0,
            format!(
                "{} log lines of the voice agent could not be written in the last 5 minutes ({} in all); \
                 the host's state directory is most likely full: free space on it",
                host.logs.lines_dropped_5m, host.logs.lines_dropped
            ),
        ));
        if let Some(machine) = &host.machine {
            outcomes.extend(machine_rules(machine, thresholds));
        }
    }
    outcomes
}

/// The host machine's rules: its state filesystem filling up, its memory running out.
fn machine_rules(machine: &MachineSample, thresholds: &AlertThresholds) -> Vec<RuleOutcome> {
    let mut outcomes = Vec::new();
    if let (Some(available), Some(ratio)) =
        (machine.state_fs_available_bytes, machine.state_fs_available_ratio())
    {
        let size = machine.state_fs_size_bytes.unwrap_or_default();
        outcomes.push(outcome(
            "disk_low",
            ratio < thresholds.disk_free_ratio || available < thresholds.disk_free_bytes,
            format!(
                "the host's state filesystem has {} free of {} ({:.1} %; alert under {:.0} % or {}): \
                 free space or grow the disk before logs and configurations cannot be written",
                bytes(available),
                bytes(size),
                ratio * 100.0,
                thresholds.disk_free_ratio * 100.0,
                bytes(thresholds.disk_free_bytes),
            ),
        ));
    }
    if let (Some(available), Some(ratio)) = (machine.memory_available_bytes, machine.memory_available_ratio())
    {
        outcomes.push(outcome(
            "memory_pressure",
            ratio < thresholds.memory_available_ratio,
            format!(
                "the host has {} of memory available ({:.1} %; alert under {:.0} %)",
                bytes(available),
                ratio * 100.0,
                thresholds.memory_available_ratio * 100.0,
            ),
        ));
    }
    outcomes
}

/// Bytes in the largest binary unit that keeps a whole number in front: `512 MiB`, `3.2 GiB`.
fn bytes(value: u64) -> String {
    const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
    match value {
        v if v >= 1 << 30 => format!("{:.1} GiB", v as f64 / GIB),
        v if v >= 1 << 20 => format!("{} MiB", v >> 20),
        v if v >= 1 << 10 => format!("{} KiB", v >> 10),
        v => format!("{v} B"),
    }
}

/// The alerts that change when `outcomes` meet the customer's stored alerts (by rule): a rule
/// that starts firing opens an alert at `now_ms`; one that stops resolves the open one; the rest
/// change nothing.
pub fn transitions(
    customer_id: &str,
    outcomes: Vec<RuleOutcome>,
    existing: &HashMap<String, AlertRecord>,
    now_ms: u64,
) -> Vec<AlertRecord> {
    outcomes
        .into_iter()
        .filter_map(|RuleOutcome { rule, firing, message }| match existing.get(rule) {
            Some(previous) if previous.firing == firing => None,
            Some(previous) if !firing => {
                Some(AlertRecord { firing: false, resolved_at_ms: Some(now_ms), ..previous.clone() })
            }
            None if !firing => None,
            _ => Some(AlertRecord {
                customer_id: customer_id.to_owned(),
                rule: rule.to_owned(),
                firing: true,
                message,
                since_ms: now_ms,
                resolved_at_ms: None,
            }),
        })
        .collect()
}

impl Console {
    /// Judges `status`, stores the alerts that change, publishes and notifies them.
    /// `existing` holds the customer's stored alerts by rule.
    pub(super) async fn evaluate_alerts(
        &self,
        status: &CustomerStatus,
        existing: &HashMap<String, AlertRecord>,
    ) -> Result<()> {
        let outcomes = evaluate_rules(status, &self.options.thresholds);
        self.apply_outcomes(&status.customer_id, outcomes, existing).await
    }

    /// Stores, publishes and notifies the alerts `outcomes` change.
    async fn apply_outcomes(
        &self,
        customer_id: &str,
        outcomes: Vec<RuleOutcome>,
        existing: &HashMap<String, AlertRecord>,
    ) -> Result<()> {
        let now = self.options.clock.now_ms();
        for alert in transitions(customer_id, outcomes, existing, now) {
            self.publish_alert(alert).await?;
        }
        Ok(())
    }

    /// Stores an alert as it changed, publishes it and notifies it.
    pub(super) async fn publish_alert(&self, alert: AlertRecord) -> Result<()> {
        self.store.upsert_alert(alert.clone()).await?;
        self.publish_fleet_event(FleetEvent::Alert { alert: alert.clone() }).await;
        if let Some(notifier) = self.options.notifier.clone() {
            // Off the polling path: a slow webhook must not delay the next status pass.
            tokio::spawn(async move { notifier.notify(&alert).await });
        }
        Ok(())
    }
}

impl Console {
    /// Judges the `security` rule on the audit log's last five minutes. `existing` holds the
    /// console-wide alerts by rule.
    pub(super) async fn evaluate_security_alert(
        &self,
        existing: &HashMap<String, AlertRecord>,
    ) -> Result<()> {
        let now = self.options.clock.now_ms();
        let query = super::AuditQuery {
            since_ms: Some(now.saturating_sub(SECURITY_WINDOW_MS)),
            limit: 1000,
            ..Default::default()
        };
        let recent = self.store.audit_newest(&query).await?;
        let failed_logins =
            recent.iter().filter(|e| e.action == "login" && e.outcome.starts_with("failed")).count();
        let denials = recent.iter().filter(|e| e.outcome.starts_with("denied")).count();
        let outcome = security_rule(failed_logins, denials, &self.options.thresholds);
        self.apply_outcomes(CONSOLE_ALERTS, vec![outcome], existing).await
    }

    /// Judges one customer's status against its stored alerts (the live path's re-read).
    pub(super) async fn evaluate_customer_alerts(&self, status: &CustomerStatus) -> Result<()> {
        let existing: HashMap<String, AlertRecord> = self
            .store
            .customer_alerts(&status.customer_id)
            .await?
            .into_iter()
            .map(|a| (a.rule.clone(), a))
            .collect();
        self.evaluate_alerts(status, &existing).await
    }
}

pub(super) async fn list(
    console: &Console,
    actor: &Actor,
    include_resolved: bool,
) -> Result<Vec<AlertRecord>> {
    console.require(actor, Role::Viewer, "alerts", "").await?;
    if !console.refreshed.load(std::sync::atomic::Ordering::Relaxed) {
        // No refresher has evaluated the rules in this process (an embedded console): evaluate
        // them on the fleet's current status first. A failed poll leaves the stored alerts.
        let _ = console.refresh().await;
    }
    console.store.alerts(include_resolved).await
}
