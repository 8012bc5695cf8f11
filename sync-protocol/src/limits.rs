//! A limit on everything that crosses the wire.
//!
//! The constants are the protocol's ceilings: no peer may advertise more.
//! [`Limits`] is what one side states in its
//! [`Capabilities`](crate::Capabilities); negotiation takes the smaller of
//! each pair, so a small server can ask for smaller batches.
//!
//! Why these numbers:
//! - **4,000 records / 8 MiB per batch.** A sale with its stock movements and
//!   journal entry is ~11 records of 0.25–9 KiB (1.3 KiB on average), so a
//!   batch is a few days' trade of a busy till and one transaction on the
//!   server (~40 ms). Catch-up after 30 offline days (≈200,000 records) is
//!   ≈50 round trips. The ceiling was 1,000 / 4 MiB until decision 42:
//!   every batch costs head office a commit with an fsync and rewrites the
//!   same index and projection pages, and at 1,000 records those per-batch
//!   costs were a third of a catch-up (catch-up bench in BENCHMARKS.md). A
//!   peer built with the old ceiling still negotiates 1,000 (each pair
//!   takes the smaller). 8 MiB bounds server memory per request.
//! - **Inflated size = the batch limit.** A gzip body is refused as soon as it
//!   inflates past the uncompressed limit, so a 10 KiB zip bomb cannot make
//!   the server allocate gigabytes.
//! - **5,000 changes / 8 MiB per master-data page.** A 1,000,000-product
//!   catalog with barcodes and prices is ≈3,000,000 changes: 600 pages, each
//!   applied in one terminal transaction the till can commit in well under a
//!   second.
//! - **64-byte ids.** Terminal and store ids are short codes (`T01`,
//!   `S001`); the bound lets the planner reserve a fixed envelope size.

use serde::{Deserialize, Serialize};

/// Most records in one upload batch.
pub const MAX_BATCH_RECORDS: u32 = 4_000;
/// Most bytes of one upload batch as compact JSON, before compression.
pub const MAX_BATCH_BYTES: u64 = 8 * 1024 * 1024;
/// Most changes in one master-data page.
pub const MAX_PAGE_CHANGES: u32 = 5_000;
/// Page size a terminal asks for when it has no reason to choose.
pub const DEFAULT_PAGE_CHANGES: u32 = 1_000;
/// Most bytes of one master-data page as compact JSON, before compression.
pub const MAX_PAGE_BYTES: u64 = 8 * 1024 * 1024;
/// Most bytes of one master-data change as compact JSON. The server refuses
/// to publish larger ones, so any change fits a page with room to spare.
pub const MAX_CHANGE_BYTES: u64 = 1024 * 1024;
/// Most bytes of any other message (hello, ack, page request, error).
pub const MAX_SMALL_MESSAGE_BYTES: u64 = 64 * 1024;
/// Longest terminal or store id, in bytes.
pub const MAX_ID_BYTES: usize = 64;
/// Longest master-data key or document type, in bytes.
pub const MAX_KEY_BYTES: usize = 256;
/// Bytes the upload planner reserves for a batch's envelope (everything but
/// the records). With ids of at most [`MAX_ID_BYTES`] the envelope is under
/// 300 bytes; the rest is margin.
pub const BATCH_ENVELOPE_RESERVE_BYTES: u64 = 512;

/// The message-size limits one side accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Limits {
    /// Records per upload batch.
    pub max_batch_records: u32,
    /// Bytes per upload batch (compact JSON, uncompressed).
    pub max_batch_bytes: u64,
    /// Changes per master-data page.
    pub max_page_changes: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_batch_records: MAX_BATCH_RECORDS,
            max_batch_bytes: MAX_BATCH_BYTES,
            max_page_changes: MAX_PAGE_CHANGES,
        }
    }
}

impl Limits {
    /// The smaller of each pair, never above the protocol's ceilings and
    /// never below one record / one envelope.
    pub fn min(&self, other: &Limits) -> Limits {
        Limits {
            max_batch_records: self
                .max_batch_records
                .min(other.max_batch_records)
                .clamp(1, MAX_BATCH_RECORDS),
            max_batch_bytes: self
                .max_batch_bytes
                .min(other.max_batch_bytes)
                .clamp(BATCH_ENVELOPE_RESERVE_BYTES + 1, MAX_BATCH_BYTES),
            max_page_changes: self
                .max_page_changes
                .min(other.max_page_changes)
                .clamp(1, MAX_PAGE_CHANGES),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_never_exceeds_the_ceilings_nor_reaches_zero() {
        let huge = Limits {
            max_batch_records: u32::MAX,
            max_batch_bytes: u64::MAX,
            max_page_changes: u32::MAX,
        };
        assert_eq!(huge.min(&huge), Limits::default());
        let zero = Limits {
            max_batch_records: 0,
            max_batch_bytes: 0,
            max_page_changes: 0,
        };
        let floor = zero.min(&Limits::default());
        assert_eq!(floor.max_batch_records, 1);
        assert_eq!(floor.max_batch_bytes, BATCH_ENVELOPE_RESERVE_BYTES + 1);
        assert_eq!(floor.max_page_changes, 1);
    }
}
