//! In-store EAN-13 codes (prefixes 20–29) that embed an item code and a
//! weight or a price, with a layout configured per prefix.
//!
//! ## Layout patterns
//! A layout is 13 characters, one per digit of the EAN-13:
//!
//! | letter | meaning |
//! |--------|---------|
//! | `2`    | first digit, always 2 |
//! | `X`    | second prefix digit (or write the digit itself, e.g. `21`) |
//! | `I`    | item code / PLU digits (kept as text, leading zeros included) |
//! | `W`    | weight in grams (= kg with 3 decimals) |
//! | `P`    | price in minor units (cents: 2 decimals) |
//! | `V`    | price/weight check digit over the `P` field (else the `W` field) |
//! | `C`    | the EAN-13 check digit, always last |
//!
//! Each letter's digits must be contiguous; `I` and at least one of `W`/`P`
//! are required. Examples: `2XIIIIIWWWWWC` (5-digit PLU, weight up to
//! 99.999 kg), `2XIIIIIPPPPPC` (price up to 999.99), `2XIIIIVPPPPPC` (4-digit
//! PLU, price check digit, 5-digit price), `2XIIIIIVPPPPC`.
//!
//! ## The price/weight check digit (`V`)
//! The common EAN price-check algorithm over a 4- or 5-digit field. Each digit
//! is multiplied by a weighting factor and reduced to one digit:
//! `2-` = units − tens of 2×d, `3` = units of 3×d, `5+` = units + tens of
//! 5×d, `5-` = units − tens of 5×d (all mod 10).
//! - 4 digits: factors `2- 2- 3 5-`; the check digit is the units digit of
//!   3 × the sum (`2875` → 9).
//! - 5 digits: factors `5+ 2- 5- 5+ 2-`; the check digit is the digit whose
//!   `5-` product equals (10 − sum mod 10) mod 10 (`14685` → 6).
//!
//! Any other field length with `V` is a layout error.

use std::ops::Range;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::gtin::{gtin_check_digit, require_digits, validate_gtin};
use super::{BarcodeError, Scan};
use crate::money::Money;

/// The layout of one in-store prefix (20–29).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct InStoreLayout {
    /// The two-digit prefix, 20 to 29.
    pub prefix: u8,
    /// The 13-letter pattern (see the module docs), e.g. `"2XIIIIIWWWWWC"`.
    pub pattern: String,
}

/// Where each field sits in the 13 digits.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Fields {
    item: Range<usize>,
    weight: Option<Range<usize>>,
    price: Option<Range<usize>>,
    /// Position of the `V` digit and the field it checks.
    verifier: Option<(usize, Range<usize>)>,
}

const TABLE_2_MINUS: [u8; 10] = [0, 2, 4, 6, 8, 9, 1, 3, 5, 7];
const TABLE_3: [u8; 10] = [0, 3, 6, 9, 2, 5, 8, 1, 4, 7];
const TABLE_5_PLUS: [u8; 10] = [0, 5, 1, 6, 2, 7, 3, 8, 4, 9];
const TABLE_5_MINUS: [u8; 10] = [0, 5, 9, 4, 8, 3, 7, 2, 6, 1];

/// The price/weight check digit of a 4- or 5-digit field.
pub fn price_check_digit(field: &str) -> Result<u8, BarcodeError> {
    require_digits(field)?;
    let d: Vec<usize> = field.bytes().map(|b| usize::from(b - b'0')).collect();
    match d.len() {
        4 => {
            let sum = u32::from(TABLE_2_MINUS[d[0]])
                + u32::from(TABLE_2_MINUS[d[1]])
                + u32::from(TABLE_3[d[2]])
                + u32::from(TABLE_5_MINUS[d[3]]);
            // (sum * 3) % 10 < 10.
            Ok(((sum * 3) % 10) as u8)
        }
        5 => {
            let sum = u32::from(TABLE_5_PLUS[d[0]])
                + u32::from(TABLE_2_MINUS[d[1]])
                + u32::from(TABLE_5_MINUS[d[2]])
                + u32::from(TABLE_5_PLUS[d[3]])
                + u32::from(TABLE_2_MINUS[d[4]]);
            let target = ((10 - sum % 10) % 10) as u8;
            // TABLE_5_MINUS is a permutation of 0..=9, so the digit exists.
            let digit = TABLE_5_MINUS.iter().position(|&p| p == target).unwrap_or(0);
            Ok(digit as u8)
        }
        length => Err(BarcodeError::WrongLength {
            length,
            expected: "a 4- or 5-digit price/weight field",
        }),
    }
}

fn run_of(pattern: &[u8], letter: u8) -> Result<Option<Range<usize>>, &'static str> {
    let Some(start) = pattern.iter().position(|&c| c == letter) else {
        return Ok(None);
    };
    let end = pattern
        .iter()
        .rposition(|&c| c == letter)
        .map_or(start, |e| e + 1);
    if pattern[start..end].iter().any(|&c| c != letter) {
        return Err("each letter's digits must be contiguous");
    }
    Ok(Some(start..end))
}

impl InStoreLayout {
    /// A validated layout.
    pub fn new(prefix: u8, pattern: &str) -> Result<Self, BarcodeError> {
        let layout = InStoreLayout {
            prefix,
            pattern: pattern.to_string(),
        };
        layout.validate()?;
        Ok(layout)
    }

    /// Weight layout `2XIIIIIWWWWWC`: 5-digit item code, weight in grams.
    pub fn weight(prefix: u8) -> Self {
        InStoreLayout {
            prefix,
            pattern: "2XIIIIIWWWWWC".to_string(),
        }
    }

    /// Price layout `2XIIIIIPPPPPC`: 5-digit item code, price in cents.
    pub fn price(prefix: u8) -> Self {
        InStoreLayout {
            prefix,
            pattern: "2XIIIIIPPPPPC".to_string(),
        }
    }

    /// Check the prefix and the pattern.
    pub fn validate(&self) -> Result<(), BarcodeError> {
        self.fields().map(|_| ())
    }

    fn bad(&self, reason: &'static str) -> BarcodeError {
        BarcodeError::BadLayout {
            prefix: self.prefix,
            pattern: self.pattern.clone(),
            reason,
        }
    }

    fn fields(&self) -> Result<Fields, BarcodeError> {
        if !(20..=29).contains(&self.prefix) {
            return Err(self.bad("the prefix must be 20 to 29"));
        }
        let p = self.pattern.as_bytes();
        if p.len() != 13 {
            return Err(self.bad("the pattern must have 13 letters, one per digit"));
        }
        let second = b'0' + self.prefix % 10;
        if p[0] != b'2' || (p[1] != b'X' && p[1] != second) {
            return Err(self.bad("the pattern must start with 2X or the prefix itself"));
        }
        if p[12] != b'C' {
            return Err(self.bad("the pattern must end with the check digit C"));
        }
        let body = &p[2..12];
        if let Some(&c) = body.iter().find(|c| !b"IWPV".contains(c)) {
            return Err(self.bad(if c == b'C' {
                "C may only be the last letter"
            } else {
                "only the letters I, W, P and V may follow the prefix"
            }));
        }
        let shift = |r: Range<usize>| (r.start + 2)..(r.end + 2);
        let run = |letter| run_of(body, letter).map(|r| r.map(shift));
        let item = run(b'I').map_err(|e| self.bad(e))?;
        let weight = run(b'W').map_err(|e| self.bad(e))?;
        let price = run(b'P').map_err(|e| self.bad(e))?;
        let v = run(b'V').map_err(|e| self.bad(e))?;
        let item = item.ok_or_else(|| self.bad("the pattern needs item code digits I"))?;
        if weight.is_none() && price.is_none() {
            return Err(self.bad("the pattern needs weight digits W or price digits P"));
        }
        let verifier = match v {
            None => None,
            Some(v) if v.len() != 1 => return Err(self.bad("there can be only one V digit")),
            Some(v) => {
                let checked = price.clone().or_else(|| weight.clone()).unwrap_or(0..0);
                if !(4..=5).contains(&checked.len()) {
                    return Err(self.bad("V checks a 4- or 5-digit P (or W) field"));
                }
                Some((v.start, checked))
            }
        };
        Ok(Fields {
            item,
            weight,
            price,
            verifier,
        })
    }

    /// True when `code` starts with this layout's prefix.
    pub fn matches(&self, code: &str) -> bool {
        code.len() >= 2 && code.as_bytes()[..2] == [b'2', b'0' + self.prefix % 10]
    }

    /// Decode a 13-digit in-store code with this layout: EAN check digit,
    /// prefix, price/weight check digit, then the fields.
    pub fn decode(&self, code: &str) -> Result<Scan, BarcodeError> {
        let fields = self.fields()?;
        validate_gtin(code)?;
        if code.len() != 13 || !self.matches(code) {
            return Err(BarcodeError::WrongLength {
                length: code.len(),
                expected: "13 digits starting with the layout's prefix",
            });
        }
        if let Some((at, checked)) = &fields.verifier {
            let expected = price_check_digit(&code[checked.clone()])?;
            let found = code.as_bytes()[*at] - b'0';
            if expected != found {
                return Err(BarcodeError::BadPriceCheckDigit {
                    code: code.to_string(),
                    expected,
                    found,
                });
            }
        }
        let number = |r: &Range<usize>| -> i64 {
            code[r.clone()]
                .bytes()
                .fold(0i64, |n, b| n * 10 + i64::from(b - b'0'))
        };
        Ok(Scan::InStore {
            prefix: self.prefix,
            item_code: code[fields.item.clone()].to_string(),
            weight_kg: fields.weight.as_ref().map(|r| Decimal::new(number(r), 3)),
            price: fields
                .price
                .as_ref()
                .map(|r| Money(Decimal::new(number(r), 2))),
        })
    }

    /// Build a label code (for scale printers, fixtures and tests): the item
    /// code is left-padded with zeros; weight in grams and price in cents
    /// must be given when the layout has them and fit their digits.
    pub fn encode(
        &self,
        item_code: &str,
        weight_g: Option<u64>,
        price_minor: Option<u64>,
    ) -> Result<String, BarcodeError> {
        let fields = self.fields()?;
        require_digits(item_code)?;
        let mut digits = vec![b'0'; 12];
        digits[0] = b'2';
        digits[1] = b'0' + self.prefix % 10;
        let mut put = |range: &Range<usize>, field: &'static str, text: &str| {
            if text.len() > range.len() {
                return Err(BarcodeError::FieldOverflow {
                    field,
                    value: text.to_string(),
                    digits: range.len(),
                });
            }
            let start = range.end - text.len();
            digits[start..range.end].copy_from_slice(text.as_bytes());
            Ok(())
        };
        put(&fields.item, "item code", item_code)?;
        for (range, field, value) in [
            (&fields.weight, "weight", weight_g),
            (&fields.price, "price", price_minor),
        ] {
            if let Some(range) = range {
                let value = value.ok_or(BarcodeError::MissingField { field })?;
                put(range, field, &value.to_string())?;
            }
        }
        if let Some((at, checked)) = &fields.verifier {
            let text = std::str::from_utf8(&digits[checked.clone()]).unwrap_or("");
            digits[*at] = b'0' + price_check_digit(text)?;
        }
        let body = String::from_utf8(digits).unwrap_or_default();
        let check = gtin_check_digit(&body)?;
        Ok(format!("{body}{check}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;
    use rust_decimal_macros::dec;

    #[test]
    fn price_check_digit_reference_examples() {
        assert_eq!(price_check_digit("2875"), Ok(9));
        assert_eq!(price_check_digit("14685"), Ok(6));
        assert_eq!(price_check_digit("0000"), Ok(0));
        assert_eq!(price_check_digit("00000"), Ok(0));
        assert_eq!(
            price_check_digit("123").unwrap_err().code(),
            "barcode.wrong_length"
        );
        assert_eq!(
            price_check_digit("12a4").unwrap_err().code(),
            "barcode.non_digit"
        );
    }

    #[test]
    fn price_check_digit_catches_every_single_digit_error() {
        // The point of the weighting: any one mistyped digit changes V.
        for field in ["2875", "14685", "0099", "50505"] {
            let v = price_check_digit(field).unwrap();
            for pos in 0..field.len() {
                for d in b'0'..=b'9' {
                    let mut changed = field.as_bytes().to_vec();
                    if changed[pos] == d {
                        continue;
                    }
                    changed[pos] = d;
                    let changed = String::from_utf8(changed).unwrap();
                    assert_ne!(
                        price_check_digit(&changed).unwrap(),
                        v,
                        "{field} → {changed}"
                    );
                }
            }
        }
    }

    #[test]
    fn weight_and_price_layouts_table() {
        // (layout, code, item, weight, price)
        let cases = [
            (
                InStoreLayout::weight(21),
                "2100123012343",
                "00123",
                Some(dec!(1.234)),
                None,
            ),
            (
                InStoreLayout::weight(22),
                "2212345003501",
                "12345",
                Some(dec!(0.350)),
                None,
            ),
            (
                InStoreLayout::price(25),
                "2500042012996",
                "00042",
                None,
                Some(dec!(12.99)),
            ),
            (
                InStoreLayout::new(28, "2XIIIIVPPPPPC").unwrap(),
                "2807776146851",
                "0777",
                None,
                Some(dec!(146.85)),
            ),
            (
                InStoreLayout::new(27, "27IIIIIVPPPPC").unwrap(),
                "2700042928758",
                "00042",
                None,
                Some(dec!(28.75)),
            ),
        ];
        for (layout, code, item, weight, price) in cases {
            let scan = layout
                .decode(code)
                .unwrap_or_else(|e| panic!("{code}: {e}"));
            assert_eq!(
                scan,
                Scan::InStore {
                    prefix: layout.prefix,
                    item_code: item.to_string(),
                    weight_kg: weight,
                    price: price.map(Money),
                },
                "{code}"
            );
        }
    }

    #[test]
    fn encode_then_decode_round_trips() {
        let layouts = [
            InStoreLayout::weight(20),
            InStoreLayout::price(29),
            InStoreLayout::new(23, "2XIIIIVWWWWWC").unwrap(),
            InStoreLayout::new(24, "24IIIIIVPPPPC").unwrap(),
            InStoreLayout::new(26, "2XIIIWWWPPPPC").unwrap(),
        ];
        for layout in layouts {
            for (item, grams, cents) in [
                ("1", 5u64, 7u64),
                ("42", 999, 999),
                ("7", 1, 9999),
                ("0", 0, 0),
            ] {
                let code = layout.encode(item, Some(grams), Some(cents)).unwrap();
                assert_eq!(validate_gtin(&code), Ok(super::super::GtinKind::Ean13));
                let Scan::InStore {
                    item_code,
                    weight_kg,
                    price,
                    ..
                } = layout.decode(&code).unwrap()
                else {
                    panic!("not in-store: {code}");
                };
                assert_eq!(
                    item_code.trim_start_matches('0'),
                    item.trim_start_matches('0')
                );
                if let Some(w) = weight_kg {
                    assert_eq!(w, Decimal::new(grams as i64, 3));
                }
                if let Some(p) = price {
                    assert_eq!(p.0, Decimal::new(cents as i64, 2));
                }
            }
        }
    }

    #[test]
    fn wrong_price_check_digit_is_named() {
        let layout = InStoreLayout::new(28, "2XIIIIVPPPPPC").unwrap();
        // Same code as above with V changed from 6 to 5 and the EAN check fixed.
        let body = "280777514685";
        let code = format!("{body}{}", gtin_check_digit(body).unwrap());
        let err = layout.decode(&code).unwrap_err();
        assert_eq!(err.code(), "barcode.bad_price_check_digit");
        assert_eq!(
            err,
            BarcodeError::BadPriceCheckDigit {
                code,
                expected: 6,
                found: 5
            }
        );
    }

    #[test]
    fn bad_layouts_are_named() {
        let cases = [
            (19, "2XIIIIIWWWWWC"),
            (21, "2PPPPPWWWWWC"),
            (21, "3XIIIIIWWWWWC"),
            (21, "22IIIIIWWWWWC"),
            (21, "2XIIIIIWWWWW0"),
            (21, "2XIIWWIIWWWWC"),
            (21, "2XIIIIIIIIIIC"),
            (21, "2XWWWWWPPPPPC"),
            (21, "2XIIIIIVVPPPC"),
            (21, "2XIIIIIIVPPPC"),
            (21, "2XIIIICPPPPPC"),
            (21, "2XIIIIQPPPPPC"),
        ];
        for (prefix, pattern) in cases {
            let err = InStoreLayout::new(prefix, pattern).unwrap_err();
            assert_eq!(err.code(), "barcode.bad_layout", "{pattern}");
        }
    }

    #[test]
    fn encode_rejects_values_that_do_not_fit() {
        let layout = InStoreLayout::weight(21);
        assert_eq!(
            layout.encode("123456", Some(1), None).unwrap_err().code(),
            "barcode.field_overflow"
        );
        assert_eq!(
            layout.encode("1", Some(100_000), None).unwrap_err().code(),
            "barcode.field_overflow"
        );
        assert_eq!(
            layout.encode("1", None, None).unwrap_err().code(),
            "barcode.missing_field"
        );
    }

    #[test]
    fn decode_refuses_another_prefix_or_bad_ean() {
        let layout = InStoreLayout::weight(21);
        assert_eq!(
            layout.decode("2212345003501").unwrap_err().code(),
            "barcode.wrong_length"
        );
        assert_eq!(
            layout.decode("2100123012344").unwrap_err().code(),
            "barcode.bad_check_digit"
        );
    }
}
