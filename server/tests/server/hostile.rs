//! Hostile or broken payloads from an enrolled till, a crashing database
//! thread, a blocked address shared by good tills, record ids shared by
//! tenants: head office refuses what breaks the contract, keeps serving,
//! and says when it cannot.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::{Method, StatusCode};
use kasa_server::Database;
use kasa_server::db::sqlite::SqliteDatabase;
use serde_json::{Value, json};

use crate::support::{self, Server, Till, test_config};

/// Till `till`'s first sale (seqs 1..=3) with `edit` applied to record
/// `index` (0 document, 1 movement, 2 journal entry).
fn spoiled(
    till: &Till,
    index: usize,
    edit: impl FnOnce(&mut Value),
) -> kasa_sync_protocol::UploadBatch {
    let mut batch = till.batch(1, 3);
    edit(&mut batch.records[index].payload);
    batch
}

/// A way to spoil a payload.
type Spoil<'a> = Box<dyn FnOnce(&mut Value) + 'a>;

async fn health(server: &Server) -> (StatusCode, Value) {
    let r = server.send(Method::GET, "/health", &[], Vec::new()).await;
    (r.status, r.json())
}

/// Every bad record is refused with `sync.invalid_record` (422) naming its
/// seq, id and field; nothing of its batch is stored; the till's good
/// records still go through afterwards, and every report still answers.
pub async fn hostile_records_are_refused_naming_the_record_and_store_nothing(
    db: Arc<dyn Database>,
) {
    let server = Server::start(db.clone(), test_config()).await;
    server.tenant_with_store("acme", "S001").await;
    let mut till = server.till("acme", "S001", "T01").await;
    till.sell(false, &[("1001", "2")], &[("cash", "3.00")]);
    till.sell(false, &[("2040", "1")], &[("card", "4.00")]);
    let terminal_pk = server.terminal_pk(&till).await;
    let near_max = "50000000000000000000000000000"; // 5·10²⁸: a decimal, but two overflow a sum
    let cases: Vec<(&str, usize, Spoil<'_>)> = vec![
        (
            "NUL in a SKU",
            1,
            Box::new(|p| p["sku"] = json!("10\u{0}01")),
        ),
        (
            "8,000-byte SKU",
            1,
            Box::new(|p| p["sku"] = json!("9".repeat(8_000))),
        ),
        (
            "escape sequence in a SKU",
            1,
            Box::new(|p| p["sku"] = json!("\u{1b}[2J")),
        ),
        (
            "quantity near the decimal limit",
            1,
            Box::new(|p| p["qty"] = json!(near_max)),
        ),
        (
            "amount near the decimal limit",
            0,
            Box::new(|p| p["tenders"][0]["amount"] = json!(near_max)),
        ),
        (
            "float amount",
            0,
            Box::new(|p| p["tenders"][0]["amount"] = json!(3.0)),
        ),
        (
            "tender as an array",
            0,
            Box::new(|p| p["tenders"] = json!([["cash", "3.00"]])),
        ),
        (
            "sale without tenders or total",
            0,
            Box::new(|p| *p = json!({})),
        ),
        (
            "NUL in a key of the document body",
            0,
            Box::new(|p| p["body"] = json!({"x\u{0}": 1})),
        ),
        (
            "huge journal total",
            2,
            Box::new(|p| p["totals"]["sales"] = json!(near_max)),
        ),
        (
            "payload that is not an object",
            2,
            Box::new(|p| *p = json!("entry")),
        ),
    ];
    for (what, index, edit) in cases {
        let batch = spoiled(&till, index, edit);
        let record = &batch.records[index];
        let (seq, id) = (record.seq, record.id);
        let r = server.upload(&till, &batch).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, "sync.invalid_record"),
            "{what}: {}",
            r.text()
        );
        let message = r.json()["error"]["message"].as_str().unwrap().to_owned();
        assert!(
            message.contains(&format!("seq {seq}")) && message.contains(&id.to_string()),
            "{what}: the message does not name the record: {message}"
        );
        assert_eq!(db.record_count(terminal_pk).await.unwrap(), 0, "{what}");
    }
    // the same till's real records are not blocked by what was refused
    let ack = server.upload(&till, &till.batch(1, 6)).await;
    assert_eq!(ack.status, StatusCode::OK, "{}", ack.text());
    assert_eq!(ack.json()["applied"], 6);
    let sales = server
        .admin_get("/admin/v1/tenants/acme/reports/sales?from=2026-11-21&to=2026-11-21")
        .await;
    assert_eq!(sales.status, StatusCode::OK, "{}", sales.text());
    assert_eq!(sales.json().as_array().unwrap().len(), 2);
    let stock = server
        .admin_get("/admin/v1/tenants/acme/reports/stock")
        .await;
    assert_eq!(
        stock.json(),
        json!([{"store_id":"S001","sku":"1001","qty":"-2"},{"store_id":"S001","sku":"2040","qty":"-1"}])
    );
    assert_eq!(health(&server).await.0, StatusCode::OK);
}

/// `batch` as `till` would send it (same seqs and record ids).
fn sent_by(
    mut batch: kasa_sync_protocol::UploadBatch,
    till: &Till,
) -> kasa_sync_protocol::UploadBatch {
    batch.terminal_id = till.terminal_id.clone();
    batch.store_id = till.store_id.clone();
    for record in &mut batch.records {
        record.terminal_id = till.terminal_id.clone();
    }
    batch
}

/// Record ids are unique per tenant: a till of another tenant whose ids
/// this tenant already holds gets its records stored and counted (before,
/// they were dropped while acknowledged); within one tenant a known id is
/// still a duplicate.
pub async fn record_ids_are_unique_per_tenant(db: Arc<dyn Database>) {
    let server = Server::start(db.clone(), test_config()).await;
    server.tenant_with_store("acme", "S001").await;
    server.tenant_with_store("acme", "S002").await;
    server.tenant_with_store("bolt", "S001").await;
    let mut acme = server.till("acme", "S001", "T01").await;
    let acme2 = server.till("acme", "S002", "T09").await;
    let bolt = server.till("bolt", "S001", "T01").await;
    acme.sell(false, &[("1001", "1")], &[("cash", "2.00")]);
    assert_eq!(
        server.upload(&acme, &acme.batch(1, 3)).await.status,
        StatusCode::OK
    );

    let r = server
        .upload(&bolt, &sent_by(acme.batch(1, 3), &bolt))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        (
            r.json()["applied"].as_u64(),
            r.json()["duplicates"].as_u64()
        ),
        (Some(3), Some(0)),
        "{}",
        r.text()
    );
    assert_eq!(
        db.record_count(server.terminal_pk(&bolt).await)
            .await
            .unwrap(),
        3
    );
    let bolt_sales = server
        .admin_get("/admin/v1/tenants/bolt/reports/sales?from=2026-11-21&to=2026-11-21")
        .await
        .json();
    assert_eq!(bolt_sales[0]["amount"], "2.00", "{bolt_sales}");

    // another terminal of the same tenant re-using held ids: not the same
    // records at these sequences — a series conflict, nothing stored
    let r = server
        .upload(&acme2, &sent_by(acme.batch(1, 3), &acme2))
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::CONFLICT, "sync.series_conflict"),
        "{}",
        r.text()
    );
    assert_eq!(
        db.record_count(server.terminal_pk(&acme2).await)
            .await
            .unwrap(),
        0
    );
}

/// `/health` runs a real query under a 2 s timeout; a panic on the SQLite
/// owner thread loses only that request, the thread restarts (counted),
/// and a stalled thread turns `/health` into 503.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
pub async fn health_queries_the_database_and_the_sqlite_owner_thread_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hq.db");
    let sqlite = Arc::new(SqliteDatabase::open(path.to_str().unwrap()).unwrap());
    sqlite.migrate().await.unwrap();
    let server = Server::start(sqlite.clone(), test_config()).await;
    server.tenant_with_store("acme", "S001").await;
    let mut till = server.till("acme", "S001", "T01").await;
    let (status, body) = health(&server).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["terminals"].as_u64(), body["writer_restarts"].as_u64()),
        (Some(1), Some(0))
    );

    let panicked = sqlite
        .run_on_owner_thread(|_| panic!("a bug on the owner thread"))
        .await;
    assert!(panicked.is_err());
    let (status, body) = health(&server).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["writer_restarts"], 1);
    till.sell(false, &[("1001", "1")], &[("cash", "2.00")]);
    let ack = server.upload(&till, &till.batch(1, 3)).await;
    assert_eq!(
        ack.status,
        StatusCode::OK,
        "after a restart: {}",
        ack.text()
    );

    let stalled = sqlite.clone();
    let (holding, held) = tokio::sync::oneshot::channel::<()>();
    let stall = tokio::spawn(async move {
        stalled
            .run_on_owner_thread(move |_| {
                let _ = holding.send(());
                std::thread::sleep(Duration::from_secs(3))
            })
            .await
    });
    // wait until the stall holds the thread: a health query stays unanswered
    held.await.unwrap();
    let asked = Instant::now();
    let (status, body) = health(&server).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["status"], "unavailable");
    assert!(
        asked.elapsed() < Duration::from_secs(3),
        "{:?}",
        asked.elapsed()
    );
    stall.await.unwrap().unwrap();
    assert_eq!(health(&server).await.0, StatusCode::OK);
}

/// Failed attempts block an address, but never a request carrying a valid
/// credential: many tills share one address behind a NAT.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
pub async fn a_valid_till_syncs_from_an_address_blocked_by_failed_attempts() {
    let db = support::sqlite().await;
    let server = Server::start(db.db.clone(), support::strict_rate_limit()).await;
    server.tenant_with_store("acme", "S001").await;
    let mut till = server.till("acme", "S001", "T01").await;
    let mut other = server.till("acme", "S001", "T02").await;
    let forged = Till::new("T01", "S001", "kt1.nobody.0000");
    for _ in 0..5 {
        server.status(&forged).await;
    }
    assert_eq!(server.status(&forged).await.code(), "auth.rate_limited");
    assert_eq!(
        server.enrol("AAAA-BBBB-CCCC", "T03").await.code(),
        "auth.rate_limited"
    );

    till.sell(false, &[("1001", "1")], &[("cash", "2.00")]);
    let ack = server.upload(&till, &till.batch(1, 3)).await;
    assert_eq!(ack.status, StatusCode::OK, "{}", ack.text());
    // a till whose credential head office has not verified yet (not cached) passes too
    other.sell(false, &[("1001", "1")], &[("cash", "2.00")]);
    let ack = server.upload(&other, &other.batch(1, 3)).await;
    assert_eq!(ack.status, StatusCode::OK, "{}", ack.text());
    assert_eq!(
        server
            .admin_get("/admin/v1/tenants/acme/terminals")
            .await
            .status,
        StatusCode::OK
    );
    // and the bad attempts are still refused
    assert_eq!(server.status(&forged).await.code(), "auth.rate_limited");
    let r = server
        .send(
            Method::GET,
            "/admin/v1/tenants/acme/terminals",
            &[("authorization", "Bearer nope")],
            Vec::new(),
        )
        .await;
    assert_eq!(r.code(), "auth.rate_limited");
}
