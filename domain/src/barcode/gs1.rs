//! GS1-128 (and GS1 DataMatrix / QR element strings): application
//! identifiers 01, 10, 17 and 310n.
//!
//! Two input forms are read:
//! - the element string a scanner sends: AIs and values run together, a
//!   variable-length field ends with the group separator GS (0x1D) or the end
//!   of the data (the `]C1` symbology identifier is stripped by the caller);
//! - the human-readable form with parentheses: `(01)09501101530003(17)260131(10)AB12`.
//!
//! | AI    | field | length |
//! |-------|-------|--------|
//! | 01    | GTIN-14, check digit validated | 14 |
//! | 10    | batch/lot | 1–20, variable |
//! | 11, 13, 15, 16 | production, packaging, best-before, sell-by date (read, checked) | 6 |
//! | 17    | expiry date YYMMDD | 6 |
//! | 21    | serial number (read, not returned) | 1–20, variable |
//! | 310n  | net weight in kg with n decimals (n = 0–5; 3103 = grams) | 6 |
//!
//! Dates: `YY` is 2000 + YY (the domain has no clock, so GS1's sliding
//! century window, which needs today's date, is not applied); day `00` means
//! the last day of the month. The expiry returned is AI 17, or AI 15 (best
//! before) when the label has no 17. Any other AI is
//! [`BarcodeError::UnknownAi`]; a value cut short is
//! [`BarcodeError::Truncated`]; a label without AI 01 is
//! [`BarcodeError::MissingGtin`].

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use super::gtin::{require_digits, validate_gtin};
use super::{BarcodeError, Scan};

/// The ASCII group separator that ends a variable-length field.
pub const GS: char = '\u{1d}';

/// Longest variable-length field (AI 10 and 21).
const MAX_VARIABLE_LEN: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Gtin,
    Batch,
    Date,
    Expiry,
    BestBefore,
    Serial,
    /// Net weight in kg with this many decimals.
    NetWeightKg(u32),
}

impl Field {
    fn fixed_len(self) -> Option<usize> {
        match self {
            Field::Gtin => Some(14),
            Field::Date | Field::Expiry | Field::BestBefore | Field::NetWeightKg(_) => Some(6),
            Field::Batch | Field::Serial => None,
        }
    }
}

/// The field of a known AI.
fn field_of(ai: &str) -> Option<Field> {
    Some(match ai {
        "01" => Field::Gtin,
        "10" => Field::Batch,
        "11" | "13" | "16" => Field::Date,
        "15" => Field::BestBefore,
        "17" => Field::Expiry,
        "21" => Field::Serial,
        "3100" | "3101" | "3102" | "3103" | "3104" | "3105" => {
            Field::NetWeightKg(u32::from(ai.as_bytes()[3] - b'0'))
        }
        _ => return None,
    })
}

/// How many digits the AI at the start of `data` has (4 for the 31nn
/// measure family, 2 otherwise).
fn ai_len(data: &str) -> usize {
    if data.starts_with("31") { 4 } else { 2 }
}

/// Parse a GS1 date `YYMMDD`; day 00 is the month's last day.
pub fn parse_gs1_date(ai: &str, value: &str) -> Result<NaiveDate, BarcodeError> {
    let bad = || BarcodeError::BadDate {
        ai: ai.to_string(),
        value: value.to_string(),
    };
    if value.len() != 6 || require_digits(value).is_err() {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| value[r].parse::<u32>().map_err(|_| bad());
    let year = 2000 + i32::try_from(num(0..2)?).map_err(|_| bad())?;
    let month = num(2..4)?;
    let day = num(4..6)?;
    if day == 0 {
        let first = NaiveDate::from_ymd_opt(year, month, 1).ok_or_else(bad)?;
        let next_month = first
            .checked_add_months(chrono::Months::new(1))
            .ok_or_else(bad)?;
        return next_month.pred_opt().ok_or_else(bad);
    }
    NaiveDate::from_ymd_opt(year, month, day)
        .filter(|d| d.month() == month)
        .ok_or_else(bad)
}

/// One `(AI, value)` pair split out of the input.
type Element<'a> = (&'a str, &'a str);

/// Split an element string (GS-separated, no symbology identifier).
fn split_element_string(data: &str) -> Result<Vec<Element<'_>>, BarcodeError> {
    let mut rest = data.trim_start_matches(GS);
    let mut out = Vec::new();
    while !rest.is_empty() {
        let n = ai_len(rest);
        let ai = rest.get(..n).ok_or_else(|| BarcodeError::Truncated {
            ai: rest.to_string(),
        })?;
        if let Some((position, found)) = ai.chars().enumerate().find(|(_, c)| !c.is_ascii_digit()) {
            return Err(BarcodeError::NonDigit { position, found });
        }
        let field = field_of(ai).ok_or_else(|| BarcodeError::UnknownAi { ai: ai.to_string() })?;
        let after = &rest[n..];
        let (value, next) = match field.fixed_len() {
            Some(len) => {
                let value = after
                    .get(..len)
                    .filter(|v| !v.contains(GS))
                    .ok_or_else(|| BarcodeError::Truncated { ai: ai.to_string() })?;
                // Some printers end fixed fields with GS too; accept it.
                (
                    value,
                    after[len..].strip_prefix(GS).unwrap_or(&after[len..]),
                )
            }
            None => match after.find(GS) {
                Some(end) => (&after[..end], &after[end + 1..]),
                None => (after, ""),
            },
        };
        out.push((ai, value));
        rest = next;
    }
    Ok(out)
}

/// Split the parenthesised form `(01)…(10)…`.
fn split_bracketed(data: &str) -> Result<Vec<Element<'_>>, BarcodeError> {
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let inner = rest.strip_prefix('(').ok_or(BarcodeError::NonDigit {
            position: data.len() - rest.len(),
            found: rest.chars().next().unwrap_or('?'),
        })?;
        let close = inner.find(')').ok_or_else(|| BarcodeError::Truncated {
            ai: inner.to_string(),
        })?;
        let ai = &inner[..close];
        let after = &inner[close + 1..];
        let end = after.find('(').unwrap_or(after.len());
        out.push((ai, &after[..end]));
        rest = &after[end..];
    }
    Ok(out)
}

fn check_value(ai: &str, field: Field, value: &str) -> Result<(), BarcodeError> {
    match field.fixed_len() {
        Some(len) if value.len() < len => {
            return Err(BarcodeError::Truncated { ai: ai.to_string() });
        }
        Some(len) if value.len() > len => {
            return Err(BarcodeError::FieldTooLong {
                ai: ai.to_string(),
                max: len,
            });
        }
        Some(_) => require_digits(value)?,
        None => {
            if value.is_empty() {
                return Err(BarcodeError::Truncated { ai: ai.to_string() });
            }
            if value.chars().count() > MAX_VARIABLE_LEN {
                return Err(BarcodeError::FieldTooLong {
                    ai: ai.to_string(),
                    max: MAX_VARIABLE_LEN,
                });
            }
            // GS1 character set 82: printable ASCII without space.
            if let Some((position, found)) = value
                .chars()
                .enumerate()
                .find(|(_, c)| !c.is_ascii_graphic())
            {
                return Err(BarcodeError::InvalidCharacter { position, found });
            }
        }
    }
    Ok(())
}

fn build_scan(elements: Vec<Element<'_>>) -> Result<Scan, BarcodeError> {
    let mut gtin = None;
    let mut batch = None;
    let mut expiry = None;
    let mut best_before = None;
    let mut net_weight_kg = None;
    for (ai, value) in elements {
        if let Some((position, found)) = ai.chars().enumerate().find(|(_, c)| !c.is_ascii_digit()) {
            return Err(BarcodeError::NonDigit { position, found });
        }
        let field = field_of(ai).ok_or_else(|| BarcodeError::UnknownAi { ai: ai.to_string() })?;
        check_value(ai, field, value)?;
        match field {
            Field::Gtin => {
                validate_gtin(value)?;
                gtin = Some(value.to_string());
            }
            Field::Batch => batch = Some(value.to_string()),
            Field::Serial => {}
            Field::Date => {
                parse_gs1_date(ai, value)?;
            }
            Field::Expiry => expiry = Some(parse_gs1_date(ai, value)?),
            Field::BestBefore => best_before = Some(parse_gs1_date(ai, value)?),
            Field::NetWeightKg(decimals) => {
                let raw: i64 = value
                    .parse()
                    .map_err(|_| BarcodeError::Truncated { ai: ai.to_string() })?;
                net_weight_kg = Some(Decimal::new(raw, decimals));
            }
        }
    }
    Ok(Scan::Gs1 {
        gtin: gtin.ok_or(BarcodeError::MissingGtin)?,
        batch,
        expiry: expiry.or(best_before),
        net_weight_kg,
    })
}

/// Parse an element string (after the `]C1` identifier, GS-separated).
pub fn parse_element_string(data: &str) -> Result<Scan, BarcodeError> {
    build_scan(split_element_string(data)?)
}

/// Parse the parenthesised human-readable form `(01)…(17)…`.
pub fn parse_bracketed(data: &str) -> Result<Scan, BarcodeError> {
    build_scan(split_bracketed(data)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;
    use rust_decimal_macros::dec;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn dates_with_day_zero_are_month_ends() {
        let cases = [
            ("260131", Some(date(2026, 1, 31))),
            ("260200", Some(date(2026, 2, 28))),
            ("280200", Some(date(2028, 2, 29))),
            ("261200", Some(date(2026, 12, 31))),
            ("260230", None),
            ("261301", None),
            ("260001", None),
            ("2601", None),
            ("26013a", None),
        ];
        for (value, expected) in cases {
            let got = parse_gs1_date("17", value);
            match expected {
                Some(d) => assert_eq!(got, Ok(d), "{value}"),
                None => assert_eq!(got.unwrap_err().code(), "barcode.bad_date", "{value}"),
            }
        }
    }

    #[test]
    fn element_string_with_all_supported_ais() {
        let data = "0109501101530003172602001012AB-3\u{1d}3103001250";
        assert_eq!(
            parse_element_string(data).unwrap(),
            Scan::Gs1 {
                gtin: "09501101530003".into(),
                batch: Some("12AB-3".into()),
                expiry: Some(date(2026, 2, 28)),
                net_weight_kg: Some(dec!(1.250)),
            }
        );
        // Batch last: ends at the end of the data; order does not matter.
        let data = "3103000500010950110153000310LOT7";
        assert_eq!(
            parse_element_string(data).unwrap(),
            Scan::Gs1 {
                gtin: "09501101530003".into(),
                batch: Some("LOT7".into()),
                expiry: None,
                net_weight_kg: Some(dec!(0.500)),
            }
        );
    }

    #[test]
    fn bracketed_form_matches_element_string() {
        let a = parse_bracketed("(01)09501101530003(17)260131(10)AB12(3103)000750").unwrap();
        let b = parse_element_string("01095011015300031726013110AB12\u{1d}3103000750").unwrap();
        assert_eq!(a, b);
        assert!(matches!(a, Scan::Gs1 { net_weight_kg: Some(w), .. } if w == dec!(0.75)));
    }

    #[test]
    fn best_before_is_used_when_there_is_no_expiry() {
        let scan = parse_bracketed("(01)09501101530003(15)261000").unwrap();
        assert!(matches!(scan, Scan::Gs1 { expiry: Some(d), .. } if d == date(2026, 10, 31)));
        let scan = parse_bracketed("(01)09501101530003(15)261000(17)260501").unwrap();
        assert!(matches!(scan, Scan::Gs1 { expiry: Some(d), .. } if d == date(2026, 5, 1)));
    }

    #[test]
    fn broken_labels_are_named() {
        let cases = [
            ("0109501101530004", "barcode.bad_check_digit"),
            ("01095011015300", "barcode.truncated"),
            ("0109501101530003172601", "barcode.truncated"),
            ("010950110153000317261340", "barcode.bad_date"),
            ("010950110153000399ABC", "barcode.unknown_ai"),
            ("0109501101530003\u{1d}10", "barcode.truncated"),
            (
                "01095011015300031012345678901234567890123",
                "barcode.field_too_long",
            ),
            ("17260131", "barcode.missing_gtin"),
            ("010950110153000310A B", "barcode.invalid_character"),
            ("0A09501101530003", "barcode.non_digit"),
            ("0", "barcode.truncated"),
            ("3103", "barcode.truncated"),
            ("3109000100", "barcode.unknown_ai"),
        ];
        for (data, expected) in cases {
            let err = parse_element_string(data).unwrap_err();
            assert_eq!(err.code(), expected, "{data:?}: {err}");
        }
        let cases = [
            ("(01)0950110153000", "barcode.truncated"),
            ("(01)095011015300031", "barcode.field_too_long"),
            ("(01)09501101530003(10", "barcode.truncated"),
            ("(01)09501101530003x", "barcode.field_too_long"),
            ("(99)1", "barcode.unknown_ai"),
            ("(01)09501101530003(10)", "barcode.truncated"),
            ("(17)260101", "barcode.missing_gtin"),
        ];
        for (data, expected) in cases {
            let err = parse_bracketed(data).unwrap_err();
            assert_eq!(err.code(), expected, "{data:?}: {err}");
        }
    }
}
