//! Devices and settings: the saved choices (printer, drawer, scanner,
//! scale) with each device's state and what discovery finds, test print,
//! open drawer, a weight from the scale — and the till's scale-aware scan.
//!
//! Weighed products: [`scan_weighed`] is the till's scan when the cashier
//! typed no quantity. A product sold by the kg whose code carries no weight
//! (a PLU, SKU or its plain barcode — not an in-store weight or price
//! label) takes a stable weight from the scale when one is configured;
//! every other code, and every code when no scale is configured, is the
//! ordinary [`super::sale::scan`]. Unstable, overload, under zero, an
//! empty platform or a silent scale refuse the line with the scale's code,
//! and the message tells the cashier to type the weight (`0.750*code`).

use kasa_domain::product::Unit;
use kasa_drivers::printer::{Receipt, TextStyle};
use tauri::State;

use kasa_terminal::devices::{DeviceConfig, DrawerChoice};

use crate::devices::Devices;
use crate::dto::{
    DeviceChoicesView, DeviceSettingsView, DiscoveredDevice, PrintOutcome, SaleView, WeightView,
};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

fn choices_of(c: &DeviceConfig) -> DeviceChoicesView {
    let (kind, uri, hex) = match &c.drawer {
        DrawerChoice::None => ("none", None, None),
        DrawerChoice::Printer => ("printer", None, None),
        DrawerChoice::Serial { uri, open_hex } => {
            ("serial", Some(uri.clone()), Some(open_hex.clone()))
        }
    };
    DeviceChoicesView {
        printer: c.printer.clone(),
        scanner: c.scanner.clone(),
        drawer_kind: kind.to_string(),
        drawer_uri: uri,
        drawer_open_hex: hex,
        scale: c.scale.clone(),
        scale_protocol: c
            .scale_protocol
            .clone()
            .unwrap_or_else(|| "toledo".to_string()),
    }
}

fn config_of(v: DeviceChoicesView) -> ApiResult<DeviceConfig> {
    let text = |o: Option<String>| o.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let drawer = match v.drawer_kind.as_str() {
        "none" => DrawerChoice::None,
        "printer" => DrawerChoice::Printer,
        "serial" => DrawerChoice::Serial {
            uri: text(v.drawer_uri).ok_or_else(|| {
                ApiError::new(
                    "input.invalid",
                    "a serial drawer needs its port (serial:///dev/ttyUSB1) — type it or pick one found",
                )
            })?,
            open_hex: text(v.drawer_open_hex).unwrap_or_default(),
        },
        other => {
            return Err(ApiError::new(
                "input.invalid",
                format!("'{other}' is not a drawer connection — use none, printer or serial"),
            ));
        }
    };
    Ok(DeviceConfig {
        printer: text(v.printer),
        scanner: text(v.scanner),
        drawer,
        scale: text(v.scale),
        scale_protocol: text(Some(v.scale_protocol)),
    })
}

/// Serial ports and USB printers found now, the demo printer first.
fn discovered(devices: &Devices) -> (Vec<DiscoveredDevice>, Option<String>) {
    let mut list = Vec::new();
    if let Some(sim) = &devices.sim {
        list.push(DiscoveredDevice {
            kind: "tcp_printer".to_string(),
            uri: sim.uri().to_string(),
            label: "Demo printer simulator".to_string(),
        });
    }
    match kasa_drivers::discovery::discover() {
        Ok(found) => {
            list.extend(found.serial_ports.iter().map(|p| DiscoveredDevice {
                kind: "serial".to_string(),
                uri: p.uri.clone(),
                label: format!("{} ({:?})", p.path, p.attachment),
            }));
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
        Err(e) => (list, Some(e.to_string())),
    }
}

/// The Devices screen: saved choices, states, discovery, recent jobs.
#[tauri::command(async, rename_all = "snake_case")]
pub fn device_settings(state: State<'_, AppState>) -> ApiResult<DeviceSettingsView> {
    let devices = &state.devices;
    let (discovered, discovery_error) = discovered(devices);
    Ok(DeviceSettingsView {
        choices: choices_of(&devices.config()),
        devices: devices.status(),
        discovered,
        discovery_error,
        jobs: devices.jobs(10),
    })
}

/// Save the device choices (who may, and the choices, are checked first;
/// applied at once). A cashier needs a manager's approval PIN.
#[tauri::command(async, rename_all = "snake_case")]
pub fn save_devices(
    state: State<'_, AppState>,
    choices: DeviceChoicesView,
    approval_pin: Option<String>,
) -> ApiResult<DeviceSettingsView> {
    let permission = kasa_domain::permission::Permission::ConfigureDevices;
    let (by, approval) =
        state
            .till()
            .approval_for(permission, approval_pin.as_deref(), crate::state::now())?;
    state
        .devices
        .save_config(config_of(choices)?, &by, approval.as_ref())?;
    device_settings(state)
}

/// Queue a test page on the receipt printer.
#[tauri::command(async, rename_all = "snake_case")]
pub fn device_test_print(state: State<'_, AppState>) -> ApiResult<PrintOutcome> {
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

/// Open the cash drawer the way it is configured.
#[tauri::command(async, rename_all = "snake_case")]
pub fn device_open_drawer(state: State<'_, AppState>) -> ApiResult<()> {
    Ok(state.devices.open_drawer()?)
}

/// A stable weight from the scale (the Devices screen's "weigh").
#[tauri::command(async, rename_all = "snake_case")]
pub fn read_scale(state: State<'_, AppState>) -> ApiResult<WeightView> {
    let w = state.devices.serial.read_stable()?;
    Ok(WeightView {
        kg: w.weight.kg_text(),
        readings: w.readings,
    })
}

/// Whether `code` is a product sold by the kg whose code carries no
/// weight or price. Unknown codes are left to the ordinary scan, which
/// reports them.
fn needs_weight(state: &AppState, code: &str) -> bool {
    let till = state.till();
    matches!(
        kasa_terminal::catalog::find_by_code(till.conn(), code.trim(), &till.settings().barcodes),
        Ok(Some(item)) if item.product.unit == Unit::Kg
            && item.weight_kg.is_none()
            && item.embedded_price.is_none()
    )
}

/// The till's scan without a typed quantity: weighed products take their
/// weight from the scale (see the module docs).
#[tauri::command(async, rename_all = "snake_case")]
pub fn scan_weighed(state: State<'_, AppState>, code: String) -> ApiResult<SaleView> {
    if !state.devices.serial.has_scale() || !needs_weight(&state, &code) {
        return super::sale::scan(state, code, None);
    }
    let weight = state.devices.serial.read_stable()?;
    if weight.weight.grams <= 0 {
        return Err(ApiError::new(
            "scale.empty",
            "the scale reads 0.000 kg — put the goods on the scale and scan again, or type the weight (0.750*code)",
        ));
    }
    super::sale::scan(state, code, Some(weight.weight.kg_text()))
}
