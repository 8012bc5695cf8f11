//! Serial scales: "request weight → ASCII weight + status", stable-weight
//! detection, zero and tare. Weights are integer grams ([`Weight`]), never
//! floats; [`Weight::kg_text`] gives the exact 3-decimal kg string the domain
//! parses into a `Decimal`.
//!
//! ## Protocols implemented (exact frames)
//! **Toledo demand** ([`ScaleProtocol::ToledoDemand`]; Mettler-Toledo
//! 8213/8217 "demand" mode, also called PS60 / "Toledo" mode on Brecknell,
//! CAS PD-II, Datalogic and NCR scanner-scales). Single-byte commands from the
//! host, no terminator:
//! - `W` (0x57) request weight → `STX <weight with decimal point> CR`, e.g.
//!   `02 "00.452" 0D` = 0.452 kg, sent only when the weight is stable and in
//!   range; otherwise the status record `STX '?' <status> CR`.
//! - `S` status → status record. `Z` zero, `T` tare → status record.
//! - Status byte: bit 0 in motion, bit 1 over capacity, bit 2 under zero,
//!   bit 3 outside zero capture range (a zero was refused), bit 4 centre of
//!   zero, bits 5 and 6 always 1, bit 7 parity (ignored on receipt).
//!
//! **CAS continuous** ([`ScaleProtocol::CasContinuous`]; the CAS / A&D
//! 18-byte ASCII record most indicators can stream):
//! `ST,GS,+000.452kg CR LF` — header 1 `ST` stable / `US` unstable /
//! `OL` overload, header 2 `GS` gross / `NT` net, 8 bytes of weight with sign
//! and decimal point (spaces allowed), unit `kg` or ` g`. The host sends
//! nothing; each [`Scale::read_once`] takes the next complete record. Zero and
//! tare are front-panel operations in this mode ([`ScaleError::Unsupported`]).
//!
//! The weight unit is kg (what European shops use); other units are refused
//! with [`ScaleError::UnsupportedUnit`] rather than converted inexactly.
//!
//! ## Stable weight
//! [`Scale::read_stable`] polls every `poll_interval_ms` and returns once
//! `stable_readings` consecutive readings are stable (the scale's own flag)
//! and equal to the gram. Overload and under-zero fail at once; a scale still
//! moving after `stable_timeout_ms` gives [`ScaleError::Unstable`].

use std::time::{Duration, Instant};

use crate::error::DriverError;
use crate::transport::{self, DeviceUri, Timeouts, Transport};

pub const STX: u8 = 0x02;
pub const CR: u8 = 0x0D;
pub const LF: u8 = 0x0A;

/// Toledo status byte bits.
pub mod toledo_status {
    pub const MOTION: u8 = 1 << 0;
    pub const OVER_CAPACITY: u8 = 1 << 1;
    pub const UNDER_ZERO: u8 = 1 << 2;
    pub const OUTSIDE_ZERO_RANGE: u8 = 1 << 3;
    pub const CENTER_OF_ZERO: u8 = 1 << 4;
    /// Bits 5 and 6 are always set.
    pub const ALWAYS: u8 = 0b0110_0000;
}

/// A weight in whole grams (scales in shops resolve to 1, 2 or 5 g).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Weight {
    pub grams: i64,
}

impl Weight {
    pub fn from_grams(grams: i64) -> Self {
        Self { grams }
    }

    /// Exact kilograms with 3 decimals, e.g. `"0.452"`, `"-1.005"`.
    pub fn kg_text(&self) -> String {
        let sign = if self.grams < 0 { "-" } else { "" };
        let abs = self.grams.unsigned_abs();
        format!("{sign}{}.{:03}", abs / 1000, abs % 1000)
    }
}

impl std::fmt::Display for Weight {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} kg", self.kg_text())
    }
}

/// Parses a decimal number of `unit`s (`"000.452"`, `"+ 1.5"`, `"-0.020"`,
/// `"452"`) into grams, exactly. `None` when it is not a number or has more
/// precision than a gram.
pub fn parse_grams(text: &str, unit: WeightUnit) -> Option<i64> {
    let compact: String = text.chars().filter(|c| *c != ' ').collect();
    let (negative, digits) = match compact.as_bytes().first()? {
        b'-' => (true, &compact[1..]),
        b'+' => (false, &compact[1..]),
        _ => (false, compact.as_str()),
    };
    let (int_part, frac_part) = digits.split_once('.').unwrap_or((digits, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    if !int_part
        .bytes()
        .chain(frac_part.bytes())
        .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let scale_digits = match unit {
        WeightUnit::Kg => 3,
        WeightUnit::G => 0,
    };
    let significant = frac_part.trim_end_matches('0');
    if significant.len() > scale_digits {
        return None;
    }
    let int_value: i64 = if int_part.is_empty() {
        0
    } else {
        int_part.parse().ok()?
    };
    let mut frac_value: i64 = 0;
    for i in 0..scale_digits {
        let digit = significant
            .as_bytes()
            .get(i)
            .map_or(0, |b| i64::from(b - b'0'));
        frac_value = frac_value * 10 + digit;
    }
    let grams = int_value
        .checked_mul(10_i64.pow(scale_digits as u32))?
        .checked_add(frac_value)?;
    Some(if negative { -grams } else { grams })
}

/// Units a scale may report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightUnit {
    Kg,
    G,
}

/// One answer of the scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScaleReading {
    pub weight: Weight,
    /// The scale says the weight has settled.
    pub stable: bool,
    /// Net weight (a tare is active).
    pub net: bool,
}

/// Which wire protocol the scale speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScaleProtocol {
    #[default]
    ToledoDemand,
    CasContinuous,
}

impl std::str::FromStr for ScaleProtocol {
    type Err = ScaleError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "toledo" => Ok(ScaleProtocol::ToledoDemand),
            "cas" => Ok(ScaleProtocol::CasContinuous),
            other => Err(ScaleError::Unsupported {
                operation: format!("protocol `{other}` (use `toledo` or `cas`)"),
            }),
        }
    }
}

/// Scale settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScaleConfig {
    pub protocol: ScaleProtocol,
    /// Consecutive equal stable readings that make a weight final.
    pub stable_readings: u32,
    /// Pause between weight requests while waiting for stability.
    pub poll_interval_ms: u64,
    /// How long one answer may take.
    pub response_timeout_ms: u64,
    /// How long to wait for the scale to settle.
    pub stable_timeout_ms: u64,
}

impl Default for ScaleConfig {
    fn default() -> Self {
        Self {
            protocol: ScaleProtocol::ToledoDemand,
            stable_readings: 2,
            poll_interval_ms: 50,
            response_timeout_ms: 500,
            stable_timeout_ms: 3_000,
        }
    }
}

/// What can go wrong weighing.
#[derive(Debug, thiserror::Error)]
pub enum ScaleError {
    #[error(transparent)]
    Transport(DriverError),
    #[error(
        "scale {device} did not answer within {timeout_ms} ms — check that it is on and the cable/baud rate, then weigh again"
    )]
    Timeout { device: String, timeout_ms: u64 },
    #[error(
        "the weight did not settle within {waited_ms} ms — keep the goods still on the scale and weigh again"
    )]
    Unstable { waited_ms: u64 },
    #[error("the scale is overloaded — take the goods off and weigh less at a time")]
    Overload,
    #[error("the scale reads below zero — empty the platform and press zero (or clear the tare)")]
    UnderZero,
    #[error(
        "the scale sent a frame that could not be read ({frame}) — check the protocol setting and baud rate"
    )]
    BadFrame { frame: String },
    #[error("the scale reports weight in an unsupported unit `{unit}` — set the scale to kg")]
    UnsupportedUnit { unit: String },
    #[error(
        "the scale refused {command} (status 0x{status:02X}) — empty the platform, wait until it is still, and retry"
    )]
    CommandRejected { command: &'static str, status: u8 },
    #[error("{operation} is not supported by this scale protocol — use the scale's front panel")]
    Unsupported { operation: String },
}

impl ScaleError {
    pub fn code(&self) -> &'static str {
        match self {
            ScaleError::Transport(e) => e.code(),
            ScaleError::Timeout { .. } => "scale.timeout",
            ScaleError::Unstable { .. } => "scale.unstable",
            ScaleError::Overload => "scale.overload",
            ScaleError::UnderZero => "scale.under_zero",
            ScaleError::BadFrame { .. } => "scale.bad_frame",
            ScaleError::UnsupportedUnit { .. } => "scale.unsupported_unit",
            ScaleError::CommandRejected { .. } => "scale.command_rejected",
            ScaleError::Unsupported { .. } => "scale.unsupported",
        }
    }
}

impl From<DriverError> for ScaleError {
    fn from(e: DriverError) -> Self {
        match e {
            DriverError::Timeout {
                device, timeout_ms, ..
            } => ScaleError::Timeout { device, timeout_ms },
            other => ScaleError::Transport(other.on(crate::error::DeviceKind::Scale)),
        }
    }
}

fn printable(frame: &[u8]) -> String {
    frame.escape_ascii().to_string()
}

/// Maps a Toledo status byte to the error it means for a weight request,
/// or `None` when no error bit is set.
pub fn toledo_status_error(status: u8) -> Option<ScaleError> {
    use toledo_status as s;
    if status & s::OVER_CAPACITY != 0 {
        Some(ScaleError::Overload)
    } else if status & s::UNDER_ZERO != 0 {
        Some(ScaleError::UnderZero)
    } else if status & s::MOTION != 0 {
        Some(ScaleError::Unstable { waited_ms: 0 })
    } else {
        None
    }
}

/// A Toledo answer: weight record or status record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToledoFrame {
    Weight(Weight),
    Status(u8),
}

/// Parses one Toledo frame, `STX ... CR` included.
pub fn parse_toledo(frame: &[u8]) -> Result<ToledoFrame, ScaleError> {
    let bad = || ScaleError::BadFrame {
        frame: printable(frame),
    };
    let body = frame
        .strip_prefix(&[STX])
        .and_then(|f| f.strip_suffix(&[CR]))
        .ok_or_else(bad)?;
    match body {
        [b'?', status] => Ok(ToledoFrame::Status(*status)),
        _ => {
            let text = std::str::from_utf8(body).map_err(|_| bad())?;
            let grams = parse_grams(text, WeightUnit::Kg).ok_or_else(bad)?;
            Ok(ToledoFrame::Weight(Weight::from_grams(grams)))
        }
    }
}

/// Parses one CAS continuous record (CR LF optional).
pub fn parse_cas(frame: &[u8]) -> Result<ScaleReading, ScaleError> {
    let bad = || ScaleError::BadFrame {
        frame: printable(frame),
    };
    let text = std::str::from_utf8(frame).map_err(|_| bad())?;
    let text = text.trim_end_matches(['\r', '\n']);
    let mut fields = text.splitn(3, ',');
    let (state, mode, rest) = match (fields.next(), fields.next(), fields.next()) {
        (Some(a), Some(b), Some(c)) => (a, b, c),
        _ => return Err(bad()),
    };
    let stable = match state {
        "ST" => true,
        "US" => false,
        "OL" => return Err(ScaleError::Overload),
        _ => return Err(bad()),
    };
    let net = match mode {
        "GS" => false,
        "NT" => true,
        _ => return Err(bad()),
    };
    let rest = rest.trim_end();
    let unit_start = rest
        .rfind(|c: char| c.is_ascii_digit() || c == '.')
        .map(|i| i + 1)
        .ok_or_else(bad)?;
    let (number, unit_text) = rest.split_at(unit_start);
    let unit = match unit_text.trim() {
        "kg" | "KG" => WeightUnit::Kg,
        "g" | "G" => WeightUnit::G,
        other => {
            return Err(ScaleError::UnsupportedUnit {
                unit: other.to_string(),
            });
        }
    };
    let grams = parse_grams(number, unit).ok_or_else(bad)?;
    if grams < 0 {
        return Err(ScaleError::UnderZero);
    }
    Ok(ScaleReading {
        weight: Weight::from_grams(grams),
        stable,
        net,
    })
}

/// A weight the scale held still for `stable_readings` readings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StableWeight {
    pub weight: Weight,
    pub net: bool,
    /// Readings it took.
    pub readings: u32,
}

/// A scale on a serial port (or any [`Transport`]).
#[derive(Debug)]
pub struct Scale {
    transport: Box<dyn Transport + Send>,
    config: ScaleConfig,
    /// Bytes received but not yet consumed by a frame.
    pending: Vec<u8>,
}

impl Scale {
    pub fn open(uri: &DeviceUri, config: ScaleConfig) -> Result<Self, ScaleError> {
        let timeouts = Timeouts {
            read_ms: config.response_timeout_ms,
            ..Timeouts::default()
        };
        Ok(Self::from_transport(
            transport::open(uri, timeouts)?,
            config,
        ))
    }

    pub fn from_transport(transport: Box<dyn Transport + Send>, config: ScaleConfig) -> Self {
        Self {
            transport,
            config,
            pending: Vec::new(),
        }
    }

    pub fn config(&self) -> &ScaleConfig {
        &self.config
    }

    /// One reading. Toledo: motion → `Unstable`, over → `Overload`, under
    /// zero → `UnderZero`. CAS: unstable readings come back with
    /// `stable == false`.
    pub fn read_once(&mut self) -> Result<ScaleReading, ScaleError> {
        match self.config.protocol {
            ScaleProtocol::ToledoDemand => {
                self.pending.clear();
                self.transport.write_all(b"W")?;
                let frame = self.read_frame(STX, CR)?;
                match parse_toledo(&frame)? {
                    ToledoFrame::Weight(weight) => Ok(ScaleReading {
                        weight,
                        stable: true,
                        net: false,
                    }),
                    ToledoFrame::Status(status) => {
                        Err(toledo_status_error(status).unwrap_or(ScaleError::BadFrame {
                            frame: printable(&frame),
                        }))
                    }
                }
            }
            ScaleProtocol::CasContinuous => {
                let frame = self.read_line()?;
                parse_cas(&frame)
            }
        }
    }

    /// Waits for a stable weight (see module docs).
    pub fn read_stable(&mut self) -> Result<StableWeight, ScaleError> {
        let started = Instant::now();
        let deadline = started + Duration::from_millis(self.config.stable_timeout_ms);
        let needed = self.config.stable_readings.max(1);
        let mut run: Option<(ScaleReading, u32)> = None;
        let mut readings = 0;
        loop {
            readings += 1;
            match self.read_once() {
                Ok(reading) if reading.stable => {
                    let count = match run {
                        Some((prev, n)) if prev == reading => n + 1,
                        _ => 1,
                    };
                    if count >= needed {
                        return Ok(StableWeight {
                            weight: reading.weight,
                            net: reading.net,
                            readings,
                        });
                    }
                    run = Some((reading, count));
                }
                Ok(_) | Err(ScaleError::Unstable { .. }) => run = None,
                Err(other) => return Err(other),
            }
            let now = Instant::now();
            if now >= deadline {
                let waited_ms =
                    u64::try_from(now.duration_since(started).as_millis()).unwrap_or(u64::MAX);
                return Err(ScaleError::Unstable { waited_ms });
            }
            if self.config.protocol == ScaleProtocol::ToledoDemand {
                std::thread::sleep(
                    Duration::from_millis(self.config.poll_interval_ms).min(deadline - now),
                );
            }
        }
    }

    /// Sets the current (empty-platform) weight as zero.
    pub fn zero(&mut self) -> Result<(), ScaleError> {
        self.command(b'Z', "zero")
    }

    /// Takes the current weight as tare (following readings are net).
    pub fn tare(&mut self) -> Result<(), ScaleError> {
        self.command(b'T', "tare")
    }

    /// The scale's status byte (Toledo only).
    pub fn status(&mut self) -> Result<u8, ScaleError> {
        self.status_after(b'S', "status")
    }

    fn command(&mut self, byte: u8, name: &'static str) -> Result<(), ScaleError> {
        let status = self.status_after(byte, name)?;
        if status
            & (toledo_status::MOTION
                | toledo_status::OVER_CAPACITY
                | toledo_status::OUTSIDE_ZERO_RANGE)
            != 0
        {
            return Err(ScaleError::CommandRejected {
                command: name,
                status,
            });
        }
        Ok(())
    }

    fn status_after(&mut self, byte: u8, name: &'static str) -> Result<u8, ScaleError> {
        if self.config.protocol != ScaleProtocol::ToledoDemand {
            return Err(ScaleError::Unsupported {
                operation: name.to_string(),
            });
        }
        self.pending.clear();
        self.transport.write_all(&[byte])?;
        let frame = self.read_frame(STX, CR)?;
        match parse_toledo(&frame)? {
            ToledoFrame::Status(status) => Ok(status),
            ToledoFrame::Weight(_) => Err(ScaleError::BadFrame {
                frame: printable(&frame),
            }),
        }
    }

    /// Reads `start ... end`, skipping bytes before `start`.
    fn read_frame(&mut self, start: u8, end: u8) -> Result<Vec<u8>, ScaleError> {
        let deadline = Instant::now() + Duration::from_millis(self.config.response_timeout_ms);
        loop {
            if let Some(s) = self.pending.iter().position(|&b| b == start) {
                if let Some(e) = self.pending[s..].iter().position(|&b| b == end) {
                    let frame = self.pending[s..=s + e].to_vec();
                    self.pending.drain(..=s + e);
                    return Ok(frame);
                }
            } else {
                self.pending.clear();
            }
            self.fill(deadline)?;
        }
    }

    /// Reads up to and including LF.
    fn read_line(&mut self) -> Result<Vec<u8>, ScaleError> {
        let deadline = Instant::now() + Duration::from_millis(self.config.response_timeout_ms);
        loop {
            if let Some(e) = self.pending.iter().position(|&b| b == LF) {
                let frame: Vec<u8> = self.pending.drain(..=e).collect();
                if frame.len() > 2 {
                    return Ok(frame);
                }
                continue;
            }
            if self.pending.len() > 256 {
                let frame = std::mem::take(&mut self.pending);
                return Err(ScaleError::BadFrame {
                    frame: printable(&frame),
                });
            }
            self.fill(deadline)?;
        }
    }

    fn fill(&mut self, deadline: Instant) -> Result<(), ScaleError> {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(ScaleError::Timeout {
                device: self.transport.device(),
                timeout_ms: self.config.response_timeout_ms,
            });
        }
        let mut buf = [0u8; 128];
        let ms = u64::try_from(remaining.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        match self.transport.read(&mut buf, ms) {
            Ok(n) => {
                self.pending.extend_from_slice(&buf[..n]);
                Ok(())
            }
            Err(DriverError::Timeout { .. }) => Err(ScaleError::Timeout {
                device: self.transport.device(),
                timeout_ms: self.config.response_timeout_ms,
            }),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests;
