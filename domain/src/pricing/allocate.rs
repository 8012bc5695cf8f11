//! Exact proportional allocation of an amount over weights (largest
//! remainder, a.k.a. Hamilton's method), in integer minor units.
//!
//! Used for receipt discounts, receipt-threshold promotions and
//! mix-and-match bundles: the allocated parts always sum to the total
//! exactly, each part is within one minor unit of its exact proportional
//! share, and ties in the remainder go to the lower index (the earlier line).

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::money::{Currency, Money, RoundingRule};

/// Split `total` over `weights` in proportion, so the parts sum to `total`
/// exactly (after `total` is rounded to the currency's minor unit with
/// [`RoundingRule::HalfAwayFromZero`]).
///
/// Rule: each part gets `floor(total × w / Σw)` minor units; the units still
/// missing go one each to the parts with the largest remainders, lower index
/// first on ties. Weights are rounded to minor units the same way; negative
/// weights count as zero. When all weights are zero the whole total goes to
/// the first part (there is nothing to be proportional to).
///
/// With `0 ≤ total ≤ Σ weights` no part exceeds its weight, so a discount
/// allocated this way never makes a line negative.
pub fn allocate_proportionally(total: Money, weights: &[Money], currency: Currency) -> Vec<Money> {
    if weights.is_empty() {
        return Vec::new();
    }
    let rule = RoundingRule::HalfAwayFromZero;
    let total_minor = i128::from(total.to_minor(currency, rule));
    let w: Vec<i128> = weights
        .iter()
        .map(|m| i128::from(m.to_minor(currency, rule)).max(0))
        .collect();
    let sum: i128 = w.iter().sum();
    let mut parts = vec![0i128; w.len()];
    if sum == 0 {
        parts[0] = total_minor;
    } else {
        let negative = total_minor < 0;
        let t = total_minor.abs();
        let mut rems: Vec<(i128, usize)> = Vec::with_capacity(w.len());
        for (i, &wi) in w.iter().enumerate() {
            let num = t * wi;
            parts[i] = num / sum;
            rems.push((num % sum, i));
        }
        let given: i128 = parts.iter().sum();
        let mut missing = t - given;
        rems.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for &(_, i) in rems.iter().cycle() {
            if missing <= 0 {
                break;
            }
            parts[i] += 1;
            missing -= 1;
        }
        if negative {
            for p in &mut parts {
                *p = -*p;
            }
        }
    }
    parts
        .into_iter()
        .map(|p| Money(minor_to_decimal(p, currency)))
        .collect()
}

fn minor_to_decimal(minor: i128, currency: Currency) -> Decimal {
    // Till amounts fit in i64 minor units (see Money::to_minor).
    let v = minor
        .to_i64()
        .unwrap_or(if minor < 0 { i64::MIN } else { i64::MAX });
    Decimal::new(v, currency.scale())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn m(d: Decimal) -> Money {
        Money(d)
    }

    #[test]
    fn table() {
        let eur = Currency::Eur;
        // (total, weights, expected)
        let cases: Vec<(Decimal, Vec<Decimal>, Vec<Decimal>)> = vec![
            (
                dec!(1.00),
                vec![dec!(1), dec!(1), dec!(1)],
                vec![dec!(0.34), dec!(0.33), dec!(0.33)],
            ),
            (
                dec!(0.02),
                vec![dec!(1), dec!(1), dec!(1)],
                vec![dec!(0.01), dec!(0.01), dec!(0)],
            ),
            (
                dec!(10.00),
                vec![dec!(30), dec!(10)],
                vec![dec!(7.50), dec!(2.50)],
            ),
            (
                dec!(5.00),
                vec![dec!(0), dec!(0)],
                vec![dec!(5.00), dec!(0)],
            ),
            (
                dec!(-1.00),
                vec![dec!(2), dec!(1)],
                vec![dec!(-0.67), dec!(-0.33)],
            ),
            (
                dec!(0.05),
                vec![dec!(1.99), dec!(0.01)],
                vec![dec!(0.05), dec!(0)],
            ),
        ];
        for (total, weights, expected) in cases {
            let w: Vec<Money> = weights.into_iter().map(m).collect();
            let got: Vec<Decimal> = allocate_proportionally(m(total), &w, eur)
                .into_iter()
                .map(|x| x.0)
                .collect();
            assert_eq!(got, expected, "total {total}");
        }
        assert!(allocate_proportionally(m(dec!(1)), &[], eur).is_empty());
    }

    proptest! {
        #[test]
        fn parts_sum_exactly_and_stay_within_weights(
            weights in proptest::collection::vec(0i64..100_000, 1..20),
            total_frac in 0u32..=1000,
        ) {
            let eur = Currency::Eur;
            let w: Vec<Money> = weights.iter().map(|&x| Money::from_minor(x, eur)).collect();
            let sum: i64 = weights.iter().sum();
            let total = Money::from_minor(sum * i64::from(total_frac) / 1000, eur);
            let parts = allocate_proportionally(total, &w, eur);
            prop_assert_eq!(parts.iter().copied().sum::<Money>(), total);
            if sum > 0 {
                for (p, wi) in parts.iter().zip(&w) {
                    prop_assert!(p.0 >= Decimal::ZERO);
                    prop_assert!(p.0 <= wi.0);
                    // within one cent of the exact share
                    let exact = total.0 * wi.0 / Money::from_minor(sum, eur).0;
                    prop_assert!((p.0 - exact).abs() < dec!(0.01));
                }
            }
        }
    }
}
