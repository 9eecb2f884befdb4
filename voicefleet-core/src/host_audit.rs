//! The host's audit file as plain data: its entries, their SHA-256 chain, a page of them and a
//! verification. The file itself (append-only, rotated) is the host API's (`voicefleet-http`);
//! the console reads pages and verifications through the [`crate::host::Host`] trait.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// One line of the host's audit file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HostAuditEntry {
    /// 1, 2, 3… across rotations.
    pub seq: u64,
    /// Milliseconds since the Unix epoch.
    pub at_ms: u64,
    /// Who asked: a console token's subject, `break-glass` (the host's admin token), or
    /// `anonymous` (no valid token).
    pub actor: String,
    /// The caller's role (`viewer`, `operator`, `admin`), empty when unknown.
    pub role: String,
    /// What was asked: `config.apply`, `config.patch`, `secret.set`, `secret.delete`,
    /// `agent.restart`, `console_key.add`, …, or `METHOD /route` for a refused read.
    pub action: String,
    /// What it was asked of: the customer, or `secret:NAME`.
    pub target: String,
    /// `ok`, `denied` (401 or 403), `refused` (another 4xx) or `failed` (5xx).
    pub outcome: String,
    /// The HTTP status answered.
    pub status: u16,
    /// The request's `x-request-id`.
    pub request_id: String,
    /// The previous entry's `hash` (empty for the first entry).
    pub prev: String,
    /// `sha256:` of this line with `hash` empty.
    pub hash: String,
}

impl HostAuditEntry {
    /// The hash this entry should carry: SHA-256 of its JSON with `hash` empty.
    pub fn computed_hash(&self) -> String {
        let mut unhashed = self.clone();
        unhashed.hash.clear();
        let bytes = serde_json::to_vec(&unhashed).expect("plain data serializes");
        let digest = Sha256::digest(&bytes);
        format!("sha256:{}", digest.iter().map(|b| format!("{b:02x}")).collect::<String>())
    }
}

/// A page of the host's audit file, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct HostAuditPage {
    /// The entries, oldest first; empty at the end of the file.
    pub entries: Vec<HostAuditEntry>,
    /// Pass as `after` to read on from here.
    pub next_after: u64,
}

/// What verifying the audit files found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct HostAuditVerification {
    /// Every line parsed, hashed right and chained to the one before.
    pub intact: bool,
    /// Lines checked.
    pub entries: u64,
    /// The first entry checked (1 unless older entries were rotated away); 0 when empty.
    pub first_seq: u64,
    /// The last entry's sequence number and hash: the head a reader may keep as an anchor.
    pub last_seq: u64,
    /// The last entry's hash (`sha256:<hex>`); empty when there is no entry.
    pub last_hash: String,
    /// Each break, in words (`entry 12: its hash does not match its content`).
    pub problems: Vec<String>,
}

/// Verifies lines of the audit file, oldest first (pure).
pub fn verify_lines(lines: &[String]) -> HostAuditVerification {
    let mut result = HostAuditVerification {
        intact: true,
        entries: 0,
        first_seq: 0,
        last_seq: 0,
        last_hash: String::new(),
        problems: Vec::new(),
    };
    let mut previous: Option<HostAuditEntry> = None;
    for (index, line) in lines.iter().enumerate() {
        result.entries += 1;
        let entry = match serde_json::from_str::<HostAuditEntry>(line) {
            Ok(entry) => entry,
            Err(error) => {
                result.problems.push(format!("line {}: not an audit entry ({error})", index + 1));
                previous = None;
                continue;
            }
        };
        if entry.hash != entry.computed_hash() {
            result.problems.push(format!("entry {}: its hash does not match its content", entry.seq));
        }
        match &previous {
            Some(before) if entry.seq != before.seq + 1 => result.problems.push(format!(
                "entry {}: follows entry {} (entries missing or reordered)",
                entry.seq, before.seq
            )),
            Some(before) if entry.prev != before.hash => result
                .problems
                .push(format!("entry {}: does not chain to entry {} (prev differs)", entry.seq, before.seq)),
            // The oldest line kept: the very first entry chains to nothing.
            None if index == 0 && entry.seq == 1 && !entry.prev.is_empty() => {
                result.problems.push("entry 1: chains to an entry before the first".to_owned())
            }
            _ => {}
        }
        if index == 0 {
            result.first_seq = entry.seq;
        }
        result.last_seq = entry.seq;
        result.last_hash = entry.hash.clone();
        previous = Some(entry);
    }
    result.intact = result.problems.is_empty();
    result
}
