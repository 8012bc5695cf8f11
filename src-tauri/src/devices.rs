//! The till's devices as the desktop app owns them: the receipt printer
//! (through the persistent print queue of `kasa_drivers::queue`, so a dead
//! printer never blocks a sale), the cash drawer (a pulse through the
//! printer or a drawer on its own serial port), the serial scanner and the
//! scale (each owned by a supervised thread, [`serial`]), the TCP printer
//! simulator in `--demo`, and the background threads that publish typed
//! events (device status, serial scans as they arrive).
//!
//! The choices are saved in `<data-dir>/devices.json` ([`config`]) and
//! applied at once: saving another scanner or scale stops the old owner and
//! starts the new one, without a restart.
//!
//! Decision: one background thread per device, each owning its handle,
//! talking to the UI only through events (the drivers' "one task owns each
//! device" rule). Commands wait on a device only when the cashier asked for
//! it: test print, open drawer, and a weight from the scale.

pub mod config;
pub mod serial;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use kasa_drivers::printer::{PrinterProfile, Receipt, ReceiptPrinter};
use kasa_drivers::queue::{JobPayload, JobState, PrintQueue, QueueConfig};
use kasa_drivers::sim::tcp_printer::{SimConfig, TcpPrinterSim};
use kasa_drivers::transport::{DeviceUri, Timeouts};
use tauri::{AppHandle, Emitter, Manager};

pub use config::{DeviceConfig, DrawerChoice};
use serial::SerialDevices;

use crate::dto::{DeviceStatusView, EventName, PrintJobView, PrintOutcome, ScannerInput};
use crate::error::{ApiError, ApiResult};

/// Short timeouts for status probes and explicit device actions.
pub fn probe_timeouts() -> Timeouts {
    Timeouts {
        connect_ms: 800,
        write_ms: 2_000,
        read_ms: 500,
    }
}

/// The devices of the running app.
#[derive(Debug)]
pub struct Devices {
    /// Persistent print queue with its worker.
    pub queue: PrintQueue,
    /// Chosen devices.
    pub config: Mutex<DeviceConfig>,
    config_path: PathBuf,
    /// Paper width / code page of the receipt printer.
    pub profile: PrinterProfile,
    /// The simulator started by `--demo` (stops when dropped).
    pub sim: Option<TcpPrinterSim>,
    /// The serial scanner and the scale.
    pub serial: SerialDevices,
}

impl Devices {
    /// Open the queue in `<data-dir>/print-queue`, read `devices.json`, and
    /// in demo mode start the printer simulator (jobs written to
    /// `<data-dir>/printer-sim/`) and make it the receipt printer.
    pub fn open(data_dir: &Path, demo: bool) -> ApiResult<Devices> {
        let queue = PrintQueue::open_with_worker(
            &data_dir.join("print-queue"),
            QueueConfig {
                timeouts: probe_timeouts(),
                ..QueueConfig::default()
            },
        )?;
        let config_path = data_dir.join("devices.json");
        let mut config = DeviceConfig::load(&config_path);
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
            config.printer = Some(sim.uri().to_string());
            Some(sim)
        } else {
            None
        };
        Ok(Devices {
            queue,
            config: Mutex::new(config),
            config_path,
            profile: kasa_drivers::queue::default_profile(),
            sim,
            serial: SerialDevices::default(),
        })
    }

    /// The saved choices.
    pub fn config(&self) -> DeviceConfig {
        self.config
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Check, save and apply new choices (the scanner and scale owners
    /// are restarted only when their device changed).
    pub fn save_config(&self, new: DeviceConfig) -> ApiResult<()> {
        new.validate()?;
        {
            let mut config = self.config.lock().unwrap_or_else(|p| p.into_inner());
            new.save(&self.config_path)?;
            *config = new;
        }
        self.apply()
    }

    /// Start (or stop) the scanner and scale owners for the saved choices.
    pub fn apply(&self) -> ApiResult<()> {
        let config = self.config();
        self.serial.set_scanner(config.scanner.as_deref())?;
        self.serial
            .set_scale(config.scale.as_deref(), config.scale_protocol()?)
    }

    /// The configured printer.
    pub fn printer_uri(&self) -> ApiResult<Option<DeviceUri>> {
        let config = self.config.lock().unwrap_or_else(|p| p.into_inner());
        match &config.printer {
            Some(text) => Ok(Some(DeviceUri::parse(text)?)),
            None => Ok(None),
        }
    }

    /// Queue a receipt; the queue's worker prints it. Never fails the
    /// caller's document: errors become the outcome's message.
    pub fn print(&self, receipt: Receipt) -> PrintOutcome {
        match self.printer_uri() {
            Ok(Some(uri)) => match self.queue.enqueue(
                &uri,
                self.profile.clone(),
                JobPayload::Receipt { receipt },
                false,
            ) {
                Ok(id) => PrintOutcome {
                    job_id: Some(id),
                    state: "queued".to_string(),
                    message: None,
                },
                Err(e) => PrintOutcome {
                    job_id: None,
                    state: "failed".to_string(),
                    message: Some(e.to_string()),
                },
            },
            Ok(None) => PrintOutcome {
                job_id: None,
                state: "no_printer".to_string(),
                message: Some(
                    "no receipt printer is configured — choose one in Devices".to_string(),
                ),
            },
            Err(e) => PrintOutcome {
                job_id: None,
                state: "failed".to_string(),
                message: Some(e.message),
            },
        }
    }

    /// The queue's jobs, newest first, at most `limit`.
    pub fn jobs(&self, limit: usize) -> Vec<PrintJobView> {
        let mut jobs = self.queue.jobs();
        jobs.reverse();
        jobs.into_iter()
            .take(limit)
            .map(|j| PrintJobView {
                id: j.id,
                state: job_state_name(&j.state).to_string(),
                copy: j.copy,
                error: j.last_error.map(|e| e.message),
            })
            .collect()
    }

    /// Probe the printer now.
    pub fn printer_status(&self) -> DeviceStatusView {
        let uri = match self.printer_uri() {
            Ok(Some(uri)) => uri,
            Ok(None) => {
                return DeviceStatusView {
                    device: "printer".to_string(),
                    state: "not_configured".to_string(),
                    uri: None,
                    detail: None,
                };
            }
            Err(e) => {
                return DeviceStatusView {
                    device: "printer".to_string(),
                    state: "error".to_string(),
                    uri: None,
                    detail: Some(e.message),
                };
            }
        };
        let probe =
            ReceiptPrinter::open(&uri, self.profile.clone(), probe_timeouts()).and_then(|mut p| {
                if p.can_report_status() {
                    p.status().map(Some)
                } else {
                    Ok(None)
                }
            });
        let (state, detail) = match probe {
            Ok(None) => (
                "ready",
                Some("this connection cannot report status".to_string()),
            ),
            Ok(Some(s)) if !s.online => ("offline", None),
            Ok(Some(s)) if s.cover_open => ("cover_open", None),
            Ok(Some(s)) if s.paper == kasa_drivers::status::PaperState::Out => ("paper_out", None),
            Ok(Some(s)) if s.error.is_some() => ("error", s.error.map(|e| format!("{e:?}"))),
            Ok(Some(s)) if s.paper == kasa_drivers::status::PaperState::NearEnd => {
                ("paper_near_end", None)
            }
            Ok(Some(_)) => ("ready", None),
            Err(e) => match kasa_drivers::supervisor::state_of_error(&e).0 {
                kasa_drivers::supervisor::DeviceState::PaperOut => ("paper_out", None),
                kasa_drivers::supervisor::DeviceState::CoverOpen => ("cover_open", None),
                kasa_drivers::supervisor::DeviceState::Error(r) => ("error", Some(r)),
                _ => ("offline", Some(e.to_string())),
            },
        };
        DeviceStatusView {
            device: "printer".to_string(),
            state: state.to_string(),
            uri: Some(uri.to_string()),
            detail,
        }
    }

    /// Open the cash drawer the way it is configured (printer pulse or
    /// its own serial port).
    pub fn open_drawer(&self) -> ApiResult<()> {
        let connection = self.config().drawer_connection()?;
        kasa_drivers::drawer::open_drawer(&connection, probe_timeouts())?;
        Ok(())
    }

    /// The drawer switch where the connection reports it.
    pub fn drawer_status(&self) -> DeviceStatusView {
        let config = self.config();
        let uri = match &config.drawer {
            DrawerChoice::None => None,
            DrawerChoice::Printer => Some("printer".to_string()),
            DrawerChoice::Serial { uri, .. } => Some(uri.clone()),
        };
        let (state, detail) = match config.drawer_connection() {
            Err(e) if config.drawer == DrawerChoice::None => {
                ("not_configured".to_string(), Some(e.message))
            }
            Err(e) => ("error".to_string(), Some(e.message)),
            Ok(c) => match kasa_drivers::drawer::drawer_state(&c, probe_timeouts()) {
                Ok(kasa_drivers::drawer::DrawerState::Open) => ("open".to_string(), None),
                Ok(kasa_drivers::drawer::DrawerState::Closed) => ("closed".to_string(), None),
                Ok(kasa_drivers::drawer::DrawerState::Unknown) => (
                    "ready".to_string(),
                    Some("this connection cannot report whether the drawer is open".to_string()),
                ),
                Err(e) => ("offline".to_string(), Some(e.to_string())),
            },
        };
        DeviceStatusView {
            device: "drawer".to_string(),
            state,
            uri,
            detail,
        }
    }

    /// Every device's state: printer, drawer, scanner, scale.
    pub fn status(&self) -> Vec<DeviceStatusView> {
        let mut all = vec![self.printer_status(), self.drawer_status()];
        all.extend(self.serial.status());
        all
    }
}

fn job_state_name(state: &JobState) -> &'static str {
    match state {
        JobState::Queued => "queued",
        JobState::Printing => "printing",
        JobState::Printed { .. } => "printed",
        JobState::Failed { .. } => "failed",
    }
}

/// Start the devices: the scanner and scale owners for the saved choices,
/// the threads that forward their states and scans as events, and the
/// printer's status every 2 s when it changes.
pub fn spawn_status_thread(app: AppHandle, devices: std::sync::Arc<Devices>) {
    spawn_serial_forwarders(&app, &devices);
    if let Err(e) = devices.apply() {
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
                    let view = serial::status_view(role, &uri, &change.state);
                    let _ = events.emit(EventName::DeviceStatus.as_str(), &view);
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
