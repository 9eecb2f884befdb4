//! Users and API tokens.

use rusqlite::{Connection, Row, Transaction, params};

use super::{db_error, query_all, query_one};
use crate::auth::Role;
use crate::console::accounts::{TokenRecord, UserRecord};
use crate::error::{Error, Result};

const USER_COLUMNS: &str =
    "name, role, password_hash, created_at_ms, failed_logins, locked_until_ms, tokens_after_s";
const TOKEN_COLUMNS: &str = "id, name, role, token_hash, created_by, created_at_ms, expires_at_ms, revoked";

fn user_from_row(row: &Row<'_>) -> rusqlite::Result<UserRecord> {
    let role: String = row.get(1)?;
    Ok(UserRecord {
        name: row.get(0)?,
        role: Role::parse(&role).unwrap_or(Role::Viewer),
        password_hash: row.get(2)?,
        created_at_ms: row.get(3)?,
        failed_logins: row.get(4)?,
        locked_until_ms: row.get(5)?,
        tokens_after_s: row.get(6)?,
    })
}

fn token_from_row(row: &Row<'_>) -> rusqlite::Result<TokenRecord> {
    let role: String = row.get(2)?;
    Ok(TokenRecord {
        id: row.get(0)?,
        name: row.get(1)?,
        role: Role::parse(&role).unwrap_or(Role::Viewer),
        token_hash: row.get(3)?,
        created_by: row.get(4)?,
        created_at_ms: row.get(5)?,
        expires_at_ms: row.get(6)?,
        revoked: row.get::<_, i64>(7)? != 0,
    })
}

pub(super) fn insert_user(tx: &Transaction<'_>, user: &UserRecord) -> Result<()> {
    let inserted = tx
        .execute(
            &format!("INSERT INTO users ({USER_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (name) DO NOTHING"),
            params![
                user.name,
                user.role.as_str(),
                user.password_hash,
                user.created_at_ms,
                user.failed_logins,
                user.locked_until_ms,
                user.tokens_after_s
            ],
        )
        .map_err(db_error)?;
    if inserted == 0 {
        return Err(Error::conflict(format!("user `{}` already exists", user.name), None));
    }
    Ok(())
}

pub(super) fn user(c: &Connection, name: &str) -> Result<Option<UserRecord>> {
    query_one(c, &format!("SELECT {USER_COLUMNS} FROM users WHERE name = ?1"), [name], user_from_row)
}

pub(super) fn users(c: &Connection) -> Result<Vec<UserRecord>> {
    query_all(c, &format!("SELECT {USER_COLUMNS} FROM users ORDER BY name"), [], user_from_row)
}

pub(super) fn update_user(tx: &Transaction<'_>, user: &UserRecord) -> Result<()> {
    tx.execute(
        "UPDATE users SET role = ?2, password_hash = ?3, failed_logins = ?4, locked_until_ms = ?5,
         tokens_after_s = ?6 WHERE name = ?1",
        params![
            user.name,
            user.role.as_str(),
            user.password_hash,
            user.failed_logins,
            user.locked_until_ms,
            user.tokens_after_s
        ],
    )
    .map_err(db_error)?;
    Ok(())
}

/// Deletes the user with their second factor and revokes every API token they created, in one
/// transaction.
pub(super) fn delete_user(tx: &Transaction<'_>, name: &str) -> Result<()> {
    tx.execute("DELETE FROM mfa_recovery_codes WHERE name = ?1", [name]).map_err(db_error)?;
    tx.execute("DELETE FROM user_mfa WHERE name = ?1", [name]).map_err(db_error)?;
    tx.execute("DELETE FROM users WHERE name = ?1", [name]).map_err(db_error)?;
    tx.execute("UPDATE api_tokens SET revoked = 1 WHERE created_by = ?1", [name]).map_err(db_error)?;
    Ok(())
}

pub(super) fn insert_token(tx: &Transaction<'_>, token: &TokenRecord) -> Result<()> {
    tx.execute(
        &format!("INSERT INTO api_tokens ({TOKEN_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
        params![
            token.id,
            token.name,
            token.role.as_str(),
            token.token_hash,
            token.created_by,
            token.created_at_ms,
            token.expires_at_ms,
            i64::from(token.revoked)
        ],
    )
    .map_err(db_error)?;
    Ok(())
}

pub(super) fn token_by_hash(c: &Connection, hash: &str) -> Result<Option<TokenRecord>> {
    query_one(
        c,
        &format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = ?1"),
        [hash],
        token_from_row,
    )
}

pub(super) fn tokens(c: &Connection) -> Result<Vec<TokenRecord>> {
    query_all(
        c,
        &format!("SELECT {TOKEN_COLUMNS} FROM api_tokens ORDER BY created_at_ms"),
        [],
        token_from_row,
    )
}

/// False when there was none.
pub(super) fn revoke_token(tx: &Transaction<'_>, id: &str) -> Result<bool> {
    let updated = tx.execute("UPDATE api_tokens SET revoked = 1 WHERE id = ?1", [id]).map_err(db_error)?;
    Ok(updated > 0)
}

const DAY_MS: u64 = 86_400_000;

pub(super) fn login_failures(c: &Connection, name: &str, address: &str) -> Result<Option<(u32, u64)>> {
    query_one(
        c,
        "SELECT failures, last_failure_ms FROM login_failures WHERE name = ?1 AND address = ?2",
        params![name, address],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )
}

/// One more failure, in one statement (atomic under concurrent logins); forgets failures older
/// than a day, so the table stays small.
pub(super) fn record_login_failure(
    tx: &Transaction<'_>,
    name: &str,
    address: &str,
    at_ms: u64,
) -> Result<u32> {
    let at_ms = at_ms.min(i64::MAX as u64);
    tx.execute("DELETE FROM login_failures WHERE last_failure_ms < ?1", [at_ms.saturating_sub(DAY_MS)])
        .map_err(db_error)?;
    tx.query_row(
        "INSERT INTO login_failures (name, address, failures, last_failure_ms) VALUES (?1, ?2, 1, ?3)
         ON CONFLICT (name, address) DO UPDATE SET failures = failures + 1, last_failure_ms = excluded.last_failure_ms
         RETURNING failures",
        params![name, address, at_ms],
        |row| row.get(0),
    )
    .map_err(db_error)
}

pub(super) fn clear_login_failures(tx: &Transaction<'_>, name: &str, address: Option<&str>) -> Result<()> {
    match address {
        Some(address) => {
            tx.execute("DELETE FROM login_failures WHERE name = ?1 AND address = ?2", params![name, address])
        }
        None => tx.execute("DELETE FROM login_failures WHERE name = ?1", params![name]),
    }
    .map_err(db_error)?;
    Ok(())
}

/// One more login attempt from `address`, in one statement (atomic under concurrent logins): a
/// window over `window_ms` old starts again at one. Forgets windows older than a day.
pub(super) fn count_login_attempt(
    tx: &Transaction<'_>,
    address: &str,
    at_ms: u64,
    window_ms: u64,
) -> Result<u32> {
    let (at_ms, window_ms) = (at_ms.min(i64::MAX as u64), window_ms.min(i64::MAX as u64));
    tx.execute("DELETE FROM login_attempts WHERE window_start_ms < ?1", [at_ms.saturating_sub(DAY_MS)])
        .map_err(db_error)?;
    tx.query_row(
        "INSERT INTO login_attempts (address, window_start_ms, attempts) VALUES (?1, ?2, 1)
         ON CONFLICT (address) DO UPDATE SET
            attempts = CASE WHEN window_start_ms + ?3 <= excluded.window_start_ms THEN 1 ELSE attempts + 1 END,
            window_start_ms = CASE WHEN window_start_ms + ?3 <= excluded.window_start_ms
                THEN excluded.window_start_ms ELSE window_start_ms END
         RETURNING attempts",
        params![address, at_ms, window_ms],
        |row| row.get(0),
    )
    .map_err(db_error)
}
