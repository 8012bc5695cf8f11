//! A serial barcode scanner simulator: writes codes to one end of a pty pair
//! ([`super::pty::PtyPair`]) the way a configured scanner would —
//! `[prefix] [AIM id] code suffix`.

use std::io::Write;
use std::path::Path;

use crate::error::DriverError;
use crate::scanner::Suffix;

/// The device side of a simulated serial scanner.
#[derive(Debug)]
pub struct SerialScannerSim {
    port: std::fs::File,
    prefix: Vec<u8>,
    suffix: Suffix,
}

impl SerialScannerSim {
    /// Opens the device end of a pty with the scanner's prefix and suffix.
    pub fn open(device_end: &Path, prefix: &[u8], suffix: Suffix) -> Result<Self, DriverError> {
        let port = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(device_end)
            .map_err(|e| {
                DriverError::from_io(&device_end.display().to_string(), "opening", 0, &e)
            })?;
        Ok(Self {
            port,
            prefix: prefix.to_vec(),
            suffix,
        })
    }

    /// Sends one scan: prefix, optional AIM id (e.g. `"]E0"`), code, suffix.
    pub fn scan(&mut self, aim_id: Option<&str>, code: &str) -> Result<(), DriverError> {
        let mut frame = self.prefix.clone();
        frame.extend_from_slice(aim_id.unwrap_or("").as_bytes());
        frame.extend_from_slice(code.as_bytes());
        frame.extend_from_slice(self.suffix.bytes());
        self.write_raw(&frame)
    }

    /// Sends raw bytes (noise, broken frames).
    pub fn write_raw(&mut self, bytes: &[u8]) -> Result<(), DriverError> {
        self.port
            .write_all(bytes)
            .and_then(|()| self.port.flush())
            .map_err(|e| DriverError::from_io("scanner simulator", "writing", 0, &e))
    }
}
