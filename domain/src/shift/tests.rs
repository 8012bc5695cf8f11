//! Tests of the parent module.

use super::*;
use crate::permission::Role;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn at(h: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 3, 14)
        .unwrap()
        .and_hms_opt(h, 0, 0)
        .unwrap()
}

fn m(d: Decimal) -> Money {
    Money(d)
}

fn ta(kind: TenderKind, d: Decimal) -> TenderAmount {
    TenderAmount { kind, amount: m(d) }
}

fn sale(total: Decimal, tenders: Vec<TenderAmount>, rounding: Decimal) -> ShiftEvent {
    ShiftEvent::Sale {
        document_id: Uuid::nil(),
        total: m(total),
        cash_rounding: m(rounding),
        discounts: m(dec!(0.5)),
        tenders,
        voucher_forfeited: Money::ZERO,
        vat: vec![VatGroup {
            class: "standard".into(),
            rate_percent: dec!(20),
            net: m(total - total / dec!(6)),
            vat: m(total / dec!(6)),
            gross: m(total),
        }],
        voided_lines: 1,
    }
}

fn busy_shift(blind: bool) -> (Shift, Operator) {
    let ana = Operator::new("ana", Role::Cashier);
    let mut s = Shift::open(Uuid::from_u128(1), &ana, at(8), m(dec!(100)), blind).unwrap();
    s.record(
        "ana",
        at(9),
        sale(dec!(12), vec![ta(TenderKind::Cash, dec!(12))], dec!(0)),
    )
    .unwrap();
    s.record(
        "ana",
        at(10),
        sale(
            dec!(30),
            vec![
                ta(TenderKind::Card, dec!(20)),
                ta(TenderKind::Cash, dec!(10.02)),
            ],
            dec!(0.02),
        ),
    )
    .unwrap();
    s.record(
        "ana",
        at(11),
        ShiftEvent::Return {
            document_id: Uuid::nil(),
            total: m(dec!(6)),
            cash_rounding: Money::ZERO,
            tenders: vec![ta(TenderKind::Cash, dec!(6))],
            vat: vec![VatGroup {
                class: "standard".into(),
                rate_percent: dec!(20),
                net: m(dec!(5)),
                vat: m(dec!(1)),
                gross: m(dec!(6)),
            }],
            without_receipt: true,
        },
    )
    .unwrap();
    s.cash_in(&ana, at(12), m(dec!(50)), "change from bank")
        .unwrap();
    let boss = ManagerApproval::new("boris", Role::Manager);
    assert_eq!(
        s.cash_out(&ana, at(13), m(dec!(40)), "safe drop", None)
            .unwrap_err(),
        ShiftError::NeedsManager(Permission::CashOut)
    );
    let auth = s
        .cash_out(&ana, at(13), m(dec!(40)), "safe drop", Some(&boss))
        .unwrap();
    assert_eq!(auth.authorized_by, "boris");
    s.no_sale(&ana, at(14), None, None).unwrap();
    s.record(
        "ana",
        at(15),
        ShiftEvent::VoidedSale {
            document_id: Uuid::nil(),
            amount: m(dec!(3)),
        },
    )
    .unwrap();
    (s, ana)
}

#[test]
fn x_report_from_events() {
    let (s, _) = busy_shift(false);
    let x = s.x_report();
    assert_eq!(x.float, m(dec!(100)));
    assert_eq!((x.sales_count, x.sales_total), (2, m(dec!(42))));
    assert_eq!((x.returns_count, x.returns_total), (1, m(dec!(6))));
    assert_eq!(x.returns_without_receipt, 1);
    assert_eq!(x.net_sales, m(dec!(36)));
    assert_eq!(x.discounts_total, m(dec!(1.0)));
    assert_eq!(x.cash_rounding_total, m(dec!(0.02)));
    assert_eq!(
        (x.cash_in, x.cash_out, x.no_sale_count),
        (m(dec!(50)), m(dec!(40)), 1)
    );
    assert_eq!(
        (x.voided_sales, x.voided_total, x.voided_lines),
        (1, m(dec!(3)), 2)
    );
    // cash: 100 + 12 + 10.02 − 6 + 50 − 40
    assert_eq!(x.expected(TenderKind::Cash), m(dec!(126.02)));
    assert_eq!(x.expected(TenderKind::Card), m(dec!(20)));
    assert_eq!(x.tenders.len(), 2);
    assert_eq!(x.vat.len(), 1);
    assert_eq!(x.vat[0].gross, m(dec!(36)));
    // X changes nothing: twice the same, and the shift stays open.
    assert_eq!(s.x_report(), x);
    assert_eq!(s.state, ShiftState::Open);
    // recomputable from stored events
    let json = serde_json::to_string(&s.records).unwrap();
    let back: Vec<ShiftRecord> = serde_json::from_str(&json).unwrap();
    assert_eq!(ShiftReport::from_records(&back), x);
}

#[test]
fn close_with_variance_then_closed() {
    let (mut s, ana) = busy_shift(false);
    assert!(s.expected_for_close().is_some());
    assert_eq!(
        s.close(&ana, at(20), &[ta(TenderKind::Card, dec!(20))], 7)
            .unwrap_err(),
        ShiftError::CashNotCounted
    );
    let z = s
        .close(&ana, at(20), &[ta(TenderKind::Cash, dec!(125.50))], 7)
        .unwrap();
    assert_eq!(z.number, 7);
    let cash = z
        .variances
        .iter()
        .find(|v| v.kind == TenderKind::Cash)
        .unwrap();
    assert_eq!(
        (cash.expected, cash.counted, cash.variance),
        (m(dec!(126.02)), m(dec!(125.50)), m(dec!(-0.52)))
    );
    let card = z
        .variances
        .iter()
        .find(|v| v.kind == TenderKind::Card)
        .unwrap();
    assert_eq!(card.variance, Money::ZERO, "uncounted card = expected");
    assert_eq!(z.total_variance(), m(dec!(-0.52)));
    assert_eq!(s.state, ShiftState::Closed { z_number: 7 });
    let e = s.cash_in(&ana, at(21), m(dec!(1)), "late").unwrap_err();
    assert_eq!(e.code(), "shift.closed");
    assert_eq!(
        s.close(&ana, at(21), &[ta(TenderKind::Cash, dec!(1))], 8)
            .unwrap_err(),
        ShiftError::Closed(7)
    );
}

#[test]
fn blind_close_hides_expected() {
    let (mut s, ana) = busy_shift(true);
    assert_eq!(s.expected_for_close(), None);
    let z = s
        .close(
            &ana,
            at(20),
            &[
                ta(TenderKind::Cash, dec!(130)),
                ta(TenderKind::Card, dec!(20)),
            ],
            1,
        )
        .unwrap();
    assert!(z.blind);
    assert_eq!(z.total_variance(), m(dec!(3.98)));
}

#[test]
fn invalid_inputs_are_named() {
    let ana = Operator::new("ana", Role::Cashier);
    assert_eq!(
        Shift::open(Uuid::nil(), &ana, at(8), m(dec!(-1)), false)
            .unwrap_err()
            .code(),
        "shift.invalid_amount"
    );
    let mut s = Shift::open(Uuid::nil(), &ana, at(8), Money::ZERO, false).unwrap();
    assert_eq!(
        s.cash_in(&ana, at(9), m(dec!(0)), "x").unwrap_err().code(),
        "shift.invalid_amount"
    );
    assert_eq!(
        s.cash_in(&ana, at(9), m(dec!(5)), "  ").unwrap_err().code(),
        "shift.reason_required"
    );
    let x = s.x_report();
    assert_eq!(x.expected(TenderKind::Cash), Money::ZERO);
    assert_eq!(x.tenders.len(), 1);
}

#[test]
fn events_from_completed_documents() {
    use crate::pricing::{PriceRule, quote};
    use crate::product::{Lifecycle, Unit};
    use crate::returns::{ReturnContext, ReturnRequestLine, return_against_sale};
    use crate::sale::{NewLine, ProductSnapshot, Sale, SaleConfig};
    use crate::tender::Tender;
    let ana = Operator::new("ana", Role::Cashier);
    let mut sale = Sale::new(
        Uuid::from_u128(5),
        SaleConfig::eur("S001"),
        ana.clone(),
        at(9),
    );
    sale.add_line(NewLine {
        product: ProductSnapshot {
            sku: "A".into(),
            name: "A".into(),
            unit: Unit::Piece,
            vat_class: "standard".into(),
            vat_rate_percent: dec!(20),
        },
        lifecycle: Lifecycle::Active,
        qty: dec!(2),
        quote: quote(m(dec!(6)), PriceRule::Manual, None, None),
    })
    .unwrap();
    sale.add_tender(Tender::card(m(dec!(2)))).unwrap();
    sale.add_tender(Tender::cash(m(dec!(20)))).unwrap();
    let done = sale.complete(at(9)).unwrap();
    let ctx = ReturnContext {
        id: Uuid::from_u128(6),
        operator: ana.clone(),
        at: at(10),
        cash_rounding: crate::money::CashRounding::none(crate::money::Currency::Eur),
        reason: None,
    };
    let ret = return_against_sale(
        &done,
        &[],
        &[ReturnRequestLine {
            line_no: 1,
            qty: dec!(1),
        }],
        &ctx,
        None,
        &[],
    )
    .unwrap();
    let mut s = Shift::open(Uuid::nil(), &ana, at(8), m(dec!(10)), false).unwrap();
    s.record("ana", at(9), ShiftEvent::from_sale(&done))
        .unwrap();
    s.record("ana", at(10), ShiftEvent::from_return(&ret))
        .unwrap();
    let x = s.x_report();
    // cash: 10 float + (20 − 10 change) − 6 refund
    assert_eq!(x.expected(TenderKind::Cash), m(dec!(14)));
    assert_eq!(x.expected(TenderKind::Card), m(dec!(2)));
    assert_eq!(x.net_sales, m(dec!(6)));
    assert_eq!(x.vat[0].vat, m(dec!(1)));
}
