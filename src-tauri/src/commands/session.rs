//! Login, logout, who is at the till, the wedge thresholds.

use kasa_drivers::wedge::WedgeThresholds;
use tauri::State;

use crate::dto::{SessionView, ShiftView, WedgeThresholdsView};
use crate::error::ApiResult;
use crate::state::{AppState, LoggedIn, Till, now};
use crate::views;

fn session_view(till: &Till, demo: bool) -> ApiResult<SessionView> {
    let shift = kasa_terminal::shift::current_shift(till.store.conn(), &till.settings)?;
    Ok(SessionView {
        user: till.logged_in.as_ref().map(|l| views::user(&l.user)),
        shift: shift.map(|s| ShiftView {
            id: s.id.to_string(),
            opened_by: s.opened_by,
            opened_at: s.opened_at,
            float: views::money(s.float, till.settings.currency),
        }),
        store_id: till.settings.store_id.clone(),
        terminal_id: till.settings.terminal_id.clone(),
        currency: till.settings.currency.code().to_string(),
        discount_limit_percent: till.settings.discount_limit_percent.normalize().to_string(),
        demo,
    })
}

/// Who is logged in, the store and the shift.
#[tauri::command(async, rename_all = "snake_case")]
pub fn session(state: State<'_, AppState>) -> ApiResult<SessionView> {
    session_view(&state.till(), state.demo)
}

/// Log in with a PIN (lockout after repeated failures is the core's).
#[tauri::command(async, rename_all = "snake_case")]
pub fn login(state: State<'_, AppState>, pin: String) -> ApiResult<SessionView> {
    let mut till = state.till();
    let user = kasa_terminal::users::login_by_pin(till.store.conn(), &pin, now())?;
    till.logged_in = Some(LoggedIn { user });
    session_view(&till, state.demo)
}

/// Log out. An open sale stays in memory for the next cashier only if it
/// is parked first; otherwise it is parked automatically so nothing is lost.
#[tauri::command(async, rename_all = "snake_case")]
pub fn logout(state: State<'_, AppState>) -> ApiResult<SessionView> {
    let mut till = state.till();
    if let Some(sale) = till.sale.take()
        && sale.line_count() > 0
    {
        kasa_terminal::sale::parked::park(till.store.conn(), &sale, Some("logout"), now())?;
    }
    till.logged_in = None;
    till.count = None;
    session_view(&till, state.demo)
}

/// The keyboard-wedge rule's thresholds, from `kasa_drivers::wedge`, so
/// the UI's detector uses exactly the drivers' numbers.
#[tauri::command(async, rename_all = "snake_case")]
pub fn wedge_thresholds() -> WedgeThresholdsView {
    let t = WedgeThresholds::default();
    WedgeThresholdsView {
        min_scan_len: t.min_scan_len as u32,
        max_mean_gap_ms: t.max_mean_gap_ms as u32,
        max_gap_ms: t.max_gap_ms as u32,
        terminator_timeout_ms: t.terminator_timeout_ms as u32,
        accept_unterminated: t.accept_unterminated,
    }
}

/// The UI calls this once its first screen is interactive; the shell logs
/// the time since the process started (the cold-start measurement).
#[tauri::command(async, rename_all = "snake_case")]
pub fn ui_ready(state: State<'_, AppState>) -> u64 {
    let ms = state.started.elapsed().as_millis() as u64;
    let epoch_ms = chrono::Utc::now().timestamp_millis();
    eprintln!("kasa-desktop: interactive {ms} ms after start (epoch_ms {epoch_ms})");
    ms
}
