//! Completing a sale: the check that it is paid and the completed-sale value
//! the terminal writes (document, lines, tenders, stock movements, journal).

use chrono::NaiveDateTime;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    AuditEntry, ProductSnapshot, ReceiptDiscount, Sale, SaleCustomer, SaleError, SaleLine,
};
use crate::money::{Currency, Money};
use crate::pricing::PriceRule;
use crate::tax::{PriceMode, VatBreakdown};
use crate::tender::{Settlement, Tender, settle};

/// A basket promotion's discount on a completed line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinePromotion {
    /// Line number.
    pub line_no: u32,
    /// Promotion id.
    pub promotion_id: String,
    /// Discount.
    pub amount: Money,
}

/// One line of a completed sale with every figure the receipt, the journal,
/// returns and the books need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletedLine {
    /// Line number.
    pub line_no: u32,
    /// Product snapshot.
    pub product: ProductSnapshot,
    /// Quantity or weight.
    pub qty: Decimal,
    /// Unit price before discounts.
    pub unit_price: Money,
    /// Why that price.
    pub rule: PriceRule,
    /// Regular price.
    pub regular_price: Option<Money>,
    /// Unit cost.
    pub cost: Option<Money>,
    /// `unit price × qty`.
    pub gross: Money,
    /// Line discount.
    pub line_discount: Money,
    /// Basket promotions' share.
    pub promotion_discount: Money,
    /// Receipt discounts' share.
    pub receipt_discount: Money,
    /// After all discounts (price mode's terms).
    pub net: Money,
    /// Share of VAT.
    pub vat: Money,
    /// What the customer paid for the line (refunds are based on it).
    pub payable: Money,
}

impl CompletedLine {
    /// Σ discounts of the line.
    pub fn discount_total(&self) -> Money {
        self.line_discount + self.promotion_discount + self.receipt_discount
    }
}

/// A paid sale, ready to be written in one transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletedSale {
    /// Document id.
    pub id: Uuid,
    /// Store id.
    pub store: String,
    /// Cashier login.
    pub operator: String,
    /// Customer, if any.
    pub customer: Option<SaleCustomer>,
    /// Opened at.
    pub opened_at: NaiveDateTime,
    /// Completed at.
    pub completed_at: NaiveDateTime,
    /// Currency.
    pub currency: Currency,
    /// Price mode.
    pub price_mode: PriceMode,
    /// Active lines.
    pub lines: Vec<CompletedLine>,
    /// Lines voided during the sale (for the audit and fraud reports).
    pub voided_lines: Vec<SaleLine>,
    /// Manual receipt discounts.
    pub receipt_discounts: Vec<ReceiptDiscount>,
    /// Basket promotion discounts.
    pub promotions: Vec<LinePromotion>,
    /// Σ line gross.
    pub subtotal: Money,
    /// Σ all discounts.
    pub discount_total: Money,
    /// Total before cash rounding.
    pub total: Money,
    /// VAT per rate group.
    pub vat: VatBreakdown,
    /// Tenders as taken.
    pub tenders: Vec<Tender>,
    /// Change, cash rounding line, voucher forfeit, account charge.
    pub settlement: Settlement,
    /// Who authorised what.
    pub audit: Vec<AuditEntry>,
}

impl CompletedSale {
    /// The cash rounding line of the receipt (zero when none).
    pub fn cash_rounding(&self) -> Money {
        self.settlement.cash_rounding
    }

    /// Change given.
    pub fn change(&self) -> Money {
        self.settlement.change
    }

    /// What the customer paid in total: `total + cash rounding`.
    pub fn total_paid(&self) -> Money {
        self.settlement.total_paid()
    }

    /// Find a line.
    pub fn line(&self, line_no: u32) -> Option<&CompletedLine> {
        self.lines.iter().find(|l| l.line_no == line_no)
    }
}

impl Sale {
    /// The tenders applied to the current total.
    pub fn settlement(&self) -> Result<Settlement, SaleError> {
        let account = self.customer.as_ref().map(SaleCustomer::account);
        Ok(settle(
            self.totals().total,
            &self.tenders,
            &self.config.cash_rounding,
            account.as_ref(),
        )?)
    }

    /// Check the sale is complete (open, has lines, paid ≥ total) and return
    /// the completed-sale value. The cart itself is unchanged; the terminal
    /// drops it once the completed sale is committed.
    pub fn complete(&self, completed_at: NaiveDateTime) -> Result<CompletedSale, SaleError> {
        self.ensure_open()?;
        if self.active_lines().next().is_none() {
            return Err(SaleError::Empty);
        }
        let totals = self.totals();
        let settlement = self.settlement()?;
        if !settlement.is_paid() {
            return Err(SaleError::Underpaid {
                outstanding: settlement.outstanding,
            });
        }
        let lines = self
            .active_lines()
            .zip(&totals.lines)
            .map(|(l, t)| CompletedLine {
                line_no: l.line_no,
                product: l.product.clone(),
                qty: l.qty,
                unit_price: l.unit_price,
                rule: l.rule.clone(),
                regular_price: l.regular_price,
                cost: l.cost,
                gross: t.gross,
                line_discount: t.line_discount,
                promotion_discount: t.promotion_discount,
                receipt_discount: t.receipt_discount,
                net: t.net,
                vat: t.vat,
                payable: t.payable,
            })
            .collect();
        Ok(CompletedSale {
            id: self.id,
            store: self.config.store.clone(),
            operator: self.operator.login.clone(),
            customer: self.customer.clone(),
            opened_at: self.opened_at,
            completed_at,
            currency: self.config.currency,
            price_mode: self.config.price_mode,
            lines,
            voided_lines: self.lines.iter().filter(|l| l.voided).cloned().collect(),
            receipt_discounts: self.receipt_discounts.clone(),
            promotions: totals
                .promotions
                .iter()
                .map(|(line_no, a)| LinePromotion {
                    line_no: *line_no,
                    promotion_id: a.promotion_id.clone(),
                    amount: a.amount,
                })
                .collect(),
            subtotal: totals.subtotal,
            discount_total: totals.discount_total(),
            total: totals.total,
            vat: totals.vat,
            tenders: self.tenders.clone(),
            settlement,
            audit: self.audit.clone(),
        })
    }
}
