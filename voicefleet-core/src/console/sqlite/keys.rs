//! The fingerprints of the keys every console on this store must hold (`console/replicas.rs`),
//! and the `Idempotency-Key`s of requests that start something.

use rusqlite::{Connection, Transaction, params};

use super::{db_error, query_all, query_one};
use crate::console::IdempotencyClaim;
use crate::error::Result;

pub(super) fn key_fingerprints(c: &Connection) -> Result<Vec<(String, String)>> {
    query_all(c, "SELECT name, fingerprint FROM key_fingerprints ORDER BY name", [], |row| {
        Ok((row.get(0)?, row.get(1)?))
    })
}

/// Inserts when absent (`replacing` none) or swaps `replacing` for `fingerprint`; whether written.
pub(super) fn record_key_fingerprint(
    tx: &Transaction<'_>,
    name: &str,
    fingerprint: &str,
    replacing: Option<&str>,
    at_ms: u64,
) -> Result<bool> {
    let at_ms = at_ms.min(i64::MAX as u64);
    let written = match replacing {
        None => tx.execute(
            "INSERT INTO key_fingerprints (name, fingerprint, recorded_at_ms) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO NOTHING",
            params![name, fingerprint, at_ms],
        ),
        Some(old) => tx.execute(
            "UPDATE key_fingerprints SET fingerprint = ?2, recorded_at_ms = ?3 WHERE name = ?1 AND fingerprint = ?4",
            params![name, fingerprint, at_ms, old],
        ),
    }
    .map_err(db_error)?;
    Ok(written == 1)
}

/// The first claim inserts; a later one reads what the key holds.
pub(super) fn claim_idempotency_key(
    tx: &Transaction<'_>,
    (caller, key, fingerprint): (&str, &str, &str),
    at_ms: u64,
    keep_ms: u64,
) -> Result<IdempotencyClaim> {
    let at_ms = at_ms.min(i64::MAX as u64);
    tx.execute("DELETE FROM idempotency_keys WHERE at_ms < ?1", [at_ms.saturating_sub(keep_ms)])
        .map_err(db_error)?;
    let inserted = tx
        .execute(
            "INSERT INTO idempotency_keys (caller, key, fingerprint, at_ms) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (caller, key) DO NOTHING",
            params![caller, key, fingerprint, at_ms],
        )
        .map_err(db_error)?;
    if inserted == 1 {
        return Ok(IdempotencyClaim::First);
    }
    let found = query_one(
        tx,
        "SELECT fingerprint, result FROM idempotency_keys WHERE caller = ?1 AND key = ?2",
        params![caller, key],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    let (fingerprint, result) = found.unwrap_or_default();
    Ok(IdempotencyClaim::Taken { fingerprint, result })
}

pub(super) fn finish_idempotency_key(
    tx: &Transaction<'_>,
    caller: &str,
    key: &str,
    result: Option<&str>,
) -> Result<()> {
    match result {
        Some(result) => tx.execute(
            "UPDATE idempotency_keys SET result = ?3 WHERE caller = ?1 AND key = ?2",
            params![caller, key, result],
        ),
        None => {
            tx.execute("DELETE FROM idempotency_keys WHERE caller = ?1 AND key = ?2", params![caller, key])
        }
    }
    .map_err(db_error)?;
    Ok(())
}
