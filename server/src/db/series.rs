//! Series identity at head office: the chain of each terminal's records and
//! what happens when a till sends a different record at a held sequence.
//!
//! - Every stored record carries `chain`, the series hash over records
//!   `1..=seq` ([`kasa_sync_protocol::identity`]), computed by the writer
//!   from the previous record's chain and the record's digest (the digest
//!   is computed on the request's task, off the writer).
//! - On an overlapping upload the batch's chains are compared with the
//!   stored ones: equal means a resend (duplicates), different means a
//!   **conflict** — a restored or cloned till. A record whose id head office
//!   holds under another sequence is a conflict too. Nothing of a
//!   conflicting batch enters the series: its records are kept apart in
//!   `forked_records`, and the terminal gets a row in `terminal_forks`
//!   (first conflicting sequence, when, how many times). Consistent batches
//!   of that terminal are still accepted: the till whose series head office
//!   holds goes on; the other one has stopped itself and re-enrols as a new
//!   terminal (docs/sync-protocol.md, "Forks").
//! - Like revocations, forks are rows of their own, so the migration is
//!   additive; `records.chain` is filled for records stored before it by
//!   [`chain_backfill`] steps run after the migrations.

use kasa_sync_protocol::{SeriesHash, SeriesPoint};
use serde::Serialize;

/// SQLite migration: the chain column, forks and records kept apart.
pub const SQLITE_MIGRATION: &str = r#"
ALTER TABLE records ADD COLUMN chain BLOB;
CREATE TABLE terminal_forks (
    terminal_pk INTEGER PRIMARY KEY REFERENCES terminals(pk),
    first_conflict_seq INTEGER NOT NULL,
    detected_at_ms INTEGER NOT NULL,
    last_conflict_at_ms INTEGER NOT NULL,
    conflicts INTEGER NOT NULL
) STRICT;
CREATE TABLE forked_records (
    terminal_pk INTEGER NOT NULL REFERENCES terminals(pk),
    seq INTEGER NOT NULL,
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    document_type TEXT,
    created_at_ms INTEGER NOT NULL,
    received_at_ms INTEGER NOT NULL,
    payload TEXT NOT NULL,
    PRIMARY KEY (terminal_pk, seq, id)
) STRICT;
"#;

/// PostgreSQL migration: the chain column, forks and records kept apart.
pub const POSTGRES_MIGRATION: &str = r#"
ALTER TABLE records ADD COLUMN chain BYTEA;
CREATE TABLE terminal_forks (
    terminal_pk BIGINT PRIMARY KEY REFERENCES terminals(pk),
    first_conflict_seq BIGINT NOT NULL,
    detected_at_ms BIGINT NOT NULL,
    last_conflict_at_ms BIGINT NOT NULL,
    conflicts BIGINT NOT NULL
);
CREATE TABLE forked_records (
    terminal_pk BIGINT NOT NULL REFERENCES terminals(pk),
    seq BIGINT NOT NULL,
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    document_type TEXT,
    created_at_ms BIGINT NOT NULL,
    received_at_ms BIGINT NOT NULL,
    payload TEXT NOT NULL,
    PRIMARY KEY (terminal_pk, seq, id)
);
"#;

/// Records kept apart per conflicting batch at most: a till that keeps
/// resending its fork cannot fill head office's disk.
pub const MAX_FORKED_RECORDS_PER_TERMINAL: i64 = 100_000;

/// Records whose chain is filled per backfill transaction.
pub const BACKFILL_CHUNK: i64 = 10_000;

/// What head office holds of a terminal's series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeriesStatus {
    /// Highest contiguous sequence held.
    pub held_through: u64,
    /// The chain at `held_through`.
    pub chain_head: SeriesHash,
    /// The chain at the asked sequence, when held.
    pub chain_at: Option<SeriesPoint>,
}

/// A terminal found sending a series different from the one head office holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ForkState {
    /// The first sequence at which a different record was sent.
    pub first_conflict_seq: u64,
    /// When it was first seen (ms since the Unix epoch).
    pub detected_at_ms: i64,
    /// When it was last seen.
    pub last_conflict_at_ms: i64,
    /// Conflicting batches refused.
    pub conflicts: u64,
    /// Records kept apart in `forked_records`.
    pub kept_apart: u64,
}

/// Why a batch conflicts with the held series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesConflict {
    /// The first sequence that differs.
    pub seq: u64,
    /// What differs, for the message.
    pub detail: String,
}

/// Compare a batch with the held series and chain its records.
///
/// `start` is the chain at `first_seq - 1`, `digests` the batch's record
/// digests in order, `held_chains` the stored chains of the batch's
/// sequences head office already holds (ascending, from `first_seq`).
/// Returns every record's chain, or the first sequence whose chain differs
/// from the stored one.
pub fn chain_batch(
    first_seq: u64,
    start: SeriesHash,
    digests: &[[u8; 32]],
    held_chains: &[SeriesHash],
) -> Result<Vec<SeriesHash>, SeriesConflict> {
    let mut chains = Vec::with_capacity(digests.len());
    let mut chain = start;
    for (i, digest) in digests.iter().enumerate() {
        chain = chain.next(digest);
        if let Some(held) = held_chains.get(i)
            && *held != chain
        {
            return Err(SeriesConflict {
                seq: first_seq + i as u64,
                detail:
                    "its id or content differs from the record head office holds at that sequence"
                        .into(),
            });
        }
        chains.push(chain);
    }
    Ok(chains)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digests(tags: &[u8]) -> Vec<[u8; 32]> {
        tags.iter().map(|t| [*t; 32]).collect()
    }

    #[test]
    fn a_resend_matches_and_a_different_record_conflicts_at_its_seq() {
        let held = chain_batch(1, SeriesHash::GENESIS, &digests(&[1, 2, 3]), &[]).unwrap();
        // resend of 2..=3 plus a new 4th
        let again = chain_batch(2, held[0], &digests(&[2, 3, 4]), &held[1..]).unwrap();
        assert_eq!(again[..2], held[1..]);
        // a restored till's different record at seq 3
        let err = chain_batch(2, held[0], &digests(&[2, 9, 4]), &held[1..]).unwrap_err();
        assert_eq!(err.seq, 3);
    }
}
