//! The archive: the data directory's files in a tar, compressed with zstd, encrypted with
//! XChaCha20-Poly1305 under the backup key with a fresh nonce and the manifest bound in as
//! associated data. Layout: `VFBACKUP1\n`, the 24-byte nonce, the ciphertext.

use std::collections::BTreeMap;
use std::io::Read as _;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use super::key::BackupKey;
use crate::error::{Error, Result};

const MAGIC: &[u8] = b"VFBACKUP1\n";
const NONCE_BYTES: usize = 24;
/// zstd's default level: fast, and most of a store is text that compresses well.
const LEVEL: i32 = 3;

fn internal(what: &str, error: impl std::fmt::Display) -> Error {
    Error::Internal { message: format!("{what}: {error}") }
}

/// The sealed archive of `files` (name → contents).
pub(crate) fn seal(
    files: &BTreeMap<String, Vec<u8>>,
    key: &BackupKey,
    associated_data: &[u8],
) -> Result<Vec<u8>> {
    let mut archive = tar::Builder::new(Vec::new());
    for (name, contents) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(contents.len() as u64);
        header.set_mode(0o600);
        header.set_cksum();
        archive
            .append_data(&mut header, name, contents.as_slice())
            .map_err(|e| internal("backup archive", e))?;
    }
    let archive = archive.into_inner().map_err(|e| internal("backup archive", e))?;
    let compressed = zstd::bulk::compress(&archive, LEVEL).map_err(|e| internal("backup compression", e))?;
    let nonce: [u8; NONCE_BYTES] = crate::random::bytes()?;
    let cipher = XChaCha20Poly1305::new(key.bytes().into());
    let ciphertext = cipher
        .encrypt(XNonce::from_slice(&nonce), Payload { msg: &compressed, aad: associated_data })
        .map_err(|_| Error::Internal { message: "backup encryption failed".to_owned() })?;
    let mut sealed = Vec::with_capacity(MAGIC.len() + NONCE_BYTES + ciphertext.len());
    sealed.extend_from_slice(MAGIC);
    sealed.extend_from_slice(&nonce);
    sealed.extend_from_slice(&ciphertext);
    Ok(sealed)
}

/// The files of a sealed archive; refuses one that does not open with `key` and
/// `associated_data` (another key, an edited manifest, altered bytes).
pub(crate) fn open(
    sealed: &[u8],
    key: &BackupKey,
    associated_data: &[u8],
    name: &str,
) -> Result<BTreeMap<String, Vec<u8>>> {
    let refused = |why: &str| {
        Error::conflict(
            format!("backup {name} does not open: {why}"),
            Some(
                "check that the backup key is the one these backups were made with; otherwise the backup was altered: restore another one",
            ),
        )
    };
    let rest = sealed.strip_prefix(MAGIC).ok_or_else(|| refused("not a voicefleet backup archive"))?;
    if rest.len() < NONCE_BYTES {
        return Err(refused("the archive is truncated"));
    }
    let (nonce, ciphertext) = rest.split_at(NONCE_BYTES);
    let cipher = XChaCha20Poly1305::new(key.bytes().into());
    let compressed = cipher
        .decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad: associated_data })
        .map_err(|_| refused("wrong backup key, or the archive or its manifest was altered"))?;
    let mut archive = Vec::new();
    zstd::stream::read::Decoder::new(compressed.as_slice())
        .and_then(|mut decoder| decoder.read_to_end(&mut archive))
        .map_err(|e| internal("backup decompression", e))?;
    let mut files = BTreeMap::new();
    let mut reader = tar::Archive::new(archive.as_slice());
    for entry in reader.entries().map_err(|e| internal("backup archive", e))? {
        let mut entry = entry.map_err(|e| internal("backup archive", e))?;
        let path = entry.path().map_err(|e| internal("backup archive", e))?.to_string_lossy().into_owned();
        let mut contents = Vec::new();
        entry.read_to_end(&mut contents).map_err(|e| internal("backup archive", e))?;
        files.insert(path, contents);
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_archive_opens_only_with_its_key_and_associated_data() {
        let key = BackupKey::from_bytes([7; 32]);
        let files = BTreeMap::from([
            ("console.db".to_owned(), b"data".repeat(1000)),
            ("console.key".to_owned(), b"k".to_vec()),
        ]);
        let sealed = seal(&files, &key, b"manifest").unwrap();
        assert!(sealed.len() < 1000, "compressed: {} bytes", sealed.len());
        assert_eq!(open(&sealed, &key, b"manifest", "b").unwrap(), files);
        let other = BackupKey::from_bytes([8; 32]);
        assert!(
            open(&sealed, &other, b"manifest", "b").unwrap_err().to_string().contains("wrong backup key")
        );
        assert!(open(&sealed, &key, b"edited", "b").is_err());
        let mut flipped = sealed.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert!(open(&flipped, &key, b"manifest", "b").is_err());
        assert!(
            open(b"garbage", &key, b"manifest", "b")
                .unwrap_err()
                .to_string()
                .contains("not a voicefleet backup")
        );
    }
}
