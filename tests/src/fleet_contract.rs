//! The fleet contract suite: one body of checks that every implementation of the fleet trait
//! must pass unchanged (the in-process console and the console's HTTP client).

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use voicefleet_core::ErrorKind;
use voicefleet_core::auth::Role;
use voicefleet_core::config::PatchOperation;
use voicefleet_core::console::{
    Actor, BulkAction, BulkSpec, ControlAction, Fleet, Limit, NewCustomer, RevisionInput, RunOutcome,
    Selector, TargetState,
};
use voicefleet_core::host::LogQuery;
use voicefleet_core::logs::StreamFilter;

use crate::hosts::simulated_config;

/// What the suite runs against: real hosts that are up, one that is down, one that never answers.
#[derive(Debug, Clone)]
pub struct ContractHosts {
    /// (customer id, endpoint) of running host agents with no configuration yet; at least two.
    pub up: Vec<(String, String)>,
    pub down: String,
    pub slow: String,
    /// The console's per-host timeout, to check a status pass is not slower than it.
    pub host_timeout: Duration,
}

fn admin() -> Actor {
    Actor::new("contract-admin", Role::Admin)
}

fn kind<T: std::fmt::Debug>(result: voicefleet_core::Result<T>) -> ErrorKind {
    result.expect_err("expected an error").kind()
}

async fn wait_running(fleet: &Arc<dyn Fleet>, id: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let statuses =
            fleet.status(&admin(), &Selector::Ids { ids: vec![id.to_owned()] }).await.expect("status");
        if statuses.first().is_some_and(|s| s.state == "running") {
            return;
        }
        assert!(Instant::now() < deadline, "{id} never reached running: {statuses:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The implementation under test, as seen by each role: the in-process console takes the role
/// from the actor, so all three may be the same; an HTTP client holds one role's token each.
#[derive(Clone)]
pub struct RoleFleets {
    pub admin: Arc<dyn Fleet>,
    pub operator: Arc<dyn Fleet>,
    pub viewer: Arc<dyn Fleet>,
}

impl std::fmt::Debug for RoleFleets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RoleFleets")
    }
}

impl RoleFleets {
    /// One implementation that checks the actor's role itself.
    pub fn same(fleet: Arc<dyn Fleet>) -> Self {
        Self { admin: fleet.clone(), operator: fleet.clone(), viewer: fleet }
    }
}

/// Runs every check. Leaves the customers it created removed.
pub async fn run(fleets: RoleFleets, hosts: ContractHosts) {
    let (fa, fo, fv) = (fleets.admin.clone(), fleets.operator.clone(), fleets.viewer.clone());
    let admin = admin();
    let viewer = Actor::new("contract-viewer", Role::Viewer);
    let operator = Actor::new("contract-operator", Role::Operator);
    let (first, first_endpoint) = hosts.up[0].clone();

    // Customers.
    for (index, (id, endpoint)) in hosts.up.iter().enumerate() {
        let tier = if index == 0 { "prod" } else { "staging" };
        let added = fa
            .add_customer(
                &admin,
                NewCustomer {
                    id: id.clone(),
                    name: format!("Customer {id}"),
                    endpoint: endpoint.clone(),
                    tags: vec![format!("tier={tier}"), "region=eu".into()],
                    trust: Default::default(),
                },
            )
            .await
            .expect("add a customer");
        assert_eq!(added.tags.get("tier").map(String::as_str), Some(tier));
    }
    fa.add_customer(
        &admin,
        NewCustomer {
            id: "down-host".into(),
            name: String::new(),
            endpoint: hosts.down.clone(),
            tags: vec!["tier=prod".into()],
            trust: Default::default(),
        },
    )
    .await
    .unwrap();
    fa.add_customer(
        &admin,
        NewCustomer {
            id: "slow-host".into(),
            name: String::new(),
            endpoint: hosts.slow.clone(),
            tags: vec![],
            trust: Default::default(),
        },
    )
    .await
    .unwrap();
    let duplicate = NewCustomer {
        id: first.clone(),
        name: String::new(),
        endpoint: first_endpoint.clone(),
        tags: vec![],
        trust: Default::default(),
    };
    assert_eq!(kind(fa.add_customer(&admin, duplicate.clone()).await), ErrorKind::Conflict);
    assert_eq!(
        kind(fa.add_customer(&admin, NewCustomer { id: "Bad_Id".into(), ..duplicate.clone() }).await),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        kind(
            fa.add_customer(
                &admin,
                NewCustomer { id: "x1".into(), endpoint: "ftp://h".into(), ..duplicate.clone() }
            )
            .await
        ),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        kind(fv.add_customer(&viewer, NewCustomer { id: "x2".into(), ..duplicate.clone() }).await),
        ErrorKind::Forbidden
    );
    assert_eq!(kind(fv.customer(&viewer, "nobody").await), ErrorKind::NotFound);
    let prod = fv.customers(&viewer, &Selector::parse("tier=prod").unwrap()).await.unwrap();
    assert_eq!(prod.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), [first.as_str(), "down-host"]);
    let tagged =
        fa.tag_customer(&admin, "down-host", vec!["tier=dead".into()], vec!["region".into()]).await.unwrap();
    assert_eq!(tagged.tags.get("tier").map(String::as_str), Some("dead"));

    // Secrets: write-only.
    for name in ["openai_api_key", "deepgram_api_key", "elevenlabs_api_key"] {
        fa.set_secret(&admin, &first, name, &format!("value-of-{name}")).await.unwrap();
    }
    assert_eq!(kind(fa.set_secret(&admin, &first, "Bad Name", "x").await), ErrorKind::InvalidInput);
    assert_eq!(kind(fo.set_secret(&operator, &first, "other", "x").await), ErrorKind::Forbidden);
    let names: Vec<String> =
        fo.secrets(&operator, &first).await.unwrap().into_iter().map(|s| s.name).collect();
    assert_eq!(names, ["deepgram_api_key", "elevenlabs_api_key", "openai_api_key"]);

    // Revisions: invalid ones store nothing; valid, patch, diff, rollback.
    let config = simulated_config(
        json!({"ready_delay_ms": 20, "call_interval_ms": 100, "call_duration_ms": 2000, "turn_interval_ms": 100}),
    );
    let mut invalid = config.as_value();
    invalid["agent_settings"]["llm"]["temperature"] = json!(9);
    invalid["agent_settings"]["llm"]["api_key"] = json!("secret://not_set_here");
    let error = fa
        .create_revision(&admin, &first, RevisionInput::Full { document: invalid }, "bad")
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    let mut codes: Vec<String> = error.issues().iter().map(|i| i.code.clone()).collect();
    codes.sort();
    assert_eq!(codes, ["out_of_range", "secret_missing"]);
    assert!(fv.revisions(&viewer, &first).await.unwrap().is_empty());
    let one = fa
        .create_revision(&admin, &first, RevisionInput::Full { document: config.as_value() }, "first")
        .await
        .unwrap();
    assert_eq!(
        (one.number, one.hash.as_str(), one.author.is_empty()),
        (1, config.content_hash().as_str(), false)
    );
    let patch =
        vec![PatchOperation::Set { path: "agent_settings.llm.temperature".into(), value: json!(0.2) }];
    let two = fa
        .create_revision(&admin, &first, RevisionInput::Patch { operations: patch }, "cooler")
        .await
        .unwrap();
    assert_eq!(two.number, 2);
    let diff = fv.diff(&viewer, &first, 1, 2).await.unwrap();
    assert_eq!(diff.len(), 1);
    assert_eq!(diff[0].path, "agent_settings.llm.temperature");
    let three = fa.rollback(&admin, &first, 1, "").await.unwrap();
    assert_eq!((three.number, three.hash.as_str()), (3, one.hash.as_str()));
    assert_eq!(three.message, "rollback to revision 1");
    let history = fv.revisions(&viewer, &first).await.unwrap();
    assert_eq!(history.iter().map(|r| r.number).collect::<Vec<_>>(), [3, 2, 1]);
    // Optimistic concurrency: a change made on top of revision 2 is refused now that 3 exists,
    // and changes nothing; on top of 3 it is revision 4, and then 3 is stale in turn.
    let on = |parent: Option<u64>| {
        let patch =
            vec![PatchOperation::Set { path: "agent_settings.llm.temperature".into(), value: json!(0.4) }];
        fa.create_revision_on(&admin, &first, parent, RevisionInput::Patch { operations: patch }, "on top")
    };
    let stale = on(Some(2)).await.unwrap_err();
    assert_eq!(stale.kind(), ErrorKind::Conflict, "{stale}");
    assert!(stale.to_string().contains("latest revision is 3"), "{stale}");
    assert_eq!(kind(on(None).await), ErrorKind::Conflict);
    assert_eq!(fv.revisions(&viewer, &first).await.unwrap().len(), 3);
    let four = on(Some(3)).await.unwrap();
    assert_eq!(four.number, 4);
    assert_eq!(kind(on(Some(3)).await), ErrorKind::Conflict);
    let shown = fv.revision(&viewer, &first, 2).await.unwrap();
    assert_eq!(shown.document.unwrap()["agent_settings"]["llm"]["temperature"], json!(0.2));
    assert_eq!(kind(fv.revision(&viewer, &first, 99).await), ErrorKind::NotFound);

    // Deploy: the host runs revision 3 with its secrets; no drift.
    fa.deploy(&admin, &first, Some(3)).await.unwrap();
    let started = fo.control(&operator, &first, ControlAction::Start, None).await.unwrap();
    assert_eq!(started.state, "running");
    assert_eq!(kind(fv.control(&viewer, &first, ControlAction::Stop, None).await), ErrorKind::Forbidden);
    wait_running(&fa, &first).await;

    // Fleet status: every customer listed, the down and slow ones as unreachable, and the pass is
    // not slower than the host timeout.
    let begun = Instant::now();
    let statuses = fv.status(&viewer, &Selector::All).await.unwrap();
    assert!(
        begun.elapsed() < hosts.host_timeout + Duration::from_secs(2),
        "status pass took {:?}",
        begun.elapsed()
    );
    assert_eq!(statuses.len(), hosts.up.len() + 2);
    let by_id = |id: &str| statuses.iter().find(|s| s.customer_id == id).cloned().unwrap();
    let mine = by_id(&first);
    assert_eq!(
        (mine.state.as_str(), mine.running_revision, mine.deployed_revision, mine.drift),
        ("running", Some(3), Some(3), false)
    );
    assert!(mine.status.as_ref().unwrap().pid.is_some());
    for id in ["down-host", "slow-host"] {
        let status = by_id(id);
        assert_eq!((status.state.as_str(), status.reachable), ("unreachable", false), "{id}");
        assert!(status.error.is_some());
    }
    let (_, second_endpoint) = &hosts.up[1];
    let _ = second_endpoint;
    let second = by_id(&hosts.up[1].0);
    assert_eq!((second.state.as_str(), second.deployed_revision, second.drift), ("stopped", None, false));

    // Logs through the console.
    let lines =
        fo.logs(&operator, &first, LogQuery::Tail { n: 20, stream: StreamFilter::All }).await.unwrap();
    assert!(!lines.is_empty());
    assert_eq!(
        kind(fv.logs(&viewer, &first, LogQuery::Tail { n: 1, stream: StreamFilter::All }).await),
        ErrorKind::Forbidden
    );

    // A secret the deployed revision uses cannot go.
    assert_eq!(kind(fa.delete_secret(&admin, &first, "openai_api_key").await), ErrorKind::Conflict);
    fa.set_secret(&admin, &first, "spare", "x").await.unwrap();
    fa.delete_secret(&admin, &first, "spare").await.unwrap();
    assert_eq!(kind(fa.delete_secret(&admin, &first, "spare").await), ErrorKind::NotFound);

    // Bulk: a dry run is a plan; a real restart of the prod tier succeeds.
    let spec = BulkSpec {
        action: BulkAction::Restart,
        selector: Selector::Ids { ids: vec![first.clone()] },
        max_concurrency: Limit::Count(1),
        max_errors: Limit::Count(0),
        canary: 0,
        health_gate: None,
        auto_rollback: false,
        dry_run: true,
    };
    let plan = fo.start_bulk(&operator, spec.clone()).await.unwrap();
    assert_eq!((plan.outcome, plan.targets.len()), (RunOutcome::DryRun, 1));
    assert_eq!(kind(fv.start_bulk(&viewer, spec.clone()).await), ErrorKind::Forbidden);
    let deploy_spec = BulkSpec { action: BulkAction::Deploy { revision: None }, ..spec.clone() };
    assert_eq!(kind(fo.start_bulk(&operator, deploy_spec).await), ErrorKind::Forbidden);
    let run = fo.start_bulk(&operator, BulkSpec { dry_run: false, ..spec }).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let finished = loop {
        let current = fv.bulk_run(&viewer, &run.id).await.unwrap();
        if current.outcome != RunOutcome::Running {
            break current;
        }
        assert!(Instant::now() < deadline, "bulk run never finished");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(finished.outcome, RunOutcome::Succeeded);
    assert_eq!(finished.targets[0].state, TargetState::Succeeded);
    assert!(fv.bulk_runs(&viewer, 10).await.unwrap().iter().any(|r| r.id == run.id));

    // Metrics history: the console's samples, or without a refresher the host's own; each a
    // real reading of the running agent (bounded: 10 s).
    let deadline = Instant::now() + Duration::from_secs(10);
    let samples = loop {
        let samples = fv.metrics(&viewer, &first, 0, u64::MAX).await.unwrap();
        if !samples.is_empty() || Instant::now() > deadline {
            break samples;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(!samples.is_empty(), "no metrics samples for {first}");
    assert!(samples.iter().all(|s| s.at_ms > 0 && s.rss_bytes > 0 && s.processes >= 1), "{samples:?}");
    // Alerts: the host that does not answer has its `unreachable` alert firing; the running
    // customer has none of the agent's own (the machine rules, `disk_low` and `memory_pressure`,
    // read the machine the tests run on, which may well be short of disk).
    let deadline = Instant::now() + Duration::from_secs(10);
    let alerts = loop {
        let alerts = fv.alerts(&viewer, false).await.unwrap();
        let fired =
            alerts.iter().any(|a| a.customer_id == "down-host" && a.rule == "unreachable" && a.firing);
        if fired || Instant::now() > deadline {
            break alerts;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        alerts.iter().any(|a| a.customer_id == "down-host" && a.rule == "unreachable" && a.firing),
        "{alerts:?}"
    );
    let machine_rule = |rule: &str| matches!(rule, "disk_low" | "memory_pressure");
    assert!(
        !alerts.iter().any(|a| a.customer_id == first && a.firing && !machine_rule(&a.rule)),
        "{alerts:?}"
    );

    // Audit: every change is there and the chain verifies; viewers may not read it.
    let entries = fa.audit(&admin, 0, 1000).await.unwrap();
    for action in
        ["customer.add", "secret.set", "config.revision", "config.deploy", "agent.start", "bulk.restart"]
    {
        assert!(entries.iter().any(|e| e.action == action && e.outcome == "ok"), "{action} not audited");
    }
    assert!(entries.iter().any(|e| e.outcome == "denied"), "refusals are audited too");
    assert!(fa.verify_audit(&admin).await.unwrap().ok);
    assert_eq!(kind(fv.audit(&viewer, 0, 10).await), ErrorKind::Forbidden);

    // Removal.
    fo.control(&operator, &first, ControlAction::Stop, Some(Duration::from_millis(200))).await.unwrap();
    for id in hosts.up.iter().map(|(id, _)| id.as_str()).chain(["down-host", "slow-host"]) {
        fa.remove_customer(&admin, id).await.unwrap();
    }
    assert!(fv.customers(&viewer, &Selector::All).await.unwrap().is_empty());
    assert_eq!(kind(fa.remove_customer(&admin, &first).await), ErrorKind::NotFound);
}
