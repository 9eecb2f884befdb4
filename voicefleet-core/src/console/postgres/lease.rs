//! Leases: one row per lease, decided by `lease::next_lease` inside the transaction. The
//! transaction first takes an advisory lock on the leases, so two replicas asking at once (the
//! row missing, or expired) decide one after the other.

use tokio_postgres::{GenericClient, Transaction};

use super::{ADVISORY_NAMESPACE, db_error, int, uint};
use crate::console::lease::{LeaseRecord, next_lease};
use crate::error::{Error, Result};

/// The advisory lock claims run under (in [`ADVISORY_NAMESPACE`]).
const LEASE_LOCK: i32 = 3;

async fn load(c: &impl GenericClient, name: &str) -> Result<Option<LeaseRecord>> {
    let row = c
        .query_opt(
            "SELECT name, holder, since_ms, expires_at_ms, generation FROM leases WHERE name = $1",
            &[&name],
        )
        .await
        .map_err(db_error)?;
    Ok(row.map(|row| LeaseRecord {
        name: row.get(0),
        holder: row.get(1),
        since_ms: uint(row.get(2)),
        expires_at_ms: uint(row.get(3)),
        generation: uint(row.get(4)),
    }))
}

/// Takes or renews the lease when the rule allows it; the lease as stored after.
pub(super) async fn claim(
    tx: &Transaction<'_>,
    name: &str,
    holder: &str,
    now_ms: u64,
    ttl_ms: u64,
) -> Result<LeaseRecord> {
    tx.execute("SELECT pg_advisory_xact_lock($1, $2)", &[&ADVISORY_NAMESPACE, &LEASE_LOCK])
        .await
        .map_err(db_error)?;
    let stored = load(tx, name).await?;
    let Some(next) = next_lease(stored.as_ref(), name, holder, now_ms, ttl_ms) else {
        // Another holds it: `Wait` only comes from a stored row.
        return stored.ok_or_else(|| Error::Internal { message: format!("lease `{name}` vanished") });
    };
    tx.execute(
        "INSERT INTO leases (name, holder, since_ms, expires_at_ms, generation) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, since_ms = excluded.since_ms,
             expires_at_ms = excluded.expires_at_ms, generation = excluded.generation",
        &[&next.name, &next.holder, &int(next.since_ms), &int(next.expires_at_ms), &int(next.generation)],
    )
    .await
    .map_err(db_error)?;
    Ok(next)
}

/// Ends `holder`'s lease now.
pub(super) async fn release(c: &impl GenericClient, name: &str, holder: &str) -> Result<()> {
    c.execute("UPDATE leases SET expires_at_ms = 0 WHERE name = $1 AND holder = $2", &[&name, &holder])
        .await
        .map_err(db_error)?;
    Ok(())
}
