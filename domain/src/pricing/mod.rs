//! The pricing engine: which unit price a line gets, why, and at what margin;
//! and which basket promotions discount a cart.
//!
//! ## Line price ([`price_line`])
//! Every tier that applies to (store, product, customer group, quantity,
//! moment) yields a *candidate*:
//! 1. an active line promotion ([`PromotionKind::FixedPrice`] /
//!    [`PromotionKind::PercentOff`]) in its window `[from, to)`, store scope
//!    and (optional) customer-group scope;
//! 2. the customer group's price ([`TierKind::Group`]);
//! 3. a quantity-break (step) price whose `min_qty <= qty` ([`TierKind::Step`]).
//!
//! The **lowest candidate wins**; on equal prices the earlier kind in the list
//! above wins (promotion, then group, then step; within a kind the first in
//! input order). Candidates compete even when one is above the base price —
//! a tier that applies is used, as the requirement states. When no tier
//! applies, the **base price** applies: the store's own base price, else the
//! global one (tier rows with `store = None`); among several valid base rows
//! of the same scope the one with the latest `valid_from` wins. With no base
//! price, **cost + markup** (`cost × (1 + markup % / 100)`) is the fallback.
//! Nothing at all → [`PricingError::NoPrice`].
//!
//! Tier validity is by calendar day and inclusive at both ends
//! (`valid_from <= day <= valid_to`, as written in `price_tiers.csv`);
//! promotions are by moment and half-open `[from, to)`.
//!
//! Rounding (named): computed prices (percent off, cost + markup) are rounded
//! to the currency's minor unit with [`PRICE_ROUNDING`] (half away from zero);
//! the margin percentage `profit / price × 100` is rounded to one decimal with
//! [`MARGIN_ROUNDING`] (half away from zero). Profit and margin are per unit,
//! on the price as the book states it (VAT-inclusive in inclusive mode), which
//! is what the requirement's worked example does; net-of-VAT margins are a
//! reporting concern.
//!
//! ## Basket promotions ([`evaluate_basket`])
//! BOGO, mix-and-match and receipt thresholds need the whole cart; they
//! produce [`DiscountAllocation`]s per line so VAT is computed on what each
//! line really costs. See [`basket`].

mod allocate;
pub mod basket;
#[cfg(test)]
mod basket_tests;
mod promotion;
#[cfg(test)]
mod tests;

use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde::{Deserialize, Serialize};

use crate::ErrorCode;
use crate::money::{Currency, Money, RoundingRule};

pub use allocate::allocate_proportionally;
pub use basket::{BasketContext, BasketDiscounts, BasketLine, DiscountAllocation, evaluate_basket};
pub use promotion::{Promotion, PromotionKind, ThresholdReward};

/// Rounding of computed unit prices (percent off, cost + markup) and of
/// percentage discounts: to the minor unit, halves away from zero.
pub const PRICE_ROUNDING: RoundingRule = RoundingRule::HalfAwayFromZero;

/// Rounding of the margin percentage: one decimal, halves away from zero.
pub const MARGIN_ROUNDING: RoundingRule = RoundingRule::HalfAwayFromZero;

/// Kind of a price tier row (`kind` column of `price_tiers.csv`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TierKind {
    /// The regular price.
    Base,
    /// Price for a customer group.
    Group,
    /// Quantity-break price from `min_qty` units.
    Step,
}

/// One row of `price_tiers.csv` for one SKU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceTier {
    /// Base, group or step.
    pub kind: TierKind,
    /// Store id; `None` = every store (global).
    #[serde(default)]
    pub store: Option<String>,
    /// Customer group (group tiers only).
    #[serde(default)]
    pub customer_group: Option<String>,
    /// Minimum quantity (step tiers only; others ignore it).
    #[serde(default)]
    pub min_qty: Option<Decimal>,
    /// Unit price.
    pub price: Money,
    /// First valid day (inclusive); `None` = always.
    #[serde(default)]
    pub valid_from: Option<NaiveDate>,
    /// Last valid day (inclusive); `None` = open-ended.
    #[serde(default)]
    pub valid_to: Option<NaiveDate>,
}

impl PriceTier {
    /// A tier valid always and everywhere.
    pub fn new(kind: TierKind, price: Money) -> Self {
        PriceTier {
            kind,
            store: None,
            customer_group: None,
            min_qty: None,
            price,
            valid_from: None,
            valid_to: None,
        }
    }

    fn valid_on(&self, day: NaiveDate) -> bool {
        self.valid_from.is_none_or(|f| f <= day) && self.valid_to.is_none_or(|t| day <= t)
    }

    fn in_store(&self, store: &str) -> bool {
        self.store.as_deref().is_none_or(|s| s == store)
    }
}

/// Everything the engine needs to price one SKU: plain data, loaded by the
/// terminal's catalog (`catalog::pricing_inputs`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PricingInputs {
    /// The SKU being priced.
    pub sku: String,
    /// Base, group and step tiers for this SKU.
    #[serde(default)]
    pub tiers: Vec<PriceTier>,
    /// Promotions that may list this SKU (others are ignored).
    #[serde(default)]
    pub promotions: Vec<Promotion>,
    /// Unit cost (moving average or last purchase), if known.
    #[serde(default)]
    pub cost: Option<Money>,
    /// Markup percentage for the cost + markup fallback.
    #[serde(default)]
    pub markup_percent: Option<Decimal>,
}

/// Who buys how much, where and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceRequest<'a> {
    /// Store id.
    pub store: &'a str,
    /// The customer's group, if a customer is on the sale.
    pub customer_group: Option<&'a str>,
    /// Quantity (units or kg); must be positive.
    pub qty: Decimal,
    /// The moment of the sale.
    pub at: NaiveDateTime,
}

/// Which rule set a line's unit price. JSON: tagged by `"rule"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum PriceRule {
    /// A line promotion.
    Promotion {
        /// Promotion id.
        id: String,
    },
    /// The customer group's price.
    CustomerGroup {
        /// Group name.
        group: String,
    },
    /// A quantity break.
    QuantityBreak {
        /// The break's minimum quantity.
        min_qty: Decimal,
    },
    /// The base price.
    Base {
        /// True when the store's own base price applied, false for the
        /// global one.
        store_specific: bool,
    },
    /// Cost plus markup (no base price).
    CostPlusMarkup {
        /// The markup applied.
        markup_percent: Decimal,
    },
    /// Typed by the cashier (manager-approved price override).
    Manual,
    /// Taken from a price-embedding in-store barcode.
    Barcode,
}

/// The engine's answer for one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceQuote {
    /// The unit price the line gets.
    pub unit_price: Money,
    /// The rule that produced it.
    pub rule: PriceRule,
    /// The regular price (base, else cost + markup) for "you save" display;
    /// `None` when neither exists.
    pub regular_price: Option<Money>,
    /// Unit cost, when known.
    pub cost: Option<Money>,
    /// `unit_price − cost` per unit, when the cost is known.
    pub profit: Option<Money>,
    /// `profit / unit_price × 100`, rounded with [`MARGIN_ROUNDING`] to
    /// 1 dp; `None` without cost or at a zero price.
    pub margin_percent: Option<Decimal>,
}

/// Why a line could not be priced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    /// No tier, base price or cost + markup.
    #[error(
        "no price for '{sku}': it has no base price and no cost with a markup — add a price for it in the catalog"
    )]
    NoPrice {
        /// The SKU.
        sku: String,
    },
    /// Quantity zero or negative.
    #[error("quantity {qty} of '{sku}' cannot be priced — enter a quantity above zero")]
    InvalidQuantity {
        /// The SKU.
        sku: String,
        /// The quantity given.
        qty: Decimal,
    },
}

impl ErrorCode for PricingError {
    fn code(&self) -> &'static str {
        match self {
            PricingError::NoPrice { .. } => "pricing.no_price",
            PricingError::InvalidQuantity { .. } => "pricing.invalid_quantity",
        }
    }
}

/// `profit / price × 100` rounded with [`MARGIN_ROUNDING`] to one decimal;
/// `None` at a zero price.
pub fn margin_percent(profit: Money, price: Money) -> Option<Decimal> {
    if price.is_zero() {
        return None;
    }
    Some(MARGIN_ROUNDING.round_dp(profit.0 * dec!(100) / price.0, 1))
}

/// Build the quote for a chosen price (also used for manual prices).
pub fn quote(
    unit_price: Money,
    rule: PriceRule,
    regular_price: Option<Money>,
    cost: Option<Money>,
) -> PriceQuote {
    let profit = cost.map(|c| unit_price - c);
    PriceQuote {
        unit_price,
        rule,
        regular_price,
        cost,
        profit,
        margin_percent: profit.and_then(|p| margin_percent(p, unit_price)),
    }
}

/// The regular price: base (store-specific, else global) or cost + markup.
fn regular_price(
    inputs: &PricingInputs,
    store: &str,
    day: NaiveDate,
    currency: Currency,
) -> Option<(Money, PriceRule)> {
    let base_in = |store_specific: bool| {
        inputs
            .tiers
            .iter()
            .filter(|t| t.kind == TierKind::Base && t.valid_on(day))
            .filter(|t| match &t.store {
                Some(s) => store_specific && s == store,
                None => !store_specific,
            })
            // latest valid_from wins; on equal, the first row
            .fold(None::<&PriceTier>, |best, t| match best {
                Some(b) if b.valid_from >= t.valid_from => Some(b),
                _ => Some(t),
            })
    };
    if let Some(t) = base_in(true) {
        return Some((
            t.price,
            PriceRule::Base {
                store_specific: true,
            },
        ));
    }
    if let Some(t) = base_in(false) {
        return Some((
            t.price,
            PriceRule::Base {
                store_specific: false,
            },
        ));
    }
    match (inputs.cost, inputs.markup_percent) {
        (Some(cost), Some(markup)) => Some((
            currency.round(cost.0 * (dec!(100) + markup) / dec!(100), PRICE_ROUNDING),
            PriceRule::CostPlusMarkup {
                markup_percent: markup,
            },
        )),
        _ => None,
    }
}

/// Price one line. See the module docs for the rule.
pub fn price_line(
    inputs: &PricingInputs,
    request: &PriceRequest<'_>,
    currency: Currency,
) -> Result<PriceQuote, PricingError> {
    if request.qty <= Decimal::ZERO {
        return Err(PricingError::InvalidQuantity {
            sku: inputs.sku.clone(),
            qty: request.qty,
        });
    }
    let day = request.at.date();
    let regular = regular_price(inputs, request.store, day, currency);

    let mut candidates: Vec<(Money, PriceRule)> = Vec::new();
    for p in &inputs.promotions {
        if !p.lists_sku(&inputs.sku)
            || !p.applies(request.store, request.customer_group, request.at)
        {
            continue;
        }
        match &p.kind {
            PromotionKind::FixedPrice { price, .. } => {
                candidates.push((*price, PriceRule::Promotion { id: p.id.clone() }));
            }
            PromotionKind::PercentOff { percent, .. } => {
                if let Some((reg, _)) = &regular {
                    let price =
                        currency.round(reg.0 * (dec!(100) - *percent) / dec!(100), PRICE_ROUNDING);
                    candidates.push((price, PriceRule::Promotion { id: p.id.clone() }));
                }
            }
            _ => {}
        }
    }
    if let Some(group) = request.customer_group {
        for t in &inputs.tiers {
            if t.kind == TierKind::Group
                && t.customer_group.as_deref() == Some(group)
                && t.in_store(request.store)
                && t.valid_on(day)
            {
                candidates.push((
                    t.price,
                    PriceRule::CustomerGroup {
                        group: group.to_string(),
                    },
                ));
            }
        }
    }
    for t in &inputs.tiers {
        if t.kind != TierKind::Step || !t.in_store(request.store) || !t.valid_on(day) {
            continue;
        }
        let min_qty = t.min_qty.unwrap_or(Decimal::ZERO);
        if min_qty <= request.qty {
            candidates.push((t.price, PriceRule::QuantityBreak { min_qty }));
        }
    }

    // min_by returns the first of equal minima: candidates are pushed in
    // tie-break order (promotion, group, step).
    let chosen = candidates
        .into_iter()
        .min_by(|a, b| a.0.cmp(&b.0))
        .or_else(|| regular.clone());
    match chosen {
        Some((price, rule)) => Ok(quote(price, rule, regular.map(|(p, _)| p), inputs.cost)),
        None => Err(PricingError::NoPrice {
            sku: inputs.sku.clone(),
        }),
    }
}
