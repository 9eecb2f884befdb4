//! Signed checkpoints of the audit chain's head, kept outside the database.
//!
//! The keyed chain (`audit.rs`) stops anyone without the audit key from editing or rebuilding
//! entries, but deleting the newest entries leaves a chain that is still consistent. So, every
//! so many entries or seconds, on a clean shutdown and at every open, the console appends the
//! head it has reached (sequence number, hash, time) to an append-only file in a directory of
//! its own, signed with the console's Ed25519 key. `audit verify` then checks that the chain
//! reaches every checkpoint with the same hash: a deleted tail (truncation) or a rewritten chain
//! is reported with the entry where it breaks.
//!
//! A restore writes an *anchor*: a checkpoint at the restored head that names the backup's head.
//! Earlier checkpoints past that head describe history the restore replaced; they are not held
//! against the restored chain (those up to it still are).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use serde::{Deserialize, Serialize};

use super::audit::{AuditEntry, AuditVerification, CheckpointSummary};
use crate::error::{Error, Result};

/// The checkpoint file's name in its directory.
pub const CHECKPOINT_FILE: &str = "audit-checkpoints.jsonl";
/// The environment variable naming the checkpoint directory.
pub const CHECKPOINTS_ENV: &str = "VOICEFLEET_AUDIT_CHECKPOINTS";

/// The file of the console's earlier public keys in its data directory (PEM blocks, oldest
/// first), written by a signing-key rotation: their checkpoints stay trusted.
pub const PREVIOUS_KEYS_FILE: &str = "console.previous.pub.pem";

/// The console's earlier public keys in `data_dir`; a block that does not parse is skipped (its
/// checkpoints then read as untrusted).
pub fn previous_keys(data_dir: &Path) -> Vec<VerifyingKey> {
    use ed25519_dalek::pkcs8::DecodePublicKey as _;
    let text = std::fs::read_to_string(data_dir.join(PREVIOUS_KEYS_FILE)).unwrap_or_default();
    text.split_inclusive("-----END PUBLIC KEY-----")
        .filter_map(|block| VerifyingKey::from_public_key_pem(block.trim()).ok())
        .collect()
}

/// The checkpoint directory of a console: `VOICEFLEET_AUDIT_CHECKPOINTS` when set, else
/// `DATA/audit-checkpoints` (a directory of its own, so it can be pointed at another disk or
/// machine; the packaged console keeps it in `/var/lib/voicefleet-audit`).
pub fn default_dir(data_dir: &Path) -> PathBuf {
    match std::env::var_os(CHECKPOINTS_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => data_dir.join("audit-checkpoints"),
    }
}

/// One signed checkpoint (one line of the file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The entry it vouches for: the chain's head when it was written.
    pub seq: u64,
    /// That entry's hash.
    pub hash: String,
    /// When the checkpoint was written, in milliseconds since the Unix epoch.
    pub at_ms: u64,
    /// Why it was written (`periodic`, `shutdown`, `restore of …`).
    pub note: String,
    /// On a restore's anchor: the head of the backup it restored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restored_from: Option<u64>,
    /// The signer's Ed25519 public key, hex.
    pub key: String,
    /// The Ed25519 signature of the fields above, hex.
    pub signature: String,
}

impl Checkpoint {
    /// The signed bytes: a label, then each field length-prefixed.
    fn signed_bytes(&self) -> Vec<u8> {
        let restored = self.restored_from.map(|seq| seq.to_string()).unwrap_or_default();
        let mut out = Vec::new();
        for field in [
            "voicefleet audit checkpoint v1",
            &self.seq.to_string(),
            &self.hash,
            &self.at_ms.to_string(),
            &self.note,
            &restored,
            &self.key,
        ] {
            out.extend_from_slice(&(field.len() as u64).to_be_bytes());
            out.extend_from_slice(field.as_bytes());
        }
        out
    }

    fn summary(&self) -> CheckpointSummary {
        CheckpointSummary { seq: self.seq, at_ms: self.at_ms, note: self.note.clone() }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn unhex<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    for (index, chunk) in text.as_bytes().chunks(2).enumerate() {
        out[index] = u8::from_str_radix(std::str::from_utf8(chunk).ok()?, 16).ok()?;
    }
    Some(out)
}

/// Signs `checkpoint`'s fields with `signing` (filling its key and signature).
pub fn sign(mut checkpoint: Checkpoint, signing: &SigningKey) -> Checkpoint {
    checkpoint.key = hex(signing.verifying_key().as_bytes());
    checkpoint.signature = hex(&signing.sign(&checkpoint.signed_bytes()).to_bytes());
    checkpoint
}

/// Appends one line to `path` (created 0600 with its directory 0700), flushed to disk.
pub fn append_line(path: &Path, checkpoint: &Checkpoint) -> Result<()> {
    let io = |e| Error::io(format!("cannot write the audit checkpoint {}", path.display()), e);
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
        }
    }
    let mut line = serde_json::to_vec(checkpoint).map_err(|e| Error::Internal { message: e.to_string() })?;
    line.push(b'\n');
    let mut options = std::fs::OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io)?;
    file.write_all(&line).map_err(io)?;
    file.sync_data().map_err(io)
}

/// Reads `path`'s checkpoints and checks each signature against `trusted`. `Ok(None)` when the
/// file does not exist; `Err` names the first line that is not a checkpoint signed by a trusted
/// key.
pub fn read(path: &Path, trusted: &[VerifyingKey]) -> std::result::Result<Option<Vec<Checkpoint>>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(format!("cannot read the audit checkpoints {}: {error}", path.display())),
    };
    let mut checkpoints = Vec::new();
    for (number, line) in (1..).zip(text.lines()) {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |why: &str| format!("line {number} of the audit checkpoints {} {why}", path.display());
        let checkpoint: Checkpoint =
            serde_json::from_str(line).map_err(|_| bad("is not a checkpoint (altered)"))?;
        let key = unhex::<32>(&checkpoint.key)
            .and_then(|bytes| trusted.iter().find(|key| key.as_bytes() == &bytes))
            .ok_or_else(|| bad("is signed by a key this console does not trust (forged)"))?;
        let signature = unhex::<64>(&checkpoint.signature)
            .map(|bytes| Signature::from_bytes(&bytes))
            .ok_or_else(|| bad("has no valid signature (altered)"))?;
        key.verify(&checkpoint.signed_bytes(), &signature)
            .map_err(|_| bad("does not match its signature (altered or forged)"))?;
        checkpoints.push(checkpoint);
    }
    Ok(Some(checkpoints))
}

/// The console's checkpoint file, the key that signs it and the keys it trusts.
pub struct CheckpointLog {
    path: PathBuf,
    signing: SigningKey,
    trusted: Vec<VerifyingKey>,
    /// The newest checkpoint written or read: (seq, written at ms).
    last: Mutex<Option<(u64, u64)>>,
}

impl std::fmt::Debug for CheckpointLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckpointLog").field("path", &self.path).finish_non_exhaustive()
    }
}

impl CheckpointLog {
    /// The log in `dir` (created when first written), signed with `signing`; its own public key
    /// is trusted, and so are `previous` keys (a rotated signing key's checkpoints).
    pub fn new(dir: &Path, signing: SigningKey, previous: Vec<VerifyingKey>) -> CheckpointLog {
        let mut trusted = vec![signing.verifying_key()];
        trusted.extend(previous);
        let path = dir.join(CHECKPOINT_FILE);
        let last = read(&path, &trusted).ok().flatten().and_then(|all| all.last().map(|c| (c.seq, c.at_ms)));
        CheckpointLog { path, signing, trusted, last: Mutex::new(last) }
    }

    /// The checkpoint file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The newest checkpoint's (seq, written at ms).
    pub fn last(&self) -> Option<(u64, u64)> {
        *self.last.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Signs and appends a checkpoint of `head` (seq, hash).
    pub fn write(
        &self,
        head: (u64, &str),
        at_ms: u64,
        note: &str,
        restored_from: Option<u64>,
    ) -> Result<Checkpoint> {
        let checkpoint = sign(
            Checkpoint {
                seq: head.0,
                hash: head.1.to_owned(),
                at_ms,
                note: note.to_owned(),
                restored_from,
                key: String::new(),
                signature: String::new(),
            },
            &self.signing,
        );
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        append_line(&self.path, &checkpoint)?;
        *last = Some((checkpoint.seq, at_ms));
        Ok(checkpoint)
    }

    /// Checks `verification` (of `entries`, oldest first) against this log's checkpoints.
    pub fn check(&self, verification: AuditVerification, entries: &[AuditEntry]) -> AuditVerification {
        check(verification, entries, read(&self.path, &self.trusted), &self.path)
    }
}

fn time(at_ms: u64) -> String {
    humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + std::time::Duration::from_millis(at_ms))
        .to_string()
}

/// Checks the chain's verification against signed checkpoints: the chain must reach every
/// checkpoint not superseded by a later restore's anchor, with the same hash there. Keeps the
/// earliest break (the chain's own, or the checkpoints').
pub fn check(
    mut verification: AuditVerification,
    entries: &[AuditEntry],
    checkpoints: std::result::Result<Option<Vec<Checkpoint>>, String>,
    path: &Path,
) -> AuditVerification {
    let checkpoints = match checkpoints {
        Ok(Some(checkpoints)) => checkpoints,
        Ok(None) if entries.is_empty() => return verification,
        Ok(None) => {
            verification.ok = false;
            verification.reason.get_or_insert_with(|| {
                format!(
                    "the audit checkpoint file {} is missing: it was deleted, or the console is pointed at another audit checkpoint directory",
                    path.display()
                )
            });
            return verification;
        }
        Err(reason) => {
            verification.ok = false;
            verification.reason.get_or_insert(reason);
            return verification;
        }
    };
    // Newest first: a restore's anchor supersedes older checkpoints past the head it restored.
    let mut floor = u64::MAX;
    let mut effective = Vec::new();
    for checkpoint in checkpoints.iter().rev() {
        if checkpoint.seq <= floor {
            effective.push(checkpoint);
        }
        if let Some(restored) = checkpoint.restored_from {
            floor = floor.min(restored);
        }
    }
    effective.sort_by_key(|c| (c.seq, c.at_ms));
    verification.checkpoints = effective.len() as u64;
    verification.latest_checkpoint = checkpoints.last().map(Checkpoint::summary);
    let last_seq = entries.last().map_or(0, |e| e.seq);
    let mut confirmed = 0;
    let mut problem: Option<(u64, String)> = None;
    for checkpoint in effective {
        if checkpoint.seq > last_seq {
            problem = Some((
                last_seq + 1,
                format!(
                    "the log ends at entry {last_seq}, but a signed checkpoint of {} vouches for entry {}: entries after {last_seq} were deleted (truncated)",
                    time(checkpoint.at_ms),
                    checkpoint.seq
                ),
            ));
            break;
        }
        let found = entries.binary_search_by_key(&checkpoint.seq, |e| e.seq).ok().map(|i| &entries[i]);
        if found.is_none_or(|entry| entry.hash != checkpoint.hash) {
            problem = Some((
                confirmed + 1,
                format!(
                    "entry {} does not match the signed checkpoint of {}: the chain after entry {confirmed} was rewritten or rows were deleted",
                    checkpoint.seq,
                    time(checkpoint.at_ms)
                ),
            ));
            break;
        }
        confirmed = checkpoint.seq;
    }
    // A break the chain walk found is exact; the checkpoints only add what it cannot see.
    if let Some((seq, reason)) = problem
        && verification.ok
    {
        verification.ok = false;
        verification.first_broken_seq = Some(seq);
        verification.reason = Some(reason);
    }
    verification
}
