//! Recovery settings (off by default; fleet-wide, and per customer over the fleet's), a
//! recovery pass with them (what `voicefleet console serve` runs on a timer), and a customer's
//! launch spec, read and changed by hand.

use std::collections::BTreeMap;

use super::{Actor, Console, RecoveryStep};
use crate::auth::Role;
use crate::error::{Error, Result};
use crate::instances::{LaunchSpec, RecoverySettings, effective_policy};

/// The recovery settings as set.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RecoveryConfig {
    /// Fleet-wide, over the defaults (off; unreachable for 120 s; one recovery per 30 minutes).
    pub fleet: RecoverySettings,
    /// Per customer, over the fleet's.
    pub customers: BTreeMap<String, RecoverySettings>,
}

impl RecoveryConfig {
    /// Whether recovery is on for any customer (`ids`: the fleet's customers).
    fn any_enabled<'a>(&self, mut ids: impl Iterator<Item = &'a str>) -> bool {
        ids.any(|id| effective_policy(Some(&self.fleet), self.customers.get(id)).enabled)
    }
}

impl Console {
    async fn recovery_config(&self) -> Result<RecoveryConfig> {
        let (fleet, customers) = self.store.recovery_settings().await?;
        Ok(RecoveryConfig { fleet: fleet.unwrap_or_default(), customers })
    }

    /// One recovery pass with the stored settings (operator): nothing, and no cloud call, when
    /// recovery is off for every customer.
    pub async fn recover(&self, actor: &Actor) -> Result<Vec<RecoveryStep>> {
        self.require(actor, Role::Operator, "instance.recover", "").await?;
        let config = self.recovery_config().await?;
        let customers = self.store.customers().await?;
        if !config.any_enabled(customers.iter().map(|c| c.id.as_str())) {
            return Ok(Vec::new());
        }
        let policy_for = |id: &str| effective_policy(Some(&config.fleet), config.customers.get(id));
        super::recovery::pass(self, actor, &policy_for).await
    }

    /// Whether the console has a cloud to recover hosts in.
    pub fn has_instance_provider(&self) -> bool {
        self.instance_provider.get().is_some()
    }

    /// Runs [`Console::recover`] every `interval` while the console lives (a server does), once
    /// it has an instance provider. Each step is audited under the actor `console (recovery)`.
    pub fn spawn_recoverer(
        self: &std::sync::Arc<Self>,
        interval: std::time::Duration,
    ) -> tokio::task::JoinHandle<()> {
        let me = std::sync::Arc::downgrade(self);
        tokio::spawn(async move {
            let actor =
                Actor { name: "console (recovery)".to_owned(), role: Role::Admin, request_id: String::new() };
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                let Some(console) = me.upgrade() else { return };
                if console.has_instance_provider() {
                    // A failed pass (the cloud or the store unavailable) is tried again next tick.
                    let _ = console.recover(&actor).await;
                }
            }
        })
    }
}

pub(super) async fn settings(console: &Console, actor: &Actor) -> Result<RecoveryConfig> {
    console.require(actor, Role::Viewer, "recovery.settings.show", "").await?;
    console.recovery_config().await
}

/// Sets the fleet's settings (`customer` `None`) or a customer's; empty settings clear them.
pub(super) async fn set_settings(
    console: &Console,
    actor: &Actor,
    customer: Option<&str>,
    settings: RecoverySettings,
) -> Result<RecoveryConfig> {
    let target = customer.unwrap_or("fleet");
    console.require(actor, Role::Admin, "recovery.settings", target).await?;
    settings.validate()?;
    if let Some(id) = customer {
        console.record(id).await?;
    }
    let audit = console.audit_record(actor, "recovery.settings", target);
    console.store.put_recovery_settings(customer, settings, audit).await?;
    console.recovery_config().await
}

/// The customer's launch spec without its user data (which holds the host's TLS key).
pub(super) async fn launch_spec(console: &Console, actor: &Actor, id: &str) -> Result<LaunchSpec> {
    console.require(actor, Role::Viewer, "instance.launch_spec.show", id).await?;
    console.record(id).await?;
    let spec = console.store.launch_spec(id).await?.ok_or_else(|| no_spec(id))?;
    Ok(LaunchSpec { user_data: None, ..spec })
}

/// Changes how the customer's host is launched (a replacement uses it); the user data recorded
/// at onboarding is kept.
pub(super) async fn set_launch_spec(
    console: &Console,
    actor: &Actor,
    id: &str,
    spec: LaunchSpec,
) -> Result<LaunchSpec> {
    console.require(actor, Role::Admin, "instance.launch_spec", id).await?;
    console.record(id).await?;
    spec.validate()?;
    let recorded = console.store.launch_spec(id).await?.ok_or_else(|| no_spec(id))?;
    let spec = LaunchSpec { user_data: recorded.user_data, ..spec };
    let audit = console.audit_record(actor, "instance.launch_spec", id);
    console.store.put_launch_spec(id, spec.clone(), audit).await?;
    Ok(LaunchSpec { user_data: None, ..spec })
}

fn no_spec(id: &str) -> Error {
    Error::blocked(
        format!("customer `{id}` has no launch spec"),
        crate::Remedy::OnboardCustomer { customer: id.to_owned() },
    )
}
