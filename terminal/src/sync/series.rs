//! The wire series: what this till sends to head office, derived from the
//! outbox.
//!
//! The outbox holds one row per completed document (written in the
//! document's transaction). Head office wants every document, every stock
//! movement and every journal entry as its own record (its stock projection
//! sums `stock_movement` records; its journal check chains `journal_entry`
//! records). So each outbox row becomes, in this order:
//!
//! 1. a `document` record (id = document id, `document_type` = `"sale"`, …,
//!    payload = the stored document);
//! 2. one `stock_movement` record per movement (id = movement id);
//! 3. a `journal_entry` record when the document is fiscal (payload = the
//!    whole hash-chained [`JournalEntry`], id derived from the document id).
//!
//! [`extend_series`] appends these rows to `sync_records` with the next
//! gapless sequences, all rows of one outbox row in ONE transaction, before
//! anything is sent. It runs in the transaction that completes the document
//! (`crate::documents::complete_document`), so a committed document is
//! already a run of wire records and a sync round only reads and sends;
//! the round still calls it first, for outbox rows written before this rule
//! (decision 40: cutting 200,000 records at catch-up time took a third of
//! the round; at sale time it is ~0.3 ms a sale). The ids come from the terminal and are stored, so
//! every retry sends the same record under the same sequence — the
//! protocol's exactly-once rests on that. Nothing is ever deleted or
//! changed: confirmed records are those up to `sync_state.confirmed_through`.
//!
//! Payloads are stored and sent as compact JSON text, never rebuilt: the
//! document's is the outbox payload itself, a movement's is its text inside
//! the document, and [`load_batch`] passes the stored text through serde
//! as [`RawValue`], producing exactly the JSON of the protocol's
//! `UploadBatch` (tested) at a fraction of the cost of parsing every
//! payload into a value and serialising it again (catch-up bench in
//! BENCHMARKS.md).
//!
//! Decision: the brief pictured "outbox seq = wire seq". That would put a
//! sale's movements only inside the document payload, where head office's
//! stock projection does not look, and the terminal's tests rely on one
//! outbox row per document; a derived series keeps both and costs one
//! table.

use std::borrow::Cow;

use chrono::{DateTime, NaiveDateTime, Utc};
use kasa_domain::document::DocumentType;
use kasa_domain::journal::JournalEntry;
use kasa_sync_protocol::{OutboxEntry, ProtocolVersion, Record, RecordKind, UploadBatch};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Deserialize;
use serde_json::value::RawValue;
use uuid::Uuid;

use super::SyncError;

/// Outbox rows turned into wire records per transaction (bounds the time
/// the write lock is held while a till catches up).
pub const EXTEND_CHUNK_ROWS: usize = 500;

/// The id of a document's journal-entry record: a UUIDv8 from SHA-256 of a
/// fixed label and the document id — stable across retries and rebuilds of
/// the series, distinct from the document's own id.
pub fn journal_record_id(document_id: Uuid) -> Uuid {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(b"kasa journal record v1")
        .chain_update(document_id.as_bytes())
        .finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

/// Append wire records for outbox rows not yet in the series, up to
/// [`EXTEND_CHUNK_ROWS`] rows; returns how many outbox rows were added.
pub fn extend_series(tx: &Connection, terminal_id: &str) -> Result<usize, SyncError> {
    // records uploaded under an earlier enrolment are archived, not re-cut
    let last_outbox: i64 = tx.query_row(
        "SELECT MAX(COALESCE((SELECT MAX(outbox_seq) FROM sync_records), 0),
                    COALESCE((SELECT MAX(outbox_seq) FROM sync_records_archive), 0))",
        [],
        |r| r.get(0),
    )?;
    // the id head office knows this till by (see identity::reenrol) makes the envelope
    let wire_terminal_id: Option<String> = tx
        .query_row(
            "SELECT terminal_id FROM sync_enrolment WHERE id = 1",
            [],
            |r| r.get(0),
        )
        .optional()?;
    let wire_terminal_id = wire_terminal_id.as_deref().unwrap_or(terminal_id);
    let mut next_seq: u64 =
        tx.query_row("SELECT COALESCE(MAX(seq), 0) FROM sync_records", [], |r| {
            r.get::<_, i64>(0)
        })? as u64
            + 1;
    let rows: Vec<(i64, String, String, String, String)> = {
        let mut stmt = tx.prepare(
            "SELECT seq, record_id, kind, payload, created_at FROM outbox
             WHERE terminal_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
        )?;
        let mapped = stmt.query_map(
            params![terminal_id, last_outbox, EXTEND_CHUNK_ROWS as i64],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )?;
        mapped.collect::<rusqlite::Result<_>>()?
    };
    if rows.is_empty() {
        return Ok(0);
    }
    let mut chain = super::identity::chain_before(tx, next_seq)?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO sync_records (seq, outbox_seq, record_id, kind, document_type, created_at,
            payload, encoded_len, chain) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    // a record's compact length is its envelope's with a one-byte payload,
    // less that byte, plus the payload text: no copy of the payload to count it
    let placeholder: &RawValue =
        serde_json::from_str("0").map_err(|e| SyncError::Protocol(e.to_string()))?;
    for (outbox_seq, record_id, kind, payload, created_at) in &rows {
        let row = OutboxRow {
            outbox_seq: *outbox_seq,
            record_id,
            kind,
            payload,
            created_at,
        };
        for record in records_of_outbox_row(tx, &row)? {
            let envelope = Record {
                terminal_id: wire_terminal_id.to_owned(),
                seq: next_seq,
                id: record.id,
                kind: record.kind,
                document_type: Some(record.document_type.clone()),
                created_at: record.created_at,
                payload: placeholder,
            };
            let encoded_len = envelope.encoded_len() - 1 + record.payload.len() as u64;
            chain = super::identity::chain_next(
                &chain,
                &record.id,
                record.kind,
                Some(&record.document_type),
                &record.payload,
            );
            insert.execute(params![
                next_seq as i64,
                outbox_seq,
                record.id.to_string(),
                kind_code(record.kind),
                record.document_type,
                record
                    .created_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                record.payload.as_ref(),
                encoded_len as i64,
                chain.0.as_slice(),
            ])?;
            next_seq += 1;
        }
    }
    Ok(rows.len())
}

/// One outbox row as read.
struct OutboxRow<'a> {
    outbox_seq: i64,
    record_id: &'a str,
    kind: &'a str,
    payload: &'a str,
    created_at: &'a str,
}

/// A wire record cut from an outbox row; the payload is the compact JSON
/// text sent, validated but never rebuilt.
struct CutRecord<'a> {
    id: Uuid,
    kind: RecordKind,
    document_type: String,
    created_at: DateTime<Utc>,
    payload: Cow<'a, str>,
}

/// What the cut needs of a stored document (the rest travels verbatim).
#[derive(Deserialize)]
struct DocumentParts<'a> {
    #[serde(borrow)]
    movements: Vec<&'a RawValue>,
    journal_seq: Option<u64>,
}

/// A movement's id.
#[derive(Deserialize)]
struct MovementId {
    id: Uuid,
}

/// The wire records of one outbox row, in order. The document's payload is
/// the outbox payload text itself and each movement's payload its text in
/// the document's `movements` (compact JSON, written by
/// [`crate::documents::outbox::append`]): parsed once to find the
/// movements and check the ids, never re-serialised.
fn records_of_outbox_row<'a>(
    conn: &Connection,
    row: &OutboxRow<'a>,
) -> Result<Vec<CutRecord<'a>>, SyncError> {
    let damaged = |detail: String| SyncError::OutboxUnreadable {
        outbox_seq: row.outbox_seq as u64,
        detail,
    };
    let document_type = DocumentType::parse(row.kind)
        .map_err(|e| damaged(format!("document type {:?}: {e}", row.kind)))?
        .name()
        .to_owned();
    let id: Uuid = row
        .record_id
        .parse()
        .map_err(|e| damaged(format!("record id {:?}: {e}", row.record_id)))?;
    let document: DocumentParts<'a> = serde_json::from_str(row.payload)
        .map_err(|e| damaged(format!("payload is not a stored document: {e}")))?;
    let created_at =
        parse_utc(row.created_at).ok_or_else(|| damaged(format!("time {:?}", row.created_at)))?;
    let record = |id: Uuid, kind, payload| CutRecord {
        id,
        kind,
        document_type: document_type.clone(),
        created_at,
        payload,
    };
    let mut out = Vec::with_capacity(document.movements.len() + 2);
    out.push(record(id, RecordKind::Document, Cow::Borrowed(row.payload)));
    for movement in document.movements {
        let MovementId { id } = serde_json::from_str(movement.get())
            .map_err(|e| damaged(format!("movement without an id: {e}")))?;
        out.push(record(
            id,
            RecordKind::StockMovement,
            Cow::Borrowed(movement.get()),
        ));
    }
    if let Some(journal_seq) = document.journal_seq {
        let entry = journal_entry(conn, journal_seq)?
            .ok_or_else(|| damaged(format!("journal entry {journal_seq} is missing")))?;
        // as a value first: keys sorted, like every other stored payload
        let text = serde_json::to_value(&entry)
            .map_err(|e| damaged(e.to_string()))?
            .to_string();
        out.push(record(
            journal_record_id(id),
            RecordKind::JournalEntry,
            Cow::Owned(text),
        ));
    }
    Ok(out)
}

/// Outbox times are `YYYY-MM-DDTHH:MM:SS[.f]` in UTC (optionally with `Z`).
fn parse_utc(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(text.trim_end_matches('Z'), "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc())
}

/// One stored journal entry, read column by column like the journal module does.
fn journal_entry(conn: &Connection, seq: u64) -> Result<Option<JournalEntry>, SyncError> {
    let row = conn
        .query_row(
            "SELECT seq, at, kind, document_id, document_number, amount, totals, payload,
                    prev_hash, hash FROM journal WHERE seq = ?1",
            [seq as i64],
            |r| {
                Ok(serde_json::json!({
                    "seq": r.get::<_, i64>(0)?,
                    "at": r.get::<_, String>(1)?,
                    "kind": r.get::<_, String>(2)?,
                    "document_id": r.get::<_, String>(3)?,
                    "document_number": r.get::<_, String>(4)?,
                    "amount": r.get::<_, String>(5)?,
                    "totals": r.get::<_, String>(6)?,
                    "payload": r.get::<_, String>(7)?,
                    "prev_hash": r.get::<_, String>(8)?,
                    "hash": r.get::<_, String>(9)?,
                }))
            },
        )
        .optional()?;
    let Some(mut row) = row else {
        return Ok(None);
    };
    // totals and payload are stored as JSON text
    for key in ["totals", "payload"] {
        let text = row[key].as_str().unwrap_or("null").to_owned();
        row[key] = serde_json::from_str(&text).map_err(|e| SyncError::OutboxUnreadable {
            outbox_seq: 0,
            detail: format!("journal entry {seq} {key}: {e}"),
        })?;
    }
    let at = row["at"].as_str().unwrap_or_default().to_owned();
    if let Ok(parsed) = NaiveDateTime::parse_from_str(&at, "%Y-%m-%dT%H:%M:%S%.f") {
        row["at"] = serde_json::to_value(parsed).unwrap_or(row["at"].clone());
    }
    serde_json::from_value(row)
        .map(Some)
        .map_err(|e| SyncError::OutboxUnreadable {
            outbox_seq: 0,
            detail: format!("journal entry {seq}: {e}"),
        })
}

fn kind_code(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Document => "document",
        RecordKind::StockMovement => "stock_movement",
        RecordKind::JournalEntry => "journal_entry",
        RecordKind::Audit => "audit",
    }
}

pub(crate) fn kind_from_code(code: &str) -> Option<RecordKind> {
    RecordKind::ALL.into_iter().find(|k| kind_code(*k) == code)
}

/// The series' last sequence (0 if empty).
pub fn last_seq(conn: &Connection) -> Result<u64, SyncError> {
    Ok(
        conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM sync_records", [], |r| {
            r.get::<_, i64>(0)
        })? as u64,
    )
}

/// The unconfirmed rows as the planner needs them, ascending.
pub fn unconfirmed_entries(conn: &Connection) -> Result<Vec<OutboxEntry>, SyncError> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, encoded_len FROM sync_records
         WHERE seq > (SELECT confirmed_through FROM sync_state WHERE id = 1) ORDER BY seq",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(OutboxEntry {
            seq: r.get::<_, i64>(0)? as u64,
            encoded_len: r.get::<_, i64>(1)? as u64,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Records `first..=last`, in order, payloads parsed (what
/// [`load_batch`] sends, read as values).
pub fn load_records(
    conn: &Connection,
    terminal_id: &str,
    first: u64,
    last: u64,
) -> Result<Vec<Record>, SyncError> {
    let batch = load_batch(conn, ProtocolVersion::CURRENT, terminal_id, "", first, last)?;
    batch
        .records
        .into_iter()
        .map(|r| {
            let payload =
                serde_json::from_str(r.payload.get()).map_err(|e| SyncError::OutboxUnreadable {
                    outbox_seq: r.seq,
                    detail: e.to_string(),
                })?;
            Ok(Record {
                terminal_id: r.terminal_id,
                seq: r.seq,
                id: r.id,
                kind: r.kind,
                document_type: r.document_type,
                created_at: r.created_at,
                payload,
            })
        })
        .collect()
}

/// An upload batch read from the stored records: each payload is the
/// stored compact JSON text, passed through untouched (never parsed into a
/// value and serialised again), so the batch serialises exactly as the
/// protocol's `UploadBatch` of the same records with parsed payloads
/// (tested) and [`Record::encoded_len`] of a record is what it adds to the
/// body.
pub type WireBatch = UploadBatch<Box<RawValue>>;

/// The upload batch of records `first..=last`, read as stored.
pub fn load_batch(
    conn: &Connection,
    protocol: ProtocolVersion,
    terminal_id: &str,
    store_id: &str,
    first: u64,
    last: u64,
) -> Result<WireBatch, SyncError> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, record_id, kind, document_type, created_at, payload FROM sync_records
         WHERE seq BETWEEN ?1 AND ?2 ORDER BY seq",
    )?;
    let mut rows = stmt.query(params![first as i64, last as i64])?;
    let mut records =
        Vec::with_capacity(usize::try_from(last.saturating_sub(first) + 1).unwrap_or(0));
    while let Some(row) = rows.next()? {
        let seq = row.get::<_, i64>(0)? as u64;
        let damaged = |detail: String| SyncError::OutboxUnreadable {
            outbox_seq: seq,
            detail,
        };
        let id: String = row.get(1)?;
        let kind: String = row.get(2)?;
        let created_at: String = row.get(4)?;
        let payload: String = row.get(5)?;
        records.push(Record {
            terminal_id: terminal_id.to_owned(),
            seq,
            id: id.parse().map_err(|e| damaged(format!("id {id:?}: {e}")))?,
            kind: kind_from_code(&kind).ok_or_else(|| damaged(format!("kind {kind:?}")))?,
            document_type: row.get(3)?,
            created_at: parse_utc(&created_at).ok_or_else(|| damaged("time".to_owned()))?,
            payload: RawValue::from_string(payload).map_err(|e| damaged(e.to_string()))?,
        });
    }
    Ok(UploadBatch {
        protocol,
        terminal_id: terminal_id.to_owned(),
        store_id: store_id.to_owned(),
        first_seq: first,
        records,
    })
}

/// Mark every record `<= through` confirmed (the watermark only rises), and
/// every outbox row whose records are all confirmed `synced`. Returns how
/// many records became confirmed.
pub fn confirm_through(tx: &Transaction<'_>, through: u64) -> Result<usize, SyncError> {
    let before = confirmed_through(tx)?;
    let last = last_seq(tx)?;
    let after = before.max(through.min(last));
    tx.execute(
        "UPDATE sync_state SET confirmed_through = ?1, server_acked_seq = ?2 WHERE id = 1",
        params![after as i64, through as i64],
    )?;
    // An outbox row is synced once all its records are: every row before
    // the one holding the first unconfirmed record.
    let synced_outbox: i64 = tx.query_row(
        "SELECT COALESCE(
            (SELECT outbox_seq FROM sync_records WHERE seq > ?1 ORDER BY seq LIMIT 1) - 1,
            (SELECT MAX(outbox_seq) FROM sync_records),
            0)",
        [after as i64],
        |r| r.get(0),
    )?;
    crate::documents::outbox::mark_synced_through(tx, synced_outbox.max(0) as u64)?;
    Ok((after - before) as usize)
}

/// The highest confirmed sequence (0 if none).
pub fn confirmed_through(conn: &Connection) -> Result<u64, SyncError> {
    Ok(conn.query_row(
        "SELECT confirmed_through FROM sync_state WHERE id = 1",
        [],
        |r| r.get::<_, i64>(0),
    )? as u64)
}

#[cfg(test)]
#[path = "series_tests.rs"]
mod tests;
