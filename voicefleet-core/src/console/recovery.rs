//! Recovery execution: one pass over the fleet that asks the pure policy
//! ([`crate::instances::decide`]) about every customer whose host does not answer, and does what
//! it says: start a stopped instance, reboot an impaired one, launch a replacement for a
//! terminated or missing one from the customer's recorded launch spec. At most one recovery per
//! customer per window; each step is audited (`instance.recover.start|reboot|replace`).
//!
//! The console's memory of when a host stopped answering and of its last recovery lives in this
//! process (a restarted console waits `unreachable_after` again before acting).

use std::collections::HashMap;
use std::sync::Mutex;

use super::{Actor, Console, Selector};
use crate::auth::Role;
use crate::error::Result;
use crate::instances::{
    InstanceAction, RecoveryAction, RecoveryDecision, RecoveryObservation, RecoveryPolicy, decide,
};

/// When each customer's host was first seen unreachable, and when its last recovery started.
#[derive(Debug, Default)]
pub(super) struct RecoveryMemory {
    unreachable_since_ms: Mutex<HashMap<String, u64>>,
    last_recovery_ms: Mutex<HashMap<String, u64>>,
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

pub(super) async fn pass(
    console: &Console,
    actor: &Actor,
    policy: &RecoveryPolicy,
) -> Result<Vec<RecoveryStep>> {
    console.require(actor, Role::Operator, "instance.recover", "").await?;
    if !policy.enabled {
        return Ok(Vec::new());
    }
    let provider = console.provider()?.clone();
    let statuses = console.poll_fleet(&Selector::All).await?;
    let now = console.options.clock.now_ms();
    let memory = &console.recovery;
    let linked = console.report().await?.mapping.linked;
    let mut steps = Vec::new();
    for status in statuses {
        let id = status.customer_id.clone();
        let since = {
            let mut since = memory.unreachable_since_ms.lock().unwrap_or_else(|p| p.into_inner());
            if status.reachable {
                since.remove(&id);
                None
            } else {
                Some(*since.entry(id.clone()).or_insert(now))
            }
        };
        if since.is_none() {
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
        let RecoveryDecision::Act(action) = decide(policy, &observation) else { continue };
        memory.last_recovery_ms.lock().unwrap_or_else(|p| p.into_inner()).insert(id.clone(), now);
        let result = match (action, &instance) {
            (RecoveryAction::Start, Some(instance)) => {
                provider.act(&instance.id, &InstanceAction::Start).await.map(|()| instance.id.clone())
            }
            (RecoveryAction::Reboot, Some(instance)) => {
                provider.act(&instance.id, &InstanceAction::Reboot).await.map(|()| instance.id.clone())
            }
            _ => replace(console, &id).await,
        };
        let audit = format!("instance.recover.{}", action.as_str());
        console.audit_outcome(actor, &audit, &id, &result).await;
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
/// launched with; the new instance's id. (Its configuration and secrets are deployed once its
/// host agent answers, as at onboarding.)
async fn replace(console: &Console, id: &str) -> Result<String> {
    let spec = console.store.launch_spec(id).await?.ok_or_else(|| {
        crate::Error::conflict(
            format!("customer `{id}` has no recorded launch spec to launch a replacement from"),
            Some("onboard the customer with `voicefleet customers onboard`, which records it"),
        )
    })?;
    let customer = crate::customer::CustomerId::parse(id)?;
    let user_data = spec.user_data.clone().unwrap_or_default();
    let launched = console.provider()?.launch(&customer, &spec, &user_data).await?;
    Ok(launched.id)
}
