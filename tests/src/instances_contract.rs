//! The console's instance verbs, the same through every implementation of the fleet trait
//! (in process, and over HTTP): roles, sync and mapping, actions, resize, terminate.

use std::sync::Arc;

use voicefleet_core::ErrorKind;
use voicefleet_core::console::{InstanceControl, NewCustomer};
use voicefleet_core::instances::{InstanceAction, InstanceState};

use crate::cloud::FakeCloud;
use crate::fleet_contract::RoleFleets;

/// The cloud holds `i-acme` (tagged for `customers[0]`) and `i-stray` (tagged for a customer
/// the console does not know); `customers` are added with their (loopback) endpoints and the
/// second has no instance. The console behind `fleets` was given `cloud`.
pub async fn run(fleets: RoleFleets, cloud: Arc<FakeCloud>, customers: [(String, String); 2]) {
    use voicefleet_core::auth::Role;
    use voicefleet_core::console::Actor;
    let admin = Actor::new("admin", Role::Admin);
    let operator = Actor::new("instances-operator", Role::Operator);
    let viewer = Actor::new("instances-viewer", Role::Viewer);
    let (RoleFleets { admin: fa, operator: fo, viewer: fv }, first) = (fleets, customers[0].0.clone());
    for (id, endpoint) in &customers {
        fa.add_customer(
            &admin,
            NewCustomer {
                id: id.clone(),
                name: format!("{id} Inc"),
                endpoint: endpoint.clone(),
                tags: vec![],
                trust: Default::default(),
            },
        )
        .await
        .unwrap();
    }
    // Before a sync: nothing known, the provider named.
    let before = fv.instances(&viewer).await.unwrap();
    assert_eq!((before.provider.as_deref(), before.synced_at_ms), (Some("fake cloud"), None));
    assert!(before.mapping.linked.is_empty());

    // A sync needs the operator role.
    assert_eq!(fv.sync_instances(&viewer).await.unwrap_err().kind(), ErrorKind::Forbidden);
    let synced = fo.sync_instances(&operator).await.unwrap();
    assert!(synced.synced_at_ms.is_some());
    let linked: Vec<_> =
        synced.mapping.linked.iter().map(|l| (l.customer.as_str(), l.instance.id.as_str())).collect();
    assert_eq!(linked, [(first.as_str(), "i-acme")]);
    assert_eq!(
        synced.mapping.linked[0].endpoint.as_ref().map(|u| u.to_string()),
        Some(format!("{}/", customers[0].1.trim_end_matches('/')))
    );
    assert_eq!(
        synced.mapping.without_customer.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
        ["i-stray"]
    );
    assert_eq!(
        synced.mapping.customers_without_instance.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        [customers[1].0.as_str()]
    );
    // The viewer reads what the sync stored.
    assert_eq!(fv.instances(&viewer).await.unwrap().mapping, synced.mapping);

    // Start, stop, reboot: operator; the answer is the instance afterwards.
    let error = fv.instance_control(&viewer, &first, InstanceControl::Stop).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Forbidden);
    let stopped = fo.instance_control(&operator, &first, InstanceControl::Stop).await.unwrap();
    assert_eq!((stopped.id.as_str(), stopped.state), ("i-acme", InstanceState::Stopped));
    let listed = fv.instances(&viewer).await.unwrap();
    assert_eq!(
        listed.mapping.linked[0].instance.state,
        InstanceState::Stopped,
        "the store keeps the new state"
    );
    let started = fo.instance_control(&operator, &first, InstanceControl::Start).await.unwrap();
    assert_eq!(started.state, InstanceState::Running);
    fo.instance_control(&operator, &first, InstanceControl::Reboot).await.unwrap();

    // A customer without an instance: a conflict that says to sync.
    let error = fo.instance_control(&operator, &customers[1].0, InstanceControl::Start).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Conflict, "{error}");
    assert_eq!(error.remedy(), Some(voicefleet_core::Remedy::SyncInstances), "{error:?}");

    // Resize: operator; stop, set the type, start.
    assert_eq!(
        fv.resize_instance(&viewer, &first, "t3.large").await.unwrap_err().kind(),
        ErrorKind::Forbidden
    );
    let before_resize = cloud.asked().len();
    let resized = fo.resize_instance(&operator, &first, "t3.large").await.unwrap();
    assert_eq!((resized.state, resized.instance_type.as_str()), (InstanceState::Running, "t3.large"));
    let steps: Vec<InstanceAction> = cloud.asked()[before_resize..].iter().map(|(_, a)| a.clone()).collect();
    assert_eq!(
        steps,
        [InstanceAction::Stop, InstanceAction::SetType("t3.large".to_owned()), InstanceAction::Start]
    );

    // Terminate: admin only.
    let error = fo.instance_control(&operator, &first, InstanceControl::Terminate).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Forbidden);
    let terminated = fa.instance_control(&admin, &first, InstanceControl::Terminate).await.unwrap();
    assert_eq!(terminated.state, InstanceState::Terminated);
    let asked: Vec<InstanceAction> = cloud.asked().into_iter().map(|(_, a)| a).collect();
    assert_eq!(asked.iter().filter(|a| **a == InstanceAction::Terminate).count(), 1);
}
