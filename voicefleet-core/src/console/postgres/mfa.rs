//! Console users' second factor: `user_mfa`, `mfa_recovery_codes`, `mfa_required_roles`.

use tokio_postgres::{Row, Transaction};

use super::{Client, db_error, int, prepared, uint};
use crate::auth::Role;
use crate::console::mfa::{MfaRecord, RecoveryCodeRecord};
use crate::error::Result;

const MFA_COLUMNS: &str = "name, nonce, ciphertext, confirmed, last_step, created_at_ms";

fn mfa_from_row(row: &Row) -> MfaRecord {
    MfaRecord {
        name: row.get(0),
        nonce: row.get(1),
        ciphertext: row.get(2),
        confirmed: row.get(3),
        last_step: uint(row.get(4)),
        created_at_ms: uint(row.get(5)),
        recovery_codes: Vec::new(),
    }
}

async fn recovery_codes(c: &Client, name: &str) -> Result<Vec<RecoveryCodeRecord>> {
    let rows = c
        .query(
            &prepared(
                c,
                "SELECT salt, hash, used_at_ms FROM mfa_recovery_codes WHERE name = $1 ORDER BY row_order",
            )
            .await?,
            &[&name],
        )
        .await
        .map_err(db_error)?;
    Ok(rows
        .iter()
        .map(|row| RecoveryCodeRecord {
            salt: row.get(0),
            hash: row.get(1),
            used_at_ms: row.get::<_, Option<i64>>(2).map(uint),
        })
        .collect())
}

pub(super) async fn get(c: &Client, name: &str) -> Result<Option<MfaRecord>> {
    let row = c
        .query_opt(
            &prepared(c, &format!("SELECT {MFA_COLUMNS} FROM user_mfa WHERE name = $1")).await?,
            &[&name],
        )
        .await
        .map_err(db_error)?;
    let Some(row) = row else { return Ok(None) };
    let mut record = mfa_from_row(&row);
    record.recovery_codes = recovery_codes(c, name).await?;
    Ok(Some(record))
}

pub(super) async fn all(c: &Client) -> Result<Vec<MfaRecord>> {
    let rows = c
        .query(&prepared(c, &format!("SELECT {MFA_COLUMNS} FROM user_mfa ORDER BY name")).await?, &[])
        .await
        .map_err(db_error)?;
    let mut records = Vec::with_capacity(rows.len());
    for row in &rows {
        let mut record = mfa_from_row(row);
        record.recovery_codes = recovery_codes(c, &record.name).await?;
        records.push(record);
    }
    Ok(records)
}

pub(super) async fn put(tx: &Transaction<'_>, record: &MfaRecord) -> Result<()> {
    tx.execute("DELETE FROM user_mfa WHERE name = $1", &[&record.name]).await.map_err(db_error)?;
    tx.execute(
        &format!("INSERT INTO user_mfa ({MFA_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"),
        &[
            &record.name,
            &record.nonce,
            &record.ciphertext,
            &record.confirmed,
            &int(record.last_step),
            &int(record.created_at_ms),
        ],
    )
    .await
    .map_err(db_error)?;
    for code in &record.recovery_codes {
        tx.execute(
            "INSERT INTO mfa_recovery_codes (name, salt, hash, used_at_ms) VALUES ($1, $2, $3, $4)",
            &[&record.name, &code.salt, &code.hash, &code.used_at_ms.map(int)],
        )
        .await
        .map_err(db_error)?;
    }
    Ok(())
}

/// Records `step` as `name`'s last used one if it is later, in one statement: of two logins
/// with the same code, the second waits for the first's row lock, then finds the step used.
pub(super) async fn use_step(tx: &Transaction<'_>, name: &str, step: u64) -> Result<bool> {
    let sql = "UPDATE user_mfa SET last_step = $2 WHERE name = $1 AND last_step < $2";
    Ok(tx.execute(sql, &[&name, &int(step)]).await.map_err(db_error)? > 0)
}

/// [`use_step`] that also marks the enrollment confirmed.
pub(super) async fn confirm_with_step(tx: &Transaction<'_>, name: &str, step: u64) -> Result<bool> {
    let sql = "UPDATE user_mfa SET last_step = $2, confirmed = TRUE WHERE name = $1 AND last_step < $2";
    Ok(tx.execute(sql, &[&name, &int(step)]).await.map_err(db_error)? > 0)
}

pub(super) async fn use_recovery_code(
    tx: &Transaction<'_>,
    name: &str,
    hash: &str,
    at_ms: u64,
) -> Result<bool> {
    let updated = tx
        .execute(
            "UPDATE mfa_recovery_codes SET used_at_ms = $3 WHERE name = $1 AND hash = $2 AND used_at_ms IS NULL",
            &[&name, &hash, &int(at_ms)],
        )
        .await
        .map_err(db_error)?;
    Ok(updated > 0)
}

pub(super) async fn delete(tx: &Transaction<'_>, name: &str) -> Result<bool> {
    tx.execute("DELETE FROM mfa_recovery_codes WHERE name = $1", &[&name]).await.map_err(db_error)?;
    Ok(tx.execute("DELETE FROM user_mfa WHERE name = $1", &[&name]).await.map_err(db_error)? > 0)
}

pub(super) async fn required_roles(c: &Client) -> Result<Vec<Role>> {
    let rows =
        c.query(&prepared(c, "SELECT role FROM mfa_required_roles").await?, &[]).await.map_err(db_error)?;
    let mut roles: Vec<Role> = rows.iter().filter_map(|row| Role::parse(row.get(0))).collect();
    roles.sort();
    Ok(roles)
}

pub(super) async fn set_required(tx: &Transaction<'_>, role: Role, required: bool) -> Result<()> {
    if required {
        tx.execute(
            "INSERT INTO mfa_required_roles (role) VALUES ($1) ON CONFLICT (role) DO NOTHING",
            &[&role.as_str()],
        )
        .await
    } else {
        tx.execute("DELETE FROM mfa_required_roles WHERE role = $1", &[&role.as_str()]).await
    }
    .map_err(db_error)?;
    Ok(())
}
