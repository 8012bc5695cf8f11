//! The upload planner: from "what the till holds" and "what head office
//! acknowledges" to the next steps, as one pure function.
//!
//! The idea is atuin's: each side states a status (the till: its outbox; the
//! server: the highest contiguous sequence it holds), a pure function diffs
//! them and returns steps, and the sync loop only executes steps. All the
//! cases that must not happen quietly are named results here:
//!
//! - the server acknowledges more than the till ever wrote
//!   ([`PlanError::ServerAhead`]: a restored backup or a reinstall reusing
//!   the terminal id — uploading would reuse sequences, so stop);
//! - the server needs records the till no longer holds
//!   ([`PlanError::OutboxPruned`]: they would be lost);
//! - the till's own outbox has a hole ([`PlanError::OutboxGap`]);
//! - one record can never fit a batch ([`PlanError::RecordTooLarge`]).
//!
//! Batches are greedy: each takes as many records as fit both the record
//! and byte limits, so catch-up needs the fewest round trips. Byte
//! accounting is conservative (envelope reserve + each record's compact
//! JSON length + one separator), so a planned batch always passes the
//! server's [`validate_batch`](crate::validate_batch) size check.

use kasa_domain::ErrorCode;
use thiserror::Error;

use crate::codes;
use crate::limits::{BATCH_ENVELOPE_RESERVE_BYTES, Limits};
use crate::upload::{Record, UploadBatch};
use crate::version::ProtocolVersion;

/// One outbox row as the planner needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxEntry {
    /// The record's sequence.
    pub seq: u64,
    /// [`Record::encoded_len`] of the record, stored with the row.
    pub encoded_len: u64,
}

/// One batch to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedBatch {
    /// First sequence in the batch.
    pub first_seq: u64,
    /// Last sequence in the batch (inclusive).
    pub last_seq: u64,
    /// Number of records.
    pub records: u32,
    /// Upper bound of the batch's compact-JSON size.
    pub bytes: u64,
}

/// What the sync loop does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadPlan {
    /// Mark every outbox record with `seq <= confirm_through` as synced
    /// (head office holds them). Equals the server's acknowledged sequence.
    pub confirm_through: u64,
    /// How many of the given unconfirmed entries that marks.
    pub newly_confirmed: usize,
    /// Batches to send, in order. Send the next only after the previous was acknowledged.
    pub batches: Vec<PlannedBatch>,
}

impl UploadPlan {
    /// Nothing to send.
    pub fn is_idle(&self) -> bool {
        self.batches.is_empty()
    }

    /// Records to send in total.
    pub fn records_to_send(&self) -> u64 {
        self.batches.iter().map(|b| u64::from(b.records)).sum()
    }
}

/// Why no plan can be made; each needs a person, not a retry.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PlanError {
    /// Head office holds sequences this till never wrote.
    #[error(
        "head office holds records up to seq {server_acked} from this terminal, but this till has only \
         written up to seq {local_last}: its database is older than what it sent (restored backup or \
         reinstall). Uploading is stopped so no sequence is reused — call support"
    )]
    ServerAhead {
        /// What the server acknowledges.
        server_acked: u64,
        /// The till's last sequence.
        local_last: u64,
    },
    /// Head office needs records this till already dropped.
    #[error(
        "head office needs records from seq {needed} but this till's outbox only starts at seq \
         {oldest_held}: those records would be lost. Uploading is stopped — call support"
    )]
    OutboxPruned {
        /// The first sequence the server lacks.
        needed: u64,
        /// The oldest sequence still in the outbox.
        oldest_held: u64,
    },
    /// The till's outbox is not gapless.
    #[error(
        "the till's outbox jumps from seq {after} to seq {next}: the local database is damaged. \
         Uploading is stopped — call support"
    )]
    OutboxGap {
        /// The last good sequence.
        after: u64,
        /// What came next (or the till's last sequence, if the outbox ends early).
        next: u64,
    },
    /// A single record is bigger than a batch may be.
    #[error(
        "record seq {seq} is {bytes} bytes, more than fits a batch ({max_bytes} bytes): it can never \
         be sent — report it"
    )]
    RecordTooLarge {
        /// The record.
        seq: u64,
        /// Its size.
        bytes: u64,
        /// The batch byte limit.
        max_bytes: u64,
    },
}

impl ErrorCode for PlanError {
    fn code(&self) -> &'static str {
        match self {
            PlanError::ServerAhead { .. } => codes::SERVER_AHEAD,
            PlanError::OutboxPruned { .. } => codes::OUTBOX_PRUNED,
            PlanError::OutboxGap { .. } => codes::OUTBOX_GAP,
            PlanError::RecordTooLarge { .. } => codes::RECORD_TOO_LARGE,
        }
    }
}

/// Plan the next upload.
///
/// - `local_last_seq`: the till's last written sequence (0 if none).
/// - `unconfirmed`: the outbox rows not yet marked synced, ascending and
///   gapless, ending at `local_last_seq` (empty if all are confirmed).
/// - `server_acked_seq`: the server's `highest_contiguous_seq`.
///
/// ```
/// use kasa_sync_protocol::{Limits, OutboxEntry, plan_upload};
///
/// // 10,000 records written, head office holds 1..=1200, rows of ~800 bytes
/// let outbox: Vec<_> = (1..=10_000).map(|seq| OutboxEntry { seq, encoded_len: 800 }).collect();
/// let plan = plan_upload(10_000, &outbox, 1_200, &Limits::default()).unwrap();
/// assert_eq!(plan.newly_confirmed, 1_200); // mark these synced
/// let firsts: Vec<_> = plan.batches.iter().map(|b| b.first_seq).collect();
/// assert_eq!(firsts, [1_201, 5_201, 9_201]); // 4,000 records per batch at most
/// assert_eq!(plan.records_to_send(), 8_800);
/// ```
pub fn plan_upload(
    local_last_seq: u64,
    unconfirmed: &[OutboxEntry],
    server_acked_seq: u64,
    limits: &Limits,
) -> Result<UploadPlan, PlanError> {
    check_outbox(local_last_seq, unconfirmed)?;
    if server_acked_seq > local_last_seq {
        return Err(PlanError::ServerAhead {
            server_acked: server_acked_seq,
            local_last: local_last_seq,
        });
    }
    let needed = server_acked_seq + 1;
    let oldest_held = unconfirmed
        .first()
        .map_or(local_last_seq + 1, |entry| entry.seq);
    if server_acked_seq < local_last_seq && oldest_held > needed {
        return Err(PlanError::OutboxPruned {
            needed,
            oldest_held,
        });
    }
    let newly_confirmed = unconfirmed
        .iter()
        .take_while(|entry| entry.seq <= server_acked_seq)
        .count();
    let to_send = &unconfirmed[newly_confirmed..];

    let max_records = limits.max_batch_records.max(1);
    let max_bytes = limits.max_batch_bytes;
    let mut batches = Vec::new();
    let mut current: Option<PlannedBatch> = None;
    for entry in to_send {
        let cost = entry.encoded_len.saturating_add(1);
        if BATCH_ENVELOPE_RESERVE_BYTES.saturating_add(cost) > max_bytes {
            return Err(PlanError::RecordTooLarge {
                seq: entry.seq,
                bytes: entry.encoded_len,
                max_bytes,
            });
        }
        match current.as_mut() {
            Some(batch) if batch.records < max_records && batch.bytes + cost <= max_bytes => {
                batch.last_seq = entry.seq;
                batch.records += 1;
                batch.bytes += cost;
            }
            _ => {
                batches.extend(current.take());
                current = Some(PlannedBatch {
                    first_seq: entry.seq,
                    last_seq: entry.seq,
                    records: 1,
                    bytes: BATCH_ENVELOPE_RESERVE_BYTES + cost,
                });
            }
        }
    }
    batches.extend(current);
    Ok(UploadPlan {
        confirm_through: server_acked_seq,
        newly_confirmed,
        batches,
    })
}

fn check_outbox(local_last_seq: u64, unconfirmed: &[OutboxEntry]) -> Result<(), PlanError> {
    let mut previous: Option<u64> = None;
    for entry in unconfirmed {
        let ok = match previous {
            None => entry.seq >= 1,
            Some(p) => entry.seq == p + 1,
        };
        if !ok {
            return Err(PlanError::OutboxGap {
                after: previous.unwrap_or(0),
                next: entry.seq,
            });
        }
        previous = Some(entry.seq);
    }
    match previous {
        Some(last) if last != local_last_seq => Err(PlanError::OutboxGap {
            after: last,
            next: local_last_seq,
        }),
        _ => Ok(()),
    }
}

impl UploadBatch {
    /// Wrap the records of one [`PlannedBatch`] (loaded from the outbox, in
    /// order) into the message to send.
    pub fn from_records(
        protocol: ProtocolVersion,
        terminal_id: &str,
        store_id: &str,
        records: Vec<Record>,
    ) -> UploadBatch {
        UploadBatch {
            protocol,
            terminal_id: terminal_id.to_owned(),
            store_id: store_id.to_owned(),
            first_seq: records.first().map_or(0, |r| r.seq),
            records,
        }
    }
}

#[cfg(test)]
mod tests;
