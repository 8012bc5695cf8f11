//! Gapless document numbers per (store, terminal, document type).
//!
//! The number is taken inside the transaction that writes the document:
//! `UPDATE number_series SET next = next + 1 … RETURNING next - 1`. The
//! write transaction is `BEGIN IMMEDIATE`, so two writers (threads or
//! processes) serialise on the database lock; if the transaction rolls back
//! (crash, error) the increment rolls back with it. A number is therefore
//! never reused and never skipped.

use rusqlite::{Connection, params};

/// Take the next number of the series. Must run inside a write transaction
/// that also stores the document.
pub fn allocate_number(
    tx: &Connection,
    store_id: &str,
    terminal_id: &str,
    doc_type_code: &str,
) -> rusqlite::Result<u64> {
    tx.prepare_cached(
        "INSERT INTO number_series (store_id, terminal_id, doc_type, next)
         VALUES (?1, ?2, ?3, 1) ON CONFLICT DO NOTHING",
    )?
    .execute(params![store_id, terminal_id, doc_type_code])?;
    let number: i64 = tx
        .prepare_cached(
            "UPDATE number_series SET next = next + 1
             WHERE store_id = ?1 AND terminal_id = ?2 AND doc_type = ?3
             RETURNING next - 1",
        )?
        .query_row(params![store_id, terminal_id, doc_type_code], |r| r.get(0))?;
    Ok(number as u64)
}

/// The number the next document of the series will get (for reports).
pub fn peek_next(
    conn: &Connection,
    store_id: &str,
    terminal_id: &str,
    doc_type_code: &str,
) -> rusqlite::Result<u64> {
    let next: Option<i64> = rusqlite::OptionalExtension::optional(
        conn.prepare_cached(
            "SELECT next FROM number_series WHERE store_id = ?1 AND terminal_id = ?2 AND doc_type = ?3",
        )?
        .query_row(params![store_id, terminal_id, doc_type_code], |r| r.get(0)),
    )?;
    Ok(next.unwrap_or(1) as u64)
}
