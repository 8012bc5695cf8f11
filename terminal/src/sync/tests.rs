//! Unit tests of the sync client that need no server: the wire series cut
//! from real sales, confirmation, master-data pages, backoff, error codes.

use chrono::Utc;
use kasa_domain::ErrorCode;
use kasa_domain::money::Money;
use kasa_domain::permission::Role;
use kasa_sync_protocol::{
    ChangeOp, Cursor, CursorPosition, Entity, MasterDataChange, MasterDataPage, RecordKind,
};
use rand::SeedableRng;
use rust_decimal::Decimal;
use serde_json::json;

use super::*;
use crate::documents::StoredDocument;
use crate::sale::script::{SaleScript, run_sale_script};
use crate::settings::TillSettings;
use crate::store::Store;

const CATALOG: &str = "sku,name,group,brand,unit,vat_class,price,cost,barcodes,plu,status,tracks_batches,markup_percent
BREAD,Хляб,Хлебни,,piece,standard,1.80,1.20,,,ACTIVE,false,
MILK,Мляко,Млечни,,piece,standard,2.50,1.70,,,ACTIVE,false,
";

fn till() -> (tempfile::TempDir, Store, TillSettings) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("till.sqlite")).unwrap();
    let settings = TillSettings::new("S001", "T01");
    settings.save_new(store.conn()).unwrap();
    crate::catalog::import_products(&mut store, CATALOG.as_bytes(), |_| {}).unwrap();
    let now = Utc::now().naive_utc();
    crate::users::add_user(store.conn(), "ana", "Ана", Role::Cashier, "1111", now).unwrap();
    let user = crate::users::login_by_pin(store.conn(), "1111", now).unwrap();
    crate::shift::open_shift(
        &mut store,
        &settings,
        &user,
        Money(Decimal::new(5_000, 2)),
        now,
    )
    .unwrap();
    (dir, store, settings)
}

fn sell(store: &mut Store, settings: &TillSettings) {
    let script: SaleScript = serde_json::from_value(json!({
        "cashier_pin": "1111",
        "lines": [{"sku": "BREAD", "qty": "2"}, {"sku": "MILK"}],
        "tenders": [{"kind": "cash"}]
    }))
    .unwrap();
    run_sale_script(store, settings, &script, Utc::now().naive_utc()).unwrap();
}

/// Drop the wire series, as if the outbox rows had been written by a till
/// from before documents were cut at sale time.
fn forget_series(store: &mut Store) {
    store
        .conn()
        .execute_batch("DELETE FROM sync_records")
        .unwrap();
}

fn extend_all(store: &mut Store) -> usize {
    let tx = store.write_tx().unwrap();
    let added = series::extend_series(&tx, "T01").unwrap();
    tx.commit().unwrap();
    added
}

#[test]
fn a_sale_becomes_its_document_movements_and_journal_entry_once() {
    let (_dir, mut store, settings) = till();
    sell(&mut store, &settings);
    assert_eq!(
        extend_all(&mut store),
        0,
        "each document was cut in its own transaction"
    );
    let last = series::last_seq(store.conn()).unwrap();
    let records = series::load_records(store.conn(), "T01", 1, last).unwrap();
    // a till whose outbox rows predate cutting at sale time: the round cuts
    // them, into the very same records
    forget_series(&mut store);
    assert_eq!(extend_all(&mut store), 2, "shift open + sale");
    assert_eq!(extend_all(&mut store), 0, "extending again adds nothing");
    assert_eq!(
        series::load_records(store.conn(), "T01", 1, last).unwrap(),
        records
    );
    let seqs: Vec<u64> = records.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, (1..=last).collect::<Vec<_>>(), "gapless from 1");
    let sale = records
        .iter()
        .find(|r| r.document_type.as_deref() == Some("sale") && r.kind == RecordKind::Document)
        .unwrap();
    let doc: StoredDocument = serde_json::from_value(sale.payload.clone()).unwrap();
    let movements: Vec<_> = records
        .iter()
        .filter(|r| r.kind == RecordKind::StockMovement)
        .collect();
    assert_eq!(movements.len(), doc.movements.len());
    assert_eq!(movements.len(), 2);
    for (record, movement) in movements.iter().zip(&doc.movements) {
        assert_eq!(record.id, movement.id);
        assert_eq!(record.payload["sku"], json!(movement.sku));
    }
    let journal: Vec<_> = records
        .iter()
        .filter(|r| r.kind == RecordKind::JournalEntry)
        .collect();
    assert_eq!(journal.len(), 2, "shift open and sale are fiscal");
    let entry: kasa_domain::journal::JournalEntry =
        serde_json::from_value(journal[1].payload.clone()).unwrap();
    assert_eq!(entry.document_id, doc.id);
    assert_eq!(
        journal[1].id,
        series::journal_record_id(doc.id, journal[1].created_at)
    );
    // the stored entries chain: head office can verify them
    let entries: Vec<_> = journal
        .iter()
        .map(|r| {
            serde_json::from_value::<kasa_domain::journal::JournalEntry>(r.payload.clone()).unwrap()
        })
        .collect();
    kasa_domain::journal::verify(entries).unwrap();
    // the encoded length stored is the record's
    let entries = series::unconfirmed_entries(store.conn()).unwrap();
    for (entry, record) in entries.iter().zip(&records) {
        assert_eq!(entry.encoded_len, record.encoded_len());
    }
}

#[test]
fn a_sale_stores_its_payload_once() {
    let (_dir, mut store, settings) = till();
    sell(&mut store, &settings);
    let conn = store.conn();
    let outbox_columns: Vec<String> = conn
        .prepare("SELECT name FROM pragma_table_info('outbox')")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(
        !outbox_columns.iter().any(|c| c == "payload"),
        "the outbox names its document: {outbox_columns:?}"
    );
    // the document and its movements are ranges of the document's text;
    // only journal entries (another form of the journal row) hold text
    let copied: i64 = conn
        .query_row(
            "SELECT COALESCE(SUM(length(payload)), 0) FROM sync_records
             WHERE kind IN ('document', 'stock_movement')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(copied, 0);
    let referenced: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM sync_records
             WHERE payload_from IS NOT NULL AND payload_to > payload_from",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        referenced, 4,
        "shift-open document, sale document, 2 movements"
    );
    // and what is sent is the document's text and its parts
    let last = series::last_seq(conn).unwrap();
    let batch = series::load_batch(
        conn,
        kasa_sync_protocol::ProtocolVersion::CURRENT,
        "T01",
        "S001",
        1,
        last,
    )
    .unwrap();
    let sale = batch
        .records
        .iter()
        .find(|r| r.document_type.as_deref() == Some("sale") && r.kind == RecordKind::Document)
        .unwrap();
    let stored: String = conn
        .query_row(
            "SELECT payload FROM documents WHERE id = ?1",
            [sale.id.to_string()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(sale.payload.get(), stored);
    for movement in batch
        .records
        .iter()
        .filter(|r| r.kind == RecordKind::StockMovement)
    {
        assert!(stored.contains(movement.payload.get()));
    }
}

#[test]
fn confirming_marks_whole_documents_synced_and_never_deletes() {
    let (_dir, mut store, settings) = till();
    sell(&mut store, &settings);
    sell(&mut store, &settings);
    extend_all(&mut store);
    let total = series::last_seq(store.conn()).unwrap();
    // the shift-open document is 2 records (document + journal entry); confirm
    // through the middle of the first sale
    let tx = store.write_tx().unwrap();
    series::confirm_through(&tx, 3).unwrap();
    tx.commit().unwrap();
    let queued = crate::documents::outbox::queued_count(store.conn()).unwrap();
    assert_eq!(queued, 2, "a half-confirmed sale stays queued");
    let tx = store.write_tx().unwrap();
    series::confirm_through(&tx, total).unwrap();
    tx.commit().unwrap();
    assert_eq!(
        crate::documents::outbox::queued_count(store.conn()).unwrap(),
        0
    );
    let kept: i64 = store
        .conn()
        .query_row("SELECT COUNT(*) FROM sync_records", [], |r| r.get(0))
        .unwrap();
    assert_eq!(kept as u64, total, "confirmed records are kept");
    let status = status(store.conn(), Utc::now()).unwrap();
    assert_eq!((status.records_queued, status.documents_queued), (0, 0));
    assert_eq!(status.server_acked_seq, total);
}

#[test]
fn a_till_that_flagged_each_record_and_row_keeps_what_was_confirmed() {
    use crate::store::migrations::{MIGRATIONS, migrate};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite");
    let mut conn = rusqlite::Connection::open(&path).unwrap();
    // the schema as it was before the watermark
    let v4 = MIGRATIONS
        .iter()
        .position(|m| m.name == "sync_v4_confirmed_watermark")
        .unwrap();
    for migration in &MIGRATIONS[..v4] {
        conn.execute_batch(migration.sql).unwrap();
    }
    conn.pragma_update(None, "user_version", v4 as i64).unwrap();
    for seq in 1..=5 {
        conn.execute(
            "INSERT INTO sync_records (seq, outbox_seq, record_id, kind, created_at, payload,
                encoded_len, confirmed) VALUES (?1, 1, ?2, 'document', '2026-11-21T10:00:00Z', '{}', 2, ?3)",
            rusqlite::params![seq, format!("r{seq}"), i64::from(seq <= 3)],
        )
        .unwrap();
    }
    for (seq, status) in [(1, "synced"), (2, "synced"), (3, "queued")] {
        conn.execute(
            "INSERT INTO outbox (terminal_id, seq, record_id, kind, payload, status, created_at)
             VALUES ('T01', ?1, ?2, 'sale', '{}', ?3, '2026-11-21T10:00:00')",
            rusqlite::params![seq, format!("d{seq}"), status],
        )
        .unwrap();
    }
    migrate(&mut conn, &path).unwrap();
    assert_eq!(crate::documents::outbox::queued_count(&conn).unwrap(), 1);
    let listed = crate::documents::outbox::pending(&conn, 0, 10).unwrap();
    let statuses: Vec<&str> = listed.iter().map(|r| r.status.as_str()).collect();
    assert_eq!(statuses, ["synced", "synced", "queued"]);
    assert_eq!(series::confirmed_through(&conn).unwrap(), 3);
    let seqs: Vec<u64> = series::unconfirmed_entries(&conn)
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(seqs, [4, 5]);
    // confirming never lowers the watermark
    let tx = conn.transaction().unwrap();
    assert_eq!(series::confirm_through(&tx, 2).unwrap(), 0);
    assert_eq!(series::confirm_through(&tx, 4).unwrap(), 1);
    assert_eq!(series::confirmed_through(&tx).unwrap(), 4);
}

#[test]
fn status_counts_what_is_not_yet_cut_from_the_outbox() {
    let (_dir, mut store, settings) = till();
    sell(&mut store, &settings);
    let s = status(store.conn(), Utc::now()).unwrap();
    assert!(!s.enrolled && !s.online);
    assert_eq!(s.documents_queued, 2);
    assert_eq!(s.records_queued, series::last_seq(store.conn()).unwrap());
    forget_series(&mut store);
    let s = status(store.conn(), Utc::now()).unwrap();
    assert_eq!(s.records_queued, 2, "one per outbox row until cut");
    assert!(s.oldest_unsynced_age_seconds.unwrap() >= 0);
    extend_all(&mut store);
    let s = status(store.conn(), Utc::now()).unwrap();
    assert_eq!(s.records_queued, series::last_seq(store.conn()).unwrap());
}

pub(super) fn change(
    version: u64,
    entity: Entity,
    key: &str,
    data: serde_json::Value,
) -> MasterDataChange {
    MasterDataChange {
        version,
        entity,
        key: key.to_owned(),
        op: if data.is_null() {
            ChangeOp::Delete
        } else {
            ChangeOp::Upsert
        },
        data,
    }
}

pub(super) fn page(changes: Vec<MasterDataChange>) -> MasterDataPage {
    let last = changes.last().map_or(0, |c| c.version);
    MasterDataPage {
        changes,
        next_cursor: Cursor::encode(CursorPosition {
            after_version: last,
        }),
        has_more: false,
        server_version: last,
    }
}

#[test]
fn a_page_is_applied_whole_or_not_at_all() {
    let (_dir, mut store, _) = till();
    let good = page(vec![
        change(
            1,
            Entity::Product,
            "TEA",
            json!({"name": "Чай  Зелен", "price": "3.10", "plu": "7"}),
        ),
        change(2, Entity::Barcode, "4006381333931", json!({"sku": "TEA"})),
    ]);
    let tx = store.write_tx().unwrap();
    master_data::apply_page(&tx, &good).unwrap();
    tx.commit().unwrap();
    let found = crate::catalog::search(store.conn(), "зел", 5).unwrap();
    assert_eq!(found.len(), 1, "the pulled product is found by name prefix");
    let plu: i64 = store
        .conn()
        .query_row("SELECT plu FROM products WHERE sku = 'TEA'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(plu, 7);
    let bad = page(vec![
        change(3, Entity::Product, "COFFEE", json!({"name": "Кафе"})),
        change(
            4,
            Entity::Product,
            "BROKEN",
            json!({"name": "X", "unit": "barrel"}),
        ),
    ]);
    let tx = store.write_tx().unwrap();
    let err = master_data::apply_page(&tx, &bad).unwrap_err();
    drop(tx); // rolled back
    assert_eq!(err.code(), "sync.master_data_rejected");
    assert!(err.to_string().contains("barrel"), "{err}");
    let coffee: i64 = store
        .conn()
        .query_row(
            "SELECT COUNT(*) FROM products WHERE sku = 'COFFEE'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(coffee, 0);
    let s = status(store.conn(), Utc::now()).unwrap();
    assert_eq!(s.master_data_version, 2);
    assert_eq!(s.master_data_cursor, Some(good.next_cursor.0.clone()));
    // deletes: a barcode goes, a product is archived (documents refer to it)
    let deletes = page(vec![
        change(5, Entity::Barcode, "4006381333931", serde_json::Value::Null),
        change(6, Entity::Product, "TEA", serde_json::Value::Null),
    ]);
    let tx = store.write_tx().unwrap();
    master_data::apply_page(&tx, &deletes).unwrap();
    tx.commit().unwrap();
    let lifecycle: String = store
        .conn()
        .query_row(
            "SELECT lifecycle FROM products WHERE sku = 'TEA'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(lifecycle, "ARCHIVED");
    let barcodes: i64 = store
        .conn()
        .query_row("SELECT COUNT(*) FROM barcodes", [], |r| r.get(0))
        .unwrap();
    assert_eq!(barcodes, 0);
}

#[test]
fn a_user_without_an_argon2_hash_is_refused() {
    let (_dir, mut store, _) = till();
    let tx = store.write_tx().unwrap();
    let err = master_data::apply_page(
        &tx,
        &page(vec![change(
            1,
            Entity::User,
            "ivan",
            json!({"role": "cashier", "pin_hash": "1234"}),
        )]),
    )
    .unwrap_err();
    assert!(err.to_string().contains("argon2"), "{err}");
}

#[test]
fn backoff_doubles_up_to_the_cap_with_jitter_within_bounds() {
    let policy = BackoffPolicy {
        interval_ms: 30_000,
        base_ms: 1_000,
        max_ms: 60_000,
    };
    let table = [
        (0, 30_000),
        (1, 1_000),
        (2, 2_000),
        (3, 4_000),
        (6, 32_000),
        (7, 60_000),
        (40, 60_000),
    ];
    for (failures, ceiling) in table {
        assert_eq!(policy.ceiling_ms(failures), ceiling, "{failures}");
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let delays: Vec<u64> = (0..200).map(|_| policy.delay_ms(3, &mut rng)).collect();
    assert!(
        delays.iter().all(|d| (2_000..=4_000).contains(d)),
        "{delays:?}"
    );
    let distinct: std::collections::BTreeSet<_> = delays.iter().collect();
    assert!(distinct.len() > 50, "jitter spreads retries");
    assert_eq!(policy.delay_ms(0, &mut rng), 30_000);
}

#[test]
fn refusals_keep_known_codes_and_transience() {
    let refused = |status, code: &str| SyncError::Refused {
        status,
        code: code.to_owned(),
        message: String::new(),
    };
    assert_eq!(refused(409, "sync.gap").code(), "sync.gap");
    assert!(refused(409, "sync.gap").is_transient());
    assert_eq!(refused(401, "auth.invalid").code(), "auth.invalid");
    assert!(!refused(401, "auth.invalid").is_transient());
    assert_eq!(refused(400, "something.new").code(), "sync.refused");
    assert!(refused(503, "server.database").is_transient());
    let ahead = SyncError::from(kasa_sync_protocol::PlanError::ServerAhead {
        server_acked: 9,
        local_last: 3,
    });
    assert_eq!(ahead.code(), "sync.server_ahead");
    assert!(!ahead.is_transient());
    assert_eq!(SyncError::NotEnrolled.code(), "sync.not_enrolled");
}

#[test]
fn only_http_and_https_urls_are_accepted() {
    let (_dir, mut store, _) = till();
    for url in ["hq.example.com:8080", "http://", "https:///x", "ftp://x"] {
        let err = enrol(&mut store, url, "CODE").unwrap_err();
        assert_eq!(err.code(), "sync.unsupported_url", "{url}");
    }
    for url in ["https://hq.example.com", "http://10.0.0.5:8080/kasa"] {
        super::client::check_url(url).unwrap();
    }
    assert_eq!(
        set_server_url(&mut store, "http://10.0.0.5:8080")
            .unwrap_err()
            .code(),
        "sync.not_enrolled"
    );
}

/// Every record the till writes — each document type it completes here, its
/// movements and journal entries — passes head office's payload contract
/// (`kasa_sync_protocol::payload`): a till's own records are never refused.
#[test]
fn every_record_the_till_writes_passes_the_payload_contract() {
    use kasa_domain::shift::TenderAmount;
    use kasa_sync_protocol::payload::{RecordPayload, read_record};

    let (_dir, mut store, settings) = till();
    sell(&mut store, &settings);
    let now = Utc::now().naive_utc();
    let ana = crate::users::login_by_pin(store.conn(), "1111", now).unwrap();
    crate::users::add_user(store.conn(), "ivan", "Иван", Role::Manager, "2222", now).unwrap();
    let ret: crate::sale::returns::ReturnScript = serde_json::from_value(json!({
        "cashier_pin": "1111",
        "original": "0000000001",
        "lines": [{"line": 1, "qty": "1"}],
        "approval_pin": "2222",
        "reason": "stale\nreturned by phone"
    }))
    .unwrap();
    crate::sale::returns::run_return_script(&mut store, &settings, &ret, now).unwrap();
    let cash = |n| Money(Decimal::new(n, 2));
    crate::shift::cash_movement(
        &mut store,
        &settings,
        &ana,
        crate::shift::CashMovement {
            out_of_drawer: false,
            amount: cash(1_000),
            reason: "float",
        },
        None,
        now,
    )
    .unwrap();
    let ivan = crate::users::login_by_pin(store.conn(), "2222", now).unwrap();
    crate::shift::cash_movement(
        &mut store,
        &settings,
        &ivan,
        crate::shift::CashMovement {
            out_of_drawer: true,
            amount: cash(500),
            reason: "bank",
        },
        None,
        now,
    )
    .unwrap();
    crate::shift::no_sale(&mut store, &settings, &ana, "change for a note", now).unwrap();
    let receive: crate::stock::receiving::ReceiveRequest = serde_json::from_value(json!({
        "supplier": "Мандра ООД",
        "lines": [{"sku": "MILK", "qty": "12.5", "unit_cost": "1.6833"}]
    }))
    .unwrap();
    crate::stock::commands::receive(&mut store, &receive, "ana").unwrap();
    let counted = [TenderAmount {
        kind: kasa_domain::tender::TenderKind::Cash,
        amount: cash(5_000),
    }];
    crate::shift::close_shift(&mut store, &settings, &ana, &counted, false, now).unwrap();

    let last = series::last_seq(store.conn()).unwrap();
    let records = series::load_records(store.conn(), "T01", 1, last).unwrap();
    let mut document_types = std::collections::BTreeSet::new();
    for record in &records {
        let read = read_record(
            record.kind,
            record.document_type.as_deref(),
            &record.payload.to_string(),
        )
        .unwrap_or_else(|e| {
            panic!(
                "seq {} ({:?}): {e}\n{}",
                record.seq, record.kind, record.payload
            )
        });
        if let RecordPayload::Document(_) = read {
            document_types.insert(record.document_type.clone().unwrap_or_default());
        }
    }
    let expected = [
        "cash_in",
        "cash_out",
        "delivery_receipt",
        "no_sale",
        "return",
        "sale",
        "shift_close",
        "shift_open",
        "z_report",
    ];
    for t in expected {
        assert!(
            document_types.contains(t),
            "no {t} among {document_types:?}"
        );
    }
    // the audit log travels too: each entry is a record of the series
    let audited: Vec<String> = records
        .iter()
        .filter(|r| r.kind == kasa_sync_protocol::RecordKind::Audit)
        .map(|r| r.payload["event"].as_str().unwrap_or_default().to_owned())
        .collect();
    let logged: Vec<String> = crate::users::audit_log(store.conn())
        .unwrap()
        .into_iter()
        .map(|entry| entry.action)
        .collect();
    assert!(!logged.is_empty());
    assert_eq!(audited, logged, "every audit entry, in order, once");
}
