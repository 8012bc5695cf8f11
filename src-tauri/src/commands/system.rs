//! Sync with head office (status, sync now, enrol) and the printer's state
//! for the status bar (devices and settings: `commands/devices.rs`).

use tauri::State;

use crate::dto::{DeviceStatusView, SyncStatusView};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Where sync stands: online/offline, queued records, last sync, errors.
#[tauri::command(async, rename_all = "snake_case")]
pub fn sync_status(state: State<'_, AppState>) -> ApiResult<SyncStatusView> {
    state.sync.view(state.till().conn())
}

/// Run a round now and wait for it (the Sync screen's "Sync now"). Async:
/// the wait (up to a minute offline) happens on a blocking thread, never
/// on the runtime's workers that serve the till's other commands.
#[tauri::command(rename_all = "snake_case")]
pub async fn sync_now(state: State<'_, AppState>) -> ApiResult<SyncStatusView> {
    state.till().user()?;
    let sync = state.sync.clone();
    blocking(move || sync.sync_now(crate::sync::SYNC_NOW_TIMEOUT)).await?;
    sync_status(state)
}

/// Enrol this till with head office (its address and a single-use code
/// from head office); the background sync starts at once.
#[tauri::command(rename_all = "snake_case")]
pub async fn sync_enrol(
    state: State<'_, AppState>,
    server_url: String,
    code: String,
) -> ApiResult<SyncStatusView> {
    state.till().user()?;
    let sync = state.sync.clone();
    blocking(move || sync.enrol(&server_url, &code)).await?;
    sync_status(state)
}

/// Run blocking work (HTTP to head office, waiting for a round) off the
/// async workers.
async fn blocking(work: impl FnOnce() -> ApiResult<()> + Send + 'static) -> ApiResult<()> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::new("desktop.internal", format!("the sync task failed: {e}")))?
}

/// The printer's state now (the status bar asks once at start; changes
/// arrive as `device-status` events).
#[tauri::command(async, rename_all = "snake_case")]
pub fn printer_status(state: State<'_, AppState>) -> DeviceStatusView {
    state.devices.printer_status()
}
