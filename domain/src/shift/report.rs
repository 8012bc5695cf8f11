//! Shift figures computed from the events: the X report and the body of
//! the Z report, expected vs counted per tender.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{ShiftEvent, ShiftRecord, TenderAmount, add_to};
use crate::money::Money;
use crate::tax::VatGroup;
use crate::tender::TenderKind;

/// Per tender: taken, refunded, expected in the till.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenderSummary {
    /// Kind.
    pub kind: TenderKind,
    /// Taken in sales (cash net of change).
    pub taken: Money,
    /// Paid out in refunds.
    pub refunded: Money,
    /// Expected at close (cash includes float and cash in/out).
    pub expected: Money,
}

/// The figures of a shift (X report; the body of a Z report).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ShiftReport {
    /// When the shift was opened.
    pub opened_at: Option<NaiveDateTime>,
    /// Opening float.
    pub float: Money,
    /// Number of sales.
    pub sales_count: u32,
    /// Σ sale totals.
    pub sales_total: Money,
    /// Σ discounts given.
    pub discounts_total: Money,
    /// Number of returns.
    pub returns_count: u32,
    /// Σ refunds.
    pub returns_total: Money,
    /// Returns without receipt.
    pub returns_without_receipt: u32,
    /// `sales_total − returns_total`.
    pub net_sales: Money,
    /// Σ cash rounding (sales minus refunds).
    pub cash_rounding_total: Money,
    /// Voucher value forfeited.
    pub voucher_forfeited: Money,
    /// Number of voided sales.
    pub voided_sales: u32,
    /// Σ voided sale amounts.
    pub voided_total: Money,
    /// Lines voided within completed sales.
    pub voided_lines: u32,
    /// Σ cash in.
    pub cash_in: Money,
    /// Σ cash out.
    pub cash_out: Money,
    /// Drawer opens without a sale.
    pub no_sale_count: u32,
    /// Per tender kind.
    pub tenders: Vec<TenderSummary>,
    /// VAT per rate group, sales minus returns.
    pub vat: Vec<VatGroup>,
}

fn add_vat(into: &mut Vec<VatGroup>, groups: &[VatGroup], sign: i8) {
    for g in groups {
        let (net, vat, gross) = if sign < 0 {
            (-g.net, -g.vat, -g.gross)
        } else {
            (g.net, g.vat, g.gross)
        };
        match into
            .iter_mut()
            .find(|x| x.class == g.class && x.rate_percent == g.rate_percent)
        {
            Some(x) => {
                x.net += net;
                x.vat += vat;
                x.gross += gross;
            }
            None => into.push(VatGroup {
                class: g.class.clone(),
                rate_percent: g.rate_percent,
                net,
                vat,
                gross,
            }),
        }
    }
}

impl ShiftReport {
    /// Compute the report from the shift's records.
    pub fn from_records(records: &[ShiftRecord]) -> ShiftReport {
        let mut r = ShiftReport::default();
        let mut taken: Vec<TenderAmount> = Vec::new();
        let mut refunded: Vec<TenderAmount> = Vec::new();
        for rec in records {
            match &rec.event {
                ShiftEvent::Opened { float } => {
                    r.opened_at = Some(rec.at);
                    r.float = *float;
                }
                ShiftEvent::Sale {
                    total,
                    cash_rounding,
                    discounts,
                    tenders,
                    voucher_forfeited,
                    vat,
                    voided_lines,
                    ..
                } => {
                    r.sales_count += 1;
                    r.sales_total += *total;
                    r.discounts_total += *discounts;
                    r.cash_rounding_total += *cash_rounding;
                    r.voucher_forfeited += *voucher_forfeited;
                    r.voided_lines += voided_lines;
                    for t in tenders {
                        add_to(&mut taken, t.kind, t.amount);
                    }
                    add_vat(&mut r.vat, vat, 1);
                }
                ShiftEvent::Return {
                    total,
                    cash_rounding,
                    tenders,
                    vat,
                    without_receipt,
                    ..
                } => {
                    r.returns_count += 1;
                    r.returns_total += *total;
                    r.cash_rounding_total -= *cash_rounding;
                    if *without_receipt {
                        r.returns_without_receipt += 1;
                    }
                    for t in tenders {
                        add_to(&mut refunded, t.kind, t.amount);
                    }
                    add_vat(&mut r.vat, vat, -1);
                }
                ShiftEvent::VoidedSale { amount, .. } => {
                    r.voided_sales += 1;
                    r.voided_total += *amount;
                }
                ShiftEvent::CashIn { amount, .. } => r.cash_in += *amount,
                ShiftEvent::CashOut { amount, .. } => r.cash_out += *amount,
                ShiftEvent::NoSale { .. } => r.no_sale_count += 1,
            }
        }
        r.net_sales = r.sales_total - r.returns_total;
        let amount_of = |list: &[TenderAmount], k: TenderKind| {
            list.iter()
                .filter(|t| t.kind == k)
                .map(|t| t.amount)
                .sum::<Money>()
        };
        for kind in TenderKind::ALL {
            let t = amount_of(&taken, kind);
            let f = amount_of(&refunded, kind);
            let mut expected = t - f;
            if kind == TenderKind::Cash {
                expected += r.float + r.cash_in - r.cash_out;
            }
            let used =
                kind == TenderKind::Cash || taken.iter().chain(&refunded).any(|x| x.kind == kind);
            if used {
                r.tenders.push(TenderSummary {
                    kind,
                    taken: t,
                    refunded: f,
                    expected,
                });
            }
        }
        r.vat.sort_by(|a, b| {
            b.rate_percent
                .cmp(&a.rate_percent)
                .then_with(|| a.class.cmp(&b.class))
        });
        r
    }

    /// Expected amount for a tender kind.
    pub fn expected(&self, kind: TenderKind) -> Money {
        self.tenders
            .iter()
            .find(|t| t.kind == kind)
            .map_or(Money::ZERO, |t| t.expected)
    }
}

/// Expected vs counted for one tender.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenderVariance {
    /// Kind.
    pub kind: TenderKind,
    /// Expected.
    pub expected: Money,
    /// Counted.
    pub counted: Money,
    /// `counted − expected` (negative = short).
    pub variance: Money,
}

/// The Z report: numbered, immutable, closes the shift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZReport {
    /// Z number (allocated by the terminal, gapless).
    pub number: u64,
    /// Shift id.
    pub shift_id: Uuid,
    /// When closed.
    pub closed_at: NaiveDateTime,
    /// Who closed.
    pub closed_by: String,
    /// Whether the close was blind.
    pub blind: bool,
    /// The figures.
    pub report: ShiftReport,
    /// Expected vs counted per tender.
    pub variances: Vec<TenderVariance>,
}

impl ZReport {
    /// Σ variance over all tenders (cash over/short for the books).
    pub fn total_variance(&self) -> Money {
        self.variances.iter().map(|v| v.variance).sum()
    }
}
