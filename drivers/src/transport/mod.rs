//! Transports: moving bytes to and from a device.
//!
//! A device is named by a [`DeviceUri`] (syntax in [`uri`]) and opened with
//! [`open`], which returns a boxed [`Transport`]. Every transport has the
//! same contract:
//!
//! - [`Transport::write_all`] writes every byte or fails; a write that makes
//!   no progress for `Timeouts::write_ms` fails with `Timeout`.
//! - [`Transport::read`] returns `Ok(n)` with `n >= 1` as soon as bytes are
//!   there, `Err(Timeout)` when nothing arrived within `timeout_ms`, and
//!   `Err(Offline)` when the device closed the connection. A transport that
//!   cannot answer at all (a plain file) says so in [`Transport::can_read`]
//!   and its `read` fails with `Device`.
//! - [`Transport::flush`] pushes buffered bytes out.
//!
//! Errors keep causes apart (see [`DriverError`]): a missing device is
//! `NotFound`, missing rights `PermissionDenied` (fix with the udev rule in
//! `packaging/udev/`), a refused or dropped connection `Offline`.

mod file;
mod serial;
mod tcp;
pub mod uri;
mod usb;

pub use file::{DeviceFileTransport, PlainFileTransport};
pub use serial::SerialTransport;
pub use tcp::TcpTransport;
pub use uri::{DEFAULT_TCP_PORT, DeviceUri, FileMode, FlowControl, Parity, SerialSettings};
pub use usb::UsbTransport;

use crate::error::DriverError;

/// Time limits in milliseconds. `connect_ms` bounds opening the device (TCP
/// connect, USB claim), `write_ms` a write that makes no progress, `read_ms`
/// the default wait for an answer (callers of [`Transport::read`] pass their
/// own; this is what [`crate::printer::ReceiptPrinter`] uses for status).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub connect_ms: u64,
    pub write_ms: u64,
    pub read_ms: u64,
}

impl Default for Timeouts {
    /// 3 s to connect, 5 s per write, 1 s for an answer: a networked
    /// printer on a store LAN answers in milliseconds; these limits only
    /// stop a dead device from freezing the till.
    fn default() -> Self {
        Timeouts {
            connect_ms: 3_000,
            write_ms: 5_000,
            read_ms: 1_000,
        }
    }
}

/// A byte pipe to a device. Implementations are blocking; the supervisor
/// runs each device on its own thread/task.
pub trait Transport {
    /// Writes every byte of `bytes` or fails.
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), DriverError>;

    /// Waits up to `timeout_ms` for bytes from the device; see module docs.
    fn read(&mut self, buf: &mut [u8], timeout_ms: u64) -> Result<usize, DriverError>;

    /// Pushes out anything buffered.
    fn flush(&mut self) -> Result<(), DriverError> {
        Ok(())
    }

    /// Whether the device can answer (status queries make sense).
    fn can_read(&self) -> bool {
        true
    }

    /// The device this transport talks to (for messages).
    fn device(&self) -> String;
}

impl std::fmt::Debug for dyn Transport + Send {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Transport({})", self.device())
    }
}

/// Opens the device named by `uri`.
pub fn open(uri: &DeviceUri, timeouts: Timeouts) -> Result<Box<dyn Transport + Send>, DriverError> {
    Ok(match uri {
        DeviceUri::Tcp { host, port } => Box::new(TcpTransport::connect(host, *port, timeouts)?),
        DeviceUri::Serial { port, settings } => {
            Box::new(SerialTransport::open(port, *settings, timeouts)?)
        }
        DeviceUri::Usb {
            vendor_id,
            product_id,
        } => Box::new(UsbTransport::open(*vendor_id, *product_id, timeouts)?),
        DeviceUri::File { path, mode } => Box::new(PlainFileTransport::open(path, *mode)?),
        DeviceUri::Dev { path } => Box::new(DeviceFileTransport::open(path, timeouts)?),
    })
}

/// `timeout_ms` as a `Duration` usable for socket/port timeouts (never zero,
/// which std rejects and serialport treats as "return at once").
pub(crate) fn duration_ms(timeout_ms: u64) -> std::time::Duration {
    std::time::Duration::from_millis(timeout_ms.max(1))
}
