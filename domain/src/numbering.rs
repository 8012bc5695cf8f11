//! Human document numbers and Bulgaria's N-18 unique sale number.
//!
//! ## Document numbers
//! A [`DocNumber`] is 1 to 9,999,999,999, shown as 10 digits with leading
//! zeros (`0000000042`). One gapless series per (store, terminal, document
//! type) is allocated by the terminal inside the transaction that commits the
//! document; this module only says what a number is, how it is written and
//! read back, and what comes next. Zero is not a number (series start at 1),
//! and there is no number after 9,999,999,999: [`DocNumber::next`] returns
//! [`NumberingError::Overflow`] rather than wrap or grow an 11th digit.
//!
//! ## N-18 sale number (УНП)
//! Bulgarian ordinance N-18 requires a unique sale number per receipt,
//! `XXXXXXXX-ZZZZ-0000001`: the fiscal device's 8-character individual
//! number, the 4-character operator code, and a 7-digit sequence
//! (1..=9,999,999). Device and operator codes are Latin letters and digits;
//! letters are written in upper case.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ErrorCode;

/// A document's human number (1 ..= 9,999,999,999), displayed as 10 digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DocNumber(pub u64);

impl DocNumber {
    /// The largest number that fits in 10 digits.
    pub const MAX: u64 = 9_999_999_999;
    /// The first number of every series.
    pub const FIRST: DocNumber = DocNumber(1);
    /// Number of digits when displayed.
    pub const WIDTH: usize = 10;

    /// A number in range, or why not.
    pub fn new(value: u64) -> Result<DocNumber, NumberingError> {
        match value {
            0 => Err(NumberingError::Zero),
            v if v > Self::MAX => Err(NumberingError::Overflow {
                value: v.to_string(),
            }),
            v => Ok(DocNumber(v)),
        }
    }

    /// The number after this one; an error past 9,999,999,999.
    pub fn next(self) -> Result<DocNumber, NumberingError> {
        DocNumber::new(self.0.saturating_add(1))
    }

    /// Read a number: 1 to 10 digits (leading zeros allowed, so the
    /// displayed form reads back), not zero, not above the maximum.
    pub fn parse(text: &str) -> Result<DocNumber, NumberingError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(NumberingError::Empty);
        }
        if let Some((position, found)) = text.chars().enumerate().find(|(_, c)| !c.is_ascii_digit())
        {
            return Err(NumberingError::NonDigit { position, found });
        }
        let significant = text.trim_start_matches('0');
        if significant.len() > Self::WIDTH {
            return Err(NumberingError::Overflow {
                value: text.to_string(),
            });
        }
        if text.len() > Self::WIDTH {
            return Err(NumberingError::TooLong { length: text.len() });
        }
        // At most 10 digits: fits in u64.
        let value = if significant.is_empty() {
            0
        } else {
            significant
                .parse::<u64>()
                .map_err(|_| NumberingError::Overflow {
                    value: text.to_string(),
                })?
        };
        DocNumber::new(value)
    }
}

impl fmt::Display for DocNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:010}", self.0)
    }
}

impl FromStr for DocNumber {
    type Err = NumberingError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DocNumber::parse(s)
    }
}

/// Serialised as its 10-digit text, like it is printed.
impl Serialize for DocNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DocNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        DocNumber::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// The N-18 unique sale number, `XXXXXXXX-ZZZZ-0000001`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct N18SaleNumber {
    /// The fiscal device's individual number: 8 Latin letters/digits, upper case.
    pub device_id: String,
    /// The operator code: 4 Latin letters/digits, upper case.
    pub operator: String,
    /// 1 ..= 9,999,999.
    pub seq: u32,
}

/// The largest N-18 sequence.
pub const N18_MAX_SEQ: u32 = 9_999_999;

fn alnum_field(
    text: &str,
    len: usize,
    error: fn(String) -> NumberingError,
) -> Result<String, NumberingError> {
    if text.len() == len && text.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(text.to_ascii_uppercase())
    } else {
        Err(error(text.to_string()))
    }
}

impl N18SaleNumber {
    /// Validate the parts.
    pub fn new(device_id: &str, operator: &str, seq: u32) -> Result<Self, NumberingError> {
        let device_id = alnum_field(device_id, 8, |v| NumberingError::BadDeviceId { value: v })?;
        let operator = alnum_field(operator, 4, |v| NumberingError::BadOperator { value: v })?;
        if !(1..=N18_MAX_SEQ).contains(&seq) {
            return Err(NumberingError::SeqOutOfRange { seq });
        }
        Ok(N18SaleNumber {
            device_id,
            operator,
            seq,
        })
    }

    /// Read `XXXXXXXX-ZZZZ-0000001` back.
    pub fn parse(text: &str) -> Result<Self, NumberingError> {
        let bad = || NumberingError::BadSaleNumber {
            value: text.to_string(),
        };
        let mut parts = text.trim().split('-');
        let (Some(device), Some(operator), Some(seq), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        if seq.len() != 7 || !seq.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let seq: u32 = seq.parse().map_err(|_| bad())?;
        N18SaleNumber::new(device, operator, seq)
    }
}

impl fmt::Display for N18SaleNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{:07}", self.device_id, self.operator, self.seq)
    }
}

impl FromStr for N18SaleNumber {
    type Err = NumberingError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        N18SaleNumber::parse(s)
    }
}

/// The N-18 unique sale number `XXXXXXXX-ZZZZ-0000001` for a device id
/// (8 letters/digits), an operator code (4) and a sequence (1..=9,999,999).
pub fn n18_sale_number(
    device_id: &str,
    operator: &str,
    seq: u32,
) -> Result<String, NumberingError> {
    N18SaleNumber::new(device_id, operator, seq).map(|n| n.to_string())
}

/// Why a number could not be made or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberingError {
    /// No text.
    #[error("the document number is empty — type the 10-digit number")]
    Empty,
    /// Not a digit.
    #[error(
        "character '{found}' at position {position} is not a digit — a document number has digits only"
    )]
    NonDigit {
        /// 0-based position.
        position: usize,
        /// The character.
        found: char,
    },
    /// More than 10 characters although the value would fit.
    #[error("the document number has {length} digits — write at most 10")]
    TooLong {
        /// Length found.
        length: usize,
    },
    /// Above 9,999,999,999: the series is exhausted.
    #[error(
        "document number {value} is past 9999999999 — the series is exhausted; start a new series (new terminal or document type)"
    )]
    Overflow {
        /// The value.
        value: String,
    },
    /// Zero is not a document number.
    #[error("0000000000 is not a document number — series start at 0000000001")]
    Zero,
    /// The device id is not 8 letters/digits.
    #[error(
        "fiscal device id {value:?} must be exactly 8 Latin letters or digits — check the device settings"
    )]
    BadDeviceId {
        /// The value.
        value: String,
    },
    /// The operator code is not 4 letters/digits.
    #[error(
        "operator code {value:?} must be exactly 4 Latin letters or digits — check the user's operator code"
    )]
    BadOperator {
        /// The value.
        value: String,
    },
    /// The sequence is outside 1..=9,999,999.
    #[error(
        "sale sequence {seq} is outside 1..=9999999 — the N-18 sequence of this device is exhausted or not started"
    )]
    SeqOutOfRange {
        /// The value.
        seq: u32,
    },
    /// Text that is not `XXXXXXXX-ZZZZ-0000001`.
    #[error("{value:?} is not a unique sale number of the form XXXXXXXX-ZZZZ-0000001")]
    BadSaleNumber {
        /// The text.
        value: String,
    },
}

impl ErrorCode for NumberingError {
    fn code(&self) -> &'static str {
        match self {
            NumberingError::Empty => "numbering.empty",
            NumberingError::NonDigit { .. } => "numbering.non_digit",
            NumberingError::TooLong { .. } => "numbering.too_long",
            NumberingError::Overflow { .. } => "numbering.overflow",
            NumberingError::Zero => "numbering.zero",
            NumberingError::BadDeviceId { .. } => "numbering.bad_device_id",
            NumberingError::BadOperator { .. } => "numbering.bad_operator",
            NumberingError::SeqOutOfRange { .. } => "numbering.seq_out_of_range",
            NumberingError::BadSaleNumber { .. } => "numbering.bad_sale_number",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn displays_ten_digits_and_reads_back() {
        let cases = [
            (1u64, "0000000001"),
            (42, "0000000042"),
            (1_234_567_890, "1234567890"),
            (DocNumber::MAX, "9999999999"),
        ];
        for (value, text) in cases {
            let n = DocNumber::new(value).unwrap();
            assert_eq!(n.to_string(), text);
            assert_eq!(DocNumber::parse(text), Ok(n));
            assert_eq!(text.parse::<DocNumber>(), Ok(n));
        }
        assert_eq!(DocNumber::parse(" 42 "), Ok(DocNumber(42)));
    }

    #[test]
    fn next_counts_up_and_stops_at_the_maximum() {
        assert_eq!(DocNumber::FIRST.next(), Ok(DocNumber(2)));
        assert_eq!(
            DocNumber(9_999_999_998).next(),
            Ok(DocNumber(DocNumber::MAX))
        );
        let err = DocNumber(DocNumber::MAX).next().unwrap_err();
        assert_eq!(err.code(), "numbering.overflow");
        assert_eq!(
            DocNumber(u64::MAX).next().unwrap_err().code(),
            "numbering.overflow"
        );
    }

    #[test]
    fn bad_numbers_are_named() {
        let cases = [
            ("", "numbering.empty"),
            ("   ", "numbering.empty"),
            ("0000000000", "numbering.zero"),
            ("0", "numbering.zero"),
            ("10000000000", "numbering.overflow"),
            ("99999999999999999999999", "numbering.overflow"),
            ("00000000001", "numbering.too_long"),
            ("12a", "numbering.non_digit"),
            ("-1", "numbering.non_digit"),
            ("+1", "numbering.non_digit"),
        ];
        for (text, code) in cases {
            assert_eq!(DocNumber::parse(text).unwrap_err().code(), code, "{text:?}");
        }
        assert_eq!(DocNumber::new(0).unwrap_err().code(), "numbering.zero");
        assert_eq!(
            DocNumber::new(10_000_000_000).unwrap_err().code(),
            "numbering.overflow"
        );
    }

    #[test]
    fn serialises_as_its_text() {
        let json = serde_json::to_string(&DocNumber(7)).unwrap();
        assert_eq!(json, "\"0000000007\"");
        assert_eq!(
            serde_json::from_str::<DocNumber>(&json).unwrap(),
            DocNumber(7)
        );
        assert!(serde_json::from_str::<DocNumber>("\"0\"").is_err());
    }

    #[test]
    fn n18_sale_numbers() {
        assert_eq!(
            n18_sale_number("DT123456", "0001", 1).unwrap(),
            "DT123456-0001-0000001"
        );
        assert_eq!(
            n18_sale_number("dt123456", "op01", 9_999_999).unwrap(),
            "DT123456-OP01-9999999"
        );
        let cases = [
            ("DT12345", "0001", 1, "numbering.bad_device_id"),
            ("DT1234567", "0001", 1, "numbering.bad_device_id"),
            ("DT12-456", "0001", 1, "numbering.bad_device_id"),
            ("ДТ123456", "0001", 1, "numbering.bad_device_id"),
            ("DT123456", "001", 1, "numbering.bad_operator"),
            ("DT123456", "00 1", 1, "numbering.bad_operator"),
            ("DT123456", "0001", 0, "numbering.seq_out_of_range"),
            ("DT123456", "0001", 10_000_000, "numbering.seq_out_of_range"),
        ];
        for (device, operator, seq, code) in cases {
            let err = n18_sale_number(device, operator, seq).unwrap_err();
            assert_eq!(err.code(), code, "{device} {operator} {seq}");
        }
    }

    #[test]
    fn n18_parse() {
        let n = N18SaleNumber::parse("DT123456-0001-0000042").unwrap();
        assert_eq!(
            (n.device_id.as_str(), n.operator.as_str(), n.seq),
            ("DT123456", "0001", 42)
        );
        for bad in [
            "DT123456-0001-42",
            "DT123456-0001",
            "DT123456-0001-0000042-1",
            "DT123456-0001-00000x2",
            "DT123456-0001-0000000",
            "",
        ] {
            assert!(N18SaleNumber::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn display_parse_round_trip(value in 1u64..=DocNumber::MAX) {
            let n = DocNumber(value);
            let text = n.to_string();
            prop_assert_eq!(text.len(), 10);
            prop_assert_eq!(DocNumber::parse(&text), Ok(n));
            prop_assert_eq!(n.next().map(|m| m.0), if value == DocNumber::MAX {
                Err(NumberingError::Overflow { value: (value + 1).to_string() })
            } else {
                Ok(value + 1)
            });
        }

        #[test]
        fn n18_round_trip(device in "[A-Z0-9]{8}", operator in "[A-Z0-9]{4}", seq in 1u32..=N18_MAX_SEQ) {
            let text = n18_sale_number(&device, &operator, seq).unwrap();
            prop_assert_eq!(text.len(), 21);
            let back = N18SaleNumber::parse(&text).unwrap();
            prop_assert_eq!((back.device_id, back.operator, back.seq), (device, operator, seq));
        }

        #[test]
        fn parse_never_panics(s in any::<String>()) {
            let _ = DocNumber::parse(&s);
            let _ = N18SaleNumber::parse(&s);
        }
    }
}
