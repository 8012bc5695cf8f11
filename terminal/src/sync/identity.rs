//! The till's side of series identity ([`kasa_sync_protocol::identity`]).
//!
//! - Every wire record stores `chain`, the series hash over records
//!   `1..=seq`, computed when the record is cut (in the document's own
//!   transaction: one SHA-256 of the payload text, no extra write).
//!   Records cut before this rule get theirs from [`fill_chains`].
//! - Before it trusts head office's acknowledgement, a round compares head
//!   office's chain with its own ([`kasa_sync_protocol::compare_series`]):
//!   - **agrees**: upload as usual;
//!   - **head office behind** (restored from an older backup): the
//!     confirmed watermark goes back to what head office holds
//!     ([`rewind_confirmed`]) and the records are sent again — the till
//!     still holds them all; `kasa sync status` says how many and when;
//!   - **diverged** or **head office ahead** (this till is a restored backup
//!     or a clone of another till): uploading stops for good
//!     ([`record_fork`]), every record stays on the till, and the status
//!     says so with a stable code until the till is re-enrolled as a new
//!     terminal ([`reenrol`](super::round::reenrol)), which uploads the
//!     records from the fork on as that terminal's own series.

use chrono::Utc;
use kasa_sync_protocol::{RecordKind, SeriesHash, record_digest};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use uuid::Uuid;

use super::SyncError;

/// Migration: the chain column, fork state, refill note and the archive of
/// records uploaded under an earlier enrolment.
pub(crate) const SCHEMA_V6: &str = "
ALTER TABLE sync_records ADD COLUMN chain BLOB;
CREATE INDEX sync_records_chain_missing ON sync_records (seq) WHERE chain IS NULL;
ALTER TABLE sync_state ADD COLUMN fork_code TEXT;
ALTER TABLE sync_state ADD COLUMN fork_seq INTEGER;
ALTER TABLE sync_state ADD COLUMN fork_detected_at TEXT;
ALTER TABLE sync_state ADD COLUMN fork_message TEXT;
ALTER TABLE sync_state ADD COLUMN refilled_records INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sync_state ADD COLUMN refilled_at TEXT;
CREATE TABLE sync_records_archive (
    terminal_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    outbox_seq INTEGER NOT NULL,
    record_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    document_type TEXT,
    created_at TEXT NOT NULL,
    payload TEXT NOT NULL,
    archived_at TEXT NOT NULL,
    PRIMARY KEY (terminal_id, seq)
) STRICT;
CREATE TABLE sync_enrolment_history (
    server_url TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    enrolled_at TEXT NOT NULL,
    ended_at TEXT NOT NULL,
    reason TEXT NOT NULL,
    records_uploaded INTEGER NOT NULL
) STRICT;
";

/// Why uploading stopped for good (until the till is re-enrolled).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ForkState {
    /// Stable code: `sync.series_diverged`, `sync.series_conflict` or `sync.server_ahead`.
    pub code: String,
    /// The first sequence of this till's series head office does not hold
    /// as this till has it (the re-enrolled terminal's series starts here).
    pub first_divergent_seq: u64,
    /// When the till found it (UTC, RFC 3339).
    pub detected_at: String,
    /// What to do, for people.
    pub message: String,
}

/// The chain after `previous` and one record.
pub fn chain_next(
    previous: &SeriesHash,
    id: &Uuid,
    kind: RecordKind,
    document_type: Option<&str>,
    payload: &str,
) -> SeriesHash {
    previous.next(&record_digest(id, kind, document_type, payload))
}

/// The chain to continue from when appending record `seq` (the stored
/// chain of `seq - 1`); fills missing chains first.
pub fn chain_before(tx: &Connection, seq: u64) -> Result<SeriesHash, SyncError> {
    if seq <= 1 {
        return Ok(SeriesHash::GENESIS);
    }
    match stored_chain(tx, seq - 1)? {
        Some(Some(chain)) => Ok(chain),
        Some(None) => {
            fill_chains(tx)?;
            local_chain_at(tx, seq - 1)?.ok_or_else(|| damaged(seq - 1))
        }
        None => Err(damaged(seq - 1)),
    }
}

fn damaged(seq: u64) -> SyncError {
    SyncError::OutboxUnreadable {
        outbox_seq: seq,
        detail: "the wire record before it has no series chain".into(),
    }
}

/// `None`: no record at `seq`; `Some(None)`: a record without its chain.
fn stored_chain(conn: &Connection, seq: u64) -> Result<Option<Option<SeriesHash>>, SyncError> {
    let row: Option<Option<Vec<u8>>> = conn
        .prepare_cached("SELECT chain FROM sync_records WHERE seq = ?1")?
        .query_row([seq as i64], |r| r.get(0))
        .optional()?;
    Ok(row.map(|chain| chain.as_deref().and_then(SeriesHash::from_slice)))
}

/// This till's chain at `seq` (genesis at 0; `None` past its last record).
pub fn local_chain_at(conn: &Connection, seq: u64) -> Result<Option<SeriesHash>, SyncError> {
    if seq == 0 {
        return Ok(Some(SeriesHash::GENESIS));
    }
    match stored_chain(conn, seq)? {
        None => Ok(None),
        Some(Some(chain)) => Ok(Some(chain)),
        Some(None) => Err(SyncError::OutboxUnreadable {
            outbox_seq: seq,
            detail: "wire record has no series chain (run a sync round to fill it)".into(),
        }),
    }
}

/// Fill the chain of records cut before series identity, in sequence
/// order; returns how many. Run in a write transaction.
pub fn fill_chains(tx: &Connection) -> Result<u64, SyncError> {
    let first_missing: Option<i64> = tx.query_row(
        "SELECT MIN(seq) FROM sync_records WHERE chain IS NULL",
        [],
        |r| r.get(0),
    )?;
    let Some(first) = first_missing else {
        return Ok(0);
    };
    let mut chain = if first <= 1 {
        SeriesHash::GENESIS
    } else {
        stored_chain(tx, first as u64 - 1)?
            .flatten()
            .ok_or_else(|| damaged(first as u64 - 1))?
    };
    let last = super::series::last_seq(tx)?;
    let mut update = tx.prepare("UPDATE sync_records SET chain = ?1 WHERE seq = ?2")?;
    let mut filled = 0;
    for_each_record(tx, first as u64, last, |record| {
        chain = chain_next(
            &chain,
            &record.id,
            record.kind,
            record.document_type.as_deref(),
            record.payload.get(),
        );
        update.execute(params![chain.0.as_slice(), record.seq as i64])?;
        filled += 1;
        Ok(())
    })?;
    Ok(filled)
}

/// Visit the wire records `first..=last` as they are sent (payload texts
/// resolved), a thousand at a time.
pub(crate) fn for_each_record(
    conn: &Connection,
    first: u64,
    last: u64,
    mut visit: impl FnMut(&super::series::WireRecord) -> Result<(), SyncError>,
) -> Result<(), SyncError> {
    const CHUNK: u64 = 1_000;
    let mut from = first.max(1);
    while from <= last {
        let to = last.min(from + CHUNK - 1);
        let batch = super::series::load_batch(
            conn,
            kasa_sync_protocol::ProtocolVersion::CURRENT,
            "",
            "",
            from,
            to,
        )?;
        for record in &batch.records {
            visit(record)?;
        }
        from = to + 1;
    }
    Ok(())
}

/// The stored fork state, if uploading stopped.
pub fn fork_state(conn: &Connection) -> Result<Option<ForkState>, SyncError> {
    Ok(conn
        .query_row(
            "SELECT fork_code, fork_seq, fork_detected_at, fork_message FROM sync_state
              WHERE id = 1 AND fork_code IS NOT NULL",
            [],
            |r| {
                Ok(ForkState {
                    code: r.get(0)?,
                    first_divergent_seq: r.get::<_, Option<i64>>(1)?.unwrap_or(0) as u64,
                    detected_at: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                    message: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                })
            },
        )
        .optional()?)
}

/// Stop uploading: note why (the first record does not change once set).
pub fn record_fork(
    conn: &Connection,
    error: &SyncError,
    first_divergent_seq: u64,
) -> Result<(), SyncError> {
    let now = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    conn.execute(
        "UPDATE sync_state SET fork_code = ?1, fork_seq = ?2, fork_detected_at = ?3, fork_message = ?4
          WHERE id = 1 AND fork_code IS NULL",
        params![
            kasa_domain::ErrorCode::code(error),
            first_divergent_seq as i64,
            now,
            error.to_string()
        ],
    )?;
    Ok(())
}

/// Head office holds less than this till had confirmed (restored from a
/// backup), on a chain that agrees: confirm only what it holds, so the rest
/// is sent again, and note it. Returns how many records go again.
pub fn rewind_confirmed(tx: &Connection, held: u64) -> Result<u64, SyncError> {
    let confirmed = super::series::confirmed_through(tx)?;
    if held >= confirmed {
        return Ok(0);
    }
    let now = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    tx.execute(
        "UPDATE sync_state SET confirmed_through = ?1, server_acked_seq = ?1,
                refilled_records = refilled_records + ?2, refilled_at = ?3 WHERE id = 1",
        params![held as i64, (confirmed - held) as i64, now],
    )?;
    // outbox rows holding a record past `held` are queued again
    let synced_outbox: i64 = tx.query_row(
        "SELECT COALESCE((SELECT outbox_seq FROM sync_records WHERE seq > ?1 ORDER BY seq LIMIT 1) - 1, 0)",
        [held as i64],
        |r| r.get(0),
    )?;
    tx.execute(
        "UPDATE outbox_synced SET through_seq = MIN(through_seq, ?1) WHERE id = 1",
        [synced_outbox.max(0)],
    )?;
    Ok(confirmed - held)
}

/// The last refill: records sent again and when.
pub fn last_refill(conn: &Connection) -> Result<(u64, Option<String>), SyncError> {
    Ok(conn.query_row(
        "SELECT refilled_records, refilled_at FROM sync_state WHERE id = 1",
        [],
        |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)),
    )?)
}
