//! Document types, statuses, and what each status of each type does — as
//! one configuration table ([`DOCUMENT_TYPES`]), not as rules scattered over
//! handlers.
//!
//! ## Statuses
//! `Draft → Approved → Completed`, and `Cancelled`. Types that need a
//! manager's approval go Draft → Approved → Completed; the others go
//! Draft → Completed directly. Drafts and approved documents can be
//! cancelled. A *completed* document can be cancelled only if its type
//! allows correction; fiscal documents (sale, return, void…) never do — a
//! sale is corrected by a return or a void, which are documents of their
//! own.
//!
//! ## Stock effects
//! Each type names the status whose entry **posts** its stock movements
//! (sign from [`StockDirection`]) and, if correctable, that entering
//! `Cancelled` **reverses** what was posted. [`stock_effect`] reads the
//! table for a status; [`transition`] checks a status change and gives the
//! effect of that change (cancelling a document that never posted reverses
//! nothing). A void sale posts movements that undo the voided sale's
//! movements (direction [`StockDirection::In`]).
//!
//! ## Fiscal journal
//! A type with a [`JournalKind`] is a fiscal event: completing it appends a
//! journal entry ([`crate::journal`]).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ErrorCode;
use crate::journal::JournalKind;

/// Every kind of document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentType {
    /// A sale receipt.
    Sale,
    /// A return (refund).
    Return,
    /// Goods received from a supplier.
    DeliveryReceipt,
    /// A stock count session's result.
    StockCount,
    /// A stock correction.
    StockAdjustment,
    /// Goods sent to another store.
    TransferOut,
    /// Goods received from another store.
    TransferIn,
    /// Cash put into the drawer.
    CashIn,
    /// Cash taken out of the drawer.
    CashOut,
    /// Drawer opened without a sale.
    NoSale,
    /// Shift opened with a float.
    ShiftOpen,
    /// Shift closed with counted cash.
    ShiftClose,
    /// Z report: closes the day.
    ZReport,
    /// A completed sale voided.
    VoidSale,
}

/// Where a document is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentStatus {
    /// Being edited; no effect yet.
    Draft,
    /// Approved by a manager.
    Approved,
    /// Done; numbered and final.
    Completed,
    /// Cancelled.
    Cancelled,
}

impl DocumentStatus {
    /// Every status.
    pub const ALL: [DocumentStatus; 4] = [
        DocumentStatus::Draft,
        DocumentStatus::Approved,
        DocumentStatus::Completed,
        DocumentStatus::Cancelled,
    ];

    /// Storage code.
    pub fn code(self) -> &'static str {
        match self {
            DocumentStatus::Draft => "draft",
            DocumentStatus::Approved => "approved",
            DocumentStatus::Completed => "completed",
            DocumentStatus::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for DocumentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for DocumentStatus {
    type Err = DocumentError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DocumentStatus::ALL
            .into_iter()
            .find(|st| st.code() == s)
            .ok_or_else(|| DocumentError::UnknownStatus {
                value: s.to_string(),
            })
    }
}

/// What entering a status does to stock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StockEffect {
    /// Nothing.
    None,
    /// Write this document's movements.
    Post,
    /// Write movements that cancel the ones this document posted.
    Reverse,
}

/// The sign of a document's posted quantities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StockDirection {
    /// No stock lines.
    None,
    /// Quantities enter the location (+).
    In,
    /// Quantities leave the location (−).
    Out,
    /// Lines carry their own sign (count variances, adjustments).
    Signed,
}

/// The configuration of one document type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocumentTypeConfig {
    /// The type.
    pub doc_type: DocumentType,
    /// Two-letter prefix shown before the number (`SA-0000000042`).
    pub code: &'static str,
    /// Storage / CLI name.
    pub name: &'static str,
    /// Sign of posted quantities.
    pub direction: StockDirection,
    /// The status whose entry posts stock (`None`: never touches stock).
    pub posts_on: Option<DocumentStatus>,
    /// Needs a manager's approval before it completes.
    pub requires_approval: bool,
    /// A completed document may be cancelled (its stock reversed).
    pub allows_correction: bool,
    /// Completing it is this fiscal journal event.
    pub journal_kind: Option<JournalKind>,
}

impl DocumentTypeConfig {
    /// A fiscal journal event.
    pub fn is_fiscal(&self) -> bool {
        self.journal_kind.is_some()
    }
}

const fn row(
    doc_type: DocumentType,
    code: &'static str,
    name: &'static str,
    direction: StockDirection,
    posts_on: Option<DocumentStatus>,
    requires_approval: bool,
    allows_correction: bool,
    journal_kind: Option<JournalKind>,
) -> DocumentTypeConfig {
    DocumentTypeConfig {
        doc_type,
        code,
        name,
        direction,
        posts_on,
        requires_approval,
        allows_correction,
        journal_kind,
    }
}

use DocumentStatus::{Approved, Completed};
use DocumentType as T;
use StockDirection as D;

/// The configuration table: one row per document type.
///
/// | type | code | stock | posts on | approval | correctable | journal |
/// |---|---|---|---|---|---|---|
/// | sale | SA | out | completed | – | – | sale |
/// | return | RE | in | completed | – | – | return |
/// | delivery receipt | DR | in | completed | – | yes | – |
/// | stock count | SC | signed | approved | yes | – | – |
/// | stock adjustment | AD | signed | approved | yes | yes | – |
/// | transfer out | TO | out | completed | – | yes | – |
/// | transfer in | TI | in | completed | – | yes | – |
/// | cash in | CI | – | – | – | – | cash_in |
/// | cash out | CO | – | – | – | – | cash_out |
/// | no sale | NS | – | – | – | – | no_sale |
/// | shift open | SO | – | – | – | – | shift_open |
/// | shift close | SE | – | – | – | – | shift_close |
/// | Z report | ZR | – | – | – | – | z_report |
/// | void sale | VS | in | completed | – | – | void_sale |
#[rustfmt::skip]
pub static DOCUMENT_TYPES: [DocumentTypeConfig; 14] = [
    //  type                 code  name                direction   posts on         approval correctable journal
    row(T::Sale,            "SA", "sale",             D::Out,    Some(Completed), false, false, Some(JournalKind::Sale)),
    row(T::Return,          "RE", "return",           D::In,     Some(Completed), false, false, Some(JournalKind::Return)),
    row(T::DeliveryReceipt, "DR", "delivery_receipt", D::In,     Some(Completed), false, true,  None),
    row(T::StockCount,      "SC", "stock_count",      D::Signed, Some(Approved),  true,  false, None),
    row(T::StockAdjustment, "AD", "stock_adjustment", D::Signed, Some(Approved),  true,  true,  None),
    row(T::TransferOut,     "TO", "transfer_out",     D::Out,    Some(Completed), false, true,  None),
    row(T::TransferIn,      "TI", "transfer_in",      D::In,     Some(Completed), false, true,  None),
    row(T::CashIn,          "CI", "cash_in",          D::None,   None,            false, false, Some(JournalKind::CashIn)),
    row(T::CashOut,         "CO", "cash_out",         D::None,   None,            false, false, Some(JournalKind::CashOut)),
    row(T::NoSale,          "NS", "no_sale",          D::None,   None,            false, false, Some(JournalKind::NoSale)),
    row(T::ShiftOpen,       "SO", "shift_open",       D::None,   None,            false, false, Some(JournalKind::ShiftOpen)),
    row(T::ShiftClose,      "SE", "shift_close",      D::None,   None,            false, false, Some(JournalKind::ShiftClose)),
    row(T::ZReport,         "ZR", "z_report",         D::None,   None,            false, false, Some(JournalKind::ZReport)),
    row(T::VoidSale,        "VS", "void_sale",        D::In,     Some(Completed), false, false, Some(JournalKind::VoidSale)),
];

impl DocumentType {
    /// Every type, in table order.
    pub const ALL: [DocumentType; 14] = [
        T::Sale,
        T::Return,
        T::DeliveryReceipt,
        T::StockCount,
        T::StockAdjustment,
        T::TransferOut,
        T::TransferIn,
        T::CashIn,
        T::CashOut,
        T::NoSale,
        T::ShiftOpen,
        T::ShiftClose,
        T::ZReport,
        T::VoidSale,
    ];

    /// This type's row of [`DOCUMENT_TYPES`].
    pub fn config(self) -> &'static DocumentTypeConfig {
        // The table has one row per variant in declaration order (tested).
        &DOCUMENT_TYPES[self as usize]
    }

    /// Two-letter prefix (`SA`).
    pub fn code(self) -> &'static str {
        self.config().code
    }

    /// Storage / CLI name (`delivery_receipt`).
    pub fn name(self) -> &'static str {
        self.config().name
    }

    /// Completing it is a fiscal journal event.
    pub fn is_fiscal(self) -> bool {
        self.config().is_fiscal()
    }

    /// Read a type from its name or its two-letter code (any case).
    pub fn parse(text: &str) -> Result<DocumentType, DocumentError> {
        let t = text.trim();
        DOCUMENT_TYPES
            .iter()
            .find(|r| r.name.eq_ignore_ascii_case(t) || r.code.eq_ignore_ascii_case(t))
            .map(|r| r.doc_type)
            .ok_or_else(|| DocumentError::UnknownType {
                value: text.to_string(),
            })
    }
}

impl fmt::Display for DocumentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for DocumentType {
    type Err = DocumentError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DocumentType::parse(s)
    }
}

/// What entering `status` does to stock for `doc_type`, from the table.
/// `Cancelled` of a correctable type that posts is `Reverse` (meaning: undo
/// whatever was posted; see [`transition`] for a concrete change).
pub fn stock_effect(doc_type: DocumentType, status: DocumentStatus) -> StockEffect {
    let config = doc_type.config();
    match (config.posts_on, status) {
        (Some(posts_on), s) if s == posts_on => StockEffect::Post,
        (Some(_), DocumentStatus::Cancelled) if config.allows_correction => StockEffect::Reverse,
        _ => StockEffect::None,
    }
}

/// True when a document of this type in this status has posted stock.
pub fn has_posted(doc_type: DocumentType, status: DocumentStatus) -> bool {
    let rank = |s: DocumentStatus| match s {
        DocumentStatus::Draft => 0,
        DocumentStatus::Approved => 1,
        DocumentStatus::Completed => 2,
        DocumentStatus::Cancelled => -1,
    };
    match doc_type.config().posts_on {
        Some(posts_on) => rank(status) >= rank(posts_on),
        None => false,
    }
}

/// Check a status change for a type and return its stock effect.
pub fn transition(
    doc_type: DocumentType,
    from: DocumentStatus,
    to: DocumentStatus,
) -> Result<StockEffect, DocumentError> {
    use DocumentStatus::*;
    let config = doc_type.config();
    let allowed = match (from, to) {
        (Draft, Approved) => config.requires_approval,
        (Draft, Completed) => !config.requires_approval,
        (Approved, Completed) => config.requires_approval,
        (Draft, Cancelled) | (Approved, Cancelled) => true,
        (Completed, Cancelled) => config.allows_correction,
        _ => false,
    };
    if !allowed {
        return Err(DocumentError::InvalidTransition { doc_type, from, to });
    }
    Ok(match to {
        Cancelled if has_posted(doc_type, from) => StockEffect::Reverse,
        Cancelled => StockEffect::None,
        _ => stock_effect(doc_type, to),
    })
}

/// Why a document value or change is not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    /// Not a known document type.
    #[error(
        "document type '{value}' is unknown — use a name such as sale or delivery_receipt, or a code such as SA"
    )]
    UnknownType {
        /// The text.
        value: String,
    },
    /// Not a known status.
    #[error("document status '{value}' is unknown — use draft, approved, completed or cancelled")]
    UnknownStatus {
        /// The text.
        value: String,
    },
    /// The status change is not allowed for this type.
    #[error("a {doc_type} cannot go from {from} to {to} — {}", hint(*.doc_type, *.from, *.to))]
    InvalidTransition {
        /// The type.
        doc_type: DocumentType,
        /// Current status.
        from: DocumentStatus,
        /// Requested status.
        to: DocumentStatus,
    },
}

fn hint(doc_type: DocumentType, from: DocumentStatus, to: DocumentStatus) -> &'static str {
    use DocumentStatus::*;
    let config = doc_type.config();
    match (from, to) {
        (Completed, Cancelled) if config.is_fiscal() => {
            "a completed fiscal document is corrected by a return or a void"
        }
        (Completed, Cancelled) => {
            "this type cannot be corrected once completed; post an adjustment"
        }
        (Draft, Completed) => "it needs a manager's approval first",
        (Completed, _) | (Cancelled, _) => "it is final",
        _ => "follow draft → (approved) → completed",
    }
}

impl ErrorCode for DocumentError {
    fn code(&self) -> &'static str {
        match self {
            DocumentError::UnknownType { .. } => "document.unknown_type",
            DocumentError::UnknownStatus { .. } => "document.unknown_status",
            DocumentError::InvalidTransition { .. } => "document.invalid_transition",
        }
    }
}

#[cfg(test)]
mod tests;
