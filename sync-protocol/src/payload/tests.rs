use std::str::FromStr;

use serde_json::{Value, json};

use super::check::{MAX_AMOUNT, MAX_GRAND_TOTAL, MAX_KEY_BYTES, MAX_QUANTITY};
use super::*;
use crate::upload::RecordKind;

fn read(
    kind: RecordKind,
    document_type: Option<&str>,
    payload: &Value,
) -> Result<RecordPayload, String> {
    read_record(kind, document_type, &payload.to_string())
}

fn sale() -> Value {
    examples::all()[0].payload.clone()
}

#[test]
fn bounds_are_the_documented_powers_of_ten() {
    assert_eq!(MAX_AMOUNT, Decimal::from_str("1000000000000000").unwrap());
    assert_eq!(MAX_QUANTITY, Decimal::from_str("1000000000000").unwrap());
    assert_eq!(
        MAX_GRAND_TOTAL,
        Decimal::from_str("10000000000000000000000").unwrap()
    );
}

#[test]
fn every_example_reads_as_its_kind() {
    for example in examples::all() {
        let read = read(example.kind, example.document_type, &example.payload)
            .unwrap_or_else(|e| panic!("{}: {e}", example.file_name));
        let kind = match read {
            RecordPayload::Document(_) => RecordKind::Document,
            RecordPayload::StockMovement(_) => RecordKind::StockMovement,
            RecordPayload::JournalEntry(JournalPayload::Whole(_)) => RecordKind::JournalEntry,
            RecordPayload::JournalEntry(JournalPayload::Summary(_)) => {
                panic!("{}: a whole entry read as a summary", example.file_name)
            }
            RecordPayload::Audit(_) => RecordKind::Audit,
        };
        assert_eq!(kind, example.kind, "{}", example.file_name);
    }
}

#[test]
fn the_protocol_example_batch_reads() {
    for record in crate::examples::upload_batch().records {
        read(
            record.kind,
            record.document_type.as_deref(),
            &record.payload,
        )
        .unwrap_or_else(|e| panic!("seq {}: {e}", record.seq));
    }
}

#[test]
fn decimals_are_strings_or_integers_never_floats_nor_exponents() {
    let movement = |qty: Value| json!({"sku": "1001", "qty": qty});
    for ok in [json!("-2"), json!("0.756"), json!(-3), json!(12)] {
        read(RecordKind::StockMovement, None, &movement(ok.clone()))
            .unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
    for bad in [
        json!(0.5),
        json!("1e5"),
        json!(""),
        json!("0x10"),
        json!(null),
        json!("1.2.3"),
    ] {
        assert!(
            read(RecordKind::StockMovement, None, &movement(bad.clone())).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn amounts_and_quantities_past_their_bounds_are_refused_naming_the_field() {
    let mut doc = sale();
    doc["tenders"][1]["amount"] = json!("1000000000000001");
    let e = read(RecordKind::Document, Some("sale"), &doc).unwrap_err();
    assert!(e.contains("tenders[1].amount"), "{e}");
    // the largest value rust_decimal holds is refused too (sums would overflow)
    let mut doc = sale();
    doc["total"] = json!("79228162514264337593543950335");
    assert!(
        read(RecordKind::Document, Some("sale"), &doc)
            .unwrap_err()
            .contains("total")
    );
    let mut doc = sale();
    doc["total"] = json!("792281625142643375935439503350");
    assert!(read(RecordKind::Document, Some("sale"), &doc).is_err());
    let e = read(
        RecordKind::StockMovement,
        None,
        &json!({"sku": "1001", "qty": "-1000000000000.5"}),
    )
    .unwrap_err();
    assert!(e.contains("qty"), "{e}");
    let mut entry = serde_json::to_value(examples::journal_entry()).unwrap();
    entry["totals"]["sales"] = json!("10000000000000000000001");
    let e = read(RecordKind::JournalEntry, None, &entry).unwrap_err();
    assert!(e.contains("totals.sales"), "{e}");
    let mut entry = serde_json::to_value(examples::journal_entry()).unwrap();
    entry["totals"]["entry_count"] = json!(u64::MAX);
    assert!(
        read(RecordKind::JournalEntry, None, &entry)
            .unwrap_err()
            .contains("entry_count")
    );
}

#[test]
fn long_keys_and_control_characters_are_refused() {
    let long = "9".repeat(8_000);
    let e = read(
        RecordKind::StockMovement,
        None,
        &json!({"sku": long, "qty": "1"}),
    )
    .unwrap_err();
    assert!(e.contains("sku") && e.contains("8000"), "{e}");
    let edge = "9".repeat(MAX_KEY_BYTES);
    assert!(
        read(
            RecordKind::StockMovement,
            None,
            &json!({"sku": edge, "qty": "1"})
        )
        .is_ok()
    );
    for bad in ["10\u{0}01", "a\u{1b}[2J", "\u{7f}", "x\u{8}", "\u{85}"] {
        let e = read(
            RecordKind::StockMovement,
            None,
            &json!({"sku": bad, "qty": "1"}),
        )
        .unwrap_err();
        assert!(e.contains("control") || e.contains("NUL"), "{bad:?}: {e}");
    }
    // anywhere in the payload, keys included, even in fields head office does not read
    let mut doc = sale();
    doc["body"] = json!({"note\u{0}": "x"});
    assert!(
        read(RecordKind::Document, Some("sale"), &doc)
            .unwrap_err()
            .contains("NUL")
    );
    // unescaped DEL and C1 controls in free text, and their escapes
    for raw in [
        "{\"event\":\"x\",\"reason\":\"a\u{7f}b\"}",
        "{\"event\":\"x\",\"reason\":\"a\u{9b}b\"}",
        r#"{"event":"x","reason":"a\u009bb"}"#,
    ] {
        assert!(read_record(RecordKind::Audit, None, raw).is_err(), "{raw}");
    }
    read_record(
        RecordKind::Audit,
        None,
        "{\"event\":\"x\",\"reason\":\"café ₀ Хляб\"}",
    )
    .unwrap();
    // line breaks and tabs in free text are fine; an escaped backslash is not an escape
    let mut doc = sale();
    doc["body"] = json!({"note": "two\nlines\tand a \\u0000 literal"});
    read(RecordKind::Document, Some("sale"), &doc).unwrap();
    assert!(
        read(
            RecordKind::Audit,
            None,
            &json!({"event": "x", "reason": "r".repeat(1025)})
        )
        .is_err()
    );
}

#[test]
fn shapes_head_office_needs_are_required() {
    for (kind, document_type, payload) in [
        (RecordKind::Document, Some("sale"), json!({})),
        (RecordKind::Document, Some("return"), json!({"tenders": []})),
        (
            RecordKind::Document,
            Some("sale"),
            json!({"tenders": "nope"}),
        ),
        (
            RecordKind::Document,
            Some("sale"),
            json!({"tenders": [["cash", "1.50"]]}),
        ),
        (
            RecordKind::Document,
            Some("sale"),
            json!({"tenders": [{"kind": "", "amount": "1"}]}),
        ),
        (RecordKind::Document, Some("Sale!"), json!({"total": "1"})),
        (
            RecordKind::StockMovement,
            None,
            json!({"sku": "", "qty": "1"}),
        ),
        (RecordKind::StockMovement, None, json!({"qty": "1"})),
        (RecordKind::StockMovement, None, json!(["1001", "1"])),
        (RecordKind::Audit, None, json!({})),
        (RecordKind::JournalEntry, None, json!("entry")),
    ] {
        assert!(
            read(kind, document_type, &payload).is_err(),
            "{kind:?} {document_type:?} {payload}"
        );
    }
    // other document types need no money
    read(RecordKind::Document, Some("delivery_receipt"), &json!({})).unwrap();
    read(
        RecordKind::Document,
        Some("sale"),
        &json!({"total": "4.10"}),
    )
    .unwrap();
}

#[test]
fn a_journal_entry_without_its_chain_fields_is_a_summary() {
    let read = read(
        RecordKind::JournalEntry,
        None,
        &json!({"seq": 17, "kind": "sale", "amount": "9.27"}),
    )
    .unwrap();
    assert!(matches!(
        read,
        RecordPayload::JournalEntry(JournalPayload::Summary(_))
    ));
}

#[test]
fn the_error_names_the_record_and_has_the_code() {
    use kasa_domain::ErrorCode;
    let e = InvalidRecord {
        seq: 42,
        id: crate::examples::SALE_ID,
        reason: "sku holds a control character".into(),
    };
    assert_eq!(e.code(), "sync.invalid_record");
    let text = e.to_string();
    assert!(text.contains("seq 42") && text.contains(&crate::examples::SALE_ID.to_string()));
    assert!(text.contains("sku holds"));
}

#[test]
fn wire_decimals_serialise_as_strings() {
    let tender = TenderPayload {
        kind: "cash".into(),
        amount: WireDecimal(Decimal::new(927, 2)),
        reference: None,
    };
    assert_eq!(
        serde_json::to_string(&tender).unwrap(),
        r#"{"kind":"cash","amount":"9.27"}"#
    );
}
