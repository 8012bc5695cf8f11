//! Login, logout, who is at the till, the wedge thresholds.

use kasa_drivers::wedge::WedgeThresholds;
use tauri::State;

use crate::dto::{SessionView, WedgeThresholdsView};
use crate::error::ApiResult;
use crate::state::{AppState, now};
use crate::views;

/// Who is logged in, the store and the shift.
#[tauri::command(async, rename_all = "snake_case")]
pub fn session(state: State<'_, AppState>) -> ApiResult<SessionView> {
    views::session(&state.till(), state.demo)
}

/// Log in with a PIN (lockout after repeated failures is the core's); the
/// count this till has open is found again.
#[tauri::command(async, rename_all = "snake_case")]
pub fn login(state: State<'_, AppState>, pin: String) -> ApiResult<SessionView> {
    let mut till = state.till();
    till.login(&pin, now())?;
    views::session(&till, state.demo)
}

/// Log out; an open sale with lines is parked so nothing is lost.
#[tauri::command(async, rename_all = "snake_case")]
pub fn logout(state: State<'_, AppState>) -> ApiResult<SessionView> {
    let mut till = state.till();
    till.logout(now())?;
    views::session(&till, state.demo)
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
