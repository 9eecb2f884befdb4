//! The audit table: the hash chain's append (serialized across connections and processes) and
//! its pages. The hashing rule is core's (`console/audit.rs`), as for SQLite.

use tokio_postgres::{GenericClient, Row, Transaction};

use super::{ADVISORY_NAMESPACE, Client, db_error, int, prepared, uint};
use crate::console::AuditQuery;
use crate::console::audit::{AuditEntry, AuditKey, AuditRecord, GENESIS, entry_hash, is_keyed};
use crate::error::{Error, Result};

/// The lock every append takes, held until its transaction ends (in [`ADVISORY_NAMESPACE`]).
const CHAIN_LOCK: i32 = 2;

const COLUMNS: &str = "seq, at_ms, actor, action, target, request_id, outcome, prev_hash, hash";

/// Appends `record` after the chain's last entry, inside the caller's transaction. The advisory
/// lock makes appends one at a time: the head read after taking it is the last committed entry
/// (read committed), and no other append can commit until this transaction ends. Keyed with
/// `key`; without one, only onto a chain that has no keyed entry yet.
pub(super) async fn append(
    tx: &Transaction<'_>,
    record: &AuditRecord,
    key: Option<&AuditKey>,
) -> Result<AuditEntry> {
    tx.execute("SELECT pg_advisory_xact_lock($1, $2)", &[&ADVISORY_NAMESPACE, &CHAIN_LOCK])
        .await
        .map_err(db_error)?;
    let (seq, prev_hash) = match head(tx).await? {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS.to_owned()),
    };
    if key.is_none() && is_keyed(&prev_hash) {
        return Err(Error::Unavailable {
            message: "the audit log is chained with the audit key, derived from the console's master key: give the master key (VOICEFLEET_MASTER_KEY, or master.key in the data directory)".to_owned(),
        });
    }
    let hash = entry_hash(seq, record.at_ms, record, &prev_hash, key);
    tx.execute(
        &format!("INSERT INTO audit ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"),
        &[
            &int(seq),
            &int(record.at_ms),
            &record.actor,
            &record.action,
            &record.target,
            &record.request_id,
            &record.outcome,
            &prev_hash,
            &hash,
        ],
    )
    .await
    .map_err(db_error)?;
    Ok(AuditEntry {
        seq,
        at_ms: record.at_ms,
        actor: record.actor.clone(),
        action: record.action.clone(),
        target: record.target.clone(),
        request_id: record.request_id.clone(),
        outcome: record.outcome.clone(),
        prev_hash,
        hash,
    })
}

fn entry(row: &Row) -> AuditEntry {
    AuditEntry {
        seq: uint(row.get(0)),
        at_ms: uint(row.get(1)),
        actor: row.get(2),
        action: row.get(3),
        target: row.get(4),
        request_id: row.get(5),
        outcome: row.get(6),
        prev_hash: row.get(7),
        hash: row.get(8),
    }
}

/// Entries with `seq > after`, oldest first.
pub(super) async fn page(c: &Client, after: u64, limit: usize) -> Result<Vec<AuditEntry>> {
    let rows = c
        .query(
            &prepared(c, &format!("SELECT {COLUMNS} FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2"))
                .await?,
            &[&int(after), &int(limit as u64)],
        )
        .await
        .map_err(db_error)?;
    Ok(rows.iter().map(entry).collect())
}

/// Entries newest first, filtered as [`AuditQuery::matches`] says.
pub(super) async fn newest(c: &Client, query: &AuditQuery) -> Result<Vec<AuditEntry>> {
    let rows = c
        .query(&prepared(c, &format!(
                "SELECT {COLUMNS} FROM audit
                 WHERE ($1::BIGINT IS NULL OR seq < $1) AND ($2::BIGINT IS NULL OR at_ms >= $2)
                   AND ($3::TEXT IS NULL OR actor = $3)
                   AND ($4::TEXT IS NULL OR target = $4 OR left(target, length($4) + 1) IN ($4 || '#', $4 || '/'))
                   AND ($5::TEXT IS NULL OR action = $5
                        OR (right($5, 1) = '.' AND left(action, length($5)) = $5))
                 ORDER BY seq DESC LIMIT $6"
            )).await?,
            &[
                &query.before.map(int),
                &query.since_ms.map(int),
                &query.actor,
                &query.customer,
                &query.action,
                &(query.limit.clamp(1, 1000) as i64),
            ],
        )
        .await
        .map_err(db_error)?;
    Ok(rows.iter().map(entry).collect())
}

/// The chain's newest entry's (seq, hash), if any.
pub(super) async fn head(c: &impl GenericClient) -> Result<Option<(u64, String)>> {
    let row =
        c.query_opt("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", &[]).await.map_err(db_error)?;
    Ok(row.map(|row| (uint(row.get(0)), row.get(1))))
}
