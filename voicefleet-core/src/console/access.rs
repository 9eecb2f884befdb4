//! Who may do what, and the record of what they did: the role check (a refusal is audited too)
//! and the audit entries of the console's changes and control actions.

use super::audit::{self, AuditEntry, AuditRecord, AuditVerification};
use std::time::Duration;

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
    let verification = audit::verify(&entries, Some(console.secrets.audit_key()));
    Ok(match &console.options.checkpoints {
        Some(log) => log.check(verification, &entries),
        None => verification,
    })
}

impl Console {
    /// Writes a signed checkpoint of the audit chain's head when it moved past the last one (or
    /// the checkpoint file is new); returns the head's seq when one was written.
    pub async fn checkpoint_audit(&self, note: &str) -> Result<Option<u64>> {
        let Some(log) = self.options.checkpoints.clone() else { return Ok(None) };
        let Some((seq, hash)) = self.store.audit_head().await? else { return Ok(None) };
        if log.last().is_some_and(|(last, _)| last >= seq) && log.path().exists() {
            return Ok(None);
        }
        let at_ms = self.options.clock.now_ms();
        let note = note.to_owned();
        tokio::task::spawn_blocking(move || log.write((seq, &hash), at_ms, &note, None))
            .await
            .map_err(|e| Error::Internal { message: e.to_string() })??;
        Ok(Some(seq))
    }

    /// Checkpoints the audit head in the background: once `entries` entries were added since the
    /// last checkpoint, or `every` passed with any added (checked each second).
    pub fn spawn_checkpointer(&self, entries: u64, every: Duration) -> tokio::task::JoinHandle<()> {
        let me = self.me.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1).min(every));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(console) = me.upgrade() else { return };
                let Some(log) = console.options.checkpoints.clone() else { return };
                let Ok(Some((seq, _))) = console.store.audit_head().await else { continue };
                let now = console.options.clock.now_ms();
                let due = match log.last() {
                    None => true,
                    Some((last, at_ms)) => {
                        seq >= last.saturating_add(entries.max(1))
                            || (seq > last && now.saturating_sub(at_ms) >= every.as_millis() as u64)
                    }
                };
                if due && let Err(error) = console.checkpoint_audit("periodic").await {
                    // Core has no logger; the next tick retries.
                    eprintln!("voicefleet console: cannot write the audit checkpoint: {error}");
                }
            }
        })
    }
}
