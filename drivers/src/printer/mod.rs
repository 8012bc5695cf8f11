//! Receipt printers: the document model ([`receipt`]), printer profiles
//! ([`profile`]), code pages ([`codepage`]), raster text ([`raster`]),
//! ESC/POS rendering ([`render()`]), the printed text for previews ([`text`]) and [`ReceiptPrinter`], which sends a
//! rendered receipt to a device after checking it can print.
//!
//! ## Printing rule
//! [`ReceiptPrinter::print`] asks the printer's real-time status first
//! (`DLE EOT 1..4`); with the cover open, paper out, a fault or offline it
//! returns the typed error and sends nothing, so a job is never half-printed
//! on an empty roll. After writing, it asks the status once more: a printer
//! that vanished mid-job (connection closed, no answer) gives `Offline`, and
//! the caller (the print queue) keeps the job for a reprint. Transports that
//! cannot answer (a plain file) skip both checks.

pub mod codepage;
mod escpos_backend;
pub mod glyphs;
pub mod profile;
pub mod raster;
pub mod receipt;
pub mod render;
pub mod text;

pub use codepage::CodePage;
pub use profile::{Font, PaperWidth, PrinterFamily, PrinterProfile};
pub use receipt::{Align, BarcodeKind, Block, DrawerPin, Receipt, TextStyle};
pub use render::render;

use crate::error::DriverError;
use crate::status::{self, DrawerSense, PrinterStatus};
use crate::transport::{self, DeviceUri, Timeouts, Transport};

/// A receipt printer on some transport.
#[derive(Debug)]
pub struct ReceiptPrinter {
    transport: Box<dyn Transport + Send>,
    profile: PrinterProfile,
    timeouts: Timeouts,
    drawer_sense: DrawerSense,
}

impl ReceiptPrinter {
    /// Opens the device at `uri`.
    pub fn open(
        uri: &DeviceUri,
        profile: PrinterProfile,
        timeouts: Timeouts,
    ) -> Result<Self, DriverError> {
        Ok(Self::with_transport(
            transport::open(uri, timeouts)?,
            profile,
            timeouts,
        ))
    }

    /// Uses an already open transport.
    pub fn with_transport(
        transport: Box<dyn Transport + Send>,
        profile: PrinterProfile,
        timeouts: Timeouts,
    ) -> Self {
        ReceiptPrinter {
            transport,
            profile,
            timeouts,
            drawer_sense: DrawerSense::default(),
        }
    }

    pub fn with_drawer_sense(mut self, sense: DrawerSense) -> Self {
        self.drawer_sense = sense;
        self
    }

    pub fn profile(&self) -> &PrinterProfile {
        &self.profile
    }

    pub fn device(&self) -> String {
        self.transport.device()
    }

    /// Whether this printer can report status.
    pub fn can_report_status(&self) -> bool {
        self.transport.can_read()
    }

    /// Queries `DLE EOT 1..4`. No complete answer within `read_ms` is `Offline`.
    pub fn status(&mut self) -> Result<PrinterStatus, DriverError> {
        let device = self.transport.device();
        if !self.transport.can_read() {
            return Err(DriverError::Device(format!(
                "{device}: cannot report status"
            )));
        }
        // The four requests go out together; printers answer real-time
        // requests in order as they arrive, so one round trip suffices.
        let mut request = Vec::with_capacity(12);
        for n in 1u8..=4 {
            request.extend_from_slice(&status::request(n));
        }
        self.transport.write_all(&request)?;
        self.transport.flush()?;
        let mut answers = [0u8; 4];
        let mut got = 0;
        let deadline =
            std::time::Instant::now() + std::time::Duration::from_millis(self.timeouts.read_ms);
        while got < answers.len() {
            let left_ms = deadline
                .saturating_duration_since(std::time::Instant::now())
                .as_millis() as u64;
            let result = if left_ms == 0 {
                Err(DriverError::Timeout {
                    device: device.clone(),
                    operation: "reading status",
                    timeout_ms: self.timeouts.read_ms,
                })
            } else {
                self.transport.read(&mut answers[got..], left_ms)
            };
            match result {
                Ok(n) => got += n,
                Err(DriverError::Timeout { .. }) => {
                    return Err(DriverError::Offline {
                        device,
                        detail: format!(
                            "no answer to DLE EOT {} within {} ms",
                            got + 1,
                            self.timeouts.read_ms
                        ),
                    });
                }
                Err(e) => return Err(e),
            }
        }
        PrinterStatus::parse(answers, self.drawer_sense)
            .map_err(|e| DriverError::Device(format!("{device}: {e}")))
    }

    /// Renders and prints `receipt` (rule in the module docs).
    pub fn print(&mut self, receipt: &Receipt) -> Result<(), DriverError> {
        let bytes = render(receipt, &self.profile);
        self.print_bytes(&bytes)
    }

    /// Prints already rendered bytes (reprints from the queue), with the same checks.
    pub fn print_bytes(&mut self, bytes: &[u8]) -> Result<(), DriverError> {
        let checks = self.transport.can_read();
        if checks {
            let before = self.status()?;
            if let Some(e) = before.blocking_error(&self.transport.device()) {
                return Err(e);
            }
        }
        self.transport.write_all(bytes)?;
        self.transport.flush()?;
        if checks {
            let after = self.status()?;
            if let Some(e) = after.blocking_error(&self.transport.device()) {
                return Err(e);
            }
        }
        Ok(())
    }

    /// Sends raw bytes without status checks (drawer pulses, tests).
    pub fn send_raw(&mut self, bytes: &[u8]) -> Result<(), DriverError> {
        self.transport.write_all(bytes)?;
        self.transport.flush()
    }

    /// Pulses the drawer through the printer (`ESC p m t1 t2`).
    pub fn open_drawer(
        &mut self,
        pin: DrawerPin,
        on_ms: u16,
        off_ms: u16,
    ) -> Result<(), DriverError> {
        self.send_raw(&escpos_backend::drawer_pulse(pin, on_ms, off_ms))
    }
}
