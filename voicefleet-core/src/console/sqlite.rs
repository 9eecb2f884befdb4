//! The embedded store: one SQLite database (WAL, foreign keys on, versioned migrations) in the
//! data directory, so a new user installs no server.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OptionalExtension as _, Transaction, params};

use super::accounts::{TokenRecord, UserRecord};
use super::audit::{AuditEntry, AuditRecord, GENESIS, entry_hash};
use super::bulk::{BulkRun, TargetResult};
use super::store::{AlertRecord, CustomerRecord, RevisionRecord, SecretRecord, Store};
use crate::error::{Error, Result};
use crate::host::MetricsSample;

/// Schema versions, applied in order; `PRAGMA user_version` records how many ran.
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
];

/// The SQLite store.
#[derive(Clone)]
pub struct SqliteStore {
    connection: Arc<Mutex<Connection>>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteStore")
    }
}

fn db_error(error: rusqlite::Error) -> Error {
    Error::Internal { message: format!("database: {error}") }
}

fn json_error(error: serde_json::Error) -> Error {
    Error::Internal { message: format!("stored data: {error}") }
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
        Ok(Self { connection: Arc::new(Mutex::new(connection)) })
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

    /// Runs `work` in one transaction with an audit entry appended to the chain.
    async fn audited<T: Send + 'static>(
        &self,
        audit: AuditRecord,
        work: impl FnOnce(&Transaction<'_>) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        self.with(move |connection| {
            let transaction = connection.transaction().map_err(db_error)?;
            let value = work(&transaction)?;
            append_audit(&transaction, &audit)?;
            transaction.commit().map_err(db_error)?;
            Ok(value)
        })
        .await
    }
}

fn append_audit(transaction: &Transaction<'_>, record: &AuditRecord) -> Result<AuditEntry> {
    let last: Option<(u64, String)> = transaction
        .query_row("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", [], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .optional()
        .map_err(db_error)?;
    let (seq, prev_hash) = match last {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS.to_owned()),
    };
    let at_ms = record.at_ms;
    let hash = entry_hash(seq, at_ms, record, &prev_hash);
    transaction
        .execute(
            "INSERT INTO audit (seq, at_ms, actor, action, target, request_id, outcome, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                seq,
                at_ms,
                record.actor,
                record.action,
                record.target,
                record.request_id,
                record.outcome,
                prev_hash,
                hash
            ],
        )
        .map_err(db_error)?;
    Ok(AuditEntry {
        seq,
        at_ms,
        actor: record.actor.clone(),
        action: record.action.clone(),
        target: record.target.clone(),
        request_id: record.request_id.clone(),
        outcome: record.outcome.clone(),
        prev_hash,
        hash,
    })
}

fn customer_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<CustomerRecord> {
    let tags: String = row.get(3)?;
    Ok(CustomerRecord {
        id: row.get(0)?,
        name: row.get(1)?,
        endpoint: row.get(2)?,
        tags: serde_json::from_str(&tags).unwrap_or_default(),
        created_at_ms: row.get(4)?,
        deployed_revision: row.get(5)?,
    })
}

fn revision_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<RevisionRecord> {
    Ok(RevisionRecord {
        customer_id: row.get(0)?,
        number: row.get(1)?,
        document: row.get(2)?,
        hash: row.get(3)?,
        author: row.get(4)?,
        message: row.get(5)?,
        created_at_ms: row.get(6)?,
    })
}

const CUSTOMER_COLUMNS: &str = "id, name, endpoint, tags, created_at_ms, deployed_revision";
const REVISION_COLUMNS: &str = "customer_id, number, document, hash, author, message, created_at_ms";

#[async_trait::async_trait]
impl Store for SqliteStore {
    async fn insert_customer(&self, customer: CustomerRecord, audit: AuditRecord) -> Result<()> {
        self.audited(audit, move |tx| {
            let tags = serde_json::to_string(&customer.tags).map_err(json_error)?;
            let inserted = tx
                .execute(
                    "INSERT INTO customers (id, name, endpoint, tags, created_at_ms, deployed_revision)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (id) DO NOTHING",
                    params![
                        customer.id,
                        customer.name,
                        customer.endpoint,
                        tags,
                        customer.created_at_ms,
                        customer.deployed_revision
                    ],
                )
                .map_err(db_error)?;
            if inserted == 0 {
                return Err(Error::conflict(
                    format!("customer `{}` already exists", customer.id),
                    Some("pick another id, or update the existing customer"),
                ));
            }
            Ok(())
        })
        .await
    }

    async fn customer(&self, id: &str) -> Result<Option<CustomerRecord>> {
        let id = id.to_owned();
        self.with(move |c| {
            c.query_row(
                &format!("SELECT {CUSTOMER_COLUMNS} FROM customers WHERE id = ?1"),
                [id],
                customer_from_row,
            )
            .optional()
            .map_err(db_error)
        })
        .await
    }

    async fn customers(&self) -> Result<Vec<CustomerRecord>> {
        self.with(|c| {
            let mut statement = c
                .prepare(&format!("SELECT {CUSTOMER_COLUMNS} FROM customers ORDER BY id"))
                .map_err(db_error)?;
            let rows = statement.query_map([], customer_from_row).map_err(db_error)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_error)
        })
        .await
    }

    async fn update_customer(&self, customer: CustomerRecord, audit: AuditRecord) -> Result<()> {
        self.audited(audit, move |tx| {
            let tags = serde_json::to_string(&customer.tags).map_err(json_error)?;
            let updated = tx
                .execute(
                    "UPDATE customers SET name = ?2, endpoint = ?3, tags = ?4, deployed_revision = ?5 WHERE id = ?1",
                    params![customer.id, customer.name, customer.endpoint, tags, customer.deployed_revision],
                )
                .map_err(db_error)?;
            if updated == 0 {
                return Err(Error::Remote { kind: crate::ErrorKind::NotFound, message: format!("customer `{}` does not exist", customer.id), hint: None, issues: Vec::new() });
            }
            Ok(())
        })
        .await
    }

    async fn delete_customer(&self, id: &str, audit: AuditRecord) -> Result<()> {
        let id = id.to_owned();
        self.audited(audit, move |tx| {
            tx.execute("DELETE FROM alerts WHERE customer_id = ?1", [&id]).map_err(db_error)?;
            tx.execute("DELETE FROM samples WHERE customer_id = ?1", [&id]).map_err(db_error)?;
            tx.execute("DELETE FROM customers WHERE id = ?1", [&id]).map_err(db_error)?;
            Ok(())
        })
        .await
    }

    async fn insert_revision(&self, revision: RevisionRecord, audit: AuditRecord) -> Result<u64> {
        self.audited(audit, move |tx| {
            let number: u64 = tx
                .query_row(
                    "SELECT COALESCE(MAX(number), 0) + 1 FROM revisions WHERE customer_id = ?1",
                    [&revision.customer_id],
                    |row| row.get(0),
                )
                .map_err(db_error)?;
            if revision.number != 0 && revision.number != number {
                return Err(Error::Stale {
                    message: format!(
                        "`{}`'s latest revision is {}, not {}",
                        revision.customer_id,
                        number - 1,
                        revision.number - 1
                    ),
                });
            }
            tx.execute(
                &format!("INSERT INTO revisions ({REVISION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
                params![
                    revision.customer_id,
                    number,
                    revision.document,
                    revision.hash,
                    revision.author,
                    revision.message,
                    revision.created_at_ms
                ],
            )
            .map_err(db_error)?;
            Ok(number)
        })
        .await
    }

    async fn revision(&self, customer_id: &str, number: u64) -> Result<Option<RevisionRecord>> {
        let customer_id = customer_id.to_owned();
        self.with(move |c| {
            c.query_row(
                &format!("SELECT {REVISION_COLUMNS} FROM revisions WHERE customer_id = ?1 AND number = ?2"),
                params![customer_id, number],
                revision_from_row,
            )
            .optional()
            .map_err(db_error)
        })
        .await
    }

    async fn revisions(&self, customer_id: &str) -> Result<Vec<RevisionRecord>> {
        let customer_id = customer_id.to_owned();
        self.with(move |c| {
            let mut statement = c
                .prepare(&format!(
                    "SELECT {REVISION_COLUMNS} FROM revisions WHERE customer_id = ?1 ORDER BY number DESC"
                ))
                .map_err(db_error)?;
            let rows = statement.query_map([customer_id], revision_from_row).map_err(db_error)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_error)
        })
        .await
    }

    async fn put_secret(&self, customer_id: &str, secret: SecretRecord, audit: AuditRecord) -> Result<()> {
        let customer_id = customer_id.to_owned();
        self.audited(audit, move |tx| {
            tx.execute(
                "INSERT INTO secrets (customer_id, name, nonce, ciphertext, updated_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (customer_id, name) DO UPDATE SET nonce = excluded.nonce, ciphertext = excluded.ciphertext,
                 updated_at_ms = excluded.updated_at_ms",
                params![customer_id, secret.name, secret.nonce, secret.ciphertext, secret.updated_at_ms],
            )
            .map_err(db_error)?;
            Ok(())
        })
        .await
    }

    async fn secret(&self, customer_id: &str, name: &str) -> Result<Option<SecretRecord>> {
        let (customer_id, name) = (customer_id.to_owned(), name.to_owned());
        self.with(move |c| {
            c.query_row(
                "SELECT name, nonce, ciphertext, updated_at_ms FROM secrets WHERE customer_id = ?1 AND name = ?2",
                params![customer_id, name],
                |row| Ok(SecretRecord { name: row.get(0)?, nonce: row.get(1)?, ciphertext: row.get(2)?, updated_at_ms: row.get(3)? }),
            )
            .optional()
            .map_err(db_error)
        })
        .await
    }

    async fn secrets(&self, customer_id: &str) -> Result<Vec<SecretRecord>> {
        let customer_id = customer_id.to_owned();
        self.with(move |c| {
            let mut statement = c
                .prepare("SELECT name, nonce, ciphertext, updated_at_ms FROM secrets WHERE customer_id = ?1 ORDER BY name")
                .map_err(db_error)?;
            let rows = statement
                .query_map([customer_id], |row| {
                    Ok(SecretRecord { name: row.get(0)?, nonce: row.get(1)?, ciphertext: row.get(2)?, updated_at_ms: row.get(3)? })
                })
                .map_err(db_error)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_error)
        })
        .await
    }

    async fn delete_secret(&self, customer_id: &str, name: &str, audit: AuditRecord) -> Result<bool> {
        let (customer_id, name) = (customer_id.to_owned(), name.to_owned());
        self.audited(audit, move |tx| {
            let deleted = tx
                .execute(
                    "DELETE FROM secrets WHERE customer_id = ?1 AND name = ?2",
                    params![customer_id, name],
                )
                .map_err(db_error)?;
            Ok(deleted > 0)
        })
        .await
    }

    async fn save_bulk_run(&self, run: &BulkRun) -> Result<()> {
        let mut header = run.clone();
        header.targets.clear();
        let body = serde_json::to_string(&header).map_err(json_error)?;
        let targets: Vec<(String, String)> = run
            .targets
            .iter()
            .map(|t| serde_json::to_string(t).map(|body| (t.customer_id.clone(), body)))
            .collect::<std::result::Result<_, _>>()
            .map_err(json_error)?;
        let (id, created) = (run.id.clone(), run.created_at_ms);
        self.with(move |c| {
            let tx = c.transaction().map_err(db_error)?;
            tx.execute(
                "INSERT INTO bulk_runs (id, body, created_at_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT (id) DO UPDATE SET body = excluded.body",
                params![id, body, created],
            )
            .map_err(db_error)?;
            for (customer, body) in targets {
                tx.execute(
                    "INSERT INTO bulk_targets (run_id, customer_id, body) VALUES (?1, ?2, ?3)
                     ON CONFLICT (run_id, customer_id) DO UPDATE SET body = excluded.body",
                    params![id, customer, body],
                )
                .map_err(db_error)?;
            }
            tx.commit().map_err(db_error)
        })
        .await
    }

    async fn save_target_result(&self, run_id: &str, result: &TargetResult) -> Result<()> {
        let body = serde_json::to_string(result).map_err(json_error)?;
        let (run_id, customer) = (run_id.to_owned(), result.customer_id.clone());
        self.with(move |c| {
            c.execute(
                "INSERT INTO bulk_targets (run_id, customer_id, body) VALUES (?1, ?2, ?3)
                 ON CONFLICT (run_id, customer_id) DO UPDATE SET body = excluded.body",
                params![run_id, customer, body],
            )
            .map_err(db_error)?;
            Ok(())
        })
        .await
    }

    async fn bulk_run(&self, id: &str) -> Result<Option<BulkRun>> {
        let id = id.to_owned();
        self.with(move |c| load_run(c, &id)).await
    }

    async fn bulk_runs(&self, limit: usize) -> Result<Vec<BulkRun>> {
        self.with(move |c| {
            let ids: Vec<String> = {
                let mut statement = c
                    .prepare("SELECT id FROM bulk_runs ORDER BY created_at_ms DESC, id DESC LIMIT ?1")
                    .map_err(db_error)?;
                let rows = statement.query_map([limit as i64], |row| row.get(0)).map_err(db_error)?;
                rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_error)?
            };
            ids.iter().filter_map(|id| load_run(c, id).transpose()).collect()
        })
        .await
    }

    async fn append_audit(&self, record: AuditRecord) -> Result<AuditEntry> {
        self.with(move |c| {
            let tx = c.transaction().map_err(db_error)?;
            let entry = append_audit(&tx, &record)?;
            tx.commit().map_err(db_error)?;
            Ok(entry)
        })
        .await
    }

    async fn audit(&self, after: u64, limit: usize) -> Result<Vec<AuditEntry>> {
        self.with(move |c| {
            let mut statement = c
                .prepare(
                    "SELECT seq, at_ms, actor, action, target, request_id, outcome, prev_hash, hash
                     FROM audit WHERE seq > ?1 ORDER BY seq LIMIT ?2",
                )
                .map_err(db_error)?;
            let rows = statement
                .query_map(params![after, limit as i64], |row| {
                    Ok(AuditEntry {
                        seq: row.get(0)?,
                        at_ms: row.get(1)?,
                        actor: row.get(2)?,
                        action: row.get(3)?,
                        target: row.get(4)?,
                        request_id: row.get(5)?,
                        outcome: row.get(6)?,
                        prev_hash: row.get(7)?,
                        hash: row.get(8)?,
                    })
                })
                .map_err(db_error)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_error)
        })
        .await
    }

    async fn insert_samples(&self, customer_id: &str, samples: &[MetricsSample]) -> Result<()> {
        let rows: Vec<(u64, String)> = samples
            .iter()
            .map(|s| serde_json::to_string(s).map(|body| (s.at_ms, body)))
            .collect::<std::result::Result<_, _>>()
            .map_err(json_error)?;
        let customer_id = customer_id.to_owned();
        self.with(move |c| {
            let tx = c.transaction().map_err(db_error)?;
            for (at, body) in rows {
                tx.execute(
                    "INSERT INTO samples (customer_id, at_ms, body) VALUES (?1, ?2, ?3)",
                    params![customer_id, at, body],
                )
                .map_err(db_error)?;
            }
            tx.commit().map_err(db_error)
        })
        .await
    }

    async fn samples(&self, customer_id: &str, since_ms: u64, until_ms: u64) -> Result<Vec<MetricsSample>> {
        let customer_id = customer_id.to_owned();
        // SQLite integers are signed 64-bit.
        let (since_ms, until_ms) = (since_ms.min(i64::MAX as u64), until_ms.min(i64::MAX as u64));
        self.with(move |c| {
            let mut statement = c
                .prepare("SELECT body FROM samples WHERE customer_id = ?1 AND at_ms >= ?2 AND at_ms <= ?3 ORDER BY at_ms")
                .map_err(db_error)?;
            let rows = statement.query_map(params![customer_id, since_ms, until_ms], |row| row.get::<_, String>(0)).map_err(db_error)?;
            rows.map(|row| row.map_err(db_error).and_then(|body| serde_json::from_str(&body).map_err(json_error))).collect()
        })
        .await
    }

    async fn prune_samples(&self, now_ms: u64) -> Result<()> {
        const DAY: u64 = 86_400_000;
        self.with(move |c| {
            let tx = c.transaction().map_err(db_error)?;
            tx.execute("DELETE FROM samples WHERE at_ms < ?1", [now_ms.saturating_sub(7 * DAY)])
                .map_err(db_error)?;
            // Older than a day: keep the first sample of each minute.
            tx.execute(
                "DELETE FROM samples WHERE at_ms < ?1 AND rowid NOT IN (
                    SELECT MIN(rowid) FROM samples WHERE at_ms < ?1 GROUP BY customer_id, at_ms / 60000)",
                [now_ms.saturating_sub(DAY)],
            )
            .map_err(db_error)?;
            tx.commit().map_err(db_error)
        })
        .await
    }

    async fn insert_user(&self, user: UserRecord, audit: AuditRecord) -> Result<()> {
        self.audited(audit, move |tx| {
            let inserted = tx
                .execute(
                    &format!("INSERT INTO users ({USER_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (name) DO NOTHING"),
                    params![user.name, user.role.as_str(), user.password_hash, user.created_at_ms, user.failed_logins, user.locked_until_ms],
                )
                .map_err(db_error)?;
            if inserted == 0 {
                return Err(Error::conflict(format!("user `{}` already exists", user.name), None));
            }
            Ok(())
        })
        .await
    }

    async fn user(&self, name: &str) -> Result<Option<UserRecord>> {
        let name = name.to_owned();
        self.with(move |c| {
            c.query_row(&format!("SELECT {USER_COLUMNS} FROM users WHERE name = ?1"), [name], user_from_row)
                .optional()
                .map_err(db_error)
        })
        .await
    }

    async fn users(&self) -> Result<Vec<UserRecord>> {
        self.with(|c| Self::users_impl(c)).await
    }

    async fn update_user(&self, user: UserRecord, audit: Option<AuditRecord>) -> Result<()> {
        self.with(move |c| {
            let tx = c.transaction().map_err(db_error)?;
            tx.execute(
                "UPDATE users SET role = ?2, password_hash = ?3, failed_logins = ?4, locked_until_ms = ?5 WHERE name = ?1",
                params![user.name, user.role.as_str(), user.password_hash, user.failed_logins, user.locked_until_ms],
            )
            .map_err(db_error)?;
            if let Some(audit) = audit {
                append_audit(&tx, &audit)?;
            }
            tx.commit().map_err(db_error)
        })
        .await
    }

    async fn delete_user(&self, name: &str, audit: AuditRecord) -> Result<()> {
        let name = name.to_owned();
        self.audited(audit, move |tx| {
            tx.execute("DELETE FROM users WHERE name = ?1", [name]).map_err(db_error)?;
            Ok(())
        })
        .await
    }

    async fn insert_token(&self, token: TokenRecord, audit: AuditRecord) -> Result<()> {
        self.audited(audit, move |tx| {
            tx.execute(
                &format!("INSERT INTO api_tokens ({TOKEN_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
                params![
                    token.id,
                    token.name,
                    token.role.as_str(),
                    token.token_hash,
                    token.created_by,
                    token.created_at_ms,
                    token.expires_at_ms,
                    i64::from(token.revoked)
                ],
            )
            .map_err(db_error)?;
            Ok(())
        })
        .await
    }

    async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>> {
        let hash = hash.to_owned();
        self.with(move |c| {
            c.query_row(
                &format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = ?1"),
                [hash],
                token_from_row,
            )
            .optional()
            .map_err(db_error)
        })
        .await
    }

    async fn tokens(&self) -> Result<Vec<TokenRecord>> {
        self.with(|c| {
            let mut statement = c
                .prepare(&format!("SELECT {TOKEN_COLUMNS} FROM api_tokens ORDER BY created_at_ms"))
                .map_err(db_error)?;
            let rows = statement.query_map([], token_from_row).map_err(db_error)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_error)
        })
        .await
    }

    async fn revoke_token(&self, id: &str, audit: AuditRecord) -> Result<bool> {
        let id = id.to_owned();
        self.audited(audit, move |tx| {
            let updated =
                tx.execute("UPDATE api_tokens SET revoked = 1 WHERE id = ?1", [id]).map_err(db_error)?;
            Ok(updated > 0)
        })
        .await
    }

    async fn upsert_alert(&self, alert: AlertRecord) -> Result<()> {
        let body = serde_json::to_string(&alert).map_err(json_error)?;
        self.with(move |c| {
            c.execute(
                "INSERT INTO alerts (customer_id, rule, body) VALUES (?1, ?2, ?3)
                 ON CONFLICT (customer_id, rule) DO UPDATE SET body = excluded.body",
                params![alert.customer_id, alert.rule, body],
            )
            .map_err(db_error)?;
            Ok(())
        })
        .await
    }

    async fn alerts(&self, include_resolved: bool) -> Result<Vec<AlertRecord>> {
        self.with(move |c| {
            let mut statement =
                c.prepare("SELECT body FROM alerts ORDER BY customer_id, rule").map_err(db_error)?;
            let rows = statement.query_map([], |row| row.get::<_, String>(0)).map_err(db_error)?;
            let alerts: Vec<AlertRecord> = rows
                .map(|row| {
                    row.map_err(db_error).and_then(|body| serde_json::from_str(&body).map_err(json_error))
                })
                .collect::<Result<_>>()?;
            Ok(alerts.into_iter().filter(|a| include_resolved || a.firing).collect())
        })
        .await
    }
}

fn user_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<UserRecord> {
    let role: String = row.get(1)?;
    Ok(UserRecord {
        name: row.get(0)?,
        role: crate::auth::Role::parse(&role).unwrap_or(crate::auth::Role::Viewer),
        password_hash: row.get(2)?,
        created_at_ms: row.get(3)?,
        failed_logins: row.get(4)?,
        locked_until_ms: row.get(5)?,
    })
}

fn token_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<TokenRecord> {
    let role: String = row.get(2)?;
    Ok(TokenRecord {
        id: row.get(0)?,
        name: row.get(1)?,
        role: crate::auth::Role::parse(&role).unwrap_or(crate::auth::Role::Viewer),
        token_hash: row.get(3)?,
        created_by: row.get(4)?,
        created_at_ms: row.get(5)?,
        expires_at_ms: row.get(6)?,
        revoked: row.get::<_, i64>(7)? != 0,
    })
}

const USER_COLUMNS: &str = "name, role, password_hash, created_at_ms, failed_logins, locked_until_ms";
const TOKEN_COLUMNS: &str = "id, name, role, token_hash, created_by, created_at_ms, expires_at_ms, revoked";

impl SqliteStore {
    fn users_impl(c: &Connection) -> Result<Vec<UserRecord>> {
        let mut statement =
            c.prepare(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY name")).map_err(db_error)?;
        let rows = statement.query_map([], user_from_row).map_err(db_error)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_error)
    }
}

fn load_run(c: &Connection, id: &str) -> Result<Option<BulkRun>> {
    let body: Option<String> = c
        .query_row("SELECT body FROM bulk_runs WHERE id = ?1", [id], |row| row.get(0))
        .optional()
        .map_err(db_error)?;
    let Some(body) = body else { return Ok(None) };
    let mut run: BulkRun = serde_json::from_str(&body).map_err(json_error)?;
    let mut statement =
        c.prepare("SELECT body FROM bulk_targets WHERE run_id = ?1 ORDER BY rowid").map_err(db_error)?;
    let rows = statement.query_map([id], |row| row.get::<_, String>(0)).map_err(db_error)?;
    run.targets = rows
        .map(|row| row.map_err(db_error).and_then(|body| serde_json::from_str(&body).map_err(json_error)))
        .collect::<Result<_>>()?;
    Ok(Some(run))
}
