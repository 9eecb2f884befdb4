//! The embedded store: one SQLite database (WAL, foreign keys on, versioned migrations) in the
//! data directory, so a new user installs no server.
//!
//! `migrations.rs` holds the schema; one module per table group holds its SQL
//! (`customers.rs`: customers, revisions and secrets; `bulk.rs`; `audit.rs`; `samples.rs`:
//! samples and alerts; `accounts.rs`: users, API tokens and login attempts; `mfa.rs`: users' second
//! factor; `keys.rs`: the key fingerprints replicas share). Every change and its audit entry
//! are written in one transaction ([`SqliteStore::audited`]).

mod accounts;
mod audit;
mod bulk;
mod customers;
mod events;
mod instances;
mod keys;
mod lease;
mod mfa;
mod migrations;
mod query;
mod samples;

use std::path::Path;
use std::sync::{Arc, Mutex};

pub(crate) use audit::chain as audit_chain;
pub(crate) use migrations::SCHEMA_VERSION;
use query::{db_error, json_error, query_all, query_bodies, query_one};

use rusqlite::{Connection, Transaction};

use super::accounts::{TokenRecord, UserRecord};
use super::audit::{AuditEntry, AuditKey, AuditRecord};
use super::bulk::{BulkRun, TargetResult};
use super::lease::LeaseRecord;
use super::store::{
    AlertRecord, CustomerRecord, LaunchSpecRecord, RecoverySettingsLevels, RecoveryStateRecord,
    RevisionRecord, SecretRecord, Store,
};
use crate::error::{Error, Result};
use crate::host::MetricsSample;
use crate::instances::{Instance, RecoverySettings};

/// The SQLite store.
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
#[derive(Clone)]
pub struct SqliteStore {
    connection: Arc<Mutex<Connection>>,
    /// The audit chain's MAC key; without it entries are plain SHA-256 (tests, old consoles).
    audit_key: Option<Arc<AuditKey>>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteStore")
    }
}

impl SqliteStore {
    /// Opens (creating) `PATH` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self> {
        let connection = Connection::open(path).map_err(db_error)?;
        Self::setup(connection)
    }

    /// A private in-memory database, for tests.
    pub fn in_memory() -> Result<Self> {
        Self::setup(Connection::open_in_memory().map_err(db_error)?)
    }

    fn setup(mut connection: Connection) -> Result<Self> {
        connection
            .execute_batch("PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;")
            .map_err(db_error)?;
        migrations::migrate(&mut connection)?;
        Ok(Self { connection: Arc::new(Mutex::new(connection)), audit_key: None })
    }

    /// This store, chaining new audit entries with `key` (HMAC-SHA256).
    pub fn with_audit_key(mut self, key: AuditKey) -> Self {
        self.audit_key = Some(Arc::new(key));
        self
    }

    /// The audit key entries are chained with, if any.
    fn key(&self) -> Option<Arc<AuditKey>> {
        self.audit_key.clone()
    }

    /// Runs `work` on the connection off the async runtime.
    pub(crate) async fn with<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let connection = self.connection.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = connection.lock().unwrap_or_else(|p| p.into_inner());
            work(&mut guard)
        })
        .await
        .map_err(|e| Error::Internal { message: e.to_string() })?
    }

    /// Runs `work` in one transaction.
    async fn transaction<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Transaction<'_>) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        self.with(move |connection| {
            let transaction = connection.transaction().map_err(db_error)?;
            let value = work(&transaction)?;
            transaction.commit().map_err(db_error)?;
            Ok(value)
        })
        .await
    }

    /// Runs `work` in one transaction with an audit entry appended to the chain.
    async fn audited<T: Send + 'static>(
        &self,
        audit: AuditRecord,
        work: impl FnOnce(&Transaction<'_>) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let key = self.key();
        self.transaction(move |tx| {
            let value = work(tx)?;
            audit::append(tx, &audit, key.as_deref())?;
            Ok(value)
        })
        .await
    }
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    async fn insert_customer(&self, customer: CustomerRecord, audit: AuditRecord) -> Result<()> {
        self.audited(audit, move |tx| customers::insert(tx, &customer)).await
    }

    async fn customer(&self, id: &str) -> Result<Option<CustomerRecord>> {
        let id = id.to_owned();
        self.with(move |c| customers::get(c, &id)).await
    }

    async fn customers(&self) -> Result<Vec<CustomerRecord>> {
        self.with(|c| customers::all(c)).await
    }

    async fn update_customer(&self, customer: CustomerRecord, audit: AuditRecord) -> Result<()> {
        self.audited(audit, move |tx| customers::update(tx, &customer)).await
    }

    async fn delete_customer(&self, id: &str, audit: AuditRecord) -> Result<()> {
        let id = id.to_owned();
        self.audited(audit, move |tx| customers::delete(tx, &id)).await
    }

    async fn insert_revision(&self, revision: RevisionRecord, audit: AuditRecord) -> Result<u64> {
        self.audited(audit, move |tx| customers::insert_revision(tx, &revision)).await
    }

    async fn revision(&self, customer_id: &str, number: u64) -> Result<Option<RevisionRecord>> {
        let customer_id = customer_id.to_owned();
        self.with(move |c| customers::revision(c, &customer_id, number)).await
    }

    async fn revisions(&self, customer_id: &str) -> Result<Vec<RevisionRecord>> {
        let customer_id = customer_id.to_owned();
        self.with(move |c| customers::revisions(c, &customer_id)).await
    }

    async fn deployed_hashes(&self) -> Result<Vec<(String, u64, String)>> {
        self.with(customers::deployed_hashes).await
    }

    async fn latest_revision_numbers(&self) -> Result<std::collections::HashMap<String, u64>> {
        self.with(|c| customers::latest_revision_numbers(c)).await
    }

    async fn put_secret(&self, customer_id: &str, secret: SecretRecord, audit: AuditRecord) -> Result<()> {
        let customer_id = customer_id.to_owned();
        self.audited(audit, move |tx| customers::put_secret(tx, &customer_id, &secret)).await
    }

    async fn secret(&self, customer_id: &str, name: &str) -> Result<Option<SecretRecord>> {
        let (customer_id, name) = (customer_id.to_owned(), name.to_owned());
        self.with(move |c| customers::secret(c, &customer_id, &name)).await
    }

    async fn secrets(&self, customer_id: &str) -> Result<Vec<SecretRecord>> {
        let customer_id = customer_id.to_owned();
        self.with(move |c| customers::secrets(c, &customer_id)).await
    }

    async fn delete_secret(&self, customer_id: &str, name: &str, audit: AuditRecord) -> Result<bool> {
        let (customer_id, name) = (customer_id.to_owned(), name.to_owned());
        self.audited(audit, move |tx| customers::delete_secret(tx, &customer_id, &name)).await
    }

    async fn save_bulk_run(&self, run: &BulkRun, audit: Option<AuditRecord>) -> Result<()> {
        let rows = bulk::RunRows::of(run)?;
        let key = self.key();
        self.transaction(move |tx| {
            bulk::save(tx, &rows)?;
            if let Some(audit) = audit {
                audit::append(tx, &audit, key.as_deref())?;
            }
            Ok(())
        })
        .await
    }

    async fn audit_bulk_run(&self, id: &str, audit: AuditRecord) -> Result<Option<BulkRun>> {
        let (id, key) = (id.to_owned(), self.key());
        self.transaction(move |tx| {
            let run = bulk::load(tx, &id)?;
            if run.is_some() {
                audit::append(tx, &audit, key.as_deref())?;
            }
            Ok(run)
        })
        .await
    }

    async fn save_target_result(&self, run_id: &str, result: &TargetResult) -> Result<()> {
        let body = serde_json::to_string(result).map_err(json_error)?;
        let (run_id, customer) = (run_id.to_owned(), result.customer_id.clone());
        self.with(move |c| bulk::save_target(c, &run_id, &customer, &body)).await
    }

    async fn bulk_run(&self, id: &str) -> Result<Option<BulkRun>> {
        let id = id.to_owned();
        self.with(move |c| bulk::load(c, &id)).await
    }

    async fn bulk_runs(&self, limit: usize) -> Result<Vec<BulkRun>> {
        self.with(move |c| bulk::newest(c, limit)).await
    }

    async fn unfinished_bulk_runs(&self) -> Result<Vec<BulkRun>> {
        self.with(|c| bulk::unfinished(c)).await
    }

    async fn claim_lease(&self, name: &str, holder: &str, now_ms: u64, ttl_ms: u64) -> Result<LeaseRecord> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        self.transaction(move |tx| lease::claim(tx, &name, &holder, now_ms, ttl_ms)).await
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<()> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        self.with(move |c| lease::release(c, &name, &holder)).await
    }

    async fn append_audit(&self, record: AuditRecord) -> Result<AuditEntry> {
        let key = self.key();
        self.transaction(move |tx| audit::append(tx, &record, key.as_deref())).await
    }

    async fn audit_head(&self) -> Result<Option<(u64, String)>> {
        self.with(|c| audit::head(c)).await
    }

    async fn audit(&self, after: u64, limit: usize) -> Result<Vec<AuditEntry>> {
        self.with(move |c| audit::page(c, after, limit)).await
    }

    async fn audit_newest(&self, query: &crate::console::AuditQuery) -> Result<Vec<AuditEntry>> {
        let query = query.clone();
        self.with(move |c| audit::newest(c, &query)).await
    }

    async fn insert_samples(&self, customer_id: &str, samples: &[MetricsSample]) -> Result<()> {
        let rows = samples::rows(samples)?;
        let customer_id = customer_id.to_owned();
        self.transaction(move |tx| samples::insert(tx, &customer_id, &rows)).await
    }

    async fn insert_fleet_samples(&self, samples: Vec<(String, MetricsSample)>) -> Result<()> {
        let rows = samples
            .into_iter()
            .map(|(customer_id, sample)| Ok((customer_id, samples::rows(&[sample])?)))
            .collect::<Result<Vec<_>>>()?;
        self.transaction(move |tx| rows.iter().try_for_each(|(id, rows)| samples::insert(tx, id, rows))).await
    }

    async fn samples(&self, customer_id: &str, since_ms: u64, until_ms: u64) -> Result<Vec<MetricsSample>> {
        let customer_id = customer_id.to_owned();
        self.with(move |c| samples::between(c, &customer_id, since_ms, until_ms)).await
    }

    async fn prune_samples(&self, now_ms: u64) -> Result<()> {
        self.transaction(move |tx| {
            samples::prune(tx, now_ms)?;
            events::prune(tx, now_ms)
        })
        .await
    }

    async fn insert_event(&self, customer_id: &str, at_ms: u64, event: &super::FleetEvent) -> Result<()> {
        let (customer_id, event) = (customer_id.to_owned(), event.clone());
        self.with(move |c| events::insert(c, &customer_id, at_ms, &event)).await
    }

    async fn events(&self, query: &super::EventQuery) -> Result<Vec<super::FleetEvent>> {
        let query = query.clone();
        self.with(move |c| events::list(c, &query)).await
    }

    async fn upsert_alert(&self, alert: AlertRecord) -> Result<()> {
        let body = serde_json::to_string(&alert).map_err(json_error)?;
        self.with(move |c| samples::upsert_alert(c, &alert, &body)).await
    }

    async fn alerts(&self, include_resolved: bool) -> Result<Vec<AlertRecord>> {
        self.with(move |c| samples::alerts(c, include_resolved)).await
    }

    async fn customer_alerts(&self, customer_id: &str) -> Result<Vec<AlertRecord>> {
        let customer_id = customer_id.to_owned();
        self.with(move |c| samples::customer_alerts(c, &customer_id)).await
    }

    async fn login_failures(&self, name: &str, address: &str) -> Result<Option<(u32, u64)>> {
        let (name, address) = (name.to_owned(), address.to_owned());
        self.with(move |c| accounts::login_failures(c, &name, &address)).await
    }

    async fn record_login_failure(
        &self,
        name: &str,
        address: &str,
        at_ms: u64,
        audit: AuditRecord,
    ) -> Result<u32> {
        let (name, address) = (name.to_owned(), address.to_owned());
        self.audited(audit, move |tx| accounts::record_login_failure(tx, &name, &address, at_ms)).await
    }

    async fn clear_login_failures(
        &self,
        name: &str,
        address: Option<&str>,
        audit: Option<AuditRecord>,
    ) -> Result<()> {
        let (name, address) = (name.to_owned(), address.map(str::to_owned));
        let work = move |tx: &Transaction<'_>| accounts::clear_login_failures(tx, &name, address.as_deref());
        match audit {
            Some(audit) => self.audited(audit, work).await,
            None => self.transaction(work).await,
        }
    }

    async fn count_login_attempt(&self, address: &str, at_ms: u64, window_ms: u64) -> Result<u32> {
        let address = address.to_owned();
        self.transaction(move |tx| accounts::count_login_attempt(tx, &address, at_ms, window_ms)).await
    }

    async fn key_fingerprints(&self) -> Result<Vec<(String, String)>> {
        self.with(|c| keys::key_fingerprints(c)).await
    }

    async fn record_key_fingerprint(
        &self,
        name: &str,
        fingerprint: &str,
        replacing: Option<&str>,
        at_ms: u64,
        audit: AuditRecord,
    ) -> Result<bool> {
        let (name, fingerprint, replacing) =
            (name.to_owned(), fingerprint.to_owned(), replacing.map(str::to_owned));
        let key = self.key();
        self.transaction(move |tx| {
            let written = keys::record_key_fingerprint(tx, &name, &fingerprint, replacing.as_deref(), at_ms)?;
            if written {
                audit::append(tx, &audit, key.as_deref())?;
            }
            Ok(written)
        })
        .await
    }

    async fn claim_idempotency_key(
        &self,
        caller: &str,
        key: &str,
        fingerprint: &str,
        at_ms: u64,
        keep_ms: u64,
    ) -> Result<crate::console::IdempotencyClaim> {
        let (caller, key, fingerprint) = (caller.to_owned(), key.to_owned(), fingerprint.to_owned());
        self.transaction(move |tx| {
            keys::claim_idempotency_key(tx, (&caller, &key, &fingerprint), at_ms, keep_ms)
        })
        .await
    }

    async fn finish_idempotency_key(&self, caller: &str, key: &str, result: Option<&str>) -> Result<()> {
        let (caller, key, result) = (caller.to_owned(), key.to_owned(), result.map(str::to_owned));
        self.transaction(move |tx| keys::finish_idempotency_key(tx, &caller, &key, result.as_deref())).await
    }

    async fn event_channel(&self) -> Result<Option<crate::console::feed::EventChannel>> {
        // One process owns the database file: its events need no channel.
        Ok(None)
    }

    async fn export_sqlite(&self, path: &Path) -> Result<()> {
        let path = path.to_owned();
        self.with(move |c| {
            let mut copy = Connection::open(&path).map_err(db_error)?;
            let backup = rusqlite::backup::Backup::new(c, &mut copy).map_err(db_error)?;
            backup.run_to_completion(1024, std::time::Duration::ZERO, None).map_err(db_error)?;
            drop(backup);
            copy.pragma_update(None, "journal_mode", "DELETE").map_err(db_error)
        })
        .await
    }

    async fn insert_user(&self, user: UserRecord, audit: AuditRecord) -> Result<()> {
        self.audited(audit, move |tx| accounts::insert_user(tx, &user)).await
    }

    async fn user(&self, name: &str) -> Result<Option<UserRecord>> {
        let name = name.to_owned();
        self.with(move |c| accounts::user(c, &name)).await
    }

    async fn users(&self) -> Result<Vec<UserRecord>> {
        self.with(|c| accounts::users(c)).await
    }

    async fn update_user(&self, user: UserRecord, audit: Option<AuditRecord>) -> Result<()> {
        let key = self.key();
        self.transaction(move |tx| {
            accounts::update_user(tx, &user)?;
            if let Some(audit) = audit {
                audit::append(tx, &audit, key.as_deref())?;
            }
            Ok(())
        })
        .await
    }

    async fn delete_user(&self, name: &str, audit: AuditRecord) -> Result<()> {
        let name = name.to_owned();
        self.audited(audit, move |tx| accounts::delete_user(tx, &name)).await
    }

    async fn mfa(&self, name: &str) -> Result<Option<super::mfa::MfaRecord>> {
        let name = name.to_owned();
        self.with(move |c| mfa::get(c, &name)).await
    }

    async fn mfa_all(&self) -> Result<Vec<super::mfa::MfaRecord>> {
        self.with(|c| mfa::all(c)).await
    }

    async fn put_mfa(&self, record: super::mfa::MfaRecord, audit: AuditRecord) -> Result<()> {
        self.audited(audit, move |tx| mfa::put(tx, &record)).await
    }

    async fn use_totp_step(&self, name: &str, step: u64) -> Result<bool> {
        let name = name.to_owned();
        self.transaction(move |tx| mfa::use_step(tx, &name, step)).await
    }

    async fn confirm_mfa(&self, name: &str, step: u64, audit: AuditRecord) -> Result<bool> {
        let (name, key) = (name.to_owned(), self.key());
        // The audit entry only when the confirmation took (same transaction).
        self.transaction(move |tx| {
            let confirmed = mfa::confirm_with_step(tx, &name, step)?;
            if confirmed {
                audit::append(tx, &audit, key.as_deref())?;
            }
            Ok(confirmed)
        })
        .await
    }

    async fn use_recovery_code(&self, name: &str, hash: &str, at_ms: u64) -> Result<bool> {
        let (name, hash) = (name.to_owned(), hash.to_owned());
        self.transaction(move |tx| mfa::use_recovery_code(tx, &name, &hash, at_ms)).await
    }

    async fn delete_mfa(&self, name: &str, audit: AuditRecord) -> Result<bool> {
        let name = name.to_owned();
        self.audited(audit, move |tx| mfa::delete(tx, &name)).await
    }

    async fn mfa_required_roles(&self) -> Result<Vec<crate::auth::Role>> {
        self.with(|c| mfa::required_roles(c)).await
    }

    async fn set_mfa_required(
        &self,
        role: crate::auth::Role,
        required: bool,
        audit: AuditRecord,
    ) -> Result<()> {
        self.audited(audit, move |tx| mfa::set_required(tx, role, required)).await
    }

    async fn insert_token(&self, token: TokenRecord, audit: AuditRecord) -> Result<()> {
        self.audited(audit, move |tx| accounts::insert_token(tx, &token)).await
    }

    async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>> {
        let hash = hash.to_owned();
        self.with(move |c| accounts::token_by_hash(c, &hash)).await
    }

    async fn tokens(&self) -> Result<Vec<TokenRecord>> {
        self.with(|c| accounts::tokens(c)).await
    }

    async fn revoke_token(&self, id: &str, audit: AuditRecord) -> Result<bool> {
        let id = id.to_owned();
        self.audited(audit, move |tx| accounts::revoke_token(tx, &id)).await
    }

    async fn replace_instances(
        &self,
        found: Vec<Instance>,
        synced_at_ms: u64,
        audit: AuditRecord,
    ) -> Result<()> {
        self.audited(audit, move |tx| instances::replace(tx, &found, synced_at_ms)).await
    }

    async fn put_instance(&self, instance: Instance, synced_at_ms: u64) -> Result<()> {
        self.with(move |c| instances::put(c, &instance, synced_at_ms)).await
    }

    async fn instances(&self) -> Result<(Vec<Instance>, Option<u64>)> {
        self.with(|c| instances::all(c)).await
    }

    async fn put_launch_spec(
        &self,
        customer_id: &str,
        spec: LaunchSpecRecord,
        audit: AuditRecord,
    ) -> Result<()> {
        let customer_id = customer_id.to_owned();
        self.audited(audit, move |tx| instances::put_launch_spec(tx, &customer_id, &spec)).await
    }

    async fn launch_spec(&self, customer_id: &str) -> Result<Option<LaunchSpecRecord>> {
        let customer_id = customer_id.to_owned();
        self.with(move |c| instances::launch_spec(c, &customer_id)).await
    }

    async fn put_recovery_settings(
        &self,
        customer_id: Option<&str>,
        settings: RecoverySettings,
        audit: AuditRecord,
    ) -> Result<()> {
        let customer_id = customer_id.map(str::to_owned);
        self.audited(audit, move |tx| instances::put_recovery_settings(tx, customer_id.as_deref(), &settings))
            .await
    }

    async fn recovery_settings(&self) -> Result<RecoverySettingsLevels> {
        self.with(|c| instances::recovery_settings(c)).await
    }

    async fn put_recovery_state(&self, customer_id: &str, state: RecoveryStateRecord) -> Result<()> {
        let customer_id = customer_id.to_owned();
        self.with(move |c| instances::put_recovery_state(c, &customer_id, &state)).await
    }

    async fn recovery_states(&self) -> Result<std::collections::BTreeMap<String, RecoveryStateRecord>> {
        self.with(|c| instances::recovery_states(c)).await
    }
}
