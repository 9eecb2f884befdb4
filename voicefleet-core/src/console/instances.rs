//! Customer hosts as cloud instances, through the console: the last sync's picture, a sync,
//! an action on a customer's instance (start, stop, reboot; terminate for admins), a resize
//! (drained first). The cloud is the [`InstanceProvider`] the console was given; the mapping
//! and the resize steps are core's (`crate::instances`).

use std::sync::Arc;

use super::{Actor, Console};
use crate::auth::Role;
use crate::error::{Error, Result};
use crate::host::StopOptions;
use crate::instances::{
    Instance, InstanceAction, InstanceMapping, InstanceProvider, MappedCustomer, map_instances, resize,
};

/// What the console knows of its customers' hosts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceReport {
    /// Where the instances were read (`ec2 us-east-1`); `None` when the console has no provider.
    pub provider: Option<String>,
    /// When the cloud was last read; `None` before the first sync.
    pub synced_at_ms: Option<u64>,
    /// Which instance belongs to which customer, and what does not match.
    pub mapping: InstanceMapping,
}

/// An action on a customer's instance (resizing is [`super::Fleet::resize_instance`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InstanceControl {
    /// Start the stopped instance.
    Start,
    /// Drain the agent, then stop the instance.
    Stop,
    /// Reboot the instance in place (the agent is not drained first).
    Reboot,
    /// Admins only; the instance and its disks are gone for good.
    Terminate,
}

impl InstanceControl {
    /// The stable name used by every API (`start`, `stop`, `reboot`, `terminate`).
    pub fn as_str(self) -> &'static str {
        match self {
            InstanceControl::Start => "start",
            InstanceControl::Stop => "stop",
            InstanceControl::Reboot => "reboot",
            InstanceControl::Terminate => "terminate",
        }
    }

    /// Parses [`InstanceControl::as_str`]; none for any other text.
    pub fn parse(text: &str) -> Option<Self> {
        [InstanceControl::Start, InstanceControl::Stop, InstanceControl::Reboot, InstanceControl::Terminate]
            .into_iter()
            .find(|control| control.as_str() == text)
    }

    /// The role it takes.
    pub fn role(self) -> Role {
        match self {
            InstanceControl::Terminate => Role::Admin,
            _ => Role::Operator,
        }
    }

    fn action(self) -> InstanceAction {
        match self {
            InstanceControl::Start => InstanceAction::Start,
            InstanceControl::Stop => InstanceAction::Stop,
            InstanceControl::Reboot => InstanceAction::Reboot,
            InstanceControl::Terminate => InstanceAction::Terminate,
        }
    }
}

impl Console {
    /// Gives the console its cloud (once; later calls are ignored and return false).
    pub fn set_instance_provider(&self, provider: Arc<dyn InstanceProvider>) -> bool {
        self.instance_provider.set(provider).is_ok()
    }

    pub(super) fn provider(&self) -> Result<&Arc<dyn InstanceProvider>> {
        // A console set up without a cloud: no retry will help (not `Unavailable`, a 503), the
        // console's configuration has to change.
        self.instance_provider.get().ok_or_else(|| {
            Error::blocked("this console has no instance provider", crate::Remedy::ConfigureCloud)
        })
    }

    pub(super) async fn report(&self) -> Result<InstanceReport> {
        let customers = self.store.customers().await?;
        let (instances, synced_at_ms) = self.store.instances().await?;
        // Every stored customer has its endpoint set; the mapping derives one only for those
        // that have none (onboarding).
        let customers: Vec<MappedCustomer> = customers
            .into_iter()
            .filter_map(|c| {
                let id = crate::customer::CustomerId::parse(&c.id).ok()?;
                Some(MappedCustomer { id, endpoint: c.endpoint.parse().ok() })
            })
            .collect();
        Ok(InstanceReport {
            provider: self.instance_provider.get().map(|p| p.describe()),
            synced_at_ms,
            mapping: map_instances(&customers, instances, self.options.instance_mapping),
        })
    }

    /// The customer's instance as last stored, or a conflict that says to sync.
    async fn customer_instance(&self, id: &str) -> Result<Instance> {
        self.record(id).await?;
        let report = self.report().await?;
        report.mapping.linked.into_iter().find(|l| l.customer.as_str() == id).map(|l| l.instance).ok_or_else(
            || {
                Error::blocked(
                    format!("customer `{id}` has no instance the console knows of"),
                    crate::Remedy::SyncInstances,
                )
            },
        )
    }

    /// Drains the customer's agent before its host goes down; a host that does not answer has
    /// nothing to drain.
    async fn drain_before(&self, id: &str) -> Result<()> {
        let record = self.record(id).await?;
        match self.host(&record)?.drain(StopOptions::default()).await {
            Ok(_) => Ok(()),
            Err(error) if error.kind() == crate::ErrorKind::Unavailable => Ok(()),
            Err(error) => Err(error),
        }
    }

    pub(super) async fn store_instance(&self, instance: &Instance) -> Result<()> {
        self.store.put_instance(instance.clone(), self.options.clock.now_ms()).await
    }
}

pub(super) async fn list(console: &Console, actor: &Actor) -> Result<InstanceReport> {
    console.require(actor, Role::Viewer, "instances.list", "").await?;
    console.report().await
}

pub(super) async fn sync(console: &Console, actor: &Actor) -> Result<InstanceReport> {
    console.require(actor, Role::Operator, "instances.sync", "").await?;
    let provider = console.provider()?;
    let found = provider.discover().await;
    if found.is_err() {
        console.audit_outcome(actor, "instances.sync", "", &found).await;
    }
    let found = found?;
    let audit = console.audit_record(actor, "instances.sync", "");
    console.store.replace_instances(found, console.options.clock.now_ms(), audit).await?;
    console.report().await
}

pub(super) async fn control(
    console: &Console,
    actor: &Actor,
    id: &str,
    control: InstanceControl,
) -> Result<Instance> {
    let audit_action = format!("instance.{}", control.as_str());
    console.require(actor, control.role(), &audit_action, id).await?;
    let provider = console.provider()?.clone();
    let result = async {
        let instance = console.customer_instance(id).await?;
        if matches!(control, InstanceControl::Stop | InstanceControl::Terminate) {
            console.drain_before(id).await?;
        }
        provider.act(&instance.id, &control.action()).await?;
        let after = provider.instance(&instance.id).await?;
        console.store_instance(&after).await?;
        Ok(after)
    }
    .await;
    console.audit_outcome(actor, &audit_action, id, &result).await;
    result
}

pub(super) async fn resize_instance(
    console: &Console,
    actor: &Actor,
    id: &str,
    instance_type: &str,
) -> Result<Instance> {
    console.require(actor, Role::Operator, "instance.resize", id).await?;
    let provider = console.provider()?.clone();
    let result = async {
        let instance = console.customer_instance(id).await?;
        if instance.instance_type != instance_type {
            console.drain_before(id).await?;
        }
        let after = resize(provider.as_ref(), &instance.id, instance_type, console.options.resize).await?;
        console.store_instance(&after).await?;
        Ok(after)
    }
    .await;
    console.audit_outcome(actor, "instance.resize", id, &result).await;
    result
}
