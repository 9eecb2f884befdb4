//! Recovery execution: one pass over the fleet that asks the pure policy
//! ([`crate::instances::decide`]) about every customer whose host does not answer, and does what
//! it says: start a stopped instance, reboot an impaired one, launch a replacement for a
//! terminated or missing one from the customer's recorded launch spec. At most one recovery per
//! customer per window; each step is audited (`instance.recover.start|reboot|replace|restore`).
//!
//! A replacement is a new host with nothing on it: once its host agent answers (a later pass),
//! the customer's deployed revision (else its latest) is deployed there with its secrets and the
//! agent started, once. A customer whose endpoint was derived from its old instance's address
//! gets the new instance's; one set by hand keeps it.
//!
//! The console's memory of when a host stopped answering, of its last recovery and of the
//! replacements still to restore lives in this process (a restarted console waits
//! `unreachable_after` again before acting).

use std::collections::HashMap;
use std::sync::Mutex;

use super::{Actor, Console, Selector};
use crate::auth::Role;
use crate::error::Result;
use crate::instances::{
    Instance, InstanceAction, RecoveryAction, RecoveryDecision, RecoveryObservation, RecoveryPolicy, decide,
};

/// When each customer's host was first seen unreachable, and when its last recovery started.
#[derive(Debug, Default)]
pub(super) struct RecoveryMemory {
    unreachable_since_ms: Mutex<HashMap<String, u64>>,
    last_recovery_ms: Mutex<HashMap<String, u64>>,
    /// Replacements launched whose configuration is not restored yet: customer → instance id.
    to_restore: Mutex<HashMap<String, String>>,
}

/// One recovery a pass started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryStep {
    /// The customer whose host was recovered.
    pub customer_id: String,
    /// What was done.
    pub action: RecoveryAction,
    /// The instance acted on; for a replacement, the new one.
    pub instance_id: Option<String>,
    /// When it started, in milliseconds since the Unix epoch.
    pub at_ms: u64,
    /// What went wrong, when it failed (it still counts as this window's recovery).
    pub error: Option<String>,
}

/// A customer's policy, by its id.
pub(super) type PolicyFor<'a> = &'a (dyn Fn(&str) -> RecoveryPolicy + Send + Sync);

pub(super) async fn pass(
    console: &Console,
    actor: &Actor,
    policy_for: PolicyFor<'_>,
) -> Result<Vec<RecoveryStep>> {
    console.require(actor, Role::Operator, "instance.recover", "").await?;
    let provider = console.provider()?.clone();
    let statuses = console.poll_fleet(&Selector::All).await?;
    let now = console.options.clock.now_ms();
    let memory = &console.recovery;
    let linked = console.report().await?.mapping.linked;
    let mut steps = Vec::new();
    for status in statuses {
        let id = status.customer_id.clone();
        let pending = memory.to_restore.lock().unwrap_or_else(|p| p.into_inner()).get(&id).cloned();
        if status.reachable
            && let Some(instance_id) = pending
        {
            let result = restore(console, actor, &id).await;
            console.audit_outcome(actor, "instance.recover.restore", &id, &result).await;
            if result.is_ok() {
                memory.to_restore.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
            }
            let what = match &result {
                Ok(revision) => {
                    format!("restored revision {revision} with its secrets on instance {instance_id}")
                }
                Err(error) => {
                    format!("restoring the configuration on instance {instance_id} failed: {error}")
                }
            };
            console.recovery_step_notice(&id, &what).await?;
            steps.push(RecoveryStep {
                customer_id: id.clone(),
                action: RecoveryAction::Restore,
                instance_id: Some(instance_id),
                at_ms: now,
                error: result.err().map(|e| e.to_string()),
            });
        }
        let recovered_here =
            memory.last_recovery_ms.lock().unwrap_or_else(|p| p.into_inner()).contains_key(&id);
        if status.reachable && status.state == "running" && recovered_here {
            console.recovery_healthy_notice(&id).await?;
        }
        let since = {
            let mut since = memory.unreachable_since_ms.lock().unwrap_or_else(|p| p.into_inner());
            if status.reachable {
                since.remove(&id);
                None
            } else {
                Some(*since.entry(id.clone()).or_insert(now))
            }
        };
        let policy = policy_for(&id);
        if since.is_none() || !policy.enabled {
            continue;
        }
        // The cloud's word now, not the last sync's.
        let stored = linked.iter().find(|l| l.customer.as_str() == id);
        let instance = match stored {
            Some(linked) => match provider.instance(&linked.instance.id).await {
                Ok(fresh) => Some(fresh),
                Err(error) if error.kind() == crate::ErrorKind::NotFound => None,
                Err(error) => return Err(error),
            },
            None => None,
        };
        let last = memory.last_recovery_ms.lock().unwrap_or_else(|p| p.into_inner()).get(&id).copied();
        let observation = RecoveryObservation {
            now_ms: now,
            unreachable_since_ms: since,
            instance: instance.as_ref(),
            last_recovery_ms: last,
        };
        let RecoveryDecision::Act(action) = decide(&policy, &observation) else { continue };
        memory.last_recovery_ms.lock().unwrap_or_else(|p| p.into_inner()).insert(id.clone(), now);
        let result = match (action, &instance) {
            (RecoveryAction::Start, Some(instance)) => {
                provider.act(&instance.id, &InstanceAction::Start).await.map(|()| instance.id.clone())
            }
            (RecoveryAction::Reboot, Some(instance)) => {
                provider.act(&instance.id, &InstanceAction::Reboot).await.map(|()| instance.id.clone())
            }
            _ => replace(console, actor, &id, instance.as_ref()).await,
        };
        if action == RecoveryAction::Replace
            && let Ok(instance_id) = &result
        {
            memory
                .to_restore
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(id.clone(), instance_id.clone());
        }
        let audit = format!("instance.recover.{}", action.as_str());
        console.audit_outcome(actor, &audit, &id, &result).await;
        let old = instance.as_ref().map_or_else(
            || "no instance".to_owned(),
            |i| format!("instance {} ({}, checks {}/{})", i.id, i.state, i.system_status, i.instance_status),
        );
        let what = match (&result, action) {
            (Ok(_), RecoveryAction::Start) => format!("started {old}"),
            (Ok(_), RecoveryAction::Reboot) => format!("rebooted {old}"),
            (Ok(new), _) => format!("replaced {old} with instance {new}"),
            (Err(error), _) => format!("{} for {old} failed: {error}", action.as_str()),
        };
        console.recovery_step_notice(&id, &what).await?;
        if let Ok(instance_id) = &result
            && let Ok(fresh) = provider.instance(instance_id).await
        {
            console.store_instance(&fresh).await?;
        }
        steps.push(RecoveryStep {
            customer_id: id,
            action,
            instance_id: result.as_ref().ok().cloned(),
            at_ms: now,
            error: result.err().map(|e| e.to_string()),
        });
    }
    Ok(steps)
}

/// Launches a replacement from the customer's launch spec, with the user data its host was
/// launched with (so the same certificate, still pinned); the new instance's id. A customer whose
/// endpoint was derived from the old instance's address gets the new one's.
async fn replace(console: &Console, actor: &Actor, id: &str, old: Option<&Instance>) -> Result<String> {
    let spec = console.store.launch_spec(id).await?.ok_or_else(|| {
        crate::Error::blocked(
            format!("customer `{id}` has no recorded launch spec to launch a replacement from"),
            crate::Remedy::OnboardCustomer { customer: id.to_owned() },
        )
    })?;
    let customer = crate::customer::CustomerId::parse(id)?;
    let user_data = spec.user_data.clone().unwrap_or_default();
    let launched = console.provider()?.launch(&customer, &spec, &user_data).await?;
    let options = console.options.instance_mapping;
    let mut record = console.record(id).await?;
    let was_derived = old
        .and_then(|old| derived_endpoint_of(old, options))
        .is_some_and(|derived| derived.as_str() == record.endpoint);
    if was_derived && let Some(new) = derived_endpoint_of(&launched, options) {
        record.endpoint = new.to_string();
        let audit = console.audit_record(actor, "customer.endpoint", id);
        console.store.update_customer(record, audit).await?;
    }
    Ok(launched.id)
}

/// The endpoint derived from an instance's address, whatever its state (an old, terminated
/// instance's too: it tells whether the customer's endpoint was derived from it).
fn derived_endpoint_of(instance: &Instance, options: crate::instances::MappingOptions) -> Option<url::Url> {
    let running = Instance { state: crate::instances::InstanceState::Running, ..instance.clone() };
    crate::instances::derived_endpoint(&running, options)
}

/// Deploys the customer's deployed revision (else its latest) with its secrets onto its new
/// host and starts the agent; the revision.
async fn restore(console: &Console, actor: &Actor, id: &str) -> Result<u64> {
    let record = console.record(id).await?;
    let revision = match record.deployed_revision {
        Some(number) => console.stored_revision(id, number).await?,
        None => console
            .latest_revision(id)
            .await?
            .ok_or_else(|| crate::Error::RevisionNotFound { customer: id.to_owned(), number: None })?,
    };
    console.deploy_record(actor, &record, &revision).await?;
    console.host(&record)?.start().await?;
    console.statuses.remove(id);
    Ok(revision.number)
}
