//! The stored journal: one row per fiscal event, hash-chained by
//! [`kasa_domain::journal`].
//!
//! Every column of an entry is stored as its own value and read back into a
//! [`JournalEntry`] for verification, so editing any stored column (amount,
//! totals, number, payload, hashes), deleting a row or reordering rows makes
//! [`verify`] fail at that entry.

use std::io::Write;

use chrono::NaiveDateTime;
use kasa_domain::journal::{JournalBreak, JournalDraft, JournalEntry};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::DocumentError;

const COLUMNS: &str =
    "seq, at, kind, document_id, document_number, amount, totals, payload, prev_hash, hash";

/// Nanosecond precision: the hash covers `at` with 9 fractional digits, so
/// storage must not round it.
fn fmt_at(at: NaiveDateTime) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.9f").to_string()
}

fn bad(col: usize, e: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(col, rusqlite::types::Type::Text, Box::new(e))
}

fn row_to_entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<JournalEntry> {
    let at: String = r.get(1)?;
    let kind: String = r.get(2)?;
    let document_id: String = r.get(3)?;
    let amount: String = r.get(5)?;
    let totals: String = r.get(6)?;
    let payload: String = r.get(7)?;
    Ok(JournalEntry {
        seq: r.get::<_, i64>(0)? as u64,
        at: NaiveDateTime::parse_from_str(&at, "%Y-%m-%dT%H:%M:%S%.f").map_err(|e| bad(1, e))?,
        kind: kind.parse().map_err(|e| bad(2, e))?,
        document_id: document_id.parse().map_err(|e| bad(3, e))?,
        document_number: r.get(4)?,
        amount: serde_json::from_value(serde_json::Value::String(amount)).map_err(|e| bad(5, e))?,
        totals: serde_json::from_str(&totals).map_err(|e| bad(6, e))?,
        payload: serde_json::from_str(&payload).map_err(|e| bad(7, e))?,
        prev_hash: r.get(8)?,
        hash: r.get(9)?,
    })
}

/// The last stored entry (the chain's head).
pub fn last_entry(conn: &Connection) -> rusqlite::Result<Option<JournalEntry>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM journal ORDER BY seq DESC LIMIT 1"
    ))?
    .query_row([], row_to_entry)
    .optional()
}

/// Chain `draft` to the stored head and store it. Runs inside the
/// document's transaction.
pub fn append(tx: &Connection, draft: JournalDraft) -> rusqlite::Result<JournalEntry> {
    let prev = last_entry(tx)?;
    let entry = JournalEntry::next(prev.as_ref(), draft);
    let kind = entry.kind.code();
    let totals = serde_json::to_string(&entry.totals)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    tx.prepare_cached(&format!(
        "INSERT INTO journal ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
    ))?
    .execute(params![
        entry.seq as i64,
        fmt_at(entry.at),
        kind,
        entry.document_id.to_string(),
        entry.document_number,
        entry.amount.0.to_string(),
        totals,
        entry.payload.to_string(),
        entry.prev_hash,
        entry.hash,
    ])?;
    Ok(entry)
}

/// Every entry, oldest first. A row that cannot even be read back counts as
/// a broken entry at its sequence.
pub fn all_entries(conn: &Connection) -> Result<Vec<JournalEntry>, DocumentError> {
    let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM journal ORDER BY seq"))?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        match row_to_entry(r) {
            Ok(e) => out.push(e),
            Err(e) => {
                let seq: i64 = r.get(0)?;
                let number: String = r.get(4).unwrap_or_default();
                return Err(DocumentError::JournalUnreadable {
                    seq: seq as u64,
                    document_number: number,
                    detail: e.to_string(),
                });
            }
        }
    }
    Ok(out)
}

/// What `journal verify` reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JournalReport {
    /// Entries checked.
    pub entries: u64,
    /// Hash of the last entry (empty for an empty journal).
    pub head_hash: String,
}

/// Verify the whole stored chain. A break is
/// `DocumentError::JournalBroken` naming the first bad entry's sequence and
/// document number.
pub fn verify(conn: &Connection) -> Result<JournalReport, DocumentError> {
    let entries = all_entries(conn)?;
    let count = entries.len() as u64;
    let head_hash = entries.last().map(|e| e.hash.clone()).unwrap_or_default();
    let numbers: Vec<(u64, String)> = entries
        .iter()
        .map(|e| (e.seq, e.document_number.clone()))
        .collect();
    match kasa_domain::journal::verify(entries) {
        Ok(_) => Ok(JournalReport {
            entries: count,
            head_hash,
        }),
        Err(brk) => {
            let JournalBreak { seq, .. } = brk;
            let document_number = numbers
                .iter()
                .find(|(s, _)| *s == seq)
                .map(|(_, n)| n.clone())
                .unwrap_or_else(|| "?".to_string());
            Err(DocumentError::JournalBroken {
                seq,
                document_number,
                reason: brk.to_string(),
            })
        }
    }
}

/// Export format of `journal export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// One JSON object per line.
    JsonLines,
    /// CSV with a header row; totals and payload as JSON text.
    Csv,
}

/// Write every entry to `out`; returns the number written.
pub fn export(
    conn: &Connection,
    format: ExportFormat,
    out: &mut dyn Write,
) -> Result<u64, DocumentError> {
    let entries = all_entries(conn)?;
    let io = |e: std::io::Error| DocumentError::Export(e.to_string());
    match format {
        ExportFormat::JsonLines => {
            for e in &entries {
                let line =
                    serde_json::to_string(e).map_err(|e| DocumentError::Export(e.to_string()))?;
                writeln!(out, "{line}").map_err(io)?;
            }
        }
        ExportFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            let csv_err = |e: csv::Error| DocumentError::Export(e.to_string());
            w.write_record([
                "seq",
                "at",
                "kind",
                "document_id",
                "document_number",
                "amount",
                "totals",
                "payload",
                "prev_hash",
                "hash",
            ])
            .map_err(csv_err)?;
            for e in &entries {
                w.write_record([
                    e.seq.to_string(),
                    fmt_at(e.at),
                    e.kind.code().to_string(),
                    e.document_id.to_string(),
                    e.document_number.clone(),
                    e.amount.0.to_string(),
                    serde_json::to_string(&e.totals).unwrap_or_default(),
                    e.payload.to_string(),
                    e.prev_hash.clone(),
                    e.hash.clone(),
                ])
                .map_err(csv_err)?;
            }
            w.flush().map_err(io)?;
        }
    }
    Ok(entries.len() as u64)
}
