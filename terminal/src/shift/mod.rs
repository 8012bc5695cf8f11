//! Shifts and cash: open with a float, cash in / out, no-sale, X report,
//! close with counted amounts (Z report), blind close.
//!
//! Every event is a document completed through
//! [`crate::documents::complete_document`] (numbered, journaled, queued in
//! the outbox) and carries the shift id:
//! - `ShiftOpen`: the float, as a cash tender of `+float`;
//! - `CashIn` / `CashOut`: a cash tender of `±amount` and the reason
//!   (cash out needs `Permission::CashOut`, a manager's approval for a
//!   cashier, and is audited);
//! - `NoSale`: a drawer opening without money (audited);
//! - `ShiftClose` + `ZReport`, written in one transaction: the counted
//!   amounts and the report. The Z report is numbered by its own series,
//!   immutable (a document), and closes the shift.
//!
//! The rules and arithmetic (float, cash in/out reasons and permissions,
//! expected per tender, variance, the Z report) are
//! [`kasa_domain::shift`]: the shift is rebuilt from its stored documents
//! ([`report::records_of`]) before every action and report, so a report is
//! always recomputed from what is durable.
//!
//! **Blind close:** with `blind`, the person closing does not see what was
//! expected: the view returned to them has only the counted amounts; the
//! stored Z report (`kasa report z`) has expected, counted and variance for
//! the manager.

pub mod report;

use chrono::NaiveDateTime;
use kasa_domain::ErrorCode;
use kasa_domain::document::DocumentType;
use kasa_domain::money::Money;
use kasa_domain::numbering::DocNumber;
use kasa_domain::permission::{ManagerApproval, Operator};
use kasa_domain::shift::{Shift, TenderAmount, ZReport};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use uuid::Uuid;

pub use report::{XReport, ZView, parse_counted};

use crate::documents::{
    self, CompletedDocument, DocumentError, DocumentTender, NewDocument, fmt_time,
};
use crate::settings::TillSettings;
use crate::store::Store;
use crate::users::{self, AuditEntry, User, UserError};

/// Errors of shift use cases.
#[derive(Debug, thiserror::Error)]
pub enum ShiftError {
    /// No shift is open on this terminal.
    #[error(
        "no shift is open on this till — open one with `kasa shift open --float <amount> --pin <PIN>`"
    )]
    NoOpenShift,
    /// A shift is already open.
    #[error(
        "a shift opened by {opened_by} at {opened_at} is still open — close it first with `kasa shift close`"
    )]
    AlreadyOpen {
        /// Who opened it.
        opened_by: String,
        /// When.
        opened_at: String,
    },
    /// A shift rule (amount, reason, permission, cash not counted).
    #[error(transparent)]
    Rule(#[from] kasa_domain::shift::ShiftError),
    /// Counted amounts are malformed.
    #[error("counted amounts '{0}' are not valid — write them as cash=512.30,card=800.00")]
    BadCounted(String),
    /// No Z report with this number.
    #[error("no Z report {0} — list them with `kasa report z` for the last one")]
    NoZReport(String),
    /// Users / approvals.
    #[error(transparent)]
    Users(#[from] UserError),
    /// Documents.
    #[error(transparent)]
    Documents(#[from] DocumentError),
    /// Store.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// Database.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

impl ErrorCode for ShiftError {
    fn code(&self) -> &'static str {
        match self {
            ShiftError::NoOpenShift => "shift.not_open",
            ShiftError::AlreadyOpen { .. } => "shift.already_open",
            ShiftError::Rule(e) => e.code(),
            ShiftError::BadCounted(_) => "shift.bad_counted",
            ShiftError::NoZReport(_) => "shift.no_z_report",
            ShiftError::Users(e) => e.code(),
            ShiftError::Documents(e) => e.code(),
            ShiftError::Store(e) => e.code(),
            ShiftError::Sqlite(e) if crate::store::is_busy(e) => "store.busy",
            ShiftError::Sqlite(_) => "store.sqlite",
        }
    }
}

/// The open shift of this terminal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenShift {
    /// Shift id (= the id of its ShiftOpen document).
    pub id: Uuid,
    /// Who opened it.
    pub opened_by: String,
    /// When.
    pub opened_at: String,
    /// The float.
    pub float: Money,
}

/// The open shift, if any.
pub fn current_shift(
    conn: &Connection,
    settings: &TillSettings,
) -> Result<Option<OpenShift>, ShiftError> {
    let row: Option<(String, String, String, String)> = conn
        .query_row(
            "SELECT id, opened_by, opened_at, float FROM shifts
             WHERE terminal_id = ?1 AND closed_at IS NULL",
            [&settings.terminal_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    Ok(match row {
        None => None,
        Some((id, opened_by, opened_at, float)) => Some(OpenShift {
            id: id.parse().map_err(|_| ShiftError::NoOpenShift)?,
            opened_by,
            opened_at,
            float: Money::parse(&float).map_err(|_| ShiftError::NoOpenShift)?,
        }),
    })
}

/// The open shift, or `shift.not_open`.
pub fn require_shift(conn: &Connection, settings: &TillSettings) -> Result<OpenShift, ShiftError> {
    current_shift(conn, settings)?.ok_or(ShiftError::NoOpenShift)
}

fn simple_doc(
    doc_type: DocumentType,
    user: &User,
    shift_id: Uuid,
    at: NaiveDateTime,
    cash: Money,
    body: serde_json::Value,
) -> NewDocument {
    NewDocument {
        id: documents::new_id(),
        doc_type,
        author: user.login.clone(),
        created_at: at,
        completed_at: at,
        total: cash,
        vat_total: Money::ZERO,
        customer: None,
        original_id: None,
        shift_id: Some(shift_id),
        lines: Vec::new(),
        tenders: if cash.is_zero() {
            Vec::new()
        } else {
            vec![DocumentTender {
                kind: "cash".to_string(),
                amount: cash,
                reference: None,
            }]
        },
        movements: Vec::new(),
        journal: documents::journal_event(doc_type, cash),
        body,
    }
}

/// The open shift rebuilt from its documents.
fn load_shift(
    conn: &Connection,
    settings: &TillSettings,
    blind_close: bool,
) -> Result<(OpenShift, Shift), ShiftError> {
    let open = require_shift(conn, settings)?;
    let docs = documents::for_shift(conn, open.id)?;
    let records = report::records_of(&docs)?;
    let shift = Shift::from_records(open.id, blind_close, records, None);
    Ok((open, shift))
}

/// Open a shift with a counted float.
pub fn open_shift(
    store: &mut Store,
    settings: &TillSettings,
    user: &User,
    float: Money,
    at: NaiveDateTime,
) -> Result<CompletedDocument, ShiftError> {
    let tx = store.write_tx()?;
    if let Some(open) = current_shift(&tx, settings)? {
        return Err(ShiftError::AlreadyOpen {
            opened_by: open.opened_by,
            opened_at: open.opened_at,
        });
    }
    let id = documents::new_id();
    // The domain checks the float.
    Shift::open(id, &user.operator(), at, float, false)?;
    let mut doc = simple_doc(
        DocumentType::ShiftOpen,
        user,
        id,
        at,
        float,
        serde_json::json!({ "float": float }),
    );
    doc.id = id;
    tx.execute(
        "INSERT INTO shifts (id, store_id, terminal_id, opened_by, opened_at, float)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            id.to_string(),
            settings.store_id,
            settings.terminal_id,
            user.login,
            fmt_time(at),
            float.0.to_string()
        ],
    )?;
    let done = documents::complete_document(&tx, settings, doc)?;
    tx.commit()?;
    Ok(done)
}

/// A cash movement: in or out of the drawer, how much and why.
#[derive(Debug, Clone, Copy)]
pub struct CashMovement<'a> {
    /// Out of the drawer (cash out) rather than into it.
    pub out_of_drawer: bool,
    /// How much.
    pub amount: Money,
    /// Why.
    pub reason: &'a str,
}

/// Cash in or cash out (needs `CashOut`: a cashier needs a manager's
/// `approval`, taken through `crate::till::approval`; audited).
pub fn cash_movement(
    store: &mut Store,
    settings: &TillSettings,
    user: &User,
    movement: CashMovement<'_>,
    approval: Option<&ManagerApproval>,
    at: NaiveDateTime,
) -> Result<CompletedDocument, ShiftError> {
    let CashMovement {
        out_of_drawer,
        amount,
        reason,
    } = movement;
    let tx = store.write_tx()?;
    let (open, mut shift) = load_shift(&tx, settings, false)?;
    let operator: Operator = user.operator();
    let mut approved_by = None;
    if out_of_drawer {
        let auth = shift.cash_out(&operator, at, amount, reason, approval)?;
        approved_by = auth.approved.then_some(auth.authorized_by);
    } else {
        shift.cash_in(&operator, at, amount, reason)?;
    }
    let (doc_type, signed) = if out_of_drawer {
        (DocumentType::CashOut, -amount)
    } else {
        (DocumentType::CashIn, amount)
    };
    let doc = simple_doc(
        doc_type,
        user,
        open.id,
        at,
        signed,
        serde_json::json!({ "amount": amount, "reason": reason }),
    );
    let doc_id = doc.id;
    let done = documents::complete_document(&tx, settings, doc)?;
    if out_of_drawer {
        users::audit(
            &tx,
            &AuditEntry {
                at,
                actor: &user.login,
                action: "shift.cash_out",
                approved_by: approved_by.as_deref(),
                document_id: Some(doc_id),
                detail: serde_json::json!({ "amount": amount, "reason": reason }),
            },
        )?;
    }
    tx.commit()?;
    Ok(done)
}

/// Open the drawer without a sale; logged as a document and in the audit log.
pub fn no_sale(
    store: &mut Store,
    settings: &TillSettings,
    user: &User,
    reason: &str,
    at: NaiveDateTime,
) -> Result<CompletedDocument, ShiftError> {
    let tx = store.write_tx()?;
    let (open, mut shift) = load_shift(&tx, settings, false)?;
    let reason = (!reason.trim().is_empty()).then(|| reason.to_string());
    shift.no_sale(&user.operator(), at, reason.clone(), None)?;
    let doc = simple_doc(
        DocumentType::NoSale,
        user,
        open.id,
        at,
        Money::ZERO,
        serde_json::json!({ "reason": reason }),
    );
    let doc_id = doc.id;
    let done = documents::complete_document(&tx, settings, doc)?;
    users::audit(
        &tx,
        &AuditEntry {
            at,
            actor: &user.login,
            action: "shift.no_sale",
            approved_by: None,
            document_id: Some(doc_id),
            detail: serde_json::json!({ "reason": reason }),
        },
    )?;
    tx.commit()?;
    Ok(done)
}

/// X report of the open shift (no reset, nothing written).
pub fn x_report(
    conn: &Connection,
    settings: &TillSettings,
    at: NaiveDateTime,
) -> Result<XReport, ShiftError> {
    let (open, shift) = load_shift(conn, settings, false)?;
    Ok(XReport {
        shift_id: open.id,
        opened_by: open.opened_by,
        at,
        report: shift.x_report(),
    })
}

/// Close the open shift with the counted amounts: the ShiftClose document
/// and the numbered Z report (its own gapless series) in one transaction;
/// the shift is closed and nothing can be added to it. Returns the stored
/// Z report; show it with [`ZView::of`] (hiding expected amounts on a blind
/// close).
pub fn close_shift(
    store: &mut Store,
    settings: &TillSettings,
    user: &User,
    counted: &[TenderAmount],
    blind: bool,
    at: NaiveDateTime,
) -> Result<ZReport, ShiftError> {
    let tx = store.write_tx()?;
    let (open, mut shift) = load_shift(&tx, settings, blind)?;
    // The Z number is the next of its series, taken in this transaction, so
    // the Z document written below gets exactly this number.
    let z_number = documents::numbering::peek_next(
        &tx,
        &settings.store_id,
        &settings.terminal_id,
        DocumentType::ZReport.code(),
    )?;
    let z = shift.close(&user.operator(), at, counted, z_number)?;
    let close = simple_doc(
        DocumentType::ShiftClose,
        user,
        open.id,
        at,
        Money::ZERO,
        serde_json::json!({ "counted": counted, "blind": blind }),
    );
    documents::complete_document(&tx, settings, close)?;
    let body = serde_json::to_value(&z)
        .map_err(|e| DocumentError::Corrupt("z report".to_string(), e.to_string()))?;
    let mut z_doc = simple_doc(DocumentType::ZReport, user, open.id, at, Money::ZERO, body);
    z_doc.total = z.report.net_sales;
    z_doc.journal = documents::journal_event(DocumentType::ZReport, z.report.net_sales);
    let done = documents::complete_document(&tx, settings, z_doc)?;
    debug_assert_eq!(done.number, DocNumber(z_number).to_string());
    tx.execute(
        "UPDATE shifts SET closed_at = ?1, closed_by = ?2, z_number = ?3 WHERE id = ?4",
        params![fmt_time(at), user.login, done.number, open.id.to_string()],
    )?;
    tx.commit()?;
    Ok(z)
}

/// A stored Z report: the last one, or the one with `number`.
pub fn stored_z_report(
    conn: &Connection,
    settings: &TillSettings,
    number: Option<&str>,
) -> Result<ZReport, ShiftError> {
    let doc = match number {
        Some(n) => documents::find_by_number(conn, settings, DocumentType::ZReport, n)
            .map_err(|_| ShiftError::NoZReport(n.to_string()))?,
        None => {
            let id: Option<String> = conn
                .query_row(
                    "SELECT id FROM documents WHERE doc_type = ?1 AND terminal_id = ?2
                     ORDER BY number DESC LIMIT 1",
                    params![DocumentType::ZReport.code(), settings.terminal_id],
                    |r| r.get(0),
                )
                .optional()?;
            let id = id.ok_or_else(|| ShiftError::NoZReport("(none yet)".to_string()))?;
            let id: Uuid = id
                .parse()
                .map_err(|_| ShiftError::NoZReport("(unreadable)".to_string()))?;
            documents::load(conn, id)?.ok_or_else(|| ShiftError::NoZReport(id.to_string()))?
        }
    };
    serde_json::from_value(doc.body.clone()).map_err(|e| {
        ShiftError::Documents(DocumentError::Corrupt(doc.id.to_string(), e.to_string()))
    })
}
