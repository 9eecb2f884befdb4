//! The audit chain: every entry's hash covers its fields and the previous entry's hash, so an
//! edited or deleted row breaks the chain at a point `verify` reports.
//!
//! Hashes are versioned by their prefix, and history is never rewritten:
//! - `sha256:` entries (written before the keyed chain existed) are a plain SHA-256, which anyone
//!   holding the database could recompute after deleting a row;
//! - `hmac-sha256:` entries are HMAC-SHA256 under the [`AuditKey`], which is not in the
//!   database. Once the chain has a keyed entry, a plain one after it is a break (a chain
//!   rebuilt by someone without the key).
//!
//! Deleting the newest entries (truncation) leaves a consistent chain: the signed checkpoints
//! kept outside the database (`checkpoint.rs`) catch that.

use hkdf::Hkdf;
use hmac::{Hmac, Mac as _};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// One audit entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AuditEntry {
    /// The entry's position in the chain, from 1.
    pub seq: u64,
    /// When it happened, in milliseconds since the Unix epoch.
    pub at_ms: u64,
    /// Who: a user (`admin`), an API token (`token:ci`), a local user (`local:alice`) or the
    /// console itself (`voicefleet`).
    pub actor: String,
    /// What, as `group.verb` (`config.deploy`, `secret.set`, `user.add`, `login`).
    pub action: String,
    /// What it was done to: a customer id, `ID#REVISION`, `ID/SECRET`, a user or token; empty for
    /// the console itself.
    pub target: String,
    /// The request id of the transport request that caused it; empty when there was none.
    pub request_id: String,
    /// `ok`, `denied`, `failed: ...`.
    pub outcome: String,
    /// The previous entry's `hash` (`sha256:` and 64 zeros for the first entry).
    pub prev_hash: String,
    /// This entry's hash over its fields and `prev_hash`: `hmac-sha256:<hex>` under the audit key,
    /// or `sha256:<hex>` for entries written before the keyed chain.
    pub hash: String,
}

impl AuditEntry {
    fn record(&self) -> AuditRecord {
        AuditRecord {
            actor: self.actor.clone(),
            action: self.action.clone(),
            target: self.target.clone(),
            request_id: self.request_id.clone(),
            outcome: self.outcome.clone(),
            at_ms: self.at_ms,
        }
    }
}

/// What is recorded, before sequencing and hashing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// Who (see [`AuditEntry::actor`]).
    pub actor: String,
    /// What (`config.deploy`).
    pub action: String,
    /// What it was done to (see [`AuditEntry::target`]).
    pub target: String,
    /// The transport's request id; empty when there is none.
    pub request_id: String,
    /// `ok`, `denied` or `failed: REASON`.
    pub outcome: String,
    /// When it happened, milliseconds since the Unix epoch (from the writer's clock).
    pub at_ms: u64,
}

/// The hash of the chain's start.
pub const GENESIS: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

/// The prefix of a plain SHA-256 entry hash (the chain's first format).
pub const PLAIN_PREFIX: &str = "sha256:";
/// The prefix of a keyed entry hash.
pub const KEYED_PREFIX: &str = "hmac-sha256:";

/// The HKDF label the audit key is derived under (distinct from every other use of the master key).
const AUDIT_KEY_LABEL: &[u8] = b"voicefleet audit chain hmac-sha256 v1";

/// The audit chain's MAC key.
///
/// It is derived from the console's master key with HKDF-SHA256 under its own label, rather
/// than kept in a file of its own: the master key already lives outside the database (its own
/// file, 0600, or `VOICEFLEET_MASTER_KEY`) and already has its own backup, so the audit key
/// needs no new file to protect, back up or restore, and a restored console with its master
/// key verifies its history. The label separates it from the secrets' encryption key: knowing
/// one use of the master key reveals nothing of the other.
#[derive(Clone)]
pub struct AuditKey([u8; 32]);

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(..)")
    }
}

impl AuditKey {
    /// The audit key of a master key.
    pub fn derive(master_key: &[u8; 32]) -> AuditKey {
        let mut key = [0u8; 32];
        Hkdf::<Sha256>::new(None, master_key)
            .expand(AUDIT_KEY_LABEL, &mut key)
            .expect("32 bytes is a valid HKDF-SHA256 length");
        AuditKey(key)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The fields an entry's hash covers, length-prefixed so no two different entries serialize
/// alike.
fn covered(seq: u64, at_ms: u64, record: &AuditRecord, prev_hash: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for field in [
        seq.to_string().as_str(),
        at_ms.to_string().as_str(),
        &record.actor,
        &record.action,
        &record.target,
        &record.request_id,
        &record.outcome,
        prev_hash,
    ] {
        out.extend_from_slice(&(field.len() as u64).to_be_bytes());
        out.extend_from_slice(field.as_bytes());
    }
    out
}

/// The hash of an entry: keyed (`hmac-sha256:`) with `key`, else plain (`sha256:`, the first
/// format, still verifiable).
pub fn entry_hash(
    seq: u64,
    at_ms: u64,
    record: &AuditRecord,
    prev_hash: &str,
    key: Option<&AuditKey>,
) -> String {
    let bytes = covered(seq, at_ms, record, prev_hash);
    match key {
        Some(key) => {
            let mut mac = Hmac::<Sha256>::new_from_slice(&key.0).expect("HMAC takes any key length");
            mac.update(&bytes);
            format!("{KEYED_PREFIX}{}", hex(&mac.finalize().into_bytes()))
        }
        None => format!("{PLAIN_PREFIX}{}", hex(&Sha256::digest(&bytes))),
    }
}

/// Whether an entry's hash is keyed.
pub fn is_keyed(hash: &str) -> bool {
    hash.starts_with(KEYED_PREFIX)
}

/// The newest checkpoint `verify` checked, for the answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CheckpointSummary {
    /// The entry it vouches for.
    pub seq: u64,
    /// When it was written.
    pub at_ms: u64,
    /// Why it was written (`periodic`, `shutdown`, `restore of …`).
    pub note: String,
}

/// The result of checking the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AuditVerification {
    /// Whether the whole chain checks out (and matches the checkpoints).
    pub ok: bool,
    /// Entries checked.
    pub entries: u64,
    /// The first entry whose chain breaks (edited, following a deleted one, rebuilt, or the first
    /// one missing after a truncation).
    pub first_broken_seq: Option<u64>,
    /// Why the chain breaks there; none when it checks out.
    pub reason: Option<String>,
    /// Signed checkpoints (kept outside the database) the chain was checked against.
    #[serde(default)]
    pub checkpoints: u64,
    /// The newest of them.
    #[serde(default)]
    pub latest_checkpoint: Option<CheckpointSummary>,
}

impl AuditVerification {
    pub(crate) fn broken(entries: u64, seq: u64, reason: String) -> AuditVerification {
        AuditVerification {
            ok: false,
            entries,
            first_broken_seq: Some(seq),
            reason: Some(reason),
            checkpoints: 0,
            latest_checkpoint: None,
        }
    }
}

/// Checks entries in sequence order: their sequence, links and hashes, keyed ones with `key`.
pub fn verify(entries: &[AuditEntry], key: Option<&AuditKey>) -> AuditVerification {
    let count = entries.len() as u64;
    let mut prev = GENESIS.to_owned();
    let mut keyed_since: Option<u64> = None;
    for (expected_seq, entry) in (1u64..).zip(entries) {
        let keyed = is_keyed(&entry.hash);
        let reason = if entry.seq != expected_seq {
            Some(format!("entry {expected_seq} is missing"))
        } else if entry.prev_hash != prev {
            Some("its previous-hash does not match the entry before it".to_owned())
        } else if !keyed && !entry.hash.starts_with(PLAIN_PREFIX) {
            Some("its hash has an unknown format".to_owned())
        } else if let (false, Some(since)) = (keyed, keyed_since) {
            Some(format!(
                "it has a plain SHA-256 hash after keyed entries (since entry {since}): the chain was rebuilt without the audit key"
            ))
        } else if keyed && key.is_none() {
            Some(
                "it is chained with the audit key, and no key is at hand: give the console's master key"
                    .to_owned(),
            )
        } else if entry_hash(entry.seq, entry.at_ms, &entry.record(), &entry.prev_hash, key.filter(|_| keyed))
            != entry.hash
        {
            Some(if keyed {
                "its content does not match its MAC (edited, or rebuilt without the audit key)".to_owned()
            } else {
                "its content does not match its hash (edited)".to_owned()
            })
        } else {
            None
        };
        if let Some(reason) = reason {
            return AuditVerification::broken(count, entry.seq.min(expected_seq), reason);
        }
        if keyed && keyed_since.is_none() {
            keyed_since = Some(entry.seq);
        }
        prev = entry.hash.clone();
    }
    AuditVerification {
        ok: true,
        entries: count,
        first_broken_seq: None,
        reason: None,
        checkpoints: 0,
        latest_checkpoint: None,
    }
}
