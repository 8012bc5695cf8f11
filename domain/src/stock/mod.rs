//! Stock arithmetic: immutable movements, the position derived from them
//! (quantity, weighted average cost, last purchase cost) and FIFO-by-expiry
//! batch consumption.
//!
//! ## Movements
//! A [`StockMovement`] is never changed: corrections are new movements. The
//! quantity is signed, in base units (pieces, kg, l, m); its sign must fit the
//! [`MovementKind`] ([`MovementKind::sign`]).
//!
//! ## Position and the weighted average cost rule ([`StockPosition::apply`])
//! * `qty` is always the sum of the movements' quantities.
//! * Only **purchases** change the average: a positive [`MovementKind::Receipt`]
//!   or [`MovementKind::TransferIn`] (which carries the sending store's cost).
//!   With stock on hand before it (`qty > 0`):
//!   `avg = (qty × avg + q × cost) / (qty + q)`, rounded to
//!   [`AVG_COST_DP`] decimals with [`COST_ROUNDING`] (half away from zero).
//! * **Negative stock** (the till never blocks a sale): when a receipt
//!   arrives while `qty ≤ 0`, the average becomes the receipt's cost. The
//!   units sold short were already costed at the old average when they were
//!   sold; mixing a negative quantity into the weighted formula would give
//!   meaningless (even negative) averages. So the rule is: *weighted when
//!   there was stock, replaced when there was none or less than none.*
//! * Issues (sales, transfers out, write-offs) and other inbound movements
//!   (customer returns, count adjustments) move the quantity at the current
//!   average and never change it. When the quantity reaches zero the average
//!   is kept (it is the best estimate for the next issue).
//! * `last_purchase_cost` is the cost of the latest positive `Receipt`.
//!
//! Because the position is a left fold over the movements, the cache can
//! always be rebuilt from them ([`StockPosition::from_movements`]) and an
//! incrementally updated cache equals a rebuild (property-tested).
//!
//! ## Batches ([`consume_fifo`])
//! Tracked batches are consumed first-expiry-first-out: earliest expiry
//! first, batches without expiry last, then by receiving time, then by batch
//! code. Whatever the batches cannot cover is left as an *unbatched*
//! remainder, which the ledger books as a batch-less negative movement
//! (negative stock is allowed and reported, never blocking).

mod batch;
mod documents;
#[cfg(test)]
mod tests;

use chrono::NaiveDateTime;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ErrorCode;
use crate::money::{Money, RoundingRule};

pub use batch::{BatchStock, FifoAllocation, FifoResult, consume_fifo, split_by_batches};
pub use documents::{SALE_PRICE_DP, movements_for_return, movements_for_sale};

/// Decimals kept in the average cost.
pub const AVG_COST_DP: u32 = 4;

/// Rounding of the average cost: half away from zero to [`AVG_COST_DP`].
pub const COST_ROUNDING: RoundingRule = RoundingRule::HalfAwayFromZero;

/// Why stock moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MovementKind {
    /// Sold at the till (negative).
    Sale,
    /// Returned by a customer (positive).
    Return,
    /// Received from a supplier (positive; sets the average).
    Receipt,
    /// Sent back to a supplier (negative).
    SupplierReturn,
    /// Sent to another store (negative).
    TransferOut,
    /// Received from another store (positive; sets the average).
    TransferIn,
    /// Count variance posted after approval (either sign).
    CountAdjustment,
    /// Manual correction / write-off (either sign).
    Adjustment,
}

/// Which sign a kind's quantity must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sign {
    /// `qty > 0`.
    Positive,
    /// `qty < 0`.
    Negative,
    /// Any non-zero quantity.
    Either,
}

impl MovementKind {
    /// The sign its quantity must have.
    pub fn sign(self) -> Sign {
        match self {
            MovementKind::Return | MovementKind::Receipt | MovementKind::TransferIn => {
                Sign::Positive
            }
            MovementKind::Sale | MovementKind::SupplierReturn | MovementKind::TransferOut => {
                Sign::Negative
            }
            MovementKind::CountAdjustment | MovementKind::Adjustment => Sign::Either,
        }
    }

    /// Whether a positive movement of this kind changes the average cost.
    pub fn sets_average_cost(self) -> bool {
        matches!(self, MovementKind::Receipt | MovementKind::TransferIn)
    }
}

/// An immutable stock movement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockMovement {
    /// Movement id (UUIDv7 from the terminal).
    pub id: Uuid,
    /// Product SKU.
    pub sku: String,
    /// Location (store / warehouse id).
    pub location: String,
    /// Batch code, when the product tracks batches.
    #[serde(default)]
    pub batch: Option<String>,
    /// Signed quantity in base units.
    pub qty: Decimal,
    /// Unit cost: purchase cost for receipts, the average cost at the time
    /// for issues.
    pub unit_cost: Money,
    /// Unit sale price (for profit), on sales and returns.
    #[serde(default)]
    pub unit_sale_price: Option<Money>,
    /// The document that caused it.
    pub document_id: Uuid,
    /// When.
    pub at: NaiveDateTime,
    /// Why.
    pub kind: MovementKind,
}

/// A movement that may not be recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StockError {
    /// Quantity sign does not fit the kind (or is zero).
    #[error("movement {id}: quantity {qty} does not fit a {kind:?} movement — {hint}")]
    WrongSign {
        /// Movement id.
        id: Uuid,
        /// Kind.
        kind: MovementKind,
        /// Quantity.
        qty: Decimal,
        /// What is expected.
        hint: &'static str,
    },
    /// Negative unit cost.
    #[error("movement {id}: unit cost {cost} is negative — costs are zero or more")]
    NegativeCost {
        /// Movement id.
        id: Uuid,
        /// Cost.
        cost: Money,
    },
}

impl ErrorCode for StockError {
    fn code(&self) -> &'static str {
        match self {
            StockError::WrongSign { .. } => "stock.wrong_sign",
            StockError::NegativeCost { .. } => "stock.negative_cost",
        }
    }
}

impl StockMovement {
    /// Check the quantity's sign against the kind and the cost.
    pub fn validate(&self) -> Result<(), StockError> {
        let wrong = |hint| {
            Err(StockError::WrongSign {
                id: self.id,
                kind: self.kind,
                qty: self.qty,
                hint,
            })
        };
        if self.qty.is_zero() {
            return wrong("a movement moves something: use a non-zero quantity");
        }
        match self.kind.sign() {
            Sign::Positive if self.qty < Decimal::ZERO => {
                return wrong("it brings stock in: the quantity must be positive");
            }
            Sign::Negative if self.qty > Decimal::ZERO => {
                return wrong("it takes stock out: the quantity must be negative");
            }
            _ => {}
        }
        if self.unit_cost.is_negative() {
            return Err(StockError::NegativeCost {
                id: self.id,
                cost: self.unit_cost,
            });
        }
        Ok(())
    }

    /// The movement that reverses this one (a correction), with a new id.
    /// The kind becomes `Adjustment` because a reversal is a correction.
    pub fn reversal(&self, id: Uuid, document_id: Uuid, at: NaiveDateTime) -> StockMovement {
        StockMovement {
            id,
            qty: -self.qty,
            document_id,
            at,
            kind: MovementKind::Adjustment,
            ..self.clone()
        }
    }
}

/// On hand, average cost and last purchase cost of one SKU at one location:
/// a cache derived from movements.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StockPosition {
    /// Σ movement quantities (may be negative: reported, never blocking).
    pub qty: Decimal,
    /// Weighted average unit cost.
    pub avg_cost: Money,
    /// Cost of the latest receipt.
    pub last_purchase_cost: Option<Money>,
}

impl StockPosition {
    /// Apply one movement (see the module docs for the rule).
    pub fn apply(&mut self, m: &StockMovement) {
        let before = self.qty;
        self.qty += m.qty;
        if m.kind.sets_average_cost() && m.qty > Decimal::ZERO {
            self.avg_cost = if before <= Decimal::ZERO {
                m.unit_cost
            } else {
                let total = before * self.avg_cost.0 + m.qty * m.unit_cost.0;
                Money(COST_ROUNDING.round_dp(total / self.qty, AVG_COST_DP))
            };
        }
        if m.kind == MovementKind::Receipt && m.qty > Decimal::ZERO {
            self.last_purchase_cost = Some(m.unit_cost);
        }
    }

    /// Fold movements from an empty position.
    pub fn from_movements<'a>(movements: impl IntoIterator<Item = &'a StockMovement>) -> Self {
        let mut p = StockPosition::default();
        for m in movements {
            p.apply(m);
        }
        p
    }

    /// `qty × avg_cost` (unrounded).
    pub fn value(&self) -> Money {
        self.avg_cost * self.qty
    }

    /// Below zero: the till sold more than the books held.
    pub fn is_negative(&self) -> bool {
        self.qty < Decimal::ZERO
    }
}
