//! Reading one change's `data` object field by field.
//!
//! Head office publishes from JSON and from CSV, and CSV sends every value
//! as a string, so numbers and booleans are read from strings too; `null`
//! and an empty string mean "not given". Amounts are decimal strings or
//! whole JSON numbers, never fractional JSON numbers (a float cannot hold
//! 0.10 exactly). Every field a reader asks for is marked known; whatever
//! is left at [`Fields::finish`] is an unknown field and refuses the change.

use std::str::FromStr;

use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use super::ChangeFault;

/// Longest text field, in bytes (names, groups, hashes…).
pub const MAX_TEXT_BYTES: usize = 1024;
/// Largest amount (price, cost, credit limit, balance) a change may carry.
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);

/// The fields of one `data` object, with the names read so far.
pub(crate) struct Fields<'a> {
    map: &'a Map<String, Value>,
    known: Vec<&'static str>,
}

fn bad(field: &'static str, problem: impl Into<String>) -> ChangeFault {
    ChangeFault::BadValue {
        field,
        problem: problem.into(),
    }
}

/// Text without control characters, at most [`MAX_TEXT_BYTES`].
pub(crate) fn check_text(field: &'static str, text: &str) -> Result<(), ChangeFault> {
    if text.len() > MAX_TEXT_BYTES {
        return Err(bad(
            field,
            format!(
                "{} bytes is longer than the {MAX_TEXT_BYTES} allowed",
                text.len()
            ),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(bad(
            field,
            "contains control characters (tabs, line breaks, NUL…)",
        ));
    }
    Ok(())
}

impl<'a> Fields<'a> {
    pub(crate) fn new(map: &'a Map<String, Value>) -> Self {
        Fields {
            map,
            known: Vec::with_capacity(map.len()),
        }
    }

    fn raw(&mut self, field: &'static str) -> Option<&'a Value> {
        self.known.push(field);
        match self.map.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(v) => Some(v),
        }
    }

    /// A text field (`None` when absent, null or empty).
    pub(crate) fn text(&mut self, field: &'static str) -> Result<Option<String>, ChangeFault> {
        match self.raw(field) {
            None => Ok(None),
            Some(Value::String(s)) => {
                check_text(field, s)?;
                Ok(Some(s.clone()))
            }
            Some(other) => Err(bad(field, format!("{other} is not a text string"))),
        }
    }

    /// A text field that must be there.
    pub(crate) fn required_text(&mut self, field: &'static str) -> Result<String, ChangeFault> {
        self.text(field)?.ok_or(ChangeFault::MissingField { field })
    }

    /// A field that repeats the key (`sku` of a product published from
    /// CSV): accepted when equal to it.
    pub(crate) fn key_echo(&mut self, field: &'static str, key: &str) -> Result<(), ChangeFault> {
        match self.text(field)? {
            Some(value) if value != key => Err(bad(
                field,
                format!("{value:?} differs from the change's key {key:?}"),
            )),
            _ => Ok(()),
        }
    }

    /// A decimal given as a string or a whole JSON number.
    pub(crate) fn decimal(&mut self, field: &'static str) -> Result<Option<Decimal>, ChangeFault> {
        let text = match self.raw(field) {
            None => return Ok(None),
            Some(Value::String(s)) => s.trim().to_owned(),
            Some(Value::Number(n)) if n.is_i64() || n.is_u64() => n.to_string(),
            Some(other) => {
                return Err(bad(
                    field,
                    format!("{other} is not a decimal string — write it like \"12.50\""),
                ));
            }
        };
        Decimal::from_str(&text).map(Some).map_err(|_| {
            bad(
                field,
                format!("{text:?} is not a decimal number — write it like 12.50"),
            )
        })
    }

    /// An amount in `0..=`[`MAX_AMOUNT`].
    pub(crate) fn amount(&mut self, field: &'static str) -> Result<Option<Decimal>, ChangeFault> {
        self.decimal(field)?
            .map(|d| check_amount(field, d, Decimal::ZERO))
            .transpose()
    }

    /// An amount that must be there.
    pub(crate) fn required_amount(&mut self, field: &'static str) -> Result<Decimal, ChangeFault> {
        self.amount(field)?
            .ok_or(ChangeFault::MissingField { field })
    }

    /// A whole number (a JSON number or a string of digits).
    pub(crate) fn whole(&mut self, field: &'static str) -> Result<Option<u32>, ChangeFault> {
        let parsed = match self.raw(field) {
            None => return Ok(None),
            Some(Value::String(s)) => s.trim().parse::<u32>().ok(),
            Some(Value::Number(n)) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
            Some(_) => None,
        };
        parsed
            .map(Some)
            .ok_or_else(|| bad(field, "is not a whole number from 0 to 4294967295"))
    }

    /// `true`/`false` (also `"1"`/`"0"`, `"yes"`/`"no"`, any case).
    pub(crate) fn boolean(&mut self, field: &'static str) -> Result<Option<bool>, ChangeFault> {
        match self.raw(field) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => Ok(Some(true)),
                "false" | "0" | "no" => Ok(Some(false)),
                _ => Err(bad(field, format!("{s:?} is not true or false"))),
            },
            Some(other) => Err(bad(field, format!("{other} is not true or false"))),
        }
    }

    /// An ISO date (`2026-11-01`).
    pub(crate) fn date(&mut self, field: &'static str) -> Result<Option<NaiveDate>, ChangeFault> {
        self.text(field)?
            .map(|t| {
                NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d")
                    .map_err(|_| bad(field, format!("{t:?} is not a date like 2026-11-01")))
            })
            .transpose()
    }

    /// A value parsed by the domain's `FromStr` (units, lifecycle, roles).
    pub(crate) fn parsed<T: FromStr>(
        &mut self,
        field: &'static str,
    ) -> Result<Option<T>, ChangeFault>
    where
        T::Err: std::fmt::Display,
    {
        self.text(field)?
            .map(|t| t.parse::<T>().map_err(|e| bad(field, e.to_string())))
            .transpose()
    }

    /// Any JSON value, left to the caller to read.
    pub(crate) fn value(&mut self, field: &'static str) -> Option<&'a Value> {
        self.known.push(field);
        self.map.get(field)
    }

    /// Refuse the fields nobody asked for.
    pub(crate) fn finish(self, entity_fields: &'static str) -> Result<(), ChangeFault> {
        match self.map.keys().find(|k| !self.known.contains(&k.as_str())) {
            Some(field) => Err(ChangeFault::UnknownField {
                field: field.chars().take(64).collect(),
                known: entity_fields,
            }),
            None => Ok(()),
        }
    }
}

/// `value` within `floor..=`[`MAX_AMOUNT`].
pub(crate) fn check_amount(
    field: &'static str,
    value: Decimal,
    floor: Decimal,
) -> Result<Decimal, ChangeFault> {
    if value < floor {
        return Err(bad(field, format!("{value} is below {floor}")));
    }
    if value > MAX_AMOUNT {
        return Err(bad(field, format!("{value} is more than {MAX_AMOUNT}")));
    }
    Ok(value)
}

/// A promotion window bound (`2026-11-20T00:00:00`).
pub(crate) fn check_window(
    from: NaiveDateTime,
    to: Option<NaiveDateTime>,
) -> Result<(), ChangeFault> {
    match to {
        Some(to) if to <= from => Err(bad("to", format!("{to} is not after from ({from})"))),
        _ => Ok(()),
    }
}
