//! The audit table: the hash chain's append and its pages.

use rusqlite::{Connection, Transaction, params};

use super::{db_error, query_all, query_one};
use crate::console::AuditQuery;
use crate::console::audit::{AuditEntry, AuditKey, AuditRecord, GENESIS, entry_hash, is_keyed};
use crate::error::{Error, Result};

/// Appends `record` after the chain's last entry, inside the caller's transaction: keyed with
/// `key`; without one, only onto a chain that has no keyed entry yet (a plain entry after keyed
/// ones would read as a chain rebuilt without the key).
pub(super) fn append(
    transaction: &Transaction<'_>,
    record: &AuditRecord,
    key: Option<&AuditKey>,
) -> Result<AuditEntry> {
    let last: Option<(u64, String)> =
        query_one(transaction, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", [], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })?;
    let (seq, prev_hash) = match last {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS.to_owned()),
    };
    if key.is_none() && is_keyed(&prev_hash) {
        return Err(Error::Unavailable {
            message: "the audit log is chained with the audit key, derived from the console's master key: give the master key (VOICEFLEET_MASTER_KEY, or master.key in the data directory)".to_owned(),
        });
    }
    let at_ms = record.at_ms;
    let hash = entry_hash(seq, at_ms, record, &prev_hash, key);
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

/// Entries with `seq > after`, oldest first.
pub(super) fn page(connection: &Connection, after: u64, limit: usize) -> Result<Vec<AuditEntry>> {
    query_all(
        connection,
        "SELECT seq, at_ms, actor, action, target, request_id, outcome, prev_hash, hash
         FROM audit WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        // SQLite integers are signed 64-bit: a cursor past them reads nothing, not an error.
        params![after.min(i64::MAX as u64), limit.min(i64::MAX as usize) as i64],
        entry,
    )
}

/// Entries newest first, filtered as [`AuditQuery::matches`] says.
pub(super) fn newest(connection: &Connection, query: &AuditQuery) -> Result<Vec<AuditEntry>> {
    query_all(
        connection,
        "SELECT seq, at_ms, actor, action, target, request_id, outcome, prev_hash, hash FROM audit
         WHERE (?1 IS NULL OR seq < ?1) AND (?2 IS NULL OR at_ms >= ?2) AND (?3 IS NULL OR actor = ?3)
           AND (?4 IS NULL OR target = ?4 OR substr(target, 1, length(?4) + 1) IN (?4 || '#', ?4 || '/'))
           AND (?5 IS NULL OR action = ?5
                OR (substr(?5, -1) = '.' AND substr(action, 1, length(?5)) = ?5))
         ORDER BY seq DESC LIMIT ?6",
        // SQLite integers are signed 64-bit.
        params![
            query.before.map(|before| before.min(i64::MAX as u64)),
            query.since_ms.map(|since| since.min(i64::MAX as u64)),
            query.actor,
            query.customer,
            query.action,
            query.limit.clamp(1, 1000) as i64
        ],
        entry,
    )
}

fn entry(row: &rusqlite::Row<'_>) -> rusqlite::Result<AuditEntry> {
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
}

/// The chain's newest entry's (seq, hash), if any.
pub(super) fn head(connection: &Connection) -> Result<Option<(u64, String)>> {
    query_one(connection, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", [], |row| {
        Ok((row.get(0)?, row.get(1)?))
    })
}

/// The whole chain, oldest first (a restore verifies it before the data is used).
pub(crate) fn chain(connection: &Connection) -> Result<Vec<AuditEntry>> {
    query_all(
        connection,
        "SELECT seq, at_ms, actor, action, target, request_id, outcome, prev_hash, hash FROM audit ORDER BY seq",
        [],
        entry,
    )
}
