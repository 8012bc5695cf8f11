//! Reading and bounding one uploaded record's payload.
//!
//! Bounds (decision in `docs/sync-protocol.md`, "Record payloads"): they
//! keep every sum head office keeps far inside `rust_decimal`'s ±7.9·10²⁸
//! and PostgreSQL's index rows, whatever a till sends.
//!
//! | what | bound |
//! |---|---|
//! | a money amount (tender, total, price, cost, VAT, journal amount) | \|x\| ≤ [`MAX_AMOUNT`] (10¹⁵) |
//! | a quantity | \|x\| ≤ [`MAX_QUANTITY`] (10¹²) |
//! | a journal grand total | \|x\| ≤ [`MAX_GRAND_TOTAL`] (10²²); counts ≤ [`MAX_COUNT`] |
//! | SKU, tender kind, audit event, hashes, document type | 1–[`MAX_KEY_BYTES`] bytes, no control character |
//! | other codes (number, VAT class, logins, location, currency…) | ≤ [`MAX_KEY_BYTES`] bytes, no control character |
//! | names, reasons, references | ≤ [`MAX_TEXT_BYTES`] bytes |
//! | any string anywhere in a payload (keys too) | no control character but tab, line feed, carriage return |
//!
//! With amounts ≤ 10¹⁵, a total overflows only after 7.9·10¹³ records of
//! the largest amount — more than any series holds; head office still adds
//! with checked arithmetic and refuses rather than panics.

use kasa_domain::ErrorCode;
use kasa_domain::journal::{GrandTotals, JournalEntry};
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use thiserror::Error;
use uuid::Uuid;

use super::{
    AuditPayload, DocumentPayload, JournalPayload, JournalSummary, LinePayload, MovementPayload,
    TenderPayload, WireDecimal,
};
use crate::codes;
pub use crate::limits::MAX_KEY_BYTES;
use crate::upload::RecordKind;

/// Largest money amount in one field: 10¹⁵ (a quadrillion units).
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(0xA4C6_8000, 0x0003_8D7E, 0, false, 0);
/// Largest quantity in one field: 10¹².
pub const MAX_QUANTITY: Decimal = Decimal::from_parts(0xD4A5_1000, 0xE8, 0, false, 0);
/// Largest journal grand total: 10²².
pub const MAX_GRAND_TOTAL: Decimal = Decimal::from_parts(0xB240_0000, 0x19E0_C9BA, 0x21E, false, 0);
/// Largest journal count: 10¹⁵.
pub const MAX_COUNT: u64 = 1_000_000_000_000_000;
/// Longest free text (a name, a reason, a reference), in bytes.
pub const MAX_TEXT_BYTES: usize = 1024;

/// A record head office refuses; nothing of its batch is stored.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "record seq {seq} (id {id}) was refused: {reason}; nothing of this batch was stored — the till wrote a record head office cannot accept: update the till software or call support"
)]
pub struct InvalidRecord {
    /// The record's sequence.
    pub seq: u64,
    /// The record's id.
    pub id: Uuid,
    /// What is wrong, naming the field.
    pub reason: String,
}

impl ErrorCode for InvalidRecord {
    fn code(&self) -> &'static str {
        codes::INVALID_RECORD
    }
}

/// A record's payload as the contract reads it.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordPayload {
    /// A document.
    Document(Box<DocumentPayload>),
    /// A stock movement.
    StockMovement(MovementPayload),
    /// A journal entry.
    JournalEntry(JournalPayload),
    /// An audit event.
    Audit(AuditPayload),
}

/// Read and bound one record's payload (its JSON text) and its
/// `document_type`. The error is the reason, naming the field; the caller
/// names the record ([`InvalidRecord`]).
pub fn read_record(
    kind: RecordKind,
    document_type: Option<&str>,
    payload: &str,
) -> Result<RecordPayload, String> {
    if let Some(t) = document_type {
        key("document_type", t)?;
        if !t
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(format!(
                "document_type {:?} is not a snake_case name",
                t.escape_debug().to_string()
            ));
        }
    }
    control_free(payload)?;
    if !payload.trim_start().starts_with('{') {
        return Err("the payload is not a JSON object".into());
    }
    Ok(match kind {
        RecordKind::Document => {
            let doc: DocumentPayload = parse(payload)?;
            check_document(&doc, document_type)?;
            RecordPayload::Document(Box::new(doc))
        }
        RecordKind::StockMovement => {
            let movement: MovementPayload = parse(payload)?;
            check_movement("", &movement)?;
            RecordPayload::StockMovement(movement)
        }
        RecordKind::JournalEntry => RecordPayload::JournalEntry(journal(payload)?),
        RecordKind::Audit => {
            let audit: AuditPayload = parse(payload)?;
            check_audit(&audit)?;
            RecordPayload::Audit(audit)
        }
    })
}

fn parse<T: DeserializeOwned>(payload: &str) -> Result<T, String> {
    serde_json::from_str(payload).map_err(|e| format!("payload: {e}"))
}

/// No control character in any string of the JSON text (keys included),
/// except tab, line feed and carriage return. JSON forbids raw C0 control
/// characters inside strings, so those can only arrive escaped: scan the
/// escapes, and the raw bytes for DEL and C1 controls.
fn control_free(text: &str) -> Result<(), String> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // DEL and C1 controls (U+0080–U+009F, UTF-8 C2 80–C2 9F) may stand unescaped
        if bytes[i] == 0x7f
            || (bytes[i] == 0xc2 && bytes.get(i + 1).is_some_and(|b| (0x80..=0x9f).contains(b)))
        {
            return Err("a string holds a control character".into());
        }
        if bytes[i] != b'\\' {
            i += 1;
            continue;
        }
        match bytes.get(i + 1) {
            Some(b'b' | b'f') => return Err("a string holds a control character".into()),
            Some(b'u') => {
                let code = text
                    .get(i + 2..i + 6)
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok());
                if let Some(c) = code
                    && (c < 0x20 || (0x7f..=0x9f).contains(&c))
                    && !matches!(c, 0x09 | 0x0a | 0x0d)
                {
                    return Err(if c == 0 {
                        "a string holds a NUL character".into()
                    } else {
                        format!("a string holds the control character U+{c:04X}")
                    });
                }
                i += 6;
            }
            _ => i += 2,
        }
    }
    Ok(())
}

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// A code-like string: 1–[`MAX_KEY_BYTES`] bytes, no control character.
fn key(field: &str, s: &str) -> Result<(), String> {
    if s.is_empty() || s.len() > MAX_KEY_BYTES {
        return Err(format!(
            "{field} is {} bytes long (1–{MAX_KEY_BYTES} allowed)",
            s.len()
        ));
    }
    if has_control(s) {
        return Err(format!("{field} holds a control character"));
    }
    Ok(())
}

/// An optional code-like field: when present, at most [`MAX_KEY_BYTES`]
/// and no control character; empty is allowed (the till writes an empty
/// VAT class on documents without VAT).
fn opt_key(field: &str, s: Option<&String>) -> Result<(), String> {
    match s {
        Some(s) if s.is_empty() => Ok(()),
        Some(s) => key(field, s),
        None => Ok(()),
    }
}

/// Free text: at most [`MAX_TEXT_BYTES`] (control characters but tab, line
/// feed and carriage return are refused by [`control_free`]).
fn text(field: &str, s: Option<&String>) -> Result<(), String> {
    match s {
        Some(s) if s.len() > MAX_TEXT_BYTES => Err(format!(
            "{field} is {} bytes long (at most {MAX_TEXT_BYTES})",
            s.len()
        )),
        _ => Ok(()),
    }
}

fn bounded(field: &str, value: Decimal, max: Decimal) -> Result<(), String> {
    if value.abs() > max {
        return Err(format!("{field} {value} is outside ±{max}"));
    }
    Ok(())
}

fn amount(field: &str, value: Option<WireDecimal>) -> Result<(), String> {
    value.map_or(Ok(()), |v| bounded(field, v.0, MAX_AMOUNT))
}

fn check_document(doc: &DocumentPayload, document_type: Option<&str>) -> Result<(), String> {
    for (field, value) in [
        ("doc_type", &doc.doc_type),
        ("status", &doc.status),
        ("number", &doc.number),
        ("store_id", &doc.store_id),
        ("terminal_id", &doc.terminal_id),
        ("author", &doc.author),
        ("currency", &doc.currency),
        ("customer", &doc.customer),
    ] {
        opt_key(field, value.as_ref())?;
    }
    amount("total", doc.total)?;
    amount("vat_total", doc.vat_total)?;
    for (i, line) in doc.lines.iter().enumerate() {
        check_line(i, line)?;
    }
    for (i, tender) in doc.tenders.iter().enumerate() {
        check_tender(i, tender)?;
    }
    for (i, movement) in doc.movements.iter().enumerate() {
        check_movement(&format!("movements[{i}]."), movement)?;
    }
    if matches!(document_type, Some("sale" | "return"))
        && doc.tenders.is_empty()
        && doc.total.is_none()
    {
        return Err("a sale or return must carry its tenders or its total".into());
    }
    Ok(())
}

fn check_line(i: usize, line: &LinePayload) -> Result<(), String> {
    let f = |name: &str| format!("lines[{i}].{name}");
    key(&f("sku"), &line.sku)?;
    text(&f("name"), line.name.as_ref())?;
    bounded(&f("qty"), line.qty.0, MAX_QUANTITY)?;
    for (name, value) in [
        ("unit_price", line.unit_price),
        ("discount", line.discount),
        ("total", line.total),
        ("vat_rate", line.vat_rate),
        ("vat_amount", line.vat_amount),
        ("unit_cost", line.unit_cost),
    ] {
        amount(&f(name), value)?;
    }
    opt_key(&f("vat_class"), line.vat_class.as_ref())?;
    opt_key(&f("price_rule"), line.price_rule.as_ref())
}

fn check_tender(i: usize, tender: &TenderPayload) -> Result<(), String> {
    key(&format!("tenders[{i}].kind"), &tender.kind)?;
    bounded(&format!("tenders[{i}].amount"), tender.amount.0, MAX_AMOUNT)?;
    text(
        &format!("tenders[{i}].reference"),
        tender.reference.as_ref(),
    )
}

fn check_movement(prefix: &str, m: &MovementPayload) -> Result<(), String> {
    key(&format!("{prefix}sku"), &m.sku)?;
    bounded(&format!("{prefix}qty"), m.qty.0, MAX_QUANTITY)?;
    opt_key(&format!("{prefix}location"), m.location.as_ref())?;
    opt_key(&format!("{prefix}batch"), m.batch.as_ref())?;
    opt_key(&format!("{prefix}kind"), m.kind.as_ref())?;
    amount(&format!("{prefix}unit_cost"), m.unit_cost)?;
    amount(&format!("{prefix}unit_sale_price"), m.unit_sale_price)
}

fn check_audit(a: &AuditPayload) -> Result<(), String> {
    key("event", &a.event)?;
    opt_key("actor", a.actor.as_ref())?;
    opt_key("approver", a.approver.as_ref())?;
    text("reason", a.reason.as_ref())?;
    amount("amount", a.amount)
}

fn journal(payload: &str) -> Result<JournalPayload, String> {
    if let Ok(entry) = serde_json::from_str::<JournalEntry>(payload) {
        check_journal_entry(&entry)?;
        return Ok(JournalPayload::Whole(Box::new(entry)));
    }
    let summary: JournalSummary = parse(payload)?;
    opt_key("kind", summary.kind.as_ref())?;
    opt_key("hash", summary.hash.as_ref())?;
    opt_key("prev_hash", summary.prev_hash.as_ref())?;
    amount("amount", summary.amount)?;
    Ok(JournalPayload::Summary(summary))
}

fn check_journal_entry(entry: &JournalEntry) -> Result<(), String> {
    key("document_number", &entry.document_number)?;
    key("hash", &entry.hash)?;
    key("prev_hash", &entry.prev_hash)?;
    bounded("amount", entry.amount.0, MAX_AMOUNT)?;
    if entry.seq > MAX_COUNT {
        return Err(format!("seq {} is above {MAX_COUNT}", entry.seq));
    }
    let GrandTotals {
        entry_count,
        sale_count,
        sales,
        return_count,
        returns,
        void_count,
        voids,
        cash_in_count,
        cash_in,
        cash_out_count,
        cash_out,
        no_sale_count,
        shift_open_count,
        shift_close_count,
        z_report_count,
    } = &entry.totals;
    for (name, count) in [
        ("entry_count", entry_count),
        ("sale_count", sale_count),
        ("return_count", return_count),
        ("void_count", void_count),
        ("cash_in_count", cash_in_count),
        ("cash_out_count", cash_out_count),
        ("no_sale_count", no_sale_count),
        ("shift_open_count", shift_open_count),
        ("shift_close_count", shift_close_count),
        ("z_report_count", z_report_count),
    ] {
        if *count > MAX_COUNT {
            return Err(format!("totals.{name} {count} is above {MAX_COUNT}"));
        }
    }
    for (name, total) in [
        ("sales", sales),
        ("returns", returns),
        ("voids", voids),
        ("cash_in", cash_in),
        ("cash_out", cash_out),
    ] {
        bounded(&format!("totals.{name}"), total.0, MAX_GRAND_TOTAL)?;
    }
    Ok(())
}
