//! `parse_scan` end to end: every input form, garbage, and a no-panic property.

use super::*;
use proptest::prelude::*;
use rust_decimal_macros::dec;

fn config() -> BarcodeConfig {
    let mut config = BarcodeConfig::common();
    config
        .in_store
        .push(InStoreLayout::new(29, "2XIIIIVPPPPPC").unwrap());
    config.validate().unwrap();
    config
}

#[test]
fn plain_gtins_are_validated_and_returned_as_scanned() {
    let cfg = config();
    for code in [
        "4006381333931",
        "96385074",
        "036000291452",
        "10012345678902",
    ] {
        assert_eq!(
            parse_scan(code, &cfg),
            Ok(Scan::Gtin { gtin: code.into() }),
            "{code}"
        );
    }
    // Scanner suffixes are trimmed.
    assert_eq!(
        parse_scan(" 4006381333931\r\n", &cfg),
        Ok(Scan::Gtin {
            gtin: "4006381333931".into()
        })
    );
    // Symbology identifier for EAN-13 is dropped.
    assert_eq!(
        parse_scan("]E04006381333931", &cfg),
        Ok(Scan::Gtin {
            gtin: "4006381333931".into()
        })
    );
}

#[test]
fn in_store_codes_use_the_prefix_layout() {
    let cfg = config();
    let weight = InStoreLayout::weight(21)
        .encode("123", Some(1234), None)
        .unwrap();
    assert_eq!(
        parse_scan(&weight, &cfg),
        Ok(Scan::InStore {
            prefix: 21,
            item_code: "00123".into(),
            weight_kg: Some(dec!(1.234)),
            price: None
        })
    );
    let price = cfg
        .layout_for(29)
        .unwrap()
        .encode("77", None, Some(14685))
        .unwrap();
    assert_eq!(&price[6..7], "6", "price check digit of 14685");
    assert_eq!(
        parse_scan(&price, &cfg),
        Ok(Scan::InStore {
            prefix: 29,
            item_code: "0077".into(),
            weight_kg: None,
            price: Some(Money(dec!(146.85)))
        })
    );
    // Prefix 20 has no layout in this config: an ordinary in-store item code.
    let body = "200000012345";
    let code = format!("{body}{}", gtin_check_digit(body).unwrap());
    assert_eq!(
        parse_scan(&code, &cfg),
        Ok(Scan::Gtin { gtin: code.clone() })
    );
}

#[test]
fn gs1_forms_all_give_the_same_scan() {
    let cfg = config();
    let expected = Scan::Gs1 {
        gtin: "09501101530003".into(),
        batch: Some("B12".into()),
        expiry: NaiveDate::from_ymd_opt(2026, 4, 30),
        net_weight_kg: Some(dec!(2.5)),
    };
    let forms = [
        "]C101095011015300031726040010B12\u{1d}3103002500",
        "01095011015300031726040010B12\u{1d}3103002500",
        "\u{1d}01095011015300031726040010B12\u{1d}3103002500",
        "(01)09501101530003(17)260400(10)B12(3103)002500",
        "]d2010950110153000331030025001726040010B 12",
    ];
    for form in &forms[..4] {
        assert_eq!(parse_scan(form, &cfg).as_ref(), Ok(&expected), "{form:?}");
    }
    // A space inside a batch is not in the GS1 character set.
    assert_eq!(
        parse_scan(forms[4], &cfg).unwrap_err().code(),
        "barcode.invalid_character"
    );
    // 16+ digits starting with 01 and no separator: a GS1 element string.
    assert_eq!(
        parse_scan("0109501101530003", &cfg),
        Ok(Scan::Gs1 {
            gtin: "09501101530003".into(),
            batch: None,
            expiry: None,
            net_weight_kg: None
        })
    );
}

#[test]
fn typed_plu_and_sku_are_codes() {
    let cfg = config();
    for code in ["7", "1234", "ABC-123", "9999999", "12345678901", "СИРЕНЕ-1"] {
        assert_eq!(
            parse_scan(code, &cfg),
            Ok(Scan::Code(code.into())),
            "{code}"
        );
    }
}

#[test]
fn garbage_is_a_named_error() {
    let cfg = config();
    let long = "1".repeat(200);
    let cases = [
        ("", "barcode.empty"),
        ("   \r\n", "barcode.empty"),
        ("4006381333932", "barcode.bad_check_digit"),
        ("96385075", "barcode.bad_check_digit"),
        ("\u{1b}[A", "barcode.invalid_character"),
        ("400638\u{0}1333931", "barcode.invalid_character"),
        ("4006 381333931", "barcode.invalid_character"),
        ("]C1", "barcode.truncated"),
        ("]", "barcode.truncated"),
        ("]\0aA", "barcode.invalid_character"),
        ("]C", "barcode.truncated"),
        ("]C10199", "barcode.truncated"),
        ("(01", "barcode.truncated"),
        ("(99)123", "barcode.unknown_ai"),
        ("0109501101530003\u{1d}99X", "barcode.unknown_ai"),
        ("2100123012344", "barcode.bad_check_digit"),
        (long.as_str(), "barcode.wrong_length"),
    ];
    for (code, expected) in cases {
        let err = parse_scan(code, &cfg).unwrap_err();
        assert_eq!(err.code(), expected, "{code:?}: {err}");
        assert!(!err.to_string().is_empty());
    }
}

#[test]
fn bad_price_check_digit_in_a_scan() {
    let cfg = config();
    let good = cfg
        .layout_for(29)
        .unwrap()
        .encode("77", None, Some(14685))
        .unwrap();
    let mut body: Vec<u8> = good.as_bytes()[..12].to_vec();
    body[6] = b'5';
    let body = String::from_utf8(body).unwrap();
    let code = format!("{body}{}", gtin_check_digit(&body).unwrap());
    assert_eq!(
        parse_scan(&code, &cfg).unwrap_err().code(),
        "barcode.bad_price_check_digit"
    );
}

#[test]
fn config_rejects_two_layouts_for_one_prefix() {
    let mut cfg = BarcodeConfig::common();
    cfg.in_store.push(InStoreLayout::price(21));
    assert_eq!(cfg.validate().unwrap_err().code(), "barcode.bad_layout");
    let json = r#"{"in_store":[{"prefix":21,"pattern":"2XIIIIIWWWWWC"}]}"#;
    let parsed: BarcodeConfig = serde_json::from_str(json).unwrap();
    assert_eq!(parsed.layout_for(21), Some(&InStoreLayout::weight(21)));
    assert_eq!(
        serde_json::from_str::<BarcodeConfig>("{}").unwrap(),
        BarcodeConfig::default()
    );
}

proptest! {
    #[test]
    fn parse_scan_never_panics_on_any_string(s in any::<String>()) {
        let _ = parse_scan(&s, &config());
    }

    #[test]
    fn parse_scan_never_panics_on_scanner_like_noise(
        s in "[\\]\\(\\)0-9A-Za-z\\x1d\\x00-\\x1f ]{0,60}"
    ) {
        let result = parse_scan(&s, &config());
        // Control characters other than GS never become an item.
        let noisy = s
            .trim_matches([' ', '\t', '\r', '\n'])
            .chars()
            .any(|c| c.is_control() && c != '\u{1d}');
        if let (true, Ok(scan)) = (noisy, result) {
            prop_assert!(!matches!(scan, Scan::Code(_)), "{:?}", scan);
        }
    }

    #[test]
    fn any_valid_ean13_is_accepted_and_one_digit_change_is_caught(
        body in "[013-9][0-9]{11}", pos in 0usize..13, delta in 1u8..10
    ) {
        let code = format!("{body}{}", gtin_check_digit(&body).unwrap());
        prop_assert_eq!(parse_scan(&code, &config()), Ok(Scan::Gtin { gtin: code.clone() }));
        let mut bytes = code.into_bytes();
        bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
        let changed = String::from_utf8(bytes).unwrap();
        // Prefix 2x is excluded above so the change can't make an in-store code.
        if !changed.starts_with('2') {
            prop_assert_eq!(
                parse_scan(&changed, &config()).unwrap_err().code(),
                "barcode.bad_check_digit"
            );
        }
    }

    #[test]
    fn weight_labels_round_trip(item in 0u32..100_000, grams in 0u64..100_000, prefix in 21u8..=24) {
        let layout = InStoreLayout::weight(prefix);
        let code = layout.encode(&item.to_string(), Some(grams), None).unwrap();
        let scan = parse_scan(&code, &config()).unwrap();
        prop_assert_eq!(scan, Scan::InStore {
            prefix,
            item_code: format!("{item:05}"),
            weight_kg: Some(Decimal::new(grams as i64, 3)),
            price: None,
        });
    }
}
