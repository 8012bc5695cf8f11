//! GTIN check digits (EAN-13, EAN-8, UPC-A, GTIN-14).
//!
//! The GS1 mod-10 rule: weight the digits 3, 1, 3, 1… starting from the
//! rightmost digit *before* the check digit, sum, and the check digit brings
//! the sum up to the next multiple of ten. The same rule serves every GTIN
//! length, which is why a GTIN can be left-padded with zeros to 14 digits
//! ([`to_gtin14`]) without changing its check digit.

use serde::{Deserialize, Serialize};

use super::BarcodeError;

/// Which GTIN a code is, by its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GtinKind {
    /// 8 digits.
    Ean8,
    /// 12 digits (North American UPC).
    UpcA,
    /// 13 digits.
    Ean13,
    /// 14 digits (trade units, GS1-128 AI 01).
    Gtin14,
}

impl GtinKind {
    /// The kind for a code length, if it is a GTIN length.
    pub fn from_len(len: usize) -> Option<GtinKind> {
        match len {
            8 => Some(GtinKind::Ean8),
            12 => Some(GtinKind::UpcA),
            13 => Some(GtinKind::Ean13),
            14 => Some(GtinKind::Gtin14),
            _ => None,
        }
    }
}

/// Check that every character is an ASCII digit; name the first that is not.
pub(crate) fn require_digits(text: &str) -> Result<(), BarcodeError> {
    match text.chars().enumerate().find(|(_, c)| !c.is_ascii_digit()) {
        Some((position, found)) => Err(BarcodeError::NonDigit { position, found }),
        None => Ok(()),
    }
}

/// The GS1 check digit for `digits_without_check` (1 to 17 digits: 7 for
/// EAN-8, 11 for UPC-A, 12 for EAN-13, 13 for GTIN-14).
pub fn gtin_check_digit(digits_without_check: &str) -> Result<u8, BarcodeError> {
    if digits_without_check.is_empty() {
        return Err(BarcodeError::Empty);
    }
    require_digits(digits_without_check)?;
    if digits_without_check.len() > 17 {
        return Err(BarcodeError::WrongLength {
            length: digits_without_check.len(),
            expected: "at most 17 digits before the check digit",
        });
    }
    let sum: u32 = digits_without_check
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let digit = u32::from(b - b'0');
            if i % 2 == 0 { digit * 3 } else { digit }
        })
        .sum();
    // sum % 10 < 10, so the cast cannot truncate.
    Ok(((10 - sum % 10) % 10) as u8)
}

/// Validate a complete GTIN (EAN-8, UPC-A, EAN-13 or GTIN-14): digits only,
/// a GTIN length, and the right check digit.
pub fn validate_gtin(code: &str) -> Result<GtinKind, BarcodeError> {
    if code.is_empty() {
        return Err(BarcodeError::Empty);
    }
    require_digits(code)?;
    let kind = GtinKind::from_len(code.len()).ok_or(BarcodeError::WrongLength {
        length: code.len(),
        expected: "8, 12, 13 or 14 digits",
    })?;
    let (body, check) = code.split_at(code.len() - 1);
    let expected = gtin_check_digit(body)?;
    let found = check.as_bytes()[0] - b'0';
    if expected != found {
        return Err(BarcodeError::BadCheckDigit {
            code: code.to_string(),
            expected,
            found,
        });
    }
    Ok(kind)
}

/// A valid GTIN of any length as 14 digits (left-padded with zeros), the
/// form catalogs should key barcodes by so an EAN-13 label and the same
/// item's GS1-128 AI 01 find the same product.
pub fn to_gtin14(code: &str) -> Result<String, BarcodeError> {
    validate_gtin(code)?;
    Ok(format!("{code:0>14}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    /// Real codes: GS1 and Wikipedia examples, an ISBN-13, a UPC-A from a
    /// can of soda and a GS1 GTIN-14 example.
    const REAL_CODES: [(&str, GtinKind); 9] = [
        ("4006381333931", GtinKind::Ean13),
        ("5901234123457", GtinKind::Ean13),
        ("9780306406157", GtinKind::Ean13),
        ("9501101530003", GtinKind::Ean13),
        ("96385074", GtinKind::Ean8),
        ("73513537", GtinKind::Ean8),
        ("036000291452", GtinKind::UpcA),
        ("012345678905", GtinKind::UpcA),
        ("10012345678902", GtinKind::Gtin14),
    ];

    #[test]
    fn real_codes_validate_and_their_check_digit_is_computed() {
        for (code, kind) in REAL_CODES {
            assert_eq!(validate_gtin(code), Ok(kind), "{code}");
            let (body, check) = code.split_at(code.len() - 1);
            assert_eq!(gtin_check_digit(body).unwrap().to_string(), check, "{code}");
        }
    }

    #[test]
    fn every_wrong_check_digit_is_rejected() {
        for (code, _) in REAL_CODES {
            let (body, check) = code.split_at(code.len() - 1);
            for d in 0..10u8 {
                let candidate = format!("{body}{d}");
                let result = validate_gtin(&candidate);
                if d.to_string() == check {
                    assert!(result.is_ok());
                } else {
                    let err = result.unwrap_err();
                    assert_eq!(err.code(), "barcode.bad_check_digit", "{candidate}");
                    assert!(err.to_string().contains(check), "{err}");
                }
            }
        }
    }

    #[test]
    fn malformed_codes_are_named() {
        let cases = [
            ("", "barcode.empty"),
            ("400638133393", "barcode.bad_check_digit"),
            ("40063813339", "barcode.wrong_length"),
            ("400638133393100", "barcode.wrong_length"),
            ("40063813339X1", "barcode.non_digit"),
            ("４００６３８１３３３９３１", "barcode.non_digit"),
        ];
        for (code, expected) in cases {
            assert_eq!(
                validate_gtin(code).unwrap_err().code(),
                expected,
                "{code:?}"
            );
        }
        assert_eq!(gtin_check_digit("").unwrap_err().code(), "barcode.empty");
        assert_eq!(
            gtin_check_digit("123456789012345678").unwrap_err().code(),
            "barcode.wrong_length"
        );
        assert_eq!(
            validate_gtin("12a4").unwrap_err(),
            BarcodeError::NonDigit {
                position: 2,
                found: 'a'
            }
        );
    }

    #[test]
    fn padding_to_gtin14_keeps_the_check_digit() {
        assert_eq!(to_gtin14("9501101530003").unwrap(), "09501101530003");
        assert_eq!(to_gtin14("96385074").unwrap(), "00000096385074");
        assert_eq!(to_gtin14("036000291452").unwrap(), "00036000291452");
        for (code, _) in REAL_CODES {
            assert_eq!(
                validate_gtin(&to_gtin14(code).unwrap()),
                Ok(GtinKind::Gtin14)
            );
        }
    }
}
