//! Small text rules shared by import, lookup and search.
//!
//! Names are folded for search in Rust with `str::to_lowercase` (full
//! Unicode: Cyrillic «ХЛЯБ» → «хляб»), with runs of whitespace collapsed to
//! one space. SQLite's own `lower()` folds ASCII only, so the folded form is
//! computed here, stored in `products.name_norm`, and the same function folds
//! what the cashier types.

use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;

/// The search form of a name or of typed text.
pub(crate) fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        for c in word.chars() {
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// A non-negative decimal written with a dot (`12.50`). `None` for empty.
pub(crate) fn parse_decimal(field: &str, what: &str) -> Result<Option<Decimal>, String> {
    if field.is_empty() {
        return Ok(None);
    }
    let value = Decimal::from_str(field).map_err(|_| {
        format!("{what} `{field}` is not a decimal number — write it like 12.50 (dot, no thousands separators)")
    })?;
    if value.is_sign_negative() {
        return Err(format!("{what} `{field}` is negative — write 0 or more"));
    }
    Ok(Some(value))
}

/// An ISO date (`2026-01-31`). `None` for empty.
pub(crate) fn parse_date(field: &str, what: &str) -> Result<Option<NaiveDate>, String> {
    if field.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(field, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| format!("{what} `{field}` is not a date — write it as YYYY-MM-DD"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_cyrillic_and_latin_and_spaces() {
        assert_eq!(fold("  ХЛЯБ  Добруджа "), "хляб добруджа");
        assert_eq!(fold("Coca-Cola ZERO"), "coca-cola zero");
        assert_eq!(fold("Ябълки Златна"), "ябълки златна");
    }

    #[test]
    fn decimals_need_a_dot_and_no_sign() {
        assert_eq!(
            parse_decimal("12.50", "price")
                .unwrap()
                .unwrap()
                .to_string(),
            "12.50"
        );
        assert_eq!(parse_decimal("", "price").unwrap(), None);
        assert!(parse_decimal("12,50", "price").is_err());
        assert!(parse_decimal("-1", "price").is_err());
        assert!(parse_decimal("abc", "price").is_err());
    }

    #[test]
    fn dates_are_iso() {
        assert_eq!(
            parse_date("2026-02-28", "valid_from").unwrap(),
            NaiveDate::from_ymd_opt(2026, 2, 28)
        );
        assert!(parse_date("28.02.2026", "valid_from").is_err());
        assert!(parse_date("2026-02-30", "valid_from").is_err());
    }
}
