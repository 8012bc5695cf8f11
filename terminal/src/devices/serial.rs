//! The serial scanner and the scale, each owned by one supervised thread
//! (`kasa_drivers::supervisor`): the owner opens the port, reconnects after
//! failures with backoff and publishes state changes on a status bus.
//!
//! - Scanner: its scans go through one channel ([`SerialDevices::take_scans`])
//!   to whoever forwards them (the desktop app emits them as events) — the
//!   same channel whether the scanner was chosen on the Devices screen or
//!   with `--scanner`.
//! - Scale: a weight is asked for with `ScaleCommand::ReadStable` and the
//!   answer waited for with a deadline (the scale's own stable timeout plus
//!   a margin), so a till command never hangs on a dead scale.
//!   Every scale failure keeps the `scale.` area and offers to type the
//!   weight (`0.750*code`).
//!
//! Choosing another device drops the old owner (its thread stops and the
//! port is closed — serial ports are exclusive) before the new one starts.

use std::sync::Mutex;
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::Duration;

use kasa_drivers::scale::{ScaleConfig, ScaleError, ScaleProtocol, StableWeight};
use kasa_drivers::scanner::{ScanError, ScanEvent, ScannerConfig};
use kasa_drivers::supervisor::devices::{NoCommand, ScaleCommand, ScaleDevice, ScannerDevice};
use kasa_drivers::supervisor::{DeviceHandle, DeviceState, StatusBus, SupervisorConfig, supervise};
use kasa_drivers::transport::DeviceUri;

use super::DeviceError;
use super::status::DeviceStatus;

type Result<T> = std::result::Result<T, DeviceError>;

/// How long one scanner read waits before the owner checks its mailbox.
const SCANNER_SLICE_MS: u64 = 250;
/// Extra time over the scale's own stable timeout before giving up.
const SCALE_REPLY_MARGIN_MS: u64 = 1_500;

type ScanResult = std::result::Result<ScanEvent, ScanError>;

/// A running owner: the URI as saved, the name it publishes under (the
/// parsed URI's text), the scale settings, and its handle.
#[derive(Debug)]
struct Owned<C: Send + 'static> {
    uri: String,
    name: String,
    scale: ScaleConfig,
    handle: DeviceHandle<C>,
}

/// The supervised serial devices.
#[derive(Debug)]
pub struct SerialDevices {
    /// Where the owners publish state changes (device name = its URI).
    pub bus: StatusBus,
    scanner: Mutex<Option<Owned<NoCommand>>>,
    scale: Mutex<Option<Owned<ScaleCommand>>>,
    scans_tx: Sender<ScanResult>,
    scans_rx: Mutex<Option<Receiver<ScanResult>>>,
}

impl Default for SerialDevices {
    fn default() -> Self {
        let (scans_tx, scans_rx) = mpsc::channel();
        SerialDevices {
            bus: StatusBus::default(),
            scanner: Mutex::new(None),
            scale: Mutex::new(None),
            scans_tx,
            scans_rx: Mutex::new(Some(scans_rx)),
        }
    }
}

fn supervisor_config() -> SupervisorConfig {
    SupervisorConfig {
        probe_interval_ms: 1_000,
        reconnect_base_ms: 250,
        reconnect_max_ms: 5_000,
    }
}

impl SerialDevices {
    /// The receiver of serial scans (taken once, by the forwarding thread).
    pub fn take_scans(&self) -> Option<Receiver<ScanResult>> {
        self.scans_rx
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }

    /// Use the scanner at `uri` (`None` = none). The same URI keeps the
    /// running owner.
    pub fn set_scanner(&self, uri: Option<&str>) -> Result<()> {
        let mut slot = self.scanner.lock().unwrap_or_else(|p| p.into_inner());
        if slot.as_ref().map(|o| o.uri.as_str()) == uri {
            return Ok(());
        }
        *slot = None; // stops the old owner and closes its port
        if let Some(text) = uri {
            let parsed = DeviceUri::parse(text)?;
            let name = parsed.to_string();
            let device = ScannerDevice::new(
                parsed,
                ScannerConfig::default(),
                SCANNER_SLICE_MS,
                self.scans_tx.clone(),
            );
            *slot = Some(Owned {
                uri: text.to_string(),
                name,
                scale: ScaleConfig::default(),
                handle: supervise(device, &self.bus, supervisor_config()),
            });
        }
        Ok(())
    }

    /// Use the scale at `uri` speaking `protocol` (`None` = none).
    pub fn set_scale(&self, uri: Option<&str>, protocol: ScaleProtocol) -> Result<()> {
        let mut slot = self.scale.lock().unwrap_or_else(|p| p.into_inner());
        let config = ScaleConfig {
            protocol,
            ..ScaleConfig::default()
        };
        if slot.as_ref().map(|o| (o.uri.as_str(), o.scale)) == uri.map(|u| (u, config)) {
            return Ok(());
        }
        *slot = None;
        if let Some(text) = uri {
            let parsed = DeviceUri::parse(text)?;
            let name = parsed.to_string();
            let device = ScaleDevice::new(parsed, config);
            *slot = Some(Owned {
                uri: text.to_string(),
                name,
                scale: config,
                handle: supervise(device, &self.bus, supervisor_config()),
            });
        }
        Ok(())
    }

    /// Whether a scale is chosen.
    pub fn has_scale(&self) -> bool {
        lock(&self.scale).is_some()
    }

    /// A stable weight from the scale, or why there is none: no scale,
    /// not answering, unstable, overload, under zero — each with its code.
    pub fn read_stable(&self) -> Result<StableWeight> {
        let (reply_tx, reply_rx) = mpsc::channel();
        let wait_ms = {
            let slot = self.scale.lock().unwrap_or_else(|p| p.into_inner());
            let owned = slot.as_ref().ok_or_else(|| DeviceError::NotConfigured {
                code: "devices.no_scale",
                message: "no scale is configured — type the weight (0.750*code) or choose a scale in Devices".to_string(),
            })?;
            owned
                .handle
                .send(ScaleCommand::ReadStable { reply: reply_tx })?;
            owned.scale.stable_timeout_ms + owned.scale.response_timeout_ms + SCALE_REPLY_MARGIN_MS
        };
        match reply_rx.recv_timeout(Duration::from_millis(wait_ms)) {
            Ok(Ok(weight)) => Ok(weight),
            Ok(Err(e)) => Err(scale_error(&e)),
            Err(_) => Err(DeviceError::Scale {
                code: "scale.timeout",
                message: format!(
                    "the scale gave no weight within {wait_ms} ms — check it is on and connected, or type the weight (0.750*code)"
                ),
            }),
        }
    }

    /// The scanner's and the scale's state for the Devices screen.
    pub fn status(&self) -> Vec<DeviceStatus> {
        vec![
            self.view_of(
                "scanner",
                lock(&self.scanner)
                    .as_ref()
                    .map(|o| (o.uri.clone(), o.name.clone())),
            ),
            self.view_of(
                "scale",
                lock(&self.scale)
                    .as_ref()
                    .map(|o| (o.uri.clone(), o.name.clone())),
            ),
        ]
    }

    /// The role (`scanner` / `scale`) and saved URI of the device that
    /// publishes as `name`.
    pub fn role_of(&self, name: &str) -> Option<(&'static str, String)> {
        if let Some(o) = lock(&self.scanner).as_ref().filter(|o| o.name == name) {
            return Some(("scanner", o.uri.clone()));
        }
        lock(&self.scale)
            .as_ref()
            .filter(|o| o.name == name)
            .map(|o| ("scale", o.uri.clone()))
    }

    fn view_of(&self, role: &str, chosen: Option<(String, String)>) -> DeviceStatus {
        match chosen {
            None => DeviceStatus::new(role, "not_configured", None, None),
            Some((uri, name)) => status_view(
                role,
                &uri,
                &self.bus.state(&name).unwrap_or(DeviceState::Starting),
            ),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A supervisor state as the UI shows it.
pub fn status_view(role: &str, uri: &str, state: &DeviceState) -> DeviceStatus {
    let (name, detail) = match state {
        DeviceState::Starting => ("starting", None),
        DeviceState::Online => ("ready", None),
        DeviceState::PaperNearEnd => ("paper_near_end", None),
        DeviceState::PaperOut => ("paper_out", None),
        DeviceState::CoverOpen => ("cover_open", None),
        DeviceState::Offline(why) => ("offline", Some(why.clone())),
        DeviceState::Error(why) => ("error", Some(why.clone())),
    };
    DeviceStatus::new(role, name, Some(uri.to_string()), detail)
}

/// A scale error with its code and a message that says what to do.
pub fn scale_error(e: &ScaleError) -> DeviceError {
    // A lost link keeps the `scale.` area, so the till offers to type the
    // weight for every scale failure.
    let code = match e {
        ScaleError::Transport(_) => "scale.offline",
        other => other.code(),
    };
    DeviceError::Scale {
        code,
        message: format!("{e} (or type the weight: 0.750*code)"),
    }
}

#[cfg(test)]
mod tests {
    use kasa_drivers::scanner::Suffix;
    use kasa_drivers::sim::pty::PtyPair;
    use kasa_drivers::sim::serial_scale::{ScaleSimState, SerialScaleSim, SimLoad};
    use kasa_drivers::sim::serial_scanner::SerialScannerSim;

    use kasa_domain::ErrorCode;

    use super::*;

    fn bus_name(uri: &str) -> String {
        DeviceUri::parse(uri).unwrap().to_string()
    }

    #[test]
    fn the_scale_owner_gives_a_stable_weight_and_names_what_is_wrong() {
        let serial = SerialDevices::default();
        assert_eq!(serial.read_stable().unwrap_err().code(), "devices.no_scale");
        let pty = PtyPair::spawn().unwrap();
        let sim = SerialScaleSim::start(
            pty.device_end(),
            ScaleProtocol::ToledoDemand,
            ScaleSimState {
                load: SimLoad::Stable { grams: 1234 },
                ..ScaleSimState::default()
            },
            50,
        )
        .unwrap();
        let uri = pty.host_uri("?baud=9600");
        serial
            .set_scale(Some(&uri), ScaleProtocol::ToledoDemand)
            .unwrap();
        let seen = serial
            .bus
            .wait_for(&bus_name(&uri), 5_000, |s| *s == DeviceState::Online);
        assert_eq!(seen, Some(DeviceState::Online));
        assert_eq!(serial.status()[1].state, "ready");
        assert_eq!(
            serial.role_of(&bus_name(&uri)),
            Some(("scale", uri.clone()))
        );

        assert_eq!(serial.read_stable().unwrap().weight.kg_text(), "1.234");
        sim.set_load(SimLoad::Overload);
        assert_eq!(serial.read_stable().unwrap_err().code(), "scale.overload");
        sim.set_load(SimLoad::Unstable { grams: 500 });
        let unstable = serial.read_stable().unwrap_err();
        assert_eq!(unstable.code(), "scale.unstable");
        assert!(unstable.to_string().contains("0.750*code"), "{unstable}");

        serial.set_scale(None, ScaleProtocol::ToledoDemand).unwrap();
        assert!(!serial.has_scale());
        assert_eq!(serial.status()[1].state, "not_configured");
    }

    #[test]
    fn a_chosen_serial_scanner_delivers_its_codes() {
        let serial = SerialDevices::default();
        let scans = serial.take_scans().unwrap();
        assert!(serial.take_scans().is_none(), "one receiver only");
        let pty = PtyPair::spawn().unwrap();
        let uri = pty.host_uri("?baud=9600");
        serial.set_scanner(Some(&uri)).unwrap();
        let seen = serial
            .bus
            .wait_for(&bus_name(&uri), 5_000, |s| *s == DeviceState::Online);
        assert_eq!(seen, Some(DeviceState::Online));
        let mut scanner = SerialScannerSim::open(pty.device_end(), b"", Suffix::Cr).unwrap();
        scanner.scan(Some("]E0"), "3800010000000").unwrap();
        let scan = scans.recv_timeout(Duration::from_secs(5)).unwrap().unwrap();
        assert_eq!(scan.code, "3800010000000");
        assert_eq!(serial.status()[0].state, "ready");
    }
}
