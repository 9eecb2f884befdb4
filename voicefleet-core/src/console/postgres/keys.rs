//! The fingerprints of the keys every console on this store must hold (`console/replicas.rs`),
//! and the `Idempotency-Key`s of requests that start something.

use tokio_postgres::Transaction;

use super::{Client, db_error, int, prepared};
use crate::console::IdempotencyClaim;
use crate::error::Result;

pub(super) async fn key_fingerprints(c: &Client) -> Result<Vec<(String, String)>> {
    let rows = c
        .query(&prepared(c, "SELECT name, fingerprint FROM key_fingerprints ORDER BY name").await?, &[])
        .await
        .map_err(db_error)?;
    Ok(rows.iter().map(|row| (row.get(0), row.get(1))).collect())
}

/// Inserts when absent (`replacing` none) or swaps `replacing` for `fingerprint`; whether written.
pub(super) async fn record_key_fingerprint(
    tx: &Transaction<'_>,
    name: &str,
    fingerprint: &str,
    replacing: Option<&str>,
    at_ms: u64,
) -> Result<bool> {
    let written = match replacing {
        None => {
            tx.execute(
                "INSERT INTO key_fingerprints (name, fingerprint, recorded_at_ms) VALUES ($1, $2, $3)
                 ON CONFLICT (name) DO NOTHING",
                &[&name, &fingerprint, &int(at_ms)],
            )
            .await
        }
        Some(old) => {
            tx.execute(
                "UPDATE key_fingerprints SET fingerprint = $2, recorded_at_ms = $3 WHERE name = $1 AND fingerprint = $4",
                &[&name, &fingerprint, &int(at_ms), &old],
            )
            .await
        }
    }
    .map_err(db_error)?;
    Ok(written == 1)
}

/// The first claim inserts; a later one reads what the key holds.
pub(super) async fn claim_idempotency_key(
    tx: &Transaction<'_>,
    (caller, key, fingerprint): (&str, &str, &str),
    at_ms: u64,
    keep_ms: u64,
) -> Result<IdempotencyClaim> {
    tx.execute("DELETE FROM idempotency_keys WHERE at_ms < $1", &[&int(at_ms.saturating_sub(keep_ms))])
        .await
        .map_err(db_error)?;
    let inserted = tx
        .execute(
            "INSERT INTO idempotency_keys (caller, key, fingerprint, at_ms) VALUES ($1, $2, $3, $4)
             ON CONFLICT (caller, key) DO NOTHING",
            &[&caller, &key, &fingerprint, &int(at_ms)],
        )
        .await
        .map_err(db_error)?;
    if inserted == 1 {
        return Ok(IdempotencyClaim::First);
    }
    let row = tx
        .query_opt(
            "SELECT fingerprint, result FROM idempotency_keys WHERE caller = $1 AND key = $2",
            &[&caller, &key],
        )
        .await
        .map_err(db_error)?;
    let (fingerprint, result) = row.map(|row| (row.get(0), row.get(1))).unwrap_or_default();
    Ok(IdempotencyClaim::Taken { fingerprint, result })
}

pub(super) async fn finish_idempotency_key(
    tx: &Transaction<'_>,
    caller: &str,
    key: &str,
    result: Option<&str>,
) -> Result<()> {
    match result {
        Some(result) => {
            tx.execute(
                "UPDATE idempotency_keys SET result = $3 WHERE caller = $1 AND key = $2",
                &[&caller, &key, &result],
            )
            .await
        }
        None => {
            tx.execute("DELETE FROM idempotency_keys WHERE caller = $1 AND key = $2", &[&caller, &key]).await
        }
    }
    .map_err(db_error)?;
    Ok(())
}
