//! Stock work: count sessions (scan to count, partial and blind, review
//! the variance, approve with a manager) and receiving a delivery.

use kasa_terminal::catalog;
use kasa_terminal::stock::count::{CountScope, CountStart};
use kasa_terminal::stock::{self as core_stock, ReceiveLine, ReceiveRequest};
use tauri::State;

use super::{parse_money, parse_qty};
use crate::dto::{
    CountEntryView, CountReviewView, CountSessionView, DocumentDone, ReceiveInput, ResolvedView,
    VarianceView,
};
use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, CountInProgress, Till, now};
use crate::views::{money, qty};

fn resolve(till: &Till, code: &str) -> ApiResult<catalog::ResolvedItem> {
    catalog::find_by_code(till.store.conn(), code.trim(), &till.settings.barcodes)?.ok_or_else(
        || {
            ApiError::new(
                "sale.unknown_code",
                format!(
                    "no product has the code '{}' — scan again, or search by name",
                    code.trim()
                ),
            )
        },
    )
}

fn count_view(c: &CountInProgress, status: &str) -> CountSessionView {
    CountSessionView {
        id: c.id.clone(),
        blind: c.blind,
        scope: c.scope.clone(),
        status: status.to_string(),
        entries: c.entries.clone(),
    }
}

/// What a code stands for (receiving and counting show it before adding).
#[tauri::command(async, rename_all = "snake_case")]
pub fn resolve_code(state: State<'_, AppState>, code: String) -> ApiResult<ResolvedView> {
    let till = state.till();
    till.user()?;
    let item = resolve(&till, &code)?;
    Ok(ResolvedView {
        sku: item.product.sku.clone(),
        name: item.product.name.clone(),
        unit: item.product.unit.to_string(),
        qty: qty(item.qty),
    })
}

/// Start a count: `groups` / `skus` make it partial, `blind` hides the
/// expected quantities.
#[tauri::command(async, rename_all = "snake_case")]
pub fn count_start(
    state: State<'_, AppState>,
    blind: bool,
    groups: Vec<String>,
    skus: Vec<String>,
) -> ApiResult<CountSessionView> {
    let mut till = state.till();
    let user = till.user()?.clone();
    let scope = match (groups.is_empty(), skus.is_empty()) {
        (true, true) => CountScope::Full,
        (false, _) => CountScope::Groups(groups),
        (true, false) => CountScope::Skus(skus),
    };
    let scope_name = match &scope {
        CountScope::Full => "full",
        CountScope::Groups(_) => "groups",
        CountScope::Skus(_) => "skus",
    };
    let id = core_stock::count_start(
        &mut till.store,
        &CountStart {
            location: None,
            scope,
            blind,
            started_by: user.login,
        },
    )?;
    let c = CountInProgress {
        id: id.to_string(),
        blind,
        scope: scope_name.to_string(),
        entries: Vec::new(),
    };
    let view = count_view(&c, "open");
    till.count = Some(c);
    Ok(view)
}

/// The count this till is working on, or `null`.
#[tauri::command(async, rename_all = "snake_case")]
pub fn count_current(state: State<'_, AppState>) -> ApiResult<Option<CountSessionView>> {
    let till = state.till();
    Ok(till.count.as_ref().map(|c| count_view(c, "open")))
}

/// Count a scanned code (`qty` times what the code stands for).
#[tauri::command(async, rename_all = "snake_case")]
pub fn count_add(
    state: State<'_, AppState>,
    code: String,
    qty_text: Option<String>,
) -> ApiResult<CountSessionView> {
    let mut till = state.till();
    let item = resolve(&till, &code)?;
    let times = match qty_text.filter(|q| !q.trim().is_empty()) {
        Some(q) => parse_qty("quantity", &q)?,
        None => rust_decimal::Decimal::ONE,
    };
    let counted_qty = item.qty * times;
    let device = till.settings.terminal_id.clone();
    let Till { store, count, .. } = &mut *till;
    let c = count
        .as_mut()
        .ok_or_else(|| ApiError::new("desktop.no_count", "no count is open — start one first"))?;
    let added = core_stock::count_add(store, &c.id, &device, &item.product.sku, counted_qty)?;
    c.entries.insert(
        0,
        CountEntryView {
            entry_no: added.entry_no,
            sku: item.product.sku.clone(),
            name: item.product.name.clone(),
            qty: qty(counted_qty),
            counted: qty(added.counted),
            expected: added.expected.map(qty),
        },
    );
    Ok(count_view(c, "open"))
}

/// Close counting and show the variance (value at cost).
#[tauri::command(async, rename_all = "snake_case")]
pub fn count_review(state: State<'_, AppState>) -> ApiResult<CountReviewView> {
    let mut till = state.till();
    let id =
        till.count.as_ref().map(|c| c.id.clone()).ok_or_else(|| {
            ApiError::new("desktop.no_count", "no count is open — start one first")
        })?;
    let c = till.settings.currency;
    let review = core_stock::count_review(&mut till.store, &id)?;
    Ok(CountReviewView {
        session: review.session.to_string(),
        lines: review
            .lines
            .iter()
            .map(|l| VarianceView {
                sku: l.sku.clone(),
                expected: qty(l.expected),
                counted: qty(l.counted),
                variance: qty(l.variance),
                value: money(l.value, c),
            })
            .collect(),
        total_value: money(review.total_value, c),
    })
}

/// Approve the reviewed count: the variance is posted as adjustment
/// movements. A cashier needs a manager's PIN.
#[tauri::command(async, rename_all = "snake_case")]
pub fn count_approve(
    state: State<'_, AppState>,
    approval_pin: Option<String>,
) -> ApiResult<DocumentDone> {
    let mut till = state.till();
    let user = till.user()?.clone();
    let id =
        till.count.as_ref().map(|c| c.id.clone()).ok_or_else(|| {
            ApiError::new("desktop.no_count", "no count is open — start one first")
        })?;
    let approver = match approval_pin.as_deref().filter(|p| !p.is_empty()) {
        Some(pin) => kasa_terminal::users::login_by_pin(till.store.conn(), pin, now())?.operator(),
        None => user.operator(),
    };
    if !approver
        .role
        .allows(kasa_domain::permission::Permission::ApproveCount)
    {
        return Err(ApiError {
            code: "permission.needs_manager".to_string(),
            message: "approving a stock count needs a manager — ask a manager to enter their PIN"
                .to_string(),
            permission: Some("approve_count".to_string()),
        });
    }
    let approved = core_stock::count_approve(&mut till.store, &id, &approver)?;
    till.count = None;
    Ok(DocumentDone {
        document_id: approved.document_id.to_string(),
        number: approved.number,
    })
}

/// Receive a delivery (free, without a purchase order).
#[tauri::command(async, rename_all = "snake_case")]
pub fn receive(state: State<'_, AppState>, input: ReceiveInput) -> ApiResult<DocumentDone> {
    let mut till = state.till();
    let user = till.user()?.clone();
    let mut lines = Vec::new();
    for l in &input.lines {
        let item = resolve(&till, &l.code)?;
        lines.push(ReceiveLine {
            sku: item.product.sku.clone(),
            qty: item.qty * parse_qty("quantity", &l.qty)?,
            unit_cost: l
                .unit_cost
                .as_deref()
                .filter(|c| !c.trim().is_empty())
                .map(|c| parse_money("unit cost", c))
                .transpose()?,
            batch: None,
            expiry: None,
        });
    }
    let request = ReceiveRequest {
        supplier: input.supplier,
        po: None,
        location: None,
        delivery_note: input.delivery_note,
        lines,
    };
    let outcome = core_stock::receive(&mut till.store, &request, &user.login)?;
    Ok(DocumentDone {
        document_id: outcome.document_id.to_string(),
        number: outcome.number,
    })
}
