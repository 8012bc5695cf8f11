//! Payment: tenders (cash with change, card, voucher, on account, split),
//! completing the sale in one transaction, the receipt and reprints.

use kasa_terminal::sale::TenderRequest;
use tauri::State;

use super::optional_money;
use crate::dto::{PrintOutcome, ReceiptView, SaleView};
use crate::error::ApiResult;
use crate::state::{AppState, now};
use crate::{last_receipt, views};

/// Add a payment; `amount: null` pays what is left (cash: cash-rounded).
#[tauri::command(async, rename_all = "snake_case")]
pub fn add_tender(
    state: State<'_, AppState>,
    kind: String,
    amount: Option<String>,
    reference: Option<String>,
) -> ApiResult<SaleView> {
    let amount = optional_money("amount", amount)?;
    let mut till = state.till();
    till.add_tender(TenderRequest {
        kind,
        amount,
        reference,
    })?;
    views::open_sale(&till)
}

/// Remove the tender at `index` (a mistyped amount).
#[tauri::command(async, rename_all = "snake_case")]
pub fn remove_tender(state: State<'_, AppState>, index: u32) -> ApiResult<SaleView> {
    let mut till = state.till();
    till.remove_tender(index as usize)?;
    views::open_sale(&till)
}

/// Complete the paid sale (one durable transaction), then queue the
/// receipt. The printer never decides whether the sale exists.
#[tauri::command(async, rename_all = "snake_case")]
pub fn complete_sale(state: State<'_, AppState>) -> ApiResult<ReceiptView> {
    let mut till = state.till();
    let done = till.complete_sale(now())?;
    let receipt = kasa_terminal::sale::receipt::receipt_of(till.settings(), &done);
    last_receipt::print(&mut till, &state.devices, receipt)
}

/// The last receipt of this session (sale or return).
#[tauri::command(async, rename_all = "snake_case")]
pub fn last_receipt(state: State<'_, AppState>) -> ApiResult<Option<ReceiptView>> {
    let till = state.till();
    till.user()?;
    let currency = till.settings().currency;
    Ok(till.last_receipt().map(|r| views::receipt(r, currency)))
}

/// Print a copy of the last receipt (marked COPY by the queue).
#[tauri::command(async, rename_all = "snake_case")]
pub fn reprint_last(state: State<'_, AppState>) -> ApiResult<PrintOutcome> {
    let job = state.till().last_print_job()?;
    let job_id = Some(state.devices.spool.reprint(job)?);
    Ok(PrintOutcome {
        job_id,
        state: "queued".to_string(),
        message: None,
    })
}
