//! The desktop's side of the till's devices. Everything about the devices
//! themselves — saved choices, the one print spool, states, the serial
//! scanner and scale owners — is `kasa_terminal::devices::TillDevices`,
//! shared with the `kasa` CLI. This file adds what only the app has: the
//! TCP printer simulator of `--demo`, the background threads that publish
//! typed events (device states, serial scans as they arrive), and the
//! mapping to the UI's DTOs.
//!
//! Decision: one background thread per device, each owning its handle,
//! talking to the UI only through events (the drivers' "one task owns each
//! device" rule). Commands wait on a device only when the cashier asked for
//! it: test print, open drawer, and a weight from the scale.

use std::ops::Deref;
use std::path::Path;
use std::time::Duration;

use kasa_drivers::printer::Receipt;
use kasa_drivers::sim::tcp_printer::{SimConfig, TcpPrinterSim};
use kasa_terminal::devices::spool::SpoolJob;
use kasa_terminal::devices::{DeviceStatus, TillDevices};
use tauri::{AppHandle, Emitter, Manager};

use crate::dto::{DeviceStatusView, EventName, PrintJobView, PrintOutcome, ScannerInput};
use crate::error::{ApiError, ApiResult};

/// The devices of the running app.
#[derive(Debug)]
pub struct Devices {
    till: TillDevices,
    /// The simulator started by `--demo` (stops when dropped).
    pub sim: Option<TcpPrinterSim>,
}

impl Deref for Devices {
    type Target = TillDevices;

    fn deref(&self) -> &TillDevices {
        &self.till
    }
}

impl Devices {
    /// Open the till's devices (the spool beside `db`, the choices in
    /// `<data-dir>/devices.json`, the jobs of the app's older
    /// `<data-dir>/print-queue` taken over), and in demo mode start the
    /// printer simulator (jobs written to `<data-dir>/printer-sim/`) and
    /// print on it for this run.
    pub fn open(data_dir: &Path, db: &Path, demo: bool) -> ApiResult<Devices> {
        let till = TillDevices::open(
            db,
            &data_dir.join("devices.json"),
            Some(&data_dir.join("print-queue")),
        )?;
        let sim = if demo {
            let sim = TcpPrinterSim::start_with(
                "127.0.0.1:0",
                SimConfig {
                    job_dir: Some(data_dir.join("printer-sim")),
                    png_width_dots: Some(576),
                    ..SimConfig::default()
                },
            )
            .map_err(|e| {
                ApiError::new(
                    "desktop.demo_printer",
                    format!("cannot start the printer simulator: {e}"),
                )
            })?;
            till.use_printer_for_this_run(sim.uri().to_string());
            Some(sim)
        } else {
            None
        };
        Ok(Devices { till, sim })
    }

    /// Queue a receipt for the configured printer (see `TillDevices::print`).
    pub fn print(&self, receipt: Receipt) -> PrintOutcome {
        print_view(self.till.print(receipt))
    }

    /// The spool's jobs, newest first, at most `limit`.
    pub fn jobs(&self, limit: usize) -> Vec<PrintJobView> {
        self.spool.recent(limit).iter().map(job_view).collect()
    }

    /// Probe the printer now.
    pub fn printer_status(&self) -> DeviceStatusView {
        status_view(self.till.printer_status())
    }

    /// Every device's state.
    pub fn status(&self) -> Vec<DeviceStatusView> {
        self.till.status().into_iter().map(status_view).collect()
    }
}

/// A print outcome as the UI shows it.
pub fn print_view(o: kasa_terminal::devices::PrintOutcome) -> PrintOutcome {
    PrintOutcome {
        job_id: o.job,
        state: o.state.name().to_string(),
        message: o.error.map(|e| e.message),
    }
}

fn job_view(j: &SpoolJob) -> PrintJobView {
    PrintJobView {
        id: j.id,
        state: j.state.to_string(),
        copy: j.copy,
        error: j.error.as_ref().map(|e| e.message.clone()),
    }
}

/// A device state as the UI shows it.
pub fn status_view(s: DeviceStatus) -> DeviceStatusView {
    DeviceStatusView {
        device: s.device,
        state: s.state,
        uri: s.uri,
        detail: s.detail,
    }
}

/// Start the devices: the scanner and scale owners for the saved choices,
/// the threads that forward their states and scans as events, and the
/// printer's status every 2 s when it changes.
pub fn spawn_status_thread(app: AppHandle, devices: std::sync::Arc<Devices>) {
    spawn_serial_forwarders(&app, &devices);
    if let Err(e) = devices.apply() {
        let e = ApiError::from(e);
        eprintln!("kasa-desktop: error[{}]: {}", e.code, e.message);
    }
    let spawned = std::thread::Builder::new()
        .name("kasa-device-status".into())
        .spawn(move || {
            let mut last: Option<DeviceStatusView> = None;
            loop {
                let now = devices.printer_status();
                if last.as_ref() != Some(&now) {
                    let _ = app.emit(EventName::DeviceStatus.as_str(), &now);
                    last = Some(now);
                }
                std::thread::sleep(Duration::from_secs(2));
            }
        });
    if let Err(e) = spawned {
        eprintln!("kasa-desktop: cannot start the device status thread: {e}");
    }
}

/// Use the serial scanner given with `--scanner` for this run (not saved;
/// a scanner saved on the Devices screen later replaces it). Its scans
/// arrive as `scanner-input` events like any chosen scanner's.
pub fn spawn_serial_scanner(app: AppHandle, uri: String) {
    let state = app.state::<crate::state::AppState>();
    if let Err(e) = state.devices.serial.set_scanner(Some(&uri)) {
        let e = ApiError::from(e);
        eprintln!(
            "kasa-desktop: error[{}]: {} (--scanner {uri})",
            e.code, e.message
        );
    }
}

/// Forward the serial owners' state changes as `device-status` and the
/// scanner's codes as `scanner-input`.
fn spawn_serial_forwarders(app: &AppHandle, devices: &std::sync::Arc<Devices>) {
    let mut changes = devices.serial.bus.subscribe();
    let (events, owner) = (app.clone(), devices.clone());
    let states = std::thread::Builder::new()
        .name("kasa-device-events".into())
        .spawn(move || {
            while let Ok(change) = changes.blocking_recv() {
                if let Some((role, uri)) = owner.serial.role_of(&change.device) {
                    let view =
                        kasa_terminal::devices::serial::status_view(role, &uri, &change.state);
                    let _ = events.emit(EventName::DeviceStatus.as_str(), &status_view(view));
                }
            }
        });
    if let Err(e) = states {
        eprintln!("kasa-desktop: cannot start the device events thread: {e}");
    }
    let Some(scans) = devices.serial.take_scans() else {
        return;
    };
    let events = app.clone();
    let forwarded = std::thread::Builder::new()
        .name("kasa-serial-scans".into())
        .spawn(move || {
            for scan in scans {
                match scan {
                    Ok(scan) => {
                        let _ = events.emit(
                            EventName::ScannerInput.as_str(),
                            ScannerInput {
                                code: scan.code,
                                source: "serial".to_string(),
                            },
                        );
                    }
                    Err(e) => eprintln!("kasa-desktop: serial scanner: error[{}]: {e}", e.code()),
                }
            }
        });
    if let Err(e) = forwarded {
        eprintln!("kasa-desktop: cannot start the serial scans thread: {e}");
    }
}
