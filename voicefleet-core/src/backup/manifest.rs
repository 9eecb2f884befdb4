//! Backup names and the manifest: what a backup holds, read without the key.

use std::time::{Duration, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::target::BackupTarget;
use crate::error::{Error, Result};

/// The manifest format this voicefleet writes and reads.
pub(crate) const FORMAT: u32 = 1;
const PREFIX: &str = "voicefleet-";
pub(crate) const MANIFEST_SUFFIX: &str = ".manifest.json";
pub(crate) const ARCHIVE_SUFFIX: &str = ".backup";

/// A file of the data directory that the backup does not carry, named so it can be matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct KeptOutside {
    /// The file's name in the data directory (`master.key`).
    pub file: String,
    /// `sha256:` of the file's key, so a restore can tell the right one; `None` when the console
    /// took it from the environment.
    pub fingerprint: Option<String>,
    /// What to do about it at a restore, in words.
    pub note: String,
}

/// What a backup holds. Everything here but the hashes is also bound into the archive's
/// encryption, so an edited manifest does not open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BackupManifest {
    /// The manifest format (1); a restore refuses a newer one.
    pub format: u32,
    /// `voicefleet-YYYYMMDDTHHMMSSmmmZ`, from the time it was taken.
    pub name: String,
    /// When the backup was taken, in milliseconds since the Unix epoch.
    pub created_at_ms: u64,
    /// The voicefleet version that took it.
    pub voicefleet_version: String,
    /// The store's schema version (`PRAGMA user_version`).
    pub schema_version: u32,
    /// The data directory's files in the archive.
    pub files: Vec<String>,
    /// Audit entries in the snapshot.
    pub audit_entries: u64,
    /// The hash of the last audit entry in the snapshot (the chain's genesis when empty).
    pub audit_head: String,
    /// The id of the backup key that encrypts the archive ([`crate::backup::BackupKey::id`]): a
    /// restore needs that key.
    pub backup_key_id: String,
    /// SHA-256 of the database snapshot inside the archive, hex-encoded.
    pub database_sha256: String,
    /// The encrypted archive's size, in bytes.
    pub archive_bytes: u64,
    /// SHA-256 of the encrypted archive, hex-encoded: a changed or truncated upload is caught
    /// before it is opened.
    pub archive_sha256: String,
    /// The files a restore needs that the backup does not carry (the master key).
    pub kept_outside: Vec<KeptOutside>,
}

impl BackupManifest {
    /// The archive's file name: the backup's name and `.backup`.
    pub fn archive_name(&self) -> String {
        format!("{}{ARCHIVE_SUFFIX}", self.name)
    }

    /// The manifest's file name: the backup's name and `.manifest.json`.
    pub fn manifest_name(&self) -> String {
        format!("{}{MANIFEST_SUFFIX}", self.name)
    }

    /// The associated data of the archive's encryption: the fields a restore trusts.
    pub(crate) fn associated_data(&self) -> Vec<u8> {
        format!(
            "voicefleet-backup:{}:{}:{}:{}:{}:{}:{}",
            self.format,
            self.name,
            self.created_at_ms,
            self.schema_version,
            self.audit_entries,
            self.audit_head,
            self.database_sha256
        )
        .into_bytes()
    }

    pub(crate) fn parse(name: &str, bytes: &[u8]) -> Result<BackupManifest> {
        let manifest: BackupManifest =
            serde_json::from_slice(bytes).map_err(|error| Error::InvalidValue {
                value: name.to_owned(),
                reason: format!("not a voicefleet backup manifest: {error}"),
            })?;
        if manifest.format != FORMAT {
            return Err(Error::conflict(
                format!("{name} is backup format {}, this voicefleet reads format {FORMAT}", manifest.format),
                Some(
                    "restore it with the voicefleet version that made it (voicefleet_version in the manifest)",
                ),
            ));
        }
        Ok(manifest)
    }
}

/// The backup name for a time: `voicefleet-20261126T193339123Z`.
pub(crate) fn name_at(at_ms: u64) -> String {
    let stamp = humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_millis(at_ms)).to_string();
    let compact: String = stamp.chars().filter(|c| !matches!(c, '-' | ':' | '.')).collect();
    format!("{PREFIX}{compact}")
}

/// The time in a backup name, when it is one.
pub(crate) fn time_of(name: &str) -> Option<u64> {
    let stamp = name.strip_prefix(PREFIX)?;
    let bytes = stamp.as_bytes();
    if bytes.len() != 19 || bytes[8] != b'T' || bytes[18] != b'Z' {
        return None;
    }
    let digits = |range: std::ops::Range<usize>| -> Option<&str> {
        let part = stamp.get(range)?;
        part.bytes().all(|b| b.is_ascii_digit()).then_some(part)
    };
    let text = format!(
        "{}-{}-{}T{}:{}:{}.{}Z",
        digits(0..4)?,
        digits(4..6)?,
        digits(6..8)?,
        digits(9..11)?,
        digits(11..13)?,
        digits(13..15)?,
        digits(15..18)?
    );
    let time = humantime::parse_rfc3339(&text).ok()?;
    Some(time.duration_since(UNIX_EPOCH).ok()?.as_millis() as u64)
}

/// Every backup in `target` (those whose manifest is there: a backup is complete once its
/// manifest is written), oldest first.
pub async fn list(target: &dyn BackupTarget) -> Result<Vec<BackupManifest>> {
    let mut names: Vec<String> = target
        .list()
        .await?
        .into_iter()
        .filter_map(|object| object.strip_suffix(MANIFEST_SUFFIX).map(str::to_owned))
        .filter(|name| time_of(name).is_some())
        .collect();
    names.sort();
    let mut manifests = Vec::with_capacity(names.len());
    for name in names {
        let object = format!("{name}{MANIFEST_SUFFIX}");
        manifests.push(BackupManifest::parse(&object, &target.get(&object).await?)?);
    }
    Ok(manifests)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_their_time_to_the_millisecond() {
        let at = 1_795_714_419_123;
        let name = name_at(at);
        assert_eq!(name, "voicefleet-20261126T173339123Z");
        assert_eq!(time_of(&name), Some(at));
        for bad in [
            "voicefleet-2026",
            "other-20261126T173339123Z",
            "voicefleet-20261126X173339123Z",
            "voicefleet-2026112aT173339123Z",
        ] {
            assert_eq!(time_of(bad), None, "{bad}");
        }
    }
}
