//! The host's append-only audit file, `STATE/audit.log`: one JSON line per change asked of this
//! host and per refused request, each chained to the one before by SHA-256, so an edited,
//! removed or inserted line breaks the chain where it happened.
//!
//! The file is opened `O_APPEND`, created 0600, and flushed to disk (`fdatasync`) after every
//! line. Past [`MAX_FILE_BYTES`] it is renamed `audit.log.1` (replacing the previous one) and a
//! new file goes on with the same chain: the host keeps at most twice that. [`HostAudit::verify`]
//! checks both files; what was rotated out before `audit.log.1` is gone, and verification says
//! from which entry it could check.
//!
//! What the chain does not stop: someone who can write the file (root on the host) rebuilding
//! the whole chain after an edit. The chain's head, read by the console over `/v1/audit`, is the
//! anchor against that.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use voicefleet_core::host_audit::verify_lines;
pub(crate) use voicefleet_core::host_audit::{HostAuditEntry, HostAuditVerification};
use voicefleet_core::{Error, Result};

/// Past this size the file is rotated (one older file kept).
pub(crate) const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// What a caller did, before it is numbered and chained.
#[derive(Debug, Clone)]
pub(crate) struct AuditRecord {
    pub(crate) at_ms: u64,
    pub(crate) actor: String,
    pub(crate) role: String,
    pub(crate) action: String,
    pub(crate) target: String,
    pub(crate) status: u16,
    pub(crate) request_id: String,
}

/// The outcome word of an HTTP status.
fn outcome(status: u16) -> &'static str {
    match status {
        401 | 403 => "denied",
        400..=499 => "refused",
        500.. => "failed",
        _ => "ok",
    }
}

struct Writer {
    file: File,
    size: u64,
    last_seq: u64,
    last_hash: String,
}

/// The host's audit file.
pub(crate) struct HostAudit {
    path: PathBuf,
    rotated: PathBuf,
    writer: Mutex<Writer>,
}

impl std::fmt::Debug for HostAudit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostAudit").field("path", &self.path).finish_non_exhaustive()
    }
}

fn open_append(path: &Path) -> Result<File> {
    use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| Error::io(format!("cannot open the audit file {}", path.display()), e))?;
    // A file left with looser bits becomes private.
    let _ = file.set_permissions(std::fs::Permissions::from_mode(0o600));
    Ok(file)
}

/// The lines of `path` (none when it is missing), with their text.
fn read_lines(path: &Path) -> Result<Vec<String>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(String::from_utf8_lossy(&bytes).lines().map(str::to_owned).collect()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(error) => Err(Error::io(format!("cannot read the audit file {}", path.display()), error)),
    }
}

impl HostAudit {
    /// Opens (or creates) the audit file at `path`, going on from its last entry.
    pub(crate) fn open(path: PathBuf) -> Result<HostAudit> {
        let rotated = rotated_path(&path);
        let file = open_append(&path)?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        let mut last = read_lines(&path)?;
        if last.is_empty() {
            last = read_lines(&rotated)?;
        }
        let head = last.iter().rev().find_map(|line| serde_json::from_str::<HostAuditEntry>(line).ok());
        let (last_seq, last_hash) = head.map_or((0, String::new()), |entry| (entry.seq, entry.hash));
        Ok(HostAudit { path, rotated, writer: Mutex::new(Writer { file, size, last_seq, last_hash }) })
    }

    /// Appends one entry, chained and flushed to disk; rotates the file first when it is full.
    pub(crate) fn append(&self, record: AuditRecord) -> Result<HostAuditEntry> {
        let mut writer = self.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut entry = HostAuditEntry {
            seq: writer.last_seq + 1,
            at_ms: record.at_ms,
            actor: record.actor,
            role: record.role,
            action: record.action,
            target: record.target,
            outcome: outcome(record.status).to_owned(),
            status: record.status,
            request_id: record.request_id,
            prev: writer.last_hash.clone(),
            hash: String::new(),
        };
        entry.hash = entry.computed_hash();
        let mut line = serde_json::to_vec(&entry).expect("plain data serializes");
        line.push(b'\n');
        if writer.size > 0 && writer.size + line.len() as u64 > MAX_FILE_BYTES {
            std::fs::rename(&self.path, &self.rotated)
                .map_err(|e| Error::io(format!("cannot rotate the audit file {}", self.path.display()), e))?;
            writer.file = open_append(&self.path)?;
            writer.size = 0;
        }
        // One write of the whole line: O_APPEND puts it at the end, whole.
        writer
            .file
            .write_all(&line)
            .and_then(|()| writer.file.sync_data())
            .map_err(|e| Error::io(format!("cannot write the audit file {}", self.path.display()), e))?;
        writer.size += line.len() as u64;
        writer.last_seq = entry.seq;
        writer.last_hash = entry.hash.clone();
        Ok(entry)
    }

    /// Every line kept, oldest first (the rotated file, then the current one).
    fn all_lines(&self) -> Result<Vec<String>> {
        let _writer = self.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut lines = read_lines(&self.rotated)?;
        lines.extend(read_lines(&self.path)?);
        Ok(lines)
    }

    /// Entries after `after`, at most `limit` of them, oldest first. Lines that do not parse
    /// are skipped here (verification names them).
    pub(crate) fn page(&self, after: u64, limit: usize) -> Result<Vec<HostAuditEntry>> {
        Ok(self
            .all_lines()?
            .iter()
            .filter_map(|line| serde_json::from_str::<HostAuditEntry>(line).ok())
            .filter(|entry| entry.seq > after)
            .take(limit)
            .collect())
    }

    /// Checks every line kept: that it parses, that its hash matches its content, and that it
    /// follows the one before (sequence and `prev`).
    pub(crate) fn verify(&self) -> Result<HostAuditVerification> {
        let mut verification = verify_lines(&self.all_lines()?);
        if verification.first_seq > 1 && !self.rotated.exists() {
            verification.problems.push(format!(
                "entries 1 to {} are missing, and no rotated file explains it",
                verification.first_seq - 1
            ));
            verification.intact = false;
        }
        Ok(verification)
    }
}

/// `audit.log` → `audit.log.1`.
fn rotated_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".1");
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(action: &str, status: u16) -> AuditRecord {
        AuditRecord {
            at_ms: 1,
            actor: "break-glass".into(),
            role: "admin".into(),
            action: action.into(),
            target: "acme".into(),
            status,
            request_id: "7".into(),
        }
    }

    #[test]
    fn the_chain_survives_a_reopen_and_a_rotation_and_catches_an_edit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        let audit = HostAudit::open(path.clone()).unwrap();
        audit.append(record("config.apply", 200)).unwrap();
        drop(audit);
        let audit = HostAudit::open(path.clone()).unwrap();
        let second = audit.append(record("secret.set", 403)).unwrap();
        assert_eq!((second.seq, second.outcome.as_str()), (2, "denied"));
        // Rotate by hand as a full file would: the chain goes on across the two files.
        std::fs::rename(&path, rotated_path(&path)).unwrap();
        let audit = HostAudit::open(path.clone()).unwrap();
        assert_eq!(audit.append(record("agent.restart", 200)).unwrap().seq, 3);
        let verification = audit.verify().unwrap();
        assert!(verification.intact, "{verification:?}");
        assert_eq!((verification.entries, verification.first_seq, verification.last_seq), (3, 1, 3));
        assert_eq!(audit.page(1, 10).unwrap().iter().map(|e| e.seq).collect::<Vec<_>>(), [2, 3]);

        let mut lines: Vec<String> =
            std::fs::read_to_string(rotated_path(&path)).unwrap().lines().map(str::to_owned).collect();
        assert!(verify_lines(&lines[1..]).problems.is_empty(), "older entries rotated away are not a break");
        lines[1] = lines[1].replace("\"denied\"", "\"ok\"");
        let verification = verify_lines(&lines);
        assert_eq!(verification.problems, ["entry 2: its hash does not match its content"]);
    }
}
