//! Errors of the till session: its own states (nobody logged in, no open
//! sale or count, a manager needed) and every library error it passes on,
//! each with its stable code.

use kasa_domain::ErrorCode;
use kasa_domain::permission::Permission;

use crate::catalog::CatalogError;
use crate::documents::DocumentError;
use crate::sale::SaleError;
use crate::settings::SettingsError;
use crate::shift::ShiftError;
use crate::stock::StockError;
use crate::store::StoreError;
use crate::users::UserError;

/// What can go wrong at the till.
#[derive(Debug, thiserror::Error)]
pub enum TillError {
    /// Nobody is logged in.
    #[error("nobody is logged in — enter your PIN")]
    NotLoggedIn,
    /// No sale is open.
    #[error("there is no open sale — scan a product to start one")]
    NoSale,
    /// A sale with lines is still open.
    #[error("a sale is still open — finish, park or void it before closing the shift")]
    SaleOpen,
    /// No count is open.
    #[error("no count is open — start one first")]
    NoCount,
    /// No receipt was made in this session.
    #[error("no receipt was printed in this session yet")]
    NoReceipt,
    /// The last receipt did not go to a printer.
    #[error("the last receipt was not queued for a printer — choose a printer in Devices first")]
    NotQueued,
    /// The user lacks the permission and no manager approved it.
    #[error("'{0}' needs a manager — ask a manager to enter their PIN")]
    NeedsManager(Permission),
    /// Input that cannot be read.
    #[error("{what} cannot be read ({detail}) — correct it and try again")]
    Input {
        /// Which value.
        what: String,
        /// Why.
        detail: String,
    },
    /// Selling and returning.
    #[error(transparent)]
    Sale(#[from] SaleError),
    /// Shifts and cash.
    #[error(transparent)]
    Shift(#[from] ShiftError),
    /// Receiving and counting.
    #[error(transparent)]
    Stock(#[from] StockError),
    /// PINs and approvals.
    #[error(transparent)]
    Users(#[from] UserError),
    /// Catalog.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// Documents.
    #[error(transparent)]
    Documents(#[from] DocumentError),
    /// Settings.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// Store.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Database.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

impl TillError {
    /// A typed value that cannot be read.
    pub fn input(what: &str, detail: impl std::fmt::Display) -> Self {
        TillError::Input {
            what: what.to_string(),
            detail: detail.to_string(),
        }
    }

    /// The permission a manager must grant, when this error asks for one
    /// (the UI opens the manager dialog and repeats the action with a PIN).
    pub fn needed_permission(&self) -> Option<Permission> {
        use kasa_domain::count::CountError;
        use kasa_domain::returns::ReturnError;
        use kasa_domain::sale::SaleError as Rule;
        use kasa_domain::shift::ShiftError as ShiftRule;
        match self {
            TillError::NeedsManager(p)
            | TillError::Sale(SaleError::Rule(Rule::NeedsManager(p)))
            | TillError::Sale(SaleError::Return(ReturnError::NeedsManager(p)))
            | TillError::Shift(ShiftError::Rule(ShiftRule::NeedsManager(p)))
            | TillError::Stock(StockError::Count(CountError::NeedsManager(p))) => Some(*p),
            TillError::Users(UserError::Denied(d))
            | TillError::Sale(SaleError::Users(UserError::Denied(d)))
            | TillError::Shift(ShiftError::Users(UserError::Denied(d))) => Some(d.permission),
            _ => None,
        }
    }
}

impl ErrorCode for TillError {
    fn code(&self) -> &'static str {
        match self {
            TillError::NotLoggedIn => "till.not_logged_in",
            TillError::NoSale => "till.no_sale",
            TillError::SaleOpen => "till.sale_open",
            TillError::NoCount => "till.no_count",
            TillError::NoReceipt => "till.no_receipt",
            TillError::NotQueued => "till.no_print_job",
            TillError::NeedsManager(_) => "permission.needs_manager",
            TillError::Input { .. } => "input.invalid",
            TillError::Sale(e) => e.code(),
            TillError::Shift(e) => e.code(),
            TillError::Stock(e) => e.code(),
            TillError::Users(e) => e.code(),
            TillError::Catalog(e) => e.code(),
            TillError::Documents(e) => e.code(),
            TillError::Settings(e) => e.code(),
            TillError::Store(e) => e.code(),
            TillError::Sqlite(e) if crate::store::is_busy(e) => "store.busy",
            TillError::Sqlite(_) => "store.sqlite",
        }
    }
}
