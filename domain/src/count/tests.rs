//! Tests of the parent module.

use super::*;
use crate::permission::Role;
use crate::stock::StockPosition;
use chrono::NaiveDate;
use rust_decimal_macros::dec;

fn at(m: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 4, 1)
        .unwrap()
        .and_hms_opt(9, m, 0)
        .unwrap()
}

fn entry(device: &str, n: u64, sku: &str, qty: Decimal, corrects: Option<u64>) -> CountEntry {
    CountEntry {
        device: device.into(),
        entry_no: n,
        sku: sku.into(),
        qty,
        at: at(u32::try_from(n).unwrap()),
        corrects,
    }
}

fn exp(sku: &str, group: &str, qty: Decimal, cost: Decimal) -> ExpectedStock {
    ExpectedStock {
        sku: sku.into(),
        group: Some(group.into()),
        qty,
        unit_cost: Money(cost),
    }
}

fn merged_map(s: &CountSession) -> Vec<(String, Decimal)> {
    s.merged().into_iter().map(|c| (c.sku, c.qty)).collect()
}

#[test]
fn merge_table() {
    // (case, entries, merged)
    type Case = (&'static str, Vec<CountEntry>, Vec<(&'static str, Decimal)>);
    let cases: Vec<Case> = vec![
        (
            "two devices add",
            vec![
                entry("D1", 1, "A", dec!(3), None),
                entry("D2", 1, "A", dec!(4), None),
            ],
            vec![("A", dec!(7))],
        ),
        (
            "same device two shelves add",
            vec![
                entry("D1", 1, "A", dec!(3), None),
                entry("D1", 2, "A", dec!(2), None),
            ],
            vec![("A", dec!(5))],
        ),
        (
            "correction replaces",
            vec![
                entry("D1", 1, "A", dec!(30), None),
                entry("D1", 2, "A", dec!(3), Some(1)),
            ],
            vec![("A", dec!(3))],
        ),
        (
            "correction to zero removes",
            vec![
                entry("D1", 1, "A", dec!(3), None),
                entry("D2", 1, "A", dec!(1), None),
                entry("D1", 2, "A", dec!(0), Some(1)),
            ],
            vec![("A", dec!(1))],
        ),
        (
            "correction of a correction",
            vec![
                entry("D1", 1, "A", dec!(9), None),
                entry("D1", 2, "A", dec!(8), Some(1)),
                entry("D1", 3, "A", dec!(7), Some(2)),
            ],
            vec![("A", dec!(7))],
        ),
        (
            "mis-scan corrected to other sku",
            vec![
                entry("D1", 1, "A", dec!(2), None),
                entry("D1", 2, "B", dec!(2), Some(1)),
            ],
            vec![("B", dec!(2))],
        ),
        (
            "weights",
            vec![
                entry("D1", 1, "CH", dec!(1.250), None),
                entry("D2", 1, "CH", dec!(0.375), None),
            ],
            vec![("CH", dec!(1.625))],
        ),
    ];
    for (name, entries, expected) in cases {
        let mut s = CountSession::start(Uuid::nil(), "S001", CountScope::Full, false, at(0));
        for e in entries {
            s.add(e).unwrap_or_else(|err| panic!("{name}: {err}"));
        }
        let want: Vec<(String, Decimal)> = expected
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        assert_eq!(merged_map(&s), want, "{name}");
    }
}

#[test]
fn entry_errors_and_idempotent_resend() {
    let mut s = CountSession::start(Uuid::nil(), "S001", CountScope::Full, false, at(0));
    s.add(entry("D1", 1, "A", dec!(3), None)).unwrap();
    s.add(entry("D1", 1, "A", dec!(3), None)).unwrap();
    assert_eq!(s.entries.len(), 1, "identical re-send ignored");
    assert_eq!(
        s.add(entry("D1", 1, "A", dec!(4), None))
            .unwrap_err()
            .code(),
        "count.conflicting_entry"
    );
    assert_eq!(
        s.add(entry("D2", 1, "A", dec!(1), Some(5)))
            .unwrap_err()
            .code(),
        "count.unknown_entry"
    );
    // D2 cannot correct D1's entry 1 (D2 has no entry 1 yet)
    assert_eq!(
        s.add(entry("D2", 2, "A", dec!(0), Some(1)))
            .unwrap_err()
            .code(),
        "count.unknown_entry"
    );
    assert_eq!(
        s.add(entry("D1", 2, "A", dec!(-1), None))
            .unwrap_err()
            .code(),
        "count.invalid_quantity"
    );
    s.cancel().unwrap();
    assert_eq!(
        s.add(entry("D1", 3, "A", dec!(1), None)).unwrap_err(),
        CountError::Closed
    );
}

#[test]
fn partial_blind_count_variances_and_approval() {
    let mut s = CountSession::start(
        Uuid::from_u128(9),
        "S001",
        CountScope::Groups {
            groups: vec!["DAIRY".into()],
        },
        true,
        at(0),
    );
    s.add(entry("D1", 1, "MILK", dec!(8), None)).unwrap();
    s.add(entry("D2", 1, "MILK", dec!(1), None)).unwrap();
    s.add(entry("D2", 2, "FOUND", dec!(2), None)).unwrap();
    let expected = vec![
        exp("MILK", "DAIRY", dec!(10), dec!(0.85)),
        exp("YOG", "DAIRY", dec!(4), dec!(0.5)),
        exp("BREAD", "BAKERY", dec!(20), dec!(0.4)),
        exp("CREAM", "DAIRY", dec!(0), dec!(1)),
    ];
    // blind: counters never see expected
    assert!(
        s.counter_view(&expected)
            .iter()
            .all(|l| l.expected.is_none())
    );
    let v = s.variances(&expected, Currency::Eur);
    let got: Vec<(&str, Decimal, Decimal, Decimal, bool)> = v
        .iter()
        .map(|l| {
            (
                l.sku.as_str(),
                l.expected,
                l.counted,
                l.value.0,
                l.was_counted,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("FOUND", dec!(0), dec!(2), dec!(0), true),
            ("MILK", dec!(10), dec!(9), dec!(-0.85), true),
            ("YOG", dec!(4), dec!(0), dec!(-2.0), false),
        ]
    );
    let ana = Operator::new("ana", Role::Cashier);
    let mut n = 0u128;
    let e = s
        .approve(&ana, None, at(30), &expected, &[], Currency::Eur, || {
            Uuid::nil()
        })
        .unwrap_err();
    assert_eq!(e, CountError::NeedsManager(Permission::ApproveCount));
    let boss = ManagerApproval::new("boris", Role::Manager);
    let moves = s
        .approve(
            &ana,
            Some(&boss),
            at(30),
            &expected,
            &["YOG".to_string()],
            Currency::Eur,
            || {
                n += 1;
                Uuid::from_u128(n)
            },
        )
        .unwrap();
    let got: Vec<(&str, Decimal)> = moves.iter().map(|m| (m.sku.as_str(), m.qty)).collect();
    assert_eq!(got, vec![("FOUND", dec!(2)), ("MILK", dec!(-1))]);
    assert!(
        moves
            .iter()
            .all(|m| m.kind == MovementKind::CountAdjustment && m.document_id == s.id)
    );
    assert!(moves.iter().all(|m| m.validate().is_ok()));
    assert!(matches!(s.state, CountState::Approved { .. }));
    assert_eq!(
        s.add(entry("D1", 9, "MILK", dec!(1), None)).unwrap_err(),
        CountError::Closed
    );
    // After posting, the position equals the count.
    let before = StockMovement {
        id: Uuid::nil(),
        sku: "MILK".into(),
        location: "S001".into(),
        batch: None,
        qty: dec!(10),
        unit_cost: Money(dec!(0.85)),
        unit_sale_price: None,
        document_id: Uuid::nil(),
        at: at(0),
        kind: MovementKind::Receipt,
    };
    let milk: Vec<&StockMovement> = std::iter::once(&before)
        .chain(moves.iter().filter(|m| m.sku == "MILK"))
        .collect();
    assert_eq!(StockPosition::from_movements(milk).qty, dec!(9));
}

#[test]
fn full_open_count_shows_expected() {
    let mut s = CountSession::start(Uuid::nil(), "S001", CountScope::Full, false, at(0));
    s.add(entry("D1", 1, "A", dec!(1), None)).unwrap();
    let view = s.counter_view(&[exp("A", "G", dec!(3), dec!(1))]);
    assert_eq!(view[0].expected, Some(dec!(3)));
    let v = s.variances(
        &[
            exp("A", "G", dec!(3), dec!(1)),
            exp("B", "H", dec!(2), dec!(1)),
        ],
        Currency::Eur,
    );
    assert_eq!(v.len(), 2, "full count: uncounted B is in scope");
    let json = serde_json::to_string(&s).unwrap();
    assert_eq!(serde_json::from_str::<CountSession>(&json).unwrap(), s);
}
