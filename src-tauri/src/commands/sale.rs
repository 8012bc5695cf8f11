//! The till screen: scan / PLU / search, quantity, discounts, manual
//! price, void, park / recall, customer.

use tauri::State;

use super::{discount, parse_money, parse_qty, pin};
use crate::dto::{ParkedView, ProductHitView, SaleView};
use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, now};
use crate::views;

/// The open sale, or `null`.
#[tauri::command(async, rename_all = "snake_case")]
pub fn current_sale(state: State<'_, AppState>) -> ApiResult<Option<SaleView>> {
    let till = state.till();
    till.user()?;
    Ok(till
        .sale()
        .map(|s| views::sale(till.conn(), s, till.last_line_no())))
}

/// Scan or type a code (barcode, in-store weight barcode, PLU, SKU);
/// `qty` multiplies it. Starts a sale when none is open.
#[tauri::command(async, rename_all = "snake_case")]
pub fn scan(state: State<'_, AppState>, code: String, qty: Option<String>) -> ApiResult<SaleView> {
    let qty = qty.map(|q| parse_qty("quantity", &q)).transpose()?;
    let mut till = state.till();
    let started = std::time::Instant::now();
    till.ring_up(&code, qty, now())?;
    let rung_up = started.elapsed();
    let view = views::open_sale(&till);
    log_scan_timing(rung_up, started.elapsed() - rung_up);
    view
}

/// With `KASA_TIMING` set, how long a scan took in the core and in the view.
fn log_scan_timing(ring_up: std::time::Duration, view: std::time::Duration) {
    if std::env::var_os("KASA_TIMING").is_some() {
        eprintln!(
            "kasa-desktop: scan ring_up {} us, view {} us",
            ring_up.as_micros(),
            view.as_micros()
        );
    }
}

/// Search products by name, code or PLU as the cashier types.
#[tauri::command(async, rename_all = "snake_case")]
pub fn search(
    state: State<'_, AppState>,
    text: String,
    limit: u32,
) -> ApiResult<Vec<ProductHitView>> {
    let till = state.till();
    let currency = till.settings().currency;
    let hits = till.search(&text, limit as usize, now())?;
    Ok(hits
        .into_iter()
        .map(|h| views::product_hit(h, currency))
        .collect())
}

/// Change a line's quantity (lowering may need a manager).
#[tauri::command(async, rename_all = "snake_case")]
pub fn set_quantity(
    state: State<'_, AppState>,
    line_no: u32,
    qty: String,
    approval_pin: Option<String>,
) -> ApiResult<SaleView> {
    let qty = parse_qty("quantity", &qty)?;
    let mut till = state.till();
    till.set_quantity(line_no, qty, pin(&approval_pin), now())?;
    views::open_sale(&till)
}

/// Discount one line (over the limit needs a manager).
#[tauri::command(async, rename_all = "snake_case")]
pub fn discount_line(
    state: State<'_, AppState>,
    line_no: u32,
    percent: Option<String>,
    amount: Option<String>,
    approval_pin: Option<String>,
) -> ApiResult<SaleView> {
    let discount = discount(percent, amount)?;
    let mut till = state.till();
    till.discount_line(line_no, discount, pin(&approval_pin), now())?;
    views::open_sale(&till)
}

/// Discount the whole receipt (over the limit needs a manager).
#[tauri::command(async, rename_all = "snake_case")]
pub fn discount_receipt(
    state: State<'_, AppState>,
    percent: Option<String>,
    amount: Option<String>,
    approval_pin: Option<String>,
) -> ApiResult<SaleView> {
    let discount = discount(percent, amount)?;
    let mut till = state.till();
    till.discount_receipt(discount, pin(&approval_pin), now())?;
    views::open_sale(&till)
}

/// Type a price for a line (needs a manager).
#[tauri::command(async, rename_all = "snake_case")]
pub fn override_price(
    state: State<'_, AppState>,
    line_no: u32,
    price: String,
    approval_pin: Option<String>,
) -> ApiResult<SaleView> {
    let price = parse_money("price", &price)?;
    let mut till = state.till();
    till.override_price(line_no, price, pin(&approval_pin), now())?;
    views::open_sale(&till)
}

/// Remove a line (needs a manager unless configured otherwise).
#[tauri::command(async, rename_all = "snake_case")]
pub fn void_line(
    state: State<'_, AppState>,
    line_no: u32,
    approval_pin: Option<String>,
) -> ApiResult<SaleView> {
    let mut till = state.till();
    till.void_line(line_no, pin(&approval_pin), now())?;
    views::open_sale(&till)
}

/// Void the whole open sale (needs a manager when it has lines): a
/// journaled `VoidSale` document.
#[tauri::command(async, rename_all = "snake_case")]
pub fn void_sale(state: State<'_, AppState>, approval_pin: Option<String>) -> ApiResult<String> {
    Ok(state.till().void_sale(pin(&approval_pin), now())?.number)
}

/// Park the open sale.
#[tauri::command(async, rename_all = "snake_case")]
pub fn park(state: State<'_, AppState>, label: Option<String>) -> ApiResult<String> {
    Ok(state.till().park(label.as_deref(), now())?.to_string())
}

/// Parked sales.
#[tauri::command(async, rename_all = "snake_case")]
pub fn list_parked(state: State<'_, AppState>) -> ApiResult<Vec<ParkedView>> {
    Ok(state
        .till()
        .parked()?
        .into_iter()
        .map(views::parked)
        .collect())
}

/// Recall a parked sale (the open one, if any, is parked first).
#[tauri::command(async, rename_all = "snake_case")]
pub fn recall(state: State<'_, AppState>, id: String) -> ApiResult<SaleView> {
    let id = id
        .parse()
        .map_err(|e| ApiError::input("parked sale id", e))?;
    let mut till = state.till();
    till.recall(id, now())?;
    views::open_sale(&till)
}

/// Attach a customer (by code or card) to the sale; `null` detaches.
#[tauri::command(async, rename_all = "snake_case")]
pub fn set_customer(state: State<'_, AppState>, code: Option<String>) -> ApiResult<SaleView> {
    let mut till = state.till();
    till.set_customer(code.as_deref(), now())?;
    views::open_sale(&till)
}
