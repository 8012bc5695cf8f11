use chrono::NaiveDate;
use kasa_domain::money::Money;
use rust_decimal_macros::dec;

use super::*;
use crate::settings::TillSettings;
use crate::store::Store;

fn at(sec: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 2, 3)
        .unwrap()
        .and_hms_opt(10, 0, sec)
        .unwrap()
}

fn setup() -> (tempfile::TempDir, Store, TillSettings) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("d.sqlite")).unwrap();
    let settings = TillSettings::new("S001", "T01");
    settings.save_new(store.conn()).unwrap();
    (dir, store, settings)
}

fn doc(doc_type: DocumentType, amount: Money, sec: u32) -> NewDocument {
    NewDocument {
        id: new_id(),
        doc_type,
        author: "ana".into(),
        created_at: at(sec),
        completed_at: at(sec),
        total: amount,
        vat_total: Money::ZERO,
        customer: None,
        original_id: None,
        shift_id: None,
        lines: vec![DocumentLine {
            line_no: 1,
            sku: "A".into(),
            name: "Артикул".into(),
            qty: dec!(1),
            unit_price: amount,
            discount: Money::ZERO,
            total: amount,
            vat_class: "standard".into(),
            vat_rate: dec!(20),
            vat_amount: Money::ZERO,
            price_rule: "base".into(),
            unit_cost: None,
            original_line_no: None,
        }],
        tenders: vec![DocumentTender {
            kind: "cash".into(),
            amount,
            reference: None,
        }],
        movements: Vec::new(),
        journal: journal_event(doc_type, amount),
        body: serde_json::json!({"note": "x"}),
    }
}

#[test]
fn numbers_are_per_type_and_a_rollback_takes_none() {
    let (_d, mut store, s) = setup();
    let mut got = Vec::new();
    for (i, t) in [
        DocumentType::CashIn,
        DocumentType::CashIn,
        DocumentType::NoSale,
    ]
    .into_iter()
    .enumerate()
    {
        let tx = store.write_tx().unwrap();
        got.push(
            complete_document(&tx, &s, doc(t, Money(dec!(5)), i as u32))
                .unwrap()
                .number,
        );
        tx.commit().unwrap();
    }
    assert_eq!(got, ["0000000001", "0000000002", "0000000001"]);
    // Rolled back: the number is not consumed.
    {
        let tx = store.write_tx().unwrap();
        let n = complete_document(&tx, &s, doc(DocumentType::CashIn, Money(dec!(1)), 9)).unwrap();
        assert_eq!(n.number, "0000000003");
        tx.rollback().unwrap();
    }
    let tx = store.write_tx().unwrap();
    let n = complete_document(&tx, &s, doc(DocumentType::CashIn, Money(dec!(1)), 10)).unwrap();
    tx.commit().unwrap();
    assert_eq!(n.number, "0000000003");
    let count: i64 = store
        .conn()
        .query_row("SELECT COUNT(*) FROM journal", [], |r| r.get(0))
        .unwrap();
    assert_eq!(count, 4, "the rolled-back entry left no journal row");
}

#[test]
fn document_round_trips_and_is_queued_in_the_outbox() {
    let (_d, mut store, s) = setup();
    let tx = store.write_tx().unwrap();
    let done =
        complete_document(&tx, &s, doc(DocumentType::CashIn, Money(dec!(12.50)), 1)).unwrap();
    tx.commit().unwrap();
    let back = load(store.conn(), done.id).unwrap().unwrap();
    assert_eq!(back.number, done.number);
    assert_eq!(back.total, Money(dec!(12.50)));
    assert_eq!(back.lines.len(), 1);
    assert_eq!(back.lines[0].name, "Артикул");
    let found = find_by_number(store.conn(), &s, DocumentType::CashIn, "1").unwrap();
    assert_eq!(found.id, done.id);
    assert_eq!(
        find_by_number(store.conn(), &s, DocumentType::CashIn, "7")
            .unwrap_err()
            .code(),
        "document.not_found"
    );
    let pending = outbox::pending(store.conn(), 0, 10).unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].seq, done.outbox_seq);
    assert_eq!(pending[0].status, "queued");
    assert_eq!(pending[0].payload["number"], done.number);
    assert_eq!(outbox::queued_count(store.conn()).unwrap(), 1);
}

#[test]
fn journal_chains_verifies_and_names_a_tampered_entry() {
    let (_d, mut store, s) = setup();
    for i in 0..4 {
        let tx = store.write_tx().unwrap();
        complete_document(&tx, &s, doc(DocumentType::CashIn, Money(dec!(10)), i)).unwrap();
        tx.commit().unwrap();
    }
    let report = journal::verify(store.conn()).unwrap();
    assert_eq!(report.entries, 4);
    let mut out = Vec::new();
    assert_eq!(
        journal::export(store.conn(), journal::ExportFormat::JsonLines, &mut out).unwrap(),
        4
    );
    store
        .conn()
        .execute("UPDATE journal SET amount = '11' WHERE seq = 3", [])
        .unwrap();
    match journal::verify(store.conn()).unwrap_err() {
        DocumentError::JournalBroken {
            seq,
            document_number,
            ..
        } => {
            assert_eq!(seq, 3);
            assert!(document_number.ends_with("0000000003"), "{document_number}");
        }
        other => panic!("expected a break, got {other:?}"),
    }
}

#[test]
fn the_stored_text_is_the_document_as_a_sorted_value() {
    let (_d, mut store, s) = setup();
    let mut new = doc(DocumentType::Sale, Money(dec!(3.60)), 1);
    new.body = serde_json::json!({"z": [1, {"b": "2", "a": null}], "a": "Хляб \"бял\"\n"});
    let tx = store.write_tx().unwrap();
    let done = complete_document(&tx, &s, new).unwrap();
    tx.commit().unwrap();
    let text: String = store
        .conn()
        .query_row(
            "SELECT payload FROM documents WHERE id = ?1",
            [done.id.to_string()],
            |r| r.get(0),
        )
        .unwrap();
    // what the wire sends: every level's keys sorted, compact
    let stored = load(store.conn(), done.id).unwrap().unwrap();
    assert_eq!(text, serde_json::to_value(&stored).unwrap().to_string());
    assert!(text.contains(r#""body":{"a":"Хляб \"бял\"\n","z":[1,{"a":null,"b":"2"}]}"#));
}
