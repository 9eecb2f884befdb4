//! The keys console replicas on one database must share, and the check that they do.
//!
//! Each console is given the master key (`VOICEFLEET_MASTER_KEY`, or `DATA/master.key`) and the
//! signing key (`DATA/console.key`) from its own environment and files, never from the database.
//! The database keeps only their fingerprints, recorded by the first console that opens it; a
//! console given other keys is refused at start, rather than signing tokens the others refuse,
//! sealing secrets they cannot open or chaining audit entries they cannot verify. A console whose
//! signing key replaced the recorded one by a rotation (the recorded key is among its previous
//! keys) records its new key; the others must then be given it.

use ed25519_dalek::{SigningKey, VerifyingKey};
use sha2::{Digest as _, Sha256};

use super::audit::{AuditKey, AuditRecord, entry_hash};
use super::store::Store;
use crate::error::{Error, Result};

/// The recorded name of the signing key's fingerprint.
pub const SIGNING_KEY: &str = "signing";
/// The recorded name of the master key's fingerprint.
pub const MASTER_KEY: &str = "master";

/// A signing key's fingerprint: `sha256:` of its public key's 32 bytes, in hex.
pub fn signing_fingerprint(key: &VerifyingKey) -> String {
    let digest = Sha256::digest(key.as_bytes());
    format!("sha256:{}", digest.iter().map(|byte| format!("{byte:02x}")).collect::<String>())
}

/// The master key's fingerprint: a MAC of a fixed record under its audit key (it reveals
/// nothing of the key).
pub fn master_fingerprint(audit_key: &AuditKey) -> String {
    let fixed = AuditRecord {
        actor: String::new(),
        action: "voicefleet master key fingerprint".to_owned(),
        target: String::new(),
        request_id: String::new(),
        outcome: String::new(),
        at_ms: 0,
    };
    entry_hash(0, 0, &fixed, "", Some(audit_key))
}

fn short(fingerprint: &str) -> &str {
    let end = fingerprint.char_indices().nth(28).map_or(fingerprint.len(), |(at, _)| at);
    &fingerprint[..end]
}

/// One key this console holds, as checked against the store.
pub(crate) struct HeldKey<'a> {
    /// [`SIGNING_KEY`] or [`MASTER_KEY`].
    pub(crate) name: &'static str,
    pub(crate) fingerprint: String,
    /// Fingerprints this console's key replaced (a rotation): a recorded one is moved on.
    pub(crate) replaced: Vec<String>,
    /// Where this console's key came from, and what to give it instead.
    pub(crate) source: &'a str,
    pub(crate) remedy: &'a str,
}

/// The signing key this console holds, with the keys a rotation retired (`previous`).
pub(crate) fn signing<'a>(key: &SigningKey, previous: &[VerifyingKey], source: &'a str) -> HeldKey<'a> {
    HeldKey {
        name: SIGNING_KEY,
        fingerprint: signing_fingerprint(&key.verifying_key()),
        replaced: previous.iter().map(signing_fingerprint).collect(),
        source,
        remedy: "give every console the same signing key: copy console.key and console.pub.pem from the \
                 data directory of a console already serving this database into this one's, then start it again",
    }
}

/// The master key this console holds.
pub(crate) fn master<'a>(audit_key: &AuditKey, source: &'a str) -> HeldKey<'a> {
    HeldKey {
        name: MASTER_KEY,
        fingerprint: master_fingerprint(audit_key),
        replaced: Vec::new(),
        source,
        remedy: "give every console the same master key (VOICEFLEET_MASTER_KEY, or DATA/master.key copied \
                 from a console already serving this database), then start it again",
    }
}

/// Records each key's fingerprint when the store has none yet, and refuses a key that is not
/// the recorded one (nothing is changed then).
pub(crate) async fn check(store: &dyn Store, keys: &[HeldKey<'_>], now_ms: u64) -> Result<()> {
    for key in keys {
        let audit = |outcome: String| AuditRecord {
            actor: "console".to_owned(),
            action: "console.keys".to_owned(),
            target: key.name.to_owned(),
            request_id: String::new(),
            outcome,
            at_ms: now_ms,
        };
        // Twice at most: a console starting at the same moment may record first.
        for _ in 0..2 {
            let recorded = store
                .key_fingerprints()
                .await?
                .into_iter()
                .find(|(name, _)| name == key.name)
                .map(|(_, f)| f);
            let written = match recorded {
                Some(recorded) if recorded == key.fingerprint => break,
                None => {
                    let outcome = format!("ok: recorded {}", key.fingerprint);
                    store
                        .record_key_fingerprint(key.name, &key.fingerprint, None, now_ms, audit(outcome))
                        .await?
                }
                Some(recorded) if key.replaced.contains(&recorded) => {
                    let outcome = format!("ok: {} replaced {recorded} (rotation)", key.fingerprint);
                    store
                        .record_key_fingerprint(
                            key.name,
                            &key.fingerprint,
                            Some(&recorded),
                            now_ms,
                            audit(outcome),
                        )
                        .await?
                }
                Some(recorded) => {
                    return Err(Error::conflict(
                        format!(
                            "the {} key of this console ({}, {}…) is not the one the other consoles on this \
                             database use ({}…)",
                            key.name,
                            key.source,
                            short(&key.fingerprint),
                            short(&recorded)
                        ),
                        Some(key.remedy),
                    ));
                }
            };
            if written {
                break;
            }
        }
    }
    Ok(())
}
