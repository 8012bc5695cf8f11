//! The outbox: what head office has not yet acknowledged.
//!
//! Every completed document adds one row in the same transaction. The
//! outbox is append-only with one gapless sequence per terminal
//! (`seq = max + 1` under the write lock), which is what the sync protocol
//! acknowledges ("the highest sequence I hold"). A row names its document;
//! the document's JSON is stored once, in `documents.payload` (see
//! `schema::V3`). A row is `queued` until head office holds all of it,
//! then `synced`: rows are synced in order, so that is one watermark
//! (`outbox_synced.through_seq`, see `schema::V2`), never a change to the
//! row.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

/// Append a row for the document `record_id`; returns its sequence number.
pub fn append(
    tx: &Connection,
    terminal_id: &str,
    record_id: &str,
    kind: &str,
    created_at: &str,
) -> rusqlite::Result<u64> {
    let seq: i64 = tx
        .prepare_cached(
            "INSERT INTO outbox (terminal_id, seq, record_id, kind, created_at)
             VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox WHERE terminal_id = ?1),
                     ?2, ?3, ?4)
             RETURNING seq",
        )?
        .query_row(params![terminal_id, record_id, kind, created_at], |r| {
            r.get(0)
        })?;
    Ok(seq as u64)
}

/// One outbox record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboxRecord {
    /// Terminal.
    pub terminal_id: String,
    /// Gapless sequence per terminal.
    pub seq: u64,
    /// Document id.
    pub record_id: String,
    /// Document type code.
    pub kind: String,
    /// Document JSON (null when the document is missing).
    pub payload: serde_json::Value,
    /// `queued` until head office acknowledges it.
    pub status: String,
}

/// Records from `after_seq` (exclusive), oldest first, at most `limit`.
pub fn pending(
    conn: &Connection,
    after_seq: u64,
    limit: usize,
) -> rusqlite::Result<Vec<OutboxRecord>> {
    let mut stmt = conn.prepare(
        "SELECT o.terminal_id, o.seq, o.record_id, o.kind, d.payload,
                CASE WHEN o.seq <= (SELECT through_seq FROM outbox_synced WHERE id = 1)
                     THEN 'synced' ELSE 'queued' END
         FROM outbox o LEFT JOIN documents d ON d.id = o.record_id
         WHERE o.seq > ?1 ORDER BY o.terminal_id, o.seq LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![after_seq as i64, limit as i64], |r| {
        let payload: String = r.get::<_, Option<String>>(4)?.unwrap_or_default();
        Ok(OutboxRecord {
            terminal_id: r.get(0)?,
            seq: r.get::<_, i64>(1)? as u64,
            record_id: r.get(2)?,
            kind: r.get(3)?,
            payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
            status: r.get(5)?,
        })
    })?;
    rows.collect()
}

/// How many records are queued (for the manager's view).
pub fn queued_count(conn: &Connection) -> rusqlite::Result<u64> {
    conn.query_row(
        "SELECT COUNT(*) FROM outbox WHERE seq > (SELECT through_seq FROM outbox_synced WHERE id = 1)",
        [],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n as u64)
}

/// When the oldest queued record was written, if any is queued.
pub fn oldest_queued_at(conn: &Connection) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT created_at FROM outbox
         WHERE seq > (SELECT through_seq FROM outbox_synced WHERE id = 1) ORDER BY seq LIMIT 1",
        [],
        |r| r.get(0),
    )
    .optional()
}

/// Head office holds every record up to `seq`: mark them synced (the
/// watermark only rises).
pub fn mark_synced_through(tx: &Connection, seq: u64) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE outbox_synced SET through_seq = MAX(through_seq, ?1) WHERE id = 1",
        [seq as i64],
    )?;
    Ok(())
}
