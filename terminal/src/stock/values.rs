//! Reading and writing stock values as SQLite TEXT: decimals, money, times.
//!
//! Decimals are stored normalised (`"24"`, `"0.85"`, `"-1.5"`) so the cache
//! written by posting and the cache written by `rebuild` are byte-identical.

use std::str::FromStr;

use chrono::NaiveDateTime;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::StockError;

/// Canonical TEXT form of a decimal: normalised, never `-0`.
pub(crate) fn dec_text(value: Decimal) -> String {
    let n = value.normalize();
    if n.is_zero() {
        "0".to_string()
    } else {
        n.to_string()
    }
}

/// Parse a stored decimal, naming the column when it is not one.
pub(crate) fn parse_dec(
    text: &str,
    table: &'static str,
    column: &'static str,
) -> Result<Decimal, StockError> {
    Decimal::from_str(text).map_err(|_| StockError::CorruptValue {
        table,
        column,
        value: text.to_string(),
    })
}

/// Parse a stored UUID.
pub(crate) fn parse_uuid(
    text: &str,
    table: &'static str,
    column: &'static str,
) -> Result<Uuid, StockError> {
    Uuid::parse_str(text).map_err(|_| StockError::CorruptValue {
        table,
        column,
        value: text.to_string(),
    })
}

/// Canonical TEXT form of a time: ISO-8601, UTC, no zone suffix.
pub(crate) fn time_text(at: NaiveDateTime) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.f").to_string()
}

/// Parse a stored time.
pub(crate) fn parse_time(
    text: &str,
    table: &'static str,
    column: &'static str,
) -> Result<NaiveDateTime, StockError> {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").map_err(|_| {
        StockError::CorruptValue {
            table,
            column,
            value: text.to_string(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn decimals_are_canonical() {
        for (value, text) in [
            (dec!(24.000), "24"),
            (dec!(0.850), "0.85"),
            (dec!(-1.50), "-1.5"),
            (dec!(-0.000), "0"),
            (dec!(0), "0"),
        ] {
            assert_eq!(dec_text(value), text);
            assert_eq!(parse_dec(text, "t", "c").unwrap(), value);
        }
    }

    #[test]
    fn corrupt_decimal_is_named() {
        let err = parse_dec("1,5", "stock_on_hand", "qty").unwrap_err();
        assert!(err.to_string().contains("stock_on_hand.qty"));
    }

    #[test]
    fn times_round_trip() {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 11, 21)
            .unwrap()
            .and_hms_milli_opt(5, 33, 18, 250)
            .unwrap();
        let text = time_text(at);
        assert_eq!(text, "2026-11-21T05:33:18.250");
        assert_eq!(parse_time(&text, "t", "c").unwrap(), at);
    }
}
