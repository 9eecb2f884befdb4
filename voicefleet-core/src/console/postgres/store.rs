//! [`Store`] for [`PostgresStore`]: each method one unit of work, a change and its audit entry
//! in one transaction.

use std::collections::HashMap;

use super::{
    PostgresStore, accounts, audit, begin, bulk, customers, events, instances, keys, lease, mfa, samples,
};
use crate::auth::Role;
use crate::console::RecoverySettingsLevels;
use crate::console::accounts::{TokenRecord, UserRecord};
use crate::console::audit::{AuditEntry, AuditRecord};
use crate::console::bulk::{BulkRun, TargetResult};
use crate::console::lease::LeaseRecord;
use crate::console::mfa::MfaRecord;
use crate::console::store::{
    AlertRecord, CustomerRecord, LaunchSpecRecord, RecoveryStateRecord, RevisionRecord, SecretRecord, Store,
};
use crate::console::{AuditQuery, EventQuery, FleetEvent};
use crate::error::{Error, Result};
use crate::host::MetricsSample;
use crate::instances::{Instance, RecoverySettings};

#[async_trait::async_trait]
impl Store for PostgresStore {
    async fn insert_customer(&self, customer: CustomerRecord, audit: AuditRecord) -> Result<()> {
        let mut c = self.client().await?;
        let tx = begin!(c);
        customers::insert(&tx, &customer).await?;
        self.finish(tx, Some(audit)).await.map(drop)
    }

    async fn customer(&self, id: &str) -> Result<Option<CustomerRecord>> {
        customers::get(&*self.client().await?, id).await
    }

    async fn customers(&self) -> Result<Vec<CustomerRecord>> {
        customers::all(&*self.client().await?).await
    }

    async fn update_customer(&self, customer: CustomerRecord, audit: AuditRecord) -> Result<()> {
        let mut c = self.client().await?;
        let tx = begin!(c);
        customers::update(&tx, &customer).await?;
        self.finish(tx, Some(audit)).await.map(drop)
    }

    async fn delete_customer(&self, id: &str, audit: AuditRecord) -> Result<()> {
        let mut c = self.client().await?;
        let tx = begin!(c);
        customers::delete(&tx, id).await?;
        self.finish(tx, Some(audit)).await.map(drop)
    }

    async fn insert_revision(&self, revision: RevisionRecord, audit: AuditRecord) -> Result<u64> {
        let mut c = self.client().await?;
        let tx = begin!(c);
        let number = customers::insert_revision(&tx, &revision).await?;
        self.finish(tx, Some(audit)).await?;
        Ok(number)
    }

    async fn revision(&self, customer_id: &str, number: u64) -> Result<Option<RevisionRecord>> {
        customers::revision(&*self.client().await?, customer_id, number).await
    }

    async fn revisions(&self, customer_id: &str) -> Result<Vec<RevisionRecord>> {
        customers::revisions(&*self.client().await?, customer_id).await
    }

    async fn deployed_hashes(&self) -> Result<Vec<(String, u64, String)>> {
        customers::deployed_hashes(&*self.client().await?).await
    }

    async fn latest_revision_numbers(&self) -> Result<HashMap<String, u64>> {
        customers::latest_revision_numbers(&*self.client().await?).await
    }

    async fn put_secret(&self, customer_id: &str, secret: SecretRecord, audit: AuditRecord) -> Result<()> {
        let mut c = self.client().await?;
        let tx = begin!(c);
        customers::put_secret(&tx, customer_id, &secret).await?;
        self.finish(tx, Some(audit)).await.map(drop)
    }

    async fn secret(&self, customer_id: &str, name: &str) -> Result<Option<SecretRecord>> {
        customers::secret(&*self.client().await?, customer_id, name).await
    }

    async fn secrets(&self, customer_id: &str) -> Result<Vec<SecretRecord>> {
        customers::secrets(&*self.client().await?, customer_id).await
    }

    async fn delete_secret(&self, customer_id: &str, name: &str, audit: AuditRecord) -> Result<bool> {
        let mut c = self.client().await?;
        let tx = begin!(c);
        let deleted = customers::delete_secret(&tx, customer_id, name).await?;
        self.finish(tx, Some(audit)).await?;
        Ok(deleted)
    }

    async fn save_bulk_run(&self, run: &BulkRun, audit: Option<AuditRecord>) -> Result<()> {
        let mut c = self.client().await?;
        let tx = begin!(c);
        bulk::save(&tx, run).await?;
        self.finish(tx, audit).await.map(drop)
    }

    async fn audit_bulk_run(&self, id: &str, audit: AuditRecord) -> Result<Option<BulkRun>> {
        let mut c = self.client().await?;
        let tx = begin!(c);
        let run = bulk::load(&*tx, id).await?;
        self.finish(tx, run.is_some().then_some(audit)).await?;
        Ok(run)
    }

    async fn save_target_result(&self, run_id: &str, result: &TargetResult) -> Result<()> {
        bulk::save_target(&**self.client().await?, run_id, result).await
    }

    async fn bulk_run(&self, id: &str) -> Result<Option<BulkRun>> {
        bulk::load(&**self.client().await?, id).await
    }

    async fn bulk_runs(&self, limit: usize) -> Result<Vec<BulkRun>> {
        bulk::newest(&*self.client().await?, limit).await
    }

    async fn unfinished_bulk_runs(&self) -> Result<Vec<BulkRun>> {
        bulk::unfinished(&*self.client().await?).await
    }

    async fn claim_lease(&self, name: &str, holder: &str, now_ms: u64, ttl_ms: u64) -> Result<LeaseRecord> {
        let mut c = self.client().await?;
        let tx = begin!(c);
        let lease = lease::claim(&tx, name, holder, now_ms, ttl_ms).await?;
        self.finish(tx, None).await?;
        Ok(lease)
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<()> {
        lease::release(&**self.client().await?, name, holder).await
    }

    async fn append_audit(&self, record: AuditRecord) -> Result<AuditEntry> {
        let mut c = self.client().await?;
        let tx = begin!(c);
        self.finish(tx, Some(record))
            .await?
            .ok_or_else(|| Error::Internal { message: "the audit entry was not appended".to_owned() })
    }

    async fn audit_head(&self) -> Result<Option<(u64, String)>> {
        audit::head(&**self.client().await?).await
    }

    async fn audit(&self, after: u64, limit: usize) -> Result<Vec<AuditEntry>> {
        audit::page(&*self.client().await?, after, limit).await
    }

    async fn audit_newest(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>> {
        audit::newest(&*self.client().await?, query).await
    }

    async fn insert_samples(&self, customer_id: &str, samples: &[MetricsSample]) -> Result<()> {
        let rows: Vec<(&str, &MetricsSample)> = samples.iter().map(|sample| (customer_id, sample)).collect();
        let mut c = self.client().await?;
        let tx = begin!(c);
        samples::insert(&tx, &rows).await?;
        self.finish(tx, None).await.map(drop)
    }

    async fn insert_fleet_samples(&self, samples: Vec<(String, MetricsSample)>) -> Result<()> {
        let rows: Vec<(&str, &MetricsSample)> =
            samples.iter().map(|(id, sample)| (id.as_str(), sample)).collect();
        let mut c = self.client().await?;
        let tx = begin!(c);
        samples::insert(&tx, &rows).await?;
        self.finish(tx, None).await.map(drop)
    }

    async fn samples(&self, customer_id: &str, since_ms: u64, until_ms: u64) -> Result<Vec<MetricsSample>> {
        samples::between(&*self.client().await?, customer_id, since_ms, until_ms).await
    }

    async fn prune_samples(&self, now_ms: u64) -> Result<()> {
        let mut c = self.client().await?;
        let tx = begin!(c);
        samples::prune(&tx, now_ms).await?;
        events::prune(&tx, now_ms).await?;
        self.finish(tx, None).await.map(drop)
    }

    async fn insert_event(&self, customer_id: &str, at_ms: u64, event: &FleetEvent) -> Result<()> {
        events::insert(&*self.client().await?, customer_id, at_ms, event).await
    }

    async fn events(&self, query: &EventQuery) -> Result<Vec<FleetEvent>> {
        events::list(&*self.client().await?, query).await
    }

    async fn upsert_alert(&self, alert: AlertRecord) -> Result<()> {
        samples::upsert_alert(&*self.client().await?, &alert).await
    }

    async fn alerts(&self, include_resolved: bool) -> Result<Vec<AlertRecord>> {
        samples::alerts(&*self.client().await?, include_resolved).await
    }

    async fn customer_alerts(&self, customer_id: &str) -> Result<Vec<AlertRecord>> {
        samples::customer_alerts(&*self.client().await?, customer_id).await
    }

    async fn login_failures(&self, name: &str, address: &str) -> Result<Option<(u32, u64)>> {
        accounts::login_failures(&*self.client().await?, name, address).await
    }

    async fn record_login_failure(
        &self,
        name: &str,
        address: &str,
        at_ms: u64,
        audit: AuditRecord,
    ) -> Result<u32> {
        let mut c = self.client().await?;
        let tx = begin!(c);
        let failures = accounts::record_login_failure(&tx, name, address, at_ms).await?;
        self.finish(tx, Some(audit)).await?;
        Ok(failures)
    }

    async fn clear_login_failures(
        &self,
        name: &str,
        address: Option<&str>,
        audit: Option<AuditRecord>,
    ) -> Result<()> {
        let mut c = self.client().await?;
        let tx = begin!(c);
        accounts::clear_login_failures(&tx, name, address).await?;
        self.finish(tx, audit).await.map(drop)
    }

    async fn count_login_attempt(&self, address: &str, at_ms: u64, window_ms: u64) -> Result<u32> {
        let mut c = self.client().await?;
        let tx = begin!(c);
        let attempts = accounts::count_login_attempt(&tx, address, at_ms, window_ms).await?;
        self.finish(tx, None).await?;
        Ok(attempts)
    }

    async fn key_fingerprints(&self) -> Result<Vec<(String, String)>> {
        keys::key_fingerprints(&*self.client().await?).await
    }

    async fn record_key_fingerprint(
        &self,
        name: &str,
        fingerprint: &str,
        replacing: Option<&str>,
        at_ms: u64,
        audit: AuditRecord,
    ) -> Result<bool> {
        let mut c = self.client().await?;
        let tx = begin!(c);
        let written = keys::record_key_fingerprint(&tx, name, fingerprint, replacing, at_ms).await?;
        self.finish(tx, written.then_some(audit)).await?;
        Ok(written)
    }

    async fn claim_idempotency_key(
        &self,
        caller: &str,
        key: &str,
        fingerprint: &str,
        at_ms: u64,
        keep_ms: u64,
    ) -> Result<crate::console::IdempotencyClaim> {
        let mut c = self.client().await?;
        let tx = begin!(c);
        let claim = keys::claim_idempotency_key(&tx, (caller, key, fingerprint), at_ms, keep_ms).await?;
        self.finish(tx, None).await?;
        Ok(claim)
    }

    async fn finish_idempotency_key(&self, caller: &str, key: &str, result: Option<&str>) -> Result<()> {
        let mut c = self.client().await?;
        let tx = begin!(c);
        keys::finish_idempotency_key(&tx, caller, key, result).await?;
        self.finish(tx, None).await.map(drop)
    }

    async fn event_channel(&self) -> Result<Option<crate::console::feed::EventChannel>> {
        Ok(Some(self.listen().await?))
    }

    #[cfg(feature = "sqlite")]
    async fn export_sqlite(&self, path: &std::path::Path) -> Result<()> {
        self.export_tables(path).await.map(drop)
    }

    #[cfg(not(feature = "sqlite"))]
    async fn export_sqlite(&self, _path: &std::path::Path) -> Result<()> {
        Err(Error::Unavailable {
            message: "this voicefleet was built without SQLite (feature `sqlite`)".to_owned(),
        })
    }

    async fn insert_user(&self, user: UserRecord, audit: AuditRecord) -> Result<()> {
        let mut c = self.client().await?;
        let tx = begin!(c);
        accounts::insert_user(&tx, &user).await?;
        self.finish(tx, Some(audit)).await.map(drop)
    }

    async fn user(&self, name: &str) -> Result<Option<UserRecord>> {
        accounts::user(&*self.client().await?, name).await
    }

    async fn users(&self) -> Result<Vec<UserRecord>> {
        accounts::users(&*self.client().await?).await
    }

    async fn update_user(&self, user: UserRecord, audit: Option<AuditRecord>) -> Result<()> {
        let mut c = self.client().await?;
        let tx = begin!(c);
        accounts::update_user(&tx, &user).await?;
        self.finish(tx, audit).await.map(drop)
    }

    async fn delete_user(&self, name: &str, audit: AuditRecord) -> Result<()> {
        let mut c = self.client().await?;
        let tx = begin!(c);
        accounts::delete_user(&tx, name).await?;
        self.finish(tx, Some(audit)).await.map(drop)
    }

    async fn mfa(&self, name: &str) -> Result<Option<MfaRecord>> {
        mfa::get(&*self.client().await?, name).await
    }

    async fn mfa_all(&self) -> Result<Vec<MfaRecord>> {
        mfa::all(&*self.client().await?).await
    }

    async fn put_mfa(&self, record: MfaRecord, audit: AuditRecord) -> Result<()> {
        let mut c = self.client().await?;
        let tx = begin!(c);
        mfa::put(&tx, &record).await?;
        self.finish(tx, Some(audit)).await.map(drop)
    }

    async fn use_totp_step(&self, name: &str, step: u64) -> Result<bool> {
        let mut c = self.client().await?;
        let tx = begin!(c);
        let used = mfa::use_step(&tx, name, step).await?;
        self.finish(tx, None).await?;
        Ok(used)
    }

    async fn confirm_mfa(&self, name: &str, step: u64, audit: AuditRecord) -> Result<bool> {
        let mut c = self.client().await?;
        let tx = begin!(c);
        // The audit entry only when the confirmation took (same transaction).
        let confirmed = mfa::confirm_with_step(&tx, name, step).await?;
        self.finish(tx, confirmed.then_some(audit)).await?;
        Ok(confirmed)
    }

    async fn use_recovery_code(&self, name: &str, hash: &str, at_ms: u64) -> Result<bool> {
        let mut c = self.client().await?;
        let tx = begin!(c);
        let used = mfa::use_recovery_code(&tx, name, hash, at_ms).await?;
        self.finish(tx, None).await?;
        Ok(used)
    }

    async fn delete_mfa(&self, name: &str, audit: AuditRecord) -> Result<bool> {
        let mut c = self.client().await?;
        let tx = begin!(c);
        let deleted = mfa::delete(&tx, name).await?;
        self.finish(tx, Some(audit)).await?;
        Ok(deleted)
    }

    async fn mfa_required_roles(&self) -> Result<Vec<Role>> {
        mfa::required_roles(&*self.client().await?).await
    }

    async fn set_mfa_required(&self, role: Role, required: bool, audit: AuditRecord) -> Result<()> {
        let mut c = self.client().await?;
        let tx = begin!(c);
        mfa::set_required(&tx, role, required).await?;
        self.finish(tx, Some(audit)).await.map(drop)
    }

    async fn insert_token(&self, token: TokenRecord, audit: AuditRecord) -> Result<()> {
        let mut c = self.client().await?;
        let tx = begin!(c);
        accounts::insert_token(&tx, &token).await?;
        self.finish(tx, Some(audit)).await.map(drop)
    }

    async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>> {
        accounts::token_by_hash(&*self.client().await?, hash).await
    }

    async fn tokens(&self) -> Result<Vec<TokenRecord>> {
        accounts::tokens(&*self.client().await?).await
    }

    async fn revoke_token(&self, id: &str, audit: AuditRecord) -> Result<bool> {
        let mut c = self.client().await?;
        let tx = begin!(c);
        let revoked = accounts::revoke_token(&tx, id).await?;
        self.finish(tx, Some(audit)).await?;
        Ok(revoked)
    }

    async fn replace_instances(
        &self,
        found: Vec<Instance>,
        synced_at_ms: u64,
        audit: AuditRecord,
    ) -> Result<()> {
        let mut c = self.client().await?;
        let tx = begin!(c);
        instances::replace(&tx, &found, synced_at_ms).await?;
        self.finish(tx, Some(audit)).await.map(drop)
    }

    async fn put_instance(&self, instance: Instance, synced_at_ms: u64) -> Result<()> {
        instances::put(&**self.client().await?, &instance, synced_at_ms).await
    }

    async fn instances(&self) -> Result<(Vec<Instance>, Option<u64>)> {
        instances::all(&*self.client().await?).await
    }

    async fn put_launch_spec(
        &self,
        customer_id: &str,
        spec: LaunchSpecRecord,
        audit: AuditRecord,
    ) -> Result<()> {
        let mut c = self.client().await?;
        let tx = begin!(c);
        instances::put_launch_spec(&tx, customer_id, &spec).await?;
        self.finish(tx, Some(audit)).await.map(drop)
    }

    async fn launch_spec(&self, customer_id: &str) -> Result<Option<LaunchSpecRecord>> {
        instances::launch_spec(&*self.client().await?, customer_id).await
    }

    async fn put_recovery_settings(
        &self,
        customer_id: Option<&str>,
        settings: RecoverySettings,
        audit: AuditRecord,
    ) -> Result<()> {
        let mut c = self.client().await?;
        let tx = begin!(c);
        instances::put_recovery_settings(&tx, customer_id, &settings).await?;
        self.finish(tx, Some(audit)).await.map(drop)
    }

    async fn recovery_settings(&self) -> Result<RecoverySettingsLevels> {
        instances::recovery_settings(&*self.client().await?).await
    }

    async fn put_recovery_state(&self, customer_id: &str, state: RecoveryStateRecord) -> Result<()> {
        instances::put_recovery_state(&*self.client().await?, customer_id, &state).await
    }

    async fn recovery_states(&self) -> Result<std::collections::BTreeMap<String, RecoveryStateRecord>> {
        instances::recovery_states(&*self.client().await?).await
    }
}
