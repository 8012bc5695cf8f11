//! VAT: classes and rates with validity dates, price modes, and the VAT of a
//! receipt per rate group with an exact per-line split.
//!
//! ## Rates are data
//! A tenant's [`VatTable`] lists [`VatRate`]s: a class code (`"standard"`,
//! `"reduced"`, `"zero"`), a percentage and the dates it is valid on
//! (`valid_from` inclusive, `valid_to` inclusive, `None` = open ended). A rate
//! change is a new row, never an edit, so old documents keep their rate.
//! [`VatTable::rate_for`] answers "which rate applies to this class on this
//! day" or names why none does ([`TaxError::UnknownClass`],
//! [`TaxError::NoRateOnDate`]). If rows of one class overlap (a data error
//! that [`VatTable::validate`] reports), the row that started latest wins so
//! the lookup stays deterministic.
//!
//! ## VAT per receipt per rate group
//! Fiscal devices do not add up per-line VAT; they add up the line amounts of
//! each rate group and compute the group's VAT once. [`receipt_vat`] does the
//! same:
//! - lines are grouped by `(class, rate_percent)`;
//! - [`PriceMode::Inclusive`] (the default, prices at the till include VAT):
//!   `gross = Σ amount`, `vat = round(gross × rate / (100 + rate))`,
//!   `net = gross − vat`;
//! - [`PriceMode::Exclusive`]: `net = Σ amount`, `vat = round(net × rate / 100)`,
//!   `gross = net + vat`;
//! - `round` is [`RoundingRule::HalfAwayFromZero`] to the currency's minor unit
//!   ([`VAT_ROUNDING`]).
//!
//! ## The per-line split (largest remainder)
//! Reports, returns and stock profit need VAT per line, and those lines must
//! add up to the group VAT *exactly*. Rounding each line on its own does not
//! (three lines of 0.10 at 20 % inclusive: 3 × 0.02 = 0.06, but the group VAT
//! of 0.30 is 0.05). So each line's exact share is floored to the minor unit
//! (toward −∞, which keeps the remainder in `[0, 1)` minor unit for returns and
//! discounts too), and the minor units still missing to reach the group VAT
//! go one each to the lines with the largest remainders; equal remainders go
//! to the lower line index first. The result is deterministic and never more
//! than one minor unit away from a line's exact share.
//!
//! Line amounts are expected at the currency's scale (the sale rounds line
//! totals); they are used as given.

use std::cmp::Ordering;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde::{Deserialize, Serialize};

use crate::ErrorCode;
use crate::money::{Currency, Money, RoundingRule};

/// The rounding rule applied to each rate group's VAT.
pub const VAT_ROUNDING: RoundingRule = RoundingRule::HalfAwayFromZero;

/// One VAT rate of one class, valid on a range of days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VatRate {
    /// The class code products refer to (`"standard"`, `"reduced"`, `"zero"`).
    pub class: String,
    /// The rate in percent (`20` for 20 %).
    pub rate_percent: Decimal,
    /// First day the rate applies (inclusive).
    pub valid_from: NaiveDate,
    /// Last day the rate applies (inclusive); `None` while it is current.
    pub valid_to: Option<NaiveDate>,
}

impl VatRate {
    /// An open-ended rate starting on `valid_from`.
    pub fn new(class: &str, rate_percent: Decimal, valid_from: NaiveDate) -> Self {
        VatRate {
            class: class.to_string(),
            rate_percent,
            valid_from,
            valid_to: None,
        }
    }

    /// True when the rate applies on `on`.
    pub fn is_valid_on(&self, on: NaiveDate) -> bool {
        self.valid_from <= on && self.valid_to.is_none_or(|to| on <= to)
    }

    fn overlaps(&self, other: &VatRate) -> bool {
        let self_end = self.valid_to.unwrap_or(NaiveDate::MAX);
        let other_end = other.valid_to.unwrap_or(NaiveDate::MAX);
        self.valid_from <= other_end && other.valid_from <= self_end
    }
}

/// A tenant's VAT rates: every class with its rates over time.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct VatTable {
    /// All rates, in any order.
    pub rates: Vec<VatRate>,
}

fn day(year: i32, month: u32, day: u32) -> NaiveDate {
    // Only called with literal, valid dates from the presets below.
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or(NaiveDate::MIN)
}

impl VatTable {
    /// Bulgaria: `"standard"` 20 %, `"reduced"` 9 %, `"zero"` 0 %.
    ///
    /// The preset holds the rates in force today with the date each took its
    /// current value (20 % since 1999-01-01, 9 % since 2011-04-01, 0 % since
    /// EU accession on 2007-01-01); older history is not part of the preset.
    pub fn bulgaria() -> Self {
        VatTable {
            rates: vec![
                VatRate::new("standard", dec!(20), day(1999, 1, 1)),
                VatRate::new("reduced", dec!(9), day(2011, 4, 1)),
                VatRate::new("zero", dec!(0), day(2007, 1, 1)),
            ],
        }
    }

    /// Georgia: `"standard"` 18 % (since 2008-01-01), plus `"zero"` 0 % for
    /// exempt and zero-rated goods so catalogs with a zero class import.
    pub fn georgia() -> Self {
        VatTable {
            rates: vec![
                VatRate::new("standard", dec!(18), day(2008, 1, 1)),
                VatRate::new("zero", dec!(0), day(2008, 1, 1)),
            ],
        }
    }

    /// A preset by name, as written in a store's settings: `"bulgaria"` /
    /// `"bg"` or `"georgia"` / `"ge"` (any case).
    pub fn preset(name: &str) -> Result<Self, TaxError> {
        match name.trim().to_ascii_lowercase().as_str() {
            "bulgaria" | "bg" => Ok(VatTable::bulgaria()),
            "georgia" | "ge" => Ok(VatTable::georgia()),
            _ => Err(TaxError::UnknownPreset {
                name: name.to_string(),
            }),
        }
    }

    /// This table with every class that `rates` has rows for replaced by
    /// those rows (head office's published rates own their classes); other
    /// classes keep their rows.
    pub fn with_classes_replaced(&self, rates: Vec<VatRate>) -> VatTable {
        let mut table: Vec<VatRate> = self
            .rates
            .iter()
            .filter(|kept| !rates.iter().any(|r| r.class == kept.class))
            .cloned()
            .collect();
        table.extend(rates);
        VatTable { rates: table }
    }

    /// The rate of `class` valid on `on`.
    pub fn rate_for(&self, class: &str, on: NaiveDate) -> Result<Decimal, TaxError> {
        self.rate_row_for(class, on).map(|r| r.rate_percent)
    }

    /// The whole rate row of `class` valid on `on` (for documents that store
    /// the rate's validity).
    pub fn rate_row_for(&self, class: &str, on: NaiveDate) -> Result<&VatRate, TaxError> {
        let mut of_class = self.rates.iter().filter(|r| r.class == class).peekable();
        if of_class.peek().is_none() {
            return Err(TaxError::UnknownClass {
                class: class.to_string(),
            });
        }
        of_class
            .filter(|r| r.is_valid_on(on))
            .max_by_key(|r| r.valid_from)
            .ok_or_else(|| TaxError::NoRateOnDate {
                class: class.to_string(),
                on,
            })
    }

    /// The distinct class codes, sorted.
    pub fn classes(&self) -> Vec<&str> {
        let mut classes: Vec<&str> = self.rates.iter().map(|r| r.class.as_str()).collect();
        classes.sort_unstable();
        classes.dedup();
        classes
    }

    /// Check the table is well formed: no negative rates, no range that ends
    /// before it starts, no two rows of one class valid on the same day.
    pub fn validate(&self) -> Result<(), TaxError> {
        for (i, rate) in self.rates.iter().enumerate() {
            if rate.rate_percent < Decimal::ZERO
                || rate.valid_to.is_some_and(|to| to < rate.valid_from)
            {
                return Err(TaxError::InvalidRate {
                    class: rate.class.clone(),
                    valid_from: rate.valid_from,
                });
            }
            if let Some(other) = self.rates[i + 1..]
                .iter()
                .find(|o| o.class == rate.class && o.overlaps(rate))
            {
                return Err(TaxError::OverlappingRates {
                    class: rate.class.clone(),
                    first_from: rate.valid_from.min(other.valid_from),
                    second_from: rate.valid_from.max(other.valid_from),
                });
            }
        }
        Ok(())
    }
}

/// Whether prices at the till include VAT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriceMode {
    /// Prices include VAT (the default at the till): VAT is extracted.
    #[default]
    Inclusive,
    /// Prices exclude VAT: VAT is added on top.
    Exclusive,
}

/// One receipt line as the VAT computation sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VatLine {
    /// The VAT class of the line's product.
    pub class: String,
    /// The rate of that class on the receipt's date.
    pub rate_percent: Decimal,
    /// Line total after discounts, in the price mode's terms (gross when
    /// inclusive, net when exclusive). Negative for returns and discounts.
    pub amount: Money,
}

/// The VAT of one rate group of a receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VatGroup {
    /// Class code.
    pub class: String,
    /// Rate in percent.
    pub rate_percent: Decimal,
    /// Amount without VAT.
    pub net: Money,
    /// VAT of the group, rounded once ([`VAT_ROUNDING`]).
    pub vat: Money,
    /// Amount with VAT; always `net + vat`.
    pub gross: Money,
}

/// The VAT of a whole receipt.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct VatBreakdown {
    /// One entry per `(class, rate)`, highest rate first, then by class code.
    pub groups: Vec<VatGroup>,
    /// VAT of each input line, in input order; sums exactly to Σ group VAT.
    pub per_line_vat: Vec<Money>,
}

impl VatBreakdown {
    /// Σ VAT over all groups.
    pub fn total_vat(&self) -> Money {
        self.groups.iter().map(|g| g.vat).sum()
    }

    /// Σ net over all groups.
    pub fn total_net(&self) -> Money {
        self.groups.iter().map(|g| g.net).sum()
    }

    /// Σ gross over all groups.
    pub fn total_gross(&self) -> Money {
        self.groups.iter().map(|g| g.gross).sum()
    }
}

/// The exact (unrounded) VAT contained in / added to `amount` at `rate_percent`.
/// Multiplies before dividing so terminating results (e.g. 1.23 × 20 / 120 =
/// 0.205) stay exact and round as true midpoints.
fn exact_vat(amount: Decimal, rate_percent: Decimal, mode: PriceMode) -> Decimal {
    let divisor = match mode {
        PriceMode::Inclusive => dec!(100) + rate_percent,
        PriceMode::Exclusive => dec!(100),
    };
    if divisor.is_zero() {
        return Decimal::ZERO;
    }
    amount * rate_percent / divisor
}

/// VAT of a receipt per rate group, and each line's exact share of it.
///
/// See the module docs for the rule. Lines with a zero rate form a group with
/// zero VAT; negative lines (returns, discounts) reduce their group.
pub fn receipt_vat(lines: &[VatLine], mode: PriceMode, currency: Currency) -> VatBreakdown {
    let minor = currency.minor_unit();

    // Group line indices by (class, rate).
    let mut keys: Vec<(&str, Decimal, Vec<usize>)> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let rate = line.rate_percent.normalize();
        match keys
            .iter_mut()
            .find(|(class, r, _)| *class == line.class && *r == rate)
        {
            Some((_, _, members)) => members.push(i),
            None => keys.push((line.class.as_str(), rate, vec![i])),
        }
    }
    keys.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));

    let mut per_line_vat = vec![Money::ZERO; lines.len()];
    let mut groups = Vec::with_capacity(keys.len());
    for (class, rate, members) in keys {
        let sum: Decimal = members.iter().map(|&i| lines[i].amount.0).sum();
        let vat = VAT_ROUNDING.round_dp(exact_vat(sum, rate, mode), currency.scale());
        let (net, gross) = match mode {
            PriceMode::Inclusive => (sum - vat, sum),
            PriceMode::Exclusive => (sum, sum + vat),
        };
        let shares: Vec<Decimal> = members
            .iter()
            .map(|&i| exact_vat(lines[i].amount.0, rate, mode))
            .collect();
        for (&i, allocated) in members
            .iter()
            .zip(allocate_largest_remainder(&shares, vat, minor))
        {
            per_line_vat[i] = Money(allocated);
        }
        groups.push(VatGroup {
            class: class.to_string(),
            rate_percent: rate,
            net: Money(net),
            vat: Money(vat),
            gross: Money(gross),
        });
    }
    VatBreakdown {
        groups,
        per_line_vat,
    }
}

/// Split `total` (a multiple of `minor`) over `shares` so the parts sum to it
/// exactly: floor each share to `minor`, then hand the missing units to the
/// largest remainders (lower index first on ties). If the floors overshoot
/// (only possible when `total` is not the rounded Σ shares), units are taken
/// back from the smallest remainders (higher index first).
pub fn allocate_largest_remainder(
    shares: &[Decimal],
    total: Decimal,
    minor: Decimal,
) -> Vec<Decimal> {
    if shares.is_empty() {
        return Vec::new();
    }
    let mut parts: Vec<Decimal> = Vec::with_capacity(shares.len());
    let mut remainders: Vec<Decimal> = Vec::with_capacity(shares.len());
    for &share in shares {
        let floored = (share / minor).floor() * minor;
        parts.push(floored);
        remainders.push(share - floored);
    }
    let floored_sum: Decimal = parts.iter().sum();
    let missing_units = ((total - floored_sum) / minor).round();

    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by(|&a, &b| match remainders[b].cmp(&remainders[a]) {
        Ordering::Equal => a.cmp(&b),
        other => other,
    });
    let n = Decimal::from(shares.len());
    if missing_units >= Decimal::ZERO {
        // Each line gets the same whole number of extra units first (only
        // when total is far from Σ shares), then one more by remainder rank.
        let each = (missing_units / n).floor();
        let extra = missing_units - each * n;
        for (rank, &i) in order.iter().enumerate() {
            parts[i] += each * minor;
            if Decimal::from(rank) < extra {
                parts[i] += minor;
            }
        }
    } else {
        let surplus = -missing_units;
        let each = (surplus / n).floor();
        let extra = surplus - each * n;
        for (rank, &i) in order.iter().rev().enumerate() {
            parts[i] -= each * minor;
            if Decimal::from(rank) < extra {
                parts[i] -= minor;
            }
        }
    }
    parts
}

/// Why a VAT rate could not be found or a table is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaxError {
    /// No rate of this class exists at all.
    #[error(
        "VAT class '{class}' is not in the tenant's VAT table — use one of its classes or add the class to the table"
    )]
    UnknownClass {
        /// The class asked for.
        class: String,
    },
    /// The class exists but none of its rates is valid on the day.
    #[error(
        "VAT class '{class}' has no rate valid on {on} — add a rate row covering that day to the VAT table"
    )]
    NoRateOnDate {
        /// The class asked for.
        class: String,
        /// The day asked for.
        on: NaiveDate,
    },
    /// Two rows of one class are valid on the same day.
    #[error(
        "VAT class '{class}' has overlapping rates starting {first_from} and {second_from} — end the older row the day before the newer one starts"
    )]
    OverlappingRates {
        /// The class.
        class: String,
        /// Start of the earlier row.
        first_from: NaiveDate,
        /// Start of the later row.
        second_from: NaiveDate,
    },
    /// No preset of that name.
    #[error(
        "VAT preset '{name}' is unknown — use bulgaria or georgia, or list the rates explicitly"
    )]
    UnknownPreset {
        /// The name asked for.
        name: String,
    },
    /// A row has a negative rate or ends before it starts.
    #[error(
        "VAT rate of class '{class}' starting {valid_from} is invalid (negative rate or end before start) — correct the row"
    )]
    InvalidRate {
        /// The class.
        class: String,
        /// Start of the row.
        valid_from: NaiveDate,
    },
}

impl ErrorCode for TaxError {
    fn code(&self) -> &'static str {
        match self {
            TaxError::UnknownClass { .. } => "tax.unknown_class",
            TaxError::NoRateOnDate { .. } => "tax.no_rate_on_date",
            TaxError::OverlappingRates { .. } => "tax.overlapping_rates",
            TaxError::InvalidRate { .. } => "tax.invalid_rate",
            TaxError::UnknownPreset { .. } => "tax.unknown_preset",
        }
    }
}

#[cfg(test)]
mod tests;
