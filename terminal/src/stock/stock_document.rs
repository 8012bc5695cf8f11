//! The one place stock work becomes a document.
//!
//! Receipts and count approvals are documents like a sale: numbered,
//! stored with lines, their movements posted and an outbox record queued,
//! all in the caller's transaction, through
//! [`crate::documents::complete_document`]. Stock documents are not fiscal
//! events, so they carry no journal entry. A line's value is quantity × unit
//! cost; the document total is the sum (the value received or adjusted).

use chrono::NaiveDateTime;
use kasa_domain::document::DocumentType;
use kasa_domain::money::Money;
use kasa_domain::stock::StockMovement;
use rusqlite::Connection;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::StockError;
use crate::documents::{CompletedDocument, DocumentLine, NewDocument, complete_document};
use crate::settings::TillSettings;

/// A stock document to complete.
#[derive(Debug, Clone)]
pub(crate) struct StockDocument {
    pub(crate) id: Uuid,
    pub(crate) doc_type: DocumentType,
    pub(crate) author: String,
    pub(crate) at: NaiveDateTime,
    pub(crate) lines: Vec<StockDocumentLine>,
    pub(crate) movements: Vec<StockMovement>,
    pub(crate) body: serde_json::Value,
}

/// One line: a product, a signed quantity and the unit cost it moved at.
#[derive(Debug, Clone)]
pub(crate) struct StockDocumentLine {
    pub(crate) sku: String,
    pub(crate) qty: Decimal,
    pub(crate) unit_cost: Money,
}

/// Complete `doc` (number, rows, movements, outbox) in `tx`.
pub(crate) fn record_stock_document(
    tx: &Connection,
    settings: &TillSettings,
    doc: StockDocument,
) -> Result<CompletedDocument, StockError> {
    let currency = settings.currency;
    let rule = kasa_domain::money::RoundingRule::HalfAwayFromZero;
    let lines: Vec<DocumentLine> = doc
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let total = (l.unit_cost * l.qty).round(currency, rule);
            DocumentLine {
                line_no: i as u32 + 1,
                sku: l.sku.clone(),
                name: product_name(tx, &l.sku),
                qty: l.qty,
                unit_price: l.unit_cost,
                discount: Money::ZERO,
                total,
                vat_class: String::new(),
                vat_rate: Decimal::ZERO,
                vat_amount: Money::ZERO,
                price_rule: "cost".to_string(),
                unit_cost: Some(l.unit_cost),
                original_line_no: None,
            }
        })
        .collect();
    let total: Money = lines.iter().map(|l| l.total).sum();
    complete_document(
        tx,
        settings,
        NewDocument {
            id: doc.id,
            doc_type: doc.doc_type,
            author: doc.author,
            created_at: doc.at,
            completed_at: doc.at,
            total,
            vat_total: Money::ZERO,
            customer: None,
            original_id: None,
            shift_id: None,
            lines,
            tenders: Vec::new(),
            movements: doc.movements,
            journal: None,
            body: doc.body,
        },
    )
    .map_err(|e| match e {
        crate::documents::DocumentError::Stock(inner) => inner,
        other => StockError::Document(other.to_string()),
    })
}

/// The catalog name of `sku`, or the SKU itself when the catalog does not
/// know it (stock may arrive before the catalog import).
fn product_name(conn: &Connection, sku: &str) -> String {
    conn.query_row("SELECT name FROM products WHERE sku = ?1", [sku], |r| {
        r.get::<_, String>(0)
    })
    .unwrap_or_else(|_| sku.to_string())
}
