//! Serial transport over the `serialport` crate.
//!
//! The port is opened exclusively (serialport's default on Unix), so a second
//! program cannot interleave bytes with ours. A missing port is `NotFound`;
//! a port that vanishes while in use (USB-serial unplugged) is `Offline`.

use std::io::{Read, Write};

use super::uri::{FlowControl, Parity, SerialSettings};
use super::{Timeouts, Transport, duration_ms};
use crate::error::DriverError;

pub struct SerialTransport {
    port: Box<dyn serialport::SerialPort>,
    device: String,
    timeouts: Timeouts,
}

impl std::fmt::Debug for SerialTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SerialTransport")
            .field("device", &self.device)
            .finish()
    }
}

fn map_serial(
    device: &str,
    operation: &'static str,
    timeout_ms: u64,
    e: serialport::Error,
) -> DriverError {
    match e.kind {
        serialport::ErrorKind::NoDevice => {
            // Linux reports EACCES/ENOENT as NoDevice with a description; keep them apart.
            let d = e.description.to_ascii_lowercase();
            if d.contains("permission") {
                DriverError::PermissionDenied {
                    device: device.to_string(),
                }
            } else {
                DriverError::NotFound {
                    device: device.to_string(),
                    detail: e.description,
                }
            }
        }
        serialport::ErrorKind::Io(kind) => DriverError::from_io(
            device,
            operation,
            timeout_ms,
            &std::io::Error::new(kind, e.description),
        ),
        serialport::ErrorKind::InvalidInput => DriverError::InvalidUri {
            uri: device.to_string(),
            reason: e.description,
        },
        serialport::ErrorKind::Unknown => {
            DriverError::Device(format!("{device}: {operation}: {}", e.description))
        }
    }
}

/// After the port disappears, reads/writes fail with EIO or similar: that is
/// the device going away, not a device-side fault.
fn map_io_in_use(
    device: &str,
    operation: &'static str,
    timeout_ms: u64,
    e: &std::io::Error,
) -> DriverError {
    match DriverError::from_io(device, operation, timeout_ms, e) {
        DriverError::Device(detail)
            if e.raw_os_error() == Some(5) || e.raw_os_error() == Some(19) =>
        {
            DriverError::Offline {
                device: device.to_string(),
                detail,
            }
        }
        DriverError::NotFound { detail, .. } => DriverError::Offline {
            device: device.to_string(),
            detail,
        },
        other => other,
    }
}

impl SerialTransport {
    pub fn open(port: &str, s: SerialSettings, timeouts: Timeouts) -> Result<Self, DriverError> {
        let device = format!("serial://{port}");
        let data_bits = match s.data_bits {
            5 => serialport::DataBits::Five,
            6 => serialport::DataBits::Six,
            7 => serialport::DataBits::Seven,
            _ => serialport::DataBits::Eight,
        };
        let stop_bits = if s.stop_bits == 2 {
            serialport::StopBits::Two
        } else {
            serialport::StopBits::One
        };
        let parity = match s.parity {
            Parity::None => serialport::Parity::None,
            Parity::Even => serialport::Parity::Even,
            Parity::Odd => serialport::Parity::Odd,
        };
        let flow = match s.flow {
            FlowControl::None => serialport::FlowControl::None,
            FlowControl::Hardware => serialport::FlowControl::Hardware,
            FlowControl::Software => serialport::FlowControl::Software,
        };
        if port.starts_with('/') && !std::path::Path::new(port).exists() {
            return Err(DriverError::NotFound {
                device,
                detail: "no such serial port".into(),
            });
        }
        let opened = serialport::new(port, s.baud)
            .data_bits(data_bits)
            .stop_bits(stop_bits)
            .parity(parity)
            .flow_control(flow)
            .timeout(duration_ms(timeouts.write_ms))
            .open()
            .map_err(|e| map_serial(&device, "opening", timeouts.connect_ms, e))?;
        Ok(SerialTransport {
            port: opened,
            device,
            timeouts,
        })
    }
}

impl Transport for SerialTransport {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), DriverError> {
        let device = &self.device;
        self.port
            .set_timeout(duration_ms(self.timeouts.write_ms))
            .map_err(|e| map_serial(device, "configuring", 0, e))?;
        self.port
            .write_all(bytes)
            .map_err(|e| map_io_in_use(device, "writing", self.timeouts.write_ms, &e))
    }

    fn read(&mut self, buf: &mut [u8], timeout_ms: u64) -> Result<usize, DriverError> {
        let device = &self.device;
        self.port
            .set_timeout(duration_ms(timeout_ms))
            .map_err(|e| map_serial(device, "configuring", 0, e))?;
        match self.port.read(buf) {
            Ok(0) if !buf.is_empty() => Err(DriverError::Offline {
                device: device.clone(),
                detail: "port closed".into(),
            }),
            Ok(n) => Ok(n),
            Err(e) => Err(map_io_in_use(device, "reading", timeout_ms, &e)),
        }
    }

    fn flush(&mut self) -> Result<(), DriverError> {
        self.port
            .flush()
            .map_err(|e| map_io_in_use(&self.device, "flushing", self.timeouts.write_ms, &e))
    }

    fn device(&self) -> String {
        self.device.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_port_is_not_found() {
        let err = SerialTransport::open(
            "/dev/ttyNOPE42",
            SerialSettings::default(),
            Timeouts::default(),
        )
        .unwrap_err();
        assert_eq!(err.code(), "device.not_found", "{err}");
    }
}
