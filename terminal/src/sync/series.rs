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
//!    whole hash-chained [`JournalEntry`], id from [`journal_record_id`]).
//!
//! [`cut_document`] appends these rows to `sync_records` with the next
//! gapless sequences in the transaction that completes the document
//! (`crate::documents::complete_document`), from what that transaction has
//! in hand, so a committed document is already a run of wire records and a
//! sync round only reads and sends. [`extend_series`] cuts outbox rows
//! written before this rule, reading them back (a round calls it first;
//! decision 40). The ids come from the terminal and are stored, so every
//! retry sends the same record under the same sequence — the protocol's
//! exactly-once rests on that. Nothing is ever deleted or changed:
//! confirmed records are those up to `sync_state.confirmed_through`.
//!
//! Payloads are sent as compact JSON text, never rebuilt, and a document's
//! text is stored once, in `documents.payload`: its `document` record and
//! its movement records hold the byte range of their payload in it
//! (`payload_from`, `payload_to`, with `payload` empty), and only a journal
//! entry's text (a different form of the journal row) is stored in the
//! series. Rows cut before ranges existed keep their own text. [`load_batch`]
//! passes the text through serde as [`RawValue`], producing exactly the JSON
//! of the protocol's `UploadBatch` (tested) at a fraction of the cost of
//! parsing every payload into a value and serialising it again (catch-up
//! bench in BENCHMARKS.md).
//!
//! Why a series of its own rather than the outbox's sequence on the wire:
//! that would put a sale's movements only inside the document payload,
//! where head office's stock projection does not look, while the outbox
//! keeps one row per document; a derived series keeps both and costs one
//! table.

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

/// The id of a document's journal-entry record: a UUIDv7 whose time is the
/// entry's (`at`, the record's `created_at`) and whose other bits come from
/// SHA-256 of a fixed label and the document id. Stable across retries and
/// rebuilds of the series, distinct from the document's own id, and in time
/// order, so head office's id index takes it near its document's instead of
/// at a random place.
pub fn journal_record_id(document_id: Uuid, at: DateTime<Utc>) -> Uuid {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(b"kasa journal record v2")
        .chain_update(document_id.as_bytes())
        .finalize();
    let mut bits = [0u8; 10];
    bits.copy_from_slice(&digest[..10]);
    let millis = u64::try_from(at.timestamp_millis()).unwrap_or(0);
    uuid::Builder::from_unix_timestamp_millis(millis, &bits).into_uuid()
}

/// A completed document as the series cuts it: its outbox row and the text
/// stored in `documents.payload`.
#[derive(Debug, Clone, Copy)]
pub struct OutboxDocument<'a> {
    /// The outbox row's sequence.
    pub outbox_seq: u64,
    /// The document id (the outbox row's `record_id`).
    pub id: &'a str,
    /// The document type code (the outbox row's `kind`).
    pub kind: &'a str,
    /// The outbox row's `created_at` (when the document completed).
    pub created_at: &'a str,
    /// The stored document, compact JSON.
    pub payload: &'a str,
}

/// Cut the wire records of `document`, completed in this transaction, from
/// what the caller holds: its stored text and its journal entry (`None` for
/// a document that is not journaled). If older outbox rows are not cut yet,
/// they go first, read back by [`extend_series`], with this one.
pub fn cut_document(
    tx: &Connection,
    terminal_id: &str,
    document: &OutboxDocument<'_>,
    journal: Option<&JournalEntry>,
) -> Result<(), SyncError> {
    let (last_outbox, last_seq) = series_head(tx)?;
    if last_outbox + 1 != document.outbox_seq {
        extend_series(tx, terminal_id)?;
        return Ok(());
    }
    let cut = records_of_document(document, |seq| match journal {
        Some(entry) if entry.seq == seq => journal_payload(entry),
        _ => Err(format!("journal entry {seq} is not the one just written")),
    })?;
    insert_records(tx, terminal_id, last_seq + 1, &cut, document.payload)?;
    Ok(())
}

/// Append wire records for outbox rows not yet in the series, up to
/// [`EXTEND_CHUNK_ROWS`] rows; returns how many outbox rows were added.
pub fn extend_series(tx: &Connection, terminal_id: &str) -> Result<usize, SyncError> {
    let (last_outbox, last_seq) = series_head(tx)?;
    let mut next_seq = last_seq + 1;
    type Row = (i64, String, String, Option<String>, String);
    let rows: Vec<Row> = {
        let mut stmt = tx.prepare_cached(
            "SELECT o.seq, o.record_id, o.kind, d.payload, o.created_at FROM outbox o
             LEFT JOIN documents d ON d.id = o.record_id
             WHERE o.terminal_id = ?1 AND o.seq > ?2 ORDER BY o.seq LIMIT ?3",
        )?;
        let mapped = stmt.query_map(
            params![terminal_id, last_outbox as i64, EXTEND_CHUNK_ROWS as i64],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )?;
        mapped.collect::<rusqlite::Result<_>>()?
    };
    for (outbox_seq, id, kind, payload, created_at) in &rows {
        let outbox_seq = *outbox_seq as u64;
        let payload = payload.as_deref().ok_or(SyncError::OutboxUnreadable {
            outbox_seq,
            detail: format!("its document {id} is missing"),
        })?;
        let document = OutboxDocument {
            outbox_seq,
            id,
            kind,
            created_at,
            payload,
        };
        let cut = records_of_document(&document, |seq| {
            let entry = journal_entry(tx, seq)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("journal entry {seq} is missing"))?;
            journal_payload(&entry)
        })?;
        next_seq += insert_records(tx, terminal_id, next_seq, &cut, payload)?;
    }
    Ok(rows.len())
}

/// The outbox row of the last record cut and the last sequence (0, 0 when
/// the series is empty). Records uploaded under an earlier enrolment are
/// archived (`super::reenrol`), not cut again.
pub(crate) fn series_head(tx: &Connection) -> Result<(u64, u64), SyncError> {
    let head = tx
        .prepare_cached("SELECT outbox_seq, seq FROM sync_records ORDER BY seq DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))
        .optional()?;
    let (outbox_seq, seq) = match head {
        Some(head) => head,
        None => (
            tx.prepare_cached("SELECT COALESCE(MAX(outbox_seq), 0) FROM sync_records_archive")?
                .query_row([], |r| r.get(0))?,
            0,
        ),
    };
    Ok((outbox_seq as u64, seq as u64))
}

/// The text of a journal-entry record: the entry as a JSON value (keys
/// sorted, like every other stored payload), compact.
fn journal_payload(entry: &JournalEntry) -> Result<String, String> {
    serde_json::to_value(entry)
        .map(|value| value.to_string())
        .map_err(|e| e.to_string())
}

/// Where a cut record's payload text is.
enum Payload {
    /// Bytes `from..to` of its document's stored text.
    InDocument { from: usize, to: usize },
    /// Its own text (a journal entry).
    Own(String),
}

impl Payload {
    fn len(&self) -> usize {
        match self {
            Payload::InDocument { from, to } => to - from,
            Payload::Own(text) => text.len(),
        }
    }
}

/// A wire record cut from an outbox row; the payload is compact JSON text,
/// validated but never rebuilt.
struct CutRecord {
    id: Uuid,
    kind: RecordKind,
    payload: Payload,
}

/// The wire records of one outbox row, with what they share.
struct CutDocument {
    outbox_seq: u64,
    document_type: &'static str,
    created_at: DateTime<Utc>,
    records: Vec<CutRecord>,
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

/// The wire records of one document, in order. The document's payload is
/// its whole stored text and each movement's payload its text in the
/// document's `movements`: parsed once to find the movements and check the
/// ids, never re-serialised. `journal` gives the text of the entry with
/// the sequence the document names.
fn records_of_document(
    document: &OutboxDocument<'_>,
    journal: impl FnOnce(u64) -> Result<String, String>,
) -> Result<CutDocument, SyncError> {
    let damaged = |detail: String| SyncError::OutboxUnreadable {
        outbox_seq: document.outbox_seq,
        detail,
    };
    let document_type = DocumentType::parse(document.kind)
        .map_err(|e| damaged(format!("document type {:?}: {e}", document.kind)))?
        .name();
    let id: Uuid = document
        .id
        .parse()
        .map_err(|e| damaged(format!("record id {:?}: {e}", document.id)))?;
    let created_at = parse_utc(document.created_at)
        .ok_or_else(|| damaged(format!("time {:?}", document.created_at)))?;
    let parts: DocumentParts<'_> = serde_json::from_str(document.payload)
        .map_err(|e| damaged(format!("payload is not a stored document: {e}")))?;
    let start = document.payload.as_ptr() as usize;
    let mut records = Vec::with_capacity(parts.movements.len() + 2);
    records.push(CutRecord {
        id,
        kind: RecordKind::Document,
        payload: Payload::InDocument {
            from: 0,
            to: document.payload.len(),
        },
    });
    for movement in parts.movements {
        let text = movement.get();
        let MovementId { id } = serde_json::from_str(text)
            .map_err(|e| damaged(format!("movement without an id: {e}")))?;
        // a slice of the document's text: its offset in it
        let from = text.as_ptr() as usize - start;
        records.push(CutRecord {
            id,
            kind: RecordKind::StockMovement,
            payload: Payload::InDocument {
                from,
                to: from + text.len(),
            },
        });
    }
    if let Some(journal_seq) = parts.journal_seq {
        records.push(CutRecord {
            id: journal_record_id(id, created_at),
            kind: RecordKind::JournalEntry,
            payload: Payload::Own(journal(journal_seq).map_err(damaged)?),
        });
    }
    Ok(CutDocument {
        outbox_seq: document.outbox_seq,
        document_type,
        created_at,
        records,
    })
}

/// The terminal id the wire envelope names: the one head office knows this
/// till by (a re-enrolled till's new id, see `super::reenrol`), else
/// `not_enrolled()`.
pub(crate) fn wire_terminal_id(
    conn: &Connection,
    not_enrolled: impl FnOnce() -> String,
) -> Result<String, SyncError> {
    let enrolled: Option<String> = conn
        .prepare_cached("SELECT terminal_id FROM sync_enrolment WHERE id = 1")?
        .query_row([], |r| r.get(0))
        .optional()?;
    Ok(enrolled.unwrap_or_else(not_enrolled))
}

/// A record's compact length (what it adds to a batch body): its envelope's
/// with a one-byte payload, less that byte, plus the payload text's length —
/// no copy of the payload to count it.
pub(crate) fn record_encoded_len(
    envelope: &Record<()>,
    payload_len: usize,
) -> Result<u64, SyncError> {
    let placeholder: &RawValue =
        serde_json::from_str("0").map_err(|e| SyncError::Protocol(e.to_string()))?;
    let with_placeholder = Record {
        terminal_id: envelope.terminal_id.clone(),
        seq: envelope.seq,
        id: envelope.id,
        kind: envelope.kind,
        document_type: envelope.document_type.clone(),
        created_at: envelope.created_at,
        payload: placeholder,
    };
    Ok(with_placeholder.encoded_len() - 1 + payload_len as u64)
}

/// Store the records of `cut` as sequences `first..`; returns how many.
fn insert_records(
    tx: &Connection,
    terminal_id: &str,
    first: u64,
    cut: &CutDocument,
    document_text: &str,
) -> Result<u64, SyncError> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO sync_records (seq, outbox_seq, record_id, kind, document_type, created_at,
            payload, encoded_len, payload_from, payload_to, chain)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?;
    let terminal_id = wire_terminal_id(tx, || terminal_id.to_owned())?;
    let mut chain = super::identity::chain_before(tx, first)?;
    let created_at = cut
        .created_at
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let mut seq = first;
    for record in &cut.records {
        let encoded_len = record_encoded_len(
            &Record {
                terminal_id: terminal_id.clone(),
                seq,
                id: record.id,
                kind: record.kind,
                document_type: Some(cut.document_type.to_owned()),
                created_at: cut.created_at,
                payload: (),
            },
            record.payload.len(),
        )?;
        // stored: a range of the document, or the record's own text; sent: that text
        let (text, range, sent) = match &record.payload {
            Payload::InDocument { from, to } => (
                "",
                Some((*from as i64, *to as i64)),
                document_text.get(*from..*to).unwrap_or_default(),
            ),
            Payload::Own(text) => (text.as_str(), None, text.as_str()),
        };
        chain = super::identity::chain_next(
            &chain,
            &record.id,
            record.kind,
            Some(cut.document_type),
            sent,
        );
        insert.execute(params![
            seq as i64,
            cut.outbox_seq as i64,
            record.id.to_string(),
            kind_code(record.kind),
            cut.document_type,
            created_at,
            text,
            encoded_len as i64,
            range.map(|r| r.0),
            range.map(|r| r.1),
            chain.0.as_slice(),
        ])?;
        seq += 1;
    }
    Ok(seq - first)
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

/// One record of a [`WireBatch`].
pub type WireRecord = Record<Box<RawValue>>;

/// The upload batch of records `first..=last`, read as stored: a record
/// whose text lies in its document's (`payload` empty) gets its byte range
/// of `documents.payload`, read once per document.
pub fn load_batch(
    conn: &Connection,
    protocol: ProtocolVersion,
    terminal_id: &str,
    store_id: &str,
    first: u64,
    last: u64,
) -> Result<WireBatch, SyncError> {
    let mut stmt = conn.prepare_cached(
        "SELECT s.seq, s.record_id, s.kind, s.document_type, s.created_at, s.payload,
                s.payload_from, s.payload_to, s.outbox_seq, d.payload
         FROM sync_records s
         LEFT JOIN documents d ON d.id =
             CASE WHEN s.kind = 'document' AND s.payload = '' THEN s.record_id END
         WHERE s.seq BETWEEN ?1 AND ?2 ORDER BY s.seq",
    )?;
    let mut rows = stmt.query(params![first as i64, last as i64])?;
    let mut records =
        Vec::with_capacity(usize::try_from(last.saturating_sub(first) + 1).unwrap_or(0));
    // the stored text of the document last read: (outbox row, text)
    let mut document: Option<(i64, String)> = None;
    while let Some(row) = rows.next()? {
        let seq = row.get::<_, i64>(0)? as u64;
        let damaged = |detail: String| SyncError::OutboxUnreadable {
            outbox_seq: seq,
            detail,
        };
        let id: String = row.get(1)?;
        let kind: String = row.get(2)?;
        let created_at: String = row.get(4)?;
        let mut payload: String = row.get(5)?;
        if payload.is_empty() {
            let outbox_seq: i64 = row.get(8)?;
            if let Some(text) = row.get::<_, Option<String>>(9)? {
                document = Some((outbox_seq, text));
            }
            if document.as_ref().map(|d| d.0) != Some(outbox_seq) {
                let text = document_text(conn, outbox_seq)?
                    .ok_or_else(|| damaged("its document is missing".to_owned()))?;
                document = Some((outbox_seq, text));
            }
            let range = (row.get::<_, Option<i64>>(6)?, row.get::<_, Option<i64>>(7)?);
            let text = document.as_ref().map(|d| d.1.as_str()).unwrap_or_default();
            payload = match range {
                (Some(from), Some(to)) => usize::try_from(from)
                    .ok()
                    .zip(usize::try_from(to).ok())
                    .and_then(|(from, to)| text.get(from..to)),
                _ => None,
            }
            .ok_or_else(|| damaged(format!("payload range {range:?} of its document")))?
            .to_owned();
        }
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

/// The stored text of the document of outbox row `outbox_seq`, found
/// through its `document` record.
fn document_text(conn: &Connection, outbox_seq: i64) -> Result<Option<String>, SyncError> {
    Ok(conn
        .prepare_cached(
            "SELECT d.payload FROM sync_records s JOIN documents d ON d.id = s.record_id
             WHERE s.outbox_seq = ?1 AND s.kind = 'document'",
        )?
        .query_row([outbox_seq], |r| r.get(0))
        .optional()?)
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
