//! The alert rules and their transitions, table-tested: status × thresholds → outcomes.

use std::collections::HashMap;

use voicefleet_core::console::{AlertRecord, AlertThresholds, CustomerStatus, evaluate_rules, transitions};
use voicefleet_core::host::{HostStatus, LogSummary, MetricsSample};
use voicefleet_core::lifecycle::ProcessState;

fn status(reachable: bool, host: Option<HostStatus>) -> CustomerStatus {
    CustomerStatus {
        customer_id: "acme".to_owned(),
        name: "acme".to_owned(),
        tags: Default::default(),
        state: if reachable { "running".to_owned() } else { "unreachable".to_owned() },
        reachable,
        last_seen_ms: None,
        error: (!reachable).then(|| "connection refused".to_owned()),
        status: host,
        deployed_revision: None,
        running_revision: None,
        drift: false,
        pending_revision: None,
    }
}

fn host(state: ProcessState, edit: impl FnOnce(&mut HostStatus)) -> Option<HostStatus> {
    let mut host = HostStatus {
        customer_id: "acme".to_owned(),
        state,
        pid: None,
        uptime_seconds: None,
        restarts: 0,
        consecutive_failures: 0,
        next_restart_in_ms: None,
        last_exit: None,
        last_error: None,
        resources: None,
        calls: Default::default(),
        config: None,
        logs: Default::default(),
    };
    edit(&mut host);
    Some(host)
}

/// The rules that fire.
fn firing(status: &CustomerStatus) -> Vec<&'static str> {
    evaluate_rules(status, &AlertThresholds::default())
        .into_iter()
        .filter(|o| o.firing)
        .map(|o| o.rule)
        .collect()
}

#[test]
fn each_rule_fires_on_its_condition_only() {
    let cases: Vec<(&str, CustomerStatus, Vec<&str>)> = vec![
        ("healthy", status(true, host(ProcessState::Running, |_| {})), vec![]),
        ("unreachable", status(false, host(ProcessState::Exited, |_| {})), vec!["unreachable"]),
        ("unreachable, never seen", status(false, None), vec!["unreachable"]),
        ("exited", status(true, host(ProcessState::Exited, |_| {})), vec!["agent_down"]),
        ("backoff", status(true, host(ProcessState::Backoff, |_| {})), vec!["agent_down"]),
        ("crash loop", status(true, host(ProcessState::CrashLoop, |_| {})), vec!["crash_loop"]),
        (
            "cpu",
            status(
                true,
                host(ProcessState::Running, |h| {
                    h.resources = Some(MetricsSample { cpu_percent: 95.0, ..MetricsSample::default() })
                }),
            ),
            vec!["cpu"],
        ),
        (
            "memory",
            status(
                true,
                host(ProcessState::Running, |h| {
                    h.resources = Some(MetricsSample { rss_bytes: 3 << 30, ..MetricsSample::default() })
                }),
            ),
            vec!["memory"],
        ),
        (
            "error rate",
            status(true, host(ProcessState::Running, |h| h.calls.error_rate_5m = 0.5)),
            vec!["error_rate"],
        ),
        (
            "log lines dropped recently",
            status(
                true,
                host(ProcessState::Running, |h| {
                    h.logs = LogSummary { lines_dropped: 40, lines_dropped_5m: 12 };
                }),
            ),
            vec!["log_lines_dropped"],
        ),
        (
            "log lines dropped long ago",
            status(
                true,
                host(ProcessState::Running, |h| {
                    h.logs = LogSummary { lines_dropped: 40, lines_dropped_5m: 0 };
                }),
            ),
            vec![],
        ),
    ];
    for (name, status, expected) in cases {
        assert_eq!(firing(&status), expected, "{name}");
    }
}

#[test]
fn transitions_open_resolve_and_keep() {
    let open = AlertRecord {
        customer_id: "acme".to_owned(),
        rule: "agent_down".to_owned(),
        firing: true,
        message: "the voice agent is exited".to_owned(),
        since_ms: 100,
        resolved_at_ms: None,
    };
    let down = status(true, host(ProcessState::Exited, |_| {}));
    let up = status(true, host(ProcessState::Running, |_| {}));
    let rules = |s: &CustomerStatus| evaluate_rules(s, &AlertThresholds::default());

    // No alert yet and it fires: one opens now.
    let opened = transitions("acme", rules(&down), &HashMap::new(), 500);
    assert_eq!(opened.len(), 1);
    assert_eq!((opened[0].rule.as_str(), opened[0].firing, opened[0].since_ms), ("agent_down", true, 500));

    // Still firing: nothing changes.
    let existing = HashMap::from([("agent_down".to_owned(), open.clone())]);
    assert!(transitions("acme", rules(&down), &existing, 600).is_empty());

    // It stops: the open one resolves, keeping when it began.
    let resolved = transitions("acme", rules(&up), &existing, 700);
    assert_eq!(resolved, vec![AlertRecord { firing: false, resolved_at_ms: Some(700), ..open.clone() }]);

    // Resolved and quiet: nothing changes; resolved and firing again: a new one opens.
    let existing = HashMap::from([("agent_down".to_owned(), resolved[0].clone())]);
    assert!(transitions("acme", rules(&up), &existing, 800).is_empty());
    let reopened = transitions("acme", rules(&down), &existing, 900);
    assert_eq!((reopened[0].since_ms, reopened[0].resolved_at_ms), (900, None));
}
