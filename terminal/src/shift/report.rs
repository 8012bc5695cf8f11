//! Shift reports: the stored documents of a shift as the domain's shift
//! records, and the views the CLI and UI show.
//!
//! The arithmetic (expected per tender, variance, totals) is
//! [`kasa_domain::shift`]; here each document of the shift is turned back
//! into the [`ShiftRecord`] it stands for (a sale's record comes from its
//! stored completed sale, a return's from its completed return…), so a
//! report is always recomputed from what is durable.

use chrono::NaiveDateTime;
use kasa_domain::document::DocumentType;
use kasa_domain::money::Money;
use kasa_domain::returns::CompletedReturn;
use kasa_domain::sale::CompletedSale;
use kasa_domain::shift::{ShiftEvent, ShiftRecord, ShiftReport, TenderAmount, ZReport};
use kasa_domain::tender::TenderKind;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::ShiftError;
use crate::documents::{DocumentError, StoredDocument};

fn corrupt(doc: &StoredDocument, e: serde_json::Error) -> ShiftError {
    ShiftError::Documents(DocumentError::Corrupt(doc.id.to_string(), e.to_string()))
}

fn body_money(doc: &StoredDocument, key: &str) -> Money {
    doc.body
        .get(key)
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or(Money::ZERO)
}

fn body_text(doc: &StoredDocument, key: &str) -> Option<String> {
    doc.body
        .get(key)
        .and_then(|v| v.as_str())
        .map(str::to_string)
}

/// The shift record a stored document stands for (`None` for documents
/// that do not change the shift's figures: close, Z).
pub fn record_of(doc: &StoredDocument) -> Result<Option<ShiftRecord>, ShiftError> {
    let event = match doc.doc_type {
        DocumentType::ShiftOpen => ShiftEvent::Opened {
            float: body_money(doc, "float"),
        },
        DocumentType::Sale => {
            let sale: CompletedSale =
                serde_json::from_value(doc.body.clone()).map_err(|e| corrupt(doc, e))?;
            ShiftEvent::from_sale(&sale)
        }
        DocumentType::Return => {
            let ret: CompletedReturn =
                serde_json::from_value(doc.body.clone()).map_err(|e| corrupt(doc, e))?;
            ShiftEvent::from_return(&ret)
        }
        DocumentType::VoidSale => ShiftEvent::VoidedSale {
            document_id: doc.id,
            amount: doc.total,
        },
        DocumentType::CashIn => ShiftEvent::CashIn {
            amount: body_money(doc, "amount"),
            reason: body_text(doc, "reason").unwrap_or_default(),
        },
        DocumentType::CashOut => ShiftEvent::CashOut {
            amount: body_money(doc, "amount"),
            reason: body_text(doc, "reason").unwrap_or_default(),
        },
        DocumentType::NoSale => ShiftEvent::NoSale {
            reason: body_text(doc, "reason"),
        },
        _ => return Ok(None),
    };
    Ok(Some(ShiftRecord {
        at: doc.completed_at,
        by: doc.author.clone(),
        event,
    }))
}

/// The records of a shift's documents, in order.
pub fn records_of(docs: &[StoredDocument]) -> Result<Vec<ShiftRecord>, ShiftError> {
    let mut out = Vec::with_capacity(docs.len());
    for d in docs {
        if let Some(r) = record_of(d)? {
            out.push(r);
        }
    }
    Ok(out)
}

/// Parse `cash=512.30,card=800.00` (kinds: cash, card, voucher, on_account).
pub fn parse_counted(text: &str) -> Result<Vec<TenderAmount>, ShiftError> {
    let bad = || ShiftError::BadCounted(text.to_string());
    let mut out: Vec<TenderAmount> = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (kind, amount) = part.split_once('=').ok_or_else(bad)?;
        let kind = TenderKind::ALL
            .into_iter()
            .find(|k| k.name() == kind.trim().to_ascii_lowercase())
            .ok_or_else(bad)?;
        if out.iter().any(|c| c.kind == kind) {
            return Err(bad());
        }
        let amount = Money::parse(amount.trim()).map_err(|_| bad())?;
        if amount.is_negative() {
            return Err(bad());
        }
        out.push(TenderAmount { kind, amount });
    }
    if out.is_empty() {
        return Err(bad());
    }
    Ok(out)
}

/// The X report of the open shift.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct XReport {
    /// Shift id.
    pub shift_id: Uuid,
    /// Who opened it.
    pub opened_by: String,
    /// When the report was made.
    pub at: NaiveDateTime,
    /// The figures.
    #[serde(flatten)]
    pub report: ShiftReport,
}

fn fixed(m: Money) -> String {
    format!("{:.2}", m.0)
}

fn describe_report(r: &ShiftReport, show_expected: bool) -> String {
    let mut s = format!(
        "opened           {}\n\
         float            {:>10}\n\
         sales     {:>5}  {:>10}  (discounts {})\n\
         returns   {:>5}  {:>10}  ({} without receipt)\n\
         net sales        {:>10}\n\
         voided    {:>5}  {:>10}  ({} lines voided)\n\
         no-sale   {:>5}\n\
         cash in          {:>10}\n\
         cash out         {:>10}\n",
        r.opened_at.map(|t| t.to_string()).unwrap_or_default(),
        fixed(r.float),
        r.sales_count,
        fixed(r.sales_total),
        fixed(r.discounts_total),
        r.returns_count,
        fixed(r.returns_total),
        r.returns_without_receipt,
        fixed(r.net_sales),
        r.voided_sales,
        fixed(r.voided_total),
        r.voided_lines,
        r.no_sale_count,
        fixed(r.cash_in),
        fixed(r.cash_out),
    );
    for g in &r.vat {
        s.push_str(&format!(
            "VAT {:<9} {:>5}%  net {:>10}  vat {:>9}\n",
            g.class,
            g.rate_percent,
            fixed(g.net),
            fixed(g.vat)
        ));
    }
    if show_expected {
        s.push_str("tender         taken   refunded   expected\n");
        for t in &r.tenders {
            s.push_str(&format!(
                "{:<10} {:>9} {:>10} {:>10}\n",
                t.kind.name(),
                fixed(t.taken),
                fixed(t.refunded),
                fixed(t.expected)
            ));
        }
    }
    s
}

impl XReport {
    /// Text form.
    pub fn describe(&self) -> String {
        format!(
            "X report — shift {} opened by {} (at {})\n{}",
            self.shift_id,
            self.opened_by,
            self.at,
            describe_report(&self.report, true)
        )
    }
}

/// One tender of a Z report as shown; expected and variance hidden from
/// the person who closed blind.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ZTenderView {
    /// Kind.
    pub kind: TenderKind,
    /// Expected (hidden on a blind close).
    pub expected: Option<Money>,
    /// Counted.
    pub counted: Money,
    /// counted − expected (hidden on a blind close).
    pub variance: Option<Money>,
}

/// A Z report as shown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ZView {
    /// 10-digit Z number.
    pub number: String,
    /// Shift id.
    pub shift_id: Uuid,
    /// Who closed.
    pub closed_by: String,
    /// When.
    pub closed_at: NaiveDateTime,
    /// Blind close.
    pub blind: bool,
    /// Figures (without expected amounts when hidden).
    pub report: ShiftReport,
    /// Per tender.
    pub tenders: Vec<ZTenderView>,
    /// Σ variance (hidden on a blind close).
    pub total_variance: Option<Money>,
}

impl ZView {
    /// The full view (manager, `kasa report z`), or with `hide_expected` the
    /// blind view for the person who just counted.
    pub fn of(z: &ZReport, hide_expected: bool) -> ZView {
        let mut report = z.report.clone();
        if hide_expected {
            report.tenders.clear();
        }
        ZView {
            number: kasa_domain::numbering::DocNumber(z.number).to_string(),
            shift_id: z.shift_id,
            closed_by: z.closed_by.clone(),
            closed_at: z.closed_at,
            blind: z.blind,
            report,
            tenders: z
                .variances
                .iter()
                .map(|v| ZTenderView {
                    kind: v.kind,
                    expected: (!hide_expected).then_some(v.expected),
                    counted: v.counted,
                    variance: (!hide_expected).then_some(v.variance),
                })
                .collect(),
            total_variance: (!hide_expected).then(|| z.total_variance()),
        }
    }

    /// Text form.
    pub fn describe(&self) -> String {
        let hidden = self.total_variance.is_none();
        let mut s = format!(
            "Z report {} — shift {} closed by {} at {}\n",
            self.number, self.shift_id, self.closed_by, self.closed_at
        );
        s.push_str(&describe_report(&self.report, !hidden));
        s.push_str("tender      expected    counted   variance\n");
        let opt = |m: Option<Money>| m.map(fixed).unwrap_or_else(|| "-".to_string());
        for t in &self.tenders {
            s.push_str(&format!(
                "{:<10} {:>9} {:>10} {:>10}\n",
                t.kind.name(),
                opt(t.expected),
                fixed(t.counted),
                opt(t.variance)
            ));
        }
        match self.total_variance {
            Some(v) => s.push_str(&format!("total variance {}\n", fixed(v))),
            None => s.push_str(
                "blind close: the variance is recorded for the manager (`kasa report z`)\n",
            ),
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kasa_domain::permission::{Operator, Role};
    use kasa_domain::shift::Shift;
    use rust_decimal_macros::dec;

    #[test]
    fn counted_parsing_table() {
        let ok = parse_counted("cash=512.30, card=800.00").unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[0].kind, TenderKind::Cash);
        assert_eq!(ok[0].amount, Money(dec!(512.30)));
        for bad in [
            "",
            "cash",
            "cash=abc",
            "cash=1,cash=2",
            "cash=-1",
            "=5",
            "gold=5",
        ] {
            assert!(parse_counted(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn blind_view_hides_expected_and_variance_but_keeps_counted() {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 1, 2)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap();
        let boss = Operator::new("boris", Role::Manager);
        let mut shift = Shift::open(Uuid::nil(), &boss, at, Money(dec!(100)), true).unwrap();
        shift.cash_in(&boss, at, Money(dec!(20)), "coins").unwrap();
        let z = shift
            .close(&boss, at, &parse_counted("cash=119.50").unwrap(), 7)
            .unwrap();
        let full = ZView::of(&z, false);
        assert_eq!(full.number, "0000000007");
        assert_eq!(full.total_variance, Some(Money(dec!(-0.50))));
        let blind = ZView::of(&z, true);
        assert!(
            blind
                .tenders
                .iter()
                .all(|t| t.expected.is_none() && t.variance.is_none())
        );
        assert_eq!(blind.tenders[0].counted, Money(dec!(119.50)));
        assert!(blind.report.tenders.is_empty());
        assert!(blind.describe().contains("blind close"));
    }
}
