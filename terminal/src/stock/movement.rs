//! Mapping [`StockMovement`] to and from its `stock_movements` row.
//!
//! The `kind` column holds the enum's serde name, the
//! same names the movement has in document payloads and sync records.

use chrono::NaiveDateTime;
use kasa_domain::money::Money;
use kasa_domain::stock::{MovementKind, StockMovement};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::StockError;
use super::values::{parse_dec, parse_time, parse_uuid};

/// A new movement with a fresh UUIDv7 id.
#[allow(clippy::too_many_arguments)]
pub fn new_movement(
    sku: &str,
    location: &str,
    batch: Option<String>,
    qty: Decimal,
    unit_cost: Money,
    unit_sale_price: Option<Money>,
    document_id: Uuid,
    kind: MovementKind,
    at: NaiveDateTime,
) -> StockMovement {
    StockMovement {
        id: Uuid::now_v7(),
        sku: sku.to_string(),
        location: location.to_string(),
        batch,
        qty,
        unit_cost,
        unit_sale_price,
        document_id,
        kind,
        at,
    }
}

/// The serde name of an enum value (`"DeliveryReceipt"` / `"delivery_receipt"`).
pub(crate) fn enum_text<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

fn enum_from_text<T: serde::de::DeserializeOwned>(
    text: &str,
    column: &'static str,
) -> Result<T, StockError> {
    serde_json::from_value(serde_json::Value::String(text.to_string())).map_err(|_| {
        StockError::CorruptValue {
            table: "stock_movements",
            column,
            value: text.to_string(),
        }
    })
}

/// Parse a stored `kind`.
pub(crate) fn kind_from_text(text: &str) -> Result<MovementKind, StockError> {
    enum_from_text(text, "kind")
}

/// Read a movement from a row selected as
/// `seq, id, sku, location, batch, qty, unit_cost, unit_sale_price, document_id, kind, at`.
pub(crate) fn from_row(row: &rusqlite::Row<'_>) -> Result<StockMovement, StockError> {
    const T: &str = "stock_movements";
    let id: String = row.get(1)?;
    let qty: String = row.get(5)?;
    let cost: String = row.get(6)?;
    let price: Option<String> = row.get(7)?;
    let document_id: String = row.get(8)?;
    let kind: String = row.get(9)?;
    let at: String = row.get(10)?;
    Ok(StockMovement {
        id: parse_uuid(&id, T, "id")?,
        sku: row.get(2)?,
        location: row.get(3)?,
        batch: row.get(4)?,
        qty: parse_dec(&qty, T, "qty")?,
        unit_cost: Money(parse_dec(&cost, T, "unit_cost")?),
        unit_sale_price: price
            .map(|p| parse_dec(&p, T, "unit_sale_price").map(Money))
            .transpose()?,
        document_id: parse_uuid(&document_id, T, "document_id")?,
        kind: enum_from_text(&kind, "kind")?,
        at: parse_time(&at, T, "at")?,
    })
}

/// Every movement of a document, in posting order.
pub fn movements_of_document(
    conn: &rusqlite::Connection,
    document_id: Uuid,
) -> Result<Vec<StockMovement>, StockError> {
    let mut stmt = conn.prepare(
        "SELECT seq, id, sku, location, batch, qty, unit_cost, unit_sale_price, document_id, kind, at
         FROM stock_movements WHERE document_id = ?1 ORDER BY seq",
    )?;
    let mut rows = stmt.query([document_id.to_string()])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(from_row(row)?);
    }
    Ok(out)
}
