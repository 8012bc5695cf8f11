//! Errors of the till's use cases, each with a stable code.
//!
//! [`TerminalError`] wraps every module's error so the CLI and the UI have
//! one type to show: `error[<code>]: <message>`. Codes come from the
//! wrapped errors (`auth.wrong_pin`, `sale.needs_manager`, `journal.broken`,
//! …); messages say what happened and what to do. [`TerminalError::is_internal`]
//! separates faults of the machine (database, disk) from mistakes of the
//! user; the CLI exits 1 for the former and 2 for the latter.

use kasa_domain::ErrorCode;

use crate::catalog::CatalogError;
use crate::documents::DocumentError;
use crate::sale::SaleError;
use crate::settings::SettingsError;
use crate::shift::ShiftError;
use crate::stock::StockError;
use crate::store::StoreError;
use crate::users::UserError;

/// Any error of a till use case.
#[derive(Debug, thiserror::Error)]
pub enum TerminalError {
    /// Opening or migrating the database.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Settings / init.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// Users, PINs, permissions.
    #[error(transparent)]
    Users(#[from] UserError),
    /// Documents and the journal.
    #[error(transparent)]
    Documents(#[from] DocumentError),
    /// Catalog and imports.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// Stock.
    #[error(transparent)]
    Stock(#[from] StockError),
    /// Sales and returns.
    #[error(transparent)]
    Sale(#[from] SaleError),
    /// Shifts and cash.
    #[error(transparent)]
    Shift(#[from] ShiftError),
    /// The till session (login, permissions, approvals).
    #[error(transparent)]
    Till(#[from] crate::till::TillError),
    /// Malformed input (script file, argument).
    #[error("{what} is not valid: {detail} — fix it and run the command again")]
    Input {
        /// Which input.
        what: String,
        /// What is wrong.
        detail: String,
    },
    /// A file could not be read or written.
    #[error("cannot use {path}: {source} — check the path and its permissions")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// `kasa stock verify` found the on-hand cache differing from the ledger.
    #[error(
        "the stock cache differs from the movements in {count} place(s), first {first} — \
         run `kasa stock rebuild` to recompute it from the movements"
    )]
    StockCacheDiffers {
        /// How many rows differ.
        count: usize,
        /// The first difference.
        first: String,
    },
    /// A command needs a PIN and none was given (no `--pin`, no
    /// environment variable, not at a terminal to ask).
    #[error(
        "the {who} PIN is needed — pass `--pin -` and the PIN on stdin, set ${env}, \
         or run the command at a terminal to be asked for it"
    )]
    PinRequired {
        /// The environment variable that would have been read.
        env: &'static str,
        /// Whose PIN.
        who: String,
    },
    /// A device command failed.
    #[error("{message}")]
    Device {
        /// The driver's code.
        code: &'static str,
        /// Its message.
        message: String,
    },
}

impl ErrorCode for TerminalError {
    fn code(&self) -> &'static str {
        match self {
            TerminalError::Store(e) => e.code(),
            TerminalError::Settings(e) => e.code(),
            TerminalError::Users(e) => e.code(),
            TerminalError::Documents(e) => e.code(),
            TerminalError::Catalog(e) => e.code(),
            TerminalError::Stock(e) => e.code(),
            TerminalError::Sale(e) => e.code(),
            TerminalError::Shift(e) => e.code(),
            TerminalError::Till(e) => e.code(),
            TerminalError::Input { .. } => "input.invalid",
            TerminalError::Io { .. } => "io.failed",
            TerminalError::Device { code, .. } => code,
            TerminalError::PinRequired { .. } => "auth.pin_required",
            TerminalError::StockCacheDiffers { .. } => "stock.cache_differs",
        }
    }
}

impl TerminalError {
    /// A malformed input.
    pub fn input(what: impl Into<String>, detail: impl std::fmt::Display) -> Self {
        TerminalError::Input {
            what: what.into(),
            detail: detail.to_string(),
        }
    }

    /// True for faults of the machine (database, disk, corrupt data) rather
    /// than of the request. The CLI exits 1 for these, 2 otherwise.
    pub fn is_internal(&self) -> bool {
        let code = self.code();
        code == "store.sqlite"
            || code == "store.open_failed"
            || code.ends_with(".sqlite")
            || code.ends_with(".corrupt")
            || code == "io.failed"
            || code == "users.hashing"
            || code == "journal.export_failed"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_exit_classes() {
        let e = TerminalError::from(UserError::WrongPin { remaining: 3 });
        assert_eq!(e.code(), "auth.wrong_pin");
        assert!(!e.is_internal());
        let e = TerminalError::from(UserError::Sqlite(rusqlite::Error::InvalidQuery));
        assert!(e.is_internal());
        let e = TerminalError::input("sale script", "missing field `lines`");
        assert_eq!(e.code(), "input.invalid");
        assert!(e.to_string().contains("missing field `lines`"));
    }
}
