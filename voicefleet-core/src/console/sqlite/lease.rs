//! Leases: one row per lease, decided by `lease::next_lease` inside the transaction.

use rusqlite::{Connection, Transaction, params};

use super::{db_error, query_one};
use crate::console::lease::{LeaseRecord, next_lease};
use crate::error::{Error, Result};

fn load(c: &Connection, name: &str) -> Result<Option<LeaseRecord>> {
    query_one(
        c,
        "SELECT name, holder, since_ms, expires_at_ms, generation FROM leases WHERE name = ?1",
        params![name],
        |row| {
            Ok(LeaseRecord {
                name: row.get(0)?,
                holder: row.get(1)?,
                since_ms: row.get(2)?,
                expires_at_ms: row.get(3)?,
                generation: row.get(4)?,
            })
        },
    )
}

/// Takes or renews the lease when the rule allows it; the lease as stored after.
pub(super) fn claim(
    tx: &Transaction<'_>,
    name: &str,
    holder: &str,
    now_ms: u64,
    ttl_ms: u64,
) -> Result<LeaseRecord> {
    let stored = load(tx, name)?;
    let Some(next) = next_lease(stored.as_ref(), name, holder, now_ms, ttl_ms) else {
        // Another holds it: `Wait` only comes from a stored row.
        return stored.ok_or_else(|| Error::Internal { message: format!("lease `{name}` vanished") });
    };
    tx.execute(
        "INSERT INTO leases (name, holder, since_ms, expires_at_ms, generation) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, since_ms = excluded.since_ms,
             expires_at_ms = excluded.expires_at_ms, generation = excluded.generation",
        params![next.name, next.holder, next.since_ms, next.expires_at_ms, next.generation],
    )
    .map_err(db_error)?;
    Ok(next)
}

/// Ends `holder`'s lease now.
pub(super) fn release(c: &Connection, name: &str, holder: &str) -> Result<()> {
    c.execute("UPDATE leases SET expires_at_ms = 0 WHERE name = ?1 AND holder = ?2", params![name, holder])
        .map_err(db_error)?;
    Ok(())
}
