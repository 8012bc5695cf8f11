//! # kasa-domain
//!
//! The till's rules, pure: no I/O, no clock (time is always a parameter), no
//! database. Everything here is deterministic and tested with table and
//! property tests. The application layer (`kasa-terminal`) composes these
//! rules with storage.
//!
//! Every error type in this crate implements [`ErrorCode`]: a stable,
//! machine-readable code (`"barcode.bad_check_digit"`) that the CLI and the
//! UI show next to the human message.

pub mod barcode;
pub mod count;
pub mod document;
pub mod journal;
pub mod money;
pub mod numbering;
pub mod permission;
pub mod pricing;
pub mod product;
pub mod returns;
pub mod sale;
pub mod shift;
pub mod stock;
pub mod tax;
pub mod tender;

/// A stable, machine-readable code for an error or a named business result.
///
/// Codes are `area.snake_case_name`, never change once released, and are what
/// the UI branches on; the `Display` message is for people and says what to do.
pub trait ErrorCode {
    /// The stable code, e.g. `"money.currency_mismatch"`.
    fn code(&self) -> &'static str;
}
