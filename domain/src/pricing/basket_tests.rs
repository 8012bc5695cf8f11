//! Table tests of the basket promotions.

use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::tests::{EUR, at, fixed, money, promo};
use super::*;

fn line(sku: &str, qty: Decimal, price: Decimal) -> BasketLine {
    BasketLine {
        sku: sku.into(),
        qty,
        unit_price: money(price),
        amount: money(price * qty),
    }
}

fn ctx() -> BasketContext<'static> {
    BasketContext {
        store: "S001",
        customer_group: None,
        at: at(6, 15, 12),
    }
}

fn bogo(id: &str, skus: &[&str], buy: u32, get: u32, pct: Decimal) -> Promotion {
    promo(
        id,
        PromotionKind::Bogo {
            skus: skus.iter().map(|s| s.to_string()).collect(),
            buy,
            get,
            get_percent_off: pct,
        },
    )
}

fn mnm(id: &str, skus: &[&str], quantity: u32, price: Decimal) -> Promotion {
    promo(
        id,
        PromotionKind::MixAndMatch {
            skus: skus.iter().map(|s| s.to_string()).collect(),
            quantity,
            price: money(price),
        },
    )
}

fn threshold(id: &str, min: Decimal, reward: ThresholdReward) -> Promotion {
    promo(
        id,
        PromotionKind::ReceiptThreshold {
            min_total: money(min),
            reward,
        },
    )
}

fn per_line(lines: &[BasketLine], promos: &[Promotion]) -> Vec<Decimal> {
    evaluate_basket(lines, promos, &ctx(), EUR)
        .per_line(lines.len())
        .into_iter()
        .map(|m| m.0)
        .collect()
}

#[test]
fn basket_table() {
    type Case = (&'static str, Vec<BasketLine>, Vec<Promotion>, Vec<Decimal>);
    let cases: Vec<Case> = vec![
        (
            "bogo 1+1 free, 2 units",
            vec![line("A", dec!(2), dec!(3))],
            vec![bogo("B", &["A"], 1, 1, dec!(100))],
            vec![dec!(3)],
        ),
        (
            "bogo 1+1, 3 units → one free",
            vec![line("A", dec!(3), dec!(3))],
            vec![bogo("B", &["A"], 1, 1, dec!(100))],
            vec![dec!(3)],
        ),
        (
            "bogo 2+1, 2 units → nothing",
            vec![line("A", dec!(2), dec!(3))],
            vec![bogo("B", &["A"], 2, 1, dec!(100))],
            vec![dec!(0)],
        ),
        (
            "bogo 2+1, 6 units → two free",
            vec![line("A", dec!(6), dec!(1.5))],
            vec![bogo("B", &["A"], 2, 1, dec!(100))],
            vec![dec!(3.0)],
        ),
        (
            "bogo pooled: cheapest free",
            vec![line("A", dec!(1), dec!(5)), line("C", dec!(1), dec!(2))],
            vec![bogo("B", &["A", "C"], 1, 1, dec!(100))],
            vec![dec!(0), dec!(2)],
        ),
        (
            "bogo 1+1 at 50 %",
            vec![line("A", dec!(2), dec!(3.99))],
            vec![bogo("B", &["A"], 1, 1, dec!(50))],
            vec![dec!(2.00)],
        ),
        (
            "bogo weighed qty floors",
            vec![line("A", dec!(1.8), dec!(2))],
            vec![bogo("B", &["A"], 1, 1, dec!(100))],
            vec![dec!(0)],
        ),
        (
            "mix 3 for 5.00 across skus",
            vec![line("A", dec!(2), dec!(2)), line("C", dec!(1), dec!(2.5))],
            vec![mnm("M", &["A", "C"], 3, dec!(5))],
            vec![dec!(0.92), dec!(0.58)],
        ),
        (
            "mix 2 for 3, 5 units → 2 bundles",
            vec![line("A", dec!(5), dec!(2))],
            vec![mnm("M", &["A"], 2, dec!(3))],
            vec![dec!(2)],
        ),
        (
            "mix not cheaper → nothing",
            vec![line("A", dec!(2), dec!(1))],
            vec![mnm("M", &["A"], 2, dec!(3))],
            vec![dec!(0)],
        ),
        (
            "unit used once: bogo before mix",
            vec![line("A", dec!(2), dec!(2))],
            vec![
                bogo("B", &["A"], 1, 1, dec!(100)),
                mnm("M", &["A"], 2, dec!(1)),
            ],
            vec![dec!(2)],
        ),
        (
            "threshold percent reached",
            vec![line("A", dec!(1), dec!(30)), line("C", dec!(1), dec!(20))],
            vec![threshold(
                "T",
                dec!(50),
                ThresholdReward::PercentOff(dec!(5)),
            )],
            vec![dec!(1.50), dec!(1.00)],
        ),
        (
            "threshold just below",
            vec![line("A", dec!(1), dec!(49.99))],
            vec![threshold(
                "T",
                dec!(50),
                ThresholdReward::PercentOff(dec!(5)),
            )],
            vec![dec!(0)],
        ),
        (
            "threshold amount split exactly",
            vec![
                line("A", dec!(1), dec!(10)),
                line("C", dec!(1), dec!(10)),
                line("D", dec!(1), dec!(10)),
            ],
            vec![threshold(
                "T",
                dec!(30),
                ThresholdReward::AmountOff(money(dec!(1))),
            )],
            vec![dec!(0.34), dec!(0.33), dec!(0.33)],
        ),
        (
            "best threshold only",
            vec![line("A", dec!(1), dec!(100))],
            vec![
                threshold("T1", dec!(50), ThresholdReward::AmountOff(money(dec!(3)))),
                threshold("T2", dec!(80), ThresholdReward::PercentOff(dec!(5))),
            ],
            vec![dec!(5.00)],
        ),
        (
            "threshold after item promotions",
            vec![line("A", dec!(2), dec!(26))],
            vec![
                bogo("B", &["A"], 1, 1, dec!(100)),
                threshold("T", dec!(50), ThresholdReward::AmountOff(money(dec!(5)))),
            ],
            vec![dec!(26)],
        ),
        (
            "amount off capped at subtotal",
            vec![line("A", dec!(1), dec!(2))],
            vec![threshold(
                "T",
                dec!(1),
                ThresholdReward::AmountOff(money(dec!(5))),
            )],
            vec![dec!(2)],
        ),
    ];
    for (name, lines, promos, expected) in cases {
        assert_eq!(per_line(&lines, &promos), expected, "{name}");
    }
}

#[test]
fn basket_respects_window_store_and_line_amount() {
    let mut b = bogo("B", &["A"], 1, 1, dec!(100));
    b.to = Some(at(6, 15, 12)); // ends exactly now → inactive
    assert_eq!(
        per_line(&[line("A", dec!(2), dec!(3))], &[b.clone()]),
        vec![dec!(0)]
    );
    b.to = None;
    b.stores = vec!["S002".into()];
    assert_eq!(
        per_line(&[line("A", dec!(2), dec!(3))], &[b.clone()]),
        vec![dec!(0)]
    );
    b.stores = vec![];
    // Line already discounted to 1.00: the free unit is capped at 1.00.
    let mut l = line("A", dec!(2), dec!(3));
    l.amount = money(dec!(1));
    assert_eq!(per_line(&[l], &[b.clone()]), vec![dec!(1)]);
    // Line promotions are not basket promotions.
    assert_eq!(
        per_line(&[line("A", dec!(2), dec!(3))], &[fixed("F", "A", dec!(1))]),
        vec![dec!(0)]
    );
    let d = evaluate_basket(&[line("A", dec!(4), dec!(3))], &[b], &ctx(), EUR);
    assert_eq!(d.total(), money(dec!(6)));
    assert_eq!(d.allocations[0].promotion_id, "B");
}

#[test]
fn large_quantities_are_fast_and_exact() {
    // 1,000,001 units in bundles of 3 for 5.00: 333,333 bundles, saving 1.00 each.
    let lines = [line("A", dec!(1000001), dec!(2))];
    assert_eq!(
        per_line(&lines, &[mnm("M", &["A"], 3, dec!(5))]),
        vec![dec!(333333)]
    );
    assert_eq!(
        per_line(&lines, &[bogo("B", &["A"], 2, 1, dec!(100))]),
        vec![dec!(666666)]
    );
}
