//! A customer's launch spec: how its host is launched, kept so that recovery can launch a
//! replacement. Its cloud-init user data holds the host's TLS private key, so the store keeps it
//! sealed under the master key (bound to the customer), and it is opened only to launch a host:
//! no API shows it.

use super::{Actor, AuditRecord, Console, LaunchSpecRecord};
use crate::auth::Role;
use crate::error::{Error, Result};
use crate::instances::LaunchSpec;

impl Console {
    /// Stores `spec` for customer `id`, its user data sealed, with `audit`.
    pub(super) async fn store_launch_spec(
        &self,
        id: &str,
        spec: LaunchSpec,
        audit: AuditRecord,
    ) -> Result<()> {
        let sealed_user_data = match &spec.user_data {
            Some(user_data) => Some(self.secrets.seal_user_data(id, user_data)?),
            None => None,
        };
        let record = LaunchSpecRecord { spec: LaunchSpec { user_data: None, ..spec }, sealed_user_data };
        self.store.put_launch_spec(id, record, audit).await
    }

    /// The customer's launch spec with its user data opened, to launch a host from (never to
    /// show); none when none was stored. A spec stored before user data was sealed is sealed
    /// now (audited as `instance.launch_spec.seal`).
    pub(super) async fn provisioning_spec(&self, id: &str) -> Result<Option<LaunchSpec>> {
        let Some(record) = self.store.launch_spec(id).await? else { return Ok(None) };
        match record.sealed_user_data {
            Some((nonce, ciphertext)) => {
                let user_data = self.secrets.open_user_data(id, &nonce, &ciphertext)?;
                Ok(Some(LaunchSpec { user_data: Some(user_data), ..record.spec }))
            }
            None => {
                if record.spec.user_data.is_some() {
                    let actor = Actor::new("console", Role::Admin);
                    let audit = self.audit_record(&actor, "instance.launch_spec.seal", id);
                    self.store_launch_spec(id, record.spec.clone(), audit).await?;
                }
                Ok(Some(record.spec))
            }
        }
    }

    /// Records how customer `id`'s host is launched, user data included (sealed at rest): what
    /// onboarding records, for a host launched by other means (admin; audited as
    /// `instance.launch_spec`).
    pub async fn record_launch_spec(&self, actor: &Actor, id: &str, spec: LaunchSpec) -> Result<()> {
        self.require(actor, Role::Admin, "instance.launch_spec", id).await?;
        self.record(id).await?;
        spec.validate()?;
        let audit = self.audit_record(actor, "instance.launch_spec", id);
        self.store_launch_spec(id, spec, audit).await
    }
}

/// The customer's launch spec without its user data (which holds the host's TLS key).
pub(super) async fn show(console: &Console, actor: &Actor, id: &str) -> Result<LaunchSpec> {
    console.require(actor, Role::Viewer, "instance.launch_spec.show", id).await?;
    console.record(id).await?;
    let record = console.store.launch_spec(id).await?.ok_or_else(|| no_spec(id))?;
    Ok(LaunchSpec { user_data: None, ..record.spec })
}

/// Changes how the customer's host is launched (a replacement uses it); the user data recorded
/// at onboarding is kept, sealed.
pub(super) async fn set(console: &Console, actor: &Actor, id: &str, spec: LaunchSpec) -> Result<LaunchSpec> {
    console.require(actor, Role::Admin, "instance.launch_spec", id).await?;
    console.record(id).await?;
    spec.validate()?;
    let recorded = console.provisioning_spec(id).await?.ok_or_else(|| no_spec(id))?;
    let shown = LaunchSpec { user_data: None, ..spec };
    let audit = console.audit_record(actor, "instance.launch_spec", id);
    console
        .store_launch_spec(id, LaunchSpec { user_data: recorded.user_data, ..shown.clone() }, audit)
        .await?;
    Ok(shown)
}

/// The conflict of a customer without a launch spec.
pub(super) fn no_spec(id: &str) -> Error {
    Error::blocked(
        format!("customer `{id}` has no launch spec"),
        crate::Remedy::OnboardCustomer { customer: id.to_owned() },
    )
}
