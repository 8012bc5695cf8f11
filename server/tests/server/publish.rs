//! Publishing refuses every change the till could not apply, before
//! anything of the publish is stored.

use std::sync::Arc;

use hyper::{Method, StatusCode};
use kasa_server::Database;
use serde_json::{Value, json};

use crate::support::{ADMIN, Server, test_config};

const PUBLISH: &str = "/admin/v1/tenants/acme/master-data";

pub async fn bad_changes_are_refused_at_publish_and_store_nothing(db: Arc<dyn Database>) {
    let server = Server::start(db, test_config()).await;
    server.tenant_with_store("acme", "S001").await;
    let till = server.till("acme", "S001", "T01").await;
    let good =
        json!({"entity":"product","key":"P1","op":"upsert","data":{"name":"Milk","price":"1.99"}});
    let r = server
        .admin_post(PUBLISH, json!({"changes":[good.clone()]}))
        .await;
    assert_eq!(r.json()["last_version"], 1, "{}", r.text());

    let long_key = "K".repeat(257);
    let bad: Vec<(Value, &str)> = vec![
        (
            json!({"entity":"product","key":"P2","op":"upsert","data":{"name":"x","unit":"box"}}),
            "sync.change_bad_value",
        ),
        (
            json!({"entity":"product","key":"P2","op":"upsert","data":{"name":"x","lifecycle":"SOLD_OUT"}}),
            "sync.change_bad_value",
        ),
        (
            json!({"entity":"product","key":"P2","op":"upsert","data":{"name":"x","price":"-0.01"}}),
            "sync.change_bad_value",
        ),
        (
            json!({"entity":"price","key":"P1/S001","op":"upsert","data":{"price":"-5"}}),
            "sync.change_bad_value",
        ),
        (
            json!({"entity":"product","key":long_key,"op":"upsert","data":{"name":"x"}}),
            "sync.change_bad_key",
        ),
        (
            json!({"entity":"product","key":"P\u{0}2","op":"upsert","data":{"name":"x"}}),
            "sync.change_bad_key",
        ),
        (
            json!({"entity":"product","key":"P2","op":"upsert","data":{"name":"Mi\u{7}lk"}}),
            "sync.change_bad_value",
        ),
        (
            json!({"entity":"product","key":"P2","op":"upsert","data":{"name":"x","colour":"red"}}),
            "sync.change_unknown_field",
        ),
        (
            json!({"entity":"product","key":"P2","op":"upsert","data":{"brand":"x"}}),
            "sync.change_missing_field",
        ),
        (
            json!({"entity":"product","key":"P1","op":"delete","data":{"name":"x"}}),
            "sync.change_shape",
        ),
        (
            json!({"entity":"product","key":"P2","op":"upsert"}),
            "sync.change_shape",
        ),
        (
            json!({"entity":"barcode","key":"4006381333931","op":"upsert","data":{"sku":"P1","multiplier":"six"}}),
            "sync.change_bad_value",
        ),
        (
            json!({"entity":"tax_rate","key":"reduced/2026-01-01","op":"upsert","data":{"rate_percent":"900"}}),
            "sync.change_bad_value",
        ),
        (
            json!({"entity":"role","key":"janitor","op":"upsert","data":{"permissions":[]}}),
            "sync.change_bad_key",
        ),
        (
            json!({"entity":"user","key":"ivan","op":"upsert","data":{"role":"cashier","pin_hash":"1234"}}),
            "sync.change_bad_value",
        ),
        (
            json!({"entity":"promotion","key":"PR1","op":"upsert","data":{"kind":"bogo"}}),
            "sync.change_bad_value",
        ),
        (
            json!({"entity":"product","key":"P2","op":"upsert","data":{"name":"x","pad":"y".repeat(1 << 20)}}),
            "sync.change_too_large",
        ),
    ];
    for (change, code) in bad {
        // a good change first: nothing of a refused publish is stored
        let r = server
            .admin_post(PUBLISH, json!({"changes":[good.clone(), change.clone()]}))
            .await;
        assert!(r.status.is_client_error(), "{change}: {}", r.text());
        assert_eq!(r.code(), code, "{change}: {}", r.text());
        let message = r.json()["error"]["message"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        assert!(message.starts_with("change 1: "), "{message}");
    }
    // a bad CSV row names its row, and stores nothing either
    let auth = format!("Bearer {ADMIN}");
    let r = server
        .send(
            Method::POST,
            &format!("{PUBLISH}?entity=product"),
            &[("authorization", &auth), ("content-type", "text/csv")],
            b"sku,name,unit\nP3,Bread,piece\nP4,Flour,sack\n".to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.code(), "sync.change_bad_value");
    assert!(r.text().contains("CSV row 3"), "{}", r.text());

    let page = server.pull(&till, None, 100).await.json();
    assert_eq!(page["server_version"], 1, "{page}");
    assert_eq!(page["changes"].as_array().map(Vec::len), Some(1), "{page}");
    let r = server.admin_post(PUBLISH, json!({"changes":[good]})).await;
    assert_eq!(
        r.json()["last_version"],
        2,
        "versions continue without a hole"
    );
}
