//! Users, API tokens and failed logins.

use tokio_postgres::{Row, Transaction};

use super::{Client, db_error, int, prepared, uint};
use crate::auth::Role;
use crate::console::accounts::{TokenRecord, UserRecord};
use crate::error::{Error, Result};

const USER_COLUMNS: &str =
    "name, role, password_hash, created_at_ms, failed_logins, locked_until_ms, tokens_after_s";
const TOKEN_COLUMNS: &str = "id, name, role, token_hash, created_by, created_at_ms, expires_at_ms, revoked";

fn user_from_row(row: &Row) -> UserRecord {
    UserRecord {
        name: row.get(0),
        role: Role::parse(row.get(1)).unwrap_or(Role::Viewer),
        password_hash: row.get(2),
        created_at_ms: uint(row.get(3)),
        failed_logins: u32::try_from(row.get::<_, i64>(4)).unwrap_or(u32::MAX),
        locked_until_ms: row.get::<_, Option<i64>>(5).map(uint),
        tokens_after_s: uint(row.get(6)),
    }
}

fn token_from_row(row: &Row) -> TokenRecord {
    TokenRecord {
        id: row.get(0),
        name: row.get(1),
        role: Role::parse(row.get(2)).unwrap_or(Role::Viewer),
        token_hash: row.get(3),
        created_by: row.get(4),
        created_at_ms: uint(row.get(5)),
        expires_at_ms: row.get::<_, Option<i64>>(6).map(uint),
        revoked: row.get(7),
    }
}

pub(super) async fn insert_user(tx: &Transaction<'_>, user: &UserRecord) -> Result<()> {
    let inserted = tx
        .execute(
            &format!(
                "INSERT INTO users ({USER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (name) DO NOTHING"
            ),
            &[
                &user.name,
                &user.role.as_str(),
                &user.password_hash,
                &int(user.created_at_ms),
                &i64::from(user.failed_logins),
                &user.locked_until_ms.map(int),
                &int(user.tokens_after_s),
            ],
        )
        .await
        .map_err(db_error)?;
    if inserted == 0 {
        return Err(Error::conflict(format!("user `{}` already exists", user.name), None));
    }
    Ok(())
}

pub(super) async fn user(c: &Client, name: &str) -> Result<Option<UserRecord>> {
    let row = c
        .query_opt(
            &prepared(c, &format!("SELECT {USER_COLUMNS} FROM users WHERE name = $1")).await?,
            &[&name],
        )
        .await
        .map_err(db_error)?;
    Ok(row.as_ref().map(user_from_row))
}

pub(super) async fn users(c: &Client) -> Result<Vec<UserRecord>> {
    let rows = c
        .query(&prepared(c, &format!("SELECT {USER_COLUMNS} FROM users ORDER BY name")).await?, &[])
        .await
        .map_err(db_error)?;
    Ok(rows.iter().map(user_from_row).collect())
}

pub(super) async fn update_user(tx: &Transaction<'_>, user: &UserRecord) -> Result<()> {
    tx.execute(
        "UPDATE users SET role = $2, password_hash = $3, failed_logins = $4, locked_until_ms = $5,
         tokens_after_s = $6 WHERE name = $1",
        &[
            &user.name,
            &user.role.as_str(),
            &user.password_hash,
            &i64::from(user.failed_logins),
            &user.locked_until_ms.map(int),
            &int(user.tokens_after_s),
        ],
    )
    .await
    .map_err(db_error)?;
    Ok(())
}

/// Deletes the user with their second factor and revokes every API token they created.
pub(super) async fn delete_user(tx: &Transaction<'_>, name: &str) -> Result<()> {
    for sql in [
        "DELETE FROM mfa_recovery_codes WHERE name = $1",
        "DELETE FROM user_mfa WHERE name = $1",
        "DELETE FROM users WHERE name = $1",
        "UPDATE api_tokens SET revoked = TRUE WHERE created_by = $1",
    ] {
        tx.execute(sql, &[&name]).await.map_err(db_error)?;
    }
    Ok(())
}

pub(super) async fn insert_token(tx: &Transaction<'_>, token: &TokenRecord) -> Result<()> {
    tx.execute(
        &format!("INSERT INTO api_tokens ({TOKEN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"),
        &[
            &token.id,
            &token.name,
            &token.role.as_str(),
            &token.token_hash,
            &token.created_by,
            &int(token.created_at_ms),
            &token.expires_at_ms.map(int),
            &token.revoked,
        ],
    )
    .await
    .map_err(db_error)?;
    Ok(())
}

pub(super) async fn token_by_hash(c: &Client, hash: &str) -> Result<Option<TokenRecord>> {
    let row = c
        .query_opt(
            &prepared(c, &format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = $1")).await?,
            &[&hash],
        )
        .await
        .map_err(db_error)?;
    Ok(row.as_ref().map(token_from_row))
}

pub(super) async fn tokens(c: &Client) -> Result<Vec<TokenRecord>> {
    let rows = c
        .query(
            &prepared(c, &format!("SELECT {TOKEN_COLUMNS} FROM api_tokens ORDER BY created_at_ms, id"))
                .await?,
            &[],
        )
        .await
        .map_err(db_error)?;
    Ok(rows.iter().map(token_from_row).collect())
}

/// False when there was none.
pub(super) async fn revoke_token(tx: &Transaction<'_>, id: &str) -> Result<bool> {
    let updated =
        tx.execute("UPDATE api_tokens SET revoked = TRUE WHERE id = $1", &[&id]).await.map_err(db_error)?;
    Ok(updated > 0)
}

const DAY_MS: u64 = 86_400_000;

pub(super) async fn login_failures(c: &Client, name: &str, address: &str) -> Result<Option<(u32, u64)>> {
    let row = c
        .query_opt(
            &prepared(
                c,
                "SELECT failures, last_failure_ms FROM login_failures WHERE name = $1 AND address = $2",
            )
            .await?,
            &[&name, &address],
        )
        .await
        .map_err(db_error)?;
    Ok(row.map(|row| (u32::try_from(row.get::<_, i64>(0)).unwrap_or(u32::MAX), uint(row.get(1)))))
}

/// One more failure, in one statement (atomic under concurrent logins); forgets failures older
/// than a day, so the table stays small.
pub(super) async fn record_login_failure(
    tx: &Transaction<'_>,
    name: &str,
    address: &str,
    at_ms: u64,
) -> Result<u32> {
    tx.execute(
        "DELETE FROM login_failures WHERE last_failure_ms < $1",
        &[&int(at_ms.saturating_sub(DAY_MS))],
    )
    .await
    .map_err(db_error)?;
    let row = tx
        .query_one(
            "INSERT INTO login_failures (name, address, failures, last_failure_ms) VALUES ($1, $2, 1, $3)
             ON CONFLICT (name, address) DO UPDATE SET failures = login_failures.failures + 1,
             last_failure_ms = excluded.last_failure_ms
             RETURNING failures",
            &[&name, &address, &int(at_ms)],
        )
        .await
        .map_err(db_error)?;
    Ok(u32::try_from(row.get::<_, i64>(0)).unwrap_or(u32::MAX))
}

pub(super) async fn clear_login_failures(
    tx: &Transaction<'_>,
    name: &str,
    address: Option<&str>,
) -> Result<()> {
    match address {
        Some(address) => {
            tx.execute("DELETE FROM login_failures WHERE name = $1 AND address = $2", &[&name, &address])
                .await
        }
        None => tx.execute("DELETE FROM login_failures WHERE name = $1", &[&name]).await,
    }
    .map_err(db_error)?;
    Ok(())
}

/// One more login attempt from `address`, in one statement (atomic under concurrent logins on
/// every console): a window over `window_ms` old starts again at one. Forgets windows older than
/// a day.
pub(super) async fn count_login_attempt(
    tx: &Transaction<'_>,
    address: &str,
    at_ms: u64,
    window_ms: u64,
) -> Result<u32> {
    tx.execute(
        "DELETE FROM login_attempts WHERE window_start_ms < $1",
        &[&int(at_ms.saturating_sub(DAY_MS))],
    )
    .await
    .map_err(db_error)?;
    let row = tx
        .query_one(
            "INSERT INTO login_attempts (address, window_start_ms, attempts) VALUES ($1, $2, 1)
             ON CONFLICT (address) DO UPDATE SET
                attempts = CASE WHEN login_attempts.window_start_ms + $3 <= excluded.window_start_ms
                    THEN 1 ELSE login_attempts.attempts + 1 END,
                window_start_ms = CASE WHEN login_attempts.window_start_ms + $3 <= excluded.window_start_ms
                    THEN excluded.window_start_ms ELSE login_attempts.window_start_ms END
             RETURNING attempts",
            &[&address, &int(at_ms), &int(window_ms)],
        )
        .await
        .map_err(db_error)?;
    Ok(u32::try_from(row.get::<_, i64>(0)).unwrap_or(u32::MAX))
}
