//! Real-time printer status: `DLE EOT n` (0x10 0x04 n) answers parsed into
//! a typed [`PrinterStatus`].
//!
//! Per Epson's ESC/POS reference every answer byte has bits 0 and 7 fixed
//! at 0 and bits 1 and 4 fixed at 1 (`b & 0x93 == 0x12`); a byte that breaks
//! this is not a status answer (noise, an ASB message, another protocol) and
//! is rejected rather than guessed at.
//!
//! | n | bit | meaning when 1 |
//! |---|-----|----------------|
//! | 1 printer | 2 | drawer kick-out connector pin 3 is high |
//! | 1 | 3 | printer is offline |
//! | 1 | 5 | waiting for online recovery |
//! | 1 | 6 | paper feed button pressed |
//! | 2 offline cause | 2 | cover is open |
//! | 2 | 3 | paper being fed by the feed button |
//! | 2 | 5 | printing stopped: paper end |
//! | 2 | 6 | an error occurred |
//! | 3 error cause | 2 | mechanical error (e.g. home position) |
//! | 3 | 3 | autocutter error |
//! | 3 | 5 | unrecoverable error |
//! | 3 | 6 | automatically recoverable error (head temperature, voltage) |
//! | 4 paper sensor | 2,3 | roll paper near-end sensor: paper near end (both set) |
//! | 4 | 5,6 | roll paper end sensor: paper not present (both set) |
//!
//! Pin 3 is the drawer-open switch; which level means "open" depends on the
//! drawer. [`DrawerSense::HighIsOpen`] is the common case (Epson-compatible
//! drawers close the switch to ground when shut) and the default.

use crate::error::DriverError;

/// `DLE EOT n` request bytes.
pub fn request(n: u8) -> [u8; 3] {
    [0x10, 0x04, n]
}

/// Status bytes' fixed bits.
pub const FIXED_MASK: u8 = 0x93;
pub const FIXED_VALUE: u8 = 0x12;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PaperState {
    Ok,
    NearEnd,
    Out,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PrinterFault {
    /// Mechanical error (e.g. print head home position).
    Mechanical,
    Autocutter,
    /// Needs the printer switched off and on (or service).
    Unrecoverable,
    /// Clears by itself (head too hot, voltage).
    AutoRecoverable,
}

impl PrinterFault {
    /// The fault and what to do, in a shop's words.
    pub fn describe(self) -> &'static str {
        match self {
            PrinterFault::Mechanical => {
                "a mechanical fault (paper jam or print head) — open the cover, clear the paper and close it"
            }
            PrinterFault::Autocutter => {
                "the paper cutter is stuck — switch the printer off, free the cutter and switch it on"
            }
            PrinterFault::Unrecoverable => {
                "a fault that needs the printer switched off and on again (or a service visit)"
            }
            PrinterFault::AutoRecoverable => {
                "a passing fault (print head too hot or low voltage) — wait a minute"
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DrawerSense {
    #[default]
    HighIsOpen,
    LowIsOpen,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PrinterStatus {
    pub online: bool,
    pub cover_open: bool,
    pub paper: PaperState,
    /// Drawer switch (pin 3) read with the configured [`DrawerSense`].
    pub drawer_open: bool,
    /// Raw level of pin 3.
    pub drawer_pin3_high: bool,
    /// The most severe fault reported, if any.
    pub error: Option<PrinterFault>,
}

impl PrinterStatus {
    /// A printer that can take a job.
    pub fn ready(&self) -> bool {
        self.online && !self.cover_open && self.paper != PaperState::Out && self.error.is_none()
    }

    /// The error that stops printing, if any, most specific cause first.
    pub fn blocking_error(&self, device: &str) -> Option<DriverError> {
        let device = device.to_string();
        if self.cover_open {
            Some(DriverError::CoverOpen { device })
        } else if self.paper == PaperState::Out {
            Some(DriverError::PaperOut { device })
        } else if let Some(fault) = self.error {
            Some(DriverError::Device(format!(
                "printer {device} reports {}",
                fault.describe()
            )))
        } else if !self.online {
            Some(DriverError::Offline {
                device,
                detail: "printer reports offline".into(),
            })
        } else {
            None
        }
    }

    /// Parses the answers to `DLE EOT 1`, `2`, `3` and `4`, in that order.
    pub fn parse(answers: [u8; 4], sense: DrawerSense) -> Result<PrinterStatus, MalformedStatus> {
        for (i, b) in answers.iter().enumerate() {
            if b & FIXED_MASK != FIXED_VALUE {
                return Err(MalformedStatus {
                    n: i as u8 + 1,
                    byte: *b,
                });
            }
        }
        let [printer, offline, error, paper] = answers;
        let bit = |b: u8, i: u8| b & (1 << i) != 0;
        let pin3 = bit(printer, 2);
        let fault = if bit(error, 5) {
            Some(PrinterFault::Unrecoverable)
        } else if bit(error, 2) {
            Some(PrinterFault::Mechanical)
        } else if bit(error, 3) {
            Some(PrinterFault::Autocutter)
        } else if bit(error, 6) {
            Some(PrinterFault::AutoRecoverable)
        } else {
            None
        };
        let paper_state = if paper & 0x60 != 0 || bit(offline, 5) {
            PaperState::Out
        } else if paper & 0x0C != 0 {
            PaperState::NearEnd
        } else {
            PaperState::Ok
        };
        Ok(PrinterStatus {
            online: !bit(printer, 3),
            cover_open: bit(offline, 2),
            paper: paper_state,
            drawer_open: match sense {
                DrawerSense::HighIsOpen => pin3,
                DrawerSense::LowIsOpen => !pin3,
            },
            drawer_pin3_high: pin3,
            error: fault,
        })
    }

    /// The answers a printer in this state gives (used by the simulator).
    pub fn to_answers(&self) -> [u8; 4] {
        let mut printer = FIXED_VALUE;
        if self.drawer_pin3_high {
            printer |= 1 << 2;
        }
        if !self.online {
            printer |= 1 << 3;
        }
        let mut offline = FIXED_VALUE;
        if self.cover_open {
            offline |= 1 << 2;
        }
        if self.paper == PaperState::Out {
            offline |= 1 << 5;
        }
        if self.error.is_some() {
            offline |= 1 << 6;
        }
        let error = FIXED_VALUE
            | match self.error {
                None => 0,
                Some(PrinterFault::Mechanical) => 1 << 2,
                Some(PrinterFault::Autocutter) => 1 << 3,
                Some(PrinterFault::Unrecoverable) => 1 << 5,
                Some(PrinterFault::AutoRecoverable) => 1 << 6,
            };
        let paper = FIXED_VALUE
            | match self.paper {
                PaperState::Ok => 0,
                PaperState::NearEnd => 0x0C,
                PaperState::Out => 0x6C,
            };
        [printer, offline, error, paper]
    }
}

/// An answer byte whose fixed bits are wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("malformed answer 0x{byte:02X} to DLE EOT {n} (fixed bits must be 0xx1xx10)")]
pub struct MalformedStatus {
    pub n: u8,
    pub byte: u8,
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: u8 = 0x12;

    fn parse(a: [u8; 4]) -> PrinterStatus {
        PrinterStatus::parse(a, DrawerSense::HighIsOpen).unwrap()
    }

    #[test]
    fn all_clear() {
        let s = parse([OK; 4]);
        assert_eq!(
            s,
            PrinterStatus {
                online: true,
                cover_open: false,
                paper: PaperState::Ok,
                drawer_open: false,
                drawer_pin3_high: false,
                error: None
            }
        );
        assert!(s.ready());
        assert!(s.blocking_error("p").is_none());
    }

    #[test]
    fn each_bit_of_each_answer() {
        // (answers, check)
        let p = |s: PrinterStatus| s;
        assert!(parse([OK | 0x04, OK, OK, OK]).drawer_pin3_high);
        assert!(parse([OK | 0x04, OK, OK, OK]).drawer_open);
        assert!(
            !PrinterStatus::parse([OK | 0x04, OK, OK, OK], DrawerSense::LowIsOpen)
                .unwrap()
                .drawer_open
        );
        assert!(!parse([OK | 0x08, OK, OK, OK]).online);
        // Bits 5 and 6 of n=1 are informational: still online, still ready.
        assert!(p(parse([OK | 0x60, OK, OK, OK])).ready());
        assert!(parse([OK, OK | 0x04, OK, OK]).cover_open);
        assert_eq!(parse([OK, OK | 0x20, OK, OK]).paper, PaperState::Out);
        assert!(parse([OK, OK | 0x08, OK, OK]).ready()); // feeding by button
        assert_eq!(
            parse([OK, OK, OK | 0x04, OK]).error,
            Some(PrinterFault::Mechanical)
        );
        assert_eq!(
            parse([OK, OK, OK | 0x08, OK]).error,
            Some(PrinterFault::Autocutter)
        );
        assert_eq!(
            parse([OK, OK, OK | 0x20, OK]).error,
            Some(PrinterFault::Unrecoverable)
        );
        assert_eq!(
            parse([OK, OK, OK | 0x40, OK]).error,
            Some(PrinterFault::AutoRecoverable)
        );
        assert_eq!(
            parse([OK, OK, OK | 0x68, OK]).error,
            Some(PrinterFault::Unrecoverable)
        );
        assert_eq!(parse([OK, OK, OK, OK | 0x0C]).paper, PaperState::NearEnd);
        assert_eq!(parse([OK, OK, OK, OK | 0x04]).paper, PaperState::NearEnd);
        assert_eq!(parse([OK, OK, OK, OK | 0x60]).paper, PaperState::Out);
        assert_eq!(parse([OK, OK, OK, OK | 0x6C]).paper, PaperState::Out);
        assert!(parse([OK, OK, OK, OK | 0x0C]).ready());
    }

    #[test]
    fn fixed_bits_are_checked_in_every_answer() {
        for n in 0..4 {
            for bad_bit in [0u8, 1, 4, 7] {
                let mut a = [OK; 4];
                a[n] ^= 1 << bad_bit;
                let e = PrinterStatus::parse(a, DrawerSense::HighIsOpen).unwrap_err();
                assert_eq!(e.n, n as u8 + 1);
            }
        }
        assert!(PrinterStatus::parse([0x00, OK, OK, OK], DrawerSense::HighIsOpen).is_err());
        assert!(PrinterStatus::parse([0xFF, OK, OK, OK], DrawerSense::HighIsOpen).is_err());
    }

    #[test]
    fn blocking_errors_name_the_cause() {
        let cover = parse([OK | 0x08, OK | 0x04, OK, OK]);
        assert_eq!(
            cover.blocking_error("p").unwrap().code(),
            "printer.cover_open"
        );
        let paper = parse([OK | 0x08, OK | 0x20, OK, OK | 0x6C]);
        assert_eq!(
            paper.blocking_error("p").unwrap().code(),
            "printer.paper_out"
        );
        let offline = parse([OK | 0x08, OK, OK, OK]);
        assert_eq!(
            offline.blocking_error("p").unwrap().code(),
            "printer.offline"
        );
        let fault = parse([OK | 0x08, OK | 0x40, OK | 0x08, OK]);
        assert_eq!(fault.blocking_error("p").unwrap().code(), "device.error");
    }

    #[test]
    fn answers_round_trip_through_the_parser() {
        for online in [true, false] {
            for cover_open in [true, false] {
                for paper in [PaperState::Ok, PaperState::NearEnd, PaperState::Out] {
                    for pin3 in [true, false] {
                        for error in [
                            None,
                            Some(PrinterFault::Autocutter),
                            Some(PrinterFault::AutoRecoverable),
                        ] {
                            let s = PrinterStatus {
                                online,
                                cover_open,
                                paper,
                                drawer_open: pin3,
                                drawer_pin3_high: pin3,
                                error,
                            };
                            assert_eq!(parse(s.to_answers()), s);
                        }
                    }
                }
            }
        }
    }
}
