//! Driver errors that keep the causes apart.
//!
//! A till must react differently to "no such device" (check the cable / the
//! URI), "permission denied" (install the udev rule), "offline" (queue the
//! receipt and retry), "paper out" (change the roll) and so on, so each cause
//! is its own variant with a stable code (`area.snake_case`) that the UI and
//! the CLI show. The drivers crate does not depend on `kasa-domain`
//! (dependencies flow terminal → drivers), so [`DriverError::code`] is an
//! inherent method with the same shape as `kasa_domain::ErrorCode`; the
//! terminal can implement the trait for it with a one-line forwarder.

use std::io;

/// Name of the udev rule file shipped in `packaging/udev/`, named in
/// permission errors so the message says how to fix them.
pub const UDEV_RULE_FILE: &str = "packaging/udev/60-kasa-printers.rules";

/// What kind of device an error is about, so its code can say so
/// (`printer.offline` vs `device.offline`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DeviceKind {
    /// Receipt printer (and a drawer pulsed through it).
    Printer,
    /// Serial or wedge barcode scanner.
    Scanner,
    /// Serial scale.
    Scale,
    /// Cash drawer on its own serial port.
    Drawer,
}

impl DeviceKind {
    /// Lower-case name used in messages.
    pub fn name(self) -> &'static str {
        match self {
            DeviceKind::Printer => "printer",
            DeviceKind::Scanner => "scanner",
            DeviceKind::Scale => "scale",
            DeviceKind::Drawer => "cash drawer",
        }
    }
}

/// Everything that can go wrong talking to a device.
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    /// No device answers to this name (no such file, no USB device with this
    /// VID:PID, unknown host).
    #[error(
        "device {device} not found: {detail} — check the cable, that it is switched on, and the device URI"
    )]
    NotFound { device: String, detail: String },

    /// The device exists but this user may not open it.
    #[error(
        "permission denied opening {device} — install {UDEV_RULE_FILE} into /etc/udev/rules.d/ (then `udevadm control --reload && udevadm trigger`, replug) or add the user to the `lp`/`dialout` group"
    )]
    PermissionDenied { device: String },

    /// The device does not answer at all (connection refused, reset, closed).
    #[error(
        "{device} is offline ({detail}) — the job is kept; check power and network, then reprint"
    )]
    Offline { device: String, detail: String },

    /// A scanner, scale or serial drawer does not answer (port gone,
    /// connection closed). Transports report `Offline`; the device's own
    /// code turns it into this with [`DriverError::on`].
    #[error(
        "{} {device} is offline ({detail}) — check its cable and power; the sale can go on (type the code or the weight by hand)",
        kind.name()
    )]
    DeviceOffline {
        kind: DeviceKind,
        device: String,
        detail: String,
    },

    /// The device was reachable but did not answer within the time limit.
    #[error(
        "{device} did not answer within {timeout_ms} ms while {operation} — check that it is switched on and not busy, then retry"
    )]
    Timeout {
        device: String,
        operation: &'static str,
        timeout_ms: u64,
    },

    /// The printer reports that its paper roll has run out; nothing was printed.
    #[error("printer {device} is out of paper — nothing was printed; load a new roll and reprint")]
    PaperOut { device: String },

    /// The printer reports that its cover is open; nothing was printed.
    #[error(
        "printer {device} has its cover open — nothing was printed; close the cover and reprint"
    )]
    CoverOpen { device: String },

    /// Any other fault reported by the device or the operating system.
    /// The text names the device and what failed.
    #[error("device error: {0} — switch the device off and on, then retry")]
    Device(String),

    /// The device URI cannot be parsed.
    #[error(
        "`{uri}` is not a device address: {reason} — write it as tcp://192.168.1.50:9100 (network printer), serial:///dev/ttyUSB0?baud=9600 (serial port), usb://04b8:0e15 (USB printer by vendor:product id) or file:///tmp/receipt.bin (a file)"
    )]
    InvalidUri { uri: String, reason: String },

    /// The network name of a device cannot be looked up (DNS).
    #[error(
        "the name `{host}` of {device} could not be found on the network ({detail}) — check how the name is spelled, or use the device's IP address (e.g. tcp://192.168.1.50:9100)"
    )]
    UnknownHost {
        device: String,
        host: String,
        detail: String,
    },
}

impl DriverError {
    /// Stable error code shown by the UI and the CLI (`error[<code>]`).
    pub fn code(&self) -> &'static str {
        match self {
            DriverError::NotFound { .. } => "device.not_found",
            DriverError::PermissionDenied { .. } => "device.permission_denied",
            DriverError::Offline { .. } => "printer.offline",
            DriverError::DeviceOffline { .. } => "device.offline",
            DriverError::Timeout { .. } => "device.timeout",
            DriverError::PaperOut { .. } => "printer.paper_out",
            DriverError::CoverOpen { .. } => "printer.cover_open",
            DriverError::Device(_) => "device.error",
            DriverError::InvalidUri { .. } => "device.invalid_uri",
            DriverError::UnknownHost { .. } => "device.unknown_host",
        }
    }

    /// The same error said of a device of `kind`: an `Offline` from the
    /// transport becomes [`DriverError::DeviceOffline`] (`device.offline`)
    /// for scanners, scales and serial drawers and stays `printer.offline`
    /// for printers. Other errors are unchanged.
    pub fn on(self, kind: DeviceKind) -> Self {
        match (self, kind) {
            (DriverError::Offline { device, detail }, k) if k != DeviceKind::Printer => {
                DriverError::DeviceOffline {
                    kind: k,
                    device,
                    detail,
                }
            }
            (other, _) => other,
        }
    }

    /// Whether retrying later may succeed without a person changing the
    /// configuration (offline, timeout, paper out, cover open, device error).
    pub fn is_transient(&self) -> bool {
        !matches!(
            self,
            DriverError::InvalidUri { .. } | DriverError::PermissionDenied { .. }
        )
    }

    /// Maps an I/O error on `device` during `operation` to the cause it means.
    pub fn from_io(
        device: &str,
        operation: &'static str,
        timeout_ms: u64,
        err: &io::Error,
    ) -> Self {
        use io::ErrorKind as K;
        let device = device.to_string();
        match err.kind() {
            K::NotFound => DriverError::NotFound {
                device,
                detail: err.to_string(),
            },
            K::PermissionDenied => DriverError::PermissionDenied { device },
            K::TimedOut | K::WouldBlock => DriverError::Timeout {
                device,
                operation,
                timeout_ms,
            },
            K::ConnectionRefused
            | K::ConnectionReset
            | K::ConnectionAborted
            | K::BrokenPipe
            | K::NotConnected
            | K::UnexpectedEof
            | K::HostUnreachable
            | K::NetworkUnreachable
            | K::NetworkDown
            | K::AddrNotAvailable => DriverError::Offline {
                device,
                detail: err.to_string(),
            },
            _ => DriverError::Device(format!("{device}: {operation}: {err}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_map_to_distinct_causes() {
        let cases = [
            (io::ErrorKind::NotFound, "device.not_found"),
            (io::ErrorKind::PermissionDenied, "device.permission_denied"),
            (io::ErrorKind::TimedOut, "device.timeout"),
            (io::ErrorKind::WouldBlock, "device.timeout"),
            (io::ErrorKind::ConnectionRefused, "printer.offline"),
            (io::ErrorKind::BrokenPipe, "printer.offline"),
            (io::ErrorKind::ConnectionReset, "printer.offline"),
            (io::ErrorKind::InvalidData, "device.error"),
        ];
        for (kind, code) in cases {
            let e = DriverError::from_io("tcp://x:9100", "writing", 500, &io::Error::from(kind));
            assert_eq!(e.code(), code, "{kind:?}");
        }
    }

    #[test]
    fn offline_codes_depend_on_the_device_kind() {
        let offline = || DriverError::Offline {
            device: "serial:///dev/ttyUSB0".into(),
            detail: "port closed".into(),
        };
        let cases = [
            (
                DeviceKind::Printer,
                "printer.offline",
                "serial:///dev/ttyUSB0 is offline",
            ),
            (
                DeviceKind::Scanner,
                "device.offline",
                "scanner serial:///dev/ttyUSB0",
            ),
            (
                DeviceKind::Scale,
                "device.offline",
                "scale serial:///dev/ttyUSB0",
            ),
            (
                DeviceKind::Drawer,
                "device.offline",
                "cash drawer serial:///dev/ttyUSB0",
            ),
        ];
        for (kind, code, text) in cases {
            let e = offline().on(kind);
            assert_eq!(e.code(), code, "{kind:?}");
            assert!(e.to_string().starts_with(text), "{e}");
            assert!(e.is_transient());
        }
        // Other errors keep their code.
        let e = DriverError::PaperOut { device: "p".into() }.on(DeviceKind::Scale);
        assert_eq!(e.code(), "printer.paper_out");
    }

    #[test]
    fn permission_message_names_the_udev_rule() {
        let e = DriverError::PermissionDenied {
            device: "usb://04b8:0e15".into(),
        };
        assert!(e.to_string().contains("60-kasa-printers.rules"));
        assert!(!e.is_transient());
    }

    #[test]
    fn codes_are_area_snake_case() {
        let all = [
            DriverError::NotFound {
                device: "d".into(),
                detail: "x".into(),
            },
            DriverError::PermissionDenied { device: "d".into() },
            DriverError::Offline {
                device: "d".into(),
                detail: "x".into(),
            },
            DriverError::DeviceOffline {
                kind: DeviceKind::Scale,
                device: "d".into(),
                detail: "x".into(),
            },
            DriverError::Timeout {
                device: "d".into(),
                operation: "reading",
                timeout_ms: 1,
            },
            DriverError::PaperOut { device: "d".into() },
            DriverError::CoverOpen { device: "d".into() },
            DriverError::Device("d: x".into()),
            DriverError::InvalidUri {
                uri: "d".into(),
                reason: "x".into(),
            },
            DriverError::UnknownHost {
                device: "d".into(),
                host: "h".into(),
                detail: "x".into(),
            },
        ];
        let mut codes: Vec<_> = all.iter().map(|e| e.code()).collect();
        for c in &codes {
            let (area, name) = c.split_once('.').unwrap();
            assert!(
                !area.is_empty() && name.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_')
            );
        }
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len(), "codes must be distinct");
    }
}
