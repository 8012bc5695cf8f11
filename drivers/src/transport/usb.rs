//! USB printer-class transport over `rusb` (libusb).
//!
//! Finds the device by vendor and product id, picks the first interface of
//! class 7 (printer) in the active configuration — falling back to the first
//! interface with a bulk OUT endpoint, as some vendor-class printers (older
//! Star/Citizen) have — detaches the kernel `usblp` driver if bound, claims
//! the interface and uses its bulk OUT (and, when present, bulk IN)
//! endpoints.
//!
//! Where libusb sees no bus (no `/dev/bus/usb`, e.g. in containers) or no
//! such device, the error is `NotFound`; libusb's `Access` is
//! `PermissionDenied`, whose message names the udev rule to install.

use std::time::Duration;

use rusb::{Direction, TransferType, UsbContext};

use super::{Timeouts, Transport, duration_ms};
use crate::error::DriverError;

/// USB interface class of printers.
pub const USB_CLASS_PRINTER: u8 = 7;

pub struct UsbTransport {
    handle: rusb::DeviceHandle<rusb::GlobalContext>,
    interface: u8,
    out_endpoint: u8,
    in_endpoint: Option<u8>,
    device: String,
    timeouts: Timeouts,
}

impl std::fmt::Debug for UsbTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UsbTransport")
            .field("device", &self.device)
            .field("interface", &self.interface)
            .field("out_endpoint", &self.out_endpoint)
            .field("in_endpoint", &self.in_endpoint)
            .finish()
    }
}

fn map_usb(device: &str, operation: &'static str, timeout_ms: u64, e: rusb::Error) -> DriverError {
    let device_owned = device.to_string();
    match e {
        rusb::Error::Access => DriverError::PermissionDenied {
            device: device_owned,
        },
        rusb::Error::NotFound => DriverError::NotFound {
            device: device_owned,
            detail: format!("{operation}: {e}"),
        },
        rusb::Error::NoDevice | rusb::Error::Pipe | rusb::Error::Io => DriverError::Offline {
            device: device_owned,
            detail: format!("{operation}: {e}"),
        },
        rusb::Error::Timeout => DriverError::Timeout {
            device: device_owned,
            operation,
            timeout_ms,
        },
        other => DriverError::Device(format!("{device}: {operation}: {other}")),
    }
}

/// The printer interface and its bulk endpoints, from a config descriptor.
fn find_printer_interface(config: &rusb::ConfigDescriptor) -> Option<(u8, u8, Option<u8>)> {
    let mut fallback = None;
    for interface in config.interfaces() {
        for desc in interface.descriptors() {
            let mut out = None;
            let mut inp = None;
            for ep in desc.endpoint_descriptors() {
                if ep.transfer_type() != TransferType::Bulk {
                    continue;
                }
                match ep.direction() {
                    Direction::Out if out.is_none() => out = Some(ep.address()),
                    Direction::In if inp.is_none() => inp = Some(ep.address()),
                    _ => {}
                }
            }
            if let Some(out) = out {
                let found = (desc.interface_number(), out, inp);
                if desc.class_code() == USB_CLASS_PRINTER {
                    return Some(found);
                }
                fallback.get_or_insert(found);
            }
        }
    }
    fallback
}

impl UsbTransport {
    pub fn open(vendor_id: u16, product_id: u16, timeouts: Timeouts) -> Result<Self, DriverError> {
        let device = format!("usb://{vendor_id:04x}:{product_id:04x}");
        let not_found = |detail: String| DriverError::NotFound {
            device: device.clone(),
            detail,
        };
        let list =
            rusb::devices().map_err(|e| not_found(format!("cannot list USB devices: {e}")))?;
        let found = list.iter().find(|d| {
            d.device_descriptor()
                .map(|desc| desc.vendor_id() == vendor_id && desc.product_id() == product_id)
                .unwrap_or(false)
        });
        let Some(usb_device) = found else {
            let why = if std::path::Path::new("/dev/bus/usb").exists() {
                "no USB device with this vendor:product id is connected"
            } else {
                "no USB bus is visible (/dev/bus/usb is missing)"
            };
            return Err(not_found(why.to_string()));
        };
        let config = usb_device
            .active_config_descriptor()
            .or_else(|_| usb_device.config_descriptor(0))
            .map_err(|e| map_usb(&device, "reading descriptors", 0, e))?;
        let (interface, out_endpoint, in_endpoint) =
            find_printer_interface(&config).ok_or_else(|| {
                DriverError::Device(format!(
                    "{device}: has no interface with a bulk OUT endpoint"
                ))
            })?;
        let handle = usb_device
            .open()
            .map_err(|e| map_usb(&device, "opening", timeouts.connect_ms, e))?;
        // Not supported on every platform; claiming reports the real problem.
        let _ = handle.set_auto_detach_kernel_driver(true);
        handle
            .claim_interface(interface)
            .map_err(|e| map_usb(&device, "claiming the interface", timeouts.connect_ms, e))?;
        Ok(UsbTransport {
            handle,
            interface,
            out_endpoint,
            in_endpoint,
            device,
            timeouts,
        })
    }

    /// Whether a USB bus is visible to libusb at all (for discovery screens).
    pub fn bus_available() -> bool {
        rusb::GlobalContext::default().devices().is_ok()
            && std::path::Path::new("/dev/bus/usb").exists()
    }
}

impl Transport for UsbTransport {
    fn write_all(&mut self, mut bytes: &[u8]) -> Result<(), DriverError> {
        let timeout = Duration::from_millis(self.timeouts.write_ms.max(1));
        while !bytes.is_empty() {
            let n = self
                .handle
                .write_bulk(self.out_endpoint, bytes, timeout)
                .map_err(|e| map_usb(&self.device, "writing", self.timeouts.write_ms, e))?;
            if n == 0 {
                return Err(DriverError::Offline {
                    device: self.device.clone(),
                    detail: "device accepted no bytes".into(),
                });
            }
            bytes = &bytes[n..];
        }
        Ok(())
    }

    fn read(&mut self, buf: &mut [u8], timeout_ms: u64) -> Result<usize, DriverError> {
        let Some(ep) = self.in_endpoint else {
            return Err(DriverError::Device(format!(
                "{}: has no bulk IN endpoint; it cannot report status",
                self.device
            )));
        };
        match self.handle.read_bulk(ep, buf, duration_ms(timeout_ms)) {
            Ok(0) if !buf.is_empty() => Err(DriverError::Timeout {
                device: self.device.clone(),
                operation: "reading",
                timeout_ms,
            }),
            Ok(n) => Ok(n),
            Err(e) => Err(map_usb(&self.device, "reading", timeout_ms, e)),
        }
    }

    fn can_read(&self) -> bool {
        self.in_endpoint.is_some()
    }

    fn device(&self) -> String {
        self.device.clone()
    }
}

impl Drop for UsbTransport {
    fn drop(&mut self) {
        let _ = self.handle.release_interface(self.interface);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_device_is_a_clean_not_found() {
        // No printer with this id exists here (and often no USB bus at all).
        let err = UsbTransport::open(0xfffe, 0xfffd, Timeouts::default()).unwrap_err();
        assert_eq!(err.code(), "device.not_found", "{err}");
        assert!(err.to_string().contains("usb://fffe:fffd"));
    }

    #[test]
    fn libusb_errors_keep_causes_apart() {
        let cases = [
            (rusb::Error::Access, "device.permission_denied"),
            (rusb::Error::NotFound, "device.not_found"),
            (rusb::Error::NoDevice, "printer.offline"),
            (rusb::Error::Timeout, "device.timeout"),
            (rusb::Error::Busy, "device.error"),
        ];
        for (e, code) in cases {
            assert_eq!(
                map_usb("usb://04b8:0e15", "opening", 10, e).code(),
                code,
                "{e:?}"
            );
        }
        assert!(
            map_usb("usb://04b8:0e15", "opening", 10, rusb::Error::Access)
                .to_string()
                .contains("60-kasa-printers.rules")
        );
    }
}
