//! Customer hosts: the instances the last sync found, and each customer's launch spec.

use tokio_postgres::{GenericClient, Transaction};

use super::{Client, bodies, db_error, int, json_error, prepared, uint};
use crate::console::RecoverySettingsLevels;
use crate::console::store::{LaunchSpecRecord, RecoveryStateRecord};
use crate::error::Result;
use crate::instances::{Instance, RecoverySettings};

/// Replaces every stored instance with `instances` (a sync).
pub(super) async fn replace(tx: &Transaction<'_>, instances: &[Instance], synced_at_ms: u64) -> Result<()> {
    tx.execute("DELETE FROM instances", &[]).await.map_err(db_error)?;
    for instance in instances {
        put(tx, instance, synced_at_ms).await?;
    }
    Ok(())
}

/// Stores one instance (after an action on it).
pub(super) async fn put(c: &impl GenericClient, instance: &Instance, synced_at_ms: u64) -> Result<()> {
    let body = serde_json::to_string(instance).map_err(json_error)?;
    c.execute(
        "INSERT INTO instances (id, customer_tag, body, synced_at_ms) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET customer_tag = excluded.customer_tag, body = excluded.body,
         synced_at_ms = excluded.synced_at_ms",
        &[&instance.id, &instance.customer_tag, &body, &int(synced_at_ms)],
    )
    .await
    .map_err(db_error)?;
    Ok(())
}

/// Every stored instance, by id, and the time of the newest sync.
pub(super) async fn all(c: &Client) -> Result<(Vec<Instance>, Option<u64>)> {
    let rows = c
        .query(&prepared(c, "SELECT body FROM instances ORDER BY id").await?, &[])
        .await
        .map_err(db_error)?;
    let synced: Option<i64> = c
        .query_one(&prepared(c, "SELECT MAX(synced_at_ms) FROM instances").await?, &[])
        .await
        .map_err(db_error)?
        .get(0);
    Ok((bodies(&rows)?, synced.map(uint)))
}

pub(super) async fn put_launch_spec(
    tx: &Transaction<'_>,
    customer_id: &str,
    spec: &LaunchSpecRecord,
) -> Result<()> {
    let body = spec.to_body()?;
    tx.execute(
        "INSERT INTO launch_specs (customer_id, body) VALUES ($1, $2)
         ON CONFLICT (customer_id) DO UPDATE SET body = excluded.body",
        &[&customer_id, &body],
    )
    .await
    .map_err(db_error)?;
    Ok(())
}

pub(super) async fn launch_spec(c: &Client, customer_id: &str) -> Result<Option<LaunchSpecRecord>> {
    let row = c
        .query_opt(
            &prepared(c, "SELECT body FROM launch_specs WHERE customer_id = $1").await?,
            &[&customer_id],
        )
        .await
        .map_err(db_error)?;
    row.map(|row| LaunchSpecRecord::from_body(row.get::<_, &str>(0))).transpose()
}

/// Sets (empty: removes) what recovery remembers of `customer_id`.
pub(super) async fn put_recovery_state(
    c: &Client,
    customer_id: &str,
    state: &RecoveryStateRecord,
) -> Result<()> {
    if state.is_empty() {
        c.execute("DELETE FROM recovery_state WHERE customer_id = $1", &[&customer_id])
            .await
            .map_err(db_error)?;
        return Ok(());
    }
    let body = serde_json::to_string(state).map_err(json_error)?;
    c.execute(
        "INSERT INTO recovery_state (customer_id, body) VALUES ($1, $2)
         ON CONFLICT (customer_id) DO UPDATE SET body = excluded.body",
        &[&customer_id, &body],
    )
    .await
    .map_err(db_error)?;
    Ok(())
}

/// What recovery remembers, by customer.
pub(super) async fn recovery_states(
    c: &Client,
) -> Result<std::collections::BTreeMap<String, RecoveryStateRecord>> {
    let rows = c
        .query(&prepared(c, "SELECT customer_id, body FROM recovery_state ORDER BY customer_id").await?, &[])
        .await
        .map_err(db_error)?;
    rows.iter()
        .map(|row| {
            let (id, body): (&str, &str) = (row.get(0), row.get(1));
            Ok((id.to_owned(), serde_json::from_str(body).map_err(json_error)?))
        })
        .collect()
}

/// The fleet's scope in `recovery_settings` (as in SQLite).
const FLEET: &str = "*";

/// Sets (or, when empty, clears) the settings of `customer_id`, or the fleet's for `None`.
pub(super) async fn put_recovery_settings(
    tx: &Transaction<'_>,
    customer_id: Option<&str>,
    settings: &RecoverySettings,
) -> Result<()> {
    let scope = customer_id.unwrap_or(FLEET);
    if settings.is_empty() {
        tx.execute("DELETE FROM recovery_settings WHERE scope = $1", &[&scope]).await.map_err(db_error)?;
        return Ok(());
    }
    let body = serde_json::to_string(settings).map_err(json_error)?;
    tx.execute(
        "INSERT INTO recovery_settings (scope, body) VALUES ($1, $2)
         ON CONFLICT (scope) DO UPDATE SET body = excluded.body",
        &[&scope, &body],
    )
    .await
    .map_err(db_error)?;
    Ok(())
}

/// The fleet's settings and each customer's that has its own.
pub(super) async fn recovery_settings(c: &Client) -> Result<RecoverySettingsLevels> {
    let rows = c
        .query(&prepared(c, "SELECT scope, body FROM recovery_settings ORDER BY scope").await?, &[])
        .await
        .map_err(db_error)?;
    let mut fleet = None;
    let mut customers = std::collections::BTreeMap::new();
    for row in rows {
        let (scope, body): (&str, &str) = (row.get(0), row.get(1));
        let settings: RecoverySettings = serde_json::from_str(body).map_err(json_error)?;
        if scope == FLEET {
            fleet = Some(settings);
        } else {
            customers.insert(scope.to_owned(), settings);
        }
    }
    Ok((fleet, customers))
}
