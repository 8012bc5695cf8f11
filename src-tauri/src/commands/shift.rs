//! Shift: open with a float, cash in / out, no-sale, X report, close with
//! counted amounts per tender (optionally blind) and the Z report.

use kasa_terminal::shift::ZView;
use tauri::State;

use super::{counted, parse_money, pin};
use crate::dto::{DocumentDone, ShiftReportView, TenderAmount, ZReportView};
use crate::error::ApiResult;
use crate::state::{AppState, now};
use crate::views;

/// Open the shift with the counted float.
#[tauri::command(async, rename_all = "snake_case")]
pub fn open_shift(state: State<'_, AppState>, float: String) -> ApiResult<DocumentDone> {
    let float = parse_money("float", &float)?;
    Ok(views::done(state.till().open_shift(float, now())?))
}

/// Cash into (`out: false`) or out of the drawer with a reason; cash out
/// needs a manager for cashiers. The drawer opens for the cash; a missing
/// printer does not undo it.
#[tauri::command(async, rename_all = "snake_case")]
pub fn cash_movement(
    state: State<'_, AppState>,
    out: bool,
    amount: String,
    reason: String,
    approval_pin: Option<String>,
) -> ApiResult<DocumentDone> {
    let amount = parse_money("amount", &amount)?;
    let d = state
        .till()
        .cash_movement(out, amount, &reason, pin(&approval_pin), now())?;
    let _ = state.devices.open_drawer();
    Ok(views::done(d))
}

/// Open the drawer without a sale (logged).
#[tauri::command(async, rename_all = "snake_case")]
pub fn no_sale(state: State<'_, AppState>, reason: String) -> ApiResult<DocumentDone> {
    let d = state.till().no_sale(&reason, now())?;
    let _ = state.devices.open_drawer();
    Ok(views::done(d))
}

/// X report (nothing is reset).
#[tauri::command(async, rename_all = "snake_case")]
pub fn x_report(state: State<'_, AppState>) -> ApiResult<ShiftReportView> {
    let till = state.till();
    let x = till.x_report(now())?;
    let currency = till.settings().currency;
    Ok(views::report(
        &x.report,
        &x.opened_by,
        x.describe(),
        currency,
    ))
}

/// Close the shift with the counted amounts per tender (refused while a
/// sale is open).
#[tauri::command(async, rename_all = "snake_case")]
pub fn close_shift(
    state: State<'_, AppState>,
    counted: Vec<TenderAmount>,
    blind: bool,
) -> ApiResult<ZReportView> {
    let counts = self::counted(&counted)?;
    let mut till = state.till();
    let z = till.close_shift(&counts, blind, now())?;
    Ok(views::z_report(
        &ZView::of(&z, blind),
        till.settings().currency,
    ))
}
