//! Rotating the console's signing key: a new Ed25519 pair, its public key pushed to every host
//! over the authenticated channel (a host token signed with the old key), hosts that did not
//! take it reported, then the new pair written in place of the old one. Hosts keep trusting the
//! old key for the grace period, so the running console (and tokens it already signed) keep
//! working until it restarts on the new key.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt as _;
use voicefleet_core::console::{AuditRecord, Store};
use voicefleet_core::{Error, Result};

use crate::host::client::{AgentClient, AgentClientOptions, TokenSource};
use crate::host::fingerprint::fingerprint;
use crate::token::HostTokenSigner;

pub use voicefleet_core::console::checkpoint::PREVIOUS_KEYS_FILE;

/// How to rotate.
#[derive(Debug, Clone)]
pub struct RotateOptions {
    /// The console's data directory (`console.key`, `console.pub.pem`).
    pub data_dir: PathBuf,
    /// How long hosts keep trusting the old key.
    pub grace: Duration,
    /// Per-host request timeout.
    pub timeout: Duration,
    /// Who asked, for the audit entry.
    pub actor: String,
}

/// What a rotation did.
#[derive(Debug, Clone)]
pub struct RotateReport {
    pub old_fingerprint: String,
    pub new_fingerprint: String,
    /// Hosts that now trust the new key.
    pub taken: Vec<String>,
    /// Hosts that did not take it, with why: they will refuse the console's tokens once it
    /// signs with the new key, until given `console.pub.pem` by hand.
    pub not_taken: Vec<(String, String)>,
}

/// Rotates the signing key of the console in `options.data_dir`, whose store is `store`.
pub async fn rotate_signing_key(options: &RotateOptions, store: Arc<dyn Store>) -> Result<RotateReport> {
    let key_path = options.data_dir.join("console.key");
    if !key_path.is_file() {
        return Err(Error::InvalidValue {
            value: options.data_dir.display().to_string(),
            reason: "no console signing key there (console.key): give the console's data directory with --data DIR"
                .to_owned(),
        });
    }
    let old = HostTokenSigner::load_or_create(&options.data_dir)?;
    let new = HostTokenSigner::generate()?;
    let customers = store.customers().await?;
    let client_options =
        AgentClientOptions { timeout: options.timeout, retries: 1, ..AgentClientOptions::default() };
    let results: Vec<(String, Result<()>)> = futures_util::stream::iter(customers)
        .map(|customer| {
            let (old, new, client_options) = (old.clone(), new.clone(), client_options.clone());
            async move {
                let token = TokenSource::Static(old.host_token(&customer.id));
                let outcome = match AgentClient::new(&customer.endpoint, token, client_options) {
                    Ok(client) => {
                        client.add_console_key(new.public_pem(), Some(options.grace)).await.and_then(|keys| {
                            let wanted = fingerprint(new.public_pem());
                            if keys.keys.iter().any(|k| k.fingerprint == wanted) {
                                Ok(())
                            } else {
                                Err(Error::Unavailable {
                                    message: "the host did not list the new key".to_owned(),
                                })
                            }
                        })
                    }
                    Err(error) => Err(error),
                };
                (customer.id, outcome)
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    let mut taken = Vec::new();
    let mut not_taken = Vec::new();
    for (id, outcome) in results {
        match outcome {
            Ok(()) => taken.push(id),
            Err(error) => not_taken.push((id, error.to_string())),
        }
    }
    taken.sort();
    not_taken.sort();
    let (old_fingerprint, new_fingerprint) = (fingerprint(old.public_pem()), fingerprint(new.public_pem()));
    let data_dir = options.data_dir.clone();
    let (old_for_files, new_for_files) = (old.clone(), new.clone());
    tokio::task::spawn_blocking(move || switch_files(&data_dir, &old_for_files, &new_for_files))
        .await
        .map_err(|e| Error::Internal { message: e.to_string() })??;
    let outcome = if not_taken.is_empty() {
        format!(
            "ok: {} hosts took the new key; old key {old_fingerprint} trusted {}s more",
            taken.len(),
            options.grace.as_secs()
        )
    } else {
        let names: Vec<&str> = not_taken.iter().map(|(id, _)| id.as_str()).collect();
        format!("ok: {} hosts took the new key; not taken by {}", taken.len(), names.join(", "))
    };
    store
        .append_audit(AuditRecord {
            actor: options.actor.clone(),
            action: "console.rotate-signing-key".to_owned(),
            target: new_fingerprint.clone(),
            request_id: String::new(),
            outcome,
            at_ms: voicefleet_core::clock::system().now_ms(),
        })
        .await?;
    Ok(RotateReport { old_fingerprint, new_fingerprint, taken, not_taken })
}

/// Keeps the old public key among the previous ones, then writes the new pair in place.
fn switch_files(dir: &Path, old: &HostTokenSigner, new: &HostTokenSigner) -> Result<()> {
    let previous = dir.join(PREVIOUS_KEYS_FILE);
    let mut text = std::fs::read_to_string(&previous).unwrap_or_default();
    text.push_str(old.public_pem().trim());
    text.push('\n');
    voicefleet_core::fs::write_atomic(&previous, text.as_bytes(), 0o644)
        .map_err(|e| Error::io(format!("cannot write {}", previous.display()), e))?;
    new.save(dir)
}
