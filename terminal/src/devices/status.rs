//! What each device reports now, in the words the till shows: `ready`,
//! `offline`, `paper_out`, `cover_open`, `paper_near_end`, `error`,
//! `not_configured` (and the serial owners' `starting`). Probes use short
//! time limits ([`probe_timeouts`]) so a dead device answers "offline"
//! quickly instead of freezing the screen.

use kasa_drivers::drawer::{DrawerState, drawer_state};
use kasa_drivers::printer::{PrinterProfile, ReceiptPrinter};
use kasa_drivers::status::PaperState;
use kasa_drivers::supervisor::{DeviceState, state_of_error};
use kasa_drivers::transport::{DeviceUri, Timeouts};
use serde::Serialize;

use super::config::{DeviceConfig, DrawerChoice};

/// Short time limits for status probes and explicit device actions (test
/// print, open drawer).
pub fn probe_timeouts() -> Timeouts {
    Timeouts {
        connect_ms: 800,
        write_ms: 2_000,
        read_ms: 500,
    }
}

/// One device's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceStatus {
    /// `printer`, `drawer`, `scanner`, `scale`.
    pub device: String,
    /// See the module docs.
    pub state: String,
    /// The device's URI, when one is chosen.
    pub uri: Option<String>,
    /// More about the state (the error's message).
    pub detail: Option<String>,
}

impl DeviceStatus {
    pub(crate) fn new(
        device: &str,
        state: &str,
        uri: Option<String>,
        detail: Option<String>,
    ) -> Self {
        DeviceStatus {
            device: device.to_string(),
            state: state.to_string(),
            uri,
            detail,
        }
    }
}

/// Probe the configured receipt printer now.
pub fn printer_status(config: &DeviceConfig, profile: &PrinterProfile) -> DeviceStatus {
    let uri = match &config.printer {
        None => return DeviceStatus::new("printer", "not_configured", None, None),
        Some(text) => match DeviceUri::parse(text) {
            Ok(uri) => uri,
            Err(e) => return DeviceStatus::new("printer", "error", None, Some(e.to_string())),
        },
    };
    let probe = ReceiptPrinter::open(&uri, profile.clone(), probe_timeouts()).and_then(|mut p| {
        if p.can_report_status() {
            p.status().map(Some)
        } else {
            Ok(None)
        }
    });
    let (state, detail) = match probe {
        Ok(None) => (
            "ready",
            Some("this connection cannot report status".to_string()),
        ),
        Ok(Some(s)) if !s.online => ("offline", None),
        Ok(Some(s)) if s.cover_open => ("cover_open", None),
        Ok(Some(s)) if s.paper == PaperState::Out => ("paper_out", None),
        Ok(Some(s)) if s.error.is_some() => ("error", s.error.map(|e| e.describe().to_string())),
        Ok(Some(s)) if s.paper == PaperState::NearEnd => ("paper_near_end", None),
        Ok(Some(_)) => ("ready", None),
        Err(e) => match state_of_error(&e).0 {
            DeviceState::PaperOut => ("paper_out", None),
            DeviceState::CoverOpen => ("cover_open", None),
            DeviceState::Error(r) => ("error", Some(r)),
            _ => ("offline", Some(e.to_string())),
        },
    };
    DeviceStatus::new("printer", state, Some(uri.to_string()), detail)
}

/// The drawer switch where the connection reports it.
pub fn drawer_status(config: &DeviceConfig) -> DeviceStatus {
    let uri = match &config.drawer {
        DrawerChoice::None => None,
        DrawerChoice::Printer => Some("printer".to_string()),
        DrawerChoice::Serial { uri, .. } => Some(uri.clone()),
    };
    let (state, detail) = match config.drawer_connection() {
        Err(e) if config.drawer == DrawerChoice::None => ("not_configured", Some(e.to_string())),
        Err(e) => ("error", Some(e.to_string())),
        Ok(c) => match drawer_state(&c, probe_timeouts()) {
            Ok(DrawerState::Open) => ("open", None),
            Ok(DrawerState::Closed) => ("closed", None),
            Ok(DrawerState::Unknown) => (
                "ready",
                Some("this connection cannot report whether the drawer is open".to_string()),
            ),
            Err(e) => ("offline", Some(e.to_string())),
        },
    };
    DeviceStatus::new("drawer", state, uri, detail)
}

/// Open the cash drawer the way it is configured (a pulse through the
/// printer or its own serial port).
pub fn open_drawer(config: &DeviceConfig) -> Result<(), super::DeviceError> {
    let connection = config.drawer_connection()?;
    kasa_drivers::drawer::open_drawer(&connection, probe_timeouts())?;
    Ok(())
}
