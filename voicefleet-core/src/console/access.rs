//! Who may do what, and the record of what they did: the role check (a refusal is audited too)
//! and the audit entries of the console's changes and control actions.

use super::audit::{self, AuditEntry, AuditRecord, AuditVerification};
use super::{Actor, Console};
use crate::auth::Role;
use crate::error::{Error, Result};

impl Console {
    /// The audit entry of `action` on `target` by `actor`, as succeeded now.
    pub(super) fn audit_record(&self, actor: &Actor, action: &str, target: &str) -> AuditRecord {
        AuditRecord {
            actor: actor.name.clone(),
            action: action.to_owned(),
            target: target.to_owned(),
            request_id: actor.request_id.clone(),
            outcome: "ok".to_owned(),
            at_ms: self.options.clock.now_ms(),
        }
    }

    /// Refuses (and audits the refusal of) a caller below `needed`.
    pub(super) async fn require(
        &self,
        actor: &Actor,
        needed: Role,
        action: &str,
        target: &str,
    ) -> Result<()> {
        if actor.role.allows(needed) {
            return Ok(());
        }
        let mut record = self.audit_record(actor, action, target);
        record.outcome = "denied".to_owned();
        let _ = self.store.append_audit(record).await;
        Err(Error::Forbidden { actor: actor.name.clone(), role: actor.role, needed })
    }

    /// Audits an action that changes nothing the store keeps (a host's control, a failed deploy)
    /// with its outcome.
    pub(super) async fn audit_outcome<T>(
        &self,
        actor: &Actor,
        action: &str,
        target: &str,
        result: &Result<T>,
    ) {
        let mut record = self.audit_record(actor, action, target);
        if let Err(error) = result {
            record.outcome = format!("failed: {}", error.kind().as_str());
        }
        let _ = self.store.append_audit(record).await;
    }
}

pub(super) async fn list(
    console: &Console,
    actor: &Actor,
    after: u64,
    limit: usize,
) -> Result<Vec<AuditEntry>> {
    console.require(actor, Role::Admin, "audit.list", "").await?;
    console.store.audit(after, limit).await
}

pub(super) async fn newest(
    console: &Console,
    actor: &Actor,
    query: &super::AuditQuery,
) -> Result<Vec<AuditEntry>> {
    console.require(actor, Role::Admin, "audit.list", "").await?;
    console.store.audit_newest(query).await
}

pub(super) async fn verify(console: &Console, actor: &Actor) -> Result<AuditVerification> {
    console.require(actor, Role::Admin, "audit.verify", "").await?;
    let mut entries = Vec::new();
    let mut after = 0;
    loop {
        let page = console.store.audit(after, 10_000).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        entries.extend(page);
    }
    Ok(audit::verify(&entries))
}
