//! The console public keys a host trusts: the configured one (`--console-public-key`) and those
//! the console pushed when it rotated its signing key, each with an optional expiry (the old
//! key's grace period). Pushed keys and expiries are kept in `STATE/console-keys.json` (0600),
//! so a restarted host keeps trusting what it was told.

use std::path::PathBuf;
use std::sync::RwLock;

use super::fingerprint::fingerprint;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::{Deserialize, Serialize};
use voicefleet_core::{Error, Result};

use super::wire::ConsoleKeyView;

/// One trusted key.
#[derive(Clone)]
struct TrustedKey {
    pem: String,
    fingerprint: String,
    decoding: DecodingKey,
    algorithm: Algorithm,
    /// Seconds since the Unix epoch after which it is no longer trusted.
    expires_at: Option<u64>,
    configured: bool,
}

/// What `console-keys.json` holds.
#[derive(Debug, Default, Serialize, Deserialize)]
struct KeysFile {
    keys: Vec<StoredKey>,
}

#[derive(Debug, Serialize, Deserialize)]
struct StoredKey {
    public_key: String,
    #[serde(default)]
    expires_at: Option<u64>,
}

fn parse(pem: &str) -> Result<(DecodingKey, Algorithm)> {
    DecodingKey::from_ed_pem(pem.as_bytes())
        .map(|key| (key, Algorithm::EdDSA))
        .or_else(|_| DecodingKey::from_rsa_pem(pem.as_bytes()).map(|key| (key, Algorithm::RS256)))
        .map_err(|_| Error::InvalidValue {
            value: "the console public key".to_owned(),
            reason: "neither an Ed25519 nor an RSA PEM key (give the console's console.pub.pem)".to_owned(),
        })
}

fn key(pem: &str, expires_at: Option<u64>, configured: bool) -> Result<TrustedKey> {
    let (decoding, algorithm) = parse(pem)?;
    Ok(TrustedKey {
        pem: pem.trim().to_owned(),
        fingerprint: fingerprint(pem),
        decoding,
        algorithm,
        expires_at,
        configured,
    })
}

/// The set of console keys one host trusts.
pub(crate) struct TrustedKeys {
    path: Option<PathBuf>,
    keys: RwLock<Vec<TrustedKey>>,
}

impl std::fmt::Debug for TrustedKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrustedKeys").field("path", &self.path).finish_non_exhaustive()
    }
}

impl TrustedKeys {
    /// The configured key (if any) and those kept at `path` (if given and present).
    pub(crate) fn load(configured: Option<&[u8]>, path: Option<PathBuf>) -> Result<TrustedKeys> {
        let mut keys = Vec::new();
        if let Some(pem) = configured {
            keys.push(key(&String::from_utf8_lossy(pem), None, true)?);
        }
        if let Some(path) = &path {
            let stored: KeysFile = match std::fs::read(path) {
                Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| Error::InvalidValue {
                    value: path.display().to_string(),
                    reason: format!(
                        "not a console key list ({e}): move it aside to trust only --console-public-key"
                    ),
                })?,
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => KeysFile::default(),
                Err(error) => return Err(Error::io(format!("cannot read {}", path.display()), error)),
            };
            for stored in stored.keys {
                let fingerprint = fingerprint(&stored.public_key);
                match keys.iter_mut().find(|k| k.fingerprint == fingerprint) {
                    Some(existing) => existing.expires_at = stored.expires_at,
                    None => keys.push(key(&stored.public_key, stored.expires_at, false)?),
                }
            }
        }
        Ok(TrustedKeys { path, keys: RwLock::new(keys) })
    }

    /// The keys trusted at `now` (seconds since the Unix epoch).
    pub(crate) fn active(&self, now: u64) -> Vec<(DecodingKey, Algorithm)> {
        let keys = self.keys.read().unwrap_or_else(|p| p.into_inner());
        keys.iter()
            .filter(|k| k.expires_at.is_none_or(|at| now < at))
            .map(|k| (k.decoding.clone(), k.algorithm))
            .collect()
    }

    /// Every key still trusted at `now`, for the API.
    pub(crate) fn views(&self, now: u64) -> Vec<ConsoleKeyView> {
        let keys = self.keys.read().unwrap_or_else(|p| p.into_inner());
        keys.iter()
            .filter(|k| k.expires_at.is_none_or(|at| now < at))
            .map(|k| ConsoleKeyView {
                fingerprint: k.fingerprint.clone(),
                expires_at: k.expires_at,
                configured: k.configured,
            })
            .collect()
    }

    /// Trusts `pem` from now on (without expiry); with `others_expire_at`, every other key stops
    /// being trusted then (or earlier, if it was already due). Keys past their expiry are
    /// forgotten. Persisted before it takes effect.
    pub(crate) fn add(
        &self,
        pem: &str,
        others_expire_at: Option<u64>,
        now: u64,
    ) -> Result<Vec<ConsoleKeyView>> {
        let added = key(pem, None, false)?;
        let mut keys = self.keys.write().unwrap_or_else(|p| p.into_inner());
        let mut next: Vec<TrustedKey> = keys.clone();
        match next.iter_mut().find(|k| k.fingerprint == added.fingerprint) {
            Some(existing) => existing.expires_at = None,
            None => next.push(added.clone()),
        }
        if let Some(at) = others_expire_at {
            for other in next.iter_mut().filter(|k| k.fingerprint != added.fingerprint) {
                other.expires_at = Some(other.expires_at.map_or(at, |due| due.min(at)));
            }
        }
        // An expired configured key stays in the file: a restart must not trust it again.
        next.retain(|k| k.configured || k.expires_at.is_none_or(|at| now < at));
        if let Some(path) = &self.path {
            let file = KeysFile {
                keys: next
                    .iter()
                    .filter(|k| !k.configured || k.expires_at.is_some())
                    .map(|k| StoredKey { public_key: k.pem.clone(), expires_at: k.expires_at })
                    .collect(),
            };
            let text =
                serde_json::to_vec_pretty(&file).map_err(|e| Error::Internal { message: e.to_string() })?;
            voicefleet_core::fs::write_atomic(path, &text, 0o600)
                .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?;
        }
        *keys = next;
        drop(keys);
        Ok(self.views(now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::HostTokenSigner;

    #[test]
    fn pushed_keys_and_expiries_survive_a_restart_in_a_private_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("console-keys.json");
        let (old, new) = (HostTokenSigner::generate().unwrap(), HostTokenSigner::generate().unwrap());
        let keys = TrustedKeys::load(Some(old.public_pem().as_bytes()), Some(path.clone())).unwrap();
        assert_eq!(keys.active(1_000).len(), 1);
        keys.add(new.public_pem(), Some(2_000), 1_000).unwrap();
        assert_eq!(keys.active(1_999).len(), 2);
        assert_eq!(keys.active(2_000).len(), 1, "the old key expired");
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);

        // Restarted with the same configured (old) key: the new key and the old key's expiry hold.
        let restarted = TrustedKeys::load(Some(old.public_pem().as_bytes()), Some(path.clone())).unwrap();
        assert_eq!(restarted.active(1_999).len(), 2);
        assert_eq!(restarted.active(2_000).len(), 1);
        // A later push after the expiry keeps the expired configured key in the file.
        restarted.add(new.public_pem(), None, 3_000).unwrap();
        let again = TrustedKeys::load(Some(old.public_pem().as_bytes()), Some(path)).unwrap();
        assert_eq!(again.active(3_000).len(), 1);
        assert!(TrustedKeys::load(Some(b"not a key"), None).is_err());
    }
}
