//! The OpenAPI document: the committed `docs/openapi.json` is what the
//! server generates, and every operation it lists is served.

use std::path::PathBuf;

use hyper::{Method, StatusCode};
use serde_json::Value;

use super::support::{self, ADMIN, Server, test_config};

fn committed() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/openapi.json")
}

#[test]
pub fn the_committed_openapi_document_is_the_generated_one() {
    let generated = kasa_server::app::openapi::document();
    if std::env::var_os("KASA_UPDATE_GOLDENS").is_some_and(|v| v == "1") {
        std::fs::write(committed(), &generated).unwrap();
    }
    let kept = std::fs::read_to_string(committed()).unwrap_or_default();
    assert!(
        kept == generated,
        "docs/openapi.json differs from the document the handlers' types generate \
         (set KASA_UPDATE_GOLDENS=1 to rewrite it if the change is intended)"
    );
}

#[tokio::test]
pub async fn every_documented_operation_is_served() {
    let db = support::sqlite().await;
    let server = Server::start(db.db.clone(), test_config()).await;
    server.tenant_with_store("acme", "S001").await;
    let document: Value = server
        .send(Method::GET, "/openapi.json", &[], Vec::new())
        .await
        .json();
    let auth = format!("Bearer {ADMIN}");
    let unrouted = |r: &support::Reply| {
        // a route the router lacks is a bare 404 (or 405 for another method)
        r.status == StatusCode::METHOD_NOT_ALLOWED
            || (r.status == StatusCode::NOT_FOUND && r.body.is_empty())
    };
    let missing = server
        .send(Method::GET, "/admin/v1/no-such-route", &[], Vec::new())
        .await;
    assert!(unrouted(&missing), "{:?}", missing.status);
    let mut operations = 0;
    for (path, item) in document["paths"].as_object().unwrap() {
        let concrete = path
            .replace("{tenant}", "acme")
            .replace("{store}", "S001")
            .replace("{terminal}", "T01")
            .replace("{report}", "sales");
        for method in item.as_object().unwrap().keys() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let r = server
                .send(
                    method.clone(),
                    &concrete,
                    &[
                        ("authorization", &auth),
                        ("content-type", "application/json"),
                    ],
                    b"{}".to_vec(),
                )
                .await;
            assert!(
                !unrouted(&r),
                "{method} {path} is documented but not served"
            );
            operations += 1;
        }
    }
    assert!(operations >= 15, "{operations} operations documented");
}
