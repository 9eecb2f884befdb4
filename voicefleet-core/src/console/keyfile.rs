//! A console's data directory (private to its owner) and its signing key there: `console.key`
//! (Ed25519, PKCS#8 PEM, 0600) and `console.pub.pem` (the public key hosts trust, 0644). The key
//! signs host tokens and the audit checkpoints.

use std::path::Path;

use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _, EncodePublicKey as _};

use crate::error::{Error, Result};

/// The private key's file name in a console's data directory.
pub const SIGNING_KEY_FILE: &str = "console.key";
/// The public key's file name in a console's data directory.
pub const PUBLIC_KEY_FILE: &str = "console.pub.pem";

/// Creates the data directory `dir` when absent, private to its owner (0700).
pub fn create_data_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)
        .map_err(|error| Error::io(format!("cannot create the data directory {}", dir.display()), error))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    Ok(())
}

/// Loads `DIR/console.key`, creating it (mode 0600, and `DIR` with [`create_data_dir`]) when
/// absent, and (re)writes `DIR/console.pub.pem` from it.
pub fn load_or_create_signing_key(dir: &Path) -> Result<SigningKey> {
    create_data_dir(dir)?;
    let private_path = dir.join(SIGNING_KEY_FILE);
    let signing = match std::fs::read_to_string(&private_path) {
        Ok(pem) => SigningKey::from_pkcs8_pem(&pem).map_err(|e| Error::Unavailable {
            message: format!("{} is not an Ed25519 PKCS#8 PEM key: {e}", private_path.display()),
        })?,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let signing = SigningKey::from_bytes(&crate::random::bytes::<32>()?);
            save_signing_key(dir, &signing)?;
            return Ok(signing);
        }
        Err(error) => return Err(Error::io(format!("cannot read {}", private_path.display()), error)),
    };
    write_public_key(dir, &signing)?;
    Ok(signing)
}

/// Writes `signing` as `DIR/console.key` (0600) and `DIR/console.pub.pem`, replacing them.
pub fn save_signing_key(dir: &Path, signing: &SigningKey) -> Result<()> {
    let private_path = dir.join(SIGNING_KEY_FILE);
    let pem = signing.to_pkcs8_pem(Default::default()).map_err(encoding)?;
    crate::fs::write_atomic(&private_path, pem.as_bytes(), 0o600)
        .map_err(|e| Error::io(format!("cannot write {}", private_path.display()), e))?;
    write_public_key(dir, signing)
}

fn write_public_key(dir: &Path, signing: &SigningKey) -> Result<()> {
    let public_path = dir.join(PUBLIC_KEY_FILE);
    let pem = signing.verifying_key().to_public_key_pem(Default::default()).map_err(encoding)?;
    crate::fs::write_atomic(&public_path, pem.as_bytes(), 0o644)
        .map_err(|e| Error::io(format!("cannot write {}", public_path.display()), e))
}

fn encoding(error: impl std::fmt::Display) -> Error {
    Error::Internal { message: format!("key encoding: {error}") }
}
