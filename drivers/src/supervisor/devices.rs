//! The owners of concrete devices: receipt printer, scale, serial scanner.
//!
//! - [`PrinterDevice`] opens a connection per command and per probe (network
//!   printers on port 9100 serve one connection at a time, and a job is what
//!   arrives on one connection), so "connected" means "answered its last
//!   status query". Probes read `DLE EOT` status.
//! - [`ScaleDevice`] keeps its serial port open (ports are exclusive) and
//!   probes with a status request (Toledo) or by reading a record (CAS).
//! - [`ScannerDevice`] keeps its port open; its probe *is* the reader: it
//!   waits up to one probe interval for scans and forwards them.

use std::sync::mpsc::Sender;

use crate::drawer::DrawerPulse;
use crate::error::DriverError;
use crate::printer::{PrinterProfile, ReceiptPrinter};
use crate::scale::{Scale, ScaleConfig, ScaleError, StableWeight};
use crate::scanner::{ScanError, ScanEvent, ScannerConfig, SerialScanner};
use crate::status::{PaperState, PrinterStatus};
use crate::transport::{DeviceUri, Timeouts};

use super::{DeviceState, SupervisedDevice};

/// The state a printer status shows.
pub fn printer_state(status: &PrinterStatus, device: &str) -> DeviceState {
    match status.blocking_error(device) {
        Some(e) => super::state_of_error(&e).0,
        None if status.paper == PaperState::NearEnd => DeviceState::PaperNearEnd,
        None => DeviceState::Online,
    }
}

/// Commands for a printer owner.
#[derive(Debug)]
pub enum PrinterCommand {
    PrintBytes {
        bytes: Vec<u8>,
        reply: Sender<Result<(), DriverError>>,
    },
    OpenDrawer {
        pulse: DrawerPulse,
        reply: Sender<Result<(), DriverError>>,
    },
    Status {
        reply: Sender<Result<PrinterStatus, DriverError>>,
    },
}

/// A receipt printer under supervision.
#[derive(Debug)]
pub struct PrinterDevice {
    uri: DeviceUri,
    profile: PrinterProfile,
    timeouts: Timeouts,
}

impl PrinterDevice {
    pub fn new(uri: DeviceUri, profile: PrinterProfile, timeouts: Timeouts) -> Self {
        Self {
            uri,
            profile,
            timeouts,
        }
    }

    fn open(&self) -> Result<ReceiptPrinter, DriverError> {
        ReceiptPrinter::open(&self.uri, self.profile.clone(), self.timeouts)
    }

    fn check(&self) -> Result<DeviceState, DriverError> {
        let mut printer = self.open()?;
        if !printer.can_report_status() {
            return Ok(DeviceState::Online);
        }
        let status = printer.status()?;
        Ok(printer_state(&status, &printer.device()))
    }
}

impl SupervisedDevice for PrinterDevice {
    type Command = PrinterCommand;

    fn name(&self) -> String {
        self.uri.to_string()
    }

    fn connect(&mut self) -> Result<DeviceState, DriverError> {
        self.check()
    }

    fn disconnect(&mut self) {}

    fn probe(&mut self) -> Result<DeviceState, DriverError> {
        self.check()
    }

    fn handle(&mut self, command: PrinterCommand) -> Result<(), DriverError> {
        match command {
            PrinterCommand::PrintBytes { bytes, reply } => {
                let result = self.open().and_then(|mut p| p.print_bytes(&bytes));
                let outcome = clone_outcome(&result);
                let _ = reply.send(result);
                outcome
            }
            PrinterCommand::OpenDrawer { pulse, reply } => {
                let result = self
                    .open()
                    .and_then(|mut p| p.open_drawer(pulse.pin, pulse.on_ms, pulse.off_ms));
                let outcome = clone_outcome(&result);
                let _ = reply.send(result);
                outcome
            }
            PrinterCommand::Status { reply } => {
                let result = self.open().and_then(|mut p| p.status());
                let outcome = clone_outcome(&result.as_ref().map(|_| ()).map_err(copy_error));
                let _ = reply.send(result);
                outcome
            }
        }
    }

    fn reject(&mut self, command: PrinterCommand, error: DriverError) {
        match command {
            PrinterCommand::PrintBytes { reply, .. } | PrinterCommand::OpenDrawer { reply, .. } => {
                let _ = reply.send(Err(error));
            }
            PrinterCommand::Status { reply } => {
                let _ = reply.send(Err(error));
            }
        }
    }
}

/// `DriverError` is not `Clone` (it may wrap OS errors in the future); this
/// rebuilds an equivalent value for the supervisor's own bookkeeping.
fn copy_error(e: &DriverError) -> DriverError {
    match e {
        DriverError::NotFound { device, detail } => DriverError::NotFound {
            device: device.clone(),
            detail: detail.clone(),
        },
        DriverError::PermissionDenied { device } => DriverError::PermissionDenied {
            device: device.clone(),
        },
        DriverError::Offline { device, detail } => DriverError::Offline {
            device: device.clone(),
            detail: detail.clone(),
        },
        DriverError::DeviceOffline {
            kind,
            device,
            detail,
        } => DriverError::DeviceOffline {
            kind: *kind,
            device: device.clone(),
            detail: detail.clone(),
        },
        DriverError::Timeout {
            device,
            operation,
            timeout_ms,
        } => DriverError::Timeout {
            device: device.clone(),
            operation,
            timeout_ms: *timeout_ms,
        },
        DriverError::PaperOut { device } => DriverError::PaperOut {
            device: device.clone(),
        },
        DriverError::CoverOpen { device } => DriverError::CoverOpen {
            device: device.clone(),
        },
        DriverError::Device(d) => DriverError::Device(d.clone()),
        DriverError::InvalidUri { uri, reason } => DriverError::InvalidUri {
            uri: uri.clone(),
            reason: reason.clone(),
        },
        DriverError::UnknownHost {
            device,
            host,
            detail,
        } => DriverError::UnknownHost {
            device: device.clone(),
            host: host.clone(),
            detail: detail.clone(),
        },
    }
}

fn clone_outcome(result: &Result<(), DriverError>) -> Result<(), DriverError> {
    result.as_ref().copied().map_err(copy_error)
}

/// Commands for a scale owner.
#[derive(Debug)]
pub enum ScaleCommand {
    ReadStable {
        reply: Sender<Result<StableWeight, ScaleError>>,
    },
    Zero {
        reply: Sender<Result<(), ScaleError>>,
    },
    Tare {
        reply: Sender<Result<(), ScaleError>>,
    },
}

/// Splits a scale error into what the supervisor must know (a transport
/// failure) and what is just the answer (unstable, overload...).
fn transport_part(e: &ScaleError) -> Option<DriverError> {
    match e {
        ScaleError::Transport(d) => Some(copy_error(d)),
        ScaleError::Timeout { device, timeout_ms } => Some(DriverError::Timeout {
            device: device.clone(),
            operation: "weighing",
            timeout_ms: *timeout_ms,
        }),
        _ => None,
    }
}

/// A serial scale under supervision.
#[derive(Debug)]
pub struct ScaleDevice {
    uri: DeviceUri,
    config: ScaleConfig,
    scale: Option<Scale>,
}

impl ScaleDevice {
    pub fn new(uri: DeviceUri, config: ScaleConfig) -> Self {
        Self {
            uri,
            config,
            scale: None,
        }
    }

    fn scale(&mut self) -> Result<&mut Scale, DriverError> {
        self.scale
            .as_mut()
            .ok_or_else(|| DriverError::DeviceOffline {
                kind: crate::error::DeviceKind::Scale,
                device: self.uri.to_string(),
                detail: "not connected".into(),
            })
    }

    fn run<T>(
        &mut self,
        op: impl FnOnce(&mut Scale) -> Result<T, ScaleError>,
        reply: &Sender<Result<T, ScaleError>>,
    ) -> Result<(), DriverError> {
        let result = self.scale().map_err(ScaleError::from).and_then(op);
        let transport = result.as_ref().err().and_then(transport_part);
        let _ = reply.send(result);
        transport.map_or(Ok(()), Err)
    }
}

fn scale_probe_state(result: Result<(), ScaleError>) -> Result<DeviceState, DriverError> {
    match result {
        Ok(()) => Ok(DeviceState::Online),
        Err(e) => match transport_part(&e) {
            Some(d) => Err(d),
            // Overload, motion etc. are readings, not faults of the link.
            None => Ok(DeviceState::Online),
        },
    }
}

impl SupervisedDevice for ScaleDevice {
    type Command = ScaleCommand;

    fn name(&self) -> String {
        self.uri.to_string()
    }

    fn connect(&mut self) -> Result<DeviceState, DriverError> {
        let scale = Scale::open(&self.uri, self.config).map_err(|e| match e {
            ScaleError::Transport(d) => d,
            other => DriverError::Device(other.to_string()),
        })?;
        self.scale = Some(scale);
        self.probe()
    }

    fn disconnect(&mut self) {
        self.scale = None;
    }

    fn probe(&mut self) -> Result<DeviceState, DriverError> {
        let scale = self.scale()?;
        let result = match scale.config().protocol {
            crate::scale::ScaleProtocol::ToledoDemand => scale.status().map(|_| ()),
            crate::scale::ScaleProtocol::CasContinuous => scale.read_once().map(|_| ()),
        };
        scale_probe_state(result)
    }

    fn handle(&mut self, command: ScaleCommand) -> Result<(), DriverError> {
        match command {
            ScaleCommand::ReadStable { reply } => self.run(Scale::read_stable, &reply),
            ScaleCommand::Zero { reply } => self.run(Scale::zero, &reply),
            ScaleCommand::Tare { reply } => self.run(Scale::tare, &reply),
        }
    }

    fn reject(&mut self, command: ScaleCommand, error: DriverError) {
        match command {
            ScaleCommand::ReadStable { reply } => {
                let _ = reply.send(Err(error.into()));
            }
            ScaleCommand::Zero { reply } | ScaleCommand::Tare { reply } => {
                let _ = reply.send(Err(error.into()));
            }
        }
    }
}

/// A serial scanner under supervision; scans go to `events`.
#[derive(Debug)]
pub struct ScannerDevice {
    uri: DeviceUri,
    config: ScannerConfig,
    /// How long one probe waits for scans.
    read_slice_ms: u64,
    scanner: Option<SerialScanner>,
    events: Sender<Result<ScanEvent, ScanError>>,
}

impl ScannerDevice {
    pub fn new(
        uri: DeviceUri,
        config: ScannerConfig,
        read_slice_ms: u64,
        events: Sender<Result<ScanEvent, ScanError>>,
    ) -> Self {
        Self {
            uri,
            config,
            read_slice_ms,
            scanner: None,
            events,
        }
    }
}

/// Scanners take no commands; the type has no values.
#[derive(Debug)]
pub enum NoCommand {}

impl SupervisedDevice for ScannerDevice {
    type Command = NoCommand;

    fn name(&self) -> String {
        self.uri.to_string()
    }

    fn connect(&mut self) -> Result<DeviceState, DriverError> {
        let scanner = SerialScanner::open(&self.uri, self.config.clone()).map_err(|e| match e {
            ScanError::Transport(d) => d,
            other => DriverError::Device(other.to_string()),
        })?;
        self.scanner = Some(scanner);
        Ok(DeviceState::Online)
    }

    fn disconnect(&mut self) {
        self.scanner = None;
    }

    fn probe(&mut self) -> Result<DeviceState, DriverError> {
        let scanner = self
            .scanner
            .as_mut()
            .ok_or_else(|| DriverError::DeviceOffline {
                kind: crate::error::DeviceKind::Scanner,
                device: self.uri.to_string(),
                detail: "not connected".into(),
            })?;
        loop {
            match scanner.next_scan(self.read_slice_ms) {
                Ok(None) => return Ok(DeviceState::Online),
                Ok(Some(scan)) => {
                    let _ = self.events.send(Ok(scan));
                }
                Err(ScanError::Transport(e)) => return Err(e),
                Err(frame_error) => {
                    let _ = self.events.send(Err(frame_error));
                }
            }
        }
    }

    fn handle(&mut self, command: NoCommand) -> Result<(), DriverError> {
        match command {}
    }

    fn reject(&mut self, command: NoCommand, _error: DriverError) {
        match command {}
    }
}
