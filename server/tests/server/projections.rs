//! Isolation between tenants and stores, projections after retries and
//! faults, concurrent resends, restarts.

use std::sync::Arc;

use hyper::{Method, StatusCode};
use kasa_server::Database;
use serde_json::{Value, json};

use crate::support::{self, Server, test_config};

pub async fn tenants_and_stores_are_isolated(db: Arc<dyn Database>) {
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
    // record ids are unique per tenant: records of bolt's till that carry
    // ids acme also holds are bolt's own records — stored and counted in
    // bolt only, never dropped while acknowledged, and acme is untouched
    let mut stolen = a1.batch(1, 3);
    stolen.first_seq = 4;
    for (i, r) in stolen.records.iter_mut().enumerate() {
        r.seq = 4 + i as u64;
    }
    let r = server.upload(&b1, &stolen).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        (
            r.json()["applied"].as_u64(),
            r.json()["duplicates"].as_u64()
        ),
        (Some(3), Some(0)),
        "records whose ids another tenant holds were dropped: {}",
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
        json!([{"store_id":"S001","sku":"1001","qty":"-6"}])
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

pub async fn projections_are_exact_after_retries_and_journal_breaks_are_found(
    db: Arc<dyn Database>,
) {
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

pub async fn concurrent_resends_are_applied_once(db: Arc<dyn Database>) {
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

pub async fn a_lossy_network_still_delivers_each_record_once(db: Arc<dyn Database>) {
    use kasa_tests::fault_proxy::{FaultPlan, FaultProxy};
    let server = Server::start(db.clone(), test_config()).await;
    server.tenant_with_store("acme", "S001").await;
    let mut total_faults = kasa_tests::fault_proxy::FaultCounts::default();
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
pub async fn a_restarted_server_keeps_what_it_acknowledged_sqlite() {
    let db = support::sqlite().await;
    restart_story(&db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
pub async fn a_restarted_server_keeps_what_it_acknowledged_postgres() {
    if let Some(db) = support::postgres().await {
        restart_story(&db).await;
    }
}

pub async fn restart_story(db: &support::TestDb) {
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
