//! Errors of the stock use cases, each with a stable `stock.*` code.

use kasa_domain::ErrorCode;

use crate::store::{StoreError, is_busy};

/// What went wrong in receiving, counting or the stock ledger.
#[derive(Debug, thiserror::Error)]
pub enum StockError {
    /// SQLite failed.
    #[error(
        "stock database error: {0} — retry; if it persists run `kasa stock rebuild` and check the disk"
    )]
    Sqlite(#[from] rusqlite::Error),
    /// The store could not be opened or locked.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored value is not what the schema promises (hand-edited database?).
    #[error(
        "the stored value '{value}' in {table}.{column} is not valid — the database was edited \
         outside kasa; restore it from a backup or run `kasa stock rebuild`"
    )]
    CorruptValue {
        /// Table name.
        table: &'static str,
        /// Column name.
        column: &'static str,
        /// What was found.
        value: String,
    },
    /// A movement breaks the domain's rules (wrong sign for its kind,
    /// negative cost); nothing was posted.
    #[error(transparent)]
    InvalidMovement(#[from] kasa_domain::stock::StockError),
    /// A request (JSON, CLI argument) is malformed.
    #[error("invalid stock request: {0} — fix the input and try again")]
    InvalidRequest(String),
    /// A quantity that must be positive is not.
    #[error(
        "quantity {qty} for '{sku}' must be greater than zero — enter the quantity received or counted"
    )]
    NonPositiveQty {
        /// The product.
        sku: String,
        /// The quantity given.
        qty: String,
    },
    /// A purchase order id is unknown.
    #[error("purchase order '{0}' does not exist — check the number or receive without an order")]
    UnknownPurchaseOrder(String),
    /// A purchase order cannot be received against any more.
    #[error(
        "purchase order '{id}' is {status} — it can no longer be received against; receive without an order"
    )]
    PurchaseOrderClosed {
        /// The order.
        id: String,
        /// Its status.
        status: String,
    },
    /// A count session id is unknown.
    #[error("count session '{0}' does not exist — list sessions or start a new count")]
    UnknownCountSession(String),
    /// The count session is not in a status that allows the action.
    #[error("count session '{id}' is {status}, so it cannot {action} — {hint}")]
    CountWrongStatus {
        /// The session.
        id: String,
        /// Its current status.
        status: String,
        /// What was attempted.
        action: &'static str,
        /// What to do instead.
        hint: &'static str,
    },
    /// A counted product is outside the session's scope.
    #[error(
        "'{sku}' is not part of count session '{session}' (partial count) — count it in a session that covers it"
    )]
    OutOfScope {
        /// The session.
        session: String,
        /// The product.
        sku: String,
    },
    /// A count rule refused the action (closed session, needs a manager,
    /// conflicting or unknown entry, negative quantity).
    #[error(transparent)]
    Count(#[from] kasa_domain::count::CountError),
    /// The till is not set up (`kasa init`).
    #[error(transparent)]
    Settings(#[from] crate::settings::SettingsError),
    /// Writing the stock document failed.
    #[error("could not record the stock document: {0}")]
    Document(String),
}

impl ErrorCode for StockError {
    fn code(&self) -> &'static str {
        match self {
            StockError::Sqlite(e) if is_busy(e) => "stock.busy",
            StockError::Sqlite(_) => "stock.sqlite",
            StockError::Store(e) => e.code(),
            StockError::CorruptValue { .. } => "stock.corrupt_value",
            StockError::InvalidMovement(e) => e.code(),
            StockError::InvalidRequest(_) => "stock.invalid_request",
            StockError::NonPositiveQty { .. } => "stock.non_positive_qty",
            StockError::UnknownPurchaseOrder(_) => "stock.unknown_purchase_order",
            StockError::PurchaseOrderClosed { .. } => "stock.purchase_order_closed",
            StockError::UnknownCountSession(_) => "stock.unknown_count_session",
            StockError::CountWrongStatus { .. } => "stock.count_wrong_status",
            StockError::OutOfScope { .. } => "stock.count_out_of_scope",
            StockError::Count(e) => e.code(),
            StockError::Settings(e) => e.code(),
            StockError::Document(_) => "stock.document_failed",
        }
    }
}
