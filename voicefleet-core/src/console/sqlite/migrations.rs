//! The schema, versioned: `PRAGMA user_version` records how many migrations ran.

use rusqlite::Connection;

use super::db_error;
use crate::error::{Error, Result};

/// Schema versions, applied in order; `PRAGMA user_version` records how many ran. Each has its
/// PostgreSQL twin in `postgres/migrations.rs` (the build checks both lists have every version).
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE customers (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, endpoint TEXT NOT NULL, tags TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL, deployed_revision INTEGER);
     CREATE TABLE revisions (
        customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE, number INTEGER NOT NULL,
        document TEXT NOT NULL, hash TEXT NOT NULL, author TEXT NOT NULL, message TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL, PRIMARY KEY (customer_id, number));
     CREATE TABLE secrets (
        customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE, name TEXT NOT NULL,
        nonce BLOB NOT NULL, ciphertext BLOB NOT NULL, updated_at_ms INTEGER NOT NULL,
        PRIMARY KEY (customer_id, name));
     CREATE TABLE bulk_runs (id TEXT PRIMARY KEY, body TEXT NOT NULL, created_at_ms INTEGER NOT NULL);
     CREATE TABLE bulk_targets (
        run_id TEXT NOT NULL REFERENCES bulk_runs(id) ON DELETE CASCADE, customer_id TEXT NOT NULL,
        body TEXT NOT NULL, PRIMARY KEY (run_id, customer_id));
     CREATE TABLE audit (
        seq INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
        target TEXT NOT NULL, request_id TEXT NOT NULL, outcome TEXT NOT NULL, prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL);
     CREATE TABLE samples (customer_id TEXT NOT NULL, at_ms INTEGER NOT NULL, body TEXT NOT NULL);
     CREATE INDEX samples_by_customer ON samples (customer_id, at_ms);
     CREATE TABLE alerts (
        customer_id TEXT NOT NULL, rule TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (customer_id, rule));",
    "CREATE TABLE users (
        name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL, created_at_ms INTEGER NOT NULL,
        failed_logins INTEGER NOT NULL DEFAULT 0, locked_until_ms INTEGER);
     CREATE TABLE api_tokens (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE,
        created_by TEXT NOT NULL, created_at_ms INTEGER NOT NULL, expires_at_ms INTEGER,
        revoked INTEGER NOT NULL DEFAULT 0);",
    // Pruning by age reads an index instead of the whole table.
    "CREATE INDEX samples_by_time ON samples (at_ms);",
    // Failed logins by user and address (the slowdown), replacing the per-user lock.
    "CREATE TABLE login_failures (
        name TEXT NOT NULL, address TEXT NOT NULL, failures INTEGER NOT NULL, last_failure_ms INTEGER NOT NULL,
        PRIMARY KEY (name, address));",
    "CREATE TABLE events (customer_id TEXT NOT NULL, at_ms INTEGER NOT NULL, body TEXT NOT NULL);
     CREATE INDEX events_by_time ON events (at_ms);
     CREATE INDEX events_by_customer ON events (customer_id, at_ms);",
    // Login tokens issued before this second (a password change) are refused.
    "ALTER TABLE users ADD COLUMN tokens_after_s INTEGER NOT NULL DEFAULT 0;",
    // How the console checks each host's certificate (JSON: a CA bundle or a pin).
    "ALTER TABLE customers ADD COLUMN trust TEXT;",
    // Console users' second factor: the TOTP secret sealed with the master key, the last time
    // step used (the replay guard), hashed single-use recovery codes, and the roles that must
    // have one.
    "CREATE TABLE user_mfa (
        name TEXT PRIMARY KEY REFERENCES users(name) ON DELETE CASCADE, nonce BLOB NOT NULL,
        ciphertext BLOB NOT NULL, confirmed INTEGER NOT NULL DEFAULT 0, last_step INTEGER NOT NULL DEFAULT 0,
        created_at_ms INTEGER NOT NULL);
     CREATE TABLE mfa_recovery_codes (
        name TEXT NOT NULL REFERENCES user_mfa(name) ON DELETE CASCADE, salt TEXT NOT NULL,
        hash TEXT NOT NULL, used_at_ms INTEGER, PRIMARY KEY (name, hash));
     CREATE TABLE mfa_required_roles (role TEXT PRIMARY KEY);",
    // Customer hosts as the last instance sync found them, and how to launch each customer's.
    "CREATE TABLE instances (
        id TEXT PRIMARY KEY, customer_tag TEXT, body TEXT NOT NULL, synced_at_ms INTEGER NOT NULL);
     CREATE TABLE launch_specs (
        customer_id TEXT PRIMARY KEY REFERENCES customers(id) ON DELETE CASCADE, body TEXT NOT NULL);",
    // Recovery settings: fleet-wide (scope '*') and per customer (scope = its id).
    "CREATE TABLE recovery_settings (scope TEXT PRIMARY KEY, body TEXT NOT NULL);",
    // What recovery remembers of each customer across console restarts: its last recovery (one
    // per window), a replacement still to restore, and whether it has been healthy since.
    "CREATE TABLE recovery_state (
        customer_id TEXT PRIMARY KEY REFERENCES customers(id) ON DELETE CASCADE, body TEXT NOT NULL);",
    // What console replicas on one database share: login attempts per client address (the
    // per-minute limit), the fingerprints of the keys every replica must hold, and the
    // `Idempotency-Key`s of requests that start something.
    "CREATE TABLE login_attempts (
        address TEXT PRIMARY KEY, window_start_ms INTEGER NOT NULL, attempts INTEGER NOT NULL);
     CREATE TABLE key_fingerprints (
        name TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, recorded_at_ms INTEGER NOT NULL);
     CREATE TABLE idempotency_keys (
        caller TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL, result TEXT,
        at_ms INTEGER NOT NULL, PRIMARY KEY (caller, key));",
    // Leases: which console replica runs the work that must happen once, until when.
    "CREATE TABLE leases (
        name TEXT PRIMARY KEY, holder TEXT NOT NULL, since_ms INTEGER NOT NULL,
        expires_at_ms INTEGER NOT NULL, generation INTEGER NOT NULL);",
];

/// The schema version this voicefleet writes (`PRAGMA user_version` after every migration).
pub(crate) const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Brings the schema up to date, one transaction per migration; refuses a newer database.
pub(super) fn migrate(connection: &mut Connection) -> Result<()> {
    let version: usize =
        connection.query_row("PRAGMA user_version", [], |row| row.get(0)).map_err(db_error)?;
    if version > MIGRATIONS.len() {
        return Err(Error::Unavailable {
            message: format!(
                "the database is schema version {version}, newer than this voicefleet ({})",
                MIGRATIONS.len()
            ),
        });
    }
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(version) {
        let transaction = connection.transaction().map_err(db_error)?;
        transaction.execute_batch(migration).map_err(db_error)?;
        transaction.pragma_update(None, "user_version", index + 1).map_err(db_error)?;
        transaction.commit().map_err(db_error)?;
    }
    Ok(())
}
