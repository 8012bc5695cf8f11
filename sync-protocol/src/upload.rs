//! Upload messages: terminal → server records, server → terminal acknowledgement.
//!
//! Every terminal writes one gapless series of records, numbered from 1
//! (`seq`), in the same transaction as the document that caused them. Each
//! record also carries the id the terminal made for the document or
//! movement (a UUIDv7, saved before sending and reused on every retry). The
//! server stores a record at most once, unique on `(terminal, seq)` and on
//! `id` within the terminal's tenant, and answers with an [`Ack`] naming the highest sequence up to which
//! it holds *every* record. Delivery is at-least-once; dedup makes the
//! effect exactly-once.

use std::io;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::identity::{SeriesHash, SeriesPoint};
use crate::version::ProtocolVersion;

/// What a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// A completed document (sale, return, receipt of goods, count, shift…).
    Document,
    /// One immutable stock movement.
    StockMovement,
    /// One entry of the terminal's hash-chained fiscal journal.
    JournalEntry,
    /// An audit event (void, no-sale, price override, login…).
    Audit,
}

impl RecordKind {
    /// Every kind, for tests and generators.
    pub const ALL: [RecordKind; 4] = [
        RecordKind::Document,
        RecordKind::StockMovement,
        RecordKind::JournalEntry,
        RecordKind::Audit,
    ];
}

/// One record of a terminal's series. The payload is a JSON value by
/// default; head office reads it as unparsed text
/// (`Record<Box<serde_json::value::RawValue>>`) so it can store exactly what
/// was sent (decision 39) — the same fields and checks either way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Record<P = serde_json::Value> {
    /// The terminal that wrote it; must equal the batch's (and the credential's).
    pub terminal_id: String,
    /// Position in the terminal's gapless series, from 1.
    pub seq: u64,
    /// Id made on the terminal; the server's side effects are keyed by it.
    pub id: Uuid,
    /// What the record is.
    pub kind: RecordKind,
    /// The document type that caused it (`"sale"`, `"return"`, …); required
    /// for [`RecordKind::Document`], optional otherwise.
    pub document_type: Option<String>,
    /// When the terminal wrote it (UTC).
    pub created_at: DateTime<Utc>,
    /// The record itself, as the terminal's domain serialises it.
    pub payload: P,
}

impl<P: Serialize> Record<P> {
    /// Length of the record as compact JSON — what it adds to a batch body
    /// (plus one separator byte). The terminal stores this beside the outbox
    /// row so the planner can bound batches without re-serialising.
    pub fn encoded_len(&self) -> u64 {
        encoded_len(self)
    }
}

/// Terminal → server: a run of consecutive records (payloads as in
/// [`Record`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UploadBatch<P = serde_json::Value> {
    /// The agreed protocol version.
    pub protocol: ProtocolVersion,
    /// The sending terminal.
    pub terminal_id: String,
    /// The terminal's store.
    pub store_id: String,
    /// Sequence of the first record; records follow without gaps.
    pub first_seq: u64,
    /// The records, in sequence order.
    pub records: Vec<Record<P>>,
}

impl<P> UploadBatch<P> {
    /// Sequence of the last record (`first_seq - 1` when empty).
    pub fn last_seq(&self) -> u64 {
        self.first_seq
            .saturating_add(self.records.len() as u64)
            .saturating_sub(1)
    }
}

impl<P: Serialize> UploadBatch<P> {
    /// Length of the batch as compact JSON.
    pub fn encoded_len(&self) -> u64 {
        encoded_len(self)
    }
}

/// Server → terminal: what the server holds after (or without) a batch.
///
/// Also the answer to a status request, with `applied` and `duplicates` 0.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Ack {
    /// The terminal the acknowledgement is for.
    pub terminal_id: String,
    /// The server holds every record `1..=highest_contiguous_seq`. The
    /// terminal may mark those synced; it resends from the next one.
    pub highest_contiguous_seq: u64,
    /// Records in the batch the server already held (by seq or id): not applied again.
    pub duplicates: u32,
    /// Records in the batch applied now.
    pub applied: u32,
    /// Protocol 1.1: the series chain at `highest_contiguous_seq` (see
    /// [`crate::identity`]). The till compares it with its own before it
    /// marks anything synced. Absent for 1.0 peers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain_head: Option<SeriesHash>,
    /// Protocol 1.1, status only: the chain at the sequence the till asked
    /// about (`GET …/upload/status?at=N`, answered when head office holds
    /// `N`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain_at: Option<SeriesPoint>,
}

/// A writer that only counts.
struct ByteCount(u64);

impl io::Write for ByteCount {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Compact-JSON length of a value. The protocol's types serialise
/// infallibly (string map keys, no custom serialisers that fail), so the
/// error arm reports "as large as possible", which every limit refuses.
pub(crate) fn encoded_len<T: Serialize>(value: &T) -> u64 {
    let mut count = ByteCount(0);
    match serde_json::to_writer(&mut count, value) {
        Ok(()) => count.0,
        Err(_) => u64::MAX,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::examples;

    #[test]
    fn encoded_len_matches_serde_json() {
        let batch = examples::upload_batch();
        assert_eq!(
            batch.encoded_len(),
            serde_json::to_vec(&batch).unwrap().len() as u64
        );
        for record in &batch.records {
            assert_eq!(
                record.encoded_len(),
                serde_json::to_vec(record).unwrap().len() as u64
            );
        }
    }

    #[test]
    fn last_seq_of_a_batch() {
        let mut batch = examples::upload_batch();
        assert_eq!(
            batch.last_seq(),
            batch.first_seq + batch.records.len() as u64 - 1
        );
        batch.records.clear();
        assert_eq!(batch.last_seq(), batch.first_seq - 1);
    }

    #[test]
    fn unknown_record_fields_are_refused() {
        let mut json = serde_json::to_value(examples::upload_batch().records[0].clone()).unwrap();
        json["surprise"] = serde_json::json!(1);
        assert!(serde_json::from_value::<Record>(json).is_err());
    }

    #[test]
    fn created_at_is_rfc3339_utc() {
        let record = &examples::upload_batch().records[0];
        let json = serde_json::to_value(record).unwrap();
        let text = json["created_at"].as_str().unwrap();
        assert!(text.ends_with('Z'), "{text}");
        assert_eq!(text.parse::<DateTime<Utc>>().unwrap(), record.created_at);
    }
}
