//! Configuration revisions: create (full or patch, optionally on a parent), list, show, diff,
//! roll back and deploy.

use super::{Actor, Console, CustomerRecord, RevisionInput, RevisionRecord, RevisionView};
use crate::auth::Role;
use crate::config::{Change, ConfigDocument, ValidateOptions, Validation};
use crate::error::{Error, Result};
use crate::host::{ApplyAction, RevisionMeta};

/// A revision without its document, as in a history.
fn summary(record: RevisionRecord, deployed: Option<u64>) -> RevisionView {
    RevisionView {
        deployed: deployed == Some(record.number),
        customer_id: record.customer_id,
        number: record.number,
        hash: record.hash,
        author: record.author,
        message: record.message,
        created_at_ms: record.created_at_ms,
        document: None,
        applied: None,
    }
}

/// A revision with its document, secrets redacted.
fn with_document(record: RevisionRecord, deployed: Option<u64>) -> Result<RevisionView> {
    let document = ConfigDocument::parse(&record.document)?.redacted();
    Ok(RevisionView { document: Some(document), ..summary(record, deployed) })
}

impl Console {
    pub(super) async fn latest_revision(&self, id: &str) -> Result<Option<RevisionRecord>> {
        Ok(self.store.revisions(id).await?.into_iter().next())
    }

    /// The stored revision, or [`Error::RevisionNotFound`].
    pub(super) async fn stored_revision(&self, id: &str, number: u64) -> Result<RevisionRecord> {
        self.store
            .revision(id, number)
            .await?
            .ok_or_else(|| Error::RevisionNotFound { customer: id.to_owned(), number: Some(number) })
    }

    /// A new revision; with `parent`, only while the latest revision is still that one (0: none).
    pub(super) async fn new_revision(
        &self,
        actor: &Actor,
        id: &str,
        parent: Option<u64>,
        input: RevisionInput,
        message: &str,
    ) -> Result<RevisionView> {
        self.require(actor, Role::Admin, "config.revision", id).await?;
        let record = self.record(id).await?;
        let options = ValidateOptions { secret_names: Some(self.secret_names(id).await?) };
        let document = match input {
            RevisionInput::Full { document } => {
                let document = ConfigDocument::from_value(document)?;
                document.validate_with(&options).for_customer(id).into_result()?;
                document
            }
            RevisionInput::Patch { operations } => {
                let latest = self.latest_revision(id).await?.ok_or_else(|| {
                    Error::conflict(
                        format!("`{id}` has no revision to patch"),
                        Some("create one from a full document first"),
                    )
                })?;
                let mut document = ConfigDocument::parse(&latest.document)?;
                document.apply_operations(&operations, &options).map_err(|error| match error {
                    Error::InvalidConfig { mut issues } => {
                        issues = Validation { issues }.for_customer(id).issues;
                        Error::InvalidConfig { issues }
                    }
                    other => other,
                })?;
                document.validate_with(&options).for_customer(id).into_result()?;
                document
            }
        };
        let revision = RevisionRecord {
            customer_id: id.to_owned(),
            document: document.to_json_pretty(),
            hash: document.content_hash(),
            author: actor.name.clone(),
            message: message.to_owned(),
            created_at_ms: self.options.clock.now_ms(),
            // The next number after the parent the caller saw, checked by the store; 0: the next.
            number: parent.map_or(0, |parent| parent + 1),
        };
        let number = self
            .store
            .insert_revision(revision.clone(), self.audit_record(actor, "config.revision", id))
            .await?;
        Ok(summary(RevisionRecord { number, ..revision }, record.deployed_revision))
    }

    /// Sends the revision's secrets and document to the host; records the deploy. The host
    /// decides how it reaches the agent (`lifecycle::apply_action`): a rotated secret restarts it.
    pub(super) async fn deploy_record(
        &self,
        actor: &Actor,
        record: &CustomerRecord,
        revision: &RevisionRecord,
    ) -> Result<ApplyAction> {
        let host = self.host(record)?;
        let document = ConfigDocument::parse(&revision.document)?;
        for name in document.secret_references() {
            let value = self.secret_value(record, revision.number, &name).await?;
            host.set_secret(&name, &value).await?;
        }
        let meta = RevisionMeta {
            revision: Some(revision.number),
            author: actor.name.clone(),
            message: revision.message.clone(),
        };
        let applied = host.apply_config(document, meta).await?;
        let mut updated = record.clone();
        updated.deployed_revision = Some(revision.number);
        self.store
            .update_customer(
                updated,
                self.audit_record(actor, "config.deploy", &format!("{}#{}", record.id, revision.number)),
            )
            .await?;
        Ok(applied.action)
    }
}

pub(super) async fn list(console: &Console, actor: &Actor, id: &str) -> Result<Vec<RevisionView>> {
    console.require(actor, Role::Viewer, "config.history", id).await?;
    let record = console.record(id).await?;
    Ok(console.store.revisions(id).await?.into_iter().map(|r| summary(r, record.deployed_revision)).collect())
}

pub(super) async fn show(console: &Console, actor: &Actor, id: &str, number: u64) -> Result<RevisionView> {
    console.require(actor, Role::Viewer, "config.show", id).await?;
    let record = console.record(id).await?;
    with_document(console.stored_revision(id, number).await?, record.deployed_revision)
}

pub(super) async fn diff(
    console: &Console,
    actor: &Actor,
    id: &str,
    from: u64,
    to: u64,
) -> Result<Vec<Change>> {
    console.require(actor, Role::Viewer, "config.diff", id).await?;
    let from = ConfigDocument::parse(&console.stored_revision(id, from).await?.document)?;
    let to = ConfigDocument::parse(&console.stored_revision(id, to).await?.document)?;
    Ok(from.diff(&to))
}

pub(super) async fn rollback(
    console: &Console,
    actor: &Actor,
    id: &str,
    number: u64,
    message: &str,
) -> Result<RevisionView> {
    console.require(actor, Role::Admin, "config.rollback", id).await?;
    let old = console.stored_revision(id, number).await?;
    let message =
        if message.is_empty() { format!("rollback to revision {number}") } else { message.to_owned() };
    let document: serde_json::Value =
        serde_json::from_str(&old.document).map_err(|e| Error::Internal { message: e.to_string() })?;
    console.new_revision(actor, id, None, RevisionInput::Full { document }, &message).await
}

pub(super) async fn deploy(
    console: &Console,
    actor: &Actor,
    id: &str,
    number: Option<u64>,
) -> Result<RevisionView> {
    console.require(actor, Role::Admin, "config.deploy", id).await?;
    let record = console.record(id).await?;
    let revision = match number {
        Some(number) => console.stored_revision(id, number).await?,
        None => console
            .latest_revision(id)
            .await?
            .ok_or_else(|| Error::RevisionNotFound { customer: id.to_owned(), number: None })?,
    };
    let result = console.deploy_record(actor, &record, &revision).await;
    if result.is_err() {
        console.audit_outcome(actor, "config.deploy", &format!("{id}#{}", revision.number), &result).await;
    }
    let applied = result?;
    let number = revision.number;
    Ok(RevisionView { applied: Some(applied), ..summary(revision, Some(number)) })
}
