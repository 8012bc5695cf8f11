//! Basket promotions: BOGO, mix-and-match and receipt thresholds, evaluated
//! over the whole cart and turned into per-line discount allocations.
//!
//! Rules (decisions documented here):
//! * Only active promotions apply ([`Promotion::applies`]: window `[from, to)`,
//!   store scope, customer-group scope). Line promotions (fixed price,
//!   percent off) are ignored here — they are price candidates.
//! * Item promotions (BOGO, mix-and-match) count **whole units**: a line's
//!   quantity is floored (1.5 kg counts as one unit). Units of all listed
//!   SKUs are pooled and sorted by unit price, most expensive first (equal
//!   prices: earlier line first).
//! * BOGO "buy N get M": the pooled units form groups of N+M; in each
//!   complete group the last M (the cheapest) get `get_percent_off` %.
//!   The discount per line is rounded once with
//!   [`super::PRICE_ROUNDING`].
//! * Mix-and-match "any Q for P": complete bundles of Q units are formed from
//!   the most expensive units; a bundle's discount is `Σ unit prices − P`
//!   (only when positive), split over its lines with
//!   [`super::allocate_proportionally`].
//! * Each unit takes part in at most one item promotion: promotions are
//!   applied in input order and units used by an earlier one are not
//!   available to later ones.
//! * A line's discounts never exceed its amount (what it costs after line
//!   discounts); any excess is dropped.
//! * Receipt threshold: the subtotal after item promotions is compared with
//!   `min_total`; of all qualifying thresholds only the one giving the
//!   largest discount applies (the first on ties). A percentage is rounded
//!   with [`super::PRICE_ROUNDING`]; the discount is allocated over the lines
//!   in proportion to what is left of each, by largest remainder, so the
//!   parts sum exactly and VAT per line stays right.

use chrono::NaiveDateTime;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal_macros::dec;
use serde::{Deserialize, Serialize};

use super::{PRICE_ROUNDING, Promotion, PromotionKind, ThresholdReward, allocate_proportionally};
use crate::money::{Currency, Money};

/// One cart line as the basket evaluation sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasketLine {
    /// SKU.
    pub sku: String,
    /// Quantity (whole units count for item promotions).
    pub qty: Decimal,
    /// Unit price the line was priced at.
    pub unit_price: Money,
    /// What the line costs before basket promotions (after line discounts).
    pub amount: Money,
}

/// Where, for whom and when the basket is evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BasketContext<'a> {
    /// Store id.
    pub store: &'a str,
    /// Customer group of the sale's customer, if any.
    pub customer_group: Option<&'a str>,
    /// The moment of the sale.
    pub at: NaiveDateTime,
}

/// A promotion's discount on one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscountAllocation {
    /// Index of the line in the evaluated slice.
    pub line: usize,
    /// The promotion that gave it.
    pub promotion_id: String,
    /// Discount amount (positive).
    pub amount: Money,
}

/// All basket-promotion discounts of a cart.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BasketDiscounts {
    /// Per line and promotion, non-zero only.
    pub allocations: Vec<DiscountAllocation>,
}

impl BasketDiscounts {
    /// Σ discounts per line index, for `line_count` lines.
    pub fn per_line(&self, line_count: usize) -> Vec<Money> {
        let mut out = vec![Money::ZERO; line_count];
        for a in &self.allocations {
            if let Some(slot) = out.get_mut(a.line) {
                *slot += a.amount;
            }
        }
        out
    }

    /// Σ of all discounts.
    pub fn total(&self) -> Money {
        self.allocations.iter().map(|a| a.amount).sum()
    }
}

struct Segment {
    line: usize,
    price: Money,
    count: u64,
}

fn whole_units(qty: Decimal) -> u64 {
    if qty <= Decimal::ZERO {
        0
    } else {
        qty.floor().to_u64().unwrap_or(0)
    }
}

/// Evaluate BOGO, mix-and-match and receipt-threshold promotions over `lines`.
/// See the module docs for the rules.
pub fn evaluate_basket(
    lines: &[BasketLine],
    promotions: &[Promotion],
    ctx: &BasketContext<'_>,
    currency: Currency,
) -> BasketDiscounts {
    let mut used = vec![0u64; lines.len()];
    let mut given = vec![Money::ZERO; lines.len()];
    let mut allocations = Vec::new();

    let record = |allocations: &mut Vec<DiscountAllocation>,
                  given: &mut [Money],
                  line: usize,
                  id: &str,
                  amount: Money| {
        let room = (lines[line].amount - given[line]).max(Money::ZERO);
        let amount = amount.min(room);
        if amount > Money::ZERO {
            given[line] += amount;
            allocations.push(DiscountAllocation {
                line,
                promotion_id: id.to_string(),
                amount,
            });
        }
    };

    for promo in promotions {
        if !promo.applies(ctx.store, ctx.customer_group, ctx.at) {
            continue;
        }
        let mut segments: Vec<Segment> = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| promo.lists_sku(&l.sku))
            .map(|(i, l)| Segment {
                line: i,
                price: l.unit_price,
                count: whole_units(l.qty).saturating_sub(used[i]),
            })
            .filter(|s| s.count > 0)
            .collect();
        segments.sort_by(|a, b| b.price.cmp(&a.price).then(a.line.cmp(&b.line)));
        match &promo.kind {
            PromotionKind::Bogo {
                buy,
                get,
                get_percent_off,
                ..
            } => {
                let (buy, get) = (u64::from(*buy), u64::from(*get));
                let group = buy + get;
                if get == 0 {
                    continue;
                }
                let total: u64 = segments.iter().map(|s| s.count).sum();
                let limit = total / group * group;
                // discounted positions among the first x pooled units
                let reduced = |x: u64| x / group * get + (x % group).saturating_sub(buy);
                let mut pos = 0u64;
                for s in &segments {
                    let start = pos.min(limit);
                    let end = (pos + s.count).min(limit);
                    pos += s.count;
                    if end <= start {
                        continue;
                    }
                    used[s.line] += end - start;
                    let units = reduced(end) - reduced(start);
                    let discount = currency.round(
                        s.price.0 * Decimal::from(units) * *get_percent_off / dec!(100),
                        PRICE_ROUNDING,
                    );
                    record(&mut allocations, &mut given, s.line, &promo.id, discount);
                }
            }
            PromotionKind::MixAndMatch {
                quantity, price, ..
            } => {
                let q = u64::from(*quantity);
                if q == 0 {
                    continue;
                }
                let mut per_line = vec![Money::ZERO; lines.len()];
                let mut seg = 0usize;
                let mut taken_in_seg = 0u64;
                let total: u64 = segments.iter().map(|s| s.count).sum();
                let mut bundles_left = total / q;
                while bundles_left > 0 {
                    let s = &segments[seg];
                    let left_in_seg = s.count - taken_in_seg;
                    if left_in_seg >= q {
                        // Whole bundles inside one line: identical, do them at once.
                        let k = (left_in_seg / q).min(bundles_left);
                        let saving = s.price * Decimal::from(q) - *price;
                        if saving <= Money::ZERO {
                            break;
                        }
                        per_line[s.line] += saving * Decimal::from(k);
                        used[s.line] += k * q;
                        taken_in_seg += k * q;
                        bundles_left -= k;
                        if taken_in_seg == s.count {
                            seg += 1;
                            taken_in_seg = 0;
                        }
                        continue;
                    }
                    // A bundle spanning several lines.
                    let mut members: Vec<(usize, u64)> = Vec::new();
                    let mut need = q;
                    while need > 0 {
                        let s = &segments[seg];
                        let take = (s.count - taken_in_seg).min(need);
                        members.push((s.line, take));
                        need -= take;
                        taken_in_seg += take;
                        if taken_in_seg == s.count {
                            seg += 1;
                            taken_in_seg = 0;
                        }
                    }
                    let weights: Vec<Money> = members
                        .iter()
                        .map(|&(line, n)| lines[line].unit_price * Decimal::from(n))
                        .collect();
                    let sum: Money = weights.iter().copied().sum();
                    let saving = sum - *price;
                    if saving <= Money::ZERO {
                        break;
                    }
                    let parts = allocate_proportionally(saving, &weights, currency);
                    for ((line, n), part) in members.into_iter().zip(parts) {
                        per_line[line] += part;
                        used[line] += n;
                    }
                    bundles_left -= 1;
                }
                for (line, amount) in per_line.into_iter().enumerate() {
                    record(&mut allocations, &mut given, line, &promo.id, amount);
                }
            }
            PromotionKind::ReceiptThreshold { .. }
            | PromotionKind::FixedPrice { .. }
            | PromotionKind::PercentOff { .. } => {}
        }
    }

    // Receipt thresholds on what is left.
    let remaining: Vec<Money> = lines
        .iter()
        .zip(&given)
        .map(|(l, g)| (l.amount - *g).max(Money::ZERO))
        .collect();
    let subtotal: Money = remaining.iter().copied().sum();
    let mut best: Option<(Money, &Promotion)> = None;
    for promo in promotions {
        let PromotionKind::ReceiptThreshold { min_total, reward } = &promo.kind else {
            continue;
        };
        if !promo.applies(ctx.store, ctx.customer_group, ctx.at)
            || subtotal < *min_total
            || subtotal <= Money::ZERO
        {
            continue;
        }
        let discount = match reward {
            ThresholdReward::PercentOff(p) => {
                currency.round(subtotal.0 * *p / dec!(100), PRICE_ROUNDING)
            }
            ThresholdReward::AmountOff(a) => *a,
        }
        .min(subtotal)
        .max(Money::ZERO);
        if best.is_none_or(|(b, _)| discount > b) {
            best = Some((discount, promo));
        }
    }
    if let Some((discount, promo)) = best
        && discount > Money::ZERO
    {
        let parts = allocate_proportionally(discount, &remaining, currency);
        for (line, part) in parts.into_iter().enumerate() {
            record(&mut allocations, &mut given, line, &promo.id, part);
        }
    }
    BasketDiscounts { allocations }
}
