//! The alert rules and their transitions, table-tested: status × thresholds → outcomes.

use std::collections::HashMap;

use voicefleet_core::console::{AlertRecord, AlertThresholds, CustomerStatus, evaluate_rules, transitions};
use voicefleet_core::host::{HostStatus, LogSummary, MachineSample, MetricsSample};
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
        agent_version: None,
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
        machine: None,
        agent_version: None,
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

const GIB: u64 = 1 << 30;

/// A running host on a machine with this much of its state filesystem and memory free.
fn machine(fs: Option<(u64, u64)>, memory: Option<(u64, u64)>) -> CustomerStatus {
    let sample = MachineSample {
        at_ms: 1,
        state_fs_available_bytes: fs.map(|(available, _)| available),
        state_fs_size_bytes: fs.map(|(_, size)| size),
        memory_available_bytes: memory.map(|(available, _)| available),
        memory_total_bytes: memory.map(|(_, total)| total),
        ..MachineSample::default()
    };
    status(true, host(ProcessState::Running, |h| h.machine = Some(sample)))
}

#[test]
fn machine_rules_fire_under_ten_percent_or_one_gib_free() {
    let plenty = Some((8 * GIB, 16 * GIB));
    let cases: Vec<(&str, CustomerStatus, Vec<&str>)> = vec![
        ("plenty of both", machine(Some((50 * GIB, 100 * GIB)), plenty), vec![]),
        ("disk at 10 % exactly", machine(Some((10 * GIB, 100 * GIB)), plenty), vec![]),
        ("disk under 10 %", machine(Some((9 * GIB, 100 * GIB)), plenty), vec!["disk_low"]),
        // 20 % free of a small disk, but under 1 GiB: logs fill that in hours.
        ("disk under 1 GiB", machine(Some((GIB / 2, 5 * GIB / 2)), plenty), vec!["disk_low"]),
        ("disk at 1 GiB exactly, 50 %", machine(Some((GIB, 2 * GIB)), plenty), vec![]),
        ("disk full", machine(Some((0, 100 * GIB)), plenty), vec!["disk_low"]),
        (
            "memory under 10 %",
            machine(Some((50 * GIB, 100 * GIB)), Some((GIB, 16 * GIB))),
            vec!["memory_pressure"],
        ),
        ("memory at 10 % exactly", machine(Some((50 * GIB, 100 * GIB)), Some((10, 100))), vec![]),
        ("both", machine(Some((GIB / 4, 100 * GIB)), Some((1, 100))), vec!["disk_low", "memory_pressure"]),
        // Figures the host could not read judge nothing (no alert opens, none resolves).
        ("no figures", machine(None, None), vec![]),
        ("a size of 0 judges nothing", machine(Some((0, 0)), Some((0, 0))), vec![]),
    ];
    for (name, status, expected) in cases {
        assert_eq!(firing(&status), expected, "{name}");
    }
    let judged = |s: &CustomerStatus| -> Vec<&'static str> {
        evaluate_rules(s, &AlertThresholds::default()).into_iter().map(|o| o.rule).collect()
    };
    assert!(!judged(&machine(None, None)).contains(&"disk_low"));
    assert!(judged(&machine(Some((50 * GIB, 100 * GIB)), None)).contains(&"disk_low"));
    // An unreachable host's cached machine figures are not judged either.
    let mut unreachable = machine(Some((0, 100 * GIB)), Some((1, 100)));
    unreachable.reachable = false;
    unreachable.state = "unreachable".to_owned();
    assert_eq!(firing(&unreachable), vec!["unreachable"]);
}

#[test]
fn machine_alerts_say_what_is_left_and_what_to_do() {
    let outcomes = evaluate_rules(
        &machine(Some((GIB / 2, 100 * GIB)), Some((GIB, 20 * GIB))),
        &AlertThresholds::default(),
    );
    let message = |rule: &str| outcomes.iter().find(|o| o.rule == rule).map(|o| o.message.clone()).unwrap();
    let disk = message("disk_low");
    assert!(disk.contains("512 MiB free of 100.0 GiB (0.5 %"), "{disk}");
    assert!(disk.contains("free space or grow the disk"), "{disk}");
    let memory = message("memory_pressure");
    assert!(memory.contains("1.0 GiB of memory available (5.0 %; alert under 10 %)"), "{memory}");
    // Thresholds are the caller's: a stricter one fires where the default does not.
    let strict = AlertThresholds { disk_free_ratio: 0.6, ..AlertThresholds::default() };
    let outcomes = evaluate_rules(&machine(Some((50 * GIB, 100 * GIB)), None), &strict);
    assert!(outcomes.iter().any(|o| o.rule == "disk_low" && o.firing));
}

#[test]
fn an_incompatible_host_alerts_with_its_reason_and_nothing_else() {
    let mut incompatible = status(true, None);
    incompatible.state = "incompatible".to_owned();
    incompatible.error = Some("host agent 9.0.0 speaks host API v2; this console speaks v1".to_owned());
    assert_eq!(firing(&incompatible), vec!["incompatible"]);
    let outcomes = evaluate_rules(&incompatible, &AlertThresholds::default());
    let message = &outcomes.iter().find(|o| o.rule == "incompatible").unwrap().message;
    assert!(message.contains("speaks host API v2"), "{message}");
    assert!(firing(&status(true, host(ProcessState::Running, |_| {}))).is_empty());
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

#[test]
fn the_security_rule_fires_over_the_threshold_of_failed_logins_and_denials() {
    let thresholds = AlertThresholds { security_events: 10, ..AlertThresholds::default() };
    // (failed logins, denials, firing)
    for (failed, denied, firing) in
        [(0, 0, false), (10, 0, false), (11, 0, true), (6, 5, true), (0, 11, true), (5, 5, false)]
    {
        let outcome = voicefleet_core::console::security_rule(failed, denied, &thresholds);
        assert_eq!(outcome.rule, "security");
        assert_eq!(outcome.firing, firing, "{failed} failed logins, {denied} denials: {outcome:?}");
        assert!(
            outcome.message.contains(&format!("{failed} failed logins and {denied} denied")),
            "{}",
            outcome.message
        );
    }
}
