//! X and Z report arithmetic over the documents of a shift.
//!
//! Expected per tender = Σ tenders of every document of the shift, grouped
//! by kind (the float and cash in are `+`, cash out `-`, sales net of
//! change, refunds `-`). Variance = counted − expected (negative = short).

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use kasa_domain::document::DocumentType;
use kasa_domain::money::Money;
use serde::{Deserialize, Serialize};

use super::{OpenShift, ShiftError};
use crate::documents::StoredDocument;

/// An amount per tender kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenderCount {
    /// `cash`, `card`, `voucher`, `on_account`.
    pub kind: String,
    /// Amount.
    pub amount: Money,
}

/// Expected vs counted for one tender kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenderVariance {
    /// Kind.
    pub kind: String,
    /// Expected in the drawer / on the terminal.
    pub expected: Option<Money>,
    /// Counted.
    pub counted: Money,
    /// counted − expected.
    pub variance: Option<Money>,
}

/// The figures of a shift so far (the X report).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShiftReport {
    /// Shift id.
    pub shift_id: String,
    /// Who opened it.
    pub opened_by: String,
    /// When.
    pub opened_at: String,
    /// Report time.
    pub at: NaiveDateTime,
    /// The float.
    pub float: Money,
    /// Completed sales.
    pub sales_count: u64,
    /// Σ sale totals.
    pub sales_total: Money,
    /// Σ VAT of sales.
    pub sales_vat: Money,
    /// Returns.
    pub returns_count: u64,
    /// Σ return totals (positive).
    pub returns_total: Money,
    /// Voided sales.
    pub voids_count: u64,
    /// Σ voided sale totals.
    pub voids_total: Money,
    /// Drawer opens without a sale.
    pub no_sale_count: u64,
    /// Σ cash in.
    pub cash_in_total: Money,
    /// Σ cash out (positive).
    pub cash_out_total: Money,
    /// Expected per tender kind.
    pub expected: Vec<TenderCount>,
}

/// The Z report: the X figures at close, counted amounts and variances.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZReport {
    /// Z number (its own gapless series).
    pub number: String,
    /// Who closed.
    pub closed_by: String,
    /// Blind close.
    pub blind: bool,
    /// The shift's figures.
    pub report: ShiftReport,
    /// Per tender: expected, counted, variance.
    pub tenders: Vec<TenderVariance>,
    /// Σ variance.
    pub total_variance: Option<Money>,
}

/// Parse `cash=512.30,card=800.00`.
pub fn parse_counted(text: &str) -> Result<Vec<TenderCount>, ShiftError> {
    let bad = || ShiftError::BadCounted(text.to_string());
    let mut out: Vec<TenderCount> = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (kind, amount) = part.split_once('=').ok_or_else(bad)?;
        let kind = kind.trim().to_ascii_lowercase();
        if kind.is_empty() || out.iter().any(|c| c.kind == kind) {
            return Err(bad());
        }
        let amount = Money::parse(amount.trim()).map_err(|_| bad())?;
        if amount.is_negative() {
            return Err(bad());
        }
        out.push(TenderCount { kind, amount });
    }
    if out.is_empty() {
        return Err(bad());
    }
    Ok(out)
}

/// Compute the X report from the shift's documents.
pub fn shift_report(shift: &OpenShift, docs: &[StoredDocument], at: NaiveDateTime) -> ShiftReport {
    let mut r = ShiftReport {
        shift_id: shift.id.to_string(),
        opened_by: shift.opened_by.clone(),
        opened_at: shift.opened_at.clone(),
        at,
        float: shift.float,
        sales_count: 0,
        sales_total: Money::ZERO,
        sales_vat: Money::ZERO,
        returns_count: 0,
        returns_total: Money::ZERO,
        voids_count: 0,
        voids_total: Money::ZERO,
        no_sale_count: 0,
        cash_in_total: Money::ZERO,
        cash_out_total: Money::ZERO,
        expected: Vec::new(),
    };
    let mut expected: BTreeMap<String, Money> = BTreeMap::new();
    expected.insert("cash".to_string(), Money::ZERO);
    for d in docs {
        match d.doc_type {
            DocumentType::Sale => {
                r.sales_count += 1;
                r.sales_total += d.total;
                r.sales_vat += d.vat_total;
            }
            DocumentType::Return => {
                r.returns_count += 1;
                r.returns_total += d.total.abs();
            }
            DocumentType::VoidSale => {
                r.voids_count += 1;
                r.voids_total += d.total;
            }
            DocumentType::NoSale => r.no_sale_count += 1,
            DocumentType::CashIn => r.cash_in_total += d.total,
            DocumentType::CashOut => r.cash_out_total += d.total.abs(),
            _ => {}
        }
        for t in &d.tenders {
            *expected.entry(t.kind.clone()).or_insert(Money::ZERO) += t.amount;
        }
    }
    r.expected = expected
        .into_iter()
        .map(|(kind, amount)| TenderCount { kind, amount })
        .collect();
    r
}

/// Build the Z report from the X figures and the counted amounts. Kinds
/// expected but not counted count as 0 counted.
pub fn z_report(
    report: ShiftReport,
    counted: &[TenderCount],
    closed_by: &str,
    blind: bool,
) -> ZReport {
    let mut kinds: Vec<String> = report.expected.iter().map(|e| e.kind.clone()).collect();
    for c in counted {
        if !kinds.contains(&c.kind) {
            kinds.push(c.kind.clone());
        }
    }
    let mut tenders = Vec::new();
    let mut total = Money::ZERO;
    for kind in kinds {
        let expected = report
            .expected
            .iter()
            .find(|e| e.kind == kind)
            .map(|e| e.amount)
            .unwrap_or(Money::ZERO);
        let counted = counted
            .iter()
            .find(|c| c.kind == kind)
            .map(|c| c.amount)
            .unwrap_or(Money::ZERO);
        let variance = counted - expected;
        total += variance;
        tenders.push(TenderVariance {
            kind,
            expected: Some(expected),
            counted,
            variance: Some(variance),
        });
    }
    ZReport {
        number: String::new(),
        closed_by: closed_by.to_string(),
        blind,
        report,
        tenders,
        total_variance: Some(total),
    }
}

impl ZReport {
    /// The view for the person who closed blind: no expected amounts, no
    /// variances.
    pub fn blinded(mut self) -> ZReport {
        for t in &mut self.tenders {
            t.expected = None;
            t.variance = None;
        }
        self.total_variance = None;
        self.report.expected.clear();
        self
    }

    /// Text form.
    pub fn describe(&self) -> String {
        let mut s = format!("Z report {} (closed by {})\n", self.number, self.closed_by);
        s.push_str(&self.report.describe());
        s.push_str("tender        expected     counted    variance\n");
        let opt = |m: Option<Money>| m.map(|m| m.to_string()).unwrap_or_else(|| "-".to_string());
        for t in &self.tenders {
            s.push_str(&format!(
                "{:<12} {:>9} {:>11} {:>11}\n",
                t.kind,
                opt(t.expected),
                t.counted,
                opt(t.variance)
            ));
        }
        match self.total_variance {
            Some(v) => s.push_str(&format!("total variance {v}\n")),
            None => s.push_str("blind close: the variance is recorded for the manager\n"),
        }
        s
    }
}

impl ShiftReport {
    /// Text form.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "shift {} opened by {} at {}\n\
             float          {:>10}\n\
             sales    {:>4}  {:>10}  (VAT {})\n\
             returns  {:>4}  {:>10}\n\
             voids    {:>4}  {:>10}\n\
             no-sale  {:>4}\n\
             cash in        {:>10}\n\
             cash out       {:>10}\n",
            self.shift_id,
            self.opened_by,
            self.opened_at,
            self.float,
            self.sales_count,
            self.sales_total,
            self.sales_vat,
            self.returns_count,
            self.returns_total,
            self.voids_count,
            self.voids_total,
            self.no_sale_count,
            self.cash_in_total,
            self.cash_out_total,
        );
        for e in &self.expected {
            s.push_str(&format!("expected {:<10} {:>10}\n", e.kind, e.amount));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn counted_parsing_table() {
        let ok = parse_counted("cash=512.30, card=800.00").unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[0].amount, Money(dec!(512.30)));
        for bad in ["", "cash", "cash=abc", "cash=1,cash=2", "cash=-1", "=5"] {
            assert!(parse_counted(bad).is_err(), "{bad:?}");
        }
    }

    fn report_with(expected: &[(&str, Money)]) -> ShiftReport {
        ShiftReport {
            shift_id: "s".into(),
            opened_by: "ana".into(),
            opened_at: "t".into(),
            at: chrono::NaiveDate::from_ymd_opt(2026, 1, 2)
                .unwrap()
                .and_hms_opt(9, 0, 0)
                .unwrap(),
            float: Money(dec!(100)),
            sales_count: 0,
            sales_total: Money::ZERO,
            sales_vat: Money::ZERO,
            returns_count: 0,
            returns_total: Money::ZERO,
            voids_count: 0,
            voids_total: Money::ZERO,
            no_sale_count: 0,
            cash_in_total: Money::ZERO,
            cash_out_total: Money::ZERO,
            expected: expected
                .iter()
                .map(|(k, a)| TenderCount {
                    kind: k.to_string(),
                    amount: *a,
                })
                .collect(),
        }
    }

    #[test]
    fn variance_is_counted_minus_expected_and_blind_hides_it() {
        let x = report_with(&[("card", Money(dec!(80))), ("cash", Money(dec!(150.50)))]);
        let counted = parse_counted("cash=150.00,voucher=5").unwrap();
        let z = z_report(x, &counted, "boris", true);
        let by = |k: &str| z.tenders.iter().find(|t| t.kind == k).unwrap().clone();
        assert_eq!(by("cash").variance, Some(Money(dec!(-0.50))));
        assert_eq!(by("card").variance, Some(Money(dec!(-80))));
        assert_eq!(by("voucher").variance, Some(Money(dec!(5))));
        assert_eq!(z.total_variance, Some(Money(dec!(-75.50))));
        let b = z.blinded();
        assert!(
            b.tenders
                .iter()
                .all(|t| t.expected.is_none() && t.variance.is_none())
        );
        assert!(b.describe().contains("blind close"));
    }
}
