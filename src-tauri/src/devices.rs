//! The till's devices as the desktop app owns them: the receipt printer
//! (through the persistent print queue of `kasa_drivers::queue`, so a dead
//! printer never blocks a sale), the cash drawer through the printer, a
//! serial scanner, the TCP printer simulator in `--demo`, and the
//! background threads that publish typed events (device status every 2 s,
//! sync status every 5 s, serial scans as they arrive).
//!
//! Decision: one background thread per concern, each owning its device
//! handle, talking to the UI only through events (the "one task owns each
//! device" idea). Commands never wait on a device except test print and
//! open drawer, which the user asked for explicitly.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use kasa_drivers::printer::{PrinterProfile, Receipt, ReceiptPrinter};
use kasa_drivers::queue::{JobPayload, JobState, PrintQueue, QueueConfig};
use kasa_drivers::sim::tcp_printer::{SimConfig, TcpPrinterSim};
use kasa_drivers::transport::{DeviceUri, Timeouts};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Emitter};

use crate::dto::{DeviceStatusView, EventName, PrintJobView, PrintOutcome, ScannerInput};
use crate::error::{ApiError, ApiResult};

/// Device choices saved in `<data-dir>/devices.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceConfig {
    /// Receipt printer URI (`tcp://…`, `serial://…`, `usb://…`, `file://…`).
    pub printer: Option<String>,
    /// Serial scanner URI.
    pub scanner: Option<String>,
}

impl DeviceConfig {
    /// Read the saved choices (missing file = nothing configured).
    pub fn load(path: &Path) -> DeviceConfig {
        std::fs::read_to_string(path)
            .ok()
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default()
    }

    /// Save atomically.
    pub fn save(&self, path: &Path) -> ApiResult<()> {
        let tmp = path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| ApiError::new("desktop.config", e.to_string()))?;
        std::fs::write(&tmp, text)
            .and_then(|_| std::fs::rename(&tmp, path))
            .map_err(|e| {
                ApiError::new(
                    "desktop.config",
                    format!(
                        "cannot save {} ({e}) — check the data directory's permissions",
                        path.display()
                    ),
                )
            })
    }
}

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
        })
    }

    /// The configured printer.
    pub fn printer_uri(&self) -> ApiResult<Option<DeviceUri>> {
        let config = self.config.lock().unwrap_or_else(|p| p.into_inner());
        match &config.printer {
            Some(text) => Ok(Some(DeviceUri::parse(text)?)),
            None => Ok(None),
        }
    }

    /// Choose the printer (empty = none) and save the choice.
    pub fn set_printer(&self, uri: Option<String>) -> ApiResult<()> {
        if let Some(text) = &uri {
            DeviceUri::parse(text)?;
        }
        let mut config = self.config.lock().unwrap_or_else(|p| p.into_inner());
        config.printer = uri;
        config.save(&self.config_path)
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

    /// Open the cash drawer through the printer's kick-out connector.
    pub fn open_drawer(&self) -> ApiResult<()> {
        let uri = self.printer_uri()?.ok_or_else(|| {
            ApiError::new(
                "desktop.no_printer",
                "the drawer opens through the receipt printer, and none is configured — choose one in Devices",
            )
        })?;
        let mut printer = ReceiptPrinter::open(&uri, self.profile.clone(), probe_timeouts())?;
        printer.open_drawer(kasa_drivers::printer::DrawerPin::Pin2, 100, 100)?;
        Ok(())
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

/// Publish the printer's status every 2 s when it changes.
pub fn spawn_status_thread(app: AppHandle, devices: std::sync::Arc<Devices>) {
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

/// Read a serial scanner and emit each code as `scanner-input`; reconnects
/// every 2 s when the port goes away.
pub fn spawn_serial_scanner(app: AppHandle, uri: String) {
    let spawned = std::thread::Builder::new()
        .name("kasa-serial-scanner".into())
        .spawn(move || {
            loop {
                let opened = DeviceUri::parse(&uri)
                    .map_err(|e| e.to_string())
                    .and_then(|u| {
                        kasa_drivers::scanner::SerialScanner::open(
                            &u,
                            kasa_drivers::scanner::ScannerConfig::default(),
                        )
                        .map_err(|e| e.to_string())
                    });
                let status = |state: &str, detail: Option<String>| DeviceStatusView {
                    device: "scanner".to_string(),
                    state: state.to_string(),
                    uri: Some(uri.clone()),
                    detail,
                };
                match opened {
                    Ok(mut scanner) => {
                        let _ = app.emit(EventName::DeviceStatus.as_str(), status("ready", None));
                        loop {
                            match scanner.next_scan(500) {
                                Ok(Some(scan)) => {
                                    let _ = app.emit(
                                        EventName::ScannerInput.as_str(),
                                        ScannerInput {
                                            code: scan.code,
                                            source: "serial".to_string(),
                                        },
                                    );
                                }
                                Ok(None) => {}
                                Err(e) => {
                                    let _ = app.emit(
                                        EventName::DeviceStatus.as_str(),
                                        status("offline", Some(e.to_string())),
                                    );
                                    break;
                                }
                            }
                        }
                    }
                    Err(e) => {
                        let _ =
                            app.emit(EventName::DeviceStatus.as_str(), status("offline", Some(e)));
                    }
                }
                std::thread::sleep(Duration::from_secs(2));
            }
        });
    if let Err(e) = spawned {
        eprintln!("kasa-desktop: cannot start the serial scanner thread: {e}");
    }
}
