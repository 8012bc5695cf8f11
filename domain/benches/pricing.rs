//! Pricing and cart benchmarks: what the cashier feels on every scan.
//!
//! * `price_line/*`: one line priced through the engine (tiers + promotions),
//!   the work done between a scan and the line appearing.
//! * `cart_totals/30_lines`: totals (discounts, basket promotions, VAT per
//!   rate group, per-line VAT split) of a 30-line cart — recomputed after
//!   every change to the cart.
//!
//! Run: `cargo bench -p kasa-domain --bench pricing`.

use std::hint::black_box;

use chrono::{NaiveDate, NaiveDateTime};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kasa_domain::money::{Currency, Money};
use kasa_domain::permission::{ManagerApproval, Operator, Role};
use kasa_domain::pricing::{
    PriceRequest, PriceTier, PricingInputs, Promotion, PromotionKind, ThresholdReward, TierKind,
    price_line,
};
use kasa_domain::product::{Lifecycle, Unit};
use kasa_domain::sale::{Discount, NewLine, ProductSnapshot, Sale, SaleConfig};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use uuid::Uuid;

fn now() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 6, 15)
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap()
}

fn promo(id: &str, kind: PromotionKind) -> Promotion {
    Promotion {
        id: id.into(),
        name: id.into(),
        from: now() - chrono::Duration::days(10),
        to: Some(now() + chrono::Duration::days(10)),
        stores: vec!["S001".into()],
        customer_groups: vec![],
        kind,
    }
}

fn inputs(sku: &str) -> PricingInputs {
    let tier = |kind, price: Decimal| PriceTier::new(kind, Money(price));
    PricingInputs {
        sku: sku.into(),
        tiers: vec![
            tier(TierKind::Base, dec!(24.99)),
            PriceTier {
                store: Some("S001".into()),
                ..tier(TierKind::Base, dec!(24.49))
            },
            PriceTier {
                customer_group: Some("VIP".into()),
                ..tier(TierKind::Group, dec!(22.00))
            },
            PriceTier {
                min_qty: Some(dec!(10)),
                ..tier(TierKind::Step, dec!(23.00))
            },
            PriceTier {
                min_qty: Some(dec!(50)),
                ..tier(TierKind::Step, dec!(21.50))
            },
        ],
        promotions: vec![
            promo(
                "PCT",
                PromotionKind::PercentOff {
                    skus: vec![sku.into(), "OTHER".into()],
                    percent: dec!(5),
                },
            ),
            promo(
                "FIX",
                PromotionKind::FixedPrice {
                    skus: vec!["OTHER".into()],
                    price: Money(dec!(1)),
                },
            ),
        ],
        cost: Some(Money(dec!(15.00))),
        markup_percent: Some(dec!(30)),
    }
}

fn cart() -> Sale {
    let mut sale = Sale::new(
        Uuid::nil(),
        SaleConfig::eur("S001"),
        Operator::new("ana", Role::Cashier),
        now(),
    );
    sale.set_promotions(vec![
        promo(
            "BOGO",
            PromotionKind::Bogo {
                skus: vec!["SKU3".into(), "SKU4".into()],
                buy: 1,
                get: 1,
                get_percent_off: dec!(100),
            },
        ),
        promo(
            "MIX",
            PromotionKind::MixAndMatch {
                skus: (10..20).map(|i| format!("SKU{i}")).collect(),
                quantity: 3,
                price: Money(dec!(5)),
            },
        ),
        promo(
            "T50",
            PromotionKind::ReceiptThreshold {
                min_total: Money(dec!(50)),
                reward: ThresholdReward::PercentOff(dec!(3)),
            },
        ),
    ]);
    let classes = [
        ("standard", dec!(20)),
        ("reduced", dec!(9)),
        ("zero", dec!(0)),
    ];
    for i in 0..30u32 {
        let (class, rate) = classes[(i % 3) as usize];
        let sku = format!("SKU{i}");
        let request = PriceRequest {
            store: "S001",
            customer_group: None,
            qty: Decimal::from(1 + i % 4),
            at: now(),
        };
        let quote = price_line(&inputs(&sku), &request, Currency::Eur).unwrap();
        let n = sale
            .add_line(NewLine {
                product: ProductSnapshot {
                    sku,
                    name: format!("Артикул {i}"),
                    unit: Unit::Piece,
                    vat_class: class.into(),
                    vat_rate_percent: rate,
                },
                lifecycle: Lifecycle::Active,
                qty: request.qty,
                quote,
            })
            .unwrap();
        if i % 7 == 0 {
            sale.set_line_discount(n, Some(Discount::Percent(dec!(5))), None)
                .unwrap();
        }
    }
    let boss = ManagerApproval::new("boris", Role::Manager);
    sale.add_receipt_discount(Discount::Amount(Money(dec!(2.50))), None, Some(&boss))
        .unwrap();
    sale
}

fn bench(c: &mut Criterion) {
    let one = inputs("SKU1");
    let mut g = c.benchmark_group("price_line");
    g.throughput(Throughput::Elements(1));
    for (name, group, qty) in [
        ("anonymous_1", None, dec!(1)),
        ("vip_50", Some("VIP"), dec!(50)),
    ] {
        let request = PriceRequest {
            store: "S001",
            customer_group: group,
            qty,
            at: now(),
        };
        g.bench_function(name, |b| {
            b.iter(|| price_line(black_box(&one), black_box(&request), Currency::Eur).unwrap())
        });
    }
    g.finish();

    let sale = cart();
    let mut g = c.benchmark_group("cart_totals");
    g.throughput(Throughput::Elements(1));
    g.bench_function("30_lines", |b| b.iter(|| black_box(&sale).totals()));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
