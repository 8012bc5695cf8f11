//! Totals of an open sale: line amounts, discounts in their order, VAT.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{ReceiptDiscount, Sale, SaleLine};
use crate::money::{Currency, Money};
use crate::pricing::{
    BasketContext, BasketLine, DiscountAllocation, PRICE_ROUNDING, allocate_proportionally,
    evaluate_basket,
};
use crate::tax::{PriceMode, VatBreakdown, VatLine, receipt_vat};

/// The figures of one active line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineTotals {
    /// Line number.
    pub line_no: u32,
    /// `unit price × qty`, rounded with `PRICE_ROUNDING`.
    pub gross: Money,
    /// The line's own discount.
    pub line_discount: Money,
    /// Basket promotions' share.
    pub promotion_discount: Money,
    /// Manual receipt discounts' share.
    pub receipt_discount: Money,
    /// `gross − all discounts`: the amount VAT is computed on (in the
    /// price mode's terms).
    pub net: Money,
    /// The line's share of the receipt VAT.
    pub vat: Money,
    /// What the customer pays for the line: `net` (inclusive) or
    /// `net + vat` (exclusive).
    pub payable: Money,
}

/// Totals of the sale.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SaleTotals {
    /// Active lines, in order.
    pub lines: Vec<LineTotals>,
    /// Σ gross.
    pub subtotal: Money,
    /// Σ line discounts.
    pub line_discounts: Money,
    /// Σ basket promotion discounts.
    pub promotion_discounts: Money,
    /// Σ manual receipt discounts.
    pub receipt_discounts: Money,
    /// Basket promotion discounts per line number.
    pub promotions: Vec<(u32, DiscountAllocation)>,
    /// VAT per rate group.
    pub vat: VatBreakdown,
    /// What the customer pays before cash rounding.
    pub total: Money,
}

impl SaleTotals {
    /// Σ all discounts.
    pub fn discount_total(&self) -> Money {
        self.line_discounts + self.promotion_discounts + self.receipt_discounts
    }

    /// The subtotal that receipt discounts apply to.
    pub fn before_receipt_discounts(&self) -> Money {
        self.subtotal - self.line_discounts - self.promotion_discounts
    }
}

/// `unit price × qty` rounded with `PRICE_ROUNDING`.
pub(crate) fn line_gross(line: &SaleLine, currency: Currency) -> Money {
    currency.round(line.unit_price.0 * line.qty, PRICE_ROUNDING)
}

/// Σ of receipt discounts applied in order, each on what is left of `base`.
pub(crate) fn receipt_discount_total(
    discounts: &[ReceiptDiscount],
    base: Money,
    currency: Currency,
) -> Money {
    let mut left = base.max(Money::ZERO);
    let mut total = Money::ZERO;
    for d in discounts {
        let amount = d.discount.amount_on(left, currency);
        left -= amount;
        total += amount;
    }
    total
}

impl Sale {
    /// Compute the totals. Pure: always recomputed from the lines.
    pub fn totals(&self) -> SaleTotals {
        let currency = self.config.currency;
        let active: Vec<&SaleLine> = self.active_lines().collect();
        let gross: Vec<Money> = active.iter().map(|l| line_gross(l, currency)).collect();
        let line_disc: Vec<Money> = active
            .iter()
            .zip(&gross)
            .map(|(l, g)| {
                l.discount
                    .map_or(Money::ZERO, |d| d.amount_on(*g, currency))
            })
            .collect();

        let basket: Vec<BasketLine> = active
            .iter()
            .enumerate()
            .map(|(i, l)| BasketLine {
                sku: l.product.sku.clone(),
                qty: l.qty,
                unit_price: l.unit_price,
                amount: gross[i] - line_disc[i],
            })
            .collect();
        let ctx = BasketContext {
            store: &self.config.store,
            customer_group: self.customer.as_ref().and_then(|c| c.group.as_deref()),
            at: self.opened_at,
        };
        let promos = evaluate_basket(&basket, &self.promotions, &ctx, currency);
        let promo_disc = promos.per_line(active.len());

        let after_promos: Vec<Money> = basket
            .iter()
            .zip(&promo_disc)
            .map(|(b, p)| b.amount - *p)
            .collect();
        let base: Money = after_promos.iter().copied().sum();
        let receipt_total = receipt_discount_total(&self.receipt_discounts, base, currency);
        let receipt_disc = if receipt_total.is_zero() {
            vec![Money::ZERO; active.len()]
        } else {
            allocate_proportionally(receipt_total, &after_promos, currency)
        };

        let nets: Vec<Money> = after_promos
            .iter()
            .zip(&receipt_disc)
            .map(|(a, r)| *a - *r)
            .collect();
        let vat_lines: Vec<VatLine> = active
            .iter()
            .zip(&nets)
            .map(|(l, n)| VatLine {
                class: l.product.vat_class.clone(),
                rate_percent: l.product.vat_rate_percent,
                amount: *n,
            })
            .collect();
        let vat = receipt_vat(&vat_lines, self.config.price_mode, currency);
        let exclusive = self.config.price_mode == PriceMode::Exclusive;

        let lines: Vec<LineTotals> = active
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let line_vat = vat.per_line_vat.get(i).copied().unwrap_or(Money::ZERO);
                LineTotals {
                    line_no: l.line_no,
                    gross: gross[i],
                    line_discount: line_disc[i],
                    promotion_discount: promo_disc[i],
                    receipt_discount: receipt_disc[i],
                    net: nets[i],
                    vat: line_vat,
                    payable: if exclusive {
                        nets[i] + line_vat
                    } else {
                        nets[i]
                    },
                }
            })
            .collect();
        let net_sum: Money = nets.iter().copied().sum();
        let total = if exclusive {
            net_sum + vat.total_vat()
        } else {
            net_sum
        };
        SaleTotals {
            subtotal: gross.iter().copied().sum(),
            line_discounts: line_disc.iter().copied().sum(),
            promotion_discounts: promo_disc.iter().copied().sum(),
            receipt_discounts: receipt_disc.iter().copied().sum(),
            promotions: promos
                .allocations
                .into_iter()
                .map(|a| (active[a.line].line_no, a))
                .collect(),
            lines,
            vat,
            total,
        }
    }

    /// Σ quantity of active lines (for display).
    pub fn item_count(&self) -> Decimal {
        self.active_lines().map(|l| l.qty).sum()
    }
}
