//! Receiving goods and purchase orders.
//!
//! A delivery is received free or against a purchase order. Either way it is
//! ONE `DeliveryReceipt` document, completed through
//! [`crate::documents::complete_document`]: number, document, lines, the
//! receipt movements (with unit cost, so weighted average cost and last
//! purchase cost move), and the outbox record are written in one transaction.
//!
//! Against an order, each received line is matched to the order's open lines
//! of the same SKU in line order; what exceeds the ordered quantity (or is not
//! on the order at all) is still received — the goods are physically there —
//! and reported as an [`OverReceipt`] so the manager can take it up with the
//! supplier. A line without `unit_cost` takes the order line's cost; on a free
//! receipt the cost is required.
//!
//! Request format (`kasa receive <file.json>`):
//! ```json
//! {"supplier":"Acme Foods","po":null,
//!  "lines":[{"sku":"1001","qty":"24","unit_cost":"0.85","batch":"L123","expiry":"2026-12-31"}]}
//! ```
//! `qty` and `unit_cost` are decimal strings; `batch`, `expiry` (YYYY-MM-DD)
//! and `po` are optional; `location` defaults to this till's store.

use chrono::{NaiveDate, NaiveDateTime};
use kasa_domain::document::DocumentType;
use kasa_domain::money::Money;
use kasa_domain::stock::MovementKind;
use rusqlite::{Connection, OptionalExtension, params};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::StockError;
use super::ledger::register_batch;
use super::movement::new_movement;
use super::stock_document::{StockDocument, StockDocumentLine, record_stock_document};
use super::values::{dec_text, parse_dec};
use crate::settings::TillSettings;

/// A delivery to receive (the JSON format above).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiveRequest {
    /// Supplier name or code.
    pub supplier: String,
    /// Purchase order id, or `null` for a free receipt.
    #[serde(default)]
    pub po: Option<String>,
    /// Receiving location; defaults to this till's store id.
    #[serde(default)]
    pub location: Option<String>,
    /// Supplier's delivery note number, kept on the document.
    #[serde(default)]
    pub delivery_note: Option<String>,
    /// What arrived.
    pub lines: Vec<ReceiveLine>,
}

/// One received line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiveLine {
    /// Product SKU.
    pub sku: String,
    /// Quantity in base units, > 0.
    #[serde(with = "rust_decimal::serde::str")]
    pub qty: Decimal,
    /// Unit cost; may be left out against an order (the order's cost is used).
    #[serde(default)]
    pub unit_cost: Option<Money>,
    /// Batch / lot code.
    #[serde(default)]
    pub batch: Option<String>,
    /// Expiry of the batch.
    #[serde(default)]
    pub expiry: Option<NaiveDate>,
}

/// Received beyond what the order asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OverReceipt {
    /// Product SKU.
    pub sku: String,
    /// Ordered on the purchase order (0 when not on it).
    pub ordered: Decimal,
    /// Received in total, including this delivery.
    pub received: Decimal,
    /// `received − ordered`.
    pub over_by: Decimal,
}

/// What a completed receipt produced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReceiptOutcome {
    /// The delivery receipt document.
    pub document_id: Uuid,
    /// Its human number.
    pub number: String,
    /// Movements posted.
    pub movements: usize,
    /// Lines received beyond the order.
    pub over_receipts: Vec<OverReceipt>,
    /// The order's status after this delivery.
    pub po_status: Option<String>,
}

/// A purchase order to create (`kasa po create <file.json>`):
/// `{"id":"PO-1001","supplier":"Acme Foods","expected_on":"2026-12-01","lines":[{"sku":"1001","qty":"48","unit_cost":"0.85"}]}`
/// (`id`, `location` and `expected_on` optional).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPurchaseOrder {
    /// Order id; a UUID is made when left out.
    #[serde(default)]
    pub id: Option<String>,
    /// Supplier.
    pub supplier: String,
    /// Delivery location; defaults to this till's store id.
    #[serde(default)]
    pub location: Option<String>,
    /// Expected delivery date.
    #[serde(default)]
    pub expected_on: Option<NaiveDate>,
    /// Ordered lines.
    pub lines: Vec<PurchaseOrderLineInput>,
}

/// One ordered line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PurchaseOrderLineInput {
    /// Product SKU.
    pub sku: String,
    /// Ordered quantity, > 0.
    #[serde(with = "rust_decimal::serde::str")]
    pub qty: Decimal,
    /// Agreed unit cost.
    pub unit_cost: Money,
}

/// A purchase order line with what was received so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PurchaseOrderLine {
    /// 1-based line number.
    pub line_no: u32,
    /// Product SKU.
    pub sku: String,
    /// Ordered.
    pub qty_ordered: Decimal,
    /// Agreed unit cost.
    pub unit_cost: Money,
    /// Received so far.
    pub qty_received: Decimal,
}

/// A stored purchase order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PurchaseOrder {
    /// Order id.
    pub id: String,
    /// Supplier.
    pub supplier: String,
    /// Location.
    pub location: String,
    /// `open`, `partial`, `received` or `cancelled`.
    pub status: String,
    /// Lines.
    pub lines: Vec<PurchaseOrderLine>,
}

/// Create a purchase order; returns its id.
pub fn create_purchase_order(
    tx: &Connection,
    settings: &TillSettings,
    order: &NewPurchaseOrder,
    at: NaiveDateTime,
) -> Result<String, StockError> {
    if order.lines.is_empty() {
        return Err(StockError::InvalidRequest(
            "a purchase order needs at least one line".into(),
        ));
    }
    let id = order
        .id
        .clone()
        .unwrap_or_else(|| Uuid::now_v7().to_string());
    let location = order.location.as_deref().unwrap_or(&settings.store_id);
    let exists: Option<String> = tx
        .query_row("SELECT id FROM purchase_orders WHERE id = ?1", [&id], |r| {
            r.get(0)
        })
        .optional()?;
    if exists.is_some() {
        return Err(StockError::InvalidRequest(format!(
            "purchase order '{id}' already exists — use another id"
        )));
    }
    tx.execute(
        "INSERT INTO purchase_orders (id, supplier, location, status, created_at, expected_on)
         VALUES (?1, ?2, ?3, 'open', ?4, ?5)",
        params![
            id,
            order.supplier,
            location,
            super::values::time_text(at),
            order.expected_on.map(|d| d.to_string())
        ],
    )?;
    for (i, line) in order.lines.iter().enumerate() {
        if line.qty <= Decimal::ZERO {
            return Err(StockError::NonPositiveQty {
                sku: line.sku.clone(),
                qty: line.qty.to_string(),
            });
        }
        tx.execute(
            "INSERT INTO purchase_order_lines (po_id, line_no, sku, qty_ordered, unit_cost, qty_received)
             VALUES (?1, ?2, ?3, ?4, ?5, '0')",
            params![
                id,
                i as i64 + 1,
                line.sku,
                dec_text(line.qty),
                dec_text(line.unit_cost.0)
            ],
        )?;
    }
    Ok(id)
}

/// Read a purchase order with its lines.
pub fn purchase_order(conn: &Connection, id: &str) -> Result<PurchaseOrder, StockError> {
    let head = conn
        .query_row(
            "SELECT supplier, location, status FROM purchase_orders WHERE id = ?1",
            [id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            },
        )
        .optional()?
        .ok_or_else(|| StockError::UnknownPurchaseOrder(id.to_string()))?;
    let mut stmt = conn.prepare(
        "SELECT line_no, sku, qty_ordered, unit_cost, qty_received FROM purchase_order_lines
         WHERE po_id = ?1 ORDER BY line_no",
    )?;
    let mut rows = stmt.query([id])?;
    let mut lines = Vec::new();
    while let Some(row) = rows.next()? {
        let ordered: String = row.get(2)?;
        let cost: String = row.get(3)?;
        let received: String = row.get(4)?;
        lines.push(PurchaseOrderLine {
            line_no: row.get(0)?,
            sku: row.get(1)?,
            qty_ordered: parse_dec(&ordered, "purchase_order_lines", "qty_ordered")?,
            unit_cost: Money(parse_dec(&cost, "purchase_order_lines", "unit_cost")?),
            qty_received: parse_dec(&received, "purchase_order_lines", "qty_received")?,
        });
    }
    Ok(PurchaseOrder {
        id: id.to_string(),
        supplier: head.0,
        location: head.1,
        status: head.2,
        lines,
    })
}

/// Parse a receive request from its JSON text.
pub fn parse_receive_request(json: &str) -> Result<ReceiveRequest, StockError> {
    serde_json::from_str(json).map_err(|e| StockError::InvalidRequest(e.to_string()))
}

/// Receive a delivery inside the caller's transaction, at `at`
/// ([`super::receive`] is the CLI's one-transaction form).
pub fn receive_in(
    tx: &Connection,
    settings: &TillSettings,
    request: &ReceiveRequest,
    author: &str,
    at: NaiveDateTime,
) -> Result<ReceiptOutcome, StockError> {
    if request.lines.is_empty() {
        return Err(StockError::InvalidRequest(
            "a delivery needs at least one line".into(),
        ));
    }
    let location = request
        .location
        .clone()
        .unwrap_or_else(|| settings.store_id.clone());
    let mut order = match &request.po {
        Some(id) => {
            let order = purchase_order(tx, id)?;
            if order.status == "received" || order.status == "cancelled" {
                return Err(StockError::PurchaseOrderClosed {
                    id: id.clone(),
                    status: order.status,
                });
            }
            Some(order)
        }
        None => None,
    };
    let document_id = Uuid::now_v7();
    let mut movements = Vec::with_capacity(request.lines.len());
    let mut doc_lines = Vec::with_capacity(request.lines.len());
    let mut over_skus: Vec<String> = Vec::new();
    for line in &request.lines {
        if line.qty <= Decimal::ZERO {
            return Err(StockError::NonPositiveQty {
                sku: line.sku.clone(),
                qty: line.qty.to_string(),
            });
        }
        let mut unit_cost = line.unit_cost;
        if let Some(order) = order.as_mut() {
            let mut left = line.qty;
            for po_line in order.lines.iter_mut().filter(|l| l.sku == line.sku) {
                unit_cost = unit_cost.or(Some(po_line.unit_cost));
                let open = (po_line.qty_ordered - po_line.qty_received).max(Decimal::ZERO);
                let take = left.min(open);
                po_line.qty_received += take;
                left -= take;
            }
            if left > Decimal::ZERO {
                // Book the excess on the last line of this SKU (or report it
                // as unordered) so the order shows what really arrived.
                if let Some(last) = order.lines.iter_mut().rfind(|l| l.sku == line.sku) {
                    last.qty_received += left;
                }
                if !over_skus.contains(&line.sku) {
                    over_skus.push(line.sku.clone());
                }
            }
        }
        let unit_cost = unit_cost.ok_or_else(|| {
            StockError::InvalidRequest(format!(
                "line for '{}' has no unit_cost — give the cost from the supplier's invoice",
                line.sku
            ))
        })?;
        if unit_cost.0 < Decimal::ZERO {
            return Err(StockError::InvalidRequest(format!(
                "unit_cost {} for '{}' is negative",
                unit_cost, line.sku
            )));
        }
        if let Some(batch) = &line.batch {
            register_batch(tx, &line.sku, &location, batch, line.expiry, at)?;
        }
        movements.push(new_movement(
            &line.sku,
            &location,
            line.batch.clone(),
            line.qty,
            unit_cost,
            None,
            document_id,
            MovementKind::Receipt,
            at,
        ));
        doc_lines.push(StockDocumentLine {
            sku: line.sku.clone(),
            qty: line.qty,
            unit_cost,
        });
    }
    let over_receipts = match &order {
        Some(order) => over_skus
            .iter()
            .map(|sku| over_receipt(order, sku, &request.lines))
            .collect(),
        None => Vec::new(),
    };
    let po_status = match &order {
        Some(order) => Some(store_order_progress(tx, order)?),
        None => None,
    };
    let body = serde_json::json!({
        "supplier": request.supplier,
        "po": request.po,
        "delivery_note": request.delivery_note,
        "location": location,
        "lines": request.lines,
        "over_receipts": over_receipts,
    });
    let completed = record_stock_document(
        tx,
        settings,
        StockDocument {
            id: document_id,
            doc_type: DocumentType::DeliveryReceipt,
            author: author.to_string(),
            at,
            lines: doc_lines,
            movements,
            body,
        },
    )?;
    Ok(ReceiptOutcome {
        document_id,
        number: completed.number,
        movements: request.lines.len(),
        over_receipts,
        po_status,
    })
}

fn over_receipt(order: &PurchaseOrder, sku: &str, lines: &[ReceiveLine]) -> OverReceipt {
    let ordered: Decimal = order
        .lines
        .iter()
        .filter(|l| l.sku == sku)
        .map(|l| l.qty_ordered)
        .sum();
    let booked: Decimal = order
        .lines
        .iter()
        .filter(|l| l.sku == sku)
        .map(|l| l.qty_received)
        .sum();
    let received = if order.lines.iter().any(|l| l.sku == sku) {
        booked
    } else {
        lines.iter().filter(|l| l.sku == sku).map(|l| l.qty).sum()
    };
    OverReceipt {
        sku: sku.to_string(),
        ordered,
        received,
        over_by: received - ordered,
    }
}

fn store_order_progress(tx: &Connection, order: &PurchaseOrder) -> Result<String, StockError> {
    for line in &order.lines {
        tx.execute(
            "UPDATE purchase_order_lines SET qty_received = ?3 WHERE po_id = ?1 AND line_no = ?2",
            params![order.id, line.line_no, dec_text(line.qty_received)],
        )?;
    }
    let complete = order.lines.iter().all(|l| l.qty_received >= l.qty_ordered);
    let status = if complete { "received" } else { "partial" };
    tx.execute(
        "UPDATE purchase_orders SET status = ?2 WHERE id = ?1",
        params![order.id, status],
    )?;
    Ok(status.to_string())
}
