//! Tests of the parent module.

use super::*;
use crate::permission::Role;
use crate::pricing::{PriceRule, quote};
use crate::product::Lifecycle;
use crate::sale::{Discount, NewLine, Sale, SaleConfig};
use chrono::NaiveDate;
use proptest::prelude::*;
use rust_decimal_macros::dec;

fn now() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 3, 14)
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap()
}

fn snapshot(sku: &str) -> ProductSnapshot {
    ProductSnapshot {
        sku: sku.into(),
        name: sku.into(),
        unit: Unit::Piece,
        vat_class: "standard".into(),
        vat_rate_percent: dec!(20),
    }
}

fn original(qty: Decimal, price: Decimal, receipt_discount: Option<Money>) -> CompletedSale {
    let mut s = Sale::new(
        Uuid::nil(),
        SaleConfig::eur("S001"),
        Operator::new("ana", Role::Cashier),
        now(),
    );
    s.add_line(NewLine {
        product: snapshot("A"),
        lifecycle: Lifecycle::Active,
        qty,
        quote: quote(Money(price), PriceRule::Manual, None, Some(Money(dec!(1)))),
    })
    .unwrap();
    s.add_line(NewLine {
        product: snapshot("B"),
        lifecycle: Lifecycle::Active,
        qty: dec!(1),
        quote: quote(Money(dec!(5)), PriceRule::Manual, None, None),
    })
    .unwrap();
    if let Some(d) = receipt_discount {
        let b = ManagerApproval::new("boss", Role::Manager);
        s.add_receipt_discount(Discount::Amount(d), None, Some(&b))
            .unwrap();
    }
    let total = s.totals().total;
    s.add_tender(Tender::cash(total)).unwrap();
    s.complete(now()).unwrap()
}

fn ctx(role: Role) -> ReturnContext {
    ReturnContext {
        id: Uuid::from_u128(7),
        operator: Operator::new("ana", role),
        at: now(),
        cash_rounding: CashRounding::none(Currency::Eur),
        reason: Some("faulty".into()),
    }
}

fn req(line_no: u32, qty: Decimal) -> ReturnRequestLine {
    ReturnRequestLine { line_no, qty }
}

#[test]
fn partial_returns_add_up_to_what_was_paid() {
    // 3 × 3.33 = 9.99 plus 5.00; 1.00 receipt discount → 0.67 on line 1 → paid 9.32
    let sale = original(dec!(3), dec!(3.33), Some(Money(dec!(1))));
    let paid = sale.lines[0].payable;
    assert_eq!(paid, Money(dec!(9.32)));
    let mut already = Vec::new();
    let mut refunded = Money::ZERO;
    let mut vat = Money::ZERO;
    // cumulative: 3.11, 6.21, 9.32
    for expected in [dec!(3.11), dec!(3.10), dec!(3.11)] {
        let r = return_against_sale(
            &sale,
            &already,
            &[req(1, dec!(1))],
            &ctx(Role::Cashier),
            None,
            &[],
        )
        .unwrap();
        assert_eq!(r.refund_total, Money(expected));
        refunded += r.refund_total;
        vat += r.vat.total_vat();
        already.push(ReturnedQty {
            line_no: 1,
            qty: dec!(1),
        });
    }
    assert_eq!(refunded, paid);
    assert_eq!(vat, sale.lines[0].vat);
    let e = return_against_sale(
        &sale,
        &already,
        &[req(1, dec!(1))],
        &ctx(Role::Cashier),
        None,
        &[],
    )
    .unwrap_err();
    assert_eq!(e.code(), "return.exceeds_returnable");
    let left = returnable_lines(&sale, &already);
    assert_eq!(left[0].returnable, Decimal::ZERO);
    assert_eq!(left[1].returnable, dec!(1));
}

#[test]
fn request_table() {
    let sale = original(dec!(2), dec!(4), None);
    // (case, request, already returned of line 1, ok refund or error code)
    type Case = (
        &'static str,
        Vec<ReturnRequestLine>,
        Decimal,
        Result<Decimal, &'static str>,
    );
    let cases: Vec<Case> = vec![
        ("one of two", vec![req(1, dec!(1))], dec!(0), Ok(dec!(4))),
        (
            "all of both lines",
            vec![req(1, dec!(2)), req(2, dec!(1))],
            dec!(0),
            Ok(dec!(13)),
        ),
        (
            "same line twice summed",
            vec![req(1, dec!(1)), req(1, dec!(2))],
            dec!(0),
            Err("return.exceeds_returnable"),
        ),
        (
            "after one returned",
            vec![req(1, dec!(2))],
            dec!(1),
            Err("return.exceeds_returnable"),
        ),
        (
            "unknown line",
            vec![req(9, dec!(1))],
            dec!(0),
            Err("return.no_such_line"),
        ),
        (
            "fractional piece",
            vec![req(1, dec!(0.5))],
            dec!(0),
            Err("return.invalid_quantity"),
        ),
        (
            "zero",
            vec![req(1, dec!(0))],
            dec!(0),
            Err("return.invalid_quantity"),
        ),
        ("empty", vec![], dec!(0), Err("return.empty")),
    ];
    for (name, request, before, expected) in cases {
        let already = [ReturnedQty {
            line_no: 1,
            qty: before,
        }];
        let got = return_against_sale(&sale, &already, &request, &ctx(Role::Cashier), None, &[]);
        match (got, expected) {
            (Ok(r), Ok(total)) => {
                assert_eq!(r.refund_total, Money(total), "{name}");
                assert_eq!(r.refund.cash_paid_out, Money(total), "{name}");
                assert_eq!(r.original_sale, Some(sale.id));
            }
            (Err(e), Err(code)) => assert_eq!(e.code(), code, "{name}"),
            (got, want) => panic!("{name}: got {got:?}, want {want:?}"),
        }
    }
}

#[test]
fn refund_tenders_and_rounding() {
    let sale = original(dec!(1), dec!(7.33), None);
    let mut c = ctx(Role::Cashier);
    c.cash_rounding = CashRounding::to_increment(dec!(0.05));
    let r = return_against_sale(&sale, &[], &[req(1, dec!(1))], &c, None, &[]).unwrap();
    assert_eq!(r.refund.cash_paid_out, Money(dec!(7.35)));
    assert_eq!(r.refund.cash_rounding, Money(dec!(0.02)));
    let r = return_against_sale(
        &sale,
        &[],
        &[req(1, dec!(1))],
        &c,
        None,
        &[Tender::card(Money(dec!(7.33)))],
    )
    .unwrap();
    assert_eq!(r.refund.non_cash, Money(dec!(7.33)));
    let e = return_against_sale(
        &sale,
        &[],
        &[req(1, dec!(1))],
        &c,
        None,
        &[Tender::card(Money(dec!(8)))],
    )
    .unwrap_err();
    assert_eq!(e.code(), "tender.non_cash_overpay");
}

#[test]
fn without_receipt_needs_manager() {
    let lines = [UnreceiptedLine {
        product: snapshot("A"),
        qty: dec!(2),
        unit_price: Money(dec!(1.20)),
        unit_cost: None,
    }];
    let e = return_without_receipt(
        &lines,
        Currency::Eur,
        PriceMode::Inclusive,
        &ctx(Role::Cashier),
        None,
        &[],
    )
    .unwrap_err();
    assert_eq!(
        e,
        ReturnError::NeedsManager(Permission::ReturnWithoutReceipt)
    );
    let boss = ManagerApproval::new("boris", Role::Manager);
    let r = return_without_receipt(
        &lines,
        Currency::Eur,
        PriceMode::Inclusive,
        &ctx(Role::Cashier),
        Some(&boss),
        &[],
    )
    .unwrap();
    assert_eq!(r.refund_total, Money(dec!(2.40)));
    assert_eq!(r.vat.total_vat(), Money(dec!(0.40)));
    assert_eq!(r.authorization.authorized_by, "boris");
    assert!(r.original_sale.is_none());
    let r = return_without_receipt(
        &lines,
        Currency::Eur,
        PriceMode::Exclusive,
        &ctx(Role::Manager),
        None,
        &[],
    )
    .unwrap();
    assert_eq!(r.refund_total, Money(dec!(2.88)));
}

proptest! {
    /// However a line is returned in parts, the refunds sum to what was paid.
    #[test]
    fn cumulative_refunds_sum_to_paid(
        qty in 1i64..30,
        price in 1i64..10_000,
        discount in 0i64..100,
        splits in proptest::collection::vec(1i64..5, 1..30),
    ) {
        let total_before = Money::from_minor(price * qty, Currency::Eur) + Money(dec!(5));
        let discount = Money::from_minor(discount, Currency::Eur).min(total_before);
        let sale = original(Decimal::from(qty), Money::from_minor(price, Currency::Eur).0, Some(discount));
        let mut already: Vec<ReturnedQty> = Vec::new();
        let mut sum = Money::ZERO;
        let mut left = qty;
        for s in splits {
            if left == 0 { break; }
            let q = s.min(left);
            let r = return_against_sale(&sale, &already, &[req(1, Decimal::from(q))], &ctx(Role::Cashier), None, &[]).unwrap();
            sum += r.refund_total;
            already.push(ReturnedQty { line_no: 1, qty: Decimal::from(q) });
            left -= q;
        }
        if left > 0 {
            let r = return_against_sale(&sale, &already, &[req(1, Decimal::from(left))], &ctx(Role::Cashier), None, &[]).unwrap();
            sum += r.refund_total;
        }
        prop_assert_eq!(sum, sale.lines[0].payable);
    }
}
