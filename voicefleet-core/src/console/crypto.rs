//! Secrets at rest: XChaCha20-Poly1305 under a 256-bit master key, with a fresh random nonce per
//! value and the customer and secret name bound in as associated data (a ciphertext moved to
//! another customer or name does not decrypt).

use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use super::audit::AuditKey;
use crate::error::{Error, Result};

/// Where the master key came from, to tell the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// `VOICEFLEET_MASTER_KEY`.
    Environment,
    /// Read from this file.
    File(PathBuf),
    /// Made by this run and written to this file: keep a copy away from the data directory.
    Generated(PathBuf),
}

/// Encrypts and decrypts secret values (customers' secrets, console users' TOTP secrets).
#[derive(Clone)]
pub struct SecretBox {
    cipher: XChaCha20Poly1305,
    /// The audit chain's MAC key, derived from the same master key (see [`AuditKey`]).
    audit_key: AuditKey,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

fn decode_hex(text: &str) -> Option<[u8; 32]> {
    let text = text.trim();
    if text.len() != 64 {
        return None;
    }
    let mut key = [0u8; 32];
    for (index, chunk) in text.as_bytes().chunks(2).enumerate() {
        key[index] = u8::from_str_radix(std::str::from_utf8(chunk).ok()?, 16).ok()?;
    }
    Some(key)
}

impl SecretBox {
    /// The key from `VOICEFLEET_MASTER_KEY` (64 hex digits), else from `path`, else a new one
    /// generated into `path` (mode 0600).
    pub fn load_or_create(path: &Path) -> Result<(SecretBox, KeySource)> {
        if let Some(text) = crate::secret_env::var("VOICEFLEET_MASTER_KEY") {
            let key = decode_hex(&text).ok_or_else(|| Error::Unavailable {
                message: "VOICEFLEET_MASTER_KEY must be 64 hexadecimal digits (32 bytes)".to_owned(),
            })?;
            return Ok((SecretBox::new(&key), KeySource::Environment));
        }
        Self::load_or_create_file(path)
    }

    /// The key from `path`, else a new one generated into `path` (mode 0600); the environment
    /// is not read.
    pub fn load_or_create_file(path: &Path) -> Result<(SecretBox, KeySource)> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let key = decode_hex(&text).ok_or_else(|| Error::Unavailable {
                    message: format!("{} must hold 64 hexadecimal digits (32 bytes)", path.display()),
                })?;
                Ok((SecretBox::new(&key), KeySource::File(path.to_path_buf())))
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let key: [u8; 32] = crate::random::bytes()?;
                let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
                crate::fs::write_atomic(path, format!("{hex}\n").as_bytes(), 0o600).map_err(|e| {
                    Error::io(format!("cannot write the master key to {}", path.display()), e)
                })?;
                Ok((SecretBox::new(&key), KeySource::Generated(path.to_path_buf())))
            }
            Err(error) => Err(Error::io(format!("cannot read {}", path.display()), error)),
        }
    }

    /// A box under the 32-byte master `key` (the audit key is derived from it too).
    pub fn new(key: &[u8; 32]) -> SecretBox {
        SecretBox { cipher: XChaCha20Poly1305::new(key.into()), audit_key: AuditKey::derive(key) }
    }

    /// The audit chain's MAC key of this master key.
    pub fn audit_key(&self) -> &AuditKey {
        &self.audit_key
    }

    /// The master key from `VOICEFLEET_MASTER_KEY`, else from `path`, without creating one:
    /// `None` when there is neither (a tool that only appends to the audit log).
    pub fn load_existing(path: &Path) -> Result<Option<SecretBox>> {
        if crate::secret_env::var("VOICEFLEET_MASTER_KEY").is_none() && !path.exists() {
            return Ok(None);
        }
        Self::load_or_create(path).map(|(secrets, _)| Some(secrets))
    }

    fn aad(customer_id: &str, name: &str) -> Vec<u8> {
        format!("voicefleet-secret:{customer_id}:{name}").into_bytes()
    }

    /// The associated data of a console user's TOTP secret: a sealed secret moved to another
    /// user (or to a customer's secrets) does not decrypt.
    fn user_aad(user: &str) -> Vec<u8> {
        format!("voicefleet-user-totp:{user}").into_bytes()
    }

    /// The associated data of a customer's launch-spec user data (it holds the host's TLS
    /// private key): sealed user data moved to another customer does not decrypt.
    fn user_data_aad(customer_id: &str) -> Vec<u8> {
        format!("voicefleet-launch-user-data:{customer_id}").into_bytes()
    }

    /// Seals the cloud-init user data a customer's host is launched with; returns (nonce,
    /// ciphertext).
    pub(crate) fn seal_user_data(&self, customer_id: &str, user_data: &str) -> Result<(Vec<u8>, Vec<u8>)> {
        self.seal_bound(&Self::user_data_aad(customer_id), user_data)
    }

    /// Opens what [`SecretBox::seal_user_data`] sealed for `customer_id`.
    pub(crate) fn open_user_data(
        &self,
        customer_id: &str,
        nonce: &[u8],
        ciphertext: &[u8],
    ) -> Result<String> {
        let what = format!("the launch spec's user data of `{customer_id}`");
        self.open_bound(&Self::user_data_aad(customer_id), nonce, ciphertext, &what)
    }

    fn open_bound(&self, aad: &[u8], nonce: &[u8], ciphertext: &[u8], what: &str) -> Result<String> {
        if nonce.len() != 24 {
            return Err(Error::Internal { message: format!("{what} has a bad nonce") });
        }
        let plain = self
            .cipher
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad })
            .map_err(|_| Error::Unavailable {
                message: format!("{what} does not decrypt: wrong master key, or the data was altered"),
            })?;
        String::from_utf8(plain).map_err(|_| Error::Internal { message: format!("{what} is not UTF-8") })
    }

    /// Returns (nonce, ciphertext).
    pub fn seal(&self, customer_id: &str, name: &str, value: &str) -> Result<(Vec<u8>, Vec<u8>)> {
        self.seal_bound(&Self::aad(customer_id, name), value)
    }

    /// Seals a console user's TOTP secret; returns (nonce, ciphertext).
    pub(crate) fn seal_user_totp(&self, user: &str, secret: &str) -> Result<(Vec<u8>, Vec<u8>)> {
        self.seal_bound(&Self::user_aad(user), secret)
    }

    /// Opens what [`SecretBox::seal_user_totp`] sealed for `user`.
    pub(crate) fn open_user_totp(&self, user: &str, nonce: &[u8], ciphertext: &[u8]) -> Result<String> {
        if nonce.len() != 24 {
            return Err(Error::Internal { message: "a stored second factor has a bad nonce".to_owned() });
        }
        let aad = Self::user_aad(user);
        let plain = self.cipher.decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad: &aad }).map_err(|_| {
            Error::Unavailable {
                message: format!("the second factor of user `{user}` does not decrypt: wrong master key, or the data was altered"),
            }
        })?;
        String::from_utf8(plain)
            .map_err(|_| Error::Internal { message: "a stored second factor is not UTF-8".to_owned() })
    }

    fn seal_bound(&self, aad: &[u8], value: &str) -> Result<(Vec<u8>, Vec<u8>)> {
        let nonce: [u8; 24] = crate::random::bytes()?;
        let ciphertext = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: value.as_bytes(), aad })
            .map_err(|_| Error::Internal { message: "encryption failed".to_owned() })?;
        Ok((nonce.to_vec(), ciphertext))
    }

    /// Opens what [`SecretBox::seal`] sealed for secret `name` of `customer_id`. Unavailable when
    /// it does not decrypt: a wrong master key, or altered data.
    pub fn open(&self, customer_id: &str, name: &str, nonce: &[u8], ciphertext: &[u8]) -> Result<String> {
        if nonce.len() != 24 {
            return Err(Error::Internal { message: "a stored secret has a bad nonce".to_owned() });
        }
        let aad = Self::aad(customer_id, name);
        let plain = self.cipher.decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad: &aad }).map_err(|_| {
            Error::Unavailable {
                message: format!("secret `{name}` of `{customer_id}` does not decrypt: wrong master key, or the data was altered"),
            }
        })?;
        String::from_utf8(plain)
            .map_err(|_| Error::Internal { message: "a stored secret is not UTF-8".to_owned() })
    }
}
