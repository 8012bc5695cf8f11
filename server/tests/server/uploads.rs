//! Enrolment, idempotent uploads, and every way a batch is refused.

use std::sync::Arc;

use hyper::{Method, StatusCode};
use kasa_server::Database;
use kasa_sync_protocol::limits::{MAX_BATCH_BYTES, MAX_BATCH_RECORDS};
use kasa_sync_protocol::{BodyEncoding, ProtocolVersion, encode_body};
use serde_json::{Value, json};

use crate::support::{self, Server, test_config};

pub async fn enrolment_codes_are_single_use_and_expire(db: Arc<dyn Database>) {
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

pub async fn uploads_are_idempotent_and_acknowledge_the_contiguous_sequence(db: Arc<dyn Database>) {
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
    let terminal_pk = server.terminal_pk(&till).await;
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

    // a record re-using the id of a held record under a new sequence is not
    // "the same record": the batch conflicts, nothing of it enters the series
    till.sell(false, &[("1001", "1")], &[("cash", "1.99")]);
    let mut requeued = till.batch(10, 12);
    requeued.records[1].id = till.records[1].id;
    requeued.records[1].payload = till.records[1].payload.clone();
    let r = server.upload(&till, &requeued).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::CONFLICT, "sync.series_conflict"),
        "{}",
        r.text()
    );
    assert!(r.text().contains("seq 11"), "{}", r.text());
    assert_eq!(db.record_count(terminal_pk).await.unwrap(), 9);
    let stock = server
        .admin_get("/admin/v1/tenants/acme/reports/stock")
        .await
        .json();
    assert_eq!(
        stock[0],
        json!({"store_id":"S001","sku":"1001","qty":"-3"}),
        "nothing of the conflicting batch moved stock"
    );
    // the genuine records still go in
    let ack = server.upload(&till, &till.batch(10, 12)).await;
    assert_eq!(ack.json()["highest_contiguous_seq"], 12, "{}", ack.text());
}

/// (case name, body, extra headers, expected status, expected code)
type BadBatch = (
    &'static str,
    Vec<u8>,
    Vec<(&'static str, &'static str)>,
    StatusCode,
    &'static str,
);

pub async fn bad_batches_are_refused_with_their_code_and_store_nothing(db: Arc<dyn Database>) {
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
    many.records = (0..=u64::from(MAX_BATCH_RECORDS))
        .map(|i| {
            let mut r = template.clone();
            r.seq = 4 + i;
            r.id = uuid::Uuid::now_v7();
            r
        })
        .collect();
    cases.push((
        "one record over the ceiling",
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
    let terminal_pk = server.terminal_pk(&till).await;
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

/// The value of a counter on `/metrics`.
async fn counter(server: &Server, name: &str) -> u64 {
    let text = server
        .send(Method::GET, "/metrics", &[], Vec::new())
        .await
        .text();
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("{name} is not on /metrics:\n{text}"))
}

/// A till with two requests in flight: the later batch reaches head office
/// first, waits for the earlier one, and both are stored once, in order. A
/// batch further ahead than two batches does not wait.
pub async fn overlapping_batches_are_stored_in_sequence_order(db: Arc<dyn Database>) {
    let server = Arc::new(Server::start(db.clone(), test_config()).await);
    server.tenant_with_store("acme", "S001").await;
    let mut till = server.till("acme", "S001", "T01").await;
    for _ in 0..4 {
        till.sell(false, &[("1001", "1")], &[("cash", "1.99")]);
    }
    let till = Arc::new(till);
    const HELD: &str = "kasa_batches_held_for_order_total";
    let later = {
        let (server, till) = (server.clone(), till.clone());
        tokio::spawn(async move { server.upload(&till, &till.batch(7, 12)).await })
    };
    // the later batch is waiting for seqs 1..=6 before anything else is sent
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while counter(&server, HELD).await < 1 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the later batch never waited"
        );
        assert!(!later.is_finished(), "the later batch was answered at once");
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let earlier = server.upload(&till, &till.batch(1, 6)).await;
    assert_eq!(earlier.status, StatusCode::OK, "{}", earlier.text());
    let later = later.await.unwrap();
    assert_eq!(later.status, StatusCode::OK, "{}", later.text());
    assert_eq!(
        (
            later.json()["highest_contiguous_seq"].as_u64(),
            later.json()["applied"].as_u64()
        ),
        (Some(12), Some(6))
    );
    let terminal_pk = server.terminal_pk(&till).await;
    assert_eq!(db.record_count(terminal_pk).await.unwrap(), 12);

    // far ahead: refused as a gap without waiting, nothing stored
    let mut far = till.batch(12, 12);
    // held 12: MAX_AHEAD_RECORDS + 1 records missing before it
    let ahead = 13 + kasa_server::app::upload_order::MAX_AHEAD_RECORDS + 1;
    far.first_seq = ahead;
    far.records[0].seq = ahead;
    far.records[0].id = uuid::Uuid::now_v7();
    let refused = server.upload(&till, &far).await;
    assert_eq!(
        (refused.status, refused.code().as_str()),
        (StatusCode::CONFLICT, "sync.gap"),
        "{}",
        refused.text()
    );
    assert_eq!(counter(&server, HELD).await, 1);
    assert_eq!(db.record_count(terminal_pk).await.unwrap(), 12);
}

/// Payload texts as a terminal may send them: key order, `1.50` vs `1.5`,
/// escapes, spacing, exponents, Cyrillic.
const SENT_TEXTS: [&str; 3] = [
    r#"{"tenders":[{"kind":"cash","amount":"1.50"}],"total":"1.50","zeta":1,"alpha":1.50}"#,
    r#"{"sku":"1001","qty":"-1.000","location":"S001","note":"caf\u00e9 \"x\"","n":1e2}"#,
    r#"{ "spaced" : [ 1 , 2 ],"unicode":"Хляб ₀" }"#,
];

/// `batch` as serde writes it, with record i's payload replaced by
/// `SENT_TEXTS[i]` verbatim.
fn body_with_sent_texts(batch: &kasa_sync_protocol::UploadBatch) -> Vec<u8> {
    let mut marked = batch.clone();
    for (i, record) in marked.records.iter_mut().enumerate() {
        record.payload = json!(format!("@payload{i}@"));
    }
    let mut body = serde_json::to_string(&marked).unwrap();
    for (i, text) in SENT_TEXTS.iter().enumerate().take(marked.records.len()) {
        body = body.replace(&format!("\"@payload{i}@\""), text);
    }
    body.into_bytes()
}

/// Head office stores each payload as the exact text the terminal sent
/// (decision 39), on both backends, also after a batch that PostgreSQL's
/// `COPY` refused (a record id re-used: a series conflict, nothing stored).
pub async fn stored_payloads_are_the_text_that_was_sent(db: Arc<dyn Database>) {
    let server = Server::start(db.clone(), test_config()).await;
    server.tenant_with_store("acme", "S001").await;
    let mut till = server.till("acme", "S001", "T01").await;
    for _ in 0..2 {
        till.sell(false, &[("1001", "1")], &[("cash", "1.50")]);
    }
    let terminal_pk = server.terminal_pk(&till).await;
    let first = server
        .upload_raw(
            &till.credential,
            body_with_sent_texts(&till.batch(1, 3)),
            &[],
        )
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    // seqs 4..=6 after a batch that PostgreSQL's COPY refuses (an id of seq
    // 1 re-used): the conflict stores nothing, the genuine batch goes in whole
    let mut reused = till.batch(4, 6);
    reused.records[2].id = till.records[0].id;
    let refused = server
        .upload_raw(&till.credential, body_with_sent_texts(&reused), &[])
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text());
    let ack = server
        .upload_raw(
            &till.credential,
            body_with_sent_texts(&till.batch(4, 6)),
            &[],
        )
        .await;
    assert_eq!(
        (
            ack.json()["applied"].as_u64(),
            ack.json()["duplicates"].as_u64()
        ),
        (Some(3), Some(0)),
        "{}",
        ack.text()
    );
    let stored = db.record_payloads(terminal_pk, 1, 10).await.unwrap();
    let seqs: Vec<u64> = stored.iter().map(|(seq, _)| *seq).collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5, 6]);
    for (seq, text) in &stored {
        assert_eq!(
            text,
            SENT_TEXTS[((seq - 1) % 3) as usize],
            "payload of seq {seq}"
        );
    }
}
