//! Table and scenario tests of the cart.

use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use uuid::Uuid;

use super::*;
use crate::ErrorCode;
use crate::money::RoundingRule;
use crate::permission::Role;
use crate::pricing::{PromotionKind, ThresholdReward, quote};
use crate::tender::TenderKind;

pub(super) fn now() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 3, 14)
        .unwrap()
        .and_hms_opt(10, 30, 0)
        .unwrap()
}

pub(super) fn m(d: Decimal) -> Money {
    Money(d)
}

pub(super) fn product(sku: &str, unit: Unit, class: &str, rate: Decimal) -> ProductSnapshot {
    ProductSnapshot {
        sku: sku.into(),
        name: format!("Продукт {sku}"),
        unit,
        vat_class: class.into(),
        vat_rate_percent: rate,
    }
}

pub(super) fn item(sku: &str, qty: Decimal, price: Decimal) -> NewLine {
    NewLine {
        product: product(sku, Unit::Piece, "standard", dec!(20)),
        lifecycle: Lifecycle::Active,
        qty,
        quote: quote(
            m(price),
            PriceRule::Base {
                store_specific: false,
            },
            Some(m(price)),
            Some(m(price / dec!(2))),
        ),
    }
}

pub(super) fn cashier_sale() -> Sale {
    Sale::new(
        Uuid::nil(),
        SaleConfig::eur("S001"),
        Operator::new("ana", Role::Cashier),
        now(),
    )
}

fn boss() -> ManagerApproval {
    ManagerApproval::new("boris", Role::Manager)
}

#[test]
fn simple_cash_sale_with_change_and_vat() {
    let mut s = cashier_sale();
    s.add_line(item("A", dec!(2), dec!(1.20))).unwrap();
    let mut bread = item("B", dec!(1), dec!(2.18));
    bread.product.vat_class = "reduced".into();
    bread.product.vat_rate_percent = dec!(9);
    s.add_line(bread).unwrap();
    let t = s.totals();
    assert_eq!(t.subtotal, m(dec!(4.58)));
    assert_eq!(t.total, m(dec!(4.58)));
    // 2.40 incl. 20 % → 0.40 VAT; 2.18 incl. 9 % → 0.18 VAT
    assert_eq!(t.vat.total_vat(), m(dec!(0.58)));
    s.add_tender(Tender::cash(m(dec!(10)))).unwrap();
    let done = s.complete(now()).unwrap();
    assert_eq!(done.change(), m(dec!(5.42)));
    assert_eq!(done.lines.len(), 2);
    assert_eq!(done.vat.groups.len(), 2);
    let per_line: Money = done.lines.iter().map(|l| l.vat).sum();
    assert_eq!(per_line, done.vat.total_vat());
}

#[test]
fn weights_and_piece_quantities() {
    let mut s = cashier_sale();
    let mut cheese = item("CH", dec!(0.375), dec!(12.90));
    cheese.product.unit = Unit::Kg;
    s.add_line(cheese).unwrap();
    // 0.375 × 12.90 = 4.8375 → 4.84 (half away from zero)
    assert_eq!(s.totals().total, m(dec!(4.84)));
    let e = s.add_line(item("A", dec!(1.5), dec!(1))).unwrap_err();
    assert_eq!(e.code(), "sale.invalid_quantity");
    let mut too_fine = item("CH", dec!(0.3755), dec!(12.90));
    too_fine.product.unit = Unit::Kg;
    assert_eq!(
        s.add_line(too_fine).unwrap_err().code(),
        "sale.invalid_quantity"
    );
    assert_eq!(
        s.add_line(item("A", dec!(0), dec!(1))).unwrap_err().code(),
        "sale.invalid_quantity"
    );
}

#[test]
fn not_sellable_is_named() {
    let mut s = cashier_sale();
    let mut x = item("OLD", dec!(1), dec!(1));
    x.lifecycle = Lifecycle::Discontinued;
    let e = s.add_line(x).unwrap_err();
    assert_eq!(e.code(), "sale.not_sellable");
    let mut p = item("PH", dec!(1), dec!(1));
    p.lifecycle = Lifecycle::PhaseOut;
    assert!(s.add_line(p).is_ok());
}

#[test]
fn discount_table() {
    // (case, qty, price, line discount, receipt discounts, total, needs manager)
    type Case = (
        &'static str,
        Decimal,
        Decimal,
        Option<Discount>,
        Vec<Discount>,
        Decimal,
        bool,
    );
    let cases: Vec<Case> = vec![
        (
            "no discount",
            dec!(3),
            dec!(3.33),
            None,
            vec![],
            dec!(9.99),
            false,
        ),
        (
            "10 % line within limit",
            dec!(1),
            dec!(9.99),
            Some(Discount::Percent(dec!(10))),
            vec![],
            dec!(8.99),
            false,
        ),
        (
            "15 % line over limit",
            dec!(1),
            dec!(10),
            Some(Discount::Percent(dec!(15))),
            vec![],
            dec!(8.50),
            true,
        ),
        (
            "amount 1.00 of 10 = 10 %",
            dec!(1),
            dec!(10),
            Some(Discount::Amount(m(dec!(1)))),
            vec![],
            dec!(9),
            false,
        ),
        (
            "amount 1.01 of 10 over",
            dec!(1),
            dec!(10),
            Some(Discount::Amount(m(dec!(1.01)))),
            vec![],
            dec!(8.99),
            true,
        ),
        (
            "receipt 5 %",
            dec!(2),
            dec!(5),
            None,
            vec![Discount::Percent(dec!(5))],
            dec!(9.50),
            false,
        ),
        (
            "receipt 2 × 6 % = over",
            dec!(2),
            dec!(5),
            None,
            vec![Discount::Percent(dec!(6)), Discount::Percent(dec!(6))],
            dec!(8.84),
            true,
        ),
        (
            "line then receipt amount",
            dec!(1),
            dec!(20),
            Some(Discount::Percent(dec!(10))),
            vec![Discount::Amount(m(dec!(1)))],
            dec!(17),
            false,
        ),
        (
            "percent rounds half away",
            dec!(1),
            dec!(0.25),
            Some(Discount::Percent(dec!(10))),
            vec![],
            dec!(0.22),
            false,
        ),
    ];
    for (name, qty, price, line_disc, receipt, total, needs_manager) in cases {
        for with_boss in [false, true] {
            let mut s = cashier_sale();
            let n = s.add_line(item("A", qty, price)).unwrap();
            let approval = with_boss.then(boss);
            let mut result = Ok(());
            if let Some(d) = line_disc {
                result = result.and(s.set_line_discount(n, Some(d), approval.as_ref()));
            }
            for d in &receipt {
                if result.is_ok() {
                    result = s.add_receipt_discount(*d, None, approval.as_ref());
                }
            }
            if needs_manager && !with_boss {
                let e = result.unwrap_err();
                assert_eq!(
                    e,
                    SaleError::NeedsManager(Permission::DiscountOverLimit),
                    "{name}"
                );
                continue;
            }
            result.unwrap_or_else(|e| panic!("{name}: {e}"));
            let t = s.totals();
            assert_eq!(t.total, m(total), "{name}");
            assert_eq!(t.total, t.subtotal - t.discount_total(), "{name}");
            assert_eq!(
                s.audit.iter().any(|a| a.authorization.approved),
                needs_manager,
                "{name}"
            );
        }
    }
}

#[test]
fn invalid_discounts_are_named() {
    let mut s = cashier_sale();
    let n = s.add_line(item("A", dec!(1), dec!(5))).unwrap();
    let b = boss();
    for d in [
        Discount::Percent(dec!(101)),
        Discount::Percent(dec!(-1)),
        Discount::Amount(m(dec!(5.01))),
        Discount::Amount(m(dec!(-1))),
    ] {
        assert_eq!(
            s.set_line_discount(n, Some(d), Some(&b))
                .unwrap_err()
                .code(),
            "sale.invalid_discount"
        );
    }
    assert_eq!(
        s.add_receipt_discount(Discount::Amount(m(dec!(6))), None, Some(&b))
            .unwrap_err()
            .code(),
        "sale.invalid_discount"
    );
}

#[test]
fn receipt_discount_allocated_exactly_over_lines() {
    let mut s = cashier_sale();
    for sku in ["A", "B", "C"] {
        s.add_line(item(sku, dec!(1), dec!(3.33))).unwrap();
    }
    s.add_receipt_discount(Discount::Amount(m(dec!(0.50))), Some("loyal".into()), None)
        .unwrap();
    let t = s.totals();
    let parts: Vec<Decimal> = t.lines.iter().map(|l| l.receipt_discount.0).collect();
    assert_eq!(parts, vec![dec!(0.17), dec!(0.17), dec!(0.16)]);
    assert_eq!(t.total, m(dec!(9.49)));
    s.clear_receipt_discounts().unwrap();
    assert_eq!(s.totals().total, m(dec!(9.99)));
}

#[test]
fn manual_price_needs_manager_and_survives_requote() {
    let mut s = cashier_sale();
    let n = s.add_line(item("A", dec!(1), dec!(5))).unwrap();
    assert_eq!(
        s.override_price(n, m(dec!(4)), None).unwrap_err(),
        SaleError::NeedsManager(Permission::PriceOverride)
    );
    s.override_price(n, m(dec!(4)), Some(&boss())).unwrap();
    assert_eq!(s.line(n).unwrap().rule, PriceRule::Manual);
    assert_eq!(s.audit.len(), 1);
    assert_eq!(s.audit[0].authorization.authorized_by, "boris");
    let q = quote(
        m(dec!(3)),
        PriceRule::QuantityBreak { min_qty: dec!(2) },
        None,
        None,
    );
    s.change_qty(n, dec!(2), Some(&q), None).unwrap();
    assert_eq!(s.line(n).unwrap().unit_price, m(dec!(4)));
    assert_eq!(s.totals().total, m(dec!(8)));
    assert_eq!(
        s.override_price(n, m(dec!(-1)), Some(&boss()))
            .unwrap_err()
            .code(),
        "sale.invalid_price"
    );
    // A manager operator needs no approval, but is still audited.
    let mut ms = Sale::new(
        Uuid::nil(),
        SaleConfig::eur("S001"),
        Operator::new("boris", Role::Manager),
        now(),
    );
    let n = ms.add_line(item("A", dec!(1), dec!(5))).unwrap();
    ms.override_price(n, m(dec!(1)), None).unwrap();
    assert_eq!(ms.audit.len(), 1);
    assert!(!ms.audit[0].authorization.approved);
}

#[test]
fn quantity_change_requotes_and_lowering_is_a_void() {
    let mut s = cashier_sale();
    let n = s.add_line(item("A", dec!(10), dec!(2))).unwrap();
    let step = quote(
        m(dec!(1.80)),
        PriceRule::QuantityBreak { min_qty: dec!(20) },
        Some(m(dec!(2))),
        None,
    );
    s.change_qty(n, dec!(20), Some(&step), None).unwrap();
    assert_eq!(s.totals().total, m(dec!(36)));
    assert_eq!(
        s.change_qty(n, dec!(5), None, None).unwrap_err(),
        SaleError::NeedsManager(Permission::VoidLine)
    );
    s.change_qty(n, dec!(5), None, Some(&boss())).unwrap();
    let mut relaxed = cashier_sale();
    relaxed.config.void_line_needs_manager = false;
    let n = relaxed.add_line(item("A", dec!(3), dec!(1))).unwrap();
    relaxed.change_qty(n, dec!(1), None, None).unwrap();
    relaxed.void_line(n, None).unwrap();
    assert_eq!(relaxed.totals().total, Money::ZERO);
}

#[test]
fn void_line_and_void_sale() {
    let mut s = cashier_sale();
    let a = s.add_line(item("A", dec!(1), dec!(5))).unwrap();
    let b = s.add_line(item("B", dec!(1), dec!(3))).unwrap();
    assert_eq!(
        s.void_line(a, None).unwrap_err(),
        SaleError::NeedsManager(Permission::VoidLine)
    );
    s.void_line(a, Some(&boss())).unwrap();
    assert_eq!(s.totals().total, m(dec!(3)));
    assert_eq!(
        s.void_line(a, Some(&boss())).unwrap_err(),
        SaleError::LineVoided(a)
    );
    assert_eq!(
        s.void_line(99, None).unwrap_err(),
        SaleError::NoSuchLine(99)
    );
    // line numbers are not reused
    let c = s.add_line(item("C", dec!(1), dec!(1))).unwrap();
    assert_eq!(c, 3);
    s.add_tender(Tender::card(m(dec!(1)))).unwrap();
    assert_eq!(
        s.void_sale(Some(&boss())).unwrap_err(),
        SaleError::TendersPresent
    );
    s.remove_tender(0).unwrap();
    assert_eq!(
        s.void_sale(None).unwrap_err(),
        SaleError::NeedsManager(Permission::VoidSale)
    );
    s.void_sale(Some(&boss())).unwrap();
    assert_eq!(
        s.add_line(item("D", dec!(1), dec!(1))).unwrap_err(),
        SaleError::NotOpen
    );
    assert_eq!(s.complete(now()).unwrap_err(), SaleError::NotOpen);
    let _ = b;
    // An empty sale can be abandoned without a manager.
    let mut empty = cashier_sale();
    empty.void_sale(None).unwrap();
}

#[test]
fn completion_checks() {
    let mut s = cashier_sale();
    assert_eq!(s.complete(now()).unwrap_err(), SaleError::Empty);
    s.add_line(item("A", dec!(1), dec!(7.33))).unwrap();
    s.add_tender(Tender::card(m(dec!(5)))).unwrap();
    let e = s.complete(now()).unwrap_err();
    assert_eq!(
        e,
        SaleError::Underpaid {
            outstanding: m(dec!(2.33))
        }
    );
    assert_eq!(e.code(), "sale.underpaid");
    assert_eq!(
        s.add_tender(Tender::card(m(dec!(2.34))))
            .unwrap_err()
            .code(),
        "tender.non_cash_overpay"
    );
    s.add_tender(Tender::card(m(dec!(2.33)))).unwrap();
    let done = s.complete(now()).unwrap();
    assert!(done.settlement.is_paid());
    assert_eq!(done.tenders.len(), 2);
    assert_eq!(s.remove_tender(7).unwrap_err(), SaleError::NoSuchTender(7));
}

#[test]
fn cash_rounding_is_its_own_line() {
    let mut s = cashier_sale();
    s.config.cash_rounding = CashRounding {
        increment: dec!(0.05),
        rule: RoundingRule::HalfAwayFromZero,
    };
    s.add_line(item("A", dec!(1), dec!(7.33))).unwrap();
    s.add_tender(Tender::cash(m(dec!(10)))).unwrap();
    let done = s.complete(now()).unwrap();
    assert_eq!(done.total, m(dec!(7.33)));
    assert_eq!(done.cash_rounding(), m(dec!(0.02)));
    assert_eq!(done.total_paid(), m(dec!(7.35)));
    assert_eq!(done.change(), m(dec!(2.65)));
}

#[test]
fn on_account_within_credit_limit() {
    let mut s = cashier_sale();
    s.add_line(item("A", dec!(1), dec!(50))).unwrap();
    let on_account = |a| Tender {
        kind: TenderKind::OnAccount,
        amount: m(a),
        reference: Some("C1".into()),
    };
    assert_eq!(
        s.add_tender(on_account(dec!(50))).unwrap_err().code(),
        "tender.no_customer_account"
    );
    s.set_customer(Some(SaleCustomer {
        code: "C1".into(),
        group: None,
        credit_limit: m(dec!(100)),
        balance: m(dec!(70)),
    }))
    .unwrap();
    let e = s.add_tender(on_account(dec!(50))).unwrap_err();
    assert!(
        matches!(e, SaleError::CreditLimitExceeded { available, .. } if available == m(dec!(30)))
    );
    assert_eq!(e.code(), "sale.credit_limit_exceeded");
    s.add_tender(on_account(dec!(30))).unwrap();
    s.add_tender(Tender::cash(m(dec!(20)))).unwrap();
    let done = s.complete(now()).unwrap();
    assert_eq!(done.settlement.account_charge, m(dec!(30)));
}

#[test]
fn basket_promotions_and_exclusive_mode() {
    let mut s = cashier_sale();
    s.set_promotions(vec![
        Promotion {
            id: "BOGO".into(),
            name: "2 for 1".into(),
            from: now() - chrono::Duration::days(1),
            to: None,
            stores: vec!["S001".into()],
            customer_groups: vec![],
            kind: PromotionKind::Bogo {
                skus: vec!["A".into()],
                buy: 1,
                get: 1,
                get_percent_off: dec!(100),
            },
        },
        Promotion {
            id: "T50".into(),
            name: "5 % over 10".into(),
            from: now() - chrono::Duration::days(1),
            to: None,
            stores: vec![],
            customer_groups: vec![],
            kind: PromotionKind::ReceiptThreshold {
                min_total: m(dec!(10)),
                reward: ThresholdReward::PercentOff(dec!(5)),
            },
        },
    ]);
    s.add_line(item("A", dec!(2), dec!(4))).unwrap();
    s.add_line(item("B", dec!(1), dec!(10))).unwrap();
    let t = s.totals();
    // 8 + 10 = 18; BOGO −4 → 14; 5 % → −0.70 → 13.30
    assert_eq!(t.promotion_discounts, m(dec!(4.70)));
    assert_eq!(t.total, m(dec!(13.30)));
    assert_eq!(t.promotions.len(), 3);
    s.add_tender(Tender::cash(m(dec!(20)))).unwrap();
    let done = s.complete(now()).unwrap();
    assert_eq!(
        done.promotions
            .iter()
            .filter(|p| p.promotion_id == "BOGO")
            .count(),
        1
    );

    let mut ex = cashier_sale();
    ex.config.price_mode = PriceMode::Exclusive;
    ex.add_line(item("A", dec!(1), dec!(10))).unwrap();
    let t = ex.totals();
    assert_eq!(t.vat.total_vat(), m(dec!(2)));
    assert_eq!(t.total, m(dec!(12)));
    assert_eq!(t.lines[0].payable, m(dec!(12)));
}

#[test]
fn park_and_recall_round_trip() {
    let mut s = cashier_sale();
    let n = s.add_line(item("A", dec!(2), dec!(1.5))).unwrap();
    s.set_line_discount(n, Some(Discount::Percent(dec!(5))), None)
        .unwrap();
    s.add_receipt_discount(Discount::Amount(m(dec!(0.10))), None, None)
        .unwrap();
    let json = s.park().unwrap();
    let back = Sale::recall(&json).unwrap();
    assert_eq!(back, s);
    assert_eq!(back.totals(), s.totals());
    let mut back = back;
    assert_eq!(back.add_line(item("B", dec!(1), dec!(1))).unwrap(), 2);
    s.add_tender(Tender::card(m(dec!(1)))).unwrap();
    assert_eq!(s.park().unwrap_err(), SaleError::TendersPresent);
    assert_eq!(
        Sale::recall("{\"id\":1}").unwrap_err().code(),
        "sale.bad_parked_sale"
    );
}

#[test]
fn the_configured_permission_table_decides_who_may_void() {
    let mut s = cashier_sale();
    let mut table = PermissionTable::default();
    table.set(
        Role::Cashier,
        [Permission::Return, Permission::NoSale, Permission::VoidLine].into(),
    );
    s.config.permissions = table;
    let a = s.add_line(item("A", dec!(1), dec!(5))).unwrap();
    s.add_line(item("B", dec!(1), dec!(3))).unwrap();
    s.void_line(a, None).unwrap();
    assert_eq!(
        s.void_sale(None).unwrap_err(),
        SaleError::NeedsManager(Permission::VoidSale),
        "only the published row changed"
    );
    let mut strict = PermissionTable::default();
    strict.set(Role::Manager, [Permission::Return].into());
    let mut s = cashier_sale();
    s.config.permissions = strict;
    let b = s.add_line(item("B", dec!(1), dec!(3))).unwrap();
    assert_eq!(
        s.void_line(b, Some(&boss())).unwrap_err(),
        SaleError::NeedsManager(Permission::VoidLine),
        "a manager whose row lost void_line cannot approve it"
    );
}
