//! Money, currencies and named rounding rules.
//!
//! Amounts are [`Money`], a newtype over [`rust_decimal::Decimal`]; never a float.
//! A document (receipt, report) carries one [`Currency`]; amounts inside it are
//! plain `Money` in that currency. Quantities and rates are plain `Decimal`.
//!
//! Rounding is always explicit and named: every place that rounds says which
//! [`RoundingRule`] it applies and why.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Mul, Neg, Sub, SubAssign};
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use rust_decimal_macros::dec;
use serde::{Deserialize, Serialize};

use crate::ErrorCode;

/// The fixed conversion rate of the Bulgarian lev to the euro (BGN per EUR),
/// irrevocably set for Bulgaria's adoption of the euro on 2026-01-01.
pub const BGN_PER_EUR: Decimal = dec!(1.95583);

/// Currencies Kasa knows. BGN is kept for history (documents before
/// 2026-01-01) and for conversions at [`BGN_PER_EUR`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "UPPERCASE")]
pub enum Currency {
    /// Euro: Bulgaria since 2026-01-01.
    Eur,
    /// Georgian lari.
    Gel,
    /// Bulgarian lev: history and conversion only.
    Bgn,
}

impl Currency {
    /// ISO 4217 code.
    pub fn code(self) -> &'static str {
        match self {
            Currency::Eur => "EUR",
            Currency::Gel => "GEL",
            Currency::Bgn => "BGN",
        }
    }

    /// Number of decimal places of the minor unit (cents, tetri, stotinki).
    pub fn scale(self) -> u32 {
        2
    }

    /// The smallest amount: 0.01 for all supported currencies.
    pub fn minor_unit(self) -> Decimal {
        Decimal::new(1, self.scale())
    }

    /// Round an amount to this currency's minor unit with the given rule.
    pub fn round(self, amount: Decimal, rule: RoundingRule) -> Money {
        Money(rule.round_dp(amount, self.scale()))
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().as_str() {
            "EUR" => Ok(Currency::Eur),
            "GEL" => Ok(Currency::Gel),
            "BGN" => Ok(Currency::Bgn),
            _ => Err(MoneyError::UnknownCurrency(s.to_string())),
        }
    }
}

/// A named rounding rule. Every rounding in Kasa names one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundingRule {
    /// Commercial rounding: to nearest, halves away from zero (2.345 → 2.35,
    /// -2.345 → -2.35). The default for prices, VAT and conversions
    /// (the euro changeover regulation requires it for BGN → EUR).
    HalfAwayFromZero,
    /// Banker's rounding: to nearest, halves to the even digit. Offered as a
    /// tenant setting for jurisdictions that require it.
    HalfEven,
    /// Truncate toward zero. Used where a customer must never be charged more
    /// than the exact figure (e.g. a discount's give-back is rounded up by
    /// rounding the discounted price down).
    TowardZero,
    /// Away from zero (ceiling for positive amounts).
    AwayFromZero,
}

impl RoundingRule {
    fn strategy(self) -> RoundingStrategy {
        match self {
            RoundingRule::HalfAwayFromZero => RoundingStrategy::MidpointAwayFromZero,
            RoundingRule::HalfEven => RoundingStrategy::MidpointNearestEven,
            RoundingRule::TowardZero => RoundingStrategy::ToZero,
            RoundingRule::AwayFromZero => RoundingStrategy::AwayFromZero,
        }
    }

    /// Round `value` to `dp` decimal places.
    pub fn round_dp(self, value: Decimal, dp: u32) -> Decimal {
        value.round_dp_with_strategy(dp, self.strategy())
    }

    /// Round `value` to a multiple of `increment` (e.g. 0.05 for cash).
    /// An increment of zero or less leaves the value unchanged.
    pub fn round_to_increment(self, value: Decimal, increment: Decimal) -> Decimal {
        if increment <= Decimal::ZERO {
            return value;
        }
        let units = (value / increment).round_dp_with_strategy(0, self.strategy());
        let result = units * increment;
        result
            .normalize()
            .round_dp(increment.scale().max(value.scale()))
    }
}

/// An amount of money in the currency of the document it belongs to.
///
/// Serialised as a decimal string (`"12.50"`) so no JSON reader turns it into
/// a float.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Money(pub Decimal);

impl Money {
    /// Zero.
    pub const ZERO: Money = Money(Decimal::ZERO);

    /// From a decimal.
    pub fn new(amount: Decimal) -> Self {
        Money(amount)
    }

    /// From integer minor units and a currency (`1250, EUR` → 12.50).
    pub fn from_minor(minor: i64, currency: Currency) -> Self {
        Money(Decimal::new(minor, currency.scale()))
    }

    /// To integer minor units, rounding with the given rule first.
    pub fn to_minor(self, currency: Currency, rule: RoundingRule) -> i64 {
        use rust_decimal::prelude::ToPrimitive;
        let scaled =
            rule.round_dp(self.0, currency.scale()) * Decimal::from(10i64.pow(currency.scale()));
        // Amounts at the till are far below i64::MAX minor units; saturate if not.
        scaled
            .trunc()
            .to_i64()
            .unwrap_or(if scaled.is_sign_negative() {
                i64::MIN
            } else {
                i64::MAX
            })
    }

    /// The underlying decimal.
    pub fn amount(self) -> Decimal {
        self.0
    }

    /// Round to the currency's minor unit with a named rule.
    pub fn round(self, currency: Currency, rule: RoundingRule) -> Money {
        currency.round(self.0, rule)
    }

    /// True when exactly zero.
    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    /// True when below zero.
    pub fn is_negative(self) -> bool {
        self.0.is_sign_negative() && !self.0.is_zero()
    }

    /// Absolute value.
    pub fn abs(self) -> Money {
        Money(self.0.abs())
    }

    /// Fixed two-decimal text (`12.5` → `"12.50"`), for receipts and reports.
    pub fn to_fixed(self, currency: Currency) -> String {
        let mut d = self.0;
        d.rescale(currency.scale());
        d.to_string()
    }

    /// Parse a decimal amount (`"12.50"`); rejects anything that is not a
    /// plain decimal number.
    pub fn parse(s: &str) -> Result<Money, MoneyError> {
        Decimal::from_str(s.trim())
            .map(Money)
            .map_err(|_| MoneyError::InvalidAmount(s.to_string()))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0 + rhs.0)
    }
}

impl AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        self.0 += rhs.0;
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0 - rhs.0)
    }
}

impl SubAssign for Money {
    fn sub_assign(&mut self, rhs: Money) {
        self.0 -= rhs.0;
    }
}

impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(-self.0)
    }
}

/// Money × quantity (or rate) gives unrounded money; round it explicitly.
impl Mul<Decimal> for Money {
    type Output = Money;
    fn mul(self, rhs: Decimal) -> Money {
        Money(self.0 * rhs)
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, Add::add)
    }
}

impl<'a> Sum<&'a Money> for Money {
    fn sum<I: Iterator<Item = &'a Money>>(iter: I) -> Money {
        iter.copied().sum()
    }
}

/// Convert a historical BGN amount to EUR at the fixed rate, rounded to the
/// cent with [`RoundingRule::HalfAwayFromZero`] as the changeover law requires.
pub fn bgn_to_eur(amount_bgn: Money) -> Money {
    Currency::Eur.round(amount_bgn.0 / BGN_PER_EUR, RoundingRule::HalfAwayFromZero)
}

/// Convert a EUR amount to BGN at the fixed rate (for dual display and
/// history), rounded to the stotinka with [`RoundingRule::HalfAwayFromZero`].
pub fn eur_to_bgn(amount_eur: Money) -> Money {
    Currency::Bgn.round(amount_eur.0 * BGN_PER_EUR, RoundingRule::HalfAwayFromZero)
}

/// Cash rounding for a currency: the cash tender is rounded to a multiple of
/// `increment` (e.g. 0.05); the difference is recorded as its own line on the
/// receipt. An increment equal to the minor unit means no cash rounding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CashRounding {
    /// The smallest cash amount that can be paid (0.01 = no rounding).
    pub increment: Decimal,
    /// How the amount due is brought to a multiple of `increment`.
    pub rule: RoundingRule,
}

impl CashRounding {
    /// No cash rounding: cash is paid to the minor unit.
    pub fn none(currency: Currency) -> Self {
        CashRounding {
            increment: currency.minor_unit(),
            rule: RoundingRule::HalfAwayFromZero,
        }
    }

    /// Rounding to a multiple of `increment` with commercial rounding (the
    /// Swiss / Dutch / Finnish style 0.05 rule).
    pub fn to_increment(increment: Decimal) -> Self {
        CashRounding {
            increment,
            rule: RoundingRule::HalfAwayFromZero,
        }
    }

    /// The amount to be paid in cash for `due`, and the rounding adjustment
    /// (`rounded - due`), which is recorded as its own receipt line.
    pub fn apply(&self, due: Money) -> (Money, Money) {
        let rounded = Money(self.rule.round_to_increment(due.0, self.increment));
        (rounded, rounded - due)
    }
}

/// Errors from parsing money and currencies.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The currency code is not one Kasa knows.
    #[error("unknown currency '{0}' — use EUR, GEL or BGN")]
    UnknownCurrency(String),
    /// The text is not a decimal amount.
    #[error("'{0}' is not an amount — write it as a decimal number such as 12.50")]
    InvalidAmount(String),
}

impl ErrorCode for MoneyError {
    fn code(&self) -> &'static str {
        match self {
            MoneyError::UnknownCurrency(_) => "money.unknown_currency",
            MoneyError::InvalidAmount(_) => "money.invalid_amount",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_rules_table() {
        let cases = [
            (dec!(2.345), RoundingRule::HalfAwayFromZero, dec!(2.35)),
            (dec!(-2.345), RoundingRule::HalfAwayFromZero, dec!(-2.35)),
            (dec!(2.345), RoundingRule::HalfEven, dec!(2.34)),
            (dec!(2.355), RoundingRule::HalfEven, dec!(2.36)),
            (dec!(2.349), RoundingRule::TowardZero, dec!(2.34)),
            (dec!(-2.349), RoundingRule::TowardZero, dec!(-2.34)),
            (dec!(2.341), RoundingRule::AwayFromZero, dec!(2.35)),
            (dec!(2.344), RoundingRule::HalfAwayFromZero, dec!(2.34)),
        ];
        for (value, rule, expected) in cases {
            assert_eq!(rule.round_dp(value, 2), expected, "{value} {rule:?}");
        }
    }

    #[test]
    fn cash_rounding_to_five_cents() {
        let r = CashRounding::to_increment(dec!(0.05));
        let cases = [
            (dec!(12.32), dec!(12.30), dec!(-0.02)),
            (dec!(12.33), dec!(12.35), dec!(0.02)),
            (dec!(12.325), dec!(12.35), dec!(0.025)),
            (dec!(12.375), dec!(12.40), dec!(0.025)),
            (dec!(12.35), dec!(12.35), dec!(0)),
            (dec!(0.02), dec!(0.00), dec!(-0.02)),
        ];
        for (due, paid, adj) in cases {
            let (p, a) = r.apply(Money(due));
            assert_eq!((p.0, a.0), (paid, adj), "due {due}");
        }
        let none = CashRounding::none(Currency::Eur);
        assert_eq!(
            none.apply(Money(dec!(12.33))),
            (Money(dec!(12.33)), Money::ZERO)
        );
    }

    #[test]
    fn bgn_eur_conversion() {
        assert_eq!(bgn_to_eur(Money(dec!(1.95583))).0, dec!(1.00));
        assert_eq!(bgn_to_eur(Money(dec!(10.00))).0, dec!(5.11));
        assert_eq!(bgn_to_eur(Money(dec!(100))).0, dec!(51.13));
        assert_eq!(eur_to_bgn(Money(dec!(5.11))).0, dec!(9.99));
    }

    #[test]
    fn minor_units_round_trip() {
        let m = Money::from_minor(1250, Currency::Eur);
        assert_eq!(m.0, dec!(12.50));
        assert_eq!(
            m.to_minor(Currency::Eur, RoundingRule::HalfAwayFromZero),
            1250
        );
        assert_eq!(
            Money(dec!(-3.005)).to_minor(Currency::Eur, RoundingRule::HalfAwayFromZero),
            -301
        );
        assert_eq!(Money(dec!(12.5)).to_fixed(Currency::Eur), "12.50");
    }

    #[test]
    fn parse_rejects_garbage() {
        assert_eq!(Money::parse(" 3.10 ").unwrap().0, dec!(3.10));
        let err = Money::parse("3,10 лв").unwrap_err();
        assert_eq!(err.code(), "money.invalid_amount");
        assert_eq!("gel".parse::<Currency>().unwrap(), Currency::Gel);
        assert_eq!(
            "USD".parse::<Currency>().unwrap_err().code(),
            "money.unknown_currency"
        );
    }

    #[test]
    fn serialises_as_string() {
        let json = serde_json::to_string(&Money(dec!(12.50))).unwrap();
        assert_eq!(json, "\"12.50\"");
        let back: Money = serde_json::from_str("\"0.10\"").unwrap();
        assert_eq!(back.0, dec!(0.10));
    }
}
