//! Series identity: the chain in acknowledgements, and a different record
//! at a held sequence (a restored or cloned till) refused as a conflict,
//! kept apart, the terminal marked forked, nothing overwritten.

use std::sync::Arc;

use hyper::StatusCode;
use kasa_server::Database;
use serde_json::json;

use super::support::{Server, test_config};

pub async fn acknowledgements_carry_the_chain_to_1_1_tills_only(db: Arc<dyn Database>) {
    let server = Server::start(db.clone(), test_config()).await;
    server.tenant_with_store("acme", "S001").await;
    let mut till = server.till("acme", "S001", "T01").await;
    for _ in 0..2 {
        till.sell(false, &[("1001", "1")], &[("cash", "1.50")]);
    }
    // nothing held: the genesis chain
    let empty = server.status_at(&till, "1.1", None).await.json();
    assert_eq!(empty["chain_head"], json!("0".repeat(64)));
    let ack = server.upload(&till, &till.batch(1, 6)).await.json();
    assert_eq!(ack["highest_contiguous_seq"], 6);

    let status = server.status_at(&till, "1.1", Some(3)).await;
    assert_eq!(status.status, StatusCode::OK, "{}", status.text());
    let status = status.json();
    assert_eq!(status["chain_head"], json!(till.chain_at(6).to_hex()));
    assert_eq!(
        status["chain_at"],
        json!({"seq": 3, "chain": till.chain_at(3).to_hex()})
    );
    // a sequence head office does not hold has no chain to show
    let beyond = server.status_at(&till, "1.1", Some(7)).await.json();
    assert!(beyond.get("chain_at").is_none(), "{beyond}");
    // a 1.0 till refuses unknown fields: it gets 1.0's shape
    let old = server.status_at(&till, "1.0", Some(3)).await.json();
    assert!(
        old.get("chain_head").is_none() && old.get("chain_at").is_none(),
        "{old}"
    );
    let bad = server
        .send(
            hyper::Method::GET,
            "/sync/v1/upload/status?at=minus-one",
            &[
                ("authorization", &format!("Bearer {}", till.credential)),
                ("kasa-protocol", "1.1"),
            ],
            Vec::new(),
        )
        .await;
    assert_eq!(
        (bad.status, bad.code().as_str()),
        (StatusCode::BAD_REQUEST, "sync.malformed")
    );
}

pub async fn a_different_record_at_a_held_sequence_is_a_conflict_kept_apart(db: Arc<dyn Database>) {
    let server = Server::start(db.clone(), test_config()).await;
    server.tenant_with_store("acme", "S001").await;
    let mut till = server.till("acme", "S001", "T01").await;
    for _ in 0..3 {
        till.sell(false, &[("1001", "1")], &[("cash", "1.50")]);
    }
    let terminal_pk = server.terminal_pk(&till).await;
    assert_eq!(
        server.upload(&till, &till.batch(1, 9)).await.json()["highest_contiguous_seq"],
        9
    );
    let held_before = db.record_payloads(terminal_pk, 1, 100).await.unwrap();

    // the same records again are duplicates
    let again = server.upload(&till, &till.batch(4, 9)).await.json();
    assert_eq!(
        (again["duplicates"].clone(), again["applied"].clone()),
        (json!(6), json!(0))
    );

    // a copy of the till restored after its first sale rings another sale:
    // its seqs 4..=6 are a different sale than head office holds there
    let mut restored = till.restored_after(1);
    restored.sell(false, &[("2040", "5")], &[("card", "9.99")]);
    let r = server.upload(&restored, &restored.batch(4, 6)).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::CONFLICT, "sync.series_conflict"),
        "{}",
        r.text()
    );
    assert!(r.text().contains("record seq 4"), "{}", r.text());
    // a batch starting inside the held part and running past it: same
    restored.sell(false, &[("2040", "1")], &[("cash", "2.00")]);
    restored.sell(false, &[("2040", "1")], &[("cash", "2.00")]);
    restored.sell(false, &[("2040", "1")], &[("cash", "2.00")]);
    let r = server.upload(&restored, &restored.batch(7, 12)).await;
    assert_eq!(r.code(), "sync.series_conflict", "{}", r.text());

    // nothing overwritten, nothing added, no stock moved by the fork
    assert_eq!(
        db.record_payloads(terminal_pk, 1, 100).await.unwrap(),
        held_before
    );
    let stock = server
        .admin_get("/admin/v1/tenants/acme/reports/stock")
        .await
        .json();
    assert_eq!(stock, json!([{"store_id":"S001","sku":"1001","qty":"-3"}]));
    // head office shows the terminal forked, with the records kept apart
    let terminals = server
        .admin_get("/admin/v1/tenants/acme/terminals")
        .await
        .json();
    let fork = &terminals[0]["fork"];
    assert_eq!(fork["first_conflict_seq"], 4, "{terminals}");
    assert_eq!(fork["conflicts"], 2, "{terminals}");
    assert_eq!(fork["kept_apart"], 9, "{terminals}");
    let metrics = server
        .send(hyper::Method::GET, "/metrics", &[], Vec::new())
        .await
        .text();
    assert!(
        metrics.contains("kasa_series_conflicts_total 2"),
        "{metrics}"
    );

    // the series head office holds goes on
    till.sell(false, &[("1001", "1")], &[("cash", "1.50")]);
    let ack = server.upload(&till, &till.batch(10, 12)).await;
    assert_eq!(ack.json()["highest_contiguous_seq"], 12, "{}", ack.text());
}
