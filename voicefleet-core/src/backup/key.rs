//! The backup key: 32 bytes written as 64 hexadecimal digits in a file of its own, outside the
//! data directory's database and never stored beside the backups.

use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use crate::error::{Error, Result};

/// Where the key came from, to tell the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackupKeySource {
    /// Read from this file.
    File(PathBuf),
    /// Made by this run: the user must keep a copy away from the backups.
    Generated(PathBuf),
}

/// The key that seals backups.
#[derive(Clone)]
pub struct BackupKey {
    bytes: [u8; 32],
}

impl std::fmt::Debug for BackupKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BackupKey({})", self.id())
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    format!("sha256:{}", hex(&Sha256::digest(bytes)))
}

pub(crate) fn decode(text: &str) -> Option<[u8; 32]> {
    let text = text.trim();
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    let mut key = [0u8; 32];
    for (index, chunk) in text.as_bytes().chunks(2).enumerate() {
        key[index] = u8::from_str_radix(std::str::from_utf8(chunk).ok()?, 16).ok()?;
    }
    Some(key)
}

impl BackupKey {
    /// A key from its 32 raw bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> BackupKey {
        BackupKey { bytes }
    }

    /// Reads the key at `path`; a missing or malformed file is an error that says what to give.
    pub fn load(path: &Path) -> Result<BackupKey> {
        let text = std::fs::read_to_string(path).map_err(|error| {
            if error.kind() == std::io::ErrorKind::NotFound {
                Error::InvalidValue {
                    value: path.display().to_string(),
                    reason: "no backup key there: give the file the backups were made with".to_owned(),
                }
            } else {
                Error::io(format!("cannot read the backup key {}", path.display()), error)
            }
        })?;
        let bytes = decode(&text).ok_or_else(|| Error::InvalidValue {
            value: path.display().to_string(),
            reason: "a backup key file holds 64 hexadecimal digits (32 bytes)".to_owned(),
        })?;
        Ok(BackupKey { bytes })
    }

    /// Reads the key at `path`, or makes one there (mode 0600) when there is none.
    pub fn load_or_create(path: &Path) -> Result<(BackupKey, BackupKeySource)> {
        if path.exists() {
            return Ok((Self::load(path)?, BackupKeySource::File(path.to_path_buf())));
        }
        let bytes: [u8; 32] = crate::random::bytes()?;
        crate::fs::write_atomic(path, format!("{}\n", hex(&bytes)).as_bytes(), 0o600)
            .map_err(|error| Error::io(format!("cannot write the backup key {}", path.display()), error))?;
        Ok((BackupKey { bytes }, BackupKeySource::Generated(path.to_path_buf())))
    }

    /// A name for the key that does not reveal it: the start of its SHA-256.
    pub fn id(&self) -> String {
        let digest = Sha256::digest([b"voicefleet-backup-key:".as_slice(), &self.bytes].concat());
        format!("sha256:{}", &hex(&digest)[..16])
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.bytes
    }
}
