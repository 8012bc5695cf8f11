//! Table tests of the pricing rules and basket promotions.

use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::*;
use crate::ErrorCode;

pub(super) const EUR: Currency = Currency::Eur;

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).unwrap()
}

pub(super) fn at(m: u32, d: u32, h: u32) -> NaiveDateTime {
    day(m, d).and_hms_opt(h, 0, 0).unwrap()
}

pub(super) fn money(d: Decimal) -> Money {
    Money(d)
}

fn tier(kind: TierKind, price: Decimal) -> PriceTier {
    PriceTier::new(kind, money(price))
}

fn group(name: &str, price: Decimal) -> PriceTier {
    PriceTier {
        customer_group: Some(name.into()),
        ..tier(TierKind::Group, price)
    }
}

fn step(min: Decimal, price: Decimal) -> PriceTier {
    PriceTier {
        min_qty: Some(min),
        ..tier(TierKind::Step, price)
    }
}

pub(super) fn promo(id: &str, kind: PromotionKind) -> Promotion {
    Promotion {
        id: id.into(),
        name: id.into(),
        from: at(1, 1, 0),
        to: None,
        stores: vec![],
        customer_groups: vec![],
        kind,
    }
}

pub(super) fn fixed(id: &str, sku: &str, price: Decimal) -> Promotion {
    promo(
        id,
        PromotionKind::FixedPrice {
            skus: vec![sku.into()],
            price: money(price),
        },
    )
}

fn req(qty: Decimal, group: Option<&str>) -> PriceRequest<'_> {
    PriceRequest {
        store: "S001",
        customer_group: group,
        qty,
        at: at(6, 15, 12),
    }
}

/// The worked example of DOMAIN.md.
#[test]
fn worked_example_step_beats_vip_and_base() {
    let inputs = PricingInputs {
        sku: "A".into(),
        tiers: vec![
            tier(TierKind::Base, dec!(24.99)),
            group("VIP", dec!(22.00)),
            step(dec!(50), dec!(21.50)),
        ],
        promotions: vec![],
        cost: Some(money(dec!(15.00))),
        markup_percent: None,
    };
    let q = price_line(&inputs, &req(dec!(50), Some("VIP")), EUR).unwrap();
    assert_eq!(q.unit_price, money(dec!(21.50)));
    assert_eq!(q.rule, PriceRule::QuantityBreak { min_qty: dec!(50) });
    assert_eq!(q.cost, Some(money(dec!(15.00))));
    assert_eq!(q.profit, Some(money(dec!(6.50))));
    assert_eq!(q.margin_percent, Some(dec!(30.2)));
    assert_eq!(q.regular_price, Some(money(dec!(24.99))));

    // 49 units: the step does not apply, VIP wins.
    let q = price_line(&inputs, &req(dec!(49), Some("VIP")), EUR).unwrap();
    assert_eq!(q.unit_price, money(dec!(22.00)));
    assert_eq!(
        q.rule,
        PriceRule::CustomerGroup {
            group: "VIP".into()
        }
    );
    // No group, 1 unit: base.
    let q = price_line(&inputs, &req(dec!(1), None), EUR).unwrap();
    assert_eq!(
        q.rule,
        PriceRule::Base {
            store_specific: false
        }
    );
    assert_eq!(q.margin_percent, Some(dec!(40.0)));
}

#[test]
fn rule_table() {
    let base = tier(TierKind::Base, dec!(10.00));
    let store_base = PriceTier {
        store: Some("S001".into()),
        ..tier(TierKind::Base, dec!(9.50))
    };
    let other_store_base = PriceTier {
        store: Some("S002".into()),
        ..tier(TierKind::Base, dec!(8.00))
    };
    let pct = promo(
        "PCT",
        PromotionKind::PercentOff {
            skus: vec!["A".into()],
            percent: dec!(15),
        },
    );
    // (case, tiers, promotions, cost, markup, qty, group, price, rule)
    type Case = (
        &'static str,
        Vec<PriceTier>,
        Vec<Promotion>,
        Option<Decimal>,
        Option<Decimal>,
        Decimal,
        Option<&'static str>,
        Decimal,
        PriceRule,
    );
    let cases: Vec<Case> = vec![
        (
            "global base",
            vec![base.clone()],
            vec![],
            None,
            None,
            dec!(1),
            None,
            dec!(10.00),
            PriceRule::Base {
                store_specific: false,
            },
        ),
        (
            "store base beats global even if higher",
            vec![
                base.clone(),
                PriceTier {
                    price: money(dec!(11)),
                    ..store_base.clone()
                },
            ],
            vec![],
            None,
            None,
            dec!(1),
            None,
            dec!(11),
            PriceRule::Base {
                store_specific: true,
            },
        ),
        (
            "other store's base ignored",
            vec![base.clone(), other_store_base.clone()],
            vec![],
            None,
            None,
            dec!(1),
            None,
            dec!(10.00),
            PriceRule::Base {
                store_specific: false,
            },
        ),
        (
            "cost + markup fallback",
            vec![],
            vec![],
            Some(dec!(4.00)),
            Some(dec!(33)),
            dec!(1),
            None,
            dec!(5.32),
            PriceRule::CostPlusMarkup {
                markup_percent: dec!(33),
            },
        ),
        (
            "markup rounds half away",
            vec![],
            vec![],
            Some(dec!(0.25)),
            Some(dec!(10)),
            dec!(1),
            None,
            dec!(0.28),
            PriceRule::CostPlusMarkup {
                markup_percent: dec!(10),
            },
        ),
        (
            "base preferred to markup",
            vec![base.clone()],
            vec![],
            Some(dec!(4.00)),
            Some(dec!(33)),
            dec!(1),
            None,
            dec!(10.00),
            PriceRule::Base {
                store_specific: false,
            },
        ),
        (
            "fixed promotion",
            vec![base.clone()],
            vec![fixed("P1", "A", dec!(7.77))],
            None,
            None,
            dec!(1),
            None,
            dec!(7.77),
            PriceRule::Promotion { id: "P1".into() },
        ),
        (
            "promotion for other sku ignored",
            vec![base.clone()],
            vec![fixed("P1", "B", dec!(1))],
            None,
            None,
            dec!(1),
            None,
            dec!(10.00),
            PriceRule::Base {
                store_specific: false,
            },
        ),
        (
            "percent off store base",
            vec![base.clone(), store_base.clone()],
            vec![pct.clone()],
            None,
            None,
            dec!(1),
            None,
            dec!(8.08),
            PriceRule::Promotion { id: "PCT".into() },
        ),
        (
            "percent off cost+markup",
            vec![],
            vec![pct.clone()],
            Some(dec!(10)),
            Some(dec!(0)),
            dec!(1),
            None,
            dec!(8.50),
            PriceRule::Promotion { id: "PCT".into() },
        ),
        (
            "group applies only to its group",
            vec![base.clone(), group("VIP", dec!(9))],
            vec![],
            None,
            None,
            dec!(1),
            Some("STAFF"),
            dec!(10.00),
            PriceRule::Base {
                store_specific: false,
            },
        ),
        (
            "group price above base still wins (tier applies)",
            vec![base.clone(), group("VIP", dec!(10.50))],
            vec![],
            None,
            None,
            dec!(1),
            Some("VIP"),
            dec!(10.50),
            PriceRule::CustomerGroup {
                group: "VIP".into(),
            },
        ),
        (
            "highest reached step wins by being lowest",
            vec![
                base.clone(),
                step(dec!(10), dec!(9)),
                step(dec!(20), dec!(8)),
            ],
            vec![],
            None,
            None,
            dec!(25),
            None,
            dec!(8),
            PriceRule::QuantityBreak { min_qty: dec!(20) },
        ),
        (
            "step at exact min qty",
            vec![base.clone(), step(dec!(10), dec!(9))],
            vec![],
            None,
            None,
            dec!(10),
            None,
            dec!(9),
            PriceRule::QuantityBreak { min_qty: dec!(10) },
        ),
        (
            "step just below min qty",
            vec![base.clone(), step(dec!(10), dec!(9))],
            vec![],
            None,
            None,
            dec!(9.999),
            None,
            dec!(10.00),
            PriceRule::Base {
                store_specific: false,
            },
        ),
        (
            "promotion beats group and step",
            vec![
                base.clone(),
                group("VIP", dec!(9)),
                step(dec!(2), dec!(8.5)),
            ],
            vec![fixed("P", "A", dec!(8))],
            None,
            None,
            dec!(5),
            Some("VIP"),
            dec!(8),
            PriceRule::Promotion { id: "P".into() },
        ),
        (
            "tie promotion = group = step → promotion",
            vec![base.clone(), group("VIP", dec!(9)), step(dec!(1), dec!(9))],
            vec![fixed("P", "A", dec!(9))],
            None,
            None,
            dec!(5),
            Some("VIP"),
            dec!(9),
            PriceRule::Promotion { id: "P".into() },
        ),
        (
            "tie group = step → group",
            vec![base.clone(), group("VIP", dec!(9)), step(dec!(1), dec!(9))],
            vec![],
            None,
            None,
            dec!(5),
            Some("VIP"),
            dec!(9),
            PriceRule::CustomerGroup {
                group: "VIP".into(),
            },
        ),
        (
            "tie of two promotions → first",
            vec![base.clone()],
            vec![fixed("P1", "A", dec!(5)), fixed("P2", "A", dec!(5))],
            None,
            None,
            dec!(1),
            None,
            dec!(5),
            PriceRule::Promotion { id: "P1".into() },
        ),
        (
            "lower second promotion wins",
            vec![base.clone()],
            vec![fixed("P1", "A", dec!(5)), fixed("P2", "A", dec!(4.99))],
            None,
            None,
            dec!(1),
            None,
            dec!(4.99),
            PriceRule::Promotion { id: "P2".into() },
        ),
        (
            "store-scoped step in other store ignored",
            vec![
                base.clone(),
                PriceTier {
                    store: Some("S002".into()),
                    ..step(dec!(1), dec!(1))
                },
            ],
            vec![],
            None,
            None,
            dec!(5),
            None,
            dec!(10.00),
            PriceRule::Base {
                store_specific: false,
            },
        ),
    ];
    for (name, tiers, promotions, cost, markup, qty, grp, price, rule) in cases {
        let inputs = PricingInputs {
            sku: "A".into(),
            tiers,
            promotions,
            cost: cost.map(money),
            markup_percent: markup,
        };
        let q = price_line(&inputs, &req(qty, grp), EUR).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!((q.unit_price, q.rule), (money(price), rule), "{name}");
    }
}

#[test]
fn promotion_time_window_and_store_scope_edges() {
    let mut p = fixed("P", "A", dec!(1));
    p.from = at(6, 1, 0);
    p.to = Some(at(6, 8, 0));
    p.stores = vec!["S001".into()];
    let inputs = PricingInputs {
        sku: "A".into(),
        tiers: vec![tier(TierKind::Base, dec!(2))],
        promotions: vec![p],
        ..Default::default()
    };
    let one_sec_before = at(6, 1, 0) - chrono::Duration::seconds(1);
    // (moment, store, promotion applies)
    let cases = [
        (one_sec_before, "S001", false),
        (at(6, 1, 0), "S001", true),
        (at(6, 8, 0) - chrono::Duration::seconds(1), "S001", true),
        (at(6, 8, 0), "S001", false),
        (at(6, 3, 0), "S002", false),
    ];
    for (moment, store, applies) in cases {
        let r = PriceRequest {
            store,
            customer_group: None,
            qty: dec!(1),
            at: moment,
        };
        let q = price_line(&inputs, &r, EUR).unwrap();
        assert_eq!(q.unit_price == money(dec!(1)), applies, "{moment} {store}");
    }
}

#[test]
fn tier_dates_are_inclusive_days() {
    let mut t = group("VIP", dec!(5));
    t.valid_from = Some(day(6, 10));
    t.valid_to = Some(day(6, 12));
    let inputs = PricingInputs {
        sku: "A".into(),
        tiers: vec![tier(TierKind::Base, dec!(9)), t],
        ..Default::default()
    };
    for (d, vip) in [(9, false), (10, true), (12, true), (13, false)] {
        let r = PriceRequest {
            store: "S001",
            customer_group: Some("VIP"),
            qty: dec!(1),
            at: day(6, d).and_hms_opt(23, 59, 0).unwrap(),
        };
        let q = price_line(&inputs, &r, EUR).unwrap();
        assert_eq!(q.unit_price == money(dec!(5)), vip, "day {d}");
    }
    // Later base row wins once valid.
    let mut newer = tier(TierKind::Base, dec!(8));
    newer.valid_from = Some(day(6, 1));
    let inputs = PricingInputs {
        sku: "A".into(),
        tiers: vec![tier(TierKind::Base, dec!(9)), newer],
        ..Default::default()
    };
    assert_eq!(
        price_line(&inputs, &req(dec!(1), None), EUR)
            .unwrap()
            .unit_price,
        money(dec!(8))
    );
}

#[test]
fn group_scoped_promotion() {
    let mut p = fixed("VIPDAY", "A", dec!(3));
    p.customer_groups = vec!["VIP".into()];
    let inputs = PricingInputs {
        sku: "A".into(),
        tiers: vec![tier(TierKind::Base, dec!(4))],
        promotions: vec![p],
        ..Default::default()
    };
    assert_eq!(
        price_line(&inputs, &req(dec!(1), Some("VIP")), EUR)
            .unwrap()
            .unit_price,
        money(dec!(3))
    );
    assert_eq!(
        price_line(&inputs, &req(dec!(1), None), EUR)
            .unwrap()
            .unit_price,
        money(dec!(4))
    );
}

#[test]
fn named_errors() {
    let inputs = PricingInputs {
        sku: "X".into(),
        cost: Some(money(dec!(1))),
        ..Default::default()
    };
    let e = price_line(&inputs, &req(dec!(1), None), EUR).unwrap_err();
    assert_eq!(e.code(), "pricing.no_price");
    assert!(e.to_string().contains("'X'"));
    let e = price_line(&inputs, &req(dec!(0), None), EUR).unwrap_err();
    assert_eq!(e.code(), "pricing.invalid_quantity");
}

#[test]
fn margin_without_cost_or_price() {
    let q = quote(
        money(dec!(0)),
        PriceRule::Manual,
        None,
        Some(money(dec!(1))),
    );
    assert_eq!(q.margin_percent, None);
    assert_eq!(q.profit, Some(money(dec!(-1))));
    let q = quote(money(dec!(3)), PriceRule::Manual, None, None);
    assert_eq!((q.profit, q.margin_percent), (None, None));
    // rounding of the margin: 1/3 → 33.3, 2/3 → 66.7, 0.05 % exact half → away
    assert_eq!(
        margin_percent(money(dec!(1)), money(dec!(3))),
        Some(dec!(33.3))
    );
    assert_eq!(
        margin_percent(money(dec!(2)), money(dec!(3))),
        Some(dec!(66.7))
    );
    assert_eq!(
        margin_percent(money(dec!(0.0005)), money(dec!(1))),
        Some(dec!(0.1))
    );
    assert_eq!(
        margin_percent(money(dec!(-0.0005)), money(dec!(1))),
        Some(dec!(-0.1))
    );
}
