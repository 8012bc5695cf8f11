//! One example payload of each record kind, shaped as the till writes it,
//! frozen in `fixtures/sync/payloads/` (see `tests/payload_golden.rs`).
//! Keys are listed in sorted order, like [`crate::examples`].

use chrono::DateTime;
use kasa_domain::journal::{JournalDraft, JournalEntry, JournalKind};
use kasa_domain::money::Money;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::examples::SALE_ID;
use crate::upload::RecordKind;

/// One frozen payload: its file, its record kind and document type, its JSON.
#[derive(Debug, Clone)]
pub struct PayloadExample {
    /// File name under `fixtures/sync/payloads/`.
    pub file_name: &'static str,
    /// The record kind it travels as.
    pub kind: RecordKind,
    /// The record's document type.
    pub document_type: Option<&'static str>,
    /// The payload.
    pub payload: Value,
}

const MOVEMENT_ID: &str = "01934a2c-5e10-7b3a-9c4d-2f6e8a1b0002";
const RETURN_ID: &str = "01934a2c-5e10-7b3a-9c4d-2f6e8a1b0010";
const SHIFT_ID: &str = "01934a2c-5e10-7b3a-9c4d-2f6e8a1b0020";

fn movement(id: &str, document_id: &str, qty: &str, kind: &str) -> Value {
    json!({
        "at": "2026-11-21T09:15:02",
        "batch": null,
        "document_id": document_id,
        "id": id,
        "kind": kind,
        "location": "S001",
        "qty": qty,
        "sku": "1001",
        "unit_cost": "1.20",
        "unit_sale_price": "1.99"
    })
}

fn line(qty: &str, total: &str, original_line_no: Option<u32>) -> Value {
    json!({
        "discount": "0",
        "line_no": 1,
        "name": "Milk 1 l",
        "original_line_no": original_line_no,
        "price_rule": "base",
        "qty": qty,
        "sku": "1001",
        "total": total,
        "unit_cost": "1.20",
        "unit_price": "1.99",
        "vat_amount": "0.66",
        "vat_class": "standard",
        "vat_rate": "20",
    })
}

fn document(id: &str, doc_type: &str, number: &str, total: &str, rest: Value) -> Value {
    let mut doc = json!({
        "author": "maria",
        "body": {},
        "completed_at": "2026-11-21T09:15:02",
        "created_at": "2026-11-21T09:14:40",
        "currency": "EUR",
        "customer": null,
        "doc_type": doc_type,
        "id": id,
        "journal_seq": null,
        "lines": [],
        "movements": [],
        "number": number,
        "original_id": null,
        "shift_id": SHIFT_ID,
        "status": "completed",
        "store_id": "S001",
        "tenders": [],
        "terminal_id": "T01",
        "total": total,
        "vat_total": "0",
    });
    if let (Some(doc), Some(rest)) = (doc.as_object_mut(), rest.as_object()) {
        for (k, v) in rest {
            doc.insert(k.clone(), v.clone());
        }
    }
    doc
}

/// The journal entry of the example sale (the first of its journal).
pub fn journal_entry() -> JournalEntry {
    let at = DateTime::from_timestamp(1_795_252_502, 0)
        .unwrap_or_default()
        .naive_utc();
    JournalEntry::next(
        None,
        JournalDraft {
            at,
            kind: JournalKind::Sale,
            document_id: SALE_ID,
            document_number: "SA-0000000041".into(),
            amount: Money(Decimal::new(398, 2)),
            payload: json!({"author": "maria", "store_id": "S001", "terminal_id": "T01"}),
        },
    )
}

/// Every example payload.
pub fn all() -> Vec<PayloadExample> {
    let sale = SALE_ID.to_string();
    vec![
        PayloadExample {
            file_name: "document_sale.json",
            kind: RecordKind::Document,
            document_type: Some("sale"),
            payload: document(
                &sale,
                "sale",
                "0000000041",
                "3.98",
                json!({
                    "journal_seq": 1,
                    "lines": [line("2", "3.98", None)],
                    "movements": [movement(MOVEMENT_ID, &sale, "-2", "sale")],
                    "tenders": [
                        {"amount": "5.00", "kind": "cash", "reference": null},
                        {"amount": "-1.02", "kind": "change", "reference": null}
                    ],
                    "vat_total": "0.66"
                }),
            ),
        },
        PayloadExample {
            file_name: "document_return.json",
            kind: RecordKind::Document,
            document_type: Some("return"),
            payload: document(
                RETURN_ID,
                "return",
                "0000000007",
                "-1.99",
                json!({
                    "lines": [line("-1", "-1.99", Some(1))],
                    "original_id": sale,
                    "tenders": [{"amount": "-1.99", "kind": "cash", "reference": null}],
                    "vat_total": "-0.33"
                }),
            ),
        },
        PayloadExample {
            file_name: "document_cash_in.json",
            kind: RecordKind::Document,
            document_type: Some("cash_in"),
            payload: document(
                "01934a2c-5e10-7b3a-9c4d-2f6e8a1b0030",
                "cash_in",
                "0000000002",
                "50.00",
                json!({"body": {"reason": "float top-up"}}),
            ),
        },
        PayloadExample {
            file_name: "stock_movement.json",
            kind: RecordKind::StockMovement,
            document_type: Some("sale"),
            payload: movement(MOVEMENT_ID, &sale, "-2", "sale"),
        },
        PayloadExample {
            file_name: "journal_entry.json",
            kind: RecordKind::JournalEntry,
            document_type: Some("sale"),
            payload: serde_json::to_value(journal_entry()).unwrap_or_default(),
        },
        PayloadExample {
            file_name: "audit.json",
            kind: RecordKind::Audit,
            document_type: None,
            payload: json!({
                "actor": "maria",
                "amount": "1.49",
                "approver": "ivan",
                "at": "2026-11-21T09:15:00",
                "document_id": sale,
                "event": "price_override",
                "reason": "shelf label shows 1.49"
            }),
        },
    ]
}
