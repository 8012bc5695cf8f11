//! Barcodes: what a scan means.
//!
//! [`parse_scan`] turns the text a scanner (or a cashier) produced into a
//! [`Scan`]:
//! 1. Surrounding spaces, tabs, CR and LF (scanner suffixes) are trimmed;
//!    empty input is [`BarcodeError::Empty`].
//! 2. A symbology identifier is stripped: `]C1` (GS1-128), `]e0` (GS1
//!    DataBar), `]d2` (GS1 DataMatrix), `]Q3` (GS1 QR) mean a GS1 element
//!    string ([`gs1`]); any other `]xy` (e.g. `]E0` for EAN-13) is dropped.
//! 3. Text starting with `(` is the parenthesised GS1 form
//!    `(01)…(17)…(10)…`; text containing the group separator GS (0x1D) is a
//!    GS1 element string; so is an all-digit text of 16+ digits starting with
//!    AI `01`.
//! 4. Digits of a GTIN length (8, 12, 13, 14) must carry a valid check digit
//!    ([`gtin`]). A 13-digit code with prefix 20–29 that has a layout in the
//!    [`BarcodeConfig`] is an in-store weight/price code ([`in_store`]);
//!    without a layout it is an ordinary item code ([`Scan::Gtin`]).
//! 5. Anything else made of visible characters (a PLU or SKU typed in) is
//!    [`Scan::Code`]. Control characters, inner whitespace and text longer
//!    than [`MAX_SCAN_LEN`] are errors: scanner noise must never become an
//!    item, and no input can make parsing panic (property-tested).
//!
//! GTINs are returned as scanned (8/12/13/14 digits, or 14 from AI 01);
//! [`to_gtin14`] gives the single form a catalog should key barcodes by.

pub mod gs1;
pub mod gtin;
pub mod in_store;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ErrorCode;
use crate::money::Money;

pub use gtin::{GtinKind, gtin_check_digit, to_gtin14, validate_gtin};
pub use in_store::{InStoreLayout, price_check_digit};

/// Longest text `parse_scan` accepts (GS1 labels are at most 48 data
/// characters; longer text is not a barcode).
pub const MAX_SCAN_LEN: usize = 96;

/// What a scan (or a typed code) means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Scan {
    /// A trade item code (EAN-13, EAN-8, UPC-A, GTIN-14) with a valid check digit.
    Gtin {
        /// The digits as scanned.
        gtin: String,
    },
    /// An in-store code (prefix 20–29) decoded with the prefix's layout.
    InStore {
        /// 20 to 29.
        prefix: u8,
        /// The item code / PLU digits, leading zeros kept.
        item_code: String,
        /// Weight in kg, 3 decimals, when the layout has `W`.
        weight_kg: Option<Decimal>,
        /// Price, when the layout has `P`.
        price: Option<Money>,
    },
    /// A GS1-128 / GS1 element string.
    Gs1 {
        /// GTIN-14 from AI 01.
        gtin: String,
        /// Batch/lot from AI 10.
        batch: Option<String>,
        /// Expiry from AI 17 (else best-before, AI 15).
        expiry: Option<NaiveDate>,
        /// Net weight from AI 310n.
        net_weight_kg: Option<Decimal>,
    },
    /// A PLU or SKU typed in (or a code that is not a GTIN).
    Code(String),
}

/// The tenant's barcode settings.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BarcodeConfig {
    /// One layout per in-store prefix (20–29) that embeds weight or price.
    #[serde(default)]
    pub in_store: Vec<InStoreLayout>,
}

impl BarcodeConfig {
    /// A common set-up: prefixes 21–24 weight (`2XIIIIIWWWWWC`), 25–28 price
    /// (`2XIIIIIPPPPPC`); 20 and 29 left as plain in-store item codes.
    pub fn common() -> Self {
        BarcodeConfig {
            in_store: (21..=24)
                .map(InStoreLayout::weight)
                .chain((25..=28).map(InStoreLayout::price))
                .collect(),
        }
    }

    /// The layout for a prefix, if configured.
    pub fn layout_for(&self, prefix: u8) -> Option<&InStoreLayout> {
        self.in_store.iter().find(|l| l.prefix == prefix)
    }

    /// Check every layout, and that no prefix has two.
    pub fn validate(&self) -> Result<(), BarcodeError> {
        for (i, layout) in self.in_store.iter().enumerate() {
            layout.validate()?;
            if self.in_store[..i].iter().any(|l| l.prefix == layout.prefix) {
                return Err(BarcodeError::BadLayout {
                    prefix: layout.prefix,
                    pattern: layout.pattern.clone(),
                    reason: "two layouts for one prefix",
                });
            }
        }
        Ok(())
    }
}

/// Symbology identifiers whose data is a GS1 element string.
const GS1_SYMBOLOGIES: [&str; 4] = ["C1", "e0", "d2", "Q3"];

/// Interpret a scan or a typed code. See the module docs for the rules.
pub fn parse_scan(code: &str, config: &BarcodeConfig) -> Result<Scan, BarcodeError> {
    let text = code.trim_matches([' ', '\t', '\r', '\n']);
    if text.is_empty() {
        return Err(BarcodeError::Empty);
    }
    if text.chars().count() > MAX_SCAN_LEN {
        return Err(BarcodeError::WrongLength {
            length: text.chars().count(),
            expected: "at most 96 characters",
        });
    }
    if let Some(rest) = text.strip_prefix(']') {
        let id: String = rest.chars().take(2).collect();
        let body = rest.get(id.len()..).unwrap_or("");
        if let Some((position, found)) = id
            .chars()
            .enumerate()
            .find(|(_, c)| !c.is_ascii_alphanumeric())
        {
            return Err(BarcodeError::InvalidCharacter {
                position: position + 1,
                found,
            });
        }
        if id.len() < 2 || body.is_empty() {
            return Err(BarcodeError::Truncated {
                ai: text.to_string(),
            });
        }
        if GS1_SYMBOLOGIES.contains(&id.as_str()) {
            return gs1::parse_element_string(body);
        }
        return parse_plain(body, config);
    }
    if text.starts_with('(') {
        return gs1::parse_bracketed(text);
    }
    if text.contains(gs1::GS) {
        return gs1::parse_element_string(text);
    }
    parse_plain(text, config)
}

fn parse_plain(text: &str, config: &BarcodeConfig) -> Result<Scan, BarcodeError> {
    if let Some((position, found)) = text
        .chars()
        .enumerate()
        .find(|(_, c)| c.is_control() || c.is_whitespace())
    {
        return Err(BarcodeError::InvalidCharacter { position, found });
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(Scan::Code(text.to_string()));
    }
    match text.len() {
        8 | 12 | 14 => {
            validate_gtin(text)?;
            Ok(Scan::Gtin {
                gtin: text.to_string(),
            })
        }
        13 => {
            validate_gtin(text)?;
            let prefix = (text.as_bytes()[0] - b'0') * 10 + (text.as_bytes()[1] - b'0');
            match config.layout_for(prefix) {
                Some(layout) if (20..=29).contains(&prefix) => layout.decode(text),
                _ => Ok(Scan::Gtin {
                    gtin: text.to_string(),
                }),
            }
        }
        len if len >= 16 && text.starts_with("01") => gs1::parse_element_string(text),
        _ => Ok(Scan::Code(text.to_string())),
    }
}

/// Why a code could not be read. Every variant is a named, expected result
/// of bad input, never a panic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BarcodeError {
    /// Nothing was scanned.
    #[error("the scan is empty — scan again or type the code")]
    Empty,
    /// A digit was required.
    #[error("character '{found}' at position {position} is not a digit — rescan the barcode")]
    NonDigit {
        /// 0-based character position.
        position: usize,
        /// The character found.
        found: char,
    },
    /// A control character or whitespace inside the code (scanner noise).
    #[error(
        "character {found:?} at position {position} cannot be part of a code — rescan, or check the scanner's suffix settings"
    )]
    InvalidCharacter {
        /// 0-based character position.
        position: usize,
        /// The character found.
        found: char,
    },
    /// The code has the wrong number of digits.
    #[error("the code has {length} characters but {expected} are needed — rescan the barcode")]
    WrongLength {
        /// Length found.
        length: usize,
        /// What was expected.
        expected: &'static str,
    },
    /// The GTIN check digit does not match.
    #[error(
        "barcode {code} has check digit {found}, expected {expected} — it was misread; rescan or type it"
    )]
    BadCheckDigit {
        /// The code.
        code: String,
        /// The correct check digit.
        expected: u8,
        /// The check digit in the code.
        found: u8,
    },
    /// The in-store price/weight check digit does not match.
    #[error(
        "in-store barcode {code} has price/weight check digit {found}, expected {expected} — rescan, or reprint the scale label"
    )]
    BadPriceCheckDigit {
        /// The code.
        code: String,
        /// The correct digit.
        expected: u8,
        /// The digit in the code.
        found: u8,
    },
    /// An in-store layout is not usable.
    #[error(
        "in-store layout {pattern:?} for prefix {prefix} is invalid: {reason} — fix the barcode settings"
    )]
    BadLayout {
        /// The prefix.
        prefix: u8,
        /// The pattern.
        pattern: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A value does not fit its field when building a code.
    #[error("{field} {value} does not fit in {digits} digits — use a layout with a wider field")]
    FieldOverflow {
        /// Which field.
        field: &'static str,
        /// The value.
        value: String,
        /// The field width.
        digits: usize,
    },
    /// A value the layout needs was not given when building a code.
    #[error("the layout has a {field} field but no {field} was given — pass it")]
    MissingField {
        /// Which field.
        field: &'static str,
    },
    /// A GS1 application identifier Kasa does not read.
    #[error("GS1 application identifier ({ai}) is not supported — scan the product's EAN instead")]
    UnknownAi {
        /// The AI.
        ai: String,
    },
    /// The data ends inside a field.
    #[error("the GS1 data ends inside field ({ai}) — rescan the whole label")]
    Truncated {
        /// The AI (or the text) that was cut short.
        ai: String,
    },
    /// A field is longer than GS1 allows.
    #[error("GS1 field ({ai}) is longer than {max} characters — the label is malformed")]
    FieldTooLong {
        /// The AI.
        ai: String,
        /// Its maximum length.
        max: usize,
    },
    /// A GS1 date is not a calendar date.
    #[error("GS1 field ({ai}) has {value:?}, which is not a date YYMMDD — check the label")]
    BadDate {
        /// The AI.
        ai: String,
        /// The value.
        value: String,
    },
    /// A GS1 label without AI 01.
    #[error("the GS1 label has no GTIN (01) — scan the product's EAN instead")]
    MissingGtin,
}

impl ErrorCode for BarcodeError {
    fn code(&self) -> &'static str {
        match self {
            BarcodeError::Empty => "barcode.empty",
            BarcodeError::NonDigit { .. } => "barcode.non_digit",
            BarcodeError::InvalidCharacter { .. } => "barcode.invalid_character",
            BarcodeError::WrongLength { .. } => "barcode.wrong_length",
            BarcodeError::BadCheckDigit { .. } => "barcode.bad_check_digit",
            BarcodeError::BadPriceCheckDigit { .. } => "barcode.bad_price_check_digit",
            BarcodeError::BadLayout { .. } => "barcode.bad_layout",
            BarcodeError::FieldOverflow { .. } => "barcode.field_overflow",
            BarcodeError::MissingField { .. } => "barcode.missing_field",
            BarcodeError::UnknownAi { .. } => "barcode.unknown_ai",
            BarcodeError::Truncated { .. } => "barcode.truncated",
            BarcodeError::FieldTooLong { .. } => "barcode.field_too_long",
            BarcodeError::BadDate { .. } => "barcode.bad_date",
            BarcodeError::MissingGtin => "barcode.missing_gtin",
        }
    }
}

#[cfg(test)]
mod tests;
