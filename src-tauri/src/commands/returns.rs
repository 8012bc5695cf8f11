//! Returns: find the original by number (typed or scanned from the
//! receipt's barcode), return lines of it, or return without a receipt
//! with a manager.

use kasa_domain::document::DocumentType;
use kasa_domain::sale::CompletedSale;
use kasa_terminal::sale::returns::{ReturnScript, ReturnScriptLine, run_return_script};
use kasa_terminal::sale::script::ScriptTender;
use tauri::State;

use super::parse_qty;
use crate::dto::{OriginalSaleView, ReceiptView, ReturnInput, ReturnableLine, TenderView};
use crate::error::{ApiError, ApiResult};
use crate::receipt;
use crate::state::{AppState, Till, now};
use crate::views;

/// The original sale with its lines.
#[tauri::command(async, rename_all = "snake_case")]
pub fn find_sale(state: State<'_, AppState>, number: String) -> ApiResult<OriginalSaleView> {
    let till = state.till();
    till.user()?;
    let c = till.settings.currency;
    let doc = kasa_terminal::documents::find_by_number(
        till.store.conn(),
        &till.settings,
        DocumentType::Sale,
        number.trim(),
    )?;
    let sale: CompletedSale = serde_json::from_value(doc.body.clone())
        .map_err(|e| ApiError::new("sale.corrupt", format!("stored sale cannot be read: {e}")))?;
    Ok(OriginalSaleView {
        number: doc.number.clone(),
        completed_at: doc.completed_at.format("%Y-%m-%d %H:%M").to_string(),
        total: views::money(doc.total, c),
        lines: sale
            .lines
            .iter()
            .map(|l| ReturnableLine {
                line_no: l.line_no,
                sku: l.product.sku.clone(),
                name: l.product.name.clone(),
                sold_qty: views::qty(l.qty),
                unit_price: views::money(l.unit_price, c),
                total: views::money(l.payable, c),
            })
            .collect(),
    })
}

/// Make a return; the refund receipt is queued for the printer.
#[tauri::command(async, rename_all = "snake_case")]
pub fn make_return(state: State<'_, AppState>, input: ReturnInput) -> ApiResult<ReceiptView> {
    let mut till = state.till();
    let pin = till
        .logged_in
        .as_ref()
        .map(|l| l.pin.clone())
        .ok_or_else(ApiError::not_logged_in)?;
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
    let script = ReturnScript {
        cashier_pin: pin,
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
    let at = now();
    let done = run_return_script(store, settings, &script, at).map_err(|e| {
        let mut api = ApiError::from(e);
        if api.code.ends_with("needs_manager") {
            api.permission
                .get_or_insert_with(|| "return_without_receipt".to_string());
        }
        api
    })?;
    let c = settings.currency;
    let r = receipt::return_receipt(settings, &done, &at.format("%Y-%m-%d %H:%M").to_string());
    let text = receipt::preview(&r, &state.devices.profile);
    let print = state.devices.print(r);
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
