//! The store port: everything the console keeps. The embedded default is SQLite (`sqlite/`);
//! PostgreSQL (`postgres/`, feature `postgres`) implements the same trait, and one contract suite
//! (`voicefleet-tests`' `store_contract`) holds both to it. Every method is one unit of work,
//! atomic on its own: a change and its audit entry commit together.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::accounts::{TokenRecord, UserRecord};
use super::audit::{AuditEntry, AuditRecord};
use super::bulk::{BulkRun, TargetResult};
use super::lease::LeaseRecord;
use super::mfa::MfaRecord;
use crate::auth::Role;
use crate::error::Result;
use crate::host::MetricsSample;
use crate::instances::{Instance, LaunchSpec, RecoverySettings};

/// The fleet's recovery settings, and each customer's that has its own.
pub type RecoverySettingsLevels = (Option<RecoverySettings>, BTreeMap<String, RecoverySettings>);

/// What a claim of an `Idempotency-Key` found ([`Store::claim_idempotency_key`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyClaim {
    /// This claim is the first: run the request, then record its result.
    First,
    /// Claimed before, for the request of `fingerprint`; `result` once it finished.
    Taken {
        /// What the first request asked for.
        fingerprint: String,
        /// Its result, when it finished.
        result: Option<String>,
    },
}

/// A stored customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CustomerRecord {
    /// The customer's id.
    pub id: String,
    /// The display name.
    pub name: String,
    /// The host agent's base URL.
    pub endpoint: String,
    /// Tags, key to value.
    pub tags: BTreeMap<String, String>,
    /// When the customer was added, in milliseconds since the Unix epoch.
    pub created_at_ms: u64,
    /// The revision last deployed to the host, if any.
    pub deployed_revision: Option<u64>,
    /// How the console checks the host's certificate (`customers add --ca | --pin`).
    #[serde(default, skip_serializing_if = "crate::transport::HostTrust::is_default")]
    pub trust: crate::transport::HostTrust,
}

/// A stored configuration revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RevisionRecord {
    /// The customer's id.
    pub customer_id: String,
    /// The revision number, from 1; 0 in a record given to [`Store::insert_revision`] means "the
    /// next one, whatever it is".
    pub number: u64,
    /// The configuration document as JSON text, with `secret://` references (never values).
    pub document: String,
    /// `sha256:<hex>` of the document's canonical JSON.
    pub hash: String,
    /// Who created it.
    pub author: String,
    /// Why, in the author's words.
    pub message: String,
    /// When it was created, in milliseconds since the Unix epoch.
    pub created_at_ms: u64,
}

/// A stored secret: the value encrypted, never in clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretRecord {
    /// The secret's name.
    pub name: String,
    /// The nonce the value was sealed with.
    pub nonce: Vec<u8>,
    /// The value sealed with the console's master key (ChaCha20-Poly1305, bound to customer and
    /// name).
    pub ciphertext: Vec<u8>,
    /// When the value was last set, in milliseconds since the Unix epoch.
    pub updated_at_ms: u64,
}

/// An alert's stored state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AlertRecord {
    /// The customer it is about (empty for the console-wide `security` rule).
    pub customer_id: String,
    /// The rule: `unreachable`, `incompatible`, `agent_down`, `crash_loop`, `cpu`, `memory`,
    /// `error_rate`, `p95_latency`, `log_lines_dropped`, `disk_low`, `memory_pressure` or
    /// `security`.
    pub rule: String,
    /// Whether it is firing now; false once resolved.
    pub firing: bool,
    /// What was wrong when it fired, in words.
    pub message: String,
    /// When it started firing, in milliseconds since the Unix epoch.
    pub since_ms: u64,
    /// When it resolved, in milliseconds since the Unix epoch; none while it fires.
    pub resolved_at_ms: Option<u64>,
}

/// A customer's stored launch spec: how to launch its host, with the cloud-init user data
/// sealed under the console's master key (the user data holds the host's TLS private key).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LaunchSpecRecord {
    /// How to launch the host. Its `user_data` is `None` in what the console writes; a record
    /// written before user data was sealed may still hold it in clear.
    pub spec: LaunchSpec,
    /// The user data sealed for this customer: (nonce, ciphertext); none when there is none.
    pub sealed_user_data: Option<(Vec<u8>, Vec<u8>)>,
}

/// The stored form of a [`LaunchSpecRecord`]: the spec's fields, and the sealed user data in
/// hexadecimal (one JSON text, the same in every store).
#[derive(Serialize, Deserialize)]
struct LaunchSpecBody {
    #[serde(flatten)]
    spec: LaunchSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sealed_user_data: Option<SealedBody>,
}

#[derive(Serialize, Deserialize)]
struct SealedBody {
    nonce: String,
    ciphertext: String,
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

impl LaunchSpecRecord {
    /// The JSON text a store keeps.
    pub(crate) fn to_body(&self) -> Result<String> {
        let body = LaunchSpecBody {
            spec: self.spec.clone(),
            sealed_user_data: self.sealed_user_data.as_ref().map(|(nonce, ciphertext)| SealedBody {
                nonce: to_hex(nonce),
                ciphertext: to_hex(ciphertext),
            }),
        };
        serde_json::to_string(&body).map_err(|e| crate::Error::Internal { message: e.to_string() })
    }

    /// Reads what [`LaunchSpecRecord::to_body`] wrote (or an older record, user data in clear).
    pub(crate) fn from_body(text: &str) -> Result<LaunchSpecRecord> {
        let corrupt = |why: String| crate::Error::Internal { message: format!("a stored launch spec {why}") };
        let body: LaunchSpecBody =
            serde_json::from_str(text).map_err(|e| corrupt(format!("is not readable: {e}")))?;
        let sealed_user_data = match body.sealed_user_data {
            None => None,
            Some(sealed) => Some((
                from_hex(&sealed.nonce).ok_or_else(|| corrupt("has a bad nonce".to_owned()))?,
                from_hex(&sealed.ciphertext).ok_or_else(|| corrupt("has bad sealed user data".to_owned()))?,
            )),
        };
        Ok(LaunchSpecRecord { spec: body.spec, sealed_user_data })
    }
}

/// What recovery remembers of a customer, kept across console restarts.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RecoveryStateRecord {
    /// When the last recovery for the customer started (at most one per window).
    pub last_recovery_ms: Option<u64>,
    /// A replacement launched whose configuration is not restored yet: its instance id.
    pub restore_instance_id: Option<String>,
    /// A recovery was done and the customer's agent has not run since: the `recovery` alert
    /// resolves, saying when, once it does.
    pub awaiting_healthy: bool,
}

impl RecoveryStateRecord {
    /// Nothing to remember (a store keeps no row for it).
    pub fn is_empty(&self) -> bool {
        *self == RecoveryStateRecord::default()
    }
}

/// The console's persistence.
#[async_trait::async_trait]
pub trait Store: Send + Sync {
    /// Conflict when the id exists.
    async fn insert_customer(&self, customer: CustomerRecord, audit: AuditRecord) -> Result<()>;
    /// The customer `id`; none when there is no such customer.
    async fn customer(&self, id: &str) -> Result<Option<CustomerRecord>>;
    /// Every customer, by id.
    async fn customers(&self) -> Result<Vec<CustomerRecord>>;
    /// Replaces the stored customer of the same id, with its audit entry.
    async fn update_customer(&self, customer: CustomerRecord, audit: AuditRecord) -> Result<()>;
    /// Removes the customer with its revisions, secrets and alerts.
    async fn delete_customer(&self, id: &str, audit: AuditRecord) -> Result<()>;

    /// Stores a revision with the next number for the customer; returns the number. A revision
    /// whose `number` is not 0 must be exactly the next one, else [`crate::Error::Stale`] (checked
    /// in the same transaction: two writers on the same parent cannot both win).
    async fn insert_revision(&self, revision: RevisionRecord, audit: AuditRecord) -> Result<u64>;
    /// The customer's revision `number`; none when there is no such revision.
    async fn revision(&self, customer_id: &str, number: u64) -> Result<Option<RevisionRecord>>;
    /// Newest first.
    async fn revisions(&self, customer_id: &str) -> Result<Vec<RevisionRecord>>;
    /// Every customer's deployed revision as (customer, revision number, hash), in one read.
    async fn deployed_hashes(&self) -> Result<Vec<(String, u64, String)>>;
    /// Each customer's latest revision number (customers with none are absent).
    async fn latest_revision_numbers(&self) -> Result<std::collections::HashMap<String, u64>>;

    /// Stores a secret, replacing one of the same name, with its audit entry.
    async fn put_secret(&self, customer_id: &str, secret: SecretRecord, audit: AuditRecord) -> Result<()>;
    /// One stored secret; none when there is no such secret.
    async fn secret(&self, customer_id: &str, name: &str) -> Result<Option<SecretRecord>>;
    /// The customer's secrets, by name.
    async fn secrets(&self, customer_id: &str) -> Result<Vec<SecretRecord>>;
    /// Returns false when there was none.
    async fn delete_secret(&self, customer_id: &str, name: &str, audit: AuditRecord) -> Result<bool>;

    /// Saves the run and its targets; with `audit`, its audit entry in the same transaction
    /// (the run's start).
    async fn save_bulk_run(&self, run: &BulkRun, audit: Option<AuditRecord>) -> Result<()>;
    /// Appends `audit` for the stored run `id` in one transaction with reading it (a cancel);
    /// `None`, and no entry, when there is no such run.
    async fn audit_bulk_run(&self, id: &str, audit: AuditRecord) -> Result<Option<BulkRun>>;
    /// Saves one target's result of run `run_id`.
    async fn save_target_result(&self, run_id: &str, result: &TargetResult) -> Result<()>;
    /// The stored run `id` with its targets; none when there is no such run.
    async fn bulk_run(&self, id: &str) -> Result<Option<BulkRun>>;
    /// Newest first.
    async fn bulk_runs(&self, limit: usize) -> Result<Vec<BulkRun>>;
    /// Every run whose stored outcome is still `running`, oldest first.
    async fn unfinished_bulk_runs(&self) -> Result<Vec<BulkRun>>;

    /// Takes or renews the lease `name` for `holder` until `now_ms + ttl_ms` when
    /// [`lease_decision`](super::lease::lease_decision) allows it, reading and writing in one
    /// transaction (two replicas asking at once: one wins); returns the lease as stored after,
    /// whoever holds it.
    async fn claim_lease(&self, name: &str, holder: &str, now_ms: u64, ttl_ms: u64) -> Result<LeaseRecord>;
    /// Ends `holder`'s lease `name` now (a replica that stops cleanly: the next need not wait
    /// for the expiry); nothing when another holds it.
    async fn release_lease(&self, name: &str, holder: &str) -> Result<()>;

    /// Appends to the hash chain in one transaction; returns the stored entry.
    async fn append_audit(&self, record: AuditRecord) -> Result<AuditEntry>;
    /// The chain's newest entry's (seq, hash), if any (what a checkpoint records).
    async fn audit_head(&self) -> Result<Option<(u64, String)>>;
    /// Entries with `seq > after`, oldest first.
    async fn audit(&self, after: u64, limit: usize) -> Result<Vec<AuditEntry>>;
    /// Entries newest first, filtered.
    async fn audit_newest(&self, query: &super::AuditQuery) -> Result<Vec<AuditEntry>>;

    /// Stores a customer's resource samples.
    async fn insert_samples(&self, customer_id: &str, samples: &[MetricsSample]) -> Result<()>;
    /// One sample for each of several customers, in one write (a status pass's samples).
    async fn insert_fleet_samples(&self, samples: Vec<(String, MetricsSample)>) -> Result<()>;
    /// The customer's samples with `since_ms <= at_ms <= until_ms`, oldest first.
    async fn samples(&self, customer_id: &str, since_ms: u64, until_ms: u64) -> Result<Vec<MetricsSample>>;
    /// Keeps 7 days: full resolution for a day, one sample a minute after that.
    async fn prune_samples(&self, now_ms: u64) -> Result<()>;

    /// Keeps a fleet event (a state change, an alert) for the history; pruned with the samples.
    async fn insert_event(&self, customer_id: &str, at_ms: u64, event: &super::FleetEvent) -> Result<()>;
    /// The newest events that match, oldest first.
    async fn events(&self, query: &super::EventQuery) -> Result<Vec<super::FleetEvent>>;

    /// Stores an alert, replacing the customer's alert of the same rule.
    async fn upsert_alert(&self, alert: AlertRecord) -> Result<()>;
    /// Firing alerts, and with `include_resolved` the resolved ones kept too; by customer and rule.
    async fn alerts(&self, include_resolved: bool) -> Result<Vec<AlertRecord>>;
    /// One customer's alerts, resolved ones included.
    async fn customer_alerts(&self, customer_id: &str) -> Result<Vec<AlertRecord>>;

    /// Failed logins in a row of `name` from `address`: how many, and when the last was.
    async fn login_failures(&self, name: &str, address: &str) -> Result<Option<(u32, u64)>>;
    /// Counts one more failed login of `name` from `address` at `at_ms` (atomically, whatever
    /// other writers do) with its audit entry; returns the new count.
    async fn record_login_failure(
        &self,
        name: &str,
        address: &str,
        at_ms: u64,
        audit: AuditRecord,
    ) -> Result<u32>;
    /// Forgets `name`'s failed logins from `address` (every address when `None`), with an audit
    /// entry when given.
    async fn clear_login_failures(
        &self,
        name: &str,
        address: Option<&str>,
        audit: Option<AuditRecord>,
    ) -> Result<()>;

    /// Counts one login attempt from `address` at `at_ms` (atomically, whatever other writers
    /// do) in its current window of `window_ms` (a new window starts when the last one is over)
    /// and returns the attempts in that window, this one included. Windows over a day old are
    /// forgotten.
    async fn count_login_attempt(&self, address: &str, at_ms: u64, window_ms: u64) -> Result<u32>;

    /// The key fingerprints recorded by the consoles on this store (name, fingerprint), by name.
    async fn key_fingerprints(&self) -> Result<Vec<(String, String)>>;
    /// Records the fingerprint of the key `name`: with `replacing` `None`, only when none is
    /// recorded yet; with `Some(old)`, only in place of `old` (compare and swap). Returns whether
    /// it was written; the audit entry is appended only then, in the same transaction.
    async fn record_key_fingerprint(
        &self,
        name: &str,
        fingerprint: &str,
        replacing: Option<&str>,
        at_ms: u64,
        audit: AuditRecord,
    ) -> Result<bool>;

    /// Claims `key` of `caller` for a request that starts something (`Idempotency-Key`),
    /// atomically whichever console asks: the first claim wins; a later one learns what the key
    /// was claimed for and its result when there is one. Claims older than `keep_ms` are
    /// forgotten first.
    async fn claim_idempotency_key(
        &self,
        caller: &str,
        key: &str,
        fingerprint: &str,
        at_ms: u64,
        keep_ms: u64,
    ) -> Result<IdempotencyClaim>;
    /// Records the result of the request that claimed `key` (`None`: it failed, and the key is
    /// free again).
    async fn finish_idempotency_key(&self, caller: &str, key: &str, result: Option<&str>) -> Result<()>;

    /// A channel to every console using this store, for live events ([`super::feed`]); none
    /// when only one process uses it (SQLite).
    async fn event_channel(&self) -> Result<Option<super::feed::EventChannel>>;

    /// Writes a consistent copy of every table into a new SQLite database at `path`, at this
    /// voicefleet's schema version (the backups' format, whichever store is backed up).
    async fn export_sqlite(&self, path: &std::path::Path) -> Result<()>;

    /// Conflict when the name exists.
    async fn insert_user(&self, user: UserRecord, audit: AuditRecord) -> Result<()>;
    /// The user `name`; none when there is no such user.
    async fn user(&self, name: &str) -> Result<Option<UserRecord>>;
    /// Every user, by name.
    async fn users(&self) -> Result<Vec<UserRecord>>;
    /// Replaces the stored user of the same name, with an audit entry when given.
    async fn update_user(&self, user: UserRecord, audit: Option<AuditRecord>) -> Result<()>;
    /// Removes the user with its second factor and revokes the tokens it created, with its audit
    /// entry.
    async fn delete_user(&self, name: &str, audit: AuditRecord) -> Result<()>;
    /// A user's second factor (the secret sealed, recovery codes hashed), if enrolled or pending.
    async fn mfa(&self, name: &str) -> Result<Option<MfaRecord>>;
    /// Every user's second factor.
    async fn mfa_all(&self) -> Result<Vec<MfaRecord>>;
    /// Stores `record` in place of the user's earlier second factor (and its recovery codes).
    async fn put_mfa(&self, record: MfaRecord, audit: AuditRecord) -> Result<()>;
    /// Records that `name`'s code of time step `step` was used, only if `step` is later than the
    /// last used one (atomically: two logins with one code cannot both win); false otherwise.
    async fn use_totp_step(&self, name: &str, step: u64) -> Result<bool>;
    /// [`Store::use_totp_step`] that also marks the enrollment confirmed, with its audit entry.
    async fn confirm_mfa(&self, name: &str, step: u64, audit: AuditRecord) -> Result<bool>;
    /// Marks `name`'s unused recovery code whose hash is `hash` used at `at_ms` (atomically);
    /// false when there is no such unused code.
    async fn use_recovery_code(&self, name: &str, hash: &str, at_ms: u64) -> Result<bool>;
    /// Removes `name`'s second factor; false when there was none.
    async fn delete_mfa(&self, name: &str, audit: AuditRecord) -> Result<bool>;
    /// The roles whose users must have a second factor to log in.
    async fn mfa_required_roles(&self) -> Result<Vec<Role>>;
    /// Sets whether users of `role` must have a second factor to log in, with its audit entry.
    async fn set_mfa_required(&self, role: Role, required: bool, audit: AuditRecord) -> Result<()>;

    /// Stores a new API token (its hash, never the token), with its audit entry.
    async fn insert_token(&self, token: TokenRecord, audit: AuditRecord) -> Result<()>;
    /// The token whose SHA-256 hash is `hash`; none when there is no such token.
    async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>>;
    /// Every token, oldest first (revoked ones included).
    async fn tokens(&self) -> Result<Vec<TokenRecord>>;
    /// Returns false when there was none.
    async fn revoke_token(&self, id: &str, audit: AuditRecord) -> Result<bool>;

    /// Replaces the stored instances with what a sync found, with its audit entry.
    async fn replace_instances(
        &self,
        instances: Vec<Instance>,
        synced_at_ms: u64,
        audit: AuditRecord,
    ) -> Result<()>;
    /// Stores one instance as the cloud reported it after an action (audited by the action).
    async fn put_instance(&self, instance: Instance, synced_at_ms: u64) -> Result<()>;
    /// The stored instances, and when the newest of them was read from the cloud.
    async fn instances(&self) -> Result<(Vec<Instance>, Option<u64>)>;
    /// How to launch the customer's host (a replacement is launched from it), its user data
    /// sealed by the console.
    async fn put_launch_spec(
        &self,
        customer_id: &str,
        spec: LaunchSpecRecord,
        audit: AuditRecord,
    ) -> Result<()>;
    /// The customer's launch spec as stored (user data sealed); none when none was stored.
    async fn launch_spec(&self, customer_id: &str) -> Result<Option<LaunchSpecRecord>>;
    /// Sets (empty: clears) a customer's recovery settings, or the fleet's for `None`.
    async fn put_recovery_settings(
        &self,
        customer_id: Option<&str>,
        settings: RecoverySettings,
        audit: AuditRecord,
    ) -> Result<()>;
    /// The fleet's recovery settings (none when never set) and each customer's own.
    async fn recovery_settings(&self) -> Result<RecoverySettingsLevels>;
    /// Sets what recovery remembers of a customer (an empty record removes it). Not audited:
    /// the recoveries it records are.
    async fn put_recovery_state(&self, customer_id: &str, state: RecoveryStateRecord) -> Result<()>;
    /// What recovery remembers, by customer (customers with nothing to remember are absent).
    async fn recovery_states(&self) -> Result<BTreeMap<String, RecoveryStateRecord>>;
}
