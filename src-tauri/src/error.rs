//! Errors as the UI sees them: `{code, message, permission}`.
//!
//! Every library error of the till implements `kasa_domain::ErrorCode`, so
//! the code is the library's stable code (`sale.needs_manager`,
//! `user.wrong_pin`, …) and the message says what happened and what to do.
//! The UI branches on a handful of codes only (needs a manager, no shift,
//! not logged in); everything else is shown as the message. `permission` is
//! set when a manager must approve: the UI opens the approval dialog and
//! repeats the same command with the manager's PIN.

use kasa_domain::ErrorCode;
use serde::Serialize;
use ts_rs::TS;

/// An error crossing IPC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ApiError {
    /// Stable code, `area.snake_case`.
    pub code: String,
    /// What happened and what to do, in English (the UI translates the
    /// codes it knows).
    pub message: String,
    /// The permission a manager must grant (`void_line`, `void_sale`, …).
    pub permission: Option<String>,
}

impl ApiError {
    /// An error with a code and message.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        ApiError {
            code: code.to_string(),
            message: message.into(),
            permission: None,
        }
    }

    /// A typed value that cannot be read.
    pub fn input(what: &str, detail: impl std::fmt::Display) -> Self {
        ApiError::new(
            "input.invalid",
            format!("{what} cannot be read ({detail}) — correct it and try again"),
        )
    }

    /// Any library error with a stable code.
    pub fn of<E: ErrorCode + std::fmt::Display>(e: &E) -> Self {
        ApiError::new(e.code(), e.to_string())
    }
}

/// The till session's errors carry the permission a manager must grant.
impl From<kasa_terminal::till::TillError> for ApiError {
    fn from(e: kasa_terminal::till::TillError) -> Self {
        let mut api = ApiError::of(&e);
        api.permission = e.needed_permission().map(|p| p.name().to_string());
        api
    }
}

impl From<kasa_terminal::sale::SaleError> for ApiError {
    fn from(e: kasa_terminal::sale::SaleError) -> Self {
        kasa_terminal::till::TillError::from(e).into()
    }
}

macro_rules! api_error_from {
    ($($t:ty),* $(,)?) => {$(
        impl From<$t> for ApiError {
            fn from(e: $t) -> Self {
                ApiError::of(&e)
            }
        }
    )*};
}

api_error_from!(
    kasa_terminal::users::UserError,
    kasa_terminal::shift::ShiftError,
    kasa_terminal::stock::StockError,
    kasa_terminal::catalog::CatalogError,
    kasa_terminal::store::StoreError,
    kasa_terminal::settings::SettingsError,
    kasa_terminal::documents::DocumentError,
);

impl From<kasa_terminal::devices::DeviceError> for ApiError {
    fn from(e: kasa_terminal::devices::DeviceError) -> Self {
        let mut api = ApiError::of(&e);
        if let kasa_terminal::devices::DeviceError::Denied(d) = &e {
            api.permission = Some(d.permission.name().to_string());
        }
        api
    }
}

impl From<kasa_drivers::error::DriverError> for ApiError {
    fn from(e: kasa_drivers::error::DriverError) -> Self {
        ApiError::new(e.code(), e.to_string())
    }
}

impl From<kasa_drivers::queue::QueueError> for ApiError {
    fn from(e: kasa_drivers::queue::QueueError) -> Self {
        ApiError::new(e.code(), e.to_string())
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> Self {
        ApiError::new("store.sqlite", format!("database error: {e}"))
    }
}

/// The result of every command.
pub type ApiResult<T> = Result<T, ApiError>;
