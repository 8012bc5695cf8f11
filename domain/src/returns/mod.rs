//! Returns: against the original sale, or without it (manager).
//!
//! Rules:
//! * **Against the original** ([`return_against_sale`]): per line, the
//!   returnable quantity is `sold − already returned` (earlier returns are
//!   passed in as [`ReturnedQty`]); asking for more is
//!   [`ReturnError::ExceedsReturnable`]. Needs [`Permission::Return`]
//!   (cashiers have it).
//! * **Refund price**: what the customer really paid for the line — the
//!   original net unit price after line, promotion and receipt discounts.
//!   To keep partial returns exact, the refund of a return is computed
//!   *cumulatively*: `round(paid × (before + qty) / sold) − round(paid ×
//!   before / sold)` (rounded half away from zero to the cent), so the
//!   refunds of all returns of a line always add up to exactly what was paid
//!   for it. VAT is split the same way from the line's original VAT, so a
//!   full return reverses the original VAT exactly.
//! * **Without the original** ([`return_without_receipt`]): needs
//!   [`Permission::ReturnWithoutReceipt`]; the refund is `unit price × qty`
//!   (rounded half away from zero), VAT computed per rate group with
//!   [`receipt_vat`].
//! * **Refund tenders** go through [`settle_refund`]: non-cash refunds may
//!   not exceed the refund; the rest is paid out in cash, cash-rounded (its
//!   own line); an empty tender list means all in cash.

use chrono::NaiveDateTime;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ErrorCode;
use crate::money::{CashRounding, Currency, Money, RoundingRule};
use crate::permission::{Authorization, ManagerApproval, Operator, Permission, authorize};
use crate::product::Unit;
use crate::sale::{CompletedSale, ProductSnapshot};
use crate::tax::{PriceMode, VatBreakdown, VatGroup, VatLine, receipt_vat};
use crate::tender::{RefundSettlement, Tender, TenderError, settle_refund};

/// Rounding of refund amounts: half away from zero to the cent.
pub const REFUND_ROUNDING: RoundingRule = RoundingRule::HalfAwayFromZero;

/// Quantity of an original line already returned by earlier returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnedQty {
    /// Original line number.
    pub line_no: u32,
    /// Quantity returned so far.
    pub qty: Decimal,
}

/// What can still be returned of an original line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnableLine {
    /// Original line number.
    pub line_no: u32,
    /// SKU.
    pub sku: String,
    /// Sold quantity.
    pub sold: Decimal,
    /// Already returned.
    pub returned: Decimal,
    /// `sold − returned`.
    pub returnable: Decimal,
    /// What was paid for the whole line.
    pub paid: Money,
}

/// A line to return from the original.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnRequestLine {
    /// Original line number.
    pub line_no: u32,
    /// Quantity to return.
    pub qty: Decimal,
}

/// A line to return without the original receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnreceiptedLine {
    /// Product snapshot.
    pub product: ProductSnapshot,
    /// Quantity.
    pub qty: Decimal,
    /// Unit price refunded.
    pub unit_price: Money,
    /// Unit cost for the stock movement.
    pub unit_cost: Option<Money>,
}

/// One returned line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnLine {
    /// The original line, when returned against a sale.
    pub original_line_no: Option<u32>,
    /// Product snapshot.
    pub product: ProductSnapshot,
    /// Quantity returned (positive; stock comes back).
    pub qty: Decimal,
    /// Amount refunded for the line (what the customer gets).
    pub refund: Money,
    /// VAT contained in (inclusive) or added to (exclusive) the refund.
    pub vat: Money,
    /// Unit cost for the stock movement.
    pub unit_cost: Option<Money>,
}

/// Who, where and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnContext {
    /// Document id of the return.
    pub id: Uuid,
    /// The cashier.
    pub operator: Operator,
    /// When.
    pub at: NaiveDateTime,
    /// Cash rounding of the currency.
    pub cash_rounding: CashRounding,
    /// Why (printed, audited).
    pub reason: Option<String>,
}

/// A completed return, ready to be written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletedReturn {
    /// Document id.
    pub id: Uuid,
    /// The original sale, if any.
    pub original_sale: Option<Uuid>,
    /// Cashier login.
    pub operator: String,
    /// When.
    pub at: NaiveDateTime,
    /// Currency.
    pub currency: Currency,
    /// Price mode.
    pub price_mode: PriceMode,
    /// Lines.
    pub lines: Vec<ReturnLine>,
    /// Σ line refunds (before cash rounding).
    pub refund_total: Money,
    /// VAT per rate group of the refund (positive figures).
    pub vat: VatBreakdown,
    /// Refund tenders as given.
    pub tenders: Vec<Tender>,
    /// Cash paid out, cash rounding, non-cash.
    pub refund: RefundSettlement,
    /// Who authorised it.
    pub authorization: Authorization,
    /// Why.
    pub reason: Option<String>,
}

/// Why a return cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReturnError {
    /// Needs a manager.
    #[error("'{0}' needs a manager — ask a manager to approve with their PIN")]
    NeedsManager(Permission),
    /// The original sale has no such line.
    #[error("the original sale has no line {0} — pick a line from the receipt")]
    NoSuchLine(u32),
    /// More than is left to return.
    #[error(
        "line {line_no}: {requested} asked but only {returnable} can still be returned (sold minus already returned)"
    )]
    ExceedsReturnable {
        /// Line.
        line_no: u32,
        /// Asked.
        requested: Decimal,
        /// Left.
        returnable: Decimal,
    },
    /// Zero, negative or fractional pieces.
    #[error(
        "quantity {qty} of '{sku}' cannot be returned — enter a positive quantity (whole for pieces)"
    )]
    InvalidQuantity {
        /// SKU.
        sku: String,
        /// Quantity.
        qty: Decimal,
    },
    /// Negative price on a return without receipt.
    #[error("price {0} is not possible — enter a price of zero or more")]
    InvalidPrice(Money),
    /// Nothing to return.
    #[error("the return has no lines — choose what is returned")]
    Empty,
    /// Refund tenders do not fit.
    #[error(transparent)]
    Tender(#[from] TenderError),
}

impl ErrorCode for ReturnError {
    fn code(&self) -> &'static str {
        match self {
            ReturnError::NeedsManager(_) => "return.needs_manager",
            ReturnError::NoSuchLine(_) => "return.no_such_line",
            ReturnError::ExceedsReturnable { .. } => "return.exceeds_returnable",
            ReturnError::InvalidQuantity { .. } => "return.invalid_quantity",
            ReturnError::InvalidPrice(_) => "return.invalid_price",
            ReturnError::Empty => "return.empty",
            ReturnError::Tender(e) => e.code(),
        }
    }
}

fn check_qty(product: &ProductSnapshot, qty: Decimal) -> Result<(), ReturnError> {
    if qty <= Decimal::ZERO || (product.unit == Unit::Piece && !qty.fract().is_zero()) {
        return Err(ReturnError::InvalidQuantity {
            sku: product.sku.clone(),
            qty,
        });
    }
    Ok(())
}

fn returned_of(already: &[ReturnedQty], line_no: u32) -> Decimal {
    already
        .iter()
        .filter(|r| r.line_no == line_no)
        .map(|r| r.qty)
        .sum()
}

/// What is still returnable of each line of `original`.
pub fn returnable_lines(original: &CompletedSale, already: &[ReturnedQty]) -> Vec<ReturnableLine> {
    original
        .lines
        .iter()
        .map(|l| {
            let returned = returned_of(already, l.line_no);
            ReturnableLine {
                line_no: l.line_no,
                sku: l.product.sku.clone(),
                sold: l.qty,
                returned,
                returnable: (l.qty - returned).max(Decimal::ZERO),
                paid: l.payable,
            }
        })
        .collect()
}

/// The cumulative share of `amount` for returning `qty` after `before` of `sold`.
fn share(amount: Money, before: Decimal, qty: Decimal, sold: Decimal, currency: Currency) -> Money {
    let upto = |q: Decimal| currency.round(amount.0 * q / sold, REFUND_ROUNDING);
    upto(before + qty) - upto(before)
}

fn breakdown(lines: &[ReturnLine]) -> VatBreakdown {
    let mut groups: Vec<VatGroup> = Vec::new();
    for l in lines {
        let rate = l.product.vat_rate_percent.normalize();
        // The refund is what the customer gets back: gross in both modes.
        let (net, gross) = (l.refund - l.vat, l.refund);
        match groups
            .iter_mut()
            .find(|g| g.class == l.product.vat_class && g.rate_percent == rate)
        {
            Some(g) => {
                g.net += net;
                g.vat += l.vat;
                g.gross += gross;
            }
            None => groups.push(VatGroup {
                class: l.product.vat_class.clone(),
                rate_percent: rate,
                net,
                vat: l.vat,
                gross,
            }),
        }
    }
    groups.sort_by(|a, b| {
        b.rate_percent
            .cmp(&a.rate_percent)
            .then_with(|| a.class.cmp(&b.class))
    });
    VatBreakdown {
        groups,
        per_line_vat: lines.iter().map(|l| l.vat).collect(),
    }
}

/// Return lines of `original`. See the module docs.
pub fn return_against_sale(
    original: &CompletedSale,
    already: &[ReturnedQty],
    request: &[ReturnRequestLine],
    ctx: &ReturnContext,
    approval: Option<&ManagerApproval>,
    refund_tenders: &[Tender],
) -> Result<CompletedReturn, ReturnError> {
    let authorization = authorize(&ctx.operator, Permission::Return, approval)
        .map_err(|d| ReturnError::NeedsManager(d.permission))?;
    // Sum requests per line so a line asked twice is checked as a whole.
    let mut wanted: Vec<(u32, Decimal)> = Vec::new();
    for r in request {
        match wanted.iter_mut().find(|(n, _)| *n == r.line_no) {
            Some((_, q)) => *q += r.qty,
            None => wanted.push((r.line_no, r.qty)),
        }
    }
    let mut lines = Vec::new();
    for (line_no, qty) in wanted {
        let ol = original
            .line(line_no)
            .ok_or(ReturnError::NoSuchLine(line_no))?;
        check_qty(&ol.product, qty)?;
        let before = returned_of(already, line_no);
        let returnable = (ol.qty - before).max(Decimal::ZERO);
        if qty > returnable {
            return Err(ReturnError::ExceedsReturnable {
                line_no,
                requested: qty,
                returnable,
            });
        }
        let c = original.currency;
        lines.push(ReturnLine {
            original_line_no: Some(line_no),
            product: ol.product.clone(),
            qty,
            refund: share(ol.payable, before, qty, ol.qty, c),
            vat: share(ol.vat, before, qty, ol.qty, c),
            unit_cost: ol.cost,
        });
    }
    if lines.is_empty() {
        return Err(ReturnError::Empty);
    }
    finish(
        lines,
        Some(original.id),
        original.currency,
        original.price_mode,
        ctx,
        authorization,
        refund_tenders,
        None,
    )
}

/// Return goods without the original receipt (manager). See the module docs.
pub fn return_without_receipt(
    lines: &[UnreceiptedLine],
    currency: Currency,
    price_mode: PriceMode,
    ctx: &ReturnContext,
    approval: Option<&ManagerApproval>,
    refund_tenders: &[Tender],
) -> Result<CompletedReturn, ReturnError> {
    let authorization = authorize(&ctx.operator, Permission::ReturnWithoutReceipt, approval)
        .map_err(|d| ReturnError::NeedsManager(d.permission))?;
    if lines.is_empty() {
        return Err(ReturnError::Empty);
    }
    let mut amounts = Vec::with_capacity(lines.len());
    for l in lines {
        check_qty(&l.product, l.qty)?;
        if l.unit_price.is_negative() {
            return Err(ReturnError::InvalidPrice(l.unit_price));
        }
        amounts.push(currency.round(l.unit_price.0 * l.qty, REFUND_ROUNDING));
    }
    let vat_lines: Vec<VatLine> = lines
        .iter()
        .zip(&amounts)
        .map(|(l, a)| VatLine {
            class: l.product.vat_class.clone(),
            rate_percent: l.product.vat_rate_percent,
            amount: *a,
        })
        .collect();
    let vat = receipt_vat(&vat_lines, price_mode, currency);
    let out: Vec<ReturnLine> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let line_vat = vat.per_line_vat.get(i).copied().unwrap_or(Money::ZERO);
            ReturnLine {
                original_line_no: None,
                product: l.product.clone(),
                qty: l.qty,
                refund: match price_mode {
                    PriceMode::Inclusive => amounts[i],
                    PriceMode::Exclusive => amounts[i] + line_vat,
                },
                vat: line_vat,
                unit_cost: l.unit_cost,
            }
        })
        .collect();
    finish(
        out,
        None,
        currency,
        price_mode,
        ctx,
        authorization,
        refund_tenders,
        Some(vat),
    )
}

#[allow(clippy::too_many_arguments)]
fn finish(
    lines: Vec<ReturnLine>,
    original_sale: Option<Uuid>,
    currency: Currency,
    price_mode: PriceMode,
    ctx: &ReturnContext,
    authorization: Authorization,
    refund_tenders: &[Tender],
    vat: Option<VatBreakdown>,
) -> Result<CompletedReturn, ReturnError> {
    let refund_total: Money = lines.iter().map(|l| l.refund).sum();
    let refund = settle_refund(refund_total, refund_tenders, &ctx.cash_rounding)?;
    let vat = vat.unwrap_or_else(|| breakdown(&lines));
    Ok(CompletedReturn {
        id: ctx.id,
        original_sale,
        operator: ctx.operator.login.clone(),
        at: ctx.at,
        currency,
        price_mode,
        lines,
        refund_total,
        vat,
        tenders: refund_tenders.to_vec(),
        refund,
        authorization,
        reason: ctx.reason.clone(),
    })
}

#[cfg(test)]
mod tests;
