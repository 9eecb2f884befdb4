//! A customer's secrets: set (sealed at rest), list names, delete one no deployed revision uses,
//! and open one for a deploy.

use std::collections::BTreeSet;

use super::{Actor, Console, CustomerRecord, SecretInfo, SecretRecord};
use crate::auth::Role;
use crate::config::ConfigDocument;
use crate::error::{Error, ErrorKind, Result};
use crate::keycheck::{KeyCheck, KeyVerdict};

/// The longest secret value, in bytes.
const MAX_SECRET_BYTES: usize = 64 * 1024;

impl Console {
    pub(super) async fn secret_names(&self, id: &str) -> Result<BTreeSet<String>> {
        Ok(self.store.secrets(id).await?.into_iter().map(|s| s.name).collect())
    }

    /// A secret's value in clear, for the host of the revision `number` that references it.
    pub(super) async fn secret_value(
        &self,
        record: &CustomerRecord,
        number: u64,
        name: &str,
    ) -> Result<String> {
        let secret = self.store.secret(&record.id, name).await?.ok_or_else(|| {
            Error::conflict(
                format!("revision {number} references secret `{name}`, which `{}` does not have", record.id),
                Some("set the secret first"),
            )
        })?;
        self.secrets.open(&record.id, name, &secret.nonce, &secret.ciphertext)
    }
}

pub(super) async fn set(console: &Console, actor: &Actor, id: &str, name: &str, value: &str) -> Result<()> {
    console.require(actor, Role::Admin, "secret.set", &format!("{id}/{name}")).await?;
    if !crate::config::is_valid_secret_name(name) {
        return Err(Error::InvalidSecretName { name: name.to_owned() });
    }
    if value.is_empty() || value.len() > MAX_SECRET_BYTES {
        return Err(Error::Remote {
            kind: ErrorKind::InvalidInput,
            message: "a secret value is 1 byte to 64 KiB".to_owned(),
            hint: None,
            issues: Vec::new(),
            remedy: None,
        });
    }
    console.record(id).await?;
    let (nonce, ciphertext) = console.secrets.seal(id, name, value)?;
    let secret = SecretRecord {
        name: name.to_owned(),
        nonce,
        ciphertext,
        updated_at_ms: console.options.clock.now_ms(),
    };
    console
        .store
        .put_secret(id, secret, console.audit_record(actor, "secret.set", &format!("{id}/{name}")))
        .await
}

pub(super) async fn list(console: &Console, actor: &Actor, id: &str) -> Result<Vec<SecretInfo>> {
    console.require(actor, Role::Operator, "secret.list", id).await?;
    console.record(id).await?;
    Ok(console
        .store
        .secrets(id)
        .await?
        .into_iter()
        .map(|s| SecretInfo { name: s.name, updated_at_ms: s.updated_at_ms })
        .collect())
}

pub(super) async fn delete(console: &Console, actor: &Actor, id: &str, name: &str) -> Result<()> {
    console.require(actor, Role::Admin, "secret.delete", &format!("{id}/{name}")).await?;
    let record = console.record(id).await?;
    if let Some(number) = record.deployed_revision
        && let Some(revision) = console.store.revision(id, number).await?
        && ConfigDocument::parse(&revision.document)?.secret_references().contains(name)
    {
        return Err(Error::conflict(
            format!("secret `{name}` is referenced by the deployed revision {number} of `{id}`"),
            Some("deploy a revision that no longer references it first"),
        ));
    }
    let audit = console.audit_record(actor, "secret.delete", &format!("{id}/{name}"));
    if !console.store.delete_secret(id, name, audit).await? {
        return Err(Error::SecretNotFound { name: name.to_owned() });
    }
    Ok(())
}

/// Asks the customer's host to check its provider keys; audits who asked and the verdicts.
pub(super) async fn check(
    console: &Console,
    actor: &Actor,
    id: &str,
    only: Option<&str>,
) -> Result<Vec<KeyCheck>> {
    let target = match only {
        Some(name) => format!("{id}/{name}"),
        None => id.to_owned(),
    };
    console.require(actor, Role::Operator, "secret.check", &target).await?;
    if let Some(name) = only
        && !crate::config::is_valid_secret_name(name)
    {
        return Err(Error::InvalidSecretName { name: name.to_owned() });
    }
    let record = console.record(id).await?;
    let checks = console.host(&record)?.check_keys(only).await?;
    let mut audit = console.audit_record(actor, "secret.check", &target);
    audit.outcome = verdict_summary(&checks);
    console.store.append_audit(audit).await?;
    Ok(checks)
}

/// `2 valid, 1 invalid` (verdicts in a fixed order; `no keys` when there were none).
pub(super) fn verdict_summary(checks: &[KeyCheck]) -> String {
    let verdicts = [KeyVerdict::Valid, KeyVerdict::Invalid, KeyVerdict::Unreachable, KeyVerdict::Unchecked];
    let parts: Vec<String> = verdicts
        .iter()
        .filter_map(|verdict| {
            let count = checks.iter().filter(|c| c.verdict == *verdict).count();
            (count > 0).then(|| format!("{count} {verdict}"))
        })
        .collect();
    if parts.is_empty() { "no keys".to_owned() } else { parts.join(", ") }
}
