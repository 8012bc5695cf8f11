//! Payment: tenders (cash with change, card, voucher, on account, split),
//! completing the sale in one transaction, the receipt and reprints.

use kasa_terminal::sale::{self as core_sale, TenderRequest};
use tauri::State;

use super::parse_money;
use crate::dto::{PrintOutcome, ReceiptView, SaleView, TenderView};
use crate::error::{ApiError, ApiResult};
use crate::receipt;
use crate::state::{AppState, Till, now};
use crate::views;

/// Add a payment; `amount: null` pays what is left (cash: cash-rounded).
#[tauri::command(async, rename_all = "snake_case")]
pub fn add_tender(
    state: State<'_, AppState>,
    kind: String,
    amount: Option<String>,
    reference: Option<String>,
) -> ApiResult<SaleView> {
    let amount = amount
        .filter(|a| !a.trim().is_empty())
        .map(|a| parse_money("amount", &a))
        .transpose()?;
    let mut till = state.till();
    till.sale_mut()?.add_tender(TenderRequest {
        kind,
        amount,
        reference,
    })?;
    let session = till.sale.as_ref().ok_or_else(ApiError::no_sale)?;
    Ok(views::sale(till.store.conn(), session, till.last_line_no))
}

/// Remove the tender at `index` (a mistyped amount).
#[tauri::command(async, rename_all = "snake_case")]
pub fn remove_tender(state: State<'_, AppState>, index: u32) -> ApiResult<SaleView> {
    let mut till = state.till();
    till.sale_mut()?
        .sale
        .remove_tender(index as usize)
        .map_err(core_sale::SaleError::from)?;
    let session = till.sale.as_ref().ok_or_else(ApiError::no_sale)?;
    Ok(views::sale(till.store.conn(), session, till.last_line_no))
}

/// Complete the paid sale (one durable transaction), then queue the
/// receipt. The printer never decides whether the sale exists.
#[tauri::command(async, rename_all = "snake_case")]
pub fn complete_sale(state: State<'_, AppState>) -> ApiResult<ReceiptView> {
    let mut till = state.till();
    let Till {
        store,
        settings,
        sale,
        ..
    } = &mut *till;
    let session = sale.clone().ok_or_else(ApiError::no_sale)?;
    let at = now();
    let done = core_sale::complete_sale(store, settings, session, at)?;
    let c = settings.currency;
    let (text, print) = receipt::print(
        &state.devices,
        kasa_terminal::sale::receipt::receipt_of(settings, &done),
    );
    let view = ReceiptView {
        document_id: done.id.to_string(),
        number: done.number.clone(),
        kind: "sale".to_string(),
        total: views::money(done.total, c),
        change: views::money(done.change, c),
        cash_rounding: views::money(done.cash_rounding, c),
        tenders: done
            .tenders
            .iter()
            .map(|(kind, amount)| TenderView {
                kind: kind.clone(),
                amount: views::money(*amount, c),
                reference: None,
            })
            .collect(),
        text,
        print,
    };
    till.sale = None;
    till.last_line_no = None;
    till.last_receipt = Some(view.clone());
    Ok(view)
}

/// The last receipt of this session (sale or return).
#[tauri::command(async, rename_all = "snake_case")]
pub fn last_receipt(state: State<'_, AppState>) -> ApiResult<Option<ReceiptView>> {
    let till = state.till();
    till.user()?;
    Ok(till.last_receipt.clone())
}

/// Print a copy of the last receipt (marked COPY by the queue).
#[tauri::command(async, rename_all = "snake_case")]
pub fn reprint_last(state: State<'_, AppState>) -> ApiResult<PrintOutcome> {
    let till = state.till();
    let last = till.last_receipt.as_ref().ok_or_else(|| {
        ApiError::new(
            "desktop.no_receipt",
            "no receipt was printed in this session yet",
        )
    })?;
    let job = last.print.job_id.ok_or_else(|| {
        ApiError::new(
            "desktop.no_print_job",
            "the last receipt was not queued for a printer — choose a printer in Devices first",
        )
    })?;
    let id = state.devices.spool.reprint(job)?;
    Ok(PrintOutcome {
        job_id: Some(id),
        state: "queued".to_string(),
        message: None,
    })
}
