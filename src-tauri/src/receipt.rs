//! Receipts as printed: the desktop prints the till core's receipt
//! (`kasa_terminal::sale::receipt::receipt_of` — one builder for the CLI
//! and the app, with the N-18 unique sale number, the CODE128 of the
//! document that a return scans, the QR code and the cut), queued on the
//! till's one print spool after the commit, and shows the lines the
//! printer puts on paper (`kasa_terminal::devices::preview`).

use kasa_drivers::printer::Receipt;
use kasa_terminal::devices::preview::preview;
use kasa_terminal::sale::receipt::{find_receipt_document, receipt_of};
use kasa_terminal::settings::TillSettings;
use rusqlite::Connection;

use crate::devices::Devices;
use crate::dto::PrintOutcome;
use crate::error::ApiResult;

/// The receipt of the stored return `number`.
pub fn of_return(conn: &Connection, settings: &TillSettings, number: &str) -> ApiResult<Receipt> {
    let stored = find_receipt_document(conn, settings, &format!("RE-{number}"))?;
    Ok(receipt_of(settings, &stored))
}

/// Preview the receipt and queue it for the printer: the text the screen
/// shows and what became of the job.
pub fn print(devices: &Devices, receipt: Receipt) -> (Vec<String>, PrintOutcome) {
    let text = preview(&receipt, devices.spool.profile());
    (text, devices.print(receipt))
}
