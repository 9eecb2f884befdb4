//! Customer hosts: the instances the last sync found, each customer's launch spec (its user
//! data sealed by the console), the recovery settings (fleet-wide under scope `*`, else per
//! customer) and what recovery remembers of each customer.

use rusqlite::{Connection, Transaction, params};

use super::{db_error, json_error, query_all, query_bodies, query_one};
use crate::console::store::{LaunchSpecRecord, RecoveryStateRecord};
use crate::error::Result;
use crate::instances::{Instance, RecoverySettings};

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

pub(super) fn put_launch_spec(
    tx: &Transaction<'_>,
    customer_id: &str,
    spec: &LaunchSpecRecord,
) -> Result<()> {
    let body = spec.to_body()?;
    tx.execute(
        "INSERT INTO launch_specs (customer_id, body) VALUES (?1, ?2)
         ON CONFLICT (customer_id) DO UPDATE SET body = excluded.body",
        params![customer_id, body],
    )
    .map_err(db_error)?;
    Ok(())
}

pub(super) fn launch_spec(c: &Connection, customer_id: &str) -> Result<Option<LaunchSpecRecord>> {
    let body: Option<String> =
        query_one(c, "SELECT body FROM launch_specs WHERE customer_id = ?1", [customer_id], |row| {
            row.get(0)
        })?;
    body.map(|body| LaunchSpecRecord::from_body(&body)).transpose()
}

/// Sets (empty: removes) what recovery remembers of `customer_id`.
pub(super) fn put_recovery_state(
    c: &Connection,
    customer_id: &str,
    state: &RecoveryStateRecord,
) -> Result<()> {
    if state.is_empty() {
        c.execute("DELETE FROM recovery_state WHERE customer_id = ?1", [customer_id]).map_err(db_error)?;
        return Ok(());
    }
    let body = serde_json::to_string(state).map_err(json_error)?;
    c.execute(
        "INSERT INTO recovery_state (customer_id, body) VALUES (?1, ?2)
         ON CONFLICT (customer_id) DO UPDATE SET body = excluded.body",
        params![customer_id, body],
    )
    .map_err(db_error)?;
    Ok(())
}

/// What recovery remembers, by customer.
pub(super) fn recovery_states(
    c: &Connection,
) -> Result<std::collections::BTreeMap<String, RecoveryStateRecord>> {
    let rows: Vec<(String, String)> =
        query_all(c, "SELECT customer_id, body FROM recovery_state ORDER BY customer_id", [], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })?;
    rows.into_iter().map(|(id, body)| Ok((id, serde_json::from_str(&body).map_err(json_error)?))).collect()
}

/// The fleet's scope in `recovery_settings`.
const FLEET: &str = "*";

/// Sets (or, when empty, clears) the settings of `customer_id`, or the fleet's for `None`.
pub(super) fn put_recovery_settings(
    tx: &Transaction<'_>,
    customer_id: Option<&str>,
    settings: &RecoverySettings,
) -> Result<()> {
    let scope = customer_id.unwrap_or(FLEET);
    if settings.is_empty() {
        tx.execute("DELETE FROM recovery_settings WHERE scope = ?1", [scope]).map_err(db_error)?;
        return Ok(());
    }
    let body = serde_json::to_string(settings).map_err(json_error)?;
    tx.execute(
        "INSERT INTO recovery_settings (scope, body) VALUES (?1, ?2)
         ON CONFLICT (scope) DO UPDATE SET body = excluded.body",
        params![scope, body],
    )
    .map_err(db_error)?;
    Ok(())
}

/// The fleet's settings and each customer's that has its own.
pub(super) fn recovery_settings(
    c: &Connection,
) -> Result<(Option<RecoverySettings>, std::collections::BTreeMap<String, RecoverySettings>)> {
    let rows: Vec<(String, String)> =
        query_all(c, "SELECT scope, body FROM recovery_settings ORDER BY scope", [], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })?;
    let mut fleet = None;
    let mut customers = std::collections::BTreeMap::new();
    for (scope, body) in rows {
        let settings: RecoverySettings = serde_json::from_str(&body).map_err(json_error)?;
        if scope == FLEET {
            fleet = Some(settings);
        } else {
            customers.insert(scope, settings);
        }
    }
    Ok((fleet, customers))
}
