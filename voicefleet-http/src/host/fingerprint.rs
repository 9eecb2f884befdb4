//! A console public key's short fingerprint, shown by the host and by key rotation on the console.

use sha2::{Digest as _, Sha256};

/// The PEM's text without whitespace: two copies of one key compare equal.
fn normalized(pem: &str) -> String {
    pem.split_whitespace().collect()
}

/// `sha256:` and the first 16 hex digits of the key's normalized PEM.
pub(crate) fn fingerprint(pem: &str) -> String {
    let digest = Sha256::digest(normalized(pem).as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{}", &hex[..16])
}
