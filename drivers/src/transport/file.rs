//! File transports: a plain file (tests, previews) and a character device
//! (`/dev/usb/lp0`, kernel `usblp` or a parallel port).
//!
//! `file://` never answers (`can_read` is false), so a printer behind it
//! prints without status checks. `dev://` opens the device non-blocking so a
//! read can wait with a limit and a stuck write fails after `write_ms`
//! instead of hanging the till; while waiting it polls every 2 ms.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::uri::FileMode;
use super::{Timeouts, Transport};
use crate::error::DriverError;

#[derive(Debug)]
pub struct PlainFileTransport {
    file: File,
    path: PathBuf,
}

impl PlainFileTransport {
    /// Opens `path`: `Truncate` creates or empties it, `Append` creates or appends.
    pub fn open(path: &Path, mode: FileMode) -> Result<Self, DriverError> {
        let mut options = OpenOptions::new();
        options.create(true);
        match mode {
            FileMode::Truncate => options.write(true).truncate(true),
            FileMode::Append => options.append(true),
        };
        let device = format!("file://{}", path.display());
        let file = options
            .open(path)
            .map_err(|e| DriverError::from_io(&device, "opening", 0, &e))?;
        Ok(PlainFileTransport {
            file,
            path: path.to_path_buf(),
        })
    }
}

impl Transport for PlainFileTransport {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), DriverError> {
        let device = self.device();
        self.file
            .write_all(bytes)
            .map_err(|e| DriverError::from_io(&device, "writing", 0, &e))
    }

    fn read(&mut self, _buf: &mut [u8], _timeout_ms: u64) -> Result<usize, DriverError> {
        Err(DriverError::Device(format!(
            "{}: a plain file cannot answer status queries",
            self.device()
        )))
    }

    fn flush(&mut self) -> Result<(), DriverError> {
        let device = self.device();
        self.file
            .flush()
            .map_err(|e| DriverError::from_io(&device, "flushing", 0, &e))
    }

    fn can_read(&self) -> bool {
        false
    }

    fn device(&self) -> String {
        format!("file://{}", self.path.display())
    }
}

/// `O_NONBLOCK` on Linux (x86, x86_64, arm, aarch64, riscv); std has no
/// portable name for it and the crate allows no `unsafe`/libc calls.
const O_NONBLOCK: i32 = 0o4000;
const POLL_INTERVAL: Duration = Duration::from_millis(2);

#[derive(Debug)]
pub struct DeviceFileTransport {
    file: File,
    path: PathBuf,
    timeouts: Timeouts,
}

impl DeviceFileTransport {
    pub fn open(path: &Path, timeouts: Timeouts) -> Result<Self, DriverError> {
        let device = format!("dev://{}", path.display());
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(O_NONBLOCK)
            .open(path)
            .or_else(|e| {
                // Some printers' device nodes are write-only.
                if e.kind() == ErrorKind::PermissionDenied {
                    OpenOptions::new()
                        .write(true)
                        .custom_flags(O_NONBLOCK)
                        .open(path)
                } else {
                    Err(e)
                }
            })
            .map_err(|e| DriverError::from_io(&device, "opening", timeouts.connect_ms, &e))?;
        Ok(DeviceFileTransport {
            file,
            path: path.to_path_buf(),
            timeouts,
        })
    }
}

impl Transport for DeviceFileTransport {
    fn write_all(&mut self, mut bytes: &[u8]) -> Result<(), DriverError> {
        let device = self.device();
        let limit = Duration::from_millis(self.timeouts.write_ms);
        let mut last_progress = Instant::now();
        while !bytes.is_empty() {
            match self.file.write(bytes) {
                Ok(0) => {
                    return Err(DriverError::Offline {
                        device,
                        detail: "device accepts no more bytes".into(),
                    });
                }
                Ok(n) => {
                    bytes = &bytes[n..];
                    last_progress = Instant::now();
                }
                Err(e)
                    if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::Interrupted =>
                {
                    if last_progress.elapsed() >= limit {
                        return Err(DriverError::Timeout {
                            device,
                            operation: "writing",
                            timeout_ms: self.timeouts.write_ms,
                        });
                    }
                    std::thread::sleep(POLL_INTERVAL);
                }
                Err(e) => {
                    return Err(DriverError::from_io(
                        &device,
                        "writing",
                        self.timeouts.write_ms,
                        &e,
                    ));
                }
            }
        }
        Ok(())
    }

    fn read(&mut self, buf: &mut [u8], timeout_ms: u64) -> Result<usize, DriverError> {
        let device = self.device();
        let deadline = Instant::now() + Duration::from_millis(timeout_ms);
        loop {
            match self.file.read(buf) {
                Ok(n) if n > 0 || buf.is_empty() => return Ok(n),
                Ok(_) => {}
                Err(e)
                    if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(DriverError::from_io(&device, "reading", timeout_ms, &e)),
            }
            if Instant::now() >= deadline {
                return Err(DriverError::Timeout {
                    device,
                    operation: "reading",
                    timeout_ms,
                });
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }

    fn flush(&mut self) -> Result<(), DriverError> {
        let device = self.device();
        self.file
            .flush()
            .map_err(|e| DriverError::from_io(&device, "flushing", 0, &e))
    }

    fn device(&self) -> String {
        format!("dev://{}", self.path.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncate_replaces_and_append_extends() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.bin");
        for mode in [FileMode::Truncate, FileMode::Truncate] {
            let mut t = PlainFileTransport::open(&path, mode).unwrap();
            t.write_all(b"abc").unwrap();
        }
        assert_eq!(std::fs::read(&path).unwrap(), b"abc");
        let mut t = PlainFileTransport::open(&path, FileMode::Append).unwrap();
        t.write_all(b"def").unwrap();
        t.flush().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"abcdef");
        assert!(!t.can_read());
        assert_eq!(t.read(&mut [0; 4], 10).unwrap_err().code(), "device.error");
    }

    #[test]
    fn missing_directory_is_not_found() {
        let err = PlainFileTransport::open(Path::new("/no/such/dir/r.bin"), FileMode::Truncate)
            .unwrap_err();
        assert_eq!(err.code(), "device.not_found");
        let err =
            DeviceFileTransport::open(Path::new("/dev/usb/lp77"), Timeouts::default()).unwrap_err();
        assert_eq!(err.code(), "device.not_found");
    }

    #[test]
    fn device_file_reads_with_a_limit() {
        // A FIFO behaves like a character device: no data → timeout.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fifo");
        let status = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .unwrap();
        assert!(status.success());
        let mut t = DeviceFileTransport::open(&path, Timeouts::default()).unwrap();
        let err = t.read(&mut [0; 4], 20).unwrap_err();
        assert_eq!(err.code(), "device.timeout");
        t.write_all(b"hi").unwrap();
        let mut buf = [0u8; 4];
        assert_eq!(t.read(&mut buf, 500).unwrap(), 2);
        assert_eq!(&buf[..2], b"hi");
    }
}
