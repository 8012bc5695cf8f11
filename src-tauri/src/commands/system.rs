//! Sync with head office (status, sync now, enrol), devices and settings:
//! discovery, printer choice, test print, open drawer.

use kasa_drivers::printer::{Receipt, TextStyle};
use tauri::State;

use crate::dto::{DeviceStatusView, DevicesView, DiscoveredDevice, PrintOutcome, SyncStatusView};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Where sync stands: online/offline, queued records, last sync, errors.
#[tauri::command(async, rename_all = "snake_case")]
pub fn sync_status(state: State<'_, AppState>) -> ApiResult<SyncStatusView> {
    state.sync.view(state.till().store.conn())
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

/// Devices, their state, what discovery finds, recent print jobs.
#[tauri::command(async, rename_all = "snake_case")]
pub fn devices(state: State<'_, AppState>) -> ApiResult<DevicesView> {
    let devices = &state.devices;
    let (discovered, discovery_error) = match kasa_drivers::discovery::discover() {
        Ok(found) => {
            let mut list: Vec<DiscoveredDevice> = found
                .serial_ports
                .iter()
                .map(|p| DiscoveredDevice {
                    kind: "serial".to_string(),
                    uri: p.uri.clone(),
                    label: format!("{} ({:?})", p.path, p.attachment),
                })
                .collect();
            list.extend(found.usb_printers.iter().map(|p| DiscoveredDevice {
                kind: "usb_printer".to_string(),
                uri: p.uri.clone(),
                label: format!(
                        "{} {}",
                        p.manufacturer.clone().unwrap_or_default(),
                        p.product
                            .clone()
                            .unwrap_or_else(|| format!("{:04x}:{:04x}", p.vendor_id, p.product_id))
                    ),
            }));
            (list, None)
        }
        Err(e) => (Vec::new(), Some(e.to_string())),
    };
    let mut discovered = discovered;
    if let Some(sim) = &devices.sim {
        discovered.insert(
            0,
            DiscoveredDevice {
                kind: "tcp_printer".to_string(),
                uri: sim.uri().to_string(),
                label: "Demo printer simulator".to_string(),
            },
        );
    }
    Ok(DevicesView {
        devices: vec![devices.printer_status()],
        discovered,
        discovery_error,
        jobs: devices.jobs(10),
    })
}

/// The printer's state now (the status bar asks once at start; changes
/// arrive as `device-status` events).
#[tauri::command(async, rename_all = "snake_case")]
pub fn printer_status(state: State<'_, AppState>) -> DeviceStatusView {
    state.devices.printer_status()
}

/// Choose the receipt printer (`null` = none).
#[tauri::command(async, rename_all = "snake_case")]
pub fn set_printer(state: State<'_, AppState>, uri: Option<String>) -> ApiResult<DevicesView> {
    state
        .devices
        .set_printer(uri.filter(|u| !u.trim().is_empty()))?;
    devices(state)
}

/// Queue a test page.
#[tauri::command(async, rename_all = "snake_case")]
pub fn test_print(state: State<'_, AppState>) -> ApiResult<PrintOutcome> {
    let mut r = Receipt::new();
    r.text("Kasa", TextStyle::heading());
    r.text("Test print / Пробен печат", TextStyle::centered());
    r.separator();
    r.row("ABCDEFGHIJ", "0123456789");
    r.row("АБВГДЕЖЗИЙ", "€ 1.23");
    r.feed(2);
    r.cut();
    Ok(state.devices.print(r))
}

/// Open the cash drawer (through the printer).
#[tauri::command(async, rename_all = "snake_case")]
pub fn open_drawer(state: State<'_, AppState>) -> ApiResult<()> {
    state.devices.open_drawer()
}
