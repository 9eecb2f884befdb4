//! Console users' second factor: `user_mfa`, `mfa_recovery_codes`, `mfa_required_roles`.

use rusqlite::{Connection, Row, Transaction, params};

use super::{db_error, query_all, query_one};
use crate::auth::Role;
use crate::console::mfa::{MfaRecord, RecoveryCodeRecord};
use crate::error::Result;

const MFA_COLUMNS: &str = "name, nonce, ciphertext, confirmed, last_step, created_at_ms";

fn mfa_from_row(row: &Row<'_>) -> rusqlite::Result<MfaRecord> {
    Ok(MfaRecord {
        name: row.get(0)?,
        nonce: row.get(1)?,
        ciphertext: row.get(2)?,
        confirmed: row.get::<_, i64>(3)? != 0,
        last_step: row.get::<_, i64>(4)?.max(0) as u64,
        created_at_ms: row.get(5)?,
        recovery_codes: Vec::new(),
    })
}

fn recovery_codes(c: &Connection, name: &str) -> Result<Vec<RecoveryCodeRecord>> {
    query_all(
        c,
        "SELECT salt, hash, used_at_ms FROM mfa_recovery_codes WHERE name = ?1 ORDER BY rowid",
        [name],
        |row| Ok(RecoveryCodeRecord { salt: row.get(0)?, hash: row.get(1)?, used_at_ms: row.get(2)? }),
    )
}

pub(super) fn get(c: &Connection, name: &str) -> Result<Option<MfaRecord>> {
    let record =
        query_one(c, &format!("SELECT {MFA_COLUMNS} FROM user_mfa WHERE name = ?1"), [name], mfa_from_row)?;
    record
        .map(|mut record| {
            record.recovery_codes = recovery_codes(c, name)?;
            Ok(record)
        })
        .transpose()
}

pub(super) fn all(c: &Connection) -> Result<Vec<MfaRecord>> {
    let records =
        query_all(c, &format!("SELECT {MFA_COLUMNS} FROM user_mfa ORDER BY name"), [], mfa_from_row)?;
    records
        .into_iter()
        .map(|mut record| {
            record.recovery_codes = recovery_codes(c, &record.name)?;
            Ok(record)
        })
        .collect()
}

pub(super) fn put(tx: &Transaction<'_>, record: &MfaRecord) -> Result<()> {
    tx.execute("DELETE FROM user_mfa WHERE name = ?1", [&record.name]).map_err(db_error)?;
    tx.execute(
        &format!("INSERT INTO user_mfa ({MFA_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
        params![
            record.name,
            record.nonce,
            record.ciphertext,
            i64::from(record.confirmed),
            record.last_step.min(i64::MAX as u64) as i64,
            record.created_at_ms
        ],
    )
    .map_err(db_error)?;
    for code in &record.recovery_codes {
        tx.execute(
            "INSERT INTO mfa_recovery_codes (name, salt, hash, used_at_ms) VALUES (?1, ?2, ?3, ?4)",
            params![record.name, code.salt, code.hash, code.used_at_ms],
        )
        .map_err(db_error)?;
    }
    Ok(())
}

/// Records `step` as `name`'s last used one if it is later, in one statement: of two logins
/// with the same code, one updates the row and the other does not.
pub(super) fn use_step(tx: &Transaction<'_>, name: &str, step: u64) -> Result<bool> {
    let sql = "UPDATE user_mfa SET last_step = ?2 WHERE name = ?1 AND last_step < ?2";
    Ok(tx.execute(sql, params![name, step.min(i64::MAX as u64) as i64]).map_err(db_error)? > 0)
}

/// [`use_step`] that also marks the enrollment confirmed.
pub(super) fn confirm_with_step(tx: &Transaction<'_>, name: &str, step: u64) -> Result<bool> {
    let sql = "UPDATE user_mfa SET last_step = ?2, confirmed = 1 WHERE name = ?1 AND last_step < ?2";
    Ok(tx.execute(sql, params![name, step.min(i64::MAX as u64) as i64]).map_err(db_error)? > 0)
}

pub(super) fn use_recovery_code(tx: &Transaction<'_>, name: &str, hash: &str, at_ms: u64) -> Result<bool> {
    let updated = tx
        .execute(
            "UPDATE mfa_recovery_codes SET used_at_ms = ?3 WHERE name = ?1 AND hash = ?2 AND used_at_ms IS NULL",
            params![name, hash, at_ms.min(i64::MAX as u64)],
        )
        .map_err(db_error)?;
    Ok(updated > 0)
}

pub(super) fn delete(tx: &Transaction<'_>, name: &str) -> Result<bool> {
    tx.execute("DELETE FROM mfa_recovery_codes WHERE name = ?1", [name]).map_err(db_error)?;
    Ok(tx.execute("DELETE FROM user_mfa WHERE name = ?1", [name]).map_err(db_error)? > 0)
}

pub(super) fn required_roles(c: &Connection) -> Result<Vec<Role>> {
    let roles = query_all(c, "SELECT role FROM mfa_required_roles", [], |row| row.get::<_, String>(0))?;
    let mut roles: Vec<Role> = roles.iter().filter_map(|role| Role::parse(role)).collect();
    roles.sort();
    Ok(roles)
}

pub(super) fn set_required(tx: &Transaction<'_>, role: Role, required: bool) -> Result<()> {
    if required {
        tx.execute(
            "INSERT INTO mfa_required_roles (role) VALUES (?1) ON CONFLICT (role) DO NOTHING",
            [role.as_str()],
        )
    } else {
        tx.execute("DELETE FROM mfa_required_roles WHERE role = ?1", [role.as_str()])
    }
    .map_err(db_error)?;
    Ok(())
}
