//! Stock movements of sales and returns.
//!
//! A sale line moves `−qty` out of the store's location; a return line
//! `+qty` back in. The unit cost is the moving average cost on hand (cost
//! of goods sold at moving average, as the books need), falling back to the
//! line's catalog cost when nothing is on hand yet. Batches are chosen by
//! the stock ledger (FIFO by expiry) when none is named.

use kasa_domain::money::Money;
use kasa_domain::returns::CompletedReturn;
use kasa_domain::sale::CompletedSale;
use kasa_domain::stock::{MovementKind, StockMovement};
use rusqlite::Connection;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::SaleError;
use crate::settings::TillSettings;
use crate::stock;

fn unit_cost(
    conn: &Connection,
    sku: &str,
    location: &str,
    fallback: Option<Money>,
) -> Result<Money, SaleError> {
    let level = stock::on_hand(conn, sku, location)?;
    if level.qty > Decimal::ZERO && !level.avg_cost.is_zero() {
        Ok(level.avg_cost)
    } else {
        Ok(fallback.unwrap_or(Money::ZERO))
    }
}

/// Movements of a completed sale.
pub(super) fn sale_movements(
    conn: &Connection,
    settings: &TillSettings,
    sale: &CompletedSale,
) -> Result<Vec<StockMovement>, SaleError> {
    let location = &settings.store_id;
    let mut out = Vec::with_capacity(sale.lines.len());
    for l in &sale.lines {
        out.push(StockMovement {
            id: Uuid::now_v7(),
            sku: l.product.sku.clone(),
            location: location.clone(),
            batch: None,
            qty: -l.qty,
            unit_cost: unit_cost(conn, &l.product.sku, location, l.cost)?,
            unit_sale_price: Some(if l.qty.is_zero() {
                l.unit_price
            } else {
                Money(l.payable.0 / l.qty)
            }),
            document_id: sale.id,
            at: sale.completed_at,
            kind: MovementKind::Sale,
        });
    }
    Ok(out)
}

/// Movements of a completed return.
pub(super) fn return_movements(
    conn: &Connection,
    settings: &TillSettings,
    ret: &CompletedReturn,
) -> Result<Vec<StockMovement>, SaleError> {
    let location = &settings.store_id;
    let mut out = Vec::with_capacity(ret.lines.len());
    for l in &ret.lines {
        out.push(StockMovement {
            id: Uuid::now_v7(),
            sku: l.product.sku.clone(),
            location: location.clone(),
            batch: None,
            qty: l.qty,
            unit_cost: match l.unit_cost {
                Some(c) => c,
                None => unit_cost(conn, &l.product.sku, location, None)?,
            },
            unit_sale_price: Some(if l.qty.is_zero() {
                l.refund
            } else {
                Money(l.refund.0 / l.qty)
            }),
            document_id: ret.id,
            at: ret.at,
            kind: MovementKind::Return,
        });
    }
    Ok(out)
}
