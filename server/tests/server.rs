//! kasa-server story tests: the real server in-process on port 0, driven
//! over HTTP, each story run against SQLite and against PostgreSQL
//! (`KASA_TEST_POSTGRES_URL`, see scripts/pg-test-cluster.sh).

mod support;

use std::sync::Arc;

use hyper::{Method, StatusCode};
use kasa_server::Database;
use kasa_sync_protocol::limits::MAX_BATCH_BYTES;
use kasa_sync_protocol::{
    BodyEncoding, Hello, ProtocolVersion, VersionRange, encode_body, examples,
};
use serde_json::{Value, json};
use support::{ADMIN, Server, test_config};

/// Generate `sqlite_<story>` and `postgres_<story>` tests.
macro_rules! story {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = super::support::sqlite().await;
                super::$name(db.db.clone()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(db) = super::support::postgres().await {
                    super::$name(db.db.clone()).await;
                }
            }
        }
    };
}

story!(enrolment_codes_are_single_use_and_expire);
story!(uploads_are_idempotent_and_acknowledge_the_contiguous_sequence);
story!(bad_batches_are_refused_with_their_code_and_store_nothing);
story!(tenants_and_stores_are_isolated);
story!(projections_are_exact_after_retries_and_journal_breaks_are_found);
story!(master_data_is_published_and_pulled_by_cursor_in_pages);
story!(concurrent_resends_are_applied_once);
story!(a_lossy_network_still_delivers_each_record_once);

async fn enrolment_codes_are_single_use_and_expire(db: Arc<dyn Database>) {
    let server = Server::start(db, test_config()).await;
    server.tenant_with_store("acme", "S001").await;
    let code = server.code("acme", "S001", 60).await;

    let first = server.enrol(&code.to_lowercase(), "T01").await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text());
    let reply = first.json();
    assert_eq!(
        (reply["tenant_id"].as_str(), reply["store_id"].as_str()),
        (Some("acme"), Some("S001"))
    );
    let credential = reply["credential"].as_str().unwrap().to_owned();

    let again = server.enrol(&code, "T02").await;
    assert_eq!(
        (again.status, again.code().as_str()),
        (StatusCode::FORBIDDEN, "enrol.code_used")
    );

    let expired = server.code("acme", "S001", 0).await;
    let r = server.enrol(&expired, "T03").await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::FORBIDDEN, "enrol.code_expired")
    );

    let r = server.enrol("AAAA-BBBB-CCCC", "T04").await;
    assert_eq!(r.code(), "enrol.code_unknown");

    let fresh = server.code("acme", "S001", 60).await;
    let r = server.enrol(&fresh, "T01").await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::CONFLICT, "server.already_exists")
    );
    let r = server.enrol(&fresh, "bad id!").await;
    assert_eq!(r.code(), "enrol.bad_terminal_id");

    // the credential works; a forged one with the same lookup does not
    let till = support::Till::new("T01", "S001", &credential);
    let status = server.status(&till).await;
    assert_eq!(status.status, StatusCode::OK, "{}", status.text());
    assert_eq!(status.json()["highest_contiguous_seq"], 0);
    let (prefix, _) = credential.rsplit_once('.').unwrap();
    let forged = support::Till::new("T01", "S001", &format!("{prefix}.{}", "0".repeat(64)));
    let r = server.status(&forged).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::UNAUTHORIZED, "auth.invalid")
    );
    let r = server
        .send(Method::GET, "/sync/v1/upload/status", &[], Vec::new())
        .await;
    assert_eq!(r.code(), "auth.missing");

    // used and expired codes stay refused; the terminal list shows one terminal
    let terminals = server
        .admin_get("/admin/v1/tenants/acme/reports/terminals")
        .await
        .json();
    assert_eq!(terminals.as_array().unwrap().len(), 1, "{terminals}");
}

async fn uploads_are_idempotent_and_acknowledge_the_contiguous_sequence(db: Arc<dyn Database>) {
    let server = Server::start(db.clone(), test_config()).await;
    server.tenant_with_store("acme", "S001").await;
    let mut till = server.till("acme", "S001", "T01").await;
    till.sell(false, &[("1001", "2")], &[("cash", "3.98")]);
    till.sell(false, &[("2040", "0.756")], &[("card", "5.29")]);
    assert_eq!(till.last_seq(), 6);

    let ack = server.upload(&till, &till.batch(1, 4)).await;
    assert_eq!(ack.status, StatusCode::OK, "{}", ack.text());
    assert_eq!(
        ack.json(),
        json!({"terminal_id":"T01","highest_contiguous_seq":4,"duplicates":0,"applied":4})
    );

    // the ack was lost: the till resends the same batch
    let ack = server.upload(&till, &till.batch(1, 4)).await.json();
    assert_eq!(
        (
            ack["applied"].as_u64(),
            ack["duplicates"].as_u64(),
            ack["highest_contiguous_seq"].as_u64()
        ),
        (Some(0), Some(4), Some(4))
    );

    // an overlapping batch: 3..=6
    let ack = server.upload(&till, &till.batch(3, 6)).await.json();
    assert_eq!(
        (
            ack["applied"].as_u64(),
            ack["duplicates"].as_u64(),
            ack["highest_contiguous_seq"].as_u64()
        ),
        (Some(2), Some(2), Some(6))
    );

    // gzip bodies are accepted
    till.sell(false, &[("1001", "1")], &[("cash", "1.99")]);
    let body = encode_body(&till.batch(7, 9), BodyEncoding::Gzip).unwrap();
    let r = server
        .upload_raw(&till.credential, body, &[("content-encoding", "gzip")])
        .await;
    assert_eq!(r.json()["highest_contiguous_seq"], 9, "{}", r.text());

    let status = server.status(&till).await.json();
    assert_eq!(status["highest_contiguous_seq"], 9);
    let terminal_pk = server
        .state
        .db
        .credential(till.credential.split('.').nth(1).unwrap())
        .await
        .unwrap()
        .unwrap()
        .identity
        .terminal_pk;
    assert_eq!(db.record_count(terminal_pk).await.unwrap(), 9);

    let stock = server
        .admin_get("/admin/v1/tenants/acme/reports/stock")
        .await
        .json();
    assert_eq!(
        stock,
        json!([{"store_id":"S001","sku":"1001","qty":"-3"},{"store_id":"S001","sku":"2040","qty":"-0.756"}])
    );

    let metrics = server
        .send(Method::GET, "/metrics", &[], Vec::new())
        .await
        .text();
    assert!(
        metrics.contains("kasa_records_ingested_total 9"),
        "{metrics}"
    );
    assert!(
        metrics.contains("kasa_records_duplicate_total 6"),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"route="/sync/v1/upload",status="200"} 4"#),
        "{metrics}"
    );
}

/// (case name, body, extra headers, expected status, expected code)
type BadBatch = (
    &'static str,
    Vec<u8>,
    Vec<(&'static str, &'static str)>,
    StatusCode,
    &'static str,
);

async fn bad_batches_are_refused_with_their_code_and_store_nothing(db: Arc<dyn Database>) {
    let server = Server::start(db.clone(), test_config()).await;
    server.tenant_with_store("acme", "S001").await;
    let mut till = server.till("acme", "S001", "T01").await;
    for _ in 0..3 {
        till.sell(false, &[("1001", "1")], &[("cash", "1.99")]);
    }
    let ok = server.upload(&till, &till.batch(1, 3)).await;
    assert_eq!(ok.json()["highest_contiguous_seq"], 3);

    let mut cases: Vec<BadBatch> = Vec::new();
    let json = |b: &kasa_sync_protocol::UploadBatch| serde_json::to_vec(b).unwrap();
    // a gap: starts past held + 1
    cases.push((
        "gap",
        json(&till.batch(5, 8)),
        vec![],
        StatusCode::CONFLICT,
        "sync.gap",
    ));
    // a hole inside the batch
    let mut holed = till.batch(4, 8);
    holed.records.remove(2);
    cases.push((
        "inner gap",
        json(&holed),
        vec![],
        StatusCode::CONFLICT,
        "sync.gap",
    ));
    // a repeat inside the batch
    let mut repeated = till.batch(4, 6);
    repeated.records[2] = repeated.records[1].clone();
    cases.push((
        "repeat",
        json(&repeated),
        vec![],
        StatusCode::BAD_REQUEST,
        "sync.repeat",
    ));
    // another terminal's series
    let mut foreign = till.batch(4, 6);
    foreign.terminal_id = "T99".into();
    for r in &mut foreign.records {
        r.terminal_id = "T99".into();
    }
    cases.push((
        "foreign terminal",
        json(&foreign),
        vec![],
        StatusCode::FORBIDDEN,
        "sync.foreign_terminal",
    ));
    let mut one_foreign = till.batch(4, 6);
    one_foreign.records[1].terminal_id = "T02".into();
    cases.push((
        "foreign record",
        json(&one_foreign),
        vec![],
        StatusCode::FORBIDDEN,
        "sync.foreign_terminal",
    ));
    let mut other_store = till.batch(4, 6);
    other_store.store_id = "S002".into();
    cases.push((
        "foreign store",
        json(&other_store),
        vec![],
        StatusCode::FORBIDDEN,
        "sync.foreign_store",
    ));
    // an unknown protocol version in the body, and in the header
    let mut future = till.batch(4, 6);
    future.protocol = ProtocolVersion::new(2, 0);
    cases.push((
        "unknown version",
        json(&future),
        vec![],
        StatusCode::UPGRADE_REQUIRED,
        "sync.unknown_version",
    ));
    cases.push((
        "unknown header version",
        json(&till.batch(4, 6)),
        vec![("kasa-protocol", "3.1")],
        StatusCode::UPGRADE_REQUIRED,
        "sync.unknown_version",
    ));
    // malformed JSON, a wrong shape, damaged gzip, an unknown encoding
    cases.push((
        "malformed",
        b"{\"protocol\":".to_vec(),
        vec![],
        StatusCode::BAD_REQUEST,
        "sync.malformed",
    ));
    let mut shape: Value = serde_json::to_value(till.batch(4, 6)).unwrap();
    shape["surprise"] = json!(true);
    cases.push((
        "unknown field",
        serde_json::to_vec(&shape).unwrap(),
        vec![],
        StatusCode::BAD_REQUEST,
        "sync.malformed",
    ));
    cases.push((
        "bad gzip",
        b"\x1f\x8bnot really".to_vec(),
        vec![("content-encoding", "gzip")],
        StatusCode::BAD_REQUEST,
        "sync.malformed",
    ));
    cases.push((
        "brotli",
        json(&till.batch(4, 6)),
        vec![("content-encoding", "br")],
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "sync.unsupported_encoding",
    ));
    // too many records; too many bytes (body over the raw limit); a zip bomb
    let mut many = till.batch(4, 4);
    let template = many.records[0].clone();
    many.records = (0..1001u64)
        .map(|i| {
            let mut r = template.clone();
            r.seq = 4 + i;
            r.id = uuid::Uuid::now_v7();
            r
        })
        .collect();
    cases.push((
        "1001 records",
        json(&many),
        vec![],
        StatusCode::PAYLOAD_TOO_LARGE,
        "sync.batch_too_large",
    ));
    let mut fat = till.batch(4, 4);
    fat.records[0].payload = json!({ "blob": "x".repeat(MAX_BATCH_BYTES as usize + 100_000) });
    cases.push((
        "oversized body",
        json(&fat),
        vec![],
        StatusCode::PAYLOAD_TOO_LARGE,
        "sync.batch_too_large",
    ));
    let mut bomb = till.batch(4, 4);
    bomb.records[0].payload = json!({ "blob": "x".repeat(MAX_BATCH_BYTES as usize + 10) });
    cases.push((
        "inflates past the limit",
        encode_body(&bomb, BodyEncoding::Gzip).unwrap(),
        vec![("content-encoding", "gzip")],
        StatusCode::PAYLOAD_TOO_LARGE,
        "sync.batch_too_large",
    ));

    for (name, body, headers, status, code) in cases {
        let r = server.upload_raw(&till.credential, body, &headers).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (status, code),
            "{name}: {}",
            r.text()
        );
        assert!(
            !r.json()["error"]["message"].as_str().unwrap().is_empty(),
            "{name}"
        );
    }
    let status = server.status(&till).await.json();
    assert_eq!(
        status["highest_contiguous_seq"], 3,
        "a refused batch moved the high-water mark"
    );
    let terminal_pk = server
        .state
        .db
        .credential(till.credential.split('.').nth(1).unwrap())
        .await
        .unwrap()
        .unwrap()
        .identity
        .terminal_pk;
    assert_eq!(
        db.record_count(terminal_pk).await.unwrap(),
        3,
        "a refused batch stored records"
    );
    let stock = server
        .admin_get("/admin/v1/tenants/acme/reports/stock")
        .await
        .json();
    assert_eq!(
        stock[0]["qty"], "-1",
        "only the first sale (3 records) was accepted"
    );
    let metrics = server
        .send(Method::GET, "/metrics", &[], Vec::new())
        .await
        .text();
    assert!(
        metrics.contains("kasa_batches_refused_total 15"),
        "{metrics}"
    );
}

async fn tenants_and_stores_are_isolated(db: Arc<dyn Database>) {
    let server = Server::start(db, test_config()).await;
    server.tenant_with_store("acme", "S001").await;
    server.tenant_with_store("acme", "S002").await;
    server.tenant_with_store("bolt", "S001").await;
    let mut a1 = server.till("acme", "S001", "T01").await;
    let a2 = server.till("acme", "S002", "T01").await;
    let mut b1 = server.till("bolt", "S001", "T01").await;

    // same ids in another tenant and another store are different terminals
    a1.sell(false, &[("1001", "1")], &[("cash", "2.00")]);
    b1.sell(false, &[("1001", "5")], &[("cash", "10.00")]);
    assert_eq!(
        server.upload(&a1, &a1.batch(1, 3)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        server.upload(&b1, &b1.batch(1, 3)).await.status,
        StatusCode::OK
    );

    // a terminal of store S002 cannot write S001's series (same terminal id!)
    let mut as_s001 = a1.batch(1, 3);
    as_s001
        .records
        .iter_mut()
        .for_each(|r| r.id = uuid::Uuid::now_v7());
    let r = server.upload(&a2, &as_s001).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::FORBIDDEN, "sync.foreign_store")
    );
    // bolt's terminal cannot resend acme's records as its own
    let mut stolen = a1.batch(1, 3);
    stolen.first_seq = 4;
    for (i, r) in stolen.records.iter_mut().enumerate() {
        r.seq = 4 + i as u64;
    }
    let r = server.upload(&b1, &stolen).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        r.json()["applied"],
        0,
        "record ids of another tenant were applied: {}",
        r.text()
    );

    let acme_stock = server
        .admin_get("/admin/v1/tenants/acme/reports/stock")
        .await
        .json();
    assert_eq!(
        acme_stock,
        json!([{"store_id":"S001","sku":"1001","qty":"-1"}])
    );
    let bolt_stock = server
        .admin_get("/admin/v1/tenants/bolt/reports/stock")
        .await
        .json();
    assert_eq!(
        bolt_stock,
        json!([{"store_id":"S001","sku":"1001","qty":"-5"}])
    );

    // master data: acme's tenant-wide and S002-only changes; bolt sees none of them
    let r = server
        .admin_post("/admin/v1/tenants/acme/master-data", json!({"changes":[{"entity":"product","key":"1001","op":"upsert","data":{"name":"Milk"}}]}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = server
        .admin_post("/admin/v1/tenants/acme/master-data", json!({"store_id":"S002","changes":[{"entity":"price","key":"1001","op":"upsert","data":{"price":"1.49"}}]}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let keys = |page: Value| -> Vec<String> {
        page["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                format!(
                    "{}:{}",
                    c["entity"].as_str().unwrap(),
                    c["key"].as_str().unwrap()
                )
            })
            .collect()
    };
    assert_eq!(
        keys(server.pull(&a1, None, 100).await.json()),
        ["product:1001"]
    );
    assert_eq!(
        keys(server.pull(&a2, None, 100).await.json()),
        ["product:1001", "price:1001"]
    );
    let bolt_page = server.pull(&b1, None, 100).await.json();
    assert_eq!(keys(bolt_page.clone()), Vec::<String>::new());
    assert_eq!(bolt_page["server_version"], 0);

    // the admin token is needed for reports, and reports of an unknown tenant are 404
    let r = server
        .send(
            Method::GET,
            "/admin/v1/tenants/acme/reports/stock",
            &[("authorization", "Bearer nope")],
            Vec::new(),
        )
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::UNAUTHORIZED, "auth.invalid")
    );
    let r = server
        .send(
            Method::GET,
            "/admin/v1/tenants/acme/reports/stock",
            &[("authorization", &format!("Bearer {}", a1.credential))],
            Vec::new(),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "a terminal credential opened the admin API"
    );
    assert_eq!(
        server
            .admin_get("/admin/v1/tenants/nobody/reports/stock")
            .await
            .code(),
        "server.not_found"
    );
}

async fn projections_are_exact_after_retries_and_journal_breaks_are_found(db: Arc<dyn Database>) {
    let server = Server::start(db, test_config()).await;
    server.tenant_with_store("acme", "S001").await;
    let mut till = server.till("acme", "S001", "T01").await;
    let mut tampered = server.till("acme", "S001", "T02").await;
    // T01: 20 sales, 3 returns, mixed tenders
    for i in 0..20 {
        let tenders: Vec<(&str, &str)> = if i % 2 == 0 {
            vec![("cash", "2.50")]
        } else {
            vec![("card", "1.25"), ("cash", "1.25")]
        };
        till.sell(false, &[("1001", "1"), ("2040", "0.250")], &tenders);
    }
    for _ in 0..3 {
        till.sell(true, &[("1001", "1")], &[("cash", "2.50")]);
    }
    // send in overlapping, repeated chunks like a flaky network would
    let last = till.last_seq();
    let mut from = 1;
    while from <= last {
        let to = (from + 6).min(last);
        for _ in 0..2 {
            let r = server.upload(&till, &till.batch(from, to)).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        }
        from = (to + 1).saturating_sub(2).max(from + 1);
    }
    assert_eq!(
        server.status(&till).await.json()["highest_contiguous_seq"],
        last
    );

    let stock = server
        .admin_get("/admin/v1/tenants/acme/reports/stock")
        .await
        .json();
    assert_eq!(
        stock,
        json!([{"store_id":"S001","sku":"1001","qty":"-17"},{"store_id":"S001","sku":"2040","qty":"-5"}])
    );
    let sales = server
        .admin_get("/admin/v1/tenants/acme/reports/sales?from=2026-11-21&to=2026-11-21")
        .await
        .json();
    let row = |tender: &str| {
        sales
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["tender"] == tender)
            .cloned()
            .unwrap()
    };
    // cash: 10×2.50 + 10×1.25 − 3×2.50 = 30.00 over 23 documents; card: 10×1.25
    assert_eq!(
        (
            row("cash")["documents"].as_i64(),
            row("cash")["amount"].as_str()
        ),
        // exact text: both backends keep the money's scale
        (Some(23), Some("30.00"))
    );
    assert_eq!(
        (
            row("card")["documents"].as_i64(),
            row("card")["amount"].as_str()
        ),
        (Some(10), Some("12.50"))
    );
    let none = server
        .admin_get("/admin/v1/tenants/acme/reports/sales?from=2026-11-22")
        .await
        .json();
    assert_eq!(none, json!([]));
    let csv = server
        .admin_get("/admin/v1/tenants/acme/reports/sales?format=csv")
        .await;
    assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
    assert!(
        csv.text()
            .starts_with("store_id,day,terminal_id,tender,documents,amount\n"),
        "{}",
        csv.text()
    );

    // T02 sends a journal with an edited amount in entry 3
    for _ in 0..4 {
        tampered.sell(false, &[("1001", "1")], &[("cash", "1.00")]);
    }
    let entry3 = tampered
        .records
        .iter_mut()
        .filter(|r| r.kind == kasa_sync_protocol::RecordKind::JournalEntry)
        .nth(2)
        .unwrap();
    entry3.payload["amount"] = json!("0.01");
    let r = server
        .upload(&tampered, &tampered.batch(1, tampered.last_seq()))
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "a broken journal is evidence and must still be stored: {}",
        r.text()
    );

    let journal = server
        .admin_get("/admin/v1/tenants/acme/reports/journal")
        .await
        .json();
    let t01 = &journal[0];
    assert_eq!(
        (
            t01["terminal_id"].as_str(),
            t01["status"].as_str(),
            t01["entries_verified"].as_u64()
        ),
        (Some("T01"), Some("verified"), Some(23))
    );
    let t02 = &journal[1];
    assert_eq!(
        (
            t02["status"].as_str(),
            t02["broken_seq"].as_u64(),
            t02["broken_code"].as_str()
        ),
        (Some("broken"), Some(3), Some("journal.hash_mismatch"))
    );
    assert_eq!(t02["entries_verified"], 2);
    let csv = server
        .admin_get("/admin/v1/tenants/acme/reports/journal?format=csv")
        .await
        .text();
    assert!(csv.lines().nth(2).unwrap().contains("broken"), "{csv}");
    let lag = server
        .admin_get("/admin/v1/tenants/acme/reports/terminals")
        .await
        .json();
    assert_eq!(lag[0]["held_through"], last);
    assert!(lag[0]["seconds_since_seen"].as_i64().unwrap() < 60);
}

async fn master_data_is_published_and_pulled_by_cursor_in_pages(db: Arc<dyn Database>) {
    let server = Server::start(db, test_config()).await;
    server.tenant_with_store("acme", "S001").await;
    let till = server.till("acme", "S001", "T01").await;

    // 20 products by CSV, then 5 of them changed by JSON and one deleted
    let mut csv = String::from("sku,name,price\n");
    for i in 0..20 {
        csv.push_str(&format!("P{i:03},Product {i},{}.99\n", i + 1));
    }
    let auth = format!("Bearer {ADMIN}");
    let r = server
        .send(
            Method::POST,
            "/admin/v1/tenants/acme/master-data?entity=product",
            &[("authorization", &auth), ("content-type", "text/csv")],
            csv.into_bytes(),
        )
        .await;
    assert_eq!(
        r.json(),
        json!({"first_version":1,"last_version":20,"changes":20}),
        "{}",
        r.text()
    );
    let changes: Vec<Value> = (0..5).map(|i| json!({"entity":"product","key":format!("P{i:03}"),"op":"upsert","data":{"name":format!("Renamed {i}")}})).collect();
    let r = server
        .admin_post(
            "/admin/v1/tenants/acme/master-data",
            json!({"changes": changes}),
        )
        .await;
    assert_eq!(r.json()["last_version"], 25);
    let r = server
        .admin_post(
            "/admin/v1/tenants/acme/master-data",
            json!({"changes":[{"entity":"product","key":"P019","op":"delete"}]}),
        )
        .await;
    assert_eq!(r.json()["last_version"], 26);
    let bad = server
        .admin_post(
            "/admin/v1/tenants/acme/master-data",
            json!({"changes":[{"entity":"product","key":"","op":"upsert","data":{}}]}),
        )
        .await;
    assert_eq!(
        (bad.status, bad.code().as_str()),
        (StatusCode::BAD_REQUEST, "server.bad_request")
    );

    // a fresh till pulls the current state in pages of 7: 19 products, newest data, no delete
    let mut cursor: Option<String> = None;
    let mut state = std::collections::BTreeMap::new();
    let mut pages = 0;
    loop {
        let page = server.pull(&till, cursor.as_deref(), 7).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text());
        let page = page.json();
        let request = kasa_sync_protocol::MasterDataPageRequest {
            cursor: cursor.clone().map(kasa_sync_protocol::Cursor),
            limit: 7,
        };
        let typed: kasa_sync_protocol::MasterDataPage =
            serde_json::from_value(page.clone()).unwrap();
        kasa_sync_protocol::check_page(&typed, &request).unwrap();
        for change in &typed.changes {
            match change.op {
                kasa_sync_protocol::ChangeOp::Upsert => {
                    state.insert(change.key.clone(), change.data.clone())
                }
                kasa_sync_protocol::ChangeOp::Delete => state.remove(&change.key),
            };
        }
        pages += 1;
        cursor = Some(typed.next_cursor.0.clone());
        assert_eq!(typed.server_version, 26);
        if !typed.has_more {
            break;
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(state.len(), 19);
    assert_eq!(state["P000"]["name"], "Renamed 0");
    assert_eq!(state["P010"]["price"], "11.99");

    // later changes arrive after the saved cursor, deletes included
    let r = server
        .admin_post("/admin/v1/tenants/acme/master-data", json!({"changes":[{"entity":"product","key":"P001","op":"delete"},{"entity":"barcode","key":"4006381333900","op":"upsert","data":{"sku":"P002"}}]}))
        .await;
    assert_eq!(r.json()["last_version"], 28);
    let page = server.pull(&till, cursor.as_deref(), 100).await.json();
    let got: Vec<(u64, String)> = page["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["version"].as_u64().unwrap(),
                c["op"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(got, [(27, "delete".to_owned()), (28, "upsert".to_owned())]);
    assert_eq!(page["has_more"], false);
    let empty = server
        .pull(&till, page["next_cursor"].as_str(), 100)
        .await
        .json();
    assert_eq!(
        (
            empty["changes"].as_array().unwrap().len(),
            &empty["next_cursor"]
        ),
        (0, &page["next_cursor"])
    );

    // a cursor head office cannot read
    let r = server.pull(&till, Some("md9:whatever"), 10).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::GONE, "sync.bad_cursor")
    );

    // gzip when the till accepts it
    let auth_till = format!("Bearer {}", till.credential);
    let r = server
        .send(
            Method::POST,
            "/sync/v1/master-data",
            &[("authorization", &auth_till), ("accept-encoding", "gzip")],
            br#"{"cursor":null,"limit":100}"#.to_vec(),
        )
        .await;
    assert_eq!(
        r.headers
            .get("content-encoding")
            .map(|v| v.to_str().unwrap()),
        Some("gzip")
    );
    let page: kasa_sync_protocol::MasterDataPage =
        kasa_sync_protocol::decode_body(&r.body, BodyEncoding::Gzip, 1 << 20).unwrap();
    assert_eq!(page.changes.len(), 19);
}

async fn concurrent_resends_are_applied_once(db: Arc<dyn Database>) {
    let server = Arc::new(Server::start(db, test_config()).await);
    server.tenant_with_store("acme", "S001").await;
    let mut tills = Vec::new();
    for t in 0..3 {
        let mut till = server.till("acme", "S001", &format!("T{t:02}")).await;
        for _ in 0..10 {
            till.sell(false, &[("1001", "1"), ("2040", "2")], &[("cash", "1.00")]);
        }
        tills.push(Arc::new(till));
    }
    let mut tasks = Vec::new();
    for till in &tills {
        for copy in 0..4 {
            let (server, till) = (server.clone(), till.clone());
            tasks.push(tokio::spawn(async move {
                // each copy sends the series in its own chunking
                let size = 5 + copy * 3;
                let mut from = 1;
                let mut applied = 0;
                while from <= till.last_seq() {
                    let to = (from + size - 1).min(till.last_seq());
                    let r = server.upload(&till, &till.batch(from, to)).await;
                    if r.status == StatusCode::OK {
                        applied += r.json()["applied"].as_u64().unwrap();
                        from = to + 1;
                    } else {
                        // a concurrent copy had not stored the start yet: resend from the ack
                        assert_eq!(r.code(), "sync.gap", "{}", r.text());
                        from = server.status(&till).await.json()["highest_contiguous_seq"]
                            .as_u64()
                            .unwrap()
                            + 1;
                    }
                }
                applied
            }));
        }
    }
    let mut applied = 0;
    for task in tasks {
        applied += task.await.unwrap();
    }
    assert_eq!(applied, 3 * 40, "every record applied exactly once");
    let stock = server
        .admin_get("/admin/v1/tenants/acme/reports/stock")
        .await
        .json();
    assert_eq!(
        stock,
        json!([{"store_id":"S001","sku":"1001","qty":"-30"},{"store_id":"S001","sku":"2040","qty":"-60"}])
    );
}

async fn a_lossy_network_still_delivers_each_record_once(db: Arc<dyn Database>) {
    use kasa_server::fault_proxy::{FaultPlan, FaultProxy};
    let server = Server::start(db.clone(), test_config()).await;
    server.tenant_with_store("acme", "S001").await;
    let mut total_faults = kasa_server::fault_proxy::FaultCounts::default();
    for seed in [1u64, 2, 3] {
        let mut till = server.till("acme", "S001", &format!("T{seed}")).await;
        for i in 0..40 {
            till.sell(
                false,
                &[
                    ("1001", "1"),
                    (if i % 2 == 0 { "2040" } else { "3000" }, "0.5"),
                ],
                &[("cash", "1.00")],
            );
        }
        let last = till.last_seq();
        let proxy = FaultProxy::start(
            server.addr,
            FaultPlan {
                seed,
                ..FaultPlan::lossy()
            },
        )
        .await
        .unwrap();
        let auth = format!("Bearer {}", till.credential);
        let mut held = 0;
        for _round in 0..2_000 {
            let status = server
                .try_send_via(
                    proxy.addr(),
                    Method::GET,
                    "/sync/v1/upload/status",
                    &[("authorization", &auth)],
                    Vec::new(),
                )
                .await;
            match status {
                Ok(r) if r.status == StatusCode::OK => {
                    held = r.json()["highest_contiguous_seq"].as_u64().unwrap()
                }
                _ => continue,
            }
            if held == last {
                break;
            }
            let batch = till.batch(held + 1, (held + 25).min(last));
            let body = serde_json::to_vec(&batch).unwrap();
            // the answer may be lost; the next status tells what arrived
            let _ = server
                .try_send_via(
                    proxy.addr(),
                    Method::POST,
                    "/sync/v1/upload",
                    &[
                        ("authorization", &auth),
                        ("content-type", "application/json"),
                    ],
                    body,
                )
                .await;
        }
        assert_eq!(held, last, "seed {seed}: the till never caught up");
        let terminal_pk = db
            .credential(till.credential.split('.').nth(1).unwrap())
            .await
            .unwrap()
            .unwrap()
            .identity
            .terminal_pk;
        assert_eq!(
            db.record_count(terminal_pk).await.unwrap(),
            last,
            "seed {seed}"
        );
        let counts = proxy.counts();
        eprintln!("seed {seed}: {counts:?}");
        total_faults.dropped += counts.dropped;
        total_faults.duplicated += counts.duplicated;
        total_faults.cut += counts.cut;
    }
    assert!(
        total_faults.dropped > 0 && total_faults.duplicated > 0 && total_faults.cut > 0,
        "{total_faults:?}"
    );
    // 3 tills × 40 sales: 120 of 1001, 60 × 0.5 of 2040 and of 3000 — each once
    let stock = server
        .admin_get("/admin/v1/tenants/acme/reports/stock")
        .await
        .json();
    assert_eq!(
        stock,
        json!([{"store_id":"S001","sku":"1001","qty":"-120"},{"store_id":"S001","sku":"2040","qty":"-30"},{"store_id":"S001","sku":"3000","qty":"-30"}])
    );
    let journal = server
        .admin_get("/admin/v1/tenants/acme/reports/journal")
        .await
        .json();
    for row in journal.as_array().unwrap() {
        assert_eq!(
            (
                row["status"].as_str(),
                row["entries_verified"].as_u64(),
                row["entries_received"].as_u64()
            ),
            (Some("verified"), Some(40), Some(40)),
            "{row}"
        );
    }
    let sales = server
        .admin_get("/admin/v1/tenants/acme/reports/sales")
        .await
        .json();
    let documents: i64 = sales
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["documents"].as_i64().unwrap())
        .sum();
    assert_eq!(documents, 120);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_server_keeps_what_it_acknowledged_sqlite() {
    let db = support::sqlite().await;
    restart_story(&db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_server_keeps_what_it_acknowledged_postgres() {
    if let Some(db) = support::postgres().await {
        restart_story(&db).await;
    }
}

async fn restart_story(db: &support::TestDb) {
    let first = Server::start(db.db.clone(), test_config()).await;
    first.tenant_with_store("acme", "S001").await;
    let mut till = first.till("acme", "S001", "T01").await;
    for _ in 0..4 {
        till.sell(false, &[("1001", "1")], &[("cash", "1.00")]);
    }
    let ack = first.upload(&till, &till.batch(1, 8)).await.json();
    assert_eq!(ack["highest_contiguous_seq"], 8);
    drop(first);

    // a new process over the same database: no cached credentials, nothing in memory
    let second = Server::start(db.reopen().await, test_config()).await;
    let status = second.status(&till).await;
    assert_eq!(status.status, StatusCode::OK, "{}", status.text());
    assert_eq!(status.json()["highest_contiguous_seq"], 8);
    let ack = second.upload(&till, &till.batch(5, 12)).await.json();
    assert_eq!(
        (
            ack["applied"].as_u64(),
            ack["duplicates"].as_u64(),
            ack["highest_contiguous_seq"].as_u64()
        ),
        (Some(4), Some(4), Some(12))
    );
    let stock = second
        .admin_get("/admin/v1/tenants/acme/reports/stock")
        .await
        .json();
    assert_eq!(stock, json!([{"store_id":"S001","sku":"1001","qty":"-4"}]));
    let journal = second
        .admin_get("/admin/v1/tenants/acme/reports/journal")
        .await
        .json();
    assert_eq!(
        (
            journal[0]["status"].as_str(),
            journal[0]["entries_verified"].as_u64()
        ),
        (Some("verified"), Some(4))
    );
}

#[tokio::test]
async fn hello_negotiates_or_says_who_is_too_old() {
    let db = support::sqlite().await;
    let server = Server::start(db.db.clone(), test_config()).await;
    let r = server
        .send(
            Method::POST,
            "/sync/v1/hello",
            &[],
            serde_json::to_vec(&examples::hello()).unwrap(),
        )
        .await;
    // the golden welcome, except for the server's software string
    let mut expected = serde_json::to_value(examples::hello_reply_welcome()).unwrap();
    expected["server_software"] = r.json()["server_software"].clone();
    assert_eq!(r.json(), expected);
    assert_eq!(r.json()["agreed"]["version"], json!({"major":1,"minor":0}));
    let mut future: Hello = examples::hello();
    future.capabilities.protocol =
        VersionRange::new(ProtocolVersion::new(2, 0), ProtocolVersion::new(2, 3));
    let mut body = serde_json::to_value(&future).unwrap();
    body["a_field_from_the_future"] = json!(1);
    let r = server
        .send(
            Method::POST,
            "/sync/v1/hello",
            &[],
            serde_json::to_vec(&body).unwrap(),
        )
        .await
        .json();
    assert_eq!(
        (r["result"].as_str(), r["code"].as_str()),
        (Some("refusal"), Some("sync.server_too_old"))
    );
    let r = server
        .send(Method::POST, "/sync/v1/hello", &[], b"nope".to_vec())
        .await;
    assert_eq!(r.code(), "sync.malformed");
}

#[tokio::test]
async fn failed_enrolments_and_credentials_are_rate_limited_per_address() {
    let db = support::sqlite().await;
    let mut config = test_config();
    config.rate_limit = kasa_server::config::RateLimitConfig {
        burst: 3,
        per_minute: 1,
    };
    let server = Server::start(db.db.clone(), config).await;
    server.tenant_with_store("acme", "S001").await;
    let good = server.code("acme", "S001", 60).await;
    for _ in 0..3 {
        assert_eq!(
            server.enrol("AAAA-BBBB-CCCC", "T01").await.code(),
            "enrol.code_unknown"
        );
    }
    let r = server.enrol(&good, "T01").await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::TOO_MANY_REQUESTS, "auth.rate_limited")
    );
    let r = server
        .send(
            Method::GET,
            "/sync/v1/upload/status",
            &[("authorization", "Bearer kt1.x.y")],
            Vec::new(),
        )
        .await;
    assert_eq!(r.code(), "auth.rate_limited");
}

#[tokio::test]
async fn health_metrics_and_openapi_are_served() {
    let db = support::sqlite().await;
    let server = Server::start(db.db.clone(), test_config()).await;
    let health = server
        .send(Method::GET, "/health", &[], Vec::new())
        .await
        .json();
    assert_eq!(
        (health["status"].as_str(), health["backend"].as_str()),
        (Some("ok"), Some("sqlite"))
    );
    let openapi = server
        .send(Method::GET, "/openapi.json", &[], Vec::new())
        .await
        .json();
    let paths = openapi["paths"].as_object().unwrap();
    for path in [
        "/sync/v1/hello",
        "/sync/v1/upload",
        "/sync/v1/upload/status",
        "/sync/v1/master-data",
        "/enrol",
        "/admin/v1/tenants/{tenant}/reports/{report}",
        "/admin/v1/tenants/{tenant}/master-data",
        "/health",
        "/metrics",
    ] {
        assert!(paths.contains_key(path), "openapi.json lacks {path}");
    }
    let metrics = server.send(Method::GET, "/metrics", &[], Vec::new()).await;
    assert!(
        metrics.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert!(
        metrics
            .text()
            .contains(r#"kasa_http_requests_total{method="GET",route="/health",status="200"} 1"#),
        "{}",
        metrics.text()
    );
    let disabled = Server::start(db.db.clone(), kasa_server::ServerConfig::default()).await;
    assert_eq!(
        disabled
            .admin_get("/admin/v1/tenants/acme/reports/stock")
            .await
            .code(),
        "auth.admin_disabled"
    );
}

#[tokio::test]
async fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hq.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
    }
    let db = kasa_server::db::sqlite::SqliteDatabase::open(path.to_str().unwrap()).unwrap();
    let err = db.migrate().await.unwrap_err();
    assert_eq!(kasa_domain::ErrorCode::code(&err), "server.schema_too_new");
}

#[tokio::test]
async fn tls_serves_the_same_api_and_refuses_plain_http() {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tls");
    let db = support::sqlite().await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let state = kasa_server::AppState::new(db.db.clone(), test_config());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (cert, key) = (fixtures.join("cert.pem"), fixtures.join("key.pem"));
    let server = tokio::spawn(async move {
        kasa_server::serve_tls(listener, state, &cert, &key, async {
            let _ = stopped.await;
        })
        .await
    });

    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(fixtures.join("ca.pem")).unwrap())
        .unwrap();
    let client = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let tls = connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
            .await
            .unwrap();
    tokio::spawn(connection);
    let request = hyper::Request::get("/health")
        .header("host", "localhost")
        .body(http_body_util::Full::new(axum::body::Bytes::new()))
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    let health: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(health["backend"], "sqlite");

    // plain HTTP on the TLS port gets no HTTP answer
    let mut plain = tokio::net::TcpStream::connect(addr).await.unwrap();
    plain
        .write_all(b"GET /health HTTP/1.1\r\nhost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        plain.read_to_end(&mut answer),
    )
    .await;
    assert!(
        !answer.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer)
    );

    stop.send(()).unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(15), server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}
