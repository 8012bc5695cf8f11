//! Property test: after any sequence of receipts, sales, returns and
//! approved counts, the cache equals the sum of movements, a rebuild gives
//! identical rows, and the average cost follows a simple reference model.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use kasa_domain::stock::MovementKind;
use kasa_terminal::stock::count::CountScope;
use kasa_terminal::stock::{batches, on_hand, rebuild, verify_cache};
use proptest::prelude::*;
use rust_decimal::Decimal;

use super::{LOC, Till, manager};

/// The reference model: weighted average over receipts (4 dp, half away
/// from zero), replaced by the receipt's cost when there was no stock or
/// less; sales, returns and count adjustments move only the quantity.
#[derive(Debug, Default, Clone)]
struct Reference {
    qty: Decimal,
    avg: Decimal,
}

#[derive(Debug, Clone)]
enum Op {
    Receive {
        sku: usize,
        qty: u32,
        cost_cents: u32,
        batch: Option<(u8, u8)>,
    },
    Sell {
        sku: usize,
        qty: u32,
    },
    Return {
        sku: usize,
        qty: u32,
    },
    Count {
        sku: usize,
        counted: u32,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (
            0..3usize,
            1..40u32,
            1..2000u32,
            proptest::option::of((0..3u8, 0..60u8))
        )
            .prop_map(|(sku, qty, cost_cents, batch)| Op::Receive {
                sku,
                qty,
                cost_cents,
                batch
            }),
        (0..3usize, 1..30u32).prop_map(|(sku, qty)| Op::Sell { sku, qty }),
        (0..3usize, 1..5u32).prop_map(|(sku, qty)| Op::Return { sku, qty }),
        (0..3usize, 0..30u32).prop_map(|(sku, counted)| Op::Count { sku, counted }),
    ]
}

const SKUS: [&str; 3] = ["A", "B", "C"];

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn cache_equals_ledger_and_rebuild_after_any_history(ops in proptest::collection::vec(op(), 1..25)) {
        let mut till = Till::new();
        let mut model: BTreeMap<usize, Reference> = BTreeMap::new();
        for op in &ops {
            match *op {
                Op::Receive { sku, qty, cost_cents, batch } => {
                    let cost = Decimal::new(cost_cents as i64, 2);
                    let batch_name = batch.map(|(b, _)| format!("L{b}"));
                    let expiry = batch.map(|(_, d)| format!("{}", NaiveDate::from_ymd_opt(2027, 1, 1).unwrap() + chrono::Duration::days(d as i64)));
                    let pair = batch_name.as_deref().zip(expiry.as_deref());
                    till.receive_one(SKUS[sku], Decimal::from(qty), cost, pair);
                    let r = model.entry(sku).or_default();
                    let q = Decimal::from(qty);
                    if r.qty <= Decimal::ZERO {
                        r.avg = cost;
                    } else {
                        r.avg = ((r.qty * r.avg + q * cost) / (r.qty + q)).round_dp_with_strategy(
                            4,
                            rust_decimal::RoundingStrategy::MidpointAwayFromZero,
                        );
                    }
                    r.qty += q;
                }
                Op::Sell { sku, qty } => {
                    till.sell(SKUS[sku], Decimal::from(qty));
                    model.entry(sku).or_default().qty -= Decimal::from(qty);
                }
                Op::Return { sku, qty } => {
                    till.post(SKUS[sku], Decimal::from(qty), MovementKind::Return);
                    model.entry(sku).or_default().qty += Decimal::from(qty);
                }
                Op::Count { sku, counted } => {
                    let session = till.count(CountScope::Skus(vec![SKUS[sku].into()]), false);
                    till.add(session, "hh-1", SKUS[sku], Decimal::from(counted));
                    till.review(session);
                    till.approve(session, &manager()).unwrap();
                    model.entry(sku).or_default().qty = Decimal::from(counted);
                }
            }
        }
        prop_assert!(verify_cache(till.store.conn()).unwrap().is_empty());
        for (sku, r) in &model {
            let level = on_hand(till.store.conn(), SKUS[*sku], LOC).unwrap();
            prop_assert_eq!(level.qty, r.qty);
            prop_assert_eq!(level.qty, till.ledger_sum(SKUS[*sku]));
            prop_assert_eq!(level.avg_cost.0, r.avg);
            for b in batches(till.store.conn(), SKUS[*sku], LOC).unwrap() {
                prop_assert!(b.qty_remaining >= Decimal::ZERO && b.qty_remaining <= b.qty_received, "{:?}", b);
            }
        }
        let before = till.cache_rows();
        rebuild(till.store.conn_mut()).unwrap();
        prop_assert_eq!(till.cache_rows(), before);
    }
}
