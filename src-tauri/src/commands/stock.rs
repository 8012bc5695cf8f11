//! Stock work: count sessions (scan to count, partial and blind, review
//! the variance, approve with a manager) and receiving a delivery.

use tauri::State;

use super::{count_scope, pin, receive_request, times};
use crate::dto::{CountReviewView, CountSessionView, DocumentDone, ReceiveInput, ResolvedView};
use crate::error::ApiResult;
use crate::state::{AppState, now};
use crate::views;

/// What a code stands for (receiving and counting show it before adding).
#[tauri::command(async, rename_all = "snake_case")]
pub fn resolve_code(state: State<'_, AppState>, code: String) -> ApiResult<ResolvedView> {
    Ok(views::resolved(&state.till().resolve(&code)?))
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
    Ok(views::count(till.count_start(
        count_scope(groups, skus),
        blind,
        now(),
    )?))
}

/// The count this till is working on (also after a restart), or `null`.
#[tauri::command(async, rename_all = "snake_case")]
pub fn count_current(state: State<'_, AppState>) -> ApiResult<Option<CountSessionView>> {
    let till = state.till();
    till.user()?;
    Ok(till.count().map(views::count))
}

/// Count a scanned code (`qty` times what the code stands for).
#[tauri::command(async, rename_all = "snake_case")]
pub fn count_add(
    state: State<'_, AppState>,
    code: String,
    qty_text: Option<String>,
) -> ApiResult<CountSessionView> {
    let times = times(qty_text)?;
    let mut till = state.till();
    Ok(views::count(till.count_add(&code, times, now())?))
}

/// Close counting and show the variance (value at cost).
#[tauri::command(async, rename_all = "snake_case")]
pub fn count_review(state: State<'_, AppState>) -> ApiResult<CountReviewView> {
    let mut till = state.till();
    let review = till.count_review(now())?;
    Ok(views::count_review(&review, till.settings().currency))
}

/// Approve the reviewed count: the variance is posted as adjustment
/// movements. A cashier needs a manager's PIN; audited either way.
#[tauri::command(async, rename_all = "snake_case")]
pub fn count_approve(
    state: State<'_, AppState>,
    approval_pin: Option<String>,
) -> ApiResult<DocumentDone> {
    let approved = state.till().count_approve(pin(&approval_pin), now())?;
    Ok(DocumentDone {
        document_id: approved.document_id.to_string(),
        number: approved.number,
    })
}

/// Receive a delivery (free, without a purchase order).
#[tauri::command(async, rename_all = "snake_case")]
pub fn receive(state: State<'_, AppState>, input: ReceiveInput) -> ApiResult<DocumentDone> {
    let mut till = state.till();
    let request = receive_request(&till, input)?;
    let outcome = till.receive(&request, now())?;
    Ok(DocumentDone {
        document_id: outcome.document_id.to_string(),
        number: outcome.number,
    })
}
