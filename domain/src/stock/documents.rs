//! Stock movements of completed sales and returns, so every writer books
//! them the same way.
//!
//! * A sale line issues `−qty` (base units) at the line's unit cost (the
//!   cost the line was priced with; zero when unknown) with the unit sale
//!   price the customer really paid (`payable / qty`, rounded half away from
//!   zero to [`SALE_PRICE_DP`] decimals) for profit reports.
//! * A return line brings `+qty` back at the original line's cost.
//! * Batches are not chosen here: the ledger splits issues over batches with
//!   [`super::consume_fifo`] / [`super::split_by_batches`].

use rust_decimal::Decimal;
use uuid::Uuid;

use super::{MovementKind, StockMovement};
use crate::money::{Money, RoundingRule};
use crate::returns::CompletedReturn;
use crate::sale::CompletedSale;

/// Decimals of the unit sale price recorded on movements.
pub const SALE_PRICE_DP: u32 = 4;

fn unit_price(payable: Money, qty: Decimal) -> Option<Money> {
    if qty.is_zero() {
        return None;
    }
    Some(Money(
        RoundingRule::HalfAwayFromZero.round_dp(payable.0 / qty, SALE_PRICE_DP),
    ))
}

/// One `Sale` movement per line of `sale`, ids from `new_id`.
pub fn movements_for_sale(
    sale: &CompletedSale,
    location: &str,
    mut new_id: impl FnMut() -> Uuid,
) -> Vec<StockMovement> {
    sale.lines
        .iter()
        .map(|l| StockMovement {
            id: new_id(),
            sku: l.product.sku.clone(),
            location: location.to_string(),
            batch: None,
            qty: -l.qty,
            unit_cost: l.cost.unwrap_or(Money::ZERO),
            unit_sale_price: unit_price(l.payable, l.qty),
            document_id: sale.id,
            at: sale.completed_at,
            kind: MovementKind::Sale,
        })
        .collect()
}

/// One `Return` movement per line of `ret`, ids from `new_id`.
pub fn movements_for_return(
    ret: &CompletedReturn,
    location: &str,
    mut new_id: impl FnMut() -> Uuid,
) -> Vec<StockMovement> {
    ret.lines
        .iter()
        .map(|l| StockMovement {
            id: new_id(),
            sku: l.product.sku.clone(),
            location: location.to_string(),
            batch: None,
            qty: l.qty,
            unit_cost: l.unit_cost.unwrap_or(Money::ZERO),
            unit_sale_price: unit_price(l.refund, l.qty),
            document_id: ret.id,
            at: ret.at,
            kind: MovementKind::Return,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::{CashRounding, Currency};
    use crate::permission::{Operator, Role};
    use crate::pricing::{PriceRule, quote};
    use crate::product::{Lifecycle, Unit};
    use crate::returns::{ReturnContext, ReturnRequestLine, return_against_sale};
    use crate::sale::{NewLine, ProductSnapshot, Sale, SaleConfig};
    use crate::stock::StockPosition;
    use crate::tender::Tender;
    use chrono::NaiveDate;
    use rust_decimal_macros::dec;

    #[test]
    fn sale_and_return_movements_net_out() {
        let at = NaiveDate::from_ymd_opt(2026, 4, 1)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap();
        let ana = Operator::new("ana", Role::Cashier);
        let mut s = Sale::new(Uuid::from_u128(1), SaleConfig::eur("S001"), ana.clone(), at);
        s.add_line(NewLine {
            product: ProductSnapshot {
                sku: "CH".into(),
                name: "Сирене".into(),
                unit: Unit::Kg,
                vat_class: "reduced".into(),
                vat_rate_percent: dec!(9),
            },
            lifecycle: Lifecycle::Active,
            qty: dec!(0.750),
            quote: quote(
                Money(dec!(9.99)),
                PriceRule::Manual,
                None,
                Some(Money(dec!(6))),
            ),
        })
        .unwrap();
        s.add_tender(Tender::cash(Money(dec!(10)))).unwrap();
        let sale = s.complete(at).unwrap();
        let mut n = 10u128;
        let mut ids = || {
            n += 1;
            Uuid::from_u128(n)
        };
        let out = movements_for_sale(&sale, "S001", &mut ids);
        assert_eq!(out.len(), 1);
        assert_eq!(
            (out[0].qty, out[0].unit_cost),
            (dec!(-0.750), Money(dec!(6)))
        );
        // 0.75 × 9.99 = 7.4925 → 7.49 paid → 9.9867 per kg
        assert_eq!(out[0].unit_sale_price, Some(Money(dec!(9.9867))));
        assert!(out.iter().all(|m| m.validate().is_ok()));
        let ctx = ReturnContext {
            id: Uuid::from_u128(2),
            operator: ana,
            at,
            cash_rounding: CashRounding::none(Currency::Eur),
            reason: None,
        };
        let ret = return_against_sale(
            &sale,
            &[],
            &[ReturnRequestLine {
                line_no: 1,
                qty: dec!(0.750),
            }],
            &ctx,
            None,
            &[],
        )
        .unwrap();
        let back = movements_for_return(&ret, "S001", &mut ids);
        assert!(back.iter().all(|m| m.validate().is_ok()));
        let all: Vec<&StockMovement> = out.iter().chain(&back).collect();
        assert_eq!(StockPosition::from_movements(all).qty, Decimal::ZERO);
        assert_eq!(back[0].document_id, ret.id);
    }
}
