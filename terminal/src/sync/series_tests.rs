//! The batch sent from stored text is the protocol's `UploadBatch`, byte for byte.

use kasa_sync_protocol::{ProtocolVersion, Record, UploadBatch};
use rusqlite::{Connection, params};
use serde_json::json;

use super::{load_batch, load_records};

/// (seq, id, kind, document_type, created_at, payload) of a stored record.
type Row<'a> = (
    i64,
    &'a str,
    &'a str,
    Option<&'a str>,
    &'a str,
    serde_json::Value,
);

fn stored(rows: &[Row<'_>]) -> Connection {
    let mut conn = Connection::open_in_memory().unwrap();
    crate::store::migrations::migrate(&mut conn, std::path::Path::new(":memory:")).unwrap();
    for (seq, id, kind, document_type, created_at, payload) in rows {
        let text = payload.to_string();
        conn.execute(
            "INSERT INTO sync_records (seq, outbox_seq, record_id, kind, document_type, created_at,
                payload, encoded_len) VALUES (?1, 1, ?2, ?3, ?4, ?5, ?6, 0)",
            params![seq, id, kind, document_type, created_at, text],
        )
        .unwrap();
    }
    conn
}

#[test]
fn a_wire_batch_is_the_upload_batch_of_the_same_records() {
    let conn = stored(&[
        (
            7,
            "01934a2c-0000-7000-8000-000000000001",
            "document",
            Some("sale"),
            "2026-11-21T09:15:02.123456Z",
            json!({"lines": [{"name": "Хляб \"бял\"\n", "qty": "2"}], "total": "3.60", "n": 12}),
        ),
        (
            8,
            "01934a2c-0000-7000-8000-000000000002",
            "stock_movement",
            Some("sale"),
            "2026-11-21T09:15:02.120000Z",
            json!({"sku": "BREAD", "qty": "-2", "note": null}),
        ),
        (
            9,
            "01934a2c-0000-7000-8000-000000000003",
            "journal_entry",
            None,
            "2026-11-21T09:15:02Z",
            json!({"seq": 1, "payload": {"a": [1, 2, {"b": true}]}}),
        ),
    ]);
    let version = ProtocolVersion::new(1, 0);
    let wire = load_batch(&conn, version, "T01", "S001", 7, 9).unwrap();
    assert_eq!(
        (wire.first_seq, wire.last_seq(), wire.records.len()),
        (7, 9, 3)
    );
    let records: Vec<Record> = load_records(&conn, "T01", 7, 9).unwrap();
    let lens: Vec<usize> = records
        .iter()
        .map(|r| serde_json::to_vec(r).unwrap().len())
        .collect();
    let batch = UploadBatch::from_records(version, "T01", "S001", records);
    assert_eq!(
        serde_json::to_string(&wire).unwrap(),
        serde_json::to_string(&batch).unwrap()
    );
    // and it reads back as one
    let back: UploadBatch = serde_json::from_slice(&serde_json::to_vec(&wire).unwrap()).unwrap();
    assert_eq!(back, batch);
    assert!(lens.iter().all(|&n| n > 0));
}

#[test]
fn a_damaged_stored_record_is_refused_not_sent() {
    let conn = stored(&[(
        1,
        "not-a-uuid",
        "document",
        Some("sale"),
        "2026-11-21T09:15:02Z",
        json!({}),
    )]);
    let err = load_batch(&conn, ProtocolVersion::new(1, 0), "T01", "S001", 1, 1).unwrap_err();
    assert_eq!(kasa_domain::ErrorCode::code(&err), "sync.outbox_unreadable");
    conn.execute("UPDATE sync_records SET record_id = '01934a2c-0000-7000-8000-000000000001', payload = '{\"a\":'", [])
        .unwrap();
    let err = load_batch(&conn, ProtocolVersion::new(1, 0), "T01", "S001", 1, 1).unwrap_err();
    assert_eq!(kasa_domain::ErrorCode::code(&err), "sync.outbox_unreadable");
}

#[test]
fn a_record_whose_range_does_not_fit_its_document_is_refused_not_sent() {
    let conn = stored(&[]);
    conn.execute_batch(
        "INSERT INTO documents (id, doc_type, status, number, store_id, terminal_id, author,
            created_at, completed_at, currency, total, vat_total, payload)
         VALUES ('01934a2c-0000-7000-8000-000000000001', 'SA', 'completed', '0000000001',
            'S001', 'T01', 'ana', '2026-11-21T09:15:02Z', '2026-11-21T09:15:02Z', 'EUR',
            '1', '0', '{\"movements\":[{\"id\":\"x\"}]}');
         INSERT INTO sync_records (seq, outbox_seq, record_id, kind, document_type, created_at,
            payload, encoded_len, payload_from, payload_to)
         VALUES (1, 1, '01934a2c-0000-7000-8000-000000000001', 'document', 'sale',
            '2026-11-21T09:15:02Z', '', 0, 0, 26),
            (2, 1, '01934a2c-0000-7000-8000-000000000002', 'stock_movement', 'sale',
            '2026-11-21T09:15:02Z', '', 0, 14, 90);",
    )
    .unwrap();
    let version = ProtocolVersion::new(1, 0);
    let wire = load_batch(&conn, version, "T01", "S001", 1, 1).unwrap();
    assert_eq!(
        wire.records[0].payload.get(),
        r#"{"movements":[{"id":"x"}]}"#
    );
    // starting at the movement, its document is read through its outbox row
    for first in [1, 2] {
        let err = load_batch(&conn, version, "T01", "S001", first, 2).unwrap_err();
        assert_eq!(kasa_domain::ErrorCode::code(&err), "sync.outbox_unreadable");
    }
    conn.execute("UPDATE sync_records SET payload_to = 24 WHERE seq = 2", [])
        .unwrap();
    let wire = load_batch(&conn, version, "T01", "S001", 2, 2).unwrap();
    assert_eq!(wire.records[0].payload.get(), r#"{"id":"x"}"#);
}

#[test]
fn journal_record_ids_are_derived_and_in_time_order() {
    use chrono::{TimeZone, Utc};
    use uuid::Uuid;

    use super::journal_record_id;
    let at = Utc.with_ymd_and_hms(2026, 11, 21, 9, 15, 2).unwrap();
    let later = at + chrono::Duration::milliseconds(1);
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let id = journal_record_id(a, at);
    assert_eq!(id, journal_record_id(a, at), "the same on every retry");
    assert_ne!(id, journal_record_id(b, at), "one per document");
    assert_ne!(id, a);
    assert_eq!(id.get_version_num(), 7);
    let (seconds, _) = id.get_timestamp().unwrap().to_unix();
    assert_eq!(seconds as i64, at.timestamp());
    assert!(
        journal_record_id(b, later) > id,
        "a later entry sorts after"
    );
    assert!(journal_record_id(a, later) > journal_record_id(b, at));
}

/// A till database written before a payload was stored once
/// (`fixtures/databases/till-schema-11.sqlite`: a shift opened and four
/// sales, the series confirmed through 4, the last sale's outbox row not yet
/// cut, as a till from before cutting at sale time leaves it) upgrades and
/// sends exactly the batch that version sent (`till-schema-11.batch.json`),
/// the journal entry of the row cut after the upgrade under its
/// time-ordered id.
#[test]
fn an_upgraded_till_sends_every_unsynced_record_as_before() {
    use serde_json::value::RawValue;

    use crate::documents::outbox;
    use crate::store::Store;
    use crate::sync::series::{confirmed_through, extend_series, journal_record_id, last_seq};
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/databases");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("till.sqlite");
    std::fs::copy(fixtures.join("till-schema-11.sqlite"), &path).unwrap();
    let version: i64 = Connection::open(&path)
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 11, "the fixture is the old schema");
    let expected_text =
        std::fs::read_to_string(fixtures.join("till-schema-11.batch.json")).unwrap();
    let expected: UploadBatch<Box<RawValue>> = serde_json::from_str(&expected_text).unwrap();

    let mut store = Store::open(&path).unwrap();
    assert_eq!(outbox::queued_count(store.conn()).unwrap(), 4);
    // a sale on the upgraded till cuts the row left behind first, then its own
    let settings = crate::settings::load(store.conn()).unwrap();
    let script: crate::sale::script::SaleScript = serde_json::from_value(json!({
        "cashier_pin": "1111",
        "lines": [{"sku": "BREAD"}],
        "tenders": [{"kind": "card"}]
    }))
    .unwrap();
    let now = chrono::Utc::now().naive_utc();
    crate::sale::script::run_sale_script(&mut store, &settings, &script, now).unwrap();
    let tx = store.write_tx().unwrap();
    assert_eq!(extend_series(&tx, "T01").unwrap(), 0, "nothing left to cut");
    tx.commit().unwrap();
    let conn = store.conn();
    let first = confirmed_through(conn).unwrap() + 1;
    assert_eq!(first, expected.first_seq);
    let last = expected.last_seq();
    let wire = load_batch(conn, expected.protocol, "T01", "S001", first, last).unwrap();
    let after = load_batch(
        conn,
        expected.protocol,
        "T01",
        "S001",
        last + 1,
        last_seq(conn).unwrap(),
    )
    .unwrap();
    let kinds: Vec<_> = after.records.iter().map(|r| r.kind).collect();
    use kasa_sync_protocol::RecordKind::{Document, JournalEntry, StockMovement};
    assert_eq!(
        kinds,
        [Document, StockMovement, JournalEntry],
        "the new sale, after"
    );

    // the one record cut after the upgrade: the last sale's journal entry
    let cut_after = expected.records.last().unwrap();
    let document = &expected.records[expected.records.len() - 4];
    assert_eq!(cut_after.kind, kasa_sync_protocol::RecordKind::JournalEntry);
    assert_eq!(document.kind, kasa_sync_protocol::RecordKind::Document);
    let old_id = cut_after.id.to_string();
    let new_id = journal_record_id(document.id, cut_after.created_at).to_string();
    assert_eq!(expected_text.matches(&old_id).count(), 1);
    assert_eq!(
        serde_json::to_string(&wire).unwrap() + "\n",
        expected_text.replace(&old_id, &new_id),
        "byte for byte what the old version sends"
    );
    // the outbox still shows each document
    let listed = outbox::pending(conn, 0, 10).unwrap();
    assert_eq!(listed.len(), 6);
    assert!(
        listed
            .iter()
            .all(|r| r.payload["id"].as_str() == Some(r.record_id.as_str()))
    );
}
