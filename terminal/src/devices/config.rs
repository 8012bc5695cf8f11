//! The device choices of a till, saved as JSON (the desktop app keeps them
//! in `<data-dir>/devices.json`). Saving needs
//! `Permission::ConfigureDevices` (managers and admins): a cashier cannot
//! point the receipts at another printer.
//!
//! Every device is named by a `kasa_drivers` URI (`tcp://…`, `serial://…`,
//! `usb://…`, `file://…`). A saved URI is parsed before it is saved, so a
//! typo is refused on the settings screen, not at the first sale. Older
//! files (printer and scanner only) still load: the new fields default to
//! "not configured" and the drawer to "through the printer", which is how
//! the app behaved before the drawer could be chosen.

use std::path::Path;

use kasa_drivers::drawer::{DrawerConnection, DrawerPulse};
use kasa_drivers::scale::ScaleProtocol;
use kasa_drivers::transport::DeviceUri;
use serde::{Deserialize, Serialize};

use kasa_domain::permission::{ManagerApproval, Operator, Permission, authorize};

use super::DeviceError;

type Result<T> = std::result::Result<T, DeviceError>;

/// How the cash drawer opens.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DrawerChoice {
    /// No drawer.
    None,
    /// A pulse through the receipt printer's kick-out connector.
    #[default]
    Printer,
    /// A drawer on its own serial port, opened by writing `open_hex`.
    Serial {
        /// The drawer's port.
        uri: String,
        /// The bytes its interface expects, as hex (`07`, `1b700019fa`).
        open_hex: String,
    },
}

/// Device choices saved in `<data-dir>/devices.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceConfig {
    /// Receipt printer URI.
    pub printer: Option<String>,
    /// Serial scanner URI.
    pub scanner: Option<String>,
    /// Cash drawer.
    #[serde(default)]
    pub drawer: DrawerChoice,
    /// Serial scale URI.
    #[serde(default)]
    pub scale: Option<String>,
    /// `toledo` (default) or `cas`.
    #[serde(default)]
    pub scale_protocol: Option<String>,
}

impl DeviceConfig {
    /// Read the saved choices (missing file = nothing configured).
    pub fn load(path: &Path) -> DeviceConfig {
        std::fs::read_to_string(path)
            .ok()
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default()
    }

    /// Refuse URIs, protocols and drawer bytes that cannot be used.
    pub fn validate(&self) -> Result<()> {
        for uri in [&self.printer, &self.scanner, &self.scale]
            .into_iter()
            .flatten()
        {
            DeviceUri::parse(uri)?;
        }
        self.scale_protocol()?;
        if let DrawerChoice::Serial { uri, open_hex } = &self.drawer {
            DeviceUri::parse(uri)?;
            parse_hex(open_hex)?;
        }
        Ok(())
    }

    /// The scale's protocol (Toledo when not set).
    pub fn scale_protocol(&self) -> Result<ScaleProtocol> {
        match self.scale_protocol.as_deref() {
            None | Some("") => Ok(ScaleProtocol::ToledoDemand),
            Some(p) => p.parse().map_err(DeviceError::from),
        }
    }

    /// How to open the drawer, or why it cannot be opened.
    pub fn drawer_connection(&self) -> Result<DrawerConnection> {
        match &self.drawer {
            DrawerChoice::None => Err(DeviceError::NotConfigured {
                code: "devices.no_drawer",
                message: "no cash drawer is configured — choose one in Devices".to_string(),
            }),
            DrawerChoice::Printer => {
                let printer = self.printer.as_deref().ok_or_else(|| DeviceError::NotConfigured {
                    code: "devices.no_printer",
                    message: "the drawer opens through the receipt printer, and none is configured — choose one in Devices".to_string(),
                })?;
                Ok(DrawerConnection::ThroughPrinter {
                    printer: DeviceUri::parse(printer)?,
                    pulse: DrawerPulse::default(),
                })
            }
            DrawerChoice::Serial { uri, open_hex } => Ok(DrawerConnection::Serial {
                port: DeviceUri::parse(uri)?,
                open_bytes: parse_hex(open_hex)?,
            }),
        }
    }

    /// The receipt printer, or `devices.no_printer`.
    pub fn printer_uri(&self) -> Result<DeviceUri> {
        let text = self
            .printer
            .as_deref()
            .ok_or_else(|| DeviceError::NotConfigured {
                code: "devices.no_printer",
                message: "no receipt printer is configured — choose one in Devices".to_string(),
            })?;
        Ok(DeviceUri::parse(text)?)
    }

    /// Check the choices and save them atomically (temporary file, then
    /// rename) when `by` may configure devices, or a manager approved it;
    /// nothing is written otherwise.
    pub fn save(
        &self,
        path: &Path,
        by: &Operator,
        approval: Option<&ManagerApproval>,
    ) -> Result<()> {
        authorize(by, Permission::ConfigureDevices, approval)?;
        self.validate()?;
        let failed = |e: &dyn std::fmt::Display| DeviceError::Save {
            path: path.display().to_string(),
            detail: e.to_string(),
        };
        let tmp = path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(self).map_err(|e| failed(&e))?;
        std::fs::write(&tmp, text)
            .and_then(|_| std::fs::rename(&tmp, path))
            .map_err(|e| failed(&e))
    }
}

/// `"07"`, `"1b 70 00"` → bytes; at least one byte.
pub fn parse_hex(text: &str) -> Result<Vec<u8>> {
    let digits: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let bad = || {
        DeviceError::InvalidSetting(format!(
            "'{text}' is not a byte sequence in hex — type the bytes the drawer expects, e.g. 07 or 1b 70 00 19 fa"
        ))
    };
    if digits.is_empty() || !digits.len().is_multiple_of(2) {
        return Err(bad());
    }
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).map_err(|_| bad()))
        .collect()
}

#[cfg(test)]
mod tests {
    use kasa_domain::ErrorCode;
    use kasa_domain::permission::Role;

    use super::*;

    fn manager() -> Operator {
        Operator::new("boris", Role::Manager)
    }

    #[test]
    fn an_old_file_loads_with_the_drawer_through_the_printer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("devices.json");
        std::fs::write(
            &path,
            r#"{"printer":"tcp://127.0.0.1:9100","scanner":null}"#,
        )
        .unwrap();
        let c = DeviceConfig::load(&path);
        assert_eq!(c.printer.as_deref(), Some("tcp://127.0.0.1:9100"));
        assert_eq!(
            (c.drawer.clone(), c.scale.clone()),
            (DrawerChoice::Printer, None)
        );
        assert!(matches!(
            c.drawer_connection().unwrap(),
            DrawerConnection::ThroughPrinter { .. }
        ));
    }

    #[test]
    fn a_cashier_cannot_save_device_choices_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("devices.json");
        let c = DeviceConfig {
            printer: Some("tcp://10.0.0.9:9100".into()),
            ..DeviceConfig::default()
        };
        let cashier = Operator::new("ana", Role::Cashier);
        let err = c.save(&path, &cashier, None).unwrap_err();
        assert_eq!(err.code(), "permission.needs_manager");
        let another_cashier = ManagerApproval::new("vera", Role::Cashier);
        c.save(&path, &cashier, Some(&another_cashier)).unwrap_err();
        assert!(!path.exists());
        let boris = ManagerApproval::new("boris", Role::Manager);
        c.save(&path, &cashier, Some(&boris)).unwrap();
        assert_eq!(DeviceConfig::load(&path), c);
        c.save(&path, &Operator::new("root", Role::Admin), None)
            .unwrap();
    }

    #[test]
    fn saved_choices_round_trip_and_bad_ones_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("devices.json");
        let c = DeviceConfig {
            printer: None,
            scanner: Some("serial:///dev/ttyACM0?baud=9600".into()),
            drawer: DrawerChoice::Serial {
                uri: "serial:///dev/ttyUSB1".into(),
                open_hex: "1b 70 00".into(),
            },
            scale: Some("serial:///dev/ttyUSB0".into()),
            scale_protocol: Some("cas".into()),
        };
        c.validate().unwrap();
        c.save(&path, &manager(), None).unwrap();
        assert_eq!(DeviceConfig::load(&path), c);
        assert_eq!(c.scale_protocol().unwrap(), ScaleProtocol::CasContinuous);
        match c.drawer_connection().unwrap() {
            DrawerConnection::Serial { open_bytes, .. } => {
                assert_eq!(open_bytes, vec![0x1b, 0x70, 0x00])
            }
            other => panic!("{other:?}"),
        }

        let bad_uri = DeviceConfig {
            scale: Some("ttyUSB0".into()),
            ..DeviceConfig::default()
        };
        assert_eq!(bad_uri.validate().unwrap_err().code(), "device.invalid_uri");
        let bad_protocol = DeviceConfig {
            scale_protocol: Some("dibal".into()),
            ..DeviceConfig::default()
        };
        assert_eq!(
            bad_protocol.validate().unwrap_err().code(),
            "scale.unsupported"
        );
        assert_eq!(parse_hex("7").unwrap_err().code(), "input.invalid");
        assert_eq!(parse_hex("zz").unwrap_err().code(), "input.invalid");
        let no_printer = DeviceConfig::default();
        assert_eq!(
            no_printer.drawer_connection().unwrap_err().code(),
            "devices.no_printer"
        );
    }
}
