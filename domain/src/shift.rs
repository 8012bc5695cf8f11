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

fn add_to(list: &mut Vec<TenderAmount>, kind: TenderKind, amount: Money) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::permission::Role;
    use chrono::NaiveDate;
    use rust_decimal::Decimal;
    use rust_decimal_macros::dec;

    fn at(h: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 3, 14)
            .unwrap()
            .and_hms_opt(h, 0, 0)
            .unwrap()
    }

    fn m(d: Decimal) -> Money {
        Money(d)
    }

    fn ta(kind: TenderKind, d: Decimal) -> TenderAmount {
        TenderAmount { kind, amount: m(d) }
    }

    fn sale(total: Decimal, tenders: Vec<TenderAmount>, rounding: Decimal) -> ShiftEvent {
        ShiftEvent::Sale {
            document_id: Uuid::nil(),
            total: m(total),
            cash_rounding: m(rounding),
            discounts: m(dec!(0.5)),
            tenders,
            voucher_forfeited: Money::ZERO,
            vat: vec![VatGroup {
                class: "standard".into(),
                rate_percent: dec!(20),
                net: m(total - total / dec!(6)),
                vat: m(total / dec!(6)),
                gross: m(total),
            }],
            voided_lines: 1,
        }
    }

    fn busy_shift(blind: bool) -> (Shift, Operator) {
        let ana = Operator::new("ana", Role::Cashier);
        let mut s = Shift::open(Uuid::from_u128(1), &ana, at(8), m(dec!(100)), blind).unwrap();
        s.record(
            "ana",
            at(9),
            sale(dec!(12), vec![ta(TenderKind::Cash, dec!(12))], dec!(0)),
        )
        .unwrap();
        s.record(
            "ana",
            at(10),
            sale(
                dec!(30),
                vec![
                    ta(TenderKind::Card, dec!(20)),
                    ta(TenderKind::Cash, dec!(10.02)),
                ],
                dec!(0.02),
            ),
        )
        .unwrap();
        s.record(
            "ana",
            at(11),
            ShiftEvent::Return {
                document_id: Uuid::nil(),
                total: m(dec!(6)),
                cash_rounding: Money::ZERO,
                tenders: vec![ta(TenderKind::Cash, dec!(6))],
                vat: vec![VatGroup {
                    class: "standard".into(),
                    rate_percent: dec!(20),
                    net: m(dec!(5)),
                    vat: m(dec!(1)),
                    gross: m(dec!(6)),
                }],
                without_receipt: true,
            },
        )
        .unwrap();
        s.cash_in(&ana, at(12), m(dec!(50)), "change from bank")
            .unwrap();
        let boss = ManagerApproval::new("boris", Role::Manager);
        assert_eq!(
            s.cash_out(&ana, at(13), m(dec!(40)), "safe drop", None)
                .unwrap_err(),
            ShiftError::NeedsManager(Permission::CashOut)
        );
        let auth = s
            .cash_out(&ana, at(13), m(dec!(40)), "safe drop", Some(&boss))
            .unwrap();
        assert_eq!(auth.authorized_by, "boris");
        s.no_sale(&ana, at(14), None, None).unwrap();
        s.record(
            "ana",
            at(15),
            ShiftEvent::VoidedSale {
                document_id: Uuid::nil(),
                amount: m(dec!(3)),
            },
        )
        .unwrap();
        (s, ana)
    }

    #[test]
    fn x_report_from_events() {
        let (s, _) = busy_shift(false);
        let x = s.x_report();
        assert_eq!(x.float, m(dec!(100)));
        assert_eq!((x.sales_count, x.sales_total), (2, m(dec!(42))));
        assert_eq!((x.returns_count, x.returns_total), (1, m(dec!(6))));
        assert_eq!(x.returns_without_receipt, 1);
        assert_eq!(x.net_sales, m(dec!(36)));
        assert_eq!(x.discounts_total, m(dec!(1.0)));
        assert_eq!(x.cash_rounding_total, m(dec!(0.02)));
        assert_eq!(
            (x.cash_in, x.cash_out, x.no_sale_count),
            (m(dec!(50)), m(dec!(40)), 1)
        );
        assert_eq!(
            (x.voided_sales, x.voided_total, x.voided_lines),
            (1, m(dec!(3)), 2)
        );
        // cash: 100 + 12 + 10.02 − 6 + 50 − 40
        assert_eq!(x.expected(TenderKind::Cash), m(dec!(126.02)));
        assert_eq!(x.expected(TenderKind::Card), m(dec!(20)));
        assert_eq!(x.tenders.len(), 2);
        assert_eq!(x.vat.len(), 1);
        assert_eq!(x.vat[0].gross, m(dec!(36)));
        // X changes nothing: twice the same, and the shift stays open.
        assert_eq!(s.x_report(), x);
        assert_eq!(s.state, ShiftState::Open);
        // recomputable from stored events
        let json = serde_json::to_string(&s.records).unwrap();
        let back: Vec<ShiftRecord> = serde_json::from_str(&json).unwrap();
        assert_eq!(ShiftReport::from_records(&back), x);
    }

    #[test]
    fn close_with_variance_then_closed() {
        let (mut s, ana) = busy_shift(false);
        assert!(s.expected_for_close().is_some());
        assert_eq!(
            s.close(&ana, at(20), &[ta(TenderKind::Card, dec!(20))], 7)
                .unwrap_err(),
            ShiftError::CashNotCounted
        );
        let z = s
            .close(&ana, at(20), &[ta(TenderKind::Cash, dec!(125.50))], 7)
            .unwrap();
        assert_eq!(z.number, 7);
        let cash = z
            .variances
            .iter()
            .find(|v| v.kind == TenderKind::Cash)
            .unwrap();
        assert_eq!(
            (cash.expected, cash.counted, cash.variance),
            (m(dec!(126.02)), m(dec!(125.50)), m(dec!(-0.52)))
        );
        let card = z
            .variances
            .iter()
            .find(|v| v.kind == TenderKind::Card)
            .unwrap();
        assert_eq!(card.variance, Money::ZERO, "uncounted card = expected");
        assert_eq!(z.total_variance(), m(dec!(-0.52)));
        assert_eq!(s.state, ShiftState::Closed { z_number: 7 });
        let e = s.cash_in(&ana, at(21), m(dec!(1)), "late").unwrap_err();
        assert_eq!(e.code(), "shift.closed");
        assert_eq!(
            s.close(&ana, at(21), &[ta(TenderKind::Cash, dec!(1))], 8)
                .unwrap_err(),
            ShiftError::Closed(7)
        );
    }

    #[test]
    fn blind_close_hides_expected() {
        let (mut s, ana) = busy_shift(true);
        assert_eq!(s.expected_for_close(), None);
        let z = s
            .close(
                &ana,
                at(20),
                &[
                    ta(TenderKind::Cash, dec!(130)),
                    ta(TenderKind::Card, dec!(20)),
                ],
                1,
            )
            .unwrap();
        assert!(z.blind);
        assert_eq!(z.total_variance(), m(dec!(3.98)));
    }

    #[test]
    fn invalid_inputs_are_named() {
        let ana = Operator::new("ana", Role::Cashier);
        assert_eq!(
            Shift::open(Uuid::nil(), &ana, at(8), m(dec!(-1)), false)
                .unwrap_err()
                .code(),
            "shift.invalid_amount"
        );
        let mut s = Shift::open(Uuid::nil(), &ana, at(8), Money::ZERO, false).unwrap();
        assert_eq!(
            s.cash_in(&ana, at(9), m(dec!(0)), "x").unwrap_err().code(),
            "shift.invalid_amount"
        );
        assert_eq!(
            s.cash_in(&ana, at(9), m(dec!(5)), "  ").unwrap_err().code(),
            "shift.reason_required"
        );
        let x = s.x_report();
        assert_eq!(x.expected(TenderKind::Cash), Money::ZERO);
        assert_eq!(x.tenders.len(), 1);
    }

    #[test]
    fn events_from_completed_documents() {
        use crate::pricing::{PriceRule, quote};
        use crate::product::{Lifecycle, Unit};
        use crate::returns::{ReturnContext, ReturnRequestLine, return_against_sale};
        use crate::sale::{NewLine, ProductSnapshot, Sale, SaleConfig};
        use crate::tender::Tender;
        let ana = Operator::new("ana", Role::Cashier);
        let mut sale = Sale::new(
            Uuid::from_u128(5),
            SaleConfig::eur("S001"),
            ana.clone(),
            at(9),
        );
        sale.add_line(NewLine {
            product: ProductSnapshot {
                sku: "A".into(),
                name: "A".into(),
                unit: Unit::Piece,
                vat_class: "standard".into(),
                vat_rate_percent: dec!(20),
            },
            lifecycle: Lifecycle::Active,
            qty: dec!(2),
            quote: quote(m(dec!(6)), PriceRule::Manual, None, None),
        })
        .unwrap();
        sale.add_tender(Tender::card(m(dec!(2)))).unwrap();
        sale.add_tender(Tender::cash(m(dec!(20)))).unwrap();
        let done = sale.complete(at(9)).unwrap();
        let ctx = ReturnContext {
            id: Uuid::from_u128(6),
            operator: ana.clone(),
            at: at(10),
            cash_rounding: crate::money::CashRounding::none(crate::money::Currency::Eur),
            reason: None,
        };
        let ret = return_against_sale(
            &done,
            &[],
            &[ReturnRequestLine {
                line_no: 1,
                qty: dec!(1),
            }],
            &ctx,
            None,
            &[],
        )
        .unwrap();
        let mut s = Shift::open(Uuid::nil(), &ana, at(8), m(dec!(10)), false).unwrap();
        s.record("ana", at(9), ShiftEvent::from_sale(&done))
            .unwrap();
        s.record("ana", at(10), ShiftEvent::from_return(&ret))
            .unwrap();
        let x = s.x_report();
        // cash: 10 float + (20 − 10 change) − 6 refund
        assert_eq!(x.expected(TenderKind::Cash), m(dec!(14)));
        assert_eq!(x.expected(TenderKind::Card), m(dec!(2)));
        assert_eq!(x.net_sales, m(dec!(6)));
        assert_eq!(x.vat[0].vat, m(dec!(1)));
    }
}
