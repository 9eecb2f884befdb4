//! The contract's history cases: bulk runs, samples, events, alerts, instances.

use std::sync::Arc;

use voicefleet_core::console::bulk::{BulkAction, BulkRun, BulkSpec, RunOutcome, TargetResult, TargetState};
use voicefleet_core::console::{
    AlertRecord, EventQuery, FleetEvent, LaunchSpecRecord, Limit, RecoveryStateRecord, Selector, Store,
};
use voicefleet_core::host::MetricsSample;
use voicefleet_core::instances::LaunchSpec;

use super::{customer, record, verified_chain};

fn target(customer_id: &str, state: TargetState) -> TargetResult {
    TargetResult {
        customer_id: customer_id.to_owned(),
        state,
        canary: false,
        reason: None,
        started_at_ms: None,
        finished_at_ms: None,
        previous_revision: None,
        revision: None,
    }
}

fn run(id: &str, created_at_ms: u64, outcome: RunOutcome, targets: &[&str]) -> BulkRun {
    BulkRun {
        id: id.to_owned(),
        spec: BulkSpec {
            action: BulkAction::Restart,
            selector: Selector::All,
            max_concurrency: Limit::Count(2),
            max_errors: Limit::Count(0),
            canary: 0,
            health_gate: None,
            auto_rollback: false,
            dry_run: false,
        },
        actor: "admin".to_owned(),
        created_at_ms,
        finished_at_ms: None,
        outcome,
        max_concurrency: 2,
        max_errors: 0,
        targets: targets.iter().map(|id| target(id, TargetState::Pending)).collect(),
    }
}

pub(super) async fn bulk_runs(store: Arc<dyn Store>) {
    // Targets in an order that is not alphabetical: it is kept.
    let first = run("run-1", 1_000, RunOutcome::Running, &["zeta", "alpha", "mid"]);
    store.save_bulk_run(&first, Some(record("bulk.start", "run-1"))).await.unwrap();
    store.save_bulk_run(&run("run-2", 2_000, RunOutcome::Succeeded, &["alpha"]), None).await.unwrap();
    store.save_bulk_run(&run("run-3", 3_000, RunOutcome::Running, &[]), None).await.unwrap();
    assert_eq!(store.bulk_run("run-1").await.unwrap(), Some(first.clone()));
    assert_eq!(store.bulk_run("none").await.unwrap(), None);

    let mut done = target("alpha", TargetState::Succeeded);
    done.finished_at_ms = Some(1_500);
    store.save_target_result("run-1", &done).await.unwrap();
    let loaded = store.bulk_run("run-1").await.unwrap().unwrap();
    let order: Vec<&str> = loaded.targets.iter().map(|t| t.customer_id.as_str()).collect();
    assert_eq!(order, ["zeta", "alpha", "mid"]);
    assert_eq!(loaded.targets[1], done);

    let newest: Vec<String> = store.bulk_runs(2).await.unwrap().into_iter().map(|r| r.id).collect();
    assert_eq!(newest, ["run-3", "run-2"]);
    let unfinished: Vec<String> =
        store.unfinished_bulk_runs().await.unwrap().into_iter().map(|r| r.id).collect();
    assert_eq!(unfinished, ["run-1", "run-3"]);

    let mut finished = loaded.clone();
    finished.outcome = RunOutcome::Cancelled;
    finished.finished_at_ms = Some(2_500);
    store.save_bulk_run(&finished, None).await.unwrap();
    assert_eq!(store.bulk_run("run-1").await.unwrap(), Some(finished.clone()));
    assert_eq!(store.unfinished_bulk_runs().await.unwrap().len(), 1);

    assert_eq!(store.audit_bulk_run("none", record("bulk.cancel", "none")).await.unwrap(), None);
    assert_eq!(store.audit_bulk_run("run-1", record("bulk.cancel", "run-1")).await.unwrap(), Some(finished));
    assert_eq!(verified_chain(&*store).await, 2);
}

fn sample(at_ms: u64, cpu: f64) -> MetricsSample {
    MetricsSample { at_ms, cpu_percent: cpu, rss_bytes: 1 << 20, ..MetricsSample::default() }
}

pub(super) async fn samples(store: Arc<dyn Store>) {
    const MINUTE: u64 = 60_000;
    const DAY: u64 = 1_440 * MINUTE;
    let now = 30 * DAY;
    store.insert_samples("acme", &[sample(now - 8 * DAY, 1.0), sample(now - 10, 2.0)]).await.unwrap();
    // Older than a day (within the thinning window): 3 in one minute, 1 in the next.
    let old = now - DAY - 2 * 3_600_000;
    let minute_start = old - old % MINUTE;
    let thinned = [minute_start + 1, minute_start + 2, minute_start + 3, minute_start + MINUTE + 1];
    store.insert_samples("acme", &thinned.map(|at| sample(at, 3.0))).await.unwrap();
    store
        .insert_fleet_samples(vec![
            ("acme".to_owned(), sample(now - 5, 4.0)),
            ("beta".to_owned(), sample(now - 5, 5.0)),
        ])
        .await
        .unwrap();
    assert_eq!(store.samples("acme", 0, u64::MAX).await.unwrap().len(), 7);
    assert_eq!(store.samples("beta", 0, u64::MAX).await.unwrap(), [sample(now - 5, 5.0)]);
    assert_eq!(
        store.samples("acme", now - 10, now - 5).await.unwrap(),
        [sample(now - 10, 2.0), sample(now - 5, 4.0)]
    );

    store.prune_samples(now).await.unwrap();
    let kept: Vec<u64> = store.samples("acme", 0, u64::MAX).await.unwrap().iter().map(|s| s.at_ms).collect();
    assert_eq!(kept, [minute_start + 1, minute_start + MINUTE + 1, now - 10, now - 5]);
}

fn status_event(customer_id: &str, at_ms: u64) -> FleetEvent {
    FleetEvent::StatusChanged {
        customer_id: customer_id.to_owned(),
        from: "running".to_owned(),
        to: "unreachable".to_owned(),
        at_ms,
        exit: None,
        restarts: Some(2),
        pid: Some(4242),
    }
}

pub(super) async fn events(store: Arc<dyn Store>) {
    const DAY: u64 = 86_400_000;
    let now = 30 * DAY;
    store.insert_event("acme", now - 8 * DAY, &status_event("acme", now - 8 * DAY)).await.unwrap();
    for at in [now - 30, now - 20, now - 10] {
        store.insert_event("acme", at, &status_event("acme", at)).await.unwrap();
    }
    store.insert_event("beta", now - 15, &status_event("beta", now - 15)).await.unwrap();
    let query = |customer: Option<&str>, since_ms, limit| EventQuery {
        customer: customer.map(str::to_owned),
        since_ms,
        limit,
    };
    let times = |events: Vec<FleetEvent>| events.iter().map(|e| e.customer_and_time().1).collect::<Vec<_>>();
    assert_eq!(
        times(store.events(&query(None, now - DAY, 100)).await.unwrap()),
        [now - 30, now - 20, now - 15, now - 10]
    );
    assert_eq!(times(store.events(&query(Some("acme"), 0, 2)).await.unwrap()), [now - 20, now - 10]);
    assert_eq!(store.events(&query(Some("beta"), 0, 10)).await.unwrap(), [status_event("beta", now - 15)]);
    store.prune_samples(now).await.unwrap();
    assert_eq!(store.events(&query(Some("acme"), 0, 100)).await.unwrap().len(), 3);
}

fn alert(customer_id: &str, rule: &str, firing: bool) -> AlertRecord {
    AlertRecord {
        customer_id: customer_id.to_owned(),
        rule: rule.to_owned(),
        firing,
        message: format!("{rule} on {customer_id}"),
        since_ms: 10,
        resolved_at_ms: (!firing).then_some(20),
    }
}

pub(super) async fn alerts(store: Arc<dyn Store>) {
    store.insert_customer(customer("acme"), record("customer.add", "acme")).await.unwrap();
    store.upsert_alert(alert("acme", "unreachable", true)).await.unwrap();
    store.upsert_alert(alert("acme", "cpu", true)).await.unwrap();
    store.upsert_alert(alert("beta", "cpu", true)).await.unwrap();
    store.upsert_alert(alert("acme", "cpu", false)).await.unwrap();
    let firing = store.alerts(false).await.unwrap();
    assert_eq!(firing, [alert("acme", "unreachable", true), alert("beta", "cpu", true)]);
    assert_eq!(store.alerts(true).await.unwrap().len(), 3);
    assert_eq!(
        store.customer_alerts("acme").await.unwrap(),
        [alert("acme", "cpu", false), alert("acme", "unreachable", true)]
    );
    store.delete_customer("acme", record("customer.remove", "acme")).await.unwrap();
    assert!(store.customer_alerts("acme").await.unwrap().is_empty());
    assert_eq!(store.alerts(true).await.unwrap(), [alert("beta", "cpu", true)]);
}

pub(super) async fn instances(store: Arc<dyn Store>) {
    use crate::cloud::instance;
    assert_eq!(store.instances().await.unwrap(), (Vec::new(), None));
    store
        .replace_instances(
            vec![instance("i-2", Some("acme")), instance("i-1", None)],
            100,
            record("instances.sync", "ec2"),
        )
        .await
        .unwrap();
    let (found, synced) = store.instances().await.unwrap();
    assert_eq!(found, [instance("i-1", None), instance("i-2", Some("acme"))]);
    assert_eq!(synced, Some(100));
    let mut stopped = instance("i-2", Some("acme"));
    stopped.state = voicefleet_core::instances::InstanceState::Stopped;
    store.put_instance(stopped.clone(), 200).await.unwrap();
    store.put_instance(instance("i-3", Some("beta")), 150).await.unwrap();
    assert_eq!(
        store.instances().await.unwrap(),
        (vec![instance("i-1", None), stopped, instance("i-3", Some("beta"))], Some(200))
    );
    store.replace_instances(vec![instance("i-9", None)], 300, record("instances.sync", "ec2")).await.unwrap();
    assert_eq!(store.instances().await.unwrap(), (vec![instance("i-9", None)], Some(300)));

    store.insert_customer(customer("acme"), record("customer.add", "acme")).await.unwrap();
    let spec = LaunchSpecRecord {
        spec: LaunchSpec {
            image_id: Some("ami-1".to_owned()),
            instance_type: Some("t3.small".to_owned()),
            ..LaunchSpec::default()
        },
        // The sealed bytes are the console's; the store keeps them exactly.
        sealed_user_data: Some((vec![0, 1, 0xfe, 0xff], vec![7; 300])),
    };
    store.put_launch_spec("acme", spec.clone(), record("instances.launch_spec", "acme")).await.unwrap();
    assert_eq!(store.launch_spec("acme").await.unwrap(), Some(spec));
    let template = LaunchSpecRecord {
        spec: LaunchSpec { launch_template_id: Some("lt-1".to_owned()), ..LaunchSpec::default() },
        sealed_user_data: None,
    };
    store.put_launch_spec("acme", template.clone(), record("instances.launch_spec", "acme")).await.unwrap();
    assert_eq!(store.launch_spec("acme").await.unwrap(), Some(template));
    assert_eq!(store.launch_spec("beta").await.unwrap(), None);

    // What recovery remembers: set, replaced, emptied (gone), and gone with its customer.
    assert!(store.recovery_states().await.unwrap().is_empty());
    let state = RecoveryStateRecord {
        last_recovery_ms: Some(1_700_000_000_000),
        restore_instance_id: Some("i-new".to_owned()),
        awaiting_healthy: true,
    };
    store.put_recovery_state("acme", state.clone()).await.unwrap();
    assert_eq!(
        store.recovery_states().await.unwrap().into_iter().collect::<Vec<_>>(),
        [("acme".to_owned(), state.clone())]
    );
    let restored = RecoveryStateRecord { restore_instance_id: None, ..state };
    store.put_recovery_state("acme", restored.clone()).await.unwrap();
    assert_eq!(store.recovery_states().await.unwrap().get("acme"), Some(&restored));
    store.put_recovery_state("acme", RecoveryStateRecord::default()).await.unwrap();
    assert!(store.recovery_states().await.unwrap().is_empty());
    store.put_recovery_state("acme", restored).await.unwrap();

    store.delete_customer("acme", record("customer.remove", "acme")).await.unwrap();
    assert_eq!(store.launch_spec("acme").await.unwrap(), None);
    assert!(store.recovery_states().await.unwrap().is_empty());
    assert_eq!(verified_chain(&*store).await, 6);
}

/// A copy of the whole store as a SQLite database (what backups hold): every table, the audit
/// chain entry for entry.
pub(super) async fn export(store: Arc<dyn Store>) {
    use voicefleet_core::console::SqliteStore;
    store.insert_customer(customer("acme"), record("customer.add", "acme")).await.unwrap();
    store.append_audit(record("login", "admin")).await.unwrap();
    store.upsert_alert(alert("acme", "crash_loop", true)).await.unwrap();
    let dir = crate::scratch();
    let path = dir.path().join("copy.db");
    store.export_sqlite(&path).await.unwrap();
    let copy = SqliteStore::open(&path).unwrap().with_audit_key(super::audit_key());
    assert_eq!(copy.customers().await.unwrap(), store.customers().await.unwrap());
    assert_eq!(copy.alerts(true).await.unwrap(), store.alerts(true).await.unwrap());
    assert_eq!(copy.audit(0, 100).await.unwrap(), store.audit(0, 100).await.unwrap());
    assert_eq!(verified_chain(&copy).await, 2);
}
