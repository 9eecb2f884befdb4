//! Customer hosts: the instances the last sync found, and each customer's launch spec.

use rusqlite::{Connection, Transaction, params};

use super::{db_error, json_error, query_all, query_bodies, query_one};
use crate::error::Result;
use crate::instances::{Instance, LaunchSpec};

/// Replaces every stored instance with `instances` (a sync).
pub(super) fn replace(tx: &Transaction<'_>, instances: &[Instance], synced_at_ms: u64) -> Result<()> {
    tx.execute("DELETE FROM instances", []).map_err(db_error)?;
    for instance in instances {
        put(tx, instance, synced_at_ms)?;
    }
    Ok(())
}

/// Stores one instance (after an action on it).
pub(super) fn put(c: &Connection, instance: &Instance, synced_at_ms: u64) -> Result<()> {
    let body = serde_json::to_string(instance).map_err(json_error)?;
    c.execute(
        "INSERT INTO instances (id, customer_tag, body, synced_at_ms) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (id) DO UPDATE SET customer_tag = excluded.customer_tag, body = excluded.body,
         synced_at_ms = excluded.synced_at_ms",
        params![instance.id, instance.customer_tag, body, synced_at_ms],
    )
    .map_err(db_error)?;
    Ok(())
}

/// Every stored instance, by id, and the time of the newest sync.
pub(super) fn all(c: &Connection) -> Result<(Vec<Instance>, Option<u64>)> {
    let instances = query_bodies(c, "SELECT body FROM instances ORDER BY id", [])?;
    let synced: Vec<Option<u64>> =
        query_all(c, "SELECT MAX(synced_at_ms) FROM instances", [], |row| row.get(0))?;
    Ok((instances, synced.into_iter().flatten().next()))
}

pub(super) fn put_launch_spec(tx: &Transaction<'_>, customer_id: &str, spec: &LaunchSpec) -> Result<()> {
    let body = serde_json::to_string(spec).map_err(json_error)?;
    tx.execute(
        "INSERT INTO launch_specs (customer_id, body) VALUES (?1, ?2)
         ON CONFLICT (customer_id) DO UPDATE SET body = excluded.body",
        params![customer_id, body],
    )
    .map_err(db_error)?;
    Ok(())
}

pub(super) fn launch_spec(c: &Connection, customer_id: &str) -> Result<Option<LaunchSpec>> {
    let body: Option<String> =
        query_one(c, "SELECT body FROM launch_specs WHERE customer_id = ?1", [customer_id], |row| {
            row.get(0)
        })?;
    body.map(|body| serde_json::from_str(&body).map_err(json_error)).transpose()
}
