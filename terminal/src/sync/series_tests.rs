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
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(crate::sync::schema::V1).unwrap();
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
