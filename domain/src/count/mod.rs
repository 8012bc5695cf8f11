//! Stock counts: sessions (full, partial by product group, blind), counts
//! from several devices merged, variance lines, and adjustment movements on
//! manager approval.
//!
//! ## Merging counts from several devices ([`CountSession::merged`])
//! Each device numbers its own entries (`entry_no`, 1, 2, 3…). Rules:
//! * Entries **add up**: per SKU, the counted quantity is the sum over all
//!   devices of their effective entries (the same SKU on two shelves, or
//!   counted by two people in two aisles, is two entries that add).
//! * A **correction** (`corrects: Some(n)`) *replaces* entry `n` of the **same
//!   device**: entry `n` no longer counts, the correction does (quantity 0
//!   removes it; a correction may itself be corrected). A device cannot
//!   correct another device's entries ([`CountError::UnknownEntry`]).
//! * Re-sending an identical entry (same device and number) is a no-op, so
//!   devices may retry uploads; a different entry under a used number is
//!   [`CountError::ConflictingEntry`].
//!
//! ## Variances ([`CountSession::variances`])
//! The expected quantities are passed in at review time (the ledger's on
//! hand at that moment, with unit cost and product group). In scope are all
//! expected SKUs (full count) or those of the listed groups (partial count),
//! plus every SKU that was counted. An in-scope SKU nobody counted is
//! counted as 0 and flagged `was_counted: false`, so the reviewer sees what
//! was missed before approving. `variance = counted − expected`; its value is
//! `variance × unit cost` rounded half away from zero to the cent.
//!
//! ## Blind counts
//! In a blind session [`CountSession::counter_view`] never shows expected
//! quantities; only the review (manager) sees variances.
//!
//! ## Approval ([`CountSession::approve`])
//! Needs [`Permission::ApproveCount`]. Every non-zero variance (minus the
//! SKUs the reviewer excludes, e.g. for a recount) becomes one
//! `CountAdjustment` [`StockMovement`] at the expected unit cost; the
//! session is then closed.

use chrono::NaiveDateTime;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ErrorCode;
use crate::money::{Currency, Money, RoundingRule};
use crate::permission::{Authorization, ManagerApproval, Operator, Permission, authorize};
use crate::stock::{MovementKind, StockMovement};

/// What is counted. JSON: `{"scope":"full"}` / `{"scope":"groups","groups":["DAIRY"]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "scope", rename_all = "snake_case")]
pub enum CountScope {
    /// Everything at the location.
    Full,
    /// Only products of these groups.
    Groups {
        /// Product groups.
        groups: Vec<String>,
    },
}

impl CountScope {
    fn covers(&self, group: Option<&str>) -> bool {
        match self {
            CountScope::Full => true,
            CountScope::Groups { groups } => group.is_some_and(|g| groups.iter().any(|x| x == g)),
        }
    }
}

/// One count entry from a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountEntry {
    /// Device id.
    pub device: String,
    /// The device's own entry number.
    pub entry_no: u64,
    /// SKU counted.
    pub sku: String,
    /// Quantity counted (≥ 0).
    pub qty: Decimal,
    /// When.
    pub at: NaiveDateTime,
    /// The entry of the same device this one replaces.
    #[serde(default)]
    pub corrects: Option<u64>,
}

/// The merged count of one SKU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountedQty {
    /// SKU.
    pub sku: String,
    /// Σ effective entries.
    pub qty: Decimal,
    /// Devices that counted it.
    pub devices: Vec<String>,
}

/// Expected stock of one SKU at review time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpectedStock {
    /// SKU.
    pub sku: String,
    /// Product group (for partial counts).
    pub group: Option<String>,
    /// On hand per the ledger.
    pub qty: Decimal,
    /// Average unit cost.
    pub unit_cost: Money,
}

/// Expected vs counted for one SKU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VarianceLine {
    /// SKU.
    pub sku: String,
    /// Expected.
    pub expected: Decimal,
    /// Counted (0 when nobody counted it).
    pub counted: Decimal,
    /// `counted − expected`.
    pub variance: Decimal,
    /// Unit cost used for the value and the adjustment.
    pub unit_cost: Money,
    /// `variance × unit cost`, rounded to the cent.
    pub value: Money,
    /// False when nobody counted the SKU.
    pub was_counted: bool,
}

/// What a counting device shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CounterLine {
    /// SKU.
    pub sku: String,
    /// Counted so far.
    pub counted: Decimal,
    /// Expected: always `None` in a blind count.
    pub expected: Option<Decimal>,
}

/// Open, approved or cancelled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum CountState {
    /// Counting.
    Open,
    /// Variances posted.
    Approved {
        /// Who approved.
        authorization: Authorization,
        /// When.
        at: NaiveDateTime,
    },
    /// Abandoned; nothing posted.
    Cancelled,
}

/// A count session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountSession {
    /// Session (document) id.
    pub id: Uuid,
    /// Location counted.
    pub location: String,
    /// Full or partial.
    pub scope: CountScope,
    /// Counters do not see expected quantities.
    pub blind: bool,
    /// Started at.
    pub started_at: NaiveDateTime,
    /// Entries from all devices, in arrival order.
    pub entries: Vec<CountEntry>,
    /// State.
    pub state: CountState,
}

/// Why a count action is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CountError {
    /// The session is approved or cancelled.
    #[error("the count session is closed — start a new count")]
    Closed,
    /// Needs a manager.
    #[error("'{0}' needs a manager — ask a manager to approve with their PIN")]
    NeedsManager(Permission),
    /// Negative quantity.
    #[error("{qty} of '{sku}' is not a count — enter zero or more")]
    InvalidQuantity {
        /// SKU.
        sku: String,
        /// Quantity.
        qty: Decimal,
    },
    /// A correction of an entry the device does not have.
    #[error("device {device} has no entry {entry_no} to correct — correct one of its own entries")]
    UnknownEntry {
        /// Device.
        device: String,
        /// Entry number.
        entry_no: u64,
    },
    /// A different entry under a number already used.
    #[error(
        "device {device} already sent a different entry {entry_no} — number entries uniquely per device"
    )]
    ConflictingEntry {
        /// Device.
        device: String,
        /// Entry number.
        entry_no: u64,
    },
}

impl ErrorCode for CountError {
    fn code(&self) -> &'static str {
        match self {
            CountError::Closed => "count.closed",
            CountError::NeedsManager(_) => "count.needs_manager",
            CountError::InvalidQuantity { .. } => "count.invalid_quantity",
            CountError::UnknownEntry { .. } => "count.unknown_entry",
            CountError::ConflictingEntry { .. } => "count.conflicting_entry",
        }
    }
}

impl CountSession {
    /// Start a session.
    pub fn start(
        id: Uuid,
        location: impl Into<String>,
        scope: CountScope,
        blind: bool,
        started_at: NaiveDateTime,
    ) -> CountSession {
        CountSession {
            id,
            location: location.into(),
            scope,
            blind,
            started_at,
            entries: Vec::new(),
            state: CountState::Open,
        }
    }

    fn ensure_open(&self) -> Result<(), CountError> {
        match self.state {
            CountState::Open => Ok(()),
            _ => Err(CountError::Closed),
        }
    }

    /// Add an entry from a device (idempotent for identical re-sends).
    pub fn add(&mut self, entry: CountEntry) -> Result<(), CountError> {
        self.ensure_open()?;
        if entry.qty < Decimal::ZERO {
            return Err(CountError::InvalidQuantity {
                sku: entry.sku,
                qty: entry.qty,
            });
        }
        if let Some(existing) = self
            .entries
            .iter()
            .find(|e| e.device == entry.device && e.entry_no == entry.entry_no)
        {
            if *existing == entry {
                return Ok(());
            }
            return Err(CountError::ConflictingEntry {
                device: entry.device,
                entry_no: entry.entry_no,
            });
        }
        if let Some(n) = entry.corrects
            && !self
                .entries
                .iter()
                .any(|e| e.device == entry.device && e.entry_no == n)
        {
            return Err(CountError::UnknownEntry {
                device: entry.device,
                entry_no: n,
            });
        }
        self.entries.push(entry);
        Ok(())
    }

    /// Cancel the session (nothing is posted).
    pub fn cancel(&mut self) -> Result<(), CountError> {
        self.ensure_open()?;
        self.state = CountState::Cancelled;
        Ok(())
    }

    /// Merged counts per SKU, sorted by SKU. See the module docs.
    pub fn merged(&self) -> Vec<CountedQty> {
        let replaced: Vec<(&str, u64)> = self
            .entries
            .iter()
            .filter_map(|e| e.corrects.map(|n| (e.device.as_str(), n)))
            .collect();
        let mut out: Vec<CountedQty> = Vec::new();
        for e in &self.entries {
            if replaced.contains(&(e.device.as_str(), e.entry_no)) {
                continue;
            }
            match out.iter_mut().find(|c| c.sku == e.sku) {
                Some(c) => {
                    c.qty += e.qty;
                    if !c.devices.contains(&e.device) {
                        c.devices.push(e.device.clone());
                    }
                }
                None => out.push(CountedQty {
                    sku: e.sku.clone(),
                    qty: e.qty,
                    devices: vec![e.device.clone()],
                }),
            }
        }
        out.sort_by(|a, b| a.sku.cmp(&b.sku));
        out
    }

    /// What a counting device may show (no expected figures when blind).
    pub fn counter_view(&self, expected: &[ExpectedStock]) -> Vec<CounterLine> {
        self.merged()
            .into_iter()
            .map(|c| CounterLine {
                expected: if self.blind {
                    None
                } else {
                    expected.iter().find(|e| e.sku == c.sku).map(|e| e.qty)
                },
                sku: c.sku,
                counted: c.qty,
            })
            .collect()
    }

    /// Variance lines against `expected`, sorted by SKU; lines where nothing
    /// was expected and nothing counted are left out.
    pub fn variances(&self, expected: &[ExpectedStock], currency: Currency) -> Vec<VarianceLine> {
        let merged = self.merged();
        let mut out: Vec<VarianceLine> = Vec::new();
        for e in expected {
            let counted = merged.iter().find(|c| c.sku == e.sku);
            if counted.is_none() && !self.scope.covers(e.group.as_deref()) {
                continue;
            }
            if counted.is_none() && e.qty.is_zero() {
                continue;
            }
            out.push(line(
                &e.sku,
                e.qty,
                counted.map(|c| c.qty),
                e.unit_cost,
                currency,
            ));
        }
        for c in &merged {
            if !expected.iter().any(|e| e.sku == c.sku) {
                out.push(line(
                    &c.sku,
                    Decimal::ZERO,
                    Some(c.qty),
                    Money::ZERO,
                    currency,
                ));
            }
        }
        out.sort_by(|a, b| a.sku.cmp(&b.sku));
        out
    }

    /// Approve: post every non-zero variance (except `exclude`) as a
    /// `CountAdjustment` movement and close the session.
    #[allow(clippy::too_many_arguments)]
    pub fn approve(
        &mut self,
        operator: &Operator,
        approval: Option<&ManagerApproval>,
        at: NaiveDateTime,
        expected: &[ExpectedStock],
        exclude: &[String],
        currency: Currency,
        mut new_id: impl FnMut() -> Uuid,
    ) -> Result<Vec<StockMovement>, CountError> {
        self.ensure_open()?;
        let authorization = authorize(operator, Permission::ApproveCount, approval)
            .map_err(|d| CountError::NeedsManager(d.permission))?;
        let movements = self
            .variances(expected, currency)
            .into_iter()
            .filter(|v| !v.variance.is_zero() && !exclude.contains(&v.sku))
            .map(|v| StockMovement {
                id: new_id(),
                sku: v.sku,
                location: self.location.clone(),
                batch: None,
                qty: v.variance,
                unit_cost: v.unit_cost,
                unit_sale_price: None,
                document_id: self.id,
                at,
                kind: MovementKind::CountAdjustment,
            })
            .collect();
        self.state = CountState::Approved { authorization, at };
        Ok(movements)
    }
}

fn line(
    sku: &str,
    expected: Decimal,
    counted: Option<Decimal>,
    unit_cost: Money,
    currency: Currency,
) -> VarianceLine {
    let c = counted.unwrap_or(Decimal::ZERO);
    let variance = c - expected;
    VarianceLine {
        sku: sku.to_string(),
        expected,
        counted: c,
        variance,
        unit_cost,
        value: currency.round(unit_cost.0 * variance, RoundingRule::HalfAwayFromZero),
        was_counted: counted.is_some(),
    }
}

#[cfg(test)]
mod tests;
