//! Customers with their revisions and secrets (deleted with the customer).

use tokio_postgres::{Row, Transaction};

use super::{Client, db_error, int, json_error, prepared, uint};
use crate::console::store::{CustomerRecord, RevisionRecord, SecretRecord};
use crate::error::{Error, Result};

const CUSTOMER_COLUMNS: &str = "id, name, endpoint, tags, created_at_ms, deployed_revision, trust";
const REVISION_COLUMNS: &str = "customer_id, number, document, hash, author, message, created_at_ms";
const SECRET_COLUMNS: &str = "name, nonce, ciphertext, updated_at_ms";

fn customer_from_row(row: &Row) -> CustomerRecord {
    CustomerRecord {
        id: row.get(0),
        name: row.get(1),
        endpoint: row.get(2),
        tags: serde_json::from_str(row.get::<_, &str>(3)).unwrap_or_default(),
        created_at_ms: uint(row.get(4)),
        deployed_revision: row.get::<_, Option<i64>>(5).map(uint),
        trust: row
            .get::<_, Option<&str>>(6)
            .and_then(|trust| serde_json::from_str(trust).ok())
            .unwrap_or_default(),
    }
}

/// The trust column: JSON, or NULL for the system's roots.
fn trust_column(trust: &crate::transport::HostTrust) -> Result<Option<String>> {
    if trust.is_default() {
        return Ok(None);
    }
    serde_json::to_string(trust).map(Some).map_err(json_error)
}

fn revision_from_row(row: &Row) -> RevisionRecord {
    RevisionRecord {
        customer_id: row.get(0),
        number: uint(row.get(1)),
        document: row.get(2),
        hash: row.get(3),
        author: row.get(4),
        message: row.get(5),
        created_at_ms: uint(row.get(6)),
    }
}

fn secret_from_row(row: &Row) -> SecretRecord {
    SecretRecord {
        name: row.get(0),
        nonce: row.get(1),
        ciphertext: row.get(2),
        updated_at_ms: uint(row.get(3)),
    }
}

pub(super) async fn insert(tx: &Transaction<'_>, customer: &CustomerRecord) -> Result<()> {
    let tags = serde_json::to_string(&customer.tags).map_err(json_error)?;
    let inserted = tx
        .execute(
            &format!(
                "INSERT INTO customers ({CUSTOMER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (id) DO NOTHING"
            ),
            &[
                &customer.id,
                &customer.name,
                &customer.endpoint,
                &tags,
                &int(customer.created_at_ms),
                &customer.deployed_revision.map(int),
                &trust_column(&customer.trust)?,
            ],
        )
        .await
        .map_err(db_error)?;
    if inserted == 0 {
        return Err(Error::conflict(
            format!("customer `{}` already exists", customer.id),
            Some("pick another id, or update the existing customer"),
        ));
    }
    Ok(())
}

pub(super) async fn get(c: &Client, id: &str) -> Result<Option<CustomerRecord>> {
    let row = c
        .query_opt(
            &prepared(c, &format!("SELECT {CUSTOMER_COLUMNS} FROM customers WHERE id = $1")).await?,
            &[&id],
        )
        .await
        .map_err(db_error)?;
    Ok(row.as_ref().map(customer_from_row))
}

pub(super) async fn all(c: &Client) -> Result<Vec<CustomerRecord>> {
    let rows = c
        .query(&prepared(c, &format!("SELECT {CUSTOMER_COLUMNS} FROM customers ORDER BY id")).await?, &[])
        .await
        .map_err(db_error)?;
    Ok(rows.iter().map(customer_from_row).collect())
}

pub(super) async fn update(tx: &Transaction<'_>, customer: &CustomerRecord) -> Result<()> {
    let tags = serde_json::to_string(&customer.tags).map_err(json_error)?;
    let updated = tx
        .execute(
            "UPDATE customers SET name = $2, endpoint = $3, tags = $4, deployed_revision = $5 WHERE id = $1",
            &[&customer.id, &customer.name, &customer.endpoint, &tags, &customer.deployed_revision.map(int)],
        )
        .await
        .map_err(db_error)?;
    if updated == 0 {
        return Err(Error::CustomerNotFound { id: customer.id.clone() });
    }
    Ok(())
}

pub(super) async fn delete(tx: &Transaction<'_>, id: &str) -> Result<()> {
    for sql in [
        "DELETE FROM alerts WHERE customer_id = $1",
        "DELETE FROM samples WHERE customer_id = $1",
        "DELETE FROM recovery_settings WHERE scope = $1",
        "DELETE FROM customers WHERE id = $1",
    ] {
        tx.execute(sql, &[&id]).await.map_err(db_error)?;
    }
    Ok(())
}

/// Stores the revision as the customer's next: the customer's row is locked first, so two
/// writers on one parent take turns and the second sees the first's revision (then `Stale`).
pub(super) async fn insert_revision(tx: &Transaction<'_>, revision: &RevisionRecord) -> Result<u64> {
    let customer = tx
        .query_opt("SELECT 1 FROM customers WHERE id = $1 FOR UPDATE", &[&revision.customer_id])
        .await
        .map_err(db_error)?;
    if customer.is_none() {
        return Err(Error::CustomerNotFound { id: revision.customer_id.clone() });
    }
    let next: i64 = tx
        .query_one(
            "SELECT COALESCE(MAX(number), 0) + 1 FROM revisions WHERE customer_id = $1",
            &[&revision.customer_id],
        )
        .await
        .map_err(db_error)?
        .get(0);
    let number = uint(next);
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
        &format!("INSERT INTO revisions ({REVISION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"),
        &[
            &revision.customer_id,
            &next,
            &revision.document,
            &revision.hash,
            &revision.author,
            &revision.message,
            &int(revision.created_at_ms),
        ],
    )
    .await
    .map_err(db_error)?;
    Ok(number)
}

pub(super) async fn revision(c: &Client, customer_id: &str, number: u64) -> Result<Option<RevisionRecord>> {
    // A number past BIGINT names no revision (not a failed query).
    let Ok(number) = i64::try_from(number) else { return Ok(None) };
    let row = c
        .query_opt(
            &prepared(
                c,
                &format!("SELECT {REVISION_COLUMNS} FROM revisions WHERE customer_id = $1 AND number = $2"),
            )
            .await?,
            &[&customer_id, &number],
        )
        .await
        .map_err(db_error)?;
    Ok(row.as_ref().map(revision_from_row))
}

/// Every customer's deployed revision as (customer, number, hash).
pub(super) async fn deployed_hashes(c: &Client) -> Result<Vec<(String, u64, String)>> {
    let rows = c
        .query(
            &prepared(
                c,
                "SELECT r.customer_id, r.number, r.hash FROM customers c
             JOIN revisions r ON r.customer_id = c.id AND r.number = c.deployed_revision",
            )
            .await?,
            &[],
        )
        .await
        .map_err(db_error)?;
    Ok(rows.iter().map(|row| (row.get(0), uint(row.get(1)), row.get(2))).collect())
}

pub(super) async fn latest_revision_numbers(c: &Client) -> Result<std::collections::HashMap<String, u64>> {
    let rows = c
        .query(
            &prepared(c, "SELECT customer_id, MAX(number) FROM revisions GROUP BY customer_id").await?,
            &[],
        )
        .await
        .map_err(db_error)?;
    Ok(rows.iter().map(|row| (row.get(0), uint(row.get(1)))).collect())
}

/// Newest first.
pub(super) async fn revisions(c: &Client, customer_id: &str) -> Result<Vec<RevisionRecord>> {
    let rows = c
        .query(
            &prepared(
                c,
                &format!(
                    "SELECT {REVISION_COLUMNS} FROM revisions WHERE customer_id = $1 ORDER BY number DESC"
                ),
            )
            .await?,
            &[&customer_id],
        )
        .await
        .map_err(db_error)?;
    Ok(rows.iter().map(revision_from_row).collect())
}

pub(super) async fn put_secret(tx: &Transaction<'_>, customer_id: &str, secret: &SecretRecord) -> Result<()> {
    tx.execute(
        "INSERT INTO secrets (customer_id, name, nonce, ciphertext, updated_at_ms) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (customer_id, name) DO UPDATE SET nonce = excluded.nonce, ciphertext = excluded.ciphertext,
         updated_at_ms = excluded.updated_at_ms",
        &[&customer_id, &secret.name, &secret.nonce, &secret.ciphertext, &int(secret.updated_at_ms)],
    )
    .await
    .map_err(db_error)?;
    Ok(())
}

pub(super) async fn secret(c: &Client, customer_id: &str, name: &str) -> Result<Option<SecretRecord>> {
    let row = c
        .query_opt(
            &prepared(
                c,
                &format!("SELECT {SECRET_COLUMNS} FROM secrets WHERE customer_id = $1 AND name = $2"),
            )
            .await?,
            &[&customer_id, &name],
        )
        .await
        .map_err(db_error)?;
    Ok(row.as_ref().map(secret_from_row))
}

pub(super) async fn secrets(c: &Client, customer_id: &str) -> Result<Vec<SecretRecord>> {
    let rows = c
        .query(
            &prepared(
                c,
                &format!("SELECT {SECRET_COLUMNS} FROM secrets WHERE customer_id = $1 ORDER BY name"),
            )
            .await?,
            &[&customer_id],
        )
        .await
        .map_err(db_error)?;
    Ok(rows.iter().map(secret_from_row).collect())
}

/// False when there was none.
pub(super) async fn delete_secret(tx: &Transaction<'_>, customer_id: &str, name: &str) -> Result<bool> {
    let deleted = tx
        .execute("DELETE FROM secrets WHERE customer_id = $1 AND name = $2", &[&customer_id, &name])
        .await
        .map_err(db_error)?;
    Ok(deleted > 0)
}
