//! The till screen: scan / PLU / search, quantity, discounts, manual
//! price, void, park / recall, customer.

use kasa_domain::pricing::{PriceRequest, price_line};
use kasa_terminal::catalog;
use kasa_terminal::sale::{self as core_sale, Discount, SaleSession};
use tauri::State;

use super::{parse_money, parse_qty, with_approval};
use crate::dto::{ParkedView, ProductHitView, SaleView};
use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, Till, now};
use crate::views;

fn view(till: &Till) -> ApiResult<SaleView> {
    let session = till.sale.as_ref().ok_or_else(ApiError::no_sale)?;
    Ok(views::sale(till.store.conn(), session, till.last_line_no))
}

fn ensure_sale(till: &mut Till) -> ApiResult<()> {
    if till.sale.is_none() {
        let user = till.user()?.clone();
        let session = SaleSession::start(till.store.conn(), &till.settings, user, None, now())?;
        till.sale = Some(session);
        till.last_line_no = None;
    }
    Ok(())
}

/// The open sale, or `null`.
#[tauri::command(async, rename_all = "snake_case")]
pub fn current_sale(state: State<'_, AppState>) -> ApiResult<Option<SaleView>> {
    let till = state.till();
    till.user()?;
    Ok(till
        .sale
        .as_ref()
        .map(|s| views::sale(till.store.conn(), s, till.last_line_no)))
}

/// Scan or type a code (barcode, in-store weight barcode, PLU, SKU);
/// `qty` multiplies it. Starts a sale when none is open.
#[tauri::command(async, rename_all = "snake_case")]
pub fn scan(state: State<'_, AppState>, code: String, qty: Option<String>) -> ApiResult<SaleView> {
    let mut till = state.till();
    let qty = qty.map(|q| parse_qty("quantity", &q)).transpose()?;
    ensure_sale(&mut till)?;
    let Till {
        store,
        settings,
        sale,
        ..
    } = &mut *till;
    let session = sale.as_mut().ok_or_else(ApiError::no_sale)?;
    let started = std::time::Instant::now();
    let line_no = session.ring_up(store.conn(), settings, code.trim(), qty, now())?;
    let rung_up = started.elapsed();
    till.last_line_no = Some(line_no);
    let v = view(&till);
    if std::env::var_os("KASA_TIMING").is_some() {
        eprintln!(
            "kasa-desktop: scan ring_up {} us, view {} us",
            rung_up.as_micros(),
            (started.elapsed() - rung_up).as_micros()
        );
    }
    v
}

/// Search products by name, code or PLU as the cashier types.
#[tauri::command(async, rename_all = "snake_case")]
pub fn search(
    state: State<'_, AppState>,
    text: String,
    limit: u32,
) -> ApiResult<Vec<ProductHitView>> {
    let till = state.till();
    let conn = till.store.conn();
    let s = &till.settings;
    let at = now();
    let hits = catalog::search(conn, &text, limit.clamp(1, 50) as usize)?;
    Ok(hits
        .into_iter()
        .map(|h| {
            let p = h.product;
            let price = catalog::pricing_inputs(conn, &p.sku, &s.store_id, None)
                .ok()
                .and_then(|inputs| {
                    let request = PriceRequest {
                        store: &s.store_id,
                        customer_group: None,
                        qty: rust_decimal::Decimal::ONE,
                        at,
                    };
                    price_line(&inputs, &request, s.currency).ok()
                })
                .map(|q| views::money(q.unit_price, s.currency));
            ProductHitView {
                sku: p.sku,
                name: p.name,
                unit: p.unit.to_string(),
                plu: p.plu,
                price,
            }
        })
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
    let at = now();
    with_approval(
        &mut till,
        approval_pin.as_deref(),
        |conn, settings, s, a| s.set_quantity(conn, settings, line_no, qty, a, at),
    )?;
    till.last_line_no = Some(line_no);
    view(&till)
}

fn discount_of(percent: Option<String>, amount: Option<String>) -> ApiResult<Discount> {
    match (percent, amount) {
        (Some(p), None) => Ok(Discount::Percent(parse_qty("discount %", &p)?)),
        (None, Some(a)) => Ok(Discount::Amount(parse_money("discount amount", &a)?)),
        _ => Err(ApiError::input(
            "discount",
            "give either a percent or an amount",
        )),
    }
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
    let discount = discount_of(percent, amount)?;
    let mut till = state.till();
    with_approval(&mut till, approval_pin.as_deref(), |_, _, s, a| {
        s.discount_line(line_no, discount, a)
    })?;
    view(&till)
}

/// Discount the whole receipt (over the limit needs a manager).
#[tauri::command(async, rename_all = "snake_case")]
pub fn discount_receipt(
    state: State<'_, AppState>,
    percent: Option<String>,
    amount: Option<String>,
    approval_pin: Option<String>,
) -> ApiResult<SaleView> {
    let discount = discount_of(percent, amount)?;
    let mut till = state.till();
    with_approval(&mut till, approval_pin.as_deref(), |_, _, s, a| {
        s.discount_receipt(discount, a)
    })?;
    view(&till)
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
    with_approval(&mut till, approval_pin.as_deref(), |_, _, s, a| {
        s.override_price(line_no, price, a)
    })?;
    view(&till)
}

/// Remove a line (needs a manager unless configured otherwise).
#[tauri::command(async, rename_all = "snake_case")]
pub fn void_line(
    state: State<'_, AppState>,
    line_no: u32,
    approval_pin: Option<String>,
) -> ApiResult<SaleView> {
    let mut till = state.till();
    with_approval(&mut till, approval_pin.as_deref(), |_, _, s, a| {
        s.void_line(line_no, a)
    })?;
    view(&till)
}

/// Void the whole open sale (needs a manager when it has lines): a
/// journaled `VoidSale` document.
#[tauri::command(async, rename_all = "snake_case")]
pub fn void_sale(state: State<'_, AppState>, approval_pin: Option<String>) -> ApiResult<String> {
    let mut till = state.till();
    let Till {
        store,
        settings,
        sale,
        ..
    } = &mut *till;
    let session = sale.clone().ok_or_else(ApiError::no_sale)?;
    let at = now();
    let approval = match approval_pin.as_deref() {
        Some(pin) => Some(kasa_terminal::users::approve(
            store.conn(),
            &session.cashier.operator(),
            kasa_domain::permission::Permission::VoidSale,
            pin,
            Some(session.id),
            at,
        )?),
        None => None,
    };
    let done = core_sale::void_sale(store, settings, session, approval.as_ref(), at)?;
    till.sale = None;
    till.last_line_no = None;
    Ok(done.number)
}

/// Park the open sale.
#[tauri::command(async, rename_all = "snake_case")]
pub fn park(state: State<'_, AppState>, label: Option<String>) -> ApiResult<String> {
    let mut till = state.till();
    let session = till.sale.clone().ok_or_else(ApiError::no_sale)?;
    let id = core_sale::parked::park(till.store.conn(), &session, label.as_deref(), now())?;
    till.sale = None;
    till.last_line_no = None;
    Ok(id.to_string())
}

/// Parked sales.
#[tauri::command(async, rename_all = "snake_case")]
pub fn list_parked(state: State<'_, AppState>) -> ApiResult<Vec<ParkedView>> {
    let till = state.till();
    Ok(core_sale::parked::list_parked(till.store.conn())?
        .into_iter()
        .map(|p| ParkedView {
            id: p.id.to_string(),
            parked_at: p.parked_at,
            cashier: p.cashier,
            label: p.label,
            lines: p.lines as u32,
        })
        .collect())
}

/// Recall a parked sale (the open one, if any, is parked first).
#[tauri::command(async, rename_all = "snake_case")]
pub fn recall(state: State<'_, AppState>, id: String) -> ApiResult<SaleView> {
    let id = id
        .parse()
        .map_err(|e| ApiError::input("parked sale id", e))?;
    let mut till = state.till();
    if let Some(open) = till.sale.take()
        && open.line_count() > 0
    {
        core_sale::parked::park(till.store.conn(), &open, None, now())?;
    }
    till.sale = Some(core_sale::parked::recall(till.store.conn(), id)?);
    till.last_line_no = None;
    view(&till)
}

/// Attach a customer (by code or card) to the sale; `null` detaches.
#[tauri::command(async, rename_all = "snake_case")]
pub fn set_customer(state: State<'_, AppState>, code: Option<String>) -> ApiResult<SaleView> {
    let mut till = state.till();
    ensure_sale(&mut till)?;
    let customer = match code.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => Some(core_sale::sale_customer(till.store.conn(), c)?),
        None => None,
    };
    let session = till.sale_mut()?;
    session
        .sale
        .set_customer(customer)
        .map_err(core_sale::SaleError::from)?;
    view(&till)
}
