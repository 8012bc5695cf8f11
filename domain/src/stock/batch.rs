//! FIFO-by-expiry consumption of tracked batches.

use std::cmp::Ordering;

use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::StockMovement;

/// What a batch holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchStock {
    /// Batch / lot code.
    pub batch: String,
    /// Expiry date, if any.
    pub expiry: Option<NaiveDate>,
    /// When it was received.
    pub received_at: NaiveDateTime,
    /// Quantity on hand in the batch.
    pub qty: Decimal,
}

/// Quantity taken from one batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FifoAllocation {
    /// Batch code.
    pub batch: String,
    /// Quantity taken (positive).
    pub qty: Decimal,
}

/// The result of consuming a quantity.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FifoResult {
    /// Batches in consumption order.
    pub allocations: Vec<FifoAllocation>,
    /// What no batch could cover (positive; booked without a batch).
    pub unbatched: Decimal,
}

fn fifo_order(a: &BatchStock, b: &BatchStock) -> Ordering {
    let expiry = match (a.expiry, b.expiry) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    expiry
        .then(a.received_at.cmp(&b.received_at))
        .then_with(|| a.batch.cmp(&b.batch))
}

/// Take `qty` (positive) from `batches`: earliest expiry first (no expiry
/// last), then earliest received, then batch code. Batches with nothing on
/// hand are skipped; the remainder no batch covers is `unbatched`.
pub fn consume_fifo(batches: &[BatchStock], qty: Decimal) -> FifoResult {
    let mut order: Vec<&BatchStock> = batches.iter().filter(|b| b.qty > Decimal::ZERO).collect();
    order.sort_by(|a, b| fifo_order(a, b));
    let mut left = qty.max(Decimal::ZERO);
    let mut allocations = Vec::new();
    for b in order {
        if left.is_zero() {
            break;
        }
        let take = b.qty.min(left);
        allocations.push(FifoAllocation {
            batch: b.batch.clone(),
            qty: take,
        });
        left -= take;
    }
    FifoResult {
        allocations,
        unbatched: left,
    }
}

/// Split an issue movement (negative qty, no batch) into one movement per
/// batch allocation plus one batch-less movement for the remainder. New ids
/// come from `new_id` (the terminal's UUIDv7 source); the first piece keeps
/// the original id.
pub fn split_by_batches(
    issue: &StockMovement,
    fifo: &FifoResult,
    mut new_id: impl FnMut() -> Uuid,
) -> Vec<StockMovement> {
    let mut out = Vec::with_capacity(fifo.allocations.len() + 1);
    let mut pieces: Vec<(Option<String>, Decimal)> = fifo
        .allocations
        .iter()
        .map(|a| (Some(a.batch.clone()), a.qty))
        .collect();
    if fifo.unbatched > Decimal::ZERO {
        pieces.push((None, fifo.unbatched));
    }
    for (i, (batch, qty)) in pieces.into_iter().enumerate() {
        out.push(StockMovement {
            id: if i == 0 { issue.id } else { new_id() },
            batch,
            qty: -qty,
            ..issue.clone()
        });
    }
    out
}
