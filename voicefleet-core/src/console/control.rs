//! Acting on a customer's host: start, stop, restart, drain, and reading its logs and its audit
//! file.

use std::sync::Arc;
use std::time::Duration;

use super::{Actor, Console, ControlAction, CustomerRecord};
use crate::auth::Role;
use crate::error::Result;
use crate::host::{Host, HostStatus, LogQuery, StopOptions};
use crate::host_audit::{HostAuditPage, HostAuditVerification};
use crate::logs::LogLine;

impl Console {
    pub(super) fn host(&self, record: &CustomerRecord) -> Result<Arc<dyn Host>> {
        self.hosts.connect(record)
    }
}

pub(super) async fn control(
    console: &Console,
    actor: &Actor,
    id: &str,
    action: ControlAction,
    drain_timeout: Option<Duration>,
) -> Result<HostStatus> {
    let audit_action = format!("agent.{}", action.as_str());
    console.require(actor, Role::Operator, &audit_action, id).await?;
    let record = console.record(id).await?;
    let host = console.host(&record)?;
    let options = StopOptions { timeout: drain_timeout };
    let result = match action {
        ControlAction::Start => host.start().await,
        ControlAction::Stop => host.stop(options).await,
        ControlAction::Restart => host.restart(options).await,
        ControlAction::Drain => host.drain(options).await,
    };
    console.audit_outcome(actor, &audit_action, id, &result).await;
    result
}

pub(super) async fn logs(
    console: &Console,
    actor: &Actor,
    id: &str,
    query: LogQuery,
) -> Result<Vec<LogLine>> {
    console.require(actor, Role::Operator, "logs", id).await?;
    let record = console.record(id).await?;
    console.host(&record)?.logs(query).await
}

pub(super) async fn host_audit(
    console: &Console,
    actor: &Actor,
    id: &str,
    after: u64,
    limit: u32,
) -> Result<HostAuditPage> {
    console.require(actor, Role::Admin, "host_audit.read", id).await?;
    let record = console.record(id).await?;
    console.host(&record)?.audit(after, limit).await
}

pub(super) async fn verify_host_audit(
    console: &Console,
    actor: &Actor,
    id: &str,
) -> Result<HostAuditVerification> {
    console.require(actor, Role::Admin, "host_audit.verify", id).await?;
    let record = console.record(id).await?;
    console.host(&record)?.verify_audit().await
}
