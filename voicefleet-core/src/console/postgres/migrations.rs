//! The schema in PostgreSQL's dialect: the same versions as SQLite's (`sqlite/migrations.rs`),
//! one entry per version in the same order, so a version number means the same tables in both
//! stores (the build fails when the two lists differ in length). `voicefleet_schema` records
//! how many ran; they run under a transaction-scoped advisory lock, so consoles starting
//! together against one database migrate it once.

use tokio_postgres::Client;

use super::{ADVISORY_NAMESPACE, db_error};
use crate::error::{Error, Result};

/// Schema versions, applied in order (version N is `MIGRATIONS[N - 1]`).
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: customers, revisions, secrets, bulk runs, the audit chain, samples and alerts.
    "CREATE TABLE customers (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, endpoint TEXT NOT NULL, tags TEXT NOT NULL,
        created_at_ms BIGINT NOT NULL, deployed_revision BIGINT);
     CREATE TABLE revisions (
        customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE, number BIGINT NOT NULL,
        document TEXT NOT NULL, hash TEXT NOT NULL, author TEXT NOT NULL, message TEXT NOT NULL,
        created_at_ms BIGINT NOT NULL, PRIMARY KEY (customer_id, number));
     CREATE TABLE secrets (
        customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE, name TEXT NOT NULL,
        nonce BYTEA NOT NULL, ciphertext BYTEA NOT NULL, updated_at_ms BIGINT NOT NULL,
        PRIMARY KEY (customer_id, name));
     CREATE TABLE bulk_runs (
        id TEXT PRIMARY KEY, body TEXT NOT NULL, created_at_ms BIGINT NOT NULL,
        row_order BIGINT GENERATED ALWAYS AS IDENTITY);
     CREATE TABLE bulk_targets (
        run_id TEXT NOT NULL REFERENCES bulk_runs(id) ON DELETE CASCADE, customer_id TEXT NOT NULL,
        body TEXT NOT NULL, row_order BIGINT GENERATED ALWAYS AS IDENTITY, PRIMARY KEY (run_id, customer_id));
     CREATE TABLE audit (
        seq BIGINT PRIMARY KEY, at_ms BIGINT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
        target TEXT NOT NULL, request_id TEXT NOT NULL, outcome TEXT NOT NULL, prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL);
     CREATE TABLE samples (
        customer_id TEXT NOT NULL, at_ms BIGINT NOT NULL, body TEXT NOT NULL,
        row_order BIGINT GENERATED ALWAYS AS IDENTITY);
     CREATE INDEX samples_by_customer ON samples (customer_id, at_ms);
     CREATE TABLE alerts (
        customer_id TEXT NOT NULL, rule TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (customer_id, rule));",
    // 2: users and API tokens.
    "CREATE TABLE users (
        name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL, created_at_ms BIGINT NOT NULL,
        failed_logins BIGINT NOT NULL DEFAULT 0, locked_until_ms BIGINT);
     CREATE TABLE api_tokens (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE,
        created_by TEXT NOT NULL, created_at_ms BIGINT NOT NULL, expires_at_ms BIGINT,
        revoked BOOLEAN NOT NULL DEFAULT FALSE);",
    // 3: pruning by age reads an index.
    "CREATE INDEX samples_by_time ON samples (at_ms);",
    // 4: failed logins by user and address.
    "CREATE TABLE login_failures (
        name TEXT NOT NULL, address TEXT NOT NULL, failures BIGINT NOT NULL, last_failure_ms BIGINT NOT NULL,
        PRIMARY KEY (name, address));",
    // 5: the fleet's event history.
    "CREATE TABLE events (
        customer_id TEXT NOT NULL, at_ms BIGINT NOT NULL, body TEXT NOT NULL,
        row_order BIGINT GENERATED ALWAYS AS IDENTITY);
     CREATE INDEX events_by_time ON events (at_ms);
     CREATE INDEX events_by_customer ON events (customer_id, at_ms);",
    // 6: login tokens issued before this second are refused.
    "ALTER TABLE users ADD COLUMN tokens_after_s BIGINT NOT NULL DEFAULT 0;",
    // 7: how the console checks each host's certificate.
    "ALTER TABLE customers ADD COLUMN trust TEXT;",
    // 8: users' second factor.
    "CREATE TABLE user_mfa (
        name TEXT PRIMARY KEY REFERENCES users(name) ON DELETE CASCADE, nonce BYTEA NOT NULL,
        ciphertext BYTEA NOT NULL, confirmed BOOLEAN NOT NULL DEFAULT FALSE, last_step BIGINT NOT NULL DEFAULT 0,
        created_at_ms BIGINT NOT NULL);
     CREATE TABLE mfa_recovery_codes (
        name TEXT NOT NULL REFERENCES user_mfa(name) ON DELETE CASCADE, salt TEXT NOT NULL,
        hash TEXT NOT NULL, used_at_ms BIGINT, row_order BIGINT GENERATED ALWAYS AS IDENTITY,
        PRIMARY KEY (name, hash));
     CREATE TABLE mfa_required_roles (role TEXT PRIMARY KEY);",
    // 9: instances as the last sync found them, and launch specs.
    "CREATE TABLE instances (
        id TEXT PRIMARY KEY, customer_tag TEXT, body TEXT NOT NULL, synced_at_ms BIGINT NOT NULL);
     CREATE TABLE launch_specs (
        customer_id TEXT PRIMARY KEY REFERENCES customers(id) ON DELETE CASCADE, body TEXT NOT NULL);",
    // Recovery settings: fleet-wide (scope '*') and per customer (scope = its id).
    "CREATE TABLE recovery_settings (scope TEXT PRIMARY KEY, body TEXT NOT NULL);",
    // What recovery remembers of each customer across console restarts.
    "CREATE TABLE recovery_state (
        customer_id TEXT PRIMARY KEY REFERENCES customers(id) ON DELETE CASCADE, body TEXT NOT NULL);",
    // What console replicas on one database share: login attempts per client address (the
    // per-minute limit), the fingerprints of the keys every replica must hold, and the
    // `Idempotency-Key`s of requests that start something.
    "CREATE TABLE login_attempts (
        address TEXT PRIMARY KEY, window_start_ms BIGINT NOT NULL, attempts BIGINT NOT NULL);
     CREATE TABLE key_fingerprints (
        name TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, recorded_at_ms BIGINT NOT NULL);
     CREATE TABLE idempotency_keys (
        caller TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL, result TEXT,
        at_ms BIGINT NOT NULL, PRIMARY KEY (caller, key));",
    // Leases: which console replica runs the work that must happen once, until when.
    "CREATE TABLE leases (
        name TEXT PRIMARY KEY, holder TEXT NOT NULL, since_ms BIGINT NOT NULL,
        expires_at_ms BIGINT NOT NULL, generation BIGINT NOT NULL);",
];

/// The lock migrations run under (in [`ADVISORY_NAMESPACE`]).
const MIGRATION_LOCK: i32 = 1;

/// Brings the schema up to date in one transaction under the migration lock; refuses a
/// database newer than this voicefleet.
pub(super) async fn migrate(client: &mut Client) -> Result<()> {
    let tx = client.transaction().await.map_err(db_error)?;
    tx.execute("SELECT pg_advisory_xact_lock($1, $2)", &[&ADVISORY_NAMESPACE, &MIGRATION_LOCK])
        .await
        .map_err(db_error)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS voicefleet_schema (
            one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one), version BIGINT NOT NULL);
         INSERT INTO voicefleet_schema (version) VALUES (0) ON CONFLICT (one) DO NOTHING;",
    )
    .await
    .map_err(db_error)?;
    let version: i64 =
        tx.query_one("SELECT version FROM voicefleet_schema", &[]).await.map_err(db_error)?.get(0);
    let version = usize::try_from(version).unwrap_or(usize::MAX);
    if version > MIGRATIONS.len() {
        return Err(Error::Unavailable {
            message: format!(
                "the PostgreSQL database is schema version {version}, newer than this voicefleet ({}): \
                 run the newer voicefleet that wrote it, or point the store URL at another database",
                MIGRATIONS.len()
            ),
        });
    }
    for migration in &MIGRATIONS[version..] {
        tx.batch_execute(migration).await.map_err(db_error)?;
    }
    tx.execute("UPDATE voicefleet_schema SET version = $1", &[&(MIGRATIONS.len() as i64)])
        .await
        .map_err(db_error)?;
    tx.commit().await.map_err(db_error)
}
