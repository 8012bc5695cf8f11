//! Generated-input tests of the barcode parser: no input makes it panic,
//! every error has a stable `barcode.*` code, and what it reads re-encodes
//! to a code that reads the same.
//!
//! Each property runs proptest's default 256 cases in the test suite and
//! `PROPTEST_CASES` cases in a soak run:
//! `PROPTEST_CASES=1000000 cargo test --release -p kasa-domain --test fuzz_barcode`.

use chrono::{Datelike, NaiveDate};
use kasa_domain::ErrorCode;
use kasa_domain::barcode::gs1::GS;
use kasa_domain::barcode::{
    BarcodeConfig, InStoreLayout, Scan, gtin_check_digit, parse_scan, validate_gtin,
};
use proptest::prelude::*;
use rust_decimal::Decimal;

/// The common layouts plus a 4-digit PLU price layout with a price check
/// digit (prefix 29), so every decoding path is reachable.
fn config() -> BarcodeConfig {
    let mut config = BarcodeConfig::common();
    config
        .in_store
        .push(InStoreLayout::new(29, "29IIIIVPPPPPC").unwrap());
    config
}

/// Text a scanner, a keyboard or line noise could produce: any Unicode,
/// or a barcode-ish alphabet that reaches the deeper paths more often.
fn scan_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[\\]\\(\\)0-9A-Za-z\\x1d\\x00-\\x1f \\.\\-]{0,60}",
        "(\\]C1|\\]E0|\\]e0|\\]Q3|\\(01\\)|01|2[0-9])?[0-9\\x1d\\(\\)]{0,48}",
        "2[0-9]{11}".prop_map(|body| format!("{body}{}", gtin_check_digit(&body).unwrap())),
    ]
}

fn grams(weight_kg: Decimal) -> Result<u64, TestCaseError> {
    prop_assert_eq!(weight_kg.scale(), 3);
    Ok(u64::try_from(weight_kg.mantissa()).unwrap())
}

fn cents(price: Decimal) -> Result<u64, TestCaseError> {
    prop_assert_eq!(price.scale(), 2);
    Ok(u64::try_from(price.mantissa()).unwrap())
}

fn yymmdd(date: NaiveDate) -> String {
    format!(
        "{:02}{:02}{:02}",
        date.year() - 2000,
        date.month(),
        date.day()
    )
}

/// The GS1 element string for a parsed GS1 scan: AI 01, 17, 310n, then the
/// variable-length batch last.
fn gs1_element_string(
    gtin: &str,
    batch: Option<&str>,
    expiry: Option<NaiveDate>,
    net_weight_kg: Option<Decimal>,
) -> String {
    let mut out = format!("01{gtin}");
    if let Some(date) = expiry {
        out.push_str(&format!("17{}", yymmdd(date)));
    }
    if let Some(w) = net_weight_kg {
        out.push_str(&format!("310{}{:06}", w.scale(), w.mantissa()));
    }
    if let Some(batch) = batch {
        out.push_str(&format!("10{batch}"));
    }
    out
}

/// Whatever a scan reads as, building that code again reads the same.
fn check_re_encodes(
    trimmed: &str,
    scan: &Scan,
    config: &BarcodeConfig,
) -> Result<(), TestCaseError> {
    match scan {
        Scan::Gtin { gtin } => {
            prop_assert!(validate_gtin(gtin).is_ok(), "{gtin}");
            prop_assert_eq!(&parse_scan(gtin, config).unwrap(), scan);
        }
        Scan::InStore {
            prefix,
            item_code,
            weight_kg,
            price,
        } => {
            let layout = config.layout_for(*prefix).unwrap();
            let code = layout
                .encode(
                    item_code,
                    weight_kg.map(grams).transpose()?,
                    price.map(|p| cents(p.0)).transpose()?,
                )
                .unwrap();
            prop_assert_eq!(&parse_scan(&code, config).unwrap(), scan);
            if trimmed.len() == 13 && trimmed.bytes().all(|b| b.is_ascii_digit()) {
                prop_assert_eq!(code.as_str(), trimmed);
            }
        }
        Scan::Gs1 {
            gtin,
            batch,
            expiry,
            net_weight_kg,
        } => {
            prop_assert!(validate_gtin(gtin).is_ok() && gtin.len() == 14, "{gtin}");
            let text = gs1_element_string(gtin, batch.as_deref(), *expiry, *net_weight_kg);
            prop_assert_eq!(&parse_scan(&format!("]C1{text}"), config).unwrap(), scan);
        }
        Scan::Code(code) => {
            prop_assert!(!code.is_empty() && code.chars().count() <= 96);
            prop_assert!(
                !code.chars().any(|c| c.is_control() || c.is_whitespace()),
                "{code:?}"
            );
            if !code.starts_with([']', '(']) {
                prop_assert_eq!(&parse_scan(code, config).unwrap(), scan);
            }
        }
    }
    Ok(())
}

proptest! {
    /// Any text: no panic, the same answer twice, a `barcode.*` code on
    /// refusal, and what was read re-encodes to a code read the same.
    #[test]
    fn any_scan_is_read_or_refused_with_a_code(text in scan_text()) {
        let config = config();
        let first = parse_scan(&text, &config);
        prop_assert_eq!(&first, &parse_scan(&text, &config));
        match first {
            Ok(scan) => {
                let trimmed = text.trim_matches([' ', '\t', '\r', '\n']);
                check_re_encodes(trimmed, &scan, &config)?;
            }
            Err(e) => prop_assert!(e.code().starts_with("barcode."), "{}", e.code()),
        }
    }

    /// Any layout pattern: validating never panics; a valid layout builds
    /// labels that decode to the item, weight and price that built them.
    #[test]
    fn any_layout_is_refused_or_round_trips(
        prefix in 15u8..35,
        pattern in "2[0-9X][IWPVC0-9]{10}[C0-9]",
        item in 0u32..1_000_000,
        weight_g in proptest::option::of(0u64..1_000_000),
        price_minor in proptest::option::of(0u64..1_000_000),
    ) {
        let layout = InStoreLayout { prefix, pattern };
        if let Err(e) = layout.validate() {
            prop_assert_eq!(e.code(), "barcode.bad_layout");
            return Ok(());
        }
        let code = match layout.encode(&item.to_string(), weight_g, price_minor) {
            Ok(code) => code,
            Err(e) => {
                prop_assert!(
                    matches!(e.code(), "barcode.field_overflow" | "barcode.missing_field"),
                    "{}", e.code()
                );
                return Ok(());
            }
        };
        prop_assert_eq!(code.len(), 13);
        let config = BarcodeConfig { in_store: vec![layout.clone()] };
        let Scan::InStore { prefix: p, item_code, weight_kg, price } =
            parse_scan(&code, &config).unwrap()
        else {
            return Err(TestCaseError::fail(format!("{code} did not read as in-store")));
        };
        prop_assert_eq!(p, prefix);
        prop_assert_eq!(item_code.parse::<u32>().unwrap(), item);
        prop_assert_eq!(weight_kg.map(grams).transpose()?, weight_kg.and(weight_g));
        prop_assert_eq!(price.map(|p| cents(p.0)).transpose()?, price.and(price_minor));
        prop_assert_eq!(weight_kg.is_some(), layout.pattern.contains('W'));
        prop_assert_eq!(price.is_some(), layout.pattern.contains('P'));
    }

    /// A GS1 label built from its parts, in any AI order, with or without
    /// GS after fixed fields, in element-string and bracketed form, reads
    /// back as those parts.
    #[test]
    fn gs1_labels_read_back_their_parts(
        body in "[0-9]{13}",
        // Printable ASCII without space and without the brackets of the
        // bracketed form.
        batch in proptest::option::of("[!-'*-~]{1,20}"),
        expiry in proptest::option::of((0i32..100, 1u32..13, 1u32..29)),
        weight in proptest::option::of((0i64..1_000_000, 0u32..6)),
        order in Just([0usize, 1, 2, 3]).prop_shuffle(),
        gs_after_fixed in any::<bool>(),
    ) {
        let gtin = format!("{body}{}", gtin_check_digit(&body).unwrap());
        let expiry = expiry.map(|(y, m, d)| NaiveDate::from_ymd_opt(2000 + y, m, d).unwrap());
        let weight = weight.map(|(raw, scale)| Decimal::new(raw, scale));
        let mut elements: Vec<(String, String, bool)> = Vec::new();
        for i in order {
            match i {
                0 => elements.push(("01".into(), gtin.clone(), true)),
                1 => if let Some(b) = &batch { elements.push(("10".into(), b.clone(), false)) },
                2 => if let Some(d) = expiry { elements.push(("17".into(), yymmdd(d), true)) },
                _ => if let Some(w) = weight {
                    elements.push((format!("310{}", w.scale()), format!("{:06}", w.mantissa()), true));
                },
            }
        }
        let mut flat = String::new();
        let mut bracketed = String::new();
        let count = elements.len();
        for (i, (ai, value, fixed)) in elements.into_iter().enumerate() {
            flat.push_str(&ai);
            flat.push_str(&value);
            if i + 1 < count && (!fixed || gs_after_fixed) {
                flat.push(GS);
            }
            bracketed.push_str(&format!("({ai}){value}"));
        }
        let expected = Scan::Gs1 { gtin, batch, expiry, net_weight_kg: weight };
        let config = config();
        prop_assert_eq!(&parse_scan(&format!("]C1{flat}"), &config).unwrap(), &expected);
        prop_assert_eq!(&parse_scan(&bracketed, &config).unwrap(), &expected);
    }
}
