//! Tests of the parent module.

use super::*;
use crate::money::Currency;
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn m(d: Decimal) -> Money {
    Money(d)
}

fn t(kind: TenderKind, d: Decimal) -> Tender {
    Tender::new(kind, m(d))
}

fn five_cents() -> CashRounding {
    CashRounding::to_increment(dec!(0.05))
}

#[test]
fn settle_table() {
    use TenderKind::*;
    let none = CashRounding::none(Currency::Eur);
    // (case, due, tenders, rounding, change, outstanding, cash_rounding, forfeited)
    type Case = (
        &'static str,
        Decimal,
        Vec<Tender>,
        CashRounding,
        Decimal,
        Decimal,
        Decimal,
        Decimal,
    );
    let cases: Vec<Case> = vec![
        (
            "exact cash",
            dec!(10.00),
            vec![t(Cash, dec!(10))],
            none,
            dec!(0),
            dec!(0),
            dec!(0),
            dec!(0),
        ),
        (
            "cash with change",
            dec!(7.35),
            vec![t(Cash, dec!(20))],
            none,
            dec!(12.65),
            dec!(0),
            dec!(0),
            dec!(0),
        ),
        (
            "cash short",
            dec!(7.35),
            vec![t(Cash, dec!(5))],
            none,
            dec!(0),
            dec!(2.35),
            dec!(0),
            dec!(0),
        ),
        (
            "cash rounding down",
            dec!(7.32),
            vec![t(Cash, dec!(10))],
            five_cents(),
            dec!(2.70),
            dec!(0),
            dec!(-0.02),
            dec!(0),
        ),
        (
            "cash rounding up",
            dec!(7.33),
            vec![t(Cash, dec!(7.35))],
            five_cents(),
            dec!(0),
            dec!(0),
            dec!(0.02),
            dec!(0),
        ),
        (
            "card only never rounded",
            dec!(7.33),
            vec![t(Card, dec!(7.33))],
            five_cents(),
            dec!(0),
            dec!(0),
            dec!(0),
            dec!(0),
        ),
        (
            "card short, no cash",
            dec!(7.33),
            vec![t(Card, dec!(5))],
            five_cents(),
            dec!(0),
            dec!(2.33),
            dec!(0),
            dec!(0),
        ),
        (
            "split card + cash, rounding on cash part",
            dec!(17.33),
            vec![t(Card, dec!(10)), t(Cash, dec!(10))],
            five_cents(),
            dec!(2.65),
            dec!(0),
            dec!(0.02),
            dec!(0),
        ),
        (
            "voucher overpay forfeited",
            dec!(15),
            vec![t(Voucher, dec!(20))],
            none,
            dec!(0),
            dec!(0),
            dec!(0),
            dec!(5),
        ),
        (
            "voucher + cash",
            dec!(30),
            vec![t(Voucher, dec!(20)), t(Cash, dec!(20))],
            none,
            dec!(10),
            dec!(0),
            dec!(0),
            dec!(0),
        ),
        (
            "voucher covers all: cash all returned",
            dec!(15),
            vec![t(Voucher, dec!(20)), t(Cash, dec!(5))],
            none,
            dec!(5),
            dec!(0),
            dec!(0),
            dec!(5),
        ),
        (
            "rounded cash due zero",
            dec!(0.02),
            vec![t(Cash, dec!(0))],
            five_cents(),
            dec!(0),
            dec!(0),
            dec!(-0.02),
            dec!(0),
        ),
        (
            "two cards",
            dec!(10),
            vec![t(Card, dec!(4)), t(Card, dec!(6))],
            none,
            dec!(0),
            dec!(0),
            dec!(0),
            dec!(0),
        ),
    ];
    for (name, due, tenders, rounding, change, outstanding, adj, forfeited) in cases {
        let s = settle(m(due), &tenders, &rounding, None).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            (
                s.change.0,
                s.outstanding.0,
                s.cash_rounding.0,
                s.voucher_forfeited.0
            ),
            (change, outstanding, adj, forfeited),
            "{name}"
        );
        assert_eq!(s.is_paid(), outstanding.is_zero(), "{name}");
    }
}

#[test]
fn named_errors() {
    use TenderKind::*;
    let none = CashRounding::none(Currency::Eur);
    let e = settle(m(dec!(10)), &[t(Card, dec!(11))], &none, None).unwrap_err();
    assert_eq!(e.code(), "tender.non_cash_overpay");
    let e = settle(m(dec!(10)), &[t(Card, dec!(0))], &none, None).unwrap_err();
    assert_eq!(e.code(), "tender.invalid_amount");
    let e = settle(m(dec!(10)), &[t(Cash, dec!(-1))], &none, None).unwrap_err();
    assert_eq!(e.code(), "tender.invalid_amount");
    let e = settle(m(dec!(10)), &[t(OnAccount, dec!(10))], &none, None).unwrap_err();
    assert_eq!(e, TenderError::NoCustomerAccount);
    let acc = CreditAccount {
        customer_code: "C1".into(),
        credit_limit: m(dec!(100)),
        balance: m(dec!(95)),
    };
    let ok = settle(
        m(dec!(10)),
        &[t(OnAccount, dec!(5)), t(Cash, dec!(5))],
        &none,
        Some(&acc),
    )
    .unwrap();
    assert_eq!(ok.account_charge, m(dec!(5)));
    assert!(ok.is_paid());
    let e = settle(m(dec!(10)), &[t(OnAccount, dec!(5.01))], &none, Some(&acc)).unwrap_err();
    assert_eq!(e.code(), "tender.credit_limit_exceeded");
    match e {
        TenderError::CreditLimitExceeded {
            available,
            would_owe,
            ..
        } => {
            assert_eq!((available, would_owe), (m(dec!(5)), m(dec!(100.01))));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn refunds() {
    use TenderKind::*;
    let r = settle_refund(m(dec!(7.33)), &[], &five_cents()).unwrap();
    assert_eq!(
        (r.cash_paid_out, r.cash_rounding),
        (m(dec!(7.35)), m(dec!(0.02)))
    );
    let r = settle_refund(m(dec!(7.33)), &[t(Card, dec!(7.33))], &five_cents()).unwrap();
    assert_eq!((r.non_cash, r.cash_paid_out), (m(dec!(7.33)), Money::ZERO));
    let e = settle_refund(m(dec!(7.33)), &[t(Cash, dec!(7.33))], &five_cents()).unwrap_err();
    assert_eq!(e.code(), "tender.refund_mismatch");
    assert_eq!(
        refund_cash_due(m(dec!(7.33)), Money::ZERO, &five_cents()),
        m(dec!(7.35))
    );
    let e = settle_refund(m(dec!(5)), &[t(Card, dec!(6))], &five_cents()).unwrap_err();
    assert_eq!(e.code(), "tender.non_cash_overpay");
    let r = settle_refund(m(dec!(5)), &[t(OnAccount, dec!(5))], &five_cents()).unwrap();
    assert_eq!(r.account_credit, m(dec!(5)));
}

#[test]
fn net_by_kind_subtracts_change_from_cash() {
    let tenders = [Tender::cash(m(dec!(20))), Tender::card(m(dec!(5)))];
    let s = settle(
        m(dec!(12)),
        &tenders,
        &CashRounding::none(Currency::Eur),
        None,
    )
    .unwrap();
    assert_eq!(
        s.net_by_kind(&tenders),
        vec![
            (TenderKind::Cash, m(dec!(7))),
            (TenderKind::Card, m(dec!(5)))
        ]
    );
}

proptest! {
    /// Change only from cash; what stays in the shop equals what is due
    /// (after cash rounding) plus forfeited voucher value when paid.
    #[test]
    fn change_logic(
        due in 0i64..100_000,
        card in 0i64..50_000,
        voucher in 0i64..50_000,
        cash in proptest::option::of(0i64..200_000),
        five in any::<bool>(),
    ) {
        let eur = Currency::Eur;
        let rounding = if five { five_cents() } else { CashRounding::none(eur) };
        let mut tenders = Vec::new();
        if card > 0 { tenders.push(Tender::card(Money::from_minor(card, eur))); }
        if voucher > 0 { tenders.push(Tender::new(TenderKind::Voucher, Money::from_minor(voucher, eur))); }
        if let Some(c) = cash { tenders.push(Tender::cash(Money::from_minor(c, eur))); }
        let due = Money::from_minor(due, eur);
        match settle(due, &tenders, &rounding, None) {
            Err(TenderError::NonCashOverpay { .. }) => prop_assert!(Money::from_minor(card, eur) > due),
            Err(e) => prop_assert!(false, "unexpected {e}"),
            Ok(s) => {
                prop_assert!(s.change >= Money::ZERO && s.outstanding >= Money::ZERO);
                prop_assert!(s.change <= s.cash_tendered);
                if cash.is_none() {
                    prop_assert!(s.change.is_zero() && s.cash_rounding.is_zero());
                }
                prop_assert!(s.cash_rounding.abs().0 < dec!(0.03));
                let tendered: Money = tenders.iter().map(|t| t.amount).sum();
                if s.is_paid() {
                    prop_assert_eq!(
                        tendered - s.change,
                        s.total_due + s.cash_rounding + s.voucher_forfeited
                    );
                } else {
                    prop_assert!(s.change.is_zero());
                    prop_assert_eq!(
                        tendered + s.outstanding,
                        s.total_due + s.cash_rounding + s.voucher_forfeited
                    );
                }
            }
        }
    }
}
