//! Cash drawers: opened by a pulse through the receipt printer's drawer
//! kick-out connector, or by a byte sequence on the drawer's own serial port.
//!
//! - Through the printer: Epson `ESC p m t1 t2` (5 bytes; `m` 0 = pin 2,
//!   1 = pin 5; `t1`/`t2` on/off time in 2 ms units). The bytes are encoded
//!   by [`crate::printer::ReceiptPrinter::open_drawer`]; this module only
//!   chooses pin and times. Defaults: pin 2, 100 ms on, 500 ms off — the
//!   solenoid values most drawer makers specify (pin 5 is the second drawer).
//! - Own serial port: the configured bytes are written as they are (serial
//!   drawer interfaces differ: some open on any byte, some want a fixed
//!   string), so there is no guessed default.
//!
//! Drawer state: printers report the drawer switch (connector pin 3) in
//! `DLE EOT 1`; [`drawer_state`] reads it where the transport can answer and
//! says [`DrawerState::Unknown`] where it cannot (a plain file, a serial
//! drawer without sensing).

use crate::error::DriverError;
use crate::printer::{DrawerPin, ReceiptPrinter};
use crate::queue::default_profile;
use crate::transport::{self, DeviceUri, Timeouts};

/// Pulse timing of the kick-out connector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DrawerPulse {
    pub pin: DrawerPin,
    /// 2..=510 ms (sent in 2 ms units).
    pub on_ms: u16,
    /// 2..=510 ms.
    pub off_ms: u16,
}

impl Default for DrawerPulse {
    fn default() -> Self {
        Self {
            pin: DrawerPin::Pin2,
            on_ms: 100,
            off_ms: 500,
        }
    }
}

/// How a drawer is connected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DrawerConnection {
    /// Kick-out connector of the printer at `printer`.
    ThroughPrinter {
        printer: DeviceUri,
        pulse: DrawerPulse,
    },
    /// Own port: write `open_bytes` to open.
    Serial {
        port: DeviceUri,
        open_bytes: Vec<u8>,
    },
}

/// What the drawer switch says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DrawerState {
    Open,
    Closed,
    /// The connection cannot report it.
    Unknown,
}

/// Opens the drawer.
pub fn open_drawer(connection: &DrawerConnection, timeouts: Timeouts) -> Result<(), DriverError> {
    match connection {
        DrawerConnection::ThroughPrinter { printer, pulse } => {
            let mut printer = ReceiptPrinter::open(printer, default_profile(), timeouts)?;
            printer.open_drawer(pulse.pin, pulse.on_ms, pulse.off_ms)
        }
        DrawerConnection::Serial { port, open_bytes } => {
            if open_bytes.is_empty() {
                return Err(DriverError::Device(format!(
                    "{port}: no open sequence configured for this serial drawer — set the bytes its interface expects"
                )));
            }
            let mut t = transport::open(port, timeouts)?;
            t.write_all(open_bytes)?;
            t.flush()
        }
    }
}

/// Reads the drawer switch where the connection can report it.
pub fn drawer_state(
    connection: &DrawerConnection,
    timeouts: Timeouts,
) -> Result<DrawerState, DriverError> {
    match connection {
        DrawerConnection::ThroughPrinter { printer, .. } => {
            let mut printer = ReceiptPrinter::open(printer, default_profile(), timeouts)?;
            if !printer.can_report_status() {
                return Ok(DrawerState::Unknown);
            }
            let status = printer.status()?;
            Ok(if status.drawer_open {
                DrawerState::Open
            } else {
                DrawerState::Closed
            })
        }
        DrawerConnection::Serial { .. } => Ok(DrawerState::Unknown),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pulse_through_a_file_printer_writes_epsons_five_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("drawer.bin");
        let printer = DeviceUri::parse(&format!("file://{}", out.display())).unwrap();
        let cases = [
            (DrawerPulse::default(), [0x1B, 0x70, 0, 50, 250]),
            (
                DrawerPulse {
                    pin: DrawerPin::Pin5,
                    on_ms: 60,
                    off_ms: 120,
                },
                [0x1B, 0x70, 1, 30, 60],
            ),
        ];
        for (pulse, expected) in cases {
            let c = DrawerConnection::ThroughPrinter {
                printer: printer.clone(),
                pulse,
            };
            open_drawer(&c, Timeouts::default()).unwrap();
            assert_eq!(std::fs::read(&out).unwrap(), expected);
            assert_eq!(
                drawer_state(&c, Timeouts::default()).unwrap(),
                DrawerState::Unknown
            );
        }
    }

    #[test]
    fn serial_drawer_writes_its_sequence_and_needs_one() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("serial-drawer.bin");
        let port = DeviceUri::parse(&format!("file://{}", out.display())).unwrap();
        let c = DrawerConnection::Serial {
            port: port.clone(),
            open_bytes: b"\x07open\r".to_vec(),
        };
        open_drawer(&c, Timeouts::default()).unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), b"\x07open\r");
        let empty = DrawerConnection::Serial {
            port,
            open_bytes: Vec::new(),
        };
        assert_eq!(
            open_drawer(&empty, Timeouts::default()).unwrap_err().code(),
            "device.error"
        );
    }
}
