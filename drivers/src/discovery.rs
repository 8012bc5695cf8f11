//! Device discovery for the settings screen: serial ports (with USB vendor,
//! product and names where the port is a USB adapter or a USB-CDC scanner)
//! and USB printers (devices with a printer-class interface, class 7).
//!
//! A machine without USB (no `/dev/bus/usb`, e.g. a container or a till
//! with only network printers) gives empty lists, not errors: "nothing
//! found" is an answer the screen can show. Every entry carries the device
//! URI to paste into the configuration.

use std::path::Path;

use serde::Serialize;

use crate::error::DriverError;

/// USB interface / device class of printers.
pub const USB_CLASS_PRINTER: u8 = 7;

/// How a serial port is attached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SerialAttachment {
    Usb {
        vendor_id: u16,
        product_id: u16,
        manufacturer: Option<String>,
        product: Option<String>,
        serial_number: Option<String>,
    },
    Pci,
    Bluetooth,
    Unknown,
}

/// One serial port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SerialPortEntry {
    pub path: String,
    pub attachment: SerialAttachment,
    /// `serial://<path>?baud=9600` — change the baud to the device's.
    pub uri: String,
}

/// One USB printer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UsbPrinterEntry {
    pub vendor_id: u16,
    pub product_id: u16,
    pub bus: u8,
    pub address: u8,
    /// Read from the device where permissions allow, else `None`.
    pub manufacturer: Option<String>,
    pub product: Option<String>,
    /// `usb://vvvv:pppp`.
    pub uri: String,
}

/// Everything found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Discovered {
    pub serial_ports: Vec<SerialPortEntry>,
    pub usb_printers: Vec<UsbPrinterEntry>,
}

/// Lists serial ports.
pub fn serial_ports() -> Result<Vec<SerialPortEntry>, DriverError> {
    let ports = match serialport::available_ports() {
        Ok(p) => p,
        // No serial subsystem to enumerate (containers): nothing found.
        Err(e)
            if matches!(
                e.kind,
                serialport::ErrorKind::NoDevice | serialport::ErrorKind::Unknown
            ) =>
        {
            return Ok(Vec::new());
        }
        Err(e) => return Err(DriverError::Device(format!("listing serial ports: {e}"))),
    };
    let mut out: Vec<SerialPortEntry> = ports
        .into_iter()
        .map(|p| {
            let attachment = match p.port_type {
                serialport::SerialPortType::UsbPort(u) => SerialAttachment::Usb {
                    vendor_id: u.vid,
                    product_id: u.pid,
                    manufacturer: u.manufacturer,
                    product: u.product,
                    serial_number: u.serial_number,
                },
                serialport::SerialPortType::PciPort => SerialAttachment::Pci,
                serialport::SerialPortType::BluetoothPort => SerialAttachment::Bluetooth,
                serialport::SerialPortType::Unknown => SerialAttachment::Unknown,
            };
            SerialPortEntry {
                uri: format!("serial://{}?baud=9600", p.port_name),
                path: p.port_name,
                attachment,
            }
        })
        .collect();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// Whether a device with this device class and these interface classes is
/// a printer (class 7 on the device or on any interface).
pub fn is_printer(device_class: u8, interface_classes: &[u8]) -> bool {
    device_class == USB_CLASS_PRINTER || interface_classes.contains(&USB_CLASS_PRINTER)
}

/// Lists USB printers. Empty where there is no USB bus to look at.
pub fn usb_printers() -> Result<Vec<UsbPrinterEntry>, DriverError> {
    if cfg!(target_os = "linux") && !Path::new("/dev/bus/usb").exists() {
        return Ok(Vec::new());
    }
    let devices = match rusb::devices() {
        Ok(d) => d,
        Err(rusb::Error::NotFound | rusb::Error::NotSupported | rusb::Error::Access) => {
            return Ok(Vec::new());
        }
        Err(e) => return Err(DriverError::Device(format!("listing USB devices: {e}"))),
    };
    let mut out = Vec::new();
    for device in devices.iter() {
        let Ok(desc) = device.device_descriptor() else {
            continue;
        };
        let mut interface_classes = Vec::new();
        for i in 0..desc.num_configurations() {
            if let Ok(config) = device.config_descriptor(i) {
                for interface in config.interfaces() {
                    for alt in interface.descriptors() {
                        interface_classes.push(alt.class_code());
                    }
                }
            }
        }
        if !is_printer(desc.class_code(), &interface_classes) {
            continue;
        }
        // Names need the device opened; without permission they stay unknown.
        let (manufacturer, product) = match device.open() {
            Ok(handle) => (
                handle.read_manufacturer_string_ascii(&desc).ok(),
                handle.read_product_string_ascii(&desc).ok(),
            ),
            Err(_) => (None, None),
        };
        out.push(UsbPrinterEntry {
            vendor_id: desc.vendor_id(),
            product_id: desc.product_id(),
            bus: device.bus_number(),
            address: device.address(),
            manufacturer,
            product,
            uri: format!("usb://{:04x}:{:04x}", desc.vendor_id(), desc.product_id()),
        });
    }
    Ok(out)
}

/// Serial ports and USB printers together.
pub fn discover() -> Result<Discovered, DriverError> {
    Ok(Discovered {
        serial_ports: serial_ports()?,
        usb_printers: usb_printers()?,
    })
}

/// Readable listing for the CLI.
pub fn describe(found: &Discovered) -> String {
    let mut s = String::from("Serial ports:\n");
    if found.serial_ports.is_empty() {
        s.push_str("  (none found)\n");
    }
    for p in &found.serial_ports {
        let what = match &p.attachment {
            SerialAttachment::Usb {
                vendor_id,
                product_id,
                manufacturer,
                product,
                ..
            } => format!(
                "USB {vendor_id:04x}:{product_id:04x} {} {}",
                manufacturer.as_deref().unwrap_or(""),
                product.as_deref().unwrap_or("")
            ),
            SerialAttachment::Pci => "PCI".into(),
            SerialAttachment::Bluetooth => "Bluetooth".into(),
            SerialAttachment::Unknown => "unknown".into(),
        };
        s.push_str(&format!("  {}  {}  {}\n", p.path, what.trim_end(), p.uri));
    }
    s.push_str("USB printers:\n");
    if found.usb_printers.is_empty() {
        s.push_str("  (none found)\n");
    }
    for p in &found.usb_printers {
        s.push_str(&format!(
            "  {:04x}:{:04x} bus {} addr {}  {} {}  {}\n",
            p.vendor_id,
            p.product_id,
            p.bus,
            p.address,
            p.manufacturer.as_deref().unwrap_or("?"),
            p.product.as_deref().unwrap_or("?"),
            p.uri
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printer_class_on_device_or_interface() {
        assert!(is_printer(7, &[]));
        assert!(is_printer(0, &[3, 7]));
        assert!(!is_printer(0, &[3, 8, 255]));
        assert!(!is_printer(9, &[9]));
    }

    #[test]
    fn discovery_answers_without_hardware() {
        let found = discover().unwrap();
        if !Path::new("/dev/bus/usb").exists() {
            assert!(found.usb_printers.is_empty());
        }
        for p in &found.serial_ports {
            assert!(p.uri.starts_with("serial://"));
        }
        let text = describe(&found);
        assert!(text.contains("Serial ports:") && text.contains("USB printers:"));
    }

    #[test]
    fn describe_lists_entries_with_uris() {
        let found = Discovered {
            serial_ports: vec![SerialPortEntry {
                path: "/dev/ttyACM0".into(),
                attachment: SerialAttachment::Usb {
                    vendor_id: 0x05e0,
                    product_id: 0x1200,
                    manufacturer: Some("Zebra".into()),
                    product: Some("Symbol Bar Code Scanner".into()),
                    serial_number: None,
                },
                uri: "serial:///dev/ttyACM0?baud=9600".into(),
            }],
            usb_printers: vec![UsbPrinterEntry {
                vendor_id: 0x04b8,
                product_id: 0x0e15,
                bus: 1,
                address: 4,
                manufacturer: None,
                product: None,
                uri: "usb://04b8:0e15".into(),
            }],
        };
        let text = describe(&found);
        assert!(text.contains("/dev/ttyACM0  USB 05e0:1200 Zebra Symbol Bar Code Scanner  serial:///dev/ttyACM0?baud=9600"));
        assert!(text.contains("04b8:0e15 bus 1 addr 4  ? ?  usb://04b8:0e15"));
    }
}
