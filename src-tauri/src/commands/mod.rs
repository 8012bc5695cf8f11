//! Tauri commands: each one takes DTOs, calls one `kasa_terminal` (or
//! `kasa_drivers`) function and returns a DTO or an [`ApiError`].
//! Arguments are snake_case on both sides (`rename_all = "snake_case"`)
//! and every command runs off the main thread (`async`), so a slow disk
//! or device never freezes the window.
//!
//! Manager approvals: a command that may need a manager takes an optional
//! `approval_pin`. It first runs without approval; when the core answers
//! `sale.needs_manager` and a PIN was given, the manager is checked with
//! `kasa_terminal::users::approve` (audited) and the action runs again with
//! the approval. Without a PIN the UI gets the error with the permission
//! and opens the manager dialog.

pub mod devices;
pub mod payment;
pub mod returns;
pub mod sale;
pub mod session;
pub mod shift;
pub mod stock;
pub mod system;

use kasa_domain::money::Money;
use kasa_domain::permission::ManagerApproval;
use kasa_terminal::sale::{SaleError, SaleSession};
use kasa_terminal::settings::TillSettings;
use rusqlite::Connection;
use rust_decimal::Decimal;

use crate::error::{ApiError, ApiResult};
use crate::state::{Till, now};

/// Parse a typed amount.
pub fn parse_money(what: &str, text: &str) -> ApiResult<Money> {
    Money::parse(text.trim().replace(',', ".").as_str()).map_err(|e| ApiError::input(what, e))
}

/// Parse a typed quantity (comma or dot decimals).
pub fn parse_qty(what: &str, text: &str) -> ApiResult<Decimal> {
    text.trim()
        .replace(',', ".")
        .parse::<Decimal>()
        .map_err(|e| ApiError::input(what, e))
}

/// Run `action` on the open sale; on `NeedsManager` with a PIN, approve
/// and run it again (see module docs).
pub fn with_approval<T>(
    till: &mut Till,
    approval_pin: Option<&str>,
    action: impl Fn(
        &Connection,
        &TillSettings,
        &mut SaleSession,
        Option<&ManagerApproval>,
    ) -> Result<T, SaleError>,
) -> ApiResult<T> {
    let Till {
        store,
        settings,
        sale,
        ..
    } = till;
    let session = sale.as_mut().ok_or_else(ApiError::no_sale)?;
    match action(store.conn(), settings, session, None) {
        Err(SaleError::Rule(kasa_domain::sale::SaleError::NeedsManager(permission))) => {
            let Some(pin) = approval_pin else {
                return Err(SaleError::Rule(kasa_domain::sale::SaleError::NeedsManager(
                    permission,
                ))
                .into());
            };
            let approval = kasa_terminal::users::approve(
                store.conn(),
                &session.cashier.operator(),
                permission,
                pin,
                Some(session.id),
                now(),
            )?;
            Ok(action(store.conn(), settings, session, Some(&approval))?)
        }
        other => Ok(other?),
    }
}
