//! Checks on an upload batch, as pure functions the server runs before it
//! stores anything.
//!
//! [`validate_batch`] looks at the batch alone (plus who sent it and what
//! was agreed); [`split_against_held`] compares it with what the server
//! already holds for the terminal. A batch failing either is refused whole,
//! with a stable code, and nothing of it is stored.
//!
//! Checks run in a fixed order so that one batch always yields the same
//! error: version → ids → terminal and store → record count → bytes →
//! each record in order (terminal, sequence, id, shape).

use std::collections::HashMap;

use kasa_domain::ErrorCode;
use thiserror::Error;
use uuid::Uuid;

use crate::codes;
use crate::limits::{Limits, MAX_ID_BYTES, MAX_KEY_BYTES};
use crate::upload::{RecordKind, UploadBatch};
use crate::version::{ProtocolVersion, VersionRange};

/// Who sent the batch and what was agreed, as the server knows it (from the
/// credential and the negotiation), never as the batch claims it.
#[derive(Debug, Clone, Copy)]
pub struct BatchContext<'a> {
    /// The authenticated terminal.
    pub terminal_id: &'a str,
    /// The store that terminal is enrolled in.
    pub store_id: &'a str,
    /// Versions the server accepts.
    pub accepted: VersionRange,
    /// Agreed limits.
    pub limits: Limits,
}

/// Why a batch is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BatchError {
    /// Protocol version not spoken by the server.
    #[error(
        "batch uses sync protocol {got} but head office speaks {accepted}: say hello again to renegotiate"
    )]
    UnknownVersion {
        /// The batch's version.
        got: ProtocolVersion,
        /// What the server speaks.
        accepted: VersionRange,
    },
    /// Shape problems serde cannot catch.
    #[error(
        "batch is malformed: {reason}; fix the till software, resending it unchanged will fail again"
    )]
    Malformed {
        /// What is wrong.
        reason: String,
    },
    /// The batch or a record claims another terminal.
    #[error(
        "{what} claims terminal \"{claimed}\" but the credential is terminal \"{authenticated}\"; nothing was stored — check the till's enrolment"
    )]
    ForeignTerminal {
        /// `"batch"` or `"record seq N"`.
        what: String,
        /// The claimed terminal.
        claimed: String,
        /// The authenticated terminal.
        authenticated: String,
    },
    /// The batch claims another store.
    #[error(
        "batch claims store \"{claimed}\" but terminal is enrolled in store \"{enrolled}\"; nothing was stored — re-enrol the till in its store"
    )]
    ForeignStore {
        /// The claimed store.
        claimed: String,
        /// The terminal's store.
        enrolled: String,
    },
    /// More records than the limit.
    #[error(
        "batch has {count} records, more than the limit of {max}: split it (the upload planner does)"
    )]
    TooManyRecords {
        /// Records in the batch.
        count: usize,
        /// The limit.
        max: u32,
    },
    /// More bytes than the limit.
    #[error(
        "batch is {bytes} bytes as JSON, more than the limit of {max}: split it (the upload planner does)"
    )]
    TooManyBytes {
        /// The batch's size.
        bytes: u64,
        /// The limit.
        max: u64,
    },
    /// A sequence number is missing or out of order.
    #[error(
        "expected record seq {expected} but found {found}: the series must be gapless; resend from seq {expected}"
    )]
    Gap {
        /// The sequence that should have come.
        expected: u64,
        /// The sequence that came.
        found: u64,
    },
    /// A sequence appears twice.
    #[error("record seq {seq} appears twice in the batch: the till's outbox is corrupt")]
    RepeatedSeq {
        /// The repeated sequence.
        seq: u64,
    },
    /// A record id appears twice.
    #[error(
        "record id {id} appears at seq {first_seq} and again at seq {second_seq}: one record must not be queued twice"
    )]
    RepeatedId {
        /// The repeated id.
        id: Uuid,
        /// Where it first appears.
        first_seq: u64,
        /// Where it appears again.
        second_seq: u64,
    },
}

impl ErrorCode for BatchError {
    fn code(&self) -> &'static str {
        match self {
            BatchError::UnknownVersion { .. } => codes::UNKNOWN_VERSION,
            BatchError::Malformed { .. } => codes::MALFORMED,
            BatchError::ForeignTerminal { .. } => codes::FOREIGN_TERMINAL,
            BatchError::ForeignStore { .. } => codes::FOREIGN_STORE,
            BatchError::TooManyRecords { .. } | BatchError::TooManyBytes { .. } => {
                codes::BATCH_TOO_LARGE
            }
            BatchError::Gap { .. } => codes::GAP,
            BatchError::RepeatedSeq { .. } | BatchError::RepeatedId { .. } => codes::REPEAT,
        }
    }
}

/// A terminal or store id: 1–64 bytes of ASCII letters, digits, `-`, `_`, `.`.
/// (Such ids never need JSON escaping, which keeps envelope sizes predictable.)
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_BYTES
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn malformed(reason: impl Into<String>) -> BatchError {
    BatchError::Malformed {
        reason: reason.into(),
    }
}

/// Check a batch on its own. Returns the batch's compact-JSON size.
pub fn validate_batch<P: serde::Serialize>(
    batch: &UploadBatch<P>,
    ctx: &BatchContext<'_>,
) -> Result<u64, BatchError> {
    validate_batch_of_len(batch, batch.encoded_len(), ctx)
}

/// [`validate_batch`] for a batch whose JSON text is known to be `bytes`
/// long — the (inflated) request body the server parsed it from. The byte
/// limit is checked against that length instead of serialising the whole
/// batch again to count it; a till sends compact JSON, so both agree, and
/// a padded body only counts larger. Returns `bytes`.
pub fn validate_batch_of_len<P>(
    batch: &UploadBatch<P>,
    bytes: u64,
    ctx: &BatchContext<'_>,
) -> Result<u64, BatchError> {
    if !ctx.accepted.contains(batch.protocol) {
        return Err(BatchError::UnknownVersion {
            got: batch.protocol,
            accepted: ctx.accepted,
        });
    }
    for (name, id) in [
        ("terminal_id", &batch.terminal_id),
        ("store_id", &batch.store_id),
    ] {
        if !is_valid_id(id) {
            return Err(malformed(format!(
                "{name} must be 1–{MAX_ID_BYTES} letters, digits, '-', '_' or '.'"
            )));
        }
    }
    if batch.terminal_id != ctx.terminal_id {
        return Err(BatchError::ForeignTerminal {
            what: "batch".to_owned(),
            claimed: batch.terminal_id.clone(),
            authenticated: ctx.terminal_id.to_owned(),
        });
    }
    if batch.store_id != ctx.store_id {
        return Err(BatchError::ForeignStore {
            claimed: batch.store_id.clone(),
            enrolled: ctx.store_id.to_owned(),
        });
    }
    if batch.records.is_empty() {
        return Err(malformed("batch has no records; ask for status instead"));
    }
    if batch.records.len() > ctx.limits.max_batch_records as usize {
        return Err(BatchError::TooManyRecords {
            count: batch.records.len(),
            max: ctx.limits.max_batch_records,
        });
    }
    if bytes > ctx.limits.max_batch_bytes {
        return Err(BatchError::TooManyBytes {
            bytes,
            max: ctx.limits.max_batch_bytes,
        });
    }
    if batch.first_seq == 0 {
        return Err(malformed(
            "first_seq must be at least 1 (series start at 1)",
        ));
    }
    if batch
        .first_seq
        .checked_add(batch.records.len() as u64)
        .is_none()
    {
        return Err(malformed("sequence numbers would overflow"));
    }
    let mut ids: HashMap<Uuid, u64> = HashMap::with_capacity(batch.records.len());
    for (offset, record) in (0u64..).zip(&batch.records) {
        // Cannot overflow: first_seq + len was checked above. (Zipping with
        // `first_seq..` would step that range once past the last record.)
        let expected = batch.first_seq + offset;
        if record.terminal_id != batch.terminal_id {
            return Err(BatchError::ForeignTerminal {
                what: format!("record seq {}", record.seq),
                claimed: record.terminal_id.clone(),
                authenticated: ctx.terminal_id.to_owned(),
            });
        }
        if record.seq != expected {
            return Err(if record.seq >= batch.first_seq && record.seq < expected {
                BatchError::RepeatedSeq { seq: record.seq }
            } else {
                BatchError::Gap {
                    expected,
                    found: record.seq,
                }
            });
        }
        if let Some(first_seq) = ids.insert(record.id, record.seq) {
            return Err(BatchError::RepeatedId {
                id: record.id,
                first_seq,
                second_seq: record.seq,
            });
        }
        match &record.document_type {
            None if record.kind == RecordKind::Document => {
                return Err(malformed(format!(
                    "record seq {} is a document without document_type",
                    record.seq
                )));
            }
            Some(t) if t.is_empty() || t.len() > MAX_KEY_BYTES => {
                return Err(malformed(format!(
                    "record seq {} has a document_type of {} bytes (1–{MAX_KEY_BYTES} allowed)",
                    record.seq,
                    t.len()
                )));
            }
            _ => {}
        }
    }
    Ok(bytes)
}

/// How a valid batch relates to what the server already holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IngestSplit {
    /// Leading records with `seq <= held_through`: already stored, acknowledge, do not apply.
    pub already_held: usize,
    /// Index of the first record to store (`== already_held`).
    pub new_from: usize,
}

/// Compare a validated batch with the highest contiguous sequence the server
/// holds for this terminal. A batch may overlap what is held (a retry after
/// a lost ack) but must not start past `held_through + 1`: the server never
/// stores a series with a hole, so it refuses with [`BatchError::Gap`] and
/// the terminal resends from the acknowledged sequence.
///
/// Records whose id the server already holds under another sequence are a
/// separate, storage-level check (unique index on the id).
pub fn split_against_held<P>(
    batch: &UploadBatch<P>,
    held_through: u64,
) -> Result<IngestSplit, BatchError> {
    let next = held_through.saturating_add(1);
    if batch.first_seq > next {
        return Err(BatchError::Gap {
            expected: next,
            found: batch.first_seq,
        });
    }
    let already_held = usize::try_from(next - batch.first_seq)
        .unwrap_or(usize::MAX)
        .min(batch.records.len());
    Ok(IngestSplit {
        already_held,
        new_from: already_held,
    })
}

#[cfg(test)]
mod tests;
