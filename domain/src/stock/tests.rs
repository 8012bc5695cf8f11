//! Table and property tests of the stock rules.

use chrono::{NaiveDate, NaiveDateTime};
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use uuid::Uuid;

use super::*;

fn at(d: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 4, d)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap()
}

fn mv(kind: MovementKind, qty: Decimal, cost: Decimal) -> StockMovement {
    StockMovement {
        id: Uuid::nil(),
        sku: "A".into(),
        location: "S001".into(),
        batch: None,
        qty,
        unit_cost: Money(cost),
        unit_sale_price: None,
        document_id: Uuid::nil(),
        at: at(1),
        kind,
    }
}

#[test]
fn weighted_average_table() {
    use MovementKind::*;
    // (case, movements, qty, avg, last purchase)
    type Case = (
        &'static str,
        Vec<StockMovement>,
        Decimal,
        Decimal,
        Option<Decimal>,
    );
    let cases: Vec<Case> = vec![
        (
            "first receipt sets avg",
            vec![mv(Receipt, dec!(10), dec!(2))],
            dec!(10),
            dec!(2),
            Some(dec!(2)),
        ),
        (
            "weighted",
            vec![
                mv(Receipt, dec!(10), dec!(2)),
                mv(Receipt, dec!(30), dec!(3)),
            ],
            dec!(40),
            dec!(2.75),
            Some(dec!(3)),
        ),
        (
            "issue keeps avg",
            vec![
                mv(Receipt, dec!(10), dec!(2)),
                mv(Sale, dec!(-4), dec!(2)),
                mv(Receipt, dec!(6), dec!(4)),
            ],
            dec!(12),
            dec!(3),
            Some(dec!(4)),
        ),
        (
            "rounded to 4 dp",
            vec![
                mv(Receipt, dec!(3), dec!(1)),
                mv(Receipt, dec!(3), dec!(1.00001)),
                mv(Receipt, dec!(1), dec!(2)),
            ],
            dec!(7),
            dec!(1.1429),
            Some(dec!(2)),
        ),
        (
            "negative then receipt → receipt cost",
            vec![
                mv(Receipt, dec!(2), dec!(5)),
                mv(Sale, dec!(-5), dec!(5)),
                mv(Receipt, dec!(10), dec!(7)),
            ],
            dec!(7),
            dec!(7),
            Some(dec!(7)),
        ),
        (
            "zero then receipt → receipt cost",
            vec![
                mv(Receipt, dec!(2), dec!(5)),
                mv(Sale, dec!(-2), dec!(5)),
                mv(Receipt, dec!(1), dec!(9)),
            ],
            dec!(1),
            dec!(9),
            Some(dec!(9)),
        ),
        (
            "receipt still negative → receipt cost",
            vec![mv(Sale, dec!(-5), dec!(0)), mv(Receipt, dec!(2), dec!(3))],
            dec!(-3),
            dec!(3),
            Some(dec!(3)),
        ),
        (
            "transfer in weights avg, not last purchase",
            vec![
                mv(Receipt, dec!(10), dec!(2)),
                mv(TransferIn, dec!(10), dec!(4)),
            ],
            dec!(20),
            dec!(3),
            Some(dec!(2)),
        ),
        (
            "customer return keeps avg",
            vec![mv(Receipt, dec!(10), dec!(2)), mv(Return, dec!(5), dec!(9))],
            dec!(15),
            dec!(2),
            Some(dec!(2)),
        ),
        (
            "count adjustment keeps avg",
            vec![
                mv(Receipt, dec!(10), dec!(2)),
                mv(CountAdjustment, dec!(-3), dec!(2)),
                mv(CountAdjustment, dec!(1), dec!(2)),
            ],
            dec!(8),
            dec!(2),
            Some(dec!(2)),
        ),
    ];
    for (name, movements, qty, avg, last) in cases {
        let p = StockPosition::from_movements(&movements);
        assert_eq!(
            (p.qty, p.avg_cost.0, p.last_purchase_cost.map(|m| m.0)),
            (qty, avg, last),
            "{name}"
        );
    }
}

#[test]
fn sign_validation() {
    use MovementKind::*;
    let cases = [
        (Sale, dec!(-1), true),
        (Sale, dec!(1), false),
        (Return, dec!(1), true),
        (Return, dec!(-1), false),
        (Receipt, dec!(-1), false),
        (SupplierReturn, dec!(-1), true),
        (TransferOut, dec!(2), false),
        (TransferIn, dec!(2), true),
        (CountAdjustment, dec!(-2), true),
        (Adjustment, dec!(2), true),
        (Adjustment, dec!(0), false),
    ];
    for (kind, qty, ok) in cases {
        let r = mv(kind, qty, dec!(1)).validate();
        assert_eq!(r.is_ok(), ok, "{kind:?} {qty}");
        if let Err(e) = r {
            assert_eq!(crate::ErrorCode::code(&e), "stock.wrong_sign");
        }
    }
    let e = mv(Receipt, dec!(1), dec!(-1)).validate().unwrap_err();
    assert_eq!(crate::ErrorCode::code(&e), "stock.negative_cost");
    let m = mv(Receipt, dec!(4), dec!(2));
    let r = m.reversal(Uuid::from_u128(2), Uuid::from_u128(3), at(2));
    assert_eq!((r.qty, r.kind), (dec!(-4), MovementKind::Adjustment));
    assert_eq!(StockPosition::from_movements([&m, &r]).qty, Decimal::ZERO);
}

fn batch(code: &str, expiry: Option<u32>, received: u32, qty: Decimal) -> BatchStock {
    BatchStock {
        batch: code.into(),
        expiry: expiry.map(|d| NaiveDate::from_ymd_opt(2026, 5, d).unwrap()),
        received_at: at(received),
        qty,
    }
}

#[test]
fn fifo_table() {
    let batches = vec![
        batch("NOEXP", None, 1, dec!(5)),
        batch("LATE", Some(20), 1, dec!(5)),
        batch("EARLY", Some(10), 3, dec!(2)),
        batch("EARLY-OLD", Some(10), 2, dec!(1)),
        batch("EMPTY", Some(1), 1, dec!(0)),
    ];
    // (qty, allocations, unbatched)
    type Case = (Decimal, Vec<(&'static str, Decimal)>, Decimal);
    let cases: Vec<Case> = vec![
        (dec!(1), vec![("EARLY-OLD", dec!(1))], dec!(0)),
        (
            dec!(2.5),
            vec![("EARLY-OLD", dec!(1)), ("EARLY", dec!(1.5))],
            dec!(0),
        ),
        (
            dec!(9),
            vec![
                ("EARLY-OLD", dec!(1)),
                ("EARLY", dec!(2)),
                ("LATE", dec!(5)),
                ("NOEXP", dec!(1)),
            ],
            dec!(0),
        ),
        (
            dec!(15),
            vec![
                ("EARLY-OLD", dec!(1)),
                ("EARLY", dec!(2)),
                ("LATE", dec!(5)),
                ("NOEXP", dec!(5)),
            ],
            dec!(2),
        ),
        (dec!(0), vec![], dec!(0)),
    ];
    for (qty, allocs, unbatched) in cases {
        let r = consume_fifo(&batches, qty);
        let got: Vec<(&str, Decimal)> = r
            .allocations
            .iter()
            .map(|a| (a.batch.as_str(), a.qty))
            .collect();
        assert_eq!((got, r.unbatched), (allocs, unbatched), "qty {qty}");
    }
    let r = consume_fifo(&[], dec!(3));
    assert_eq!(r.unbatched, dec!(3));
}

#[test]
fn split_sale_movement_by_batches() {
    let batches = vec![
        batch("B1", Some(1), 1, dec!(2)),
        batch("B2", Some(2), 1, dec!(1)),
    ];
    let mut sale = mv(MovementKind::Sale, dec!(-5), dec!(3));
    sale.id = Uuid::from_u128(100);
    let fifo = consume_fifo(&batches, -sale.qty);
    let mut n = 100u128;
    let parts = split_by_batches(&sale, &fifo, || {
        n += 1;
        Uuid::from_u128(n)
    });
    let got: Vec<(Option<&str>, Decimal, u128)> = parts
        .iter()
        .map(|m| (m.batch.as_deref(), m.qty, m.id.as_u128()))
        .collect();
    assert_eq!(
        got,
        vec![
            (Some("B1"), dec!(-2), 100),
            (Some("B2"), dec!(-1), 101),
            (None, dec!(-2), 102)
        ]
    );
    let total: Decimal = parts.iter().map(|m| m.qty).sum();
    assert_eq!(total, sale.qty);
}

fn movement_strategy() -> impl Strategy<Value = StockMovement> {
    use MovementKind::*;
    (
        prop_oneof![
            Just(Sale),
            Just(Return),
            Just(Receipt),
            Just(SupplierReturn),
            Just(TransferOut),
            Just(TransferIn),
            Just(CountAdjustment),
            Just(Adjustment)
        ],
        1i64..100_000,
        any::<bool>(),
        0i64..100_000,
    )
        .prop_map(|(kind, qty_milli, neg, cost_cents)| {
            let magnitude = Decimal::new(qty_milli, 3);
            let qty = match kind.sign() {
                Sign::Positive => magnitude,
                Sign::Negative => -magnitude,
                Sign::Either if neg => -magnitude,
                Sign::Either => magnitude,
            };
            mv(kind, qty, Decimal::new(cost_cents, 2))
        })
}

proptest! {
    /// The cache updated movement by movement (as the terminal does) equals a
    /// rebuild from scratch at every split point, and qty = Σ movements.
    #[test]
    fn position_is_a_fold_of_movements(
        movements in proptest::collection::vec(movement_strategy(), 0..60),
        split in 0usize..60,
    ) {
        for m in &movements {
            prop_assert!(m.validate().is_ok());
        }
        let split = split.min(movements.len());
        let mut cached = StockPosition::from_movements(&movements[..split]);
        for m in &movements[split..] {
            cached.apply(m);
        }
        let rebuilt = StockPosition::from_movements(&movements);
        prop_assert_eq!(&cached, &rebuilt);
        let sum: Decimal = movements.iter().map(|m| m.qty).sum();
        prop_assert_eq!(rebuilt.qty, sum);
        prop_assert!(!rebuilt.avg_cost.is_negative());
    }

    /// With only purchases, the average lies between the cheapest and the
    /// dearest purchase cost.
    #[test]
    fn average_between_min_and_max_cost(
        receipts in proptest::collection::vec((1i64..1000, 0i64..100_000), 1..30),
    ) {
        let movements: Vec<StockMovement> = receipts
            .iter()
            .map(|(q, c)| mv(MovementKind::Receipt, Decimal::from(*q), Decimal::new(*c, 2)))
            .collect();
        let p = StockPosition::from_movements(&movements);
        let min = movements.iter().map(|m| m.unit_cost).min().unwrap();
        let max = movements.iter().map(|m| m.unit_cost).max().unwrap();
        prop_assert!(p.avg_cost >= min && p.avg_cost <= max);
    }

    /// FIFO: allocations + unbatched = qty; no batch over-consumed; the
    /// remainder only when every batch is used up.
    #[test]
    fn fifo_invariants(
        stock in proptest::collection::vec((0i64..50, proptest::option::of(1u32..28), 1u32..28), 0..10),
        qty in 0i64..300,
    ) {
        let batches: Vec<BatchStock> = stock
            .iter()
            .enumerate()
            .map(|(i, (q, e, r))| batch(&format!("B{i}"), *e, *r, Decimal::from(*q)))
            .collect();
        let qty = Decimal::from(qty);
        let r = consume_fifo(&batches, qty);
        let taken: Decimal = r.allocations.iter().map(|a| a.qty).sum();
        prop_assert_eq!(taken + r.unbatched, qty);
        for a in &r.allocations {
            let b = batches.iter().find(|b| b.batch == a.batch).unwrap();
            prop_assert!(a.qty > Decimal::ZERO && a.qty <= b.qty);
        }
        let on_hand: Decimal = batches.iter().map(|b| b.qty).sum();
        if r.unbatched > Decimal::ZERO {
            prop_assert_eq!(taken, on_hand);
        }
        // consumption order never takes a later expiry before an earlier one
        let expiries: Vec<Option<NaiveDate>> = r
            .allocations
            .iter()
            .map(|a| batches.iter().find(|b| b.batch == a.batch).unwrap().expiry)
            .collect();
        for w in expiries.windows(2) {
            match (w[0], w[1]) {
                (Some(x), Some(y)) => prop_assert!(x <= y),
                (None, Some(_)) => prop_assert!(false, "no-expiry batch before a dated one"),
                _ => {}
            }
        }
    }
}
