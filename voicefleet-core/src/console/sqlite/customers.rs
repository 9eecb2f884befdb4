//! Customers with their revisions and secrets (deleted with the customer).

use rusqlite::{Connection, Row, Transaction, params};

use super::{db_error, json_error, query_all, query_one};
use crate::console::store::{CustomerRecord, RevisionRecord, SecretRecord};
use crate::error::{Error, Result};

const CUSTOMER_COLUMNS: &str = "id, name, endpoint, tags, created_at_ms, deployed_revision, trust";
const REVISION_COLUMNS: &str = "customer_id, number, document, hash, author, message, created_at_ms";
const SECRET_COLUMNS: &str = "name, nonce, ciphertext, updated_at_ms";

fn customer_from_row(row: &Row<'_>) -> rusqlite::Result<CustomerRecord> {
    let tags: String = row.get(3)?;
    Ok(CustomerRecord {
        id: row.get(0)?,
        name: row.get(1)?,
        endpoint: row.get(2)?,
        tags: serde_json::from_str(&tags).unwrap_or_default(),
        created_at_ms: row.get(4)?,
        deployed_revision: row.get(5)?,
        trust: row
            .get::<_, Option<String>>(6)?
            .and_then(|trust| serde_json::from_str(&trust).ok())
            .unwrap_or_default(),
    })
}

/// The trust column: JSON, or NULL for the system's roots.
fn trust_column(trust: &crate::transport::HostTrust) -> Result<Option<String>> {
    if trust.is_default() {
        return Ok(None);
    }
    serde_json::to_string(trust).map(Some).map_err(json_error)
}

fn revision_from_row(row: &Row<'_>) -> rusqlite::Result<RevisionRecord> {
    Ok(RevisionRecord {
        customer_id: row.get(0)?,
        number: row.get(1)?,
        document: row.get(2)?,
        hash: row.get(3)?,
        author: row.get(4)?,
        message: row.get(5)?,
        created_at_ms: row.get(6)?,
    })
}

fn secret_from_row(row: &Row<'_>) -> rusqlite::Result<SecretRecord> {
    Ok(SecretRecord {
        name: row.get(0)?,
        nonce: row.get(1)?,
        ciphertext: row.get(2)?,
        updated_at_ms: row.get(3)?,
    })
}

pub(super) fn insert(tx: &Transaction<'_>, customer: &CustomerRecord) -> Result<()> {
    let tags = serde_json::to_string(&customer.tags).map_err(json_error)?;
    let inserted = tx
        .execute(
            &format!("INSERT INTO customers ({CUSTOMER_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (id) DO NOTHING"),
            params![
                customer.id,
                customer.name,
                customer.endpoint,
                tags,
                customer.created_at_ms,
                customer.deployed_revision,
                trust_column(&customer.trust)?
            ],
        )
        .map_err(db_error)?;
    if inserted == 0 {
        return Err(Error::conflict(
            format!("customer `{}` already exists", customer.id),
            Some("pick another id, or update the existing customer"),
        ));
    }
    Ok(())
}

pub(super) fn get(c: &Connection, id: &str) -> Result<Option<CustomerRecord>> {
    query_one(c, &format!("SELECT {CUSTOMER_COLUMNS} FROM customers WHERE id = ?1"), [id], customer_from_row)
}

pub(super) fn all(c: &Connection) -> Result<Vec<CustomerRecord>> {
    query_all(c, &format!("SELECT {CUSTOMER_COLUMNS} FROM customers ORDER BY id"), [], customer_from_row)
}

pub(super) fn update(tx: &Transaction<'_>, customer: &CustomerRecord) -> Result<()> {
    let tags = serde_json::to_string(&customer.tags).map_err(json_error)?;
    let updated = tx
        .execute(
            "UPDATE customers SET name = ?2, endpoint = ?3, tags = ?4, deployed_revision = ?5, trust = ?6
             WHERE id = ?1",
            params![
                customer.id,
                customer.name,
                customer.endpoint,
                tags,
                customer.deployed_revision,
                trust_column(&customer.trust)?
            ],
        )
        .map_err(db_error)?;
    if updated == 0 {
        return Err(Error::CustomerNotFound { id: customer.id.clone() });
    }
    Ok(())
}

pub(super) fn delete(tx: &Transaction<'_>, id: &str) -> Result<()> {
    tx.execute("DELETE FROM alerts WHERE customer_id = ?1", [id]).map_err(db_error)?;
    tx.execute("DELETE FROM samples WHERE customer_id = ?1", [id]).map_err(db_error)?;
    tx.execute("DELETE FROM recovery_settings WHERE scope = ?1", [id]).map_err(db_error)?;
    tx.execute("DELETE FROM customers WHERE id = ?1", [id]).map_err(db_error)?;
    Ok(())
}

pub(super) fn insert_revision(tx: &Transaction<'_>, revision: &RevisionRecord) -> Result<u64> {
    let number: u64 = tx
        .query_row(
            "SELECT COALESCE(MAX(number), 0) + 1 FROM revisions WHERE customer_id = ?1",
            [&revision.customer_id],
            |row| row.get(0),
        )
        .map_err(db_error)?;
    if revision.number != 0 && revision.number != number {
        return Err(Error::Stale {
            message: format!(
                "`{}`'s latest revision is {}, not {}",
                revision.customer_id,
                number - 1,
                revision.number - 1
            ),
        });
    }
    tx.execute(
        &format!("INSERT INTO revisions ({REVISION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
        params![
            revision.customer_id,
            number,
            revision.document,
            revision.hash,
            revision.author,
            revision.message,
            revision.created_at_ms
        ],
    )
    .map_err(db_error)?;
    Ok(number)
}

pub(super) fn revision(c: &Connection, customer_id: &str, number: u64) -> Result<Option<RevisionRecord>> {
    // SQLite integers are i64: a number past that range names no revision (not a failed query).
    if i64::try_from(number).is_err() {
        return Ok(None);
    }
    query_one(
        c,
        &format!("SELECT {REVISION_COLUMNS} FROM revisions WHERE customer_id = ?1 AND number = ?2"),
        params![customer_id, number],
        revision_from_row,
    )
}

/// Every customer's deployed revision as (customer, number, hash).
pub(super) fn deployed_hashes(c: &mut Connection) -> Result<Vec<(String, u64, String)>> {
    query_all(
        c,
        "SELECT r.customer_id, r.number, r.hash FROM customers c
         JOIN revisions r ON r.customer_id = c.id AND r.number = c.deployed_revision",
        [],
        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
    )
}

/// Newest first.
pub(super) fn latest_revision_numbers(c: &Connection) -> Result<std::collections::HashMap<String, u64>> {
    let rows =
        query_all(c, "SELECT customer_id, MAX(number) FROM revisions GROUP BY customer_id", [], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, u64>(1)?))
        })?;
    Ok(rows.into_iter().collect())
}

pub(super) fn revisions(c: &Connection, customer_id: &str) -> Result<Vec<RevisionRecord>> {
    query_all(
        c,
        &format!("SELECT {REVISION_COLUMNS} FROM revisions WHERE customer_id = ?1 ORDER BY number DESC"),
        [customer_id],
        revision_from_row,
    )
}

pub(super) fn put_secret(tx: &Transaction<'_>, customer_id: &str, secret: &SecretRecord) -> Result<()> {
    tx.execute(
        "INSERT INTO secrets (customer_id, name, nonce, ciphertext, updated_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (customer_id, name) DO UPDATE SET nonce = excluded.nonce, ciphertext = excluded.ciphertext,
         updated_at_ms = excluded.updated_at_ms",
        params![customer_id, secret.name, secret.nonce, secret.ciphertext, secret.updated_at_ms],
    )
    .map_err(db_error)?;
    Ok(())
}

pub(super) fn secret(c: &Connection, customer_id: &str, name: &str) -> Result<Option<SecretRecord>> {
    query_one(
        c,
        &format!("SELECT {SECRET_COLUMNS} FROM secrets WHERE customer_id = ?1 AND name = ?2"),
        params![customer_id, name],
        secret_from_row,
    )
}

pub(super) fn secrets(c: &Connection, customer_id: &str) -> Result<Vec<SecretRecord>> {
    query_all(
        c,
        &format!("SELECT {SECRET_COLUMNS} FROM secrets WHERE customer_id = ?1 ORDER BY name"),
        [customer_id],
        secret_from_row,
    )
}

/// False when there was none.
pub(super) fn delete_secret(tx: &Transaction<'_>, customer_id: &str, name: &str) -> Result<bool> {
    let deleted = tx
        .execute("DELETE FROM secrets WHERE customer_id = ?1 AND name = ?2", params![customer_id, name])
        .map_err(db_error)?;
    Ok(deleted > 0)
}
