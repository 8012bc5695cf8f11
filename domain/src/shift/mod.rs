//! Shifts and cash: open with a counted float, cash in/out, no-sale, X and Z
//! reports, close with counted amounts per tender.
//!
//! A shift is a list of [`ShiftRecord`]s (time, who, [`ShiftEvent`]); every
//! figure is computed from that list by [`ShiftReport::from_records`], so a
//! report can always be recomputed from the stored events and never drifts
//! from them.
//!
//! * **X report** ([`Shift::x_report`]): the figures so far; changes nothing.
//! * **Z report** ([`Shift::close`]): counted amounts per tender are compared
//!   with the expected ones, the variance is `counted − expected`, the report
//!   gets the Z number the terminal allocated (gapless, in the same
//!   transaction that stores it) and the shift is closed — nothing can be
//!   added afterwards.
//! * **Expected** per tender: cash = float + cash taken (net of change) −
//!   cash refunded + cash in − cash out; other tenders = taken − refunded.
//! * **Close counts**: cash must be counted ([`ShiftError::CashNotCounted`]);
//!   a non-cash tender that is not counted is taken as counted = expected
//!   (card totals usually come from the card terminal's own batch close).
//! * **Blind close**: when the shift is blind, [`Shift::expected_for_close`]
//!   returns `None`, so the cashier counts without seeing what is expected;
//!   the variance is only revealed by the Z report after counting.
//! * Cash out needs [`Permission::CashOut`]; a no-sale drawer open is allowed
//!   to cashiers ([`Permission::NoSale`]) but always logged and counted on
//!   the report (head office flags unusual counts).

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ErrorCode;
use crate::money::Money;
use crate::permission::{Authorization, ManagerApproval, Operator, Permission, authorize};
use crate::returns::CompletedReturn;
use crate::sale::CompletedSale;
use crate::tax::VatGroup;
use crate::tender::TenderKind;

/// An amount per tender kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenderAmount {
    /// Kind.
    pub kind: TenderKind,
    /// Amount.
    pub amount: Money,
}

/// Something that happened in a shift. JSON tagged by `"type"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ShiftEvent {
    /// Shift opened with a counted float.
    Opened {
        /// Cash in the drawer at the start.
        float: Money,
    },
    /// A completed sale.
    Sale {
        /// Document id.
        document_id: Uuid,
        /// Total before cash rounding.
        total: Money,
        /// Cash rounding line.
        cash_rounding: Money,
        /// Σ discounts.
        discounts: Money,
        /// What stayed per tender (cash net of change).
        tenders: Vec<TenderAmount>,
        /// Voucher value forfeited.
        voucher_forfeited: Money,
        /// VAT per rate group.
        vat: Vec<VatGroup>,
        /// Lines voided during the sale.
        voided_lines: u32,
    },
    /// A completed return.
    Return {
        /// Document id.
        document_id: Uuid,
        /// Refund before cash rounding.
        total: Money,
        /// Cash rounding of the cash payout.
        cash_rounding: Money,
        /// Paid out per tender.
        tenders: Vec<TenderAmount>,
        /// VAT per rate group of the refund.
        vat: Vec<VatGroup>,
        /// Without the original receipt.
        without_receipt: bool,
    },
    /// A sale voided as a whole.
    VoidedSale {
        /// Document id.
        document_id: Uuid,
        /// Its total when voided.
        amount: Money,
    },
    /// Cash put into the drawer.
    CashIn {
        /// Amount.
        amount: Money,
        /// Why.
        reason: String,
    },
    /// Cash taken out of the drawer.
    CashOut {
        /// Amount.
        amount: Money,
        /// Why.
        reason: String,
    },
    /// Drawer opened without a sale.
    NoSale {
        /// Why, if given.
        reason: Option<String>,
    },
}

impl ShiftEvent {
    /// The event of a completed sale.
    pub fn from_sale(sale: &CompletedSale) -> ShiftEvent {
        ShiftEvent::Sale {
            document_id: sale.id,
            total: sale.total,
            cash_rounding: sale.settlement.cash_rounding,
            discounts: sale.discount_total,
            tenders: sale
                .settlement
                .net_by_kind(&sale.tenders)
                .into_iter()
                .map(|(kind, amount)| TenderAmount { kind, amount })
                .collect(),
            voucher_forfeited: sale.settlement.voucher_forfeited,
            vat: sale.vat.groups.clone(),
            voided_lines: u32::try_from(sale.voided_lines.len()).unwrap_or(u32::MAX),
        }
    }

    /// The event of a completed return. With no tenders the refund was all
    /// cash.
    pub fn from_return(ret: &CompletedReturn) -> ShiftEvent {
        let mut tenders: Vec<TenderAmount> = Vec::new();
        for t in &ret.tenders {
            if t.kind == TenderKind::Cash {
                continue;
            }
            add_to(&mut tenders, t.kind, t.amount);
        }
        if !ret.refund.cash_paid_out.is_zero() {
            add_to(&mut tenders, TenderKind::Cash, ret.refund.cash_paid_out);
        }
        ShiftEvent::Return {
            document_id: ret.id,
            total: ret.refund_total,
            cash_rounding: ret.refund.cash_rounding,
            tenders,
            vat: ret.vat.groups.clone(),
            without_receipt: ret.original_sale.is_none(),
        }
    }
}

pub(super) fn add_to(list: &mut Vec<TenderAmount>, kind: TenderKind, amount: Money) {
    match list.iter_mut().find(|t| t.kind == kind) {
        Some(t) => t.amount += amount,
        None => list.push(TenderAmount { kind, amount }),
    }
}

/// An event with its time and author.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShiftRecord {
    /// When.
    pub at: NaiveDateTime,
    /// Login of who did it.
    pub by: String,
    /// What.
    pub event: ShiftEvent,
}

/// Open or closed (with the Z number).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ShiftState {
    /// Taking sales.
    Open,
    /// Closed by a Z report.
    Closed {
        /// Its Z number.
        z_number: u64,
    },
}

/// A shift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shift {
    /// Shift id.
    pub id: Uuid,
    /// Whether it closes blind.
    pub blind_close: bool,
    /// Events, first is `Opened`.
    pub records: Vec<ShiftRecord>,
    /// Open or closed.
    pub state: ShiftState,
}

/// Why a shift action is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShiftError {
    /// The shift is closed.
    #[error("the shift is closed (Z {0}) — open a new shift")]
    Closed(u64),
    /// Needs a manager.
    #[error("'{0}' needs a manager — ask a manager to approve with their PIN")]
    NeedsManager(Permission),
    /// Negative or zero amount.
    #[error(
        "{0} is not a valid amount here — enter an amount above zero (zero allowed for a float)"
    )]
    InvalidAmount(Money),
    /// Cash in/out without a reason.
    #[error("a cash movement needs a reason — type why the cash goes in or out")]
    ReasonRequired,
    /// Cash must be counted to close.
    #[error("count the cash in the drawer before closing the shift")]
    CashNotCounted,
}

impl ErrorCode for ShiftError {
    fn code(&self) -> &'static str {
        match self {
            ShiftError::Closed(_) => "shift.closed",
            ShiftError::NeedsManager(_) => "shift.needs_manager",
            ShiftError::InvalidAmount(_) => "shift.invalid_amount",
            ShiftError::ReasonRequired => "shift.reason_required",
            ShiftError::CashNotCounted => "shift.cash_not_counted",
        }
    }
}

impl Shift {
    /// Open a shift with a counted float.
    pub fn open(
        id: Uuid,
        by: &Operator,
        at: NaiveDateTime,
        float: Money,
        blind_close: bool,
    ) -> Result<Shift, ShiftError> {
        if float.is_negative() {
            return Err(ShiftError::InvalidAmount(float));
        }
        Ok(Shift {
            id,
            blind_close,
            records: vec![ShiftRecord {
                at,
                by: by.login.clone(),
                event: ShiftEvent::Opened { float },
            }],
            state: ShiftState::Open,
        })
    }

    /// Rebuild a shift from stored records (the first must be `Opened`).
    pub fn from_records(
        id: Uuid,
        blind_close: bool,
        records: Vec<ShiftRecord>,
        z_number: Option<u64>,
    ) -> Shift {
        Shift {
            id,
            blind_close,
            records,
            state: z_number.map_or(ShiftState::Open, |z_number| ShiftState::Closed { z_number }),
        }
    }

    fn ensure_open(&self) -> Result<(), ShiftError> {
        match self.state {
            ShiftState::Open => Ok(()),
            ShiftState::Closed { z_number } => Err(ShiftError::Closed(z_number)),
        }
    }

    /// Append an event (sale, return, voided sale…).
    pub fn record(
        &mut self,
        by: &str,
        at: NaiveDateTime,
        event: ShiftEvent,
    ) -> Result<(), ShiftError> {
        self.ensure_open()?;
        self.records.push(ShiftRecord {
            at,
            by: by.to_string(),
            event,
        });
        Ok(())
    }

    fn check_cash(amount: Money, reason: &str) -> Result<(), ShiftError> {
        if amount <= Money::ZERO {
            return Err(ShiftError::InvalidAmount(amount));
        }
        if reason.trim().is_empty() {
            return Err(ShiftError::ReasonRequired);
        }
        Ok(())
    }

    /// Put cash into the drawer.
    pub fn cash_in(
        &mut self,
        by: &Operator,
        at: NaiveDateTime,
        amount: Money,
        reason: &str,
    ) -> Result<(), ShiftError> {
        self.ensure_open()?;
        Self::check_cash(amount, reason)?;
        self.record(
            &by.login,
            at,
            ShiftEvent::CashIn {
                amount,
                reason: reason.to_string(),
            },
        )
    }

    /// Take cash out (needs [`Permission::CashOut`]).
    pub fn cash_out(
        &mut self,
        by: &Operator,
        at: NaiveDateTime,
        amount: Money,
        reason: &str,
        approval: Option<&ManagerApproval>,
    ) -> Result<Authorization, ShiftError> {
        self.ensure_open()?;
        Self::check_cash(amount, reason)?;
        let auth = authorize(by, Permission::CashOut, approval)
            .map_err(|d| ShiftError::NeedsManager(d.permission))?;
        self.record(
            &by.login,
            at,
            ShiftEvent::CashOut {
                amount,
                reason: reason.to_string(),
            },
        )?;
        Ok(auth)
    }

    /// Open the drawer without a sale (logged).
    pub fn no_sale(
        &mut self,
        by: &Operator,
        at: NaiveDateTime,
        reason: Option<String>,
        approval: Option<&ManagerApproval>,
    ) -> Result<Authorization, ShiftError> {
        self.ensure_open()?;
        let auth = authorize(by, Permission::NoSale, approval)
            .map_err(|d| ShiftError::NeedsManager(d.permission))?;
        self.record(&by.login, at, ShiftEvent::NoSale { reason })?;
        Ok(auth)
    }

    /// The X report: figures so far, nothing reset.
    pub fn x_report(&self) -> ShiftReport {
        ShiftReport::from_records(&self.records)
    }

    /// What the close screen may show before counting: `None` for a blind
    /// close.
    pub fn expected_for_close(&self) -> Option<Vec<TenderAmount>> {
        if self.blind_close {
            return None;
        }
        Some(
            self.x_report()
                .tenders
                .iter()
                .map(|t| TenderAmount {
                    kind: t.kind,
                    amount: t.expected,
                })
                .collect(),
        )
    }

    /// Close the shift with counted amounts: returns the Z report with the
    /// number the terminal allocated. See the module docs.
    pub fn close(
        &mut self,
        by: &Operator,
        at: NaiveDateTime,
        counted: &[TenderAmount],
        z_number: u64,
    ) -> Result<ZReport, ShiftError> {
        self.ensure_open()?;
        if !counted.iter().any(|c| c.kind == TenderKind::Cash) {
            return Err(ShiftError::CashNotCounted);
        }
        if let Some(bad) = counted.iter().find(|c| c.amount.is_negative()) {
            return Err(ShiftError::InvalidAmount(bad.amount));
        }
        let report = self.x_report();
        let mut kinds: Vec<TenderKind> = report.tenders.iter().map(|t| t.kind).collect();
        for c in counted {
            if !kinds.contains(&c.kind) {
                kinds.push(c.kind);
            }
        }
        kinds.sort();
        let variances = kinds
            .into_iter()
            .map(|kind| {
                let expected = report.expected(kind);
                let given: Vec<Money> = counted
                    .iter()
                    .filter(|c| c.kind == kind)
                    .map(|c| c.amount)
                    .collect();
                let counted = if given.is_empty() {
                    expected
                } else {
                    given.into_iter().sum()
                };
                TenderVariance {
                    kind,
                    expected,
                    counted,
                    variance: counted - expected,
                }
            })
            .collect();
        self.state = ShiftState::Closed { z_number };
        Ok(ZReport {
            number: z_number,
            shift_id: self.id,
            closed_at: at,
            closed_by: by.login.clone(),
            blind: self.blind_close,
            report,
            variances,
        })
    }
}

mod report;
#[cfg(test)]
mod tests;

pub use report::{ShiftReport, TenderSummary, TenderVariance, ZReport};
