//! Printing the session's last receipt: the till session keeps the
//! completed sale or return (`kasa_terminal::till::LastReceipt`); the
//! devices print it ([`crate::receipt::print`]) after the commit, and what
//! the printer did is recorded back on the session so the receipt screen,
//! `last_receipt` and `reprint_last` show the same thing.

use kasa_drivers::printer::Receipt;
use kasa_terminal::till::{PrintedCopy, TillError, TillSession};

use crate::devices::Devices;
use crate::dto::ReceiptView;
use crate::error::ApiResult;
use crate::views;

/// Print `receipt` (the session's last one) and return its view.
pub fn print(
    till: &mut TillSession,
    devices: &Devices,
    receipt: Receipt,
) -> ApiResult<ReceiptView> {
    let (text, outcome) = crate::receipt::print(devices, receipt);
    till.record_print(PrintedCopy {
        text,
        job_id: outcome.job_id,
        state: outcome.state,
        message: outcome.message,
    });
    let last = till.last_receipt().ok_or(TillError::NoReceipt)?;
    Ok(views::receipt(last, till.settings().currency))
}
