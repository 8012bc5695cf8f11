//! What a completed (or voided) sale shows: number, totals, VAT groups,
//! change — the receipt's figures, as text or JSON.

use kasa_domain::money::Money;
use kasa_domain::sale::CompletedSale;
use kasa_domain::tax::VatGroup;
use rust_decimal::Decimal;
use serde::Serialize;
use uuid::Uuid;

use crate::documents::{CompletedDocument, StoredDocument};
use kasa_domain::document::DocumentType;
use kasa_domain::tax::PriceMode;

use super::SaleError;

/// A line of the result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SaleLineResult {
    /// Line number.
    pub line_no: u32,
    /// SKU.
    pub sku: String,
    /// Name.
    pub name: String,
    /// Quantity.
    pub qty: Decimal,
    /// Unit price.
    pub unit_price: Money,
    /// All discounts on the line.
    pub discount: Money,
    /// What the customer pays for it.
    pub total: Money,
    /// VAT rate.
    pub vat_rate: Decimal,
}

/// The result of completing or voiding a sale.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SaleResult {
    /// Document id.
    pub id: Uuid,
    /// Document number.
    pub number: String,
    /// Bulgarian N-18 unique sale number (`XXXXXXXX-ZZZZ-0000001`) of a
    /// completed sale.
    pub sale_number: Option<String>,
    /// `completed`, `voided` or `returned`.
    pub status: &'static str,
    /// Total.
    pub total: Money,
    /// VAT total.
    pub vat_total: Money,
    /// VAT per rate group.
    pub vat: Vec<VatGroup>,
    /// Lines.
    pub lines: Vec<SaleLineResult>,
    /// Tenders `(kind, amount)`.
    pub tenders: Vec<(String, Money)>,
    /// Change given.
    pub change: Money,
    /// Cash rounding adjustment.
    pub cash_rounding: Money,
    /// Journal sequence.
    pub journal_seq: Option<u64>,
    /// Outbox sequence.
    pub outbox_seq: u64,
}

impl SaleResult {
    pub(super) fn completed(
        doc: &CompletedDocument,
        sale: &CompletedSale,
        sale_number: Option<String>,
    ) -> SaleResult {
        SaleResult {
            id: doc.id,
            number: doc.number.clone(),
            sale_number,
            status: "completed",
            total: sale.total,
            vat_total: sale.vat.total_vat(),
            vat: sale.vat.groups.clone(),
            lines: sale
                .lines
                .iter()
                .map(|l| SaleLineResult {
                    line_no: l.line_no,
                    sku: l.product.sku.clone(),
                    name: l.product.name.clone(),
                    qty: l.qty,
                    unit_price: l.unit_price,
                    discount: l.discount_total(),
                    total: l.payable,
                    vat_rate: l.product.vat_rate_percent,
                })
                .collect(),
            tenders: sale
                .tenders
                .iter()
                .map(|t| (t.kind.name().to_string(), t.amount))
                .collect(),
            change: sale.change(),
            cash_rounding: sale.cash_rounding(),
            journal_seq: doc.journal_seq,
            outbox_seq: doc.outbox_seq,
        }
    }

    pub(super) fn voided(doc: &CompletedDocument, total: Money) -> SaleResult {
        SaleResult {
            id: doc.id,
            number: doc.number.clone(),
            sale_number: None,
            status: "voided",
            total,
            vat_total: Money::ZERO,
            vat: Vec::new(),
            lines: Vec::new(),
            tenders: Vec::new(),
            change: Money::ZERO,
            cash_rounding: Money::ZERO,
            journal_seq: doc.journal_seq,
            outbox_seq: doc.outbox_seq,
        }
    }

    /// The result of a stored sale (from its body, exactly as it was
    /// completed) or return (from its lines and tenders; status
    /// `returned`, amounts negative), for a reprint.
    pub fn from_document(doc: &StoredDocument, mode: PriceMode) -> Result<SaleResult, SaleError> {
        let completed = CompletedDocument {
            id: doc.id,
            doc_type: doc.doc_type,
            number: doc.number.clone(),
            journal_seq: doc.journal_seq,
            outbox_seq: 0,
        };
        match doc.doc_type {
            DocumentType::Sale => {
                let sale: CompletedSale = serde_json::from_value(doc.body.clone())
                    .map_err(|e| SaleError::Corrupt(format!("sale {}: {e}", doc.number)))?;
                let sale_number = doc.body[super::complete::N18_BODY_KEY]
                    .as_str()
                    .map(str::to_string);
                Ok(SaleResult::completed(&completed, &sale, sale_number))
            }
            _ => Ok(SaleResult {
                id: doc.id,
                number: doc.number.clone(),
                sale_number: None,
                status: "returned",
                total: doc.total,
                vat_total: doc.vat_total,
                vat: super::receipt::vat_groups_of_lines(&doc.lines, mode),
                lines: doc
                    .lines
                    .iter()
                    .map(|l| SaleLineResult {
                        line_no: l.line_no,
                        sku: l.sku.clone(),
                        name: l.name.clone(),
                        qty: l.qty,
                        unit_price: l.unit_price,
                        discount: l.discount,
                        total: l.total,
                        vat_rate: l.vat_rate,
                    })
                    .collect(),
                tenders: doc
                    .tenders
                    .iter()
                    .map(|t| (t.kind.clone(), t.amount))
                    .collect(),
                change: Money::ZERO,
                cash_rounding: Money::ZERO,
                journal_seq: doc.journal_seq,
                outbox_seq: 0,
            }),
        }
    }

    /// Text form (the receipt's figures).
    pub fn describe(&self) -> String {
        if self.status == "voided" {
            return format!(
                "sale voided ({}) — void document {}\n",
                self.total, self.number
            );
        }
        let mut s = format!("sale {}\n", self.number);
        if let Some(n18) = &self.sale_number {
            s.push_str(&format!("unique sale number {n18}\n"));
        }
        for l in &self.lines {
            s.push_str(&format!(
                "{:>3} {:<32} {:>8} x {:>8} {:>9}{}\n",
                l.line_no,
                l.name,
                l.qty,
                l.unit_price,
                l.total,
                if l.discount.is_zero() {
                    String::new()
                } else {
                    format!("  (−{})", l.discount)
                }
            ));
        }
        s.push_str(&format!("TOTAL {:>48}\n", self.total));
        for g in &self.vat {
            s.push_str(&format!(
                "  VAT {} {}%: net {} vat {}\n",
                g.class, g.rate_percent, g.net, g.vat
            ));
        }
        for (kind, amount) in &self.tenders {
            s.push_str(&format!("  {kind:<10} {amount:>10}\n"));
        }
        if !self.cash_rounding.is_zero() {
            s.push_str(&format!("  cash rounding {}\n", self.cash_rounding));
        }
        if !self.change.is_zero() {
            s.push_str(&format!("  change     {:>10}\n", self.change));
        }
        s
    }
}
