//! Serial barcode scanners: frames from a byte stream, AIM symbology
//! identifiers, and a reader loop yielding [`ScanEvent`]s.
//!
//! ## Frames
//! A serial scanner sends `[prefix] [AIM id] payload suffix`. The suffix is
//! configurable on the scanner and here ([`Suffix`]): CR, LF, CRLF or none.
//! - `Cr`: a frame ends at CR; an LF right after it is ignored (so a scanner
//!   sending CRLF still works).
//! - `Lf` / `CrLf`: a frame ends at LF; one CR before it is stripped.
//! - `None`: a frame ends when the line stays idle for `idle_timeout_ms`
//!   (scanners send a whole code in one burst: 128 bytes at 9600 baud take
//!   ~133 ms, so the 200 ms default is safe).
//!
//! With a terminator configured, a partial frame left idle for
//! `idle_timeout_ms` is dropped and reported ([`ScanError::Incomplete`]) so
//! line noise cannot glue itself to the next real scan.
//!
//! ## Payload rules
//! The payload must be UTF-8 with no control characters except GS (0x1D),
//! which GS1-128 / GS1 DataMatrix use to end variable-length fields and which
//! is kept in [`ScanEvent::code`]. Anything else is noise and yields
//! [`ScanError::NonPrintable`]; a frame longer than `max_len` (128) bytes
//! yields [`ScanError::Overlong`] and is discarded up to the next terminator.
//! Errors are values, never panics; the reader keeps going after them.
//!
//! ## AIM identifiers
//! With `aim_ids` on, a payload starting with `]` + symbology letter +
//! modifier (ISO/IEC 15424) is split off and mapped to [`Symbology`]:
//! `]E0` EAN-13/UPC-A, `]E3` EAN-13 + add-on, `]E4` EAN-8, `]C0` Code 128,
//! `]C1` GS1-128, `]A0` Code 39, `]I0`/`]I1` ITF, `]e0` GS1 DataBar,
//! `]d1` Data Matrix, `]d2` GS1 DataMatrix, `]Q1` QR, `]Q3` GS1 QR,
//! `]L0` PDF417; any other identifier is kept as [`Symbology::Other`].
//!
//! The baud rate and line settings come from the device URI
//! (`serial:///dev/ttyACM0?baud=115200`, see [`crate::transport::uri`]).

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use crate::error::DriverError;
use crate::transport::{self, DeviceUri, Timeouts, Transport};

/// ASCII group separator, the GS1 field separator.
pub const GS: u8 = 0x1D;
const CR: u8 = 0x0D;
const LF: u8 = 0x0A;

/// How a scanner ends each code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Suffix {
    #[default]
    Cr,
    Lf,
    CrLf,
    /// No suffix: a frame ends after `idle_timeout_ms` of silence.
    None,
}

impl Suffix {
    /// The bytes a scanner configured this way appends.
    pub fn bytes(self) -> &'static [u8] {
        match self {
            Suffix::Cr => b"\r",
            Suffix::Lf => b"\n",
            Suffix::CrLf => b"\r\n",
            Suffix::None => b"",
        }
    }
}

/// Scanner framing settings (must match the scanner's own configuration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannerConfig {
    /// Bytes the scanner sends before each code (often empty or STX); a frame
    /// without it is rejected.
    pub prefix: Vec<u8>,
    pub suffix: Suffix,
    /// Parse and strip AIM symbology identifiers.
    pub aim_ids: bool,
    /// Longest accepted frame in bytes (prefix and AIM id included).
    pub max_len: usize,
    /// Silence that ends a frame (suffix `None`) or drops a partial one.
    pub idle_timeout_ms: u64,
}

impl Default for ScannerConfig {
    fn default() -> Self {
        Self {
            prefix: Vec::new(),
            suffix: Suffix::Cr,
            aim_ids: true,
            max_len: 128,
            idle_timeout_ms: 200,
        }
    }
}

/// Symbology named by an AIM identifier.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Symbology {
    /// EAN-13 or UPC-A (sent as 13 digits) — `]E0`.
    Ean13,
    /// EAN-13 with a 2/5-digit add-on — `]E3`.
    Ean13AddOn,
    /// EAN-8 — `]E4`.
    Ean8,
    /// Code 128 — `]C0`.
    Code128,
    /// GS1-128 (Code 128 with FNC1 first) — `]C1`.
    Gs1Code128,
    /// Code 39 — `]A*`.
    Code39,
    /// Interleaved 2 of 5 — `]I*`.
    Itf,
    /// GS1 DataBar — `]e*`.
    Gs1DataBar,
    /// Data Matrix ECC 200 — `]d1`.
    DataMatrix,
    /// GS1 DataMatrix — `]d2`.
    Gs1DataMatrix,
    /// QR Code — `]Q1`.
    Qr,
    /// GS1 QR Code — `]Q3`.
    Gs1Qr,
    /// PDF417 — `]L*`.
    Pdf417,
    /// Another identifier, kept verbatim (e.g. `"]F0"`).
    Other(String),
    /// The frame carried no AIM identifier.
    Unidentified,
}

impl Symbology {
    /// Maps the two characters after `]`.
    pub fn from_aim(code: char, modifier: char) -> Symbology {
        match (code, modifier) {
            ('E', '0') => Symbology::Ean13,
            ('E', '3') => Symbology::Ean13AddOn,
            ('E', '4') => Symbology::Ean8,
            ('C', '1') => Symbology::Gs1Code128,
            ('C', _) => Symbology::Code128,
            ('A', _) => Symbology::Code39,
            ('I', _) => Symbology::Itf,
            ('e', _) => Symbology::Gs1DataBar,
            ('d', '2') => Symbology::Gs1DataMatrix,
            ('d', _) => Symbology::DataMatrix,
            ('Q', '3') => Symbology::Gs1Qr,
            ('Q', _) => Symbology::Qr,
            ('L', _) => Symbology::Pdf417,
            (c, m) => Symbology::Other(format!("]{c}{m}")),
        }
    }

    /// Whether the payload follows GS1 element strings (AIs, GS separators).
    pub fn is_gs1(&self) -> bool {
        matches!(
            self,
            Symbology::Gs1Code128
                | Symbology::Gs1DataMatrix
                | Symbology::Gs1Qr
                | Symbology::Gs1DataBar
        )
    }
}

/// One decoded scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanEvent {
    /// The payload without prefix, AIM id and suffix; GS kept.
    pub code: String,
    pub symbology: Symbology,
}

/// What can go wrong reading a scanner. Frame errors leave the reader usable.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error(transparent)]
    Transport(#[from] DriverError),
    #[error(
        "scanner sent a non-printable byte 0x{byte:02X} at position {position} — line noise or wrong baud rate; check the cable and that the scanner's baud matches the URI, then scan again"
    )]
    NonPrintable { byte: u8, position: usize },
    #[error(
        "scanner sent more than {limit} bytes without a terminator — wrong suffix setting or line noise; check the scanner's suffix (CR/LF/CRLF) matches the configuration, then scan again"
    )]
    Overlong { limit: usize },
    #[error(
        "scanner frame lacks the configured prefix — check the scanner's prefix setting, then scan again"
    )]
    MissingPrefix,
    #[error(
        "scanner sent {len} bytes and then stopped without a terminator — scan again; if it repeats, check the suffix setting"
    )]
    Incomplete { len: usize },
}

impl ScanError {
    /// Stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            ScanError::Transport(e) => e.code(),
            ScanError::NonPrintable { .. } => "scanner.non_printable",
            ScanError::Overlong { .. } => "scanner.overlong",
            ScanError::MissingPrefix => "scanner.missing_prefix",
            ScanError::Incomplete { .. } => "scanner.incomplete",
        }
    }
}

/// Decodes one complete frame (terminator already removed).
pub fn decode_frame(frame: &[u8], config: &ScannerConfig) -> Result<ScanEvent, ScanError> {
    let body = frame
        .strip_prefix(config.prefix.as_slice())
        .ok_or(ScanError::MissingPrefix)?;
    let offset = frame.len() - body.len();
    if let Some(position) = body.iter().position(|&b| b < 0x20 && b != GS || b == 0x7F) {
        return Err(ScanError::NonPrintable {
            byte: body[position],
            position: offset + position,
        });
    }
    let text = std::str::from_utf8(body).map_err(|e| ScanError::NonPrintable {
        byte: body[e.valid_up_to()],
        position: offset + e.valid_up_to(),
    })?;
    let mut chars = text.chars();
    if config.aim_ids
        && let (Some(']'), Some(code), Some(modifier)) = (chars.next(), chars.next(), chars.next())
        && code.is_ascii_alphabetic()
        && modifier.is_ascii_alphanumeric()
    {
        return Ok(ScanEvent {
            code: chars.as_str().to_owned(),
            symbology: Symbology::from_aim(code, modifier),
        });
    }
    Ok(ScanEvent {
        code: text.to_owned(),
        symbology: Symbology::Unidentified,
    })
}

/// Splits a byte stream into frames and decodes them.
#[derive(Debug, Clone)]
pub struct ScanFramer {
    config: ScannerConfig,
    buf: Vec<u8>,
    /// Discarding an overlong frame until the next terminator.
    discarding: bool,
    /// The previous byte ended a frame with CR (an LF right after is skipped).
    after_cr: bool,
}

impl ScanFramer {
    pub fn new(config: ScannerConfig) -> Self {
        Self {
            config,
            buf: Vec::new(),
            discarding: false,
            after_cr: false,
        }
    }

    pub fn config(&self) -> &ScannerConfig {
        &self.config
    }

    /// True while part of a frame is buffered (or being discarded).
    pub fn has_partial(&self) -> bool {
        !self.buf.is_empty() || self.discarding
    }

    /// Feeds received bytes; returns the frames they complete.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Result<ScanEvent, ScanError>> {
        let mut out = Vec::new();
        for &b in bytes {
            let after_cr = std::mem::take(&mut self.after_cr);
            let ends_frame = match self.config.suffix {
                Suffix::Cr => {
                    if b == LF && after_cr {
                        continue;
                    }
                    b == CR
                }
                Suffix::Lf | Suffix::CrLf => b == LF,
                Suffix::None => false,
            };
            if ends_frame {
                self.after_cr = b == CR;
                if self.discarding {
                    self.discarding = false;
                } else {
                    self.end_frame(&mut out);
                }
                continue;
            }
            if self.discarding {
                continue;
            }
            self.buf.push(b);
            let len = self.buf.len();
            // Allow one trailing CR beyond the limit in LF modes (it is stripped).
            let slack =
                usize::from(matches!(self.config.suffix, Suffix::Lf | Suffix::CrLf) && b == CR);
            if len > self.config.max_len + slack {
                self.buf.clear();
                self.discarding = self.config.suffix != Suffix::None;
                out.push(Err(ScanError::Overlong {
                    limit: self.config.max_len,
                }));
            }
        }
        out
    }

    /// The line has been idle for `idle_timeout_ms`: ends a suffix-less frame,
    /// or drops a partial one.
    pub fn idle(&mut self) -> Option<Result<ScanEvent, ScanError>> {
        self.after_cr = false;
        if self.discarding {
            self.discarding = false;
            return None;
        }
        if self.buf.is_empty() {
            return None;
        }
        if self.config.suffix == Suffix::None {
            let mut out = Vec::new();
            self.end_frame(&mut out);
            return out.pop();
        }
        let len = self.buf.len();
        self.buf.clear();
        Some(Err(ScanError::Incomplete { len }))
    }

    fn end_frame(&mut self, out: &mut Vec<Result<ScanEvent, ScanError>>) {
        let mut frame = std::mem::take(&mut self.buf);
        if matches!(self.config.suffix, Suffix::Lf | Suffix::CrLf) && frame.last() == Some(&CR) {
            frame.pop();
        }
        if frame.is_empty() {
            return;
        }
        out.push(decode_frame(&frame, &self.config));
    }
}

/// A scanner on a serial port (or any [`Transport`]).
#[derive(Debug)]
pub struct SerialScanner {
    transport: Box<dyn Transport + Send>,
    framer: ScanFramer,
    pending: VecDeque<Result<ScanEvent, ScanError>>,
    last_byte: Option<Instant>,
}

impl SerialScanner {
    /// Opens the scanner named by `uri` (baud etc. from the URI).
    pub fn open(uri: &DeviceUri, config: ScannerConfig) -> Result<Self, ScanError> {
        let transport = transport::open(uri, Timeouts::default())?;
        Ok(Self::from_transport(transport, config))
    }

    pub fn from_transport(transport: Box<dyn Transport + Send>, config: ScannerConfig) -> Self {
        Self {
            transport,
            framer: ScanFramer::new(config),
            pending: VecDeque::new(),
            last_byte: None,
        }
    }

    /// Waits up to `wait_ms` for the next scan. `Ok(None)`: nothing scanned.
    /// A frame error is returned once and the scanner stays usable; a
    /// transport error (`Offline` when the port vanished) means reopen.
    pub fn next_scan(&mut self, wait_ms: u64) -> Result<Option<ScanEvent>, ScanError> {
        let deadline = Instant::now() + Duration::from_millis(wait_ms);
        let idle = Duration::from_millis(self.framer.config().idle_timeout_ms.max(1));
        let mut buf = [0u8; 256];
        loop {
            if let Some(next) = self.pending.pop_front() {
                return next.map(Some);
            }
            let now = Instant::now();
            if self.framer.has_partial()
                && let Some(last) = self.last_byte
                && now.duration_since(last) >= idle
            {
                if let Some(result) = self.framer.idle() {
                    self.pending.push_back(result);
                }
                continue;
            }
            if now >= deadline {
                return Ok(None);
            }
            let mut slice = deadline - now;
            if self.framer.has_partial()
                && let Some(last) = self.last_byte
            {
                slice = slice.min((last + idle).saturating_duration_since(now));
            }
            let slice_ms = u64::try_from(slice.as_millis()).unwrap_or(u64::MAX).max(1);
            match self.transport.read(&mut buf, slice_ms) {
                Ok(n) => {
                    self.last_byte = Some(Instant::now());
                    self.pending.extend(self.framer.push(&buf[..n]));
                }
                Err(DriverError::Timeout { .. }) => {}
                Err(e) => {
                    return Err(ScanError::Transport(
                        e.on(crate::error::DeviceKind::Scanner),
                    ));
                }
            }
        }
    }

    /// The reader loop: sends every scan and frame error to `events` until
    /// `stop` is set, the receiver is gone, or the transport fails (the
    /// failure is sent last).
    pub fn run_reader(
        mut self,
        events: Sender<Result<ScanEvent, ScanError>>,
        stop: Arc<AtomicBool>,
    ) {
        while !stop.load(Ordering::Relaxed) {
            match self.next_scan(100) {
                Ok(None) => {}
                Ok(Some(scan)) => {
                    if events.send(Ok(scan)).is_err() {
                        return;
                    }
                }
                Err(ScanError::Transport(e)) => {
                    let _ = events.send(Err(ScanError::Transport(e)));
                    return;
                }
                Err(frame_error) => {
                    if events.send(Err(frame_error)).is_err() {
                        return;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
