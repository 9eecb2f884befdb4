//! The audit chain: every entry's hash covers its fields and the previous entry's hash, so an
//! edited or deleted row breaks the chain at a point `verify` reports.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// One audit entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AuditEntry {
    pub seq: u64,
    pub at_ms: u64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub request_id: String,
    /// `ok`, `denied`, `failed: ...`.
    pub outcome: String,
    pub prev_hash: String,
    pub hash: String,
}

/// What is recorded, before sequencing and hashing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub actor: String,
    pub action: String,
    pub target: String,
    pub request_id: String,
    pub outcome: String,
    /// When it happened, milliseconds since the Unix epoch (from the writer's clock).
    pub at_ms: u64,
}

/// The hash of the chain's start.
pub const GENESIS: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

/// The hash of an entry: its fields and the previous hash, length-prefixed so no two different
/// entries serialize alike.
pub fn entry_hash(seq: u64, at_ms: u64, record: &AuditRecord, prev_hash: &str) -> String {
    let mut hasher = Sha256::new();
    for field in [
        &seq.to_string(),
        &at_ms.to_string(),
        &record.actor,
        &record.action,
        &record.target,
        &record.request_id,
        &record.outcome,
        &prev_hash.to_owned(),
    ] {
        hasher.update((field.len() as u64).to_be_bytes());
        hasher.update(field.as_bytes());
    }
    let digest = hasher.finalize();
    let mut out = String::from("sha256:");
    for byte in digest {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// The result of checking the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AuditVerification {
    pub ok: bool,
    pub entries: u64,
    /// The first entry whose chain breaks (edited, or following a deleted one).
    pub first_broken_seq: Option<u64>,
    pub reason: Option<String>,
}

/// Checks entries in sequence order.
pub fn verify(entries: &[AuditEntry]) -> AuditVerification {
    let mut prev = GENESIS.to_owned();
    for (expected_seq, entry) in (1u64..).zip(entries) {
        let record = AuditRecord {
            actor: entry.actor.clone(),
            action: entry.action.clone(),
            target: entry.target.clone(),
            request_id: entry.request_id.clone(),
            outcome: entry.outcome.clone(),
            at_ms: entry.at_ms,
        };
        let reason = if entry.seq != expected_seq {
            Some(format!("entry {expected_seq} is missing"))
        } else if entry.prev_hash != prev {
            Some("its previous-hash does not match the entry before it".to_owned())
        } else if entry_hash(entry.seq, entry.at_ms, &record, &entry.prev_hash) != entry.hash {
            Some("its content does not match its hash (edited)".to_owned())
        } else {
            None
        };
        if let Some(reason) = reason {
            return AuditVerification {
                ok: false,
                entries: entries.len() as u64,
                first_broken_seq: Some(entry.seq.min(expected_seq)),
                reason: Some(reason),
            };
        }
        prev = entry.hash.clone();
    }
    AuditVerification { ok: true, entries: entries.len() as u64, first_broken_seq: None, reason: None }
}
