//! Returns: find the original by number (typed or scanned from the
//! receipt's barcode, `SA-0000000042`) with what each line can still
//! return, return lines of it, or return without a receipt with a manager.
//!
//! The return runs as the logged-in user
//! (`kasa_terminal::sale::returns::run_return_as`): the shell never needs
//! the cashier's PIN after login.

use kasa_terminal::sale::returns::{
    ReturnRequest, ReturnScriptLine, returnable_sale, run_return_as,
};
use kasa_terminal::sale::script::ScriptTender;
use tauri::State;

use super::parse_qty;
use crate::dto::{OriginalSaleView, ReceiptView, ReturnInput, ReturnableLine, TenderView};
use crate::error::{ApiError, ApiResult};
use crate::receipt;
use crate::state::{AppState, Till, now};
use crate::views;

/// The original sale with its lines: sold, already returned, returnable.
#[tauri::command(async, rename_all = "snake_case")]
pub fn find_sale(state: State<'_, AppState>, number: String) -> ApiResult<OriginalSaleView> {
    let till = state.till();
    till.user()?;
    let c = till.settings.currency;
    let sale = returnable_sale(till.store.conn(), &till.settings, &number)?;
    Ok(OriginalSaleView {
        number: sale.number,
        completed_at: sale.completed_at.format("%Y-%m-%d %H:%M").to_string(),
        total: views::money(sale.total, c),
        lines: sale
            .lines
            .into_iter()
            .map(|l| ReturnableLine {
                line_no: l.line_no,
                sku: l.sku,
                name: l.name,
                sold_qty: views::qty(l.sold),
                returned_qty: views::qty(l.returned),
                returnable_qty: views::qty(l.returnable),
                unit_price: views::money(l.unit_price, c),
                total: views::money(l.payable, c),
            })
            .collect(),
    })
}

/// Make a return as the logged-in user; the refund receipt (the till
/// core's, read back from the stored return) is queued for the printer.
#[tauri::command(async, rename_all = "snake_case")]
pub fn make_return(state: State<'_, AppState>, input: ReturnInput) -> ApiResult<ReceiptView> {
    let mut till = state.till();
    let cashier = till.user()?.clone();
    let mut lines = Vec::new();
    for l in &input.lines {
        lines.push(ReturnScriptLine {
            line: l.line_no,
            sku: None,
            barcode: None,
            code: l.code.clone(),
            qty: parse_qty("quantity", &l.qty)?,
            price: None,
        });
    }
    let request = ReturnRequest {
        original: input.original.clone().filter(|o| !o.trim().is_empty()),
        lines,
        tenders: vec![ScriptTender {
            kind: input.tender.clone(),
            amount: None,
            reference: None,
        }],
        approval_pin: input.approval_pin.clone().filter(|p| !p.is_empty()),
        reason: input.reason.clone(),
        customer: None,
    };
    let Till {
        store, settings, ..
    } = &mut *till;
    let done = run_return_as(store, settings, &cashier, &request, now()).map_err(|e| {
        let mut api = ApiError::from(e);
        if api.code.ends_with("needs_manager") {
            api.permission
                .get_or_insert_with(|| "return_without_receipt".to_string());
        }
        api
    })?;
    let c = settings.currency;
    let printed = receipt::of_return(store.conn(), settings, &done.number)?;
    let (text, print) = receipt::print(&state.devices, printed);
    let view = ReceiptView {
        document_id: done.id.to_string(),
        number: done.number.clone(),
        kind: "return".to_string(),
        total: views::money(done.total, c),
        change: views::money(done.cash_paid_out, c),
        cash_rounding: views::money(kasa_domain::money::Money::ZERO, c),
        tenders: vec![TenderView {
            kind: input.tender,
            amount: views::money(done.total, c),
            reference: None,
        }],
        text,
        print,
    };
    till.last_receipt = Some(view.clone());
    Ok(view)
}
