//! Shift: open with a float, cash in / out, no-sale, X report, close with
//! counted amounts per tender (optionally blind) and the Z report.

use kasa_domain::shift::{ShiftReport, TenderAmount as CountedAmount};
use kasa_terminal::shift::{self as core_shift, ZView};
use tauri::State;

use super::parse_money;
use crate::dto::{DocumentDone, ShiftReportView, TenderAmount, TenderVarianceView, ZReportView};
use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, Till, now};
use crate::views::money;
use kasa_domain::money::Currency;

fn report_view(r: &ShiftReport, opened_by: &str, text: String, c: Currency) -> ShiftReportView {
    ShiftReportView {
        opened_by: opened_by.to_string(),
        opened_at: r
            .opened_at
            .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default(),
        float: money(r.float, c),
        sales_count: r.sales_count,
        sales_total: money(r.sales_total, c),
        returns_count: r.returns_count,
        returns_total: money(r.returns_total, c),
        voids_count: r.voided_sales,
        no_sale_count: r.no_sale_count,
        cash_in_total: money(r.cash_in, c),
        cash_out_total: money(r.cash_out, c),
        expected: r
            .tenders
            .iter()
            .map(|t| TenderAmount {
                kind: t.kind.name().to_string(),
                amount: money(t.expected, c),
            })
            .collect(),
        text,
    }
}

fn z_view(z: &ZView, c: Currency) -> ZReportView {
    ZReportView {
        number: z.number.clone(),
        blind: z.blind,
        tenders: z
            .tenders
            .iter()
            .map(|t| TenderVarianceView {
                kind: t.kind.name().to_string(),
                expected: t.expected.map(|m| money(m, c)),
                counted: money(t.counted, c),
                variance: t.variance.map(|m| money(m, c)),
            })
            .collect(),
        total_variance: z.total_variance.map(|m| money(m, c)),
        report: report_view(&z.report, &z.closed_by, z.describe(), c),
    }
}

fn done(d: kasa_terminal::documents::CompletedDocument) -> DocumentDone {
    DocumentDone {
        document_id: d.id.to_string(),
        number: d.number,
    }
}

/// Open the shift with the counted float.
#[tauri::command(async, rename_all = "snake_case")]
pub fn open_shift(state: State<'_, AppState>, float: String) -> ApiResult<DocumentDone> {
    let float = parse_money("float", &float)?;
    let mut till = state.till();
    let user = till.user()?.clone();
    let Till {
        store, settings, ..
    } = &mut *till;
    Ok(done(core_shift::open_shift(
        store,
        settings,
        &user,
        float,
        now(),
    )?))
}

/// Cash into (`out: false`) or out of the drawer with a reason; cash out
/// needs a manager for cashiers.
#[tauri::command(async, rename_all = "snake_case")]
pub fn cash_movement(
    state: State<'_, AppState>,
    out: bool,
    amount: String,
    reason: String,
    approval_pin: Option<String>,
) -> ApiResult<DocumentDone> {
    let amount = parse_money("amount", &amount)?;
    let mut till = state.till();
    let user = till.user()?.clone();
    let Till {
        store, settings, ..
    } = &mut *till;
    let d = core_shift::cash_movement(
        store,
        settings,
        &user,
        out,
        amount,
        &reason,
        approval_pin.as_deref().filter(|p| !p.is_empty()),
        now(),
    )
    .map_err(|e| {
        let mut api = ApiError::from(e);
        if api.code.ends_with("needs_manager") {
            api.permission = Some("cash_out".to_string());
        }
        api
    })?;
    // The drawer opens for the cash; a missing printer does not undo it.
    let _ = state.devices.open_drawer();
    Ok(done(d))
}

/// Open the drawer without a sale (logged).
#[tauri::command(async, rename_all = "snake_case")]
pub fn no_sale(state: State<'_, AppState>, reason: String) -> ApiResult<DocumentDone> {
    let mut till = state.till();
    let user = till.user()?.clone();
    let Till {
        store, settings, ..
    } = &mut *till;
    let d = core_shift::no_sale(store, settings, &user, &reason, now())?;
    let _ = state.devices.open_drawer();
    Ok(done(d))
}

/// X report (nothing is reset).
#[tauri::command(async, rename_all = "snake_case")]
pub fn x_report(state: State<'_, AppState>) -> ApiResult<ShiftReportView> {
    let till = state.till();
    till.user()?;
    let x = core_shift::x_report(till.store.conn(), &till.settings, now())?;
    Ok(report_view(
        &x.report,
        &x.opened_by,
        x.describe(),
        till.settings.currency,
    ))
}

/// Close the shift with the counted amounts per tender.
#[tauri::command(async, rename_all = "snake_case")]
pub fn close_shift(
    state: State<'_, AppState>,
    counted: Vec<TenderAmount>,
    blind: bool,
) -> ApiResult<ZReportView> {
    let mut counts = Vec::new();
    for t in &counted {
        counts.push(CountedAmount {
            kind: kasa_terminal::sale::tender_kind(&t.kind)?,
            amount: parse_money(&format!("counted {}", t.kind), &t.amount)?,
        });
    }
    let mut till = state.till();
    if till.sale.as_ref().is_some_and(|s| s.line_count() > 0) {
        return Err(ApiError::new(
            "desktop.sale_open",
            "a sale is still open — finish, park or void it before closing the shift",
        ));
    }
    let user = till.user()?.clone();
    let Till {
        store, settings, ..
    } = &mut *till;
    let z = core_shift::close_shift(store, settings, &user, &counts, blind, now())?;
    Ok(z_view(&ZView::of(&z, blind), settings.currency))
}
