//! A serial scale simulator for both protocols of [`crate::scale`], on one
//! end of a pty pair. The weight and state are settable while it runs.
//!
//! The answering logic is the pure [`ScaleSimState`] (also used by unit tests
//! over an in-memory transport); [`SerialScaleSim`] runs it on a thread:
//! Toledo demand answers each command byte, CAS continuous streams a record
//! every `interval_ms`.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::error::DriverError;
use crate::scale::{CR, LF, STX, ScaleProtocol, toledo_status};

/// What is on the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimLoad {
    /// Settled at this gross weight.
    Stable {
        grams: i64,
    },
    /// Still moving around this gross weight.
    Unstable {
        grams: i64,
    },
    Overload,
}

/// The simulated scale: load plus zero offset and tare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScaleSimState {
    pub load: SimLoad,
    pub zero_offset_grams: i64,
    pub tare_grams: i64,
    /// Largest offset the zero command accepts (Toledo zero capture range).
    pub zero_range_grams: i64,
}

impl Default for ScaleSimState {
    fn default() -> Self {
        Self {
            load: SimLoad::Stable { grams: 0 },
            zero_offset_grams: 0,
            tare_grams: 0,
            zero_range_grams: 300,
        }
    }
}

fn with_parity(status: u8) -> u8 {
    let bits = status & 0x7F;
    if bits.count_ones() % 2 == 1 {
        bits | 0x80
    } else {
        bits
    }
}

impl ScaleSimState {
    /// Net weight shown on the display, when there is one.
    fn shown(&self) -> Option<i64> {
        match self.load {
            SimLoad::Stable { grams } | SimLoad::Unstable { grams } => {
                Some(grams - self.zero_offset_grams - self.tare_grams)
            }
            SimLoad::Overload => None,
        }
    }

    /// The Toledo status byte (parity included).
    pub fn toledo_status(&self) -> u8 {
        let mut s = toledo_status::ALWAYS;
        match self.load {
            SimLoad::Overload => s |= toledo_status::OVER_CAPACITY,
            SimLoad::Unstable { .. } => s |= toledo_status::MOTION,
            SimLoad::Stable { .. } => {}
        }
        match self.shown() {
            Some(g) if g < 0 => s |= toledo_status::UNDER_ZERO,
            Some(0) => s |= toledo_status::CENTER_OF_ZERO,
            _ => {}
        }
        with_parity(s)
    }

    fn status_record(status: u8) -> Vec<u8> {
        vec![STX, b'?', status, CR]
    }

    /// Answers one Toledo command byte (`W`, `S`, `Z`, `T`); other bytes get
    /// the status record, as real scales do.
    pub fn answer_toledo(&mut self, command: u8) -> Vec<u8> {
        match command {
            b'W' => {
                let status = self.toledo_status();
                let bad = toledo_status::MOTION
                    | toledo_status::OVER_CAPACITY
                    | toledo_status::UNDER_ZERO;
                match self.shown() {
                    Some(g) if status & bad == 0 => {
                        let mut f = vec![STX];
                        f.extend_from_slice(format!("{:02}.{:03}", g / 1000, g % 1000).as_bytes());
                        f.push(CR);
                        f
                    }
                    _ => Self::status_record(status),
                }
            }
            b'Z' => {
                if let SimLoad::Stable { grams } = self.load {
                    if self.tare_grams == 0 && grams.abs() <= self.zero_range_grams {
                        self.zero_offset_grams = grams;
                        return Self::status_record(self.toledo_status());
                    }
                    return Self::status_record(with_parity(
                        self.toledo_status() | toledo_status::OUTSIDE_ZERO_RANGE,
                    ));
                }
                Self::status_record(self.toledo_status())
            }
            b'T' => {
                if let SimLoad::Stable { grams } = self.load {
                    self.tare_grams = grams - self.zero_offset_grams;
                }
                Self::status_record(self.toledo_status())
            }
            _ => Self::status_record(self.toledo_status()),
        }
    }

    /// One CAS continuous record, e.g. `ST,GS,+000.452kg\r\n`.
    pub fn cas_record(&self) -> Vec<u8> {
        let net = if self.tare_grams != 0 { "NT" } else { "GS" };
        let text = match (self.load, self.shown()) {
            (SimLoad::Overload, _) | (_, None) => format!("OL,{net},+999.999kg"),
            (load, Some(g)) => {
                let state = if matches!(load, SimLoad::Stable { .. }) {
                    "ST"
                } else {
                    "US"
                };
                let sign = if g < 0 { '-' } else { '+' };
                let abs = g.unsigned_abs();
                format!("{state},{net},{sign}{:03}.{:03}kg", abs / 1000, abs % 1000)
            }
        };
        let mut bytes = text.into_bytes();
        bytes.extend_from_slice(&[CR, LF]);
        bytes
    }
}

/// A running scale simulator on the device end of a pty.
#[derive(Debug)]
pub struct SerialScaleSim {
    state: Arc<Mutex<ScaleSimState>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl SerialScaleSim {
    /// Starts answering on `device_end`. CAS streams every `interval_ms`.
    pub fn start(
        device_end: &Path,
        protocol: ScaleProtocol,
        initial: ScaleSimState,
        interval_ms: u64,
    ) -> Result<Self, DriverError> {
        let name = device_end.display().to_string();
        let mut port = serialport::new(name.clone(), 9600)
            .timeout(Duration::from_millis(10))
            .open()
            .map_err(|e| DriverError::Device(format!("scale simulator opening {name}: {e}")))?;
        let state = Arc::new(Mutex::new(initial));
        let stop = Arc::new(AtomicBool::new(false));
        let (state2, stop2) = (state.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let mut buf = [0u8; 64];
            let mut next_record = Instant::now();
            while !stop2.load(Ordering::Relaxed) {
                let mut out = Vec::new();
                match port.read(&mut buf) {
                    Ok(n) if protocol == ScaleProtocol::ToledoDemand => {
                        let mut st = state2.lock().unwrap_or_else(|p| p.into_inner());
                        for &b in &buf[..n] {
                            out.extend(st.answer_toledo(b));
                        }
                    }
                    Ok(_) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                    Err(_) => return,
                }
                if protocol == ScaleProtocol::CasContinuous && Instant::now() >= next_record {
                    next_record = Instant::now() + Duration::from_millis(interval_ms);
                    out.extend(
                        state2
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .cas_record(),
                    );
                }
                if !out.is_empty() && port.write_all(&out).and_then(|()| port.flush()).is_err() {
                    return;
                }
            }
        });
        Ok(Self {
            state,
            stop,
            thread: Some(thread),
        })
    }

    /// Changes what is on the platform.
    pub fn set_load(&self, load: SimLoad) {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).load = load;
    }

    /// The simulator's current state (zero offset and tare included).
    pub fn state(&self) -> ScaleSimState {
        *self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for SerialScaleSim {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
