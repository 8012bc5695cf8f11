//! Documents: the one place where anything the till does becomes durable.
//!
//! [`complete_document`] writes, inside the caller's write transaction
//! (`Store::write_tx`, `BEGIN IMMEDIATE`):
//! 1. the number — gapless per (store, terminal, document type), allocated
//!    by [`numbering::allocate_number`] in the same transaction;
//! 2. the document row, its lines and tenders;
//! 3. its stock movements through [`crate::stock::post_movements`];
//! 4. for fiscal events, a journal entry chained to the last stored one
//!    ([`journal::append`]; perpetual grand totals);
//! 5. an outbox row naming the document ([`outbox::append`], one gapless
//!    sequence per terminal), and its wire records
//!    (`crate::sync::series::cut_document`), which point into the
//!    document's stored JSON instead of copying it: the payload is written
//!    once.
//!
//! The caller commits. If anything fails or the process dies before the
//! commit, none of it exists — there is no partial sale. Printing happens
//! after the commit and never decides whether a document exists.
//!
//! Document ids are UUIDv7, made on the terminal before anything is written.

pub mod journal;
pub mod numbering;
pub mod outbox;
pub(crate) mod schema;

use chrono::NaiveDateTime;
use kasa_domain::ErrorCode;
use kasa_domain::document::{DocumentStatus, DocumentType};
use kasa_domain::journal::{JournalDraft, JournalEntry, JournalKind};
use kasa_domain::money::{Currency, Money};
use kasa_domain::numbering::DocNumber;
use kasa_domain::stock::StockMovement;
use rusqlite::{Connection, OptionalExtension, params};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::settings::TillSettings;

/// Errors of storing and reading documents and the journal.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// The journal chain is broken at `seq`.
    #[error("{reason} (entry {seq}, document {document_number})")]
    JournalBroken {
        /// First bad entry.
        seq: u64,
        /// Its document number.
        document_number: String,
        /// Why.
        reason: String,
    },
    /// A journal row cannot be read back at all.
    #[error(
        "journal entry {seq} (document {document_number}) cannot be read: {detail} — \
         the stored journal was changed after it was written; keep the database file and report it"
    )]
    JournalUnreadable {
        /// Entry.
        seq: u64,
        /// Its document number.
        document_number: String,
        /// Why.
        detail: String,
    },
    /// No document with this number.
    #[error(
        "no {doc_type} document number {number} on this till — check the number on the receipt"
    )]
    NotFound {
        /// Type code.
        doc_type: String,
        /// Number as typed.
        number: String,
    },
    /// Called outside a write transaction (a programming error).
    #[error(
        "a document must be completed inside a write transaction (Store::write_tx) — nothing was written"
    )]
    NotInTransaction,
    /// Posting stock movements failed.
    #[error(transparent)]
    Stock(#[from] crate::stock::StockError),
    /// Writing an export failed.
    #[error("cannot write the export: {0} — check the output path and disk space")]
    Export(String),
    /// A stored document cannot be read back.
    #[error("stored document {0} cannot be read: {1}")]
    Corrupt(String, String),
    /// Database.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

impl ErrorCode for DocumentError {
    fn code(&self) -> &'static str {
        match self {
            DocumentError::JournalBroken { .. } => "journal.broken",
            DocumentError::JournalUnreadable { .. } => "journal.broken",
            DocumentError::NotFound { .. } => "document.not_found",
            DocumentError::NotInTransaction => "document.not_in_transaction",
            DocumentError::Stock(e) => e.code(),
            DocumentError::Export(_) => "journal.export_failed",
            DocumentError::Corrupt(..) => "document.corrupt",
            DocumentError::Sqlite(e) if crate::store::is_busy(e) => "store.busy",
            DocumentError::Sqlite(_) => "store.sqlite",
        }
    }
}

/// One line of a document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentLine {
    /// 1-based line number.
    pub line_no: u32,
    /// Product SKU.
    pub sku: String,
    /// Product name at the time.
    pub name: String,
    /// Quantity in base units (negative on returns).
    pub qty: Decimal,
    /// Unit price.
    pub unit_price: Money,
    /// Discounts on this line (positive = money off).
    pub discount: Money,
    /// Line total after discounts.
    pub total: Money,
    /// VAT class.
    pub vat_class: String,
    /// VAT rate percent.
    pub vat_rate: Decimal,
    /// VAT of the line (its share of the group VAT).
    pub vat_amount: Money,
    /// The price rule that won (`base`, `promotion`, `manual`, …).
    pub price_rule: String,
    /// Unit cost, for profit.
    pub unit_cost: Option<Money>,
    /// For returns: the original document's line.
    pub original_line_no: Option<u32>,
}

/// One payment of a document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentTender {
    /// `cash`, `card`, `voucher`, `on_account`, `cash_rounding`, `change`.
    pub kind: String,
    /// Amount (negative for change given back and refunds).
    pub amount: Money,
    /// Card slip, voucher code or customer code.
    pub reference: Option<String>,
}

/// A fiscal event to journal.
#[derive(Debug, Clone, PartialEq)]
pub struct JournalEvent {
    /// What happened.
    pub kind: JournalKind,
    /// Its amount (signed as the journal's totals expect).
    pub amount: Money,
}

/// A document to complete.
#[derive(Debug, Clone)]
pub struct NewDocument {
    /// UUIDv7 made by the caller before anything is written.
    pub id: Uuid,
    /// Type.
    pub doc_type: DocumentType,
    /// Login of the author.
    pub author: String,
    /// When the work started (sale opened).
    pub created_at: NaiveDateTime,
    /// When it completed.
    pub completed_at: NaiveDateTime,
    /// Total (receipt total; 0 for documents without money).
    pub total: Money,
    /// VAT total.
    pub vat_total: Money,
    /// Customer code.
    pub customer: Option<String>,
    /// Original document (returns, voids).
    pub original_id: Option<Uuid>,
    /// Shift it belongs to.
    pub shift_id: Option<Uuid>,
    /// Lines.
    pub lines: Vec<DocumentLine>,
    /// Tenders.
    pub tenders: Vec<DocumentTender>,
    /// Stock movements (document reference already set by the caller).
    pub movements: Vec<StockMovement>,
    /// Journal event, for fiscal documents.
    pub journal: Option<JournalEvent>,
    /// Type-specific detail (the sale, the shift report, …).
    pub body: serde_json::Value,
}

/// A stored document as JSON (the outbox payload).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredDocument {
    /// Id.
    pub id: Uuid,
    /// Type code.
    pub doc_type: DocumentType,
    /// Status.
    pub status: DocumentStatus,
    /// 10-digit number.
    pub number: String,
    /// Store.
    pub store_id: String,
    /// Terminal.
    pub terminal_id: String,
    /// Author login.
    pub author: String,
    /// Started.
    pub created_at: NaiveDateTime,
    /// Completed.
    pub completed_at: NaiveDateTime,
    /// Currency.
    pub currency: Currency,
    /// Total.
    pub total: Money,
    /// VAT total.
    pub vat_total: Money,
    /// Customer.
    pub customer: Option<String>,
    /// Original document.
    pub original_id: Option<Uuid>,
    /// Shift.
    pub shift_id: Option<Uuid>,
    /// Lines.
    pub lines: Vec<DocumentLine>,
    /// Tenders.
    pub tenders: Vec<DocumentTender>,
    /// Stock movements.
    pub movements: Vec<StockMovement>,
    /// Journal sequence, if journaled.
    pub journal_seq: Option<u64>,
    /// Type-specific detail.
    pub body: serde_json::Value,
}

/// What completing a document produced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompletedDocument {
    /// Id.
    pub id: Uuid,
    /// Type.
    pub doc_type: DocumentType,
    /// Its number.
    pub number: String,
    /// Journal entry sequence, for fiscal documents.
    pub journal_seq: Option<u64>,
    /// Outbox sequence.
    pub outbox_seq: u64,
}

/// A new UUIDv7 document id.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}

pub(crate) fn fmt_time(at: NaiveDateTime) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// The journal event of a document of `doc_type` with `amount`, if the type
/// is journaled (the document type table, `DocumentType::config`, says). Journal amounts are positive figures (a refund paid out is
/// a positive `returns` amount), so the sign is dropped here.
pub fn journal_event(doc_type: DocumentType, amount: Money) -> Option<JournalEvent> {
    doc_type.config().journal_kind.map(|kind| JournalEvent {
        kind,
        amount: amount.abs(),
    })
}

/// Write a completed document with everything that belongs to it. See the
/// module docs; `tx` must be inside a write transaction (`Store::write_tx`)
/// that the caller commits — checked: outside one nothing is written. One
/// function per step below.
pub fn complete_document(
    tx: &Connection,
    settings: &TillSettings,
    doc: NewDocument,
) -> Result<CompletedDocument, DocumentError> {
    if tx.is_autocommit() {
        return Err(DocumentError::NotInTransaction);
    }
    let type_code = doc.doc_type.code();
    let seq = numbering::allocate_number(tx, &settings.store_id, &settings.terminal_id, type_code)?;
    let number = DocNumber(seq).to_string();
    if !doc.movements.is_empty() {
        crate::stock::post_movements(tx, &doc.movements)?;
    }
    let journal_entry = append_journal(tx, settings, &doc, &number)?;
    let journal_seq = journal_entry.as_ref().map(|e| e.seq);
    let mut stored = stored_document(settings, doc, number.clone(), journal_seq);
    let payload = payload_text(&mut stored)?;
    let id_text = stored.id.to_string();
    let completed_at = fmt_time(stored.completed_at);
    insert_document(tx, &stored, &id_text, &payload)?;
    insert_lines(tx, &stored, &id_text)?;
    insert_tenders(tx, &stored, &id_text)?;
    let outbox_seq = outbox::append(
        tx,
        &settings.terminal_id,
        &id_text,
        type_code,
        &completed_at,
    )?;
    let cut = crate::sync::series::OutboxDocument {
        outbox_seq,
        id: &id_text,
        kind: type_code,
        created_at: &completed_at,
        payload: &payload,
    };
    cut_sync_records(tx, settings, &cut, journal_entry.as_ref())?;
    Ok(CompletedDocument {
        id: stored.id,
        doc_type: stored.doc_type,
        number,
        journal_seq,
        outbox_seq,
    })
}

/// Step 4: the journal entry of a fiscal event, chained to the last one;
/// `None` for document types that are not journaled.
fn append_journal(
    tx: &Connection,
    settings: &TillSettings,
    doc: &NewDocument,
    number: &str,
) -> Result<Option<JournalEntry>, DocumentError> {
    let Some(event) = &doc.journal else {
        return Ok(None);
    };
    let entry = journal::append(
        tx,
        JournalDraft {
            at: doc.completed_at,
            kind: event.kind,
            document_id: doc.id,
            document_number: format!("{}-{number}", doc.doc_type.code()),
            amount: event.amount,
            payload: serde_json::json!({
                "store_id": settings.store_id,
                "terminal_id": settings.terminal_id,
                "author": doc.author,
                "total": doc.total,
                "vat_total": doc.vat_total,
                "tenders": doc.tenders,
            }),
        },
    )?;
    Ok(Some(entry))
}

/// The document as stored and sent: the new document with its number,
/// the till's store, terminal and currency, and its journal entry.
fn stored_document(
    settings: &TillSettings,
    doc: NewDocument,
    number: String,
    journal_seq: Option<u64>,
) -> StoredDocument {
    StoredDocument {
        id: doc.id,
        doc_type: doc.doc_type,
        status: DocumentStatus::Completed,
        number,
        store_id: settings.store_id.clone(),
        terminal_id: settings.terminal_id.clone(),
        author: doc.author,
        created_at: doc.created_at,
        completed_at: doc.completed_at,
        currency: settings.currency,
        total: doc.total,
        vat_total: doc.vat_total,
        customer: doc.customer,
        original_id: doc.original_id,
        shift_id: doc.shift_id,
        lines: doc.lines,
        tenders: doc.tenders,
        movements: doc.movements,
        journal_seq,
        body: doc.body,
    }
}

/// The document's JSON text, as stored and as head office receives it:
/// made from a value, so keys are sorted at every level (the wire records
/// take it from here, byte for byte). The body is a value already: moved
/// into the tree, not copied through serde (the same value, the same text).
fn payload_text(stored: &mut StoredDocument) -> Result<String, DocumentError> {
    let body = std::mem::take(&mut stored.body);
    let mut value = serde_json::to_value(&*stored)
        .map_err(|e| DocumentError::Corrupt(stored.id.to_string(), e.to_string()))?;
    value["body"] = body;
    Ok(value.to_string())
}

/// Step 2: the document row with its payload.
fn insert_document(
    tx: &Connection,
    stored: &StoredDocument,
    id_text: &str,
    payload: &str,
) -> Result<(), DocumentError> {
    tx.prepare_cached(
        "INSERT INTO documents (id, doc_type, status, number, store_id, terminal_id, author,
            created_at, completed_at, currency, total, vat_total, customer, original_id,
            shift_id, payload)
         VALUES (?1, ?2, 'completed', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )?
    .execute(params![
        id_text,
        stored.doc_type.code(),
        stored.number,
        stored.store_id,
        stored.terminal_id,
        stored.author,
        fmt_time(stored.created_at),
        fmt_time(stored.completed_at),
        stored.currency.code(),
        stored.total.0.to_string(),
        stored.vat_total.0.to_string(),
        stored.customer,
        stored.original_id.map(|u| u.to_string()),
        stored.shift_id.map(|u| u.to_string()),
        payload,
    ])?;
    Ok(())
}

/// Step 2: the document's lines.
fn insert_lines(
    tx: &Connection,
    stored: &StoredDocument,
    id_text: &str,
) -> Result<(), DocumentError> {
    let mut line_stmt = tx.prepare_cached(
        "INSERT INTO document_lines (document_id, line_no, sku, name, qty, unit_price,
            discount, total, vat_class, vat_rate, vat_amount, price_rule, unit_cost,
            original_line_no)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?;
    for l in &stored.lines {
        line_stmt.execute(params![
            id_text,
            l.line_no,
            l.sku,
            l.name,
            l.qty.to_string(),
            l.unit_price.0.to_string(),
            l.discount.0.to_string(),
            l.total.0.to_string(),
            l.vat_class,
            l.vat_rate.to_string(),
            l.vat_amount.0.to_string(),
            l.price_rule,
            l.unit_cost.map(|c| c.0.to_string()),
            l.original_line_no,
        ])?;
    }
    Ok(())
}

/// Step 2: the document's tenders, numbered from 1.
fn insert_tenders(
    tx: &Connection,
    stored: &StoredDocument,
    id_text: &str,
) -> Result<(), DocumentError> {
    let mut tender_stmt = tx.prepare_cached(
        "INSERT INTO document_tenders (document_id, seq, kind, amount, reference)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (i, t) in stored.tenders.iter().enumerate() {
        tender_stmt.execute(params![
            id_text,
            i as i64 + 1,
            t.kind,
            t.amount.0.to_string(),
            t.reference
        ])?;
    }
    Ok(())
}

/// After step 5: the wire records of this document are cut in its own
/// transaction from what it already holds (see `crate::sync::series`), so a
/// completed sale is ready to send as it commits.
fn cut_sync_records(
    tx: &Connection,
    settings: &TillSettings,
    cut: &crate::sync::series::OutboxDocument<'_>,
    journal_entry: Option<&JournalEntry>,
) -> Result<(), DocumentError> {
    crate::sync::series::cut_document(tx, &settings.terminal_id, cut, journal_entry).map_err(|e| {
        match e {
            crate::sync::SyncError::Sqlite(e) => DocumentError::Sqlite(e),
            other => DocumentError::Corrupt(
                cut.id.to_owned(),
                format!("its sync records cannot be cut: {other}"),
            ),
        }
    })
}

/// Read a stored document by id.
pub fn load(conn: &Connection, id: Uuid) -> Result<Option<StoredDocument>, DocumentError> {
    let payload: Option<String> = conn
        .query_row(
            "SELECT payload FROM documents WHERE id = ?1",
            [id.to_string()],
            |r| r.get(0),
        )
        .optional()?;
    payload
        .map(|p| {
            serde_json::from_str(&p)
                .map_err(|e| DocumentError::Corrupt(id.to_string(), e.to_string()))
        })
        .transpose()
}

/// Find a document of `doc_type` by its number (`42`, `0000000042`, or
/// `SA-0000000042`).
pub fn find_by_number(
    conn: &Connection,
    settings: &TillSettings,
    doc_type: DocumentType,
    number: &str,
) -> Result<StoredDocument, DocumentError> {
    let digits = number.rsplit('-').next().unwrap_or(number);
    let not_found = || DocumentError::NotFound {
        doc_type: doc_type.code().to_string(),
        number: number.to_string(),
    };
    let n: u64 = digits.trim().parse().map_err(|_| not_found())?;
    let id: Option<String> = conn
        .query_row(
            "SELECT id FROM documents WHERE store_id = ?1 AND terminal_id = ?2
               AND doc_type = ?3 AND number = ?4",
            params![
                settings.store_id,
                settings.terminal_id,
                doc_type.code(),
                DocNumber(n).to_string()
            ],
            |r| r.get(0),
        )
        .optional()?;
    let id: Uuid = id.ok_or_else(not_found)?.parse().map_err(|_| not_found())?;
    load(conn, id)?.ok_or_else(not_found)
}

/// Documents of a shift, oldest first.
pub fn for_shift(conn: &Connection, shift_id: Uuid) -> Result<Vec<StoredDocument>, DocumentError> {
    let mut stmt =
        conn.prepare("SELECT id, payload FROM documents WHERE shift_id = ?1 ORDER BY rowid")?;
    let rows = stmt.query_map([shift_id.to_string()], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, p) = row?;
        out.push(serde_json::from_str(&p).map_err(|e| DocumentError::Corrupt(id, e.to_string()))?);
    }
    Ok(out)
}

/// Documents that refer to `original_id` (returns of a sale).
pub fn referring_to(
    conn: &Connection,
    original_id: Uuid,
) -> Result<Vec<StoredDocument>, DocumentError> {
    let mut stmt =
        conn.prepare("SELECT id, payload FROM documents WHERE original_id = ?1 ORDER BY rowid")?;
    let rows = stmt.query_map([original_id.to_string()], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, p) = row?;
        out.push(serde_json::from_str(&p).map_err(|e| DocumentError::Corrupt(id, e.to_string()))?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
