//! Returns: find the original by number (typed or scanned from the
//! receipt's barcode, `SA-0000000042`) with what each line can still
//! return, return lines of it, or return without a receipt with a manager.
//!
//! The return runs as the logged-in user
//! (`kasa_terminal::till::TillSession::make_return`): the shell never needs
//! the cashier's PIN after login.

use tauri::State;

use super::{pin, return_request};
use crate::dto::{OriginalSaleView, ReceiptView, ReturnInput};
use crate::error::ApiResult;
use crate::state::{AppState, now};
use crate::{last_receipt, receipt, views};

/// The original sale with its lines: sold, already returned, returnable.
#[tauri::command(async, rename_all = "snake_case")]
pub fn find_sale(state: State<'_, AppState>, number: String) -> ApiResult<OriginalSaleView> {
    let till = state.till();
    let sale = till.returnable_sale(&number)?;
    Ok(views::original_sale(sale, till.settings().currency))
}

/// Make a return as the logged-in user; the refund receipt (the till
/// core's, read back from the stored return) is queued for the printer.
#[tauri::command(async, rename_all = "snake_case")]
pub fn make_return(state: State<'_, AppState>, input: ReturnInput) -> ApiResult<ReceiptView> {
    let request = return_request(&input)?;
    let mut till = state.till();
    let done = till.make_return(&request, pin(&input.approval_pin), now())?;
    let printed = receipt::of_return(till.conn(), till.settings(), &done.number)?;
    last_receipt::print(&mut till, &state.devices, printed)
}
