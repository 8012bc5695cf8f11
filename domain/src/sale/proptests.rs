//! Property tests: totals = Σ lines − discounts; receipt-discount allocation
//! sums exactly; VAT split sums to the receipt VAT.

use proptest::prelude::*;
use rust_decimal::Decimal;

use super::tests::{cashier_sale, item, m};
use super::*;
use crate::money::Currency;

fn discount() -> impl Strategy<Value = Option<Discount>> {
    prop_oneof![
        Just(None),
        (0i64..=100).prop_map(|p| Some(Discount::Percent(Decimal::from(p)))),
        (0i64..500).prop_map(|a| Some(Discount::Amount(Money::from_minor(a, Currency::Eur)))),
    ]
}

proptest! {
    #[test]
    fn totals_equal_lines_minus_discounts(
        lines in proptest::collection::vec((1i64..20, 1i64..5_000, discount()), 1..12),
        receipt in proptest::collection::vec(discount(), 0..3),
    ) {
        let boss = ManagerApproval::new("boss", crate::permission::Role::Manager);
        let mut s = cashier_sale();
        for (i, (qty, price, d)) in lines.iter().enumerate() {
            let n = s
                .add_line(item(&format!("S{i}"), Decimal::from(*qty), Money::from_minor(*price, Currency::Eur).0))
                .unwrap();
            if let Some(d) = d {
                // Amount discounts above the line are refused: skip those.
                let _ = s.set_line_discount(n, Some(*d), Some(&boss));
            }
        }
        for d in receipt.iter().flatten() {
            let _ = s.add_receipt_discount(*d, None, Some(&boss));
        }
        let t = s.totals();
        let gross: Money = t.lines.iter().map(|l| l.gross).sum();
        let net: Money = t.lines.iter().map(|l| l.net).sum();
        prop_assert_eq!(t.subtotal, gross);
        prop_assert_eq!(t.total, t.subtotal - t.discount_total());
        prop_assert_eq!(t.total, net);
        // receipt-discount allocation sums exactly to the receipt discounts
        let expected = totals::receipt_discount_total(
            &s.receipt_discounts,
            t.before_receipt_discounts(),
            Currency::Eur,
        );
        let allocated: Money = t.lines.iter().map(|l| l.receipt_discount).sum();
        prop_assert_eq!(allocated, expected);
        for l in &t.lines {
            prop_assert!(l.net >= Money::ZERO, "line {} negative", l.line_no);
        }
        let vat: Money = t.lines.iter().map(|l| l.vat).sum();
        prop_assert_eq!(vat, t.vat.total_vat());
    }

    #[test]
    fn paid_sales_complete_and_balance(
        prices in proptest::collection::vec(1i64..10_000, 1..8),
        extra in 0i64..5_000,
    ) {
        let mut s = cashier_sale();
        for (i, p) in prices.iter().enumerate() {
            s.add_line(item(&format!("S{i}"), Decimal::ONE, Money::from_minor(*p, Currency::Eur).0)).unwrap();
        }
        let total = s.totals().total;
        s.add_tender(Tender::cash(total + Money::from_minor(extra, Currency::Eur))).unwrap();
        let done = s.complete(super::tests::now()).unwrap();
        prop_assert_eq!(done.change(), m(Money::from_minor(extra, Currency::Eur).0));
        let lines: Money = done.lines.iter().map(|l| l.payable).sum();
        prop_assert_eq!(lines, done.total);
    }
}
