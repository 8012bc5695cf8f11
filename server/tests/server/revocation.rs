//! Revoking a lost, stolen or replaced terminal, the terminal list, and the
//! optional `/metrics` token.

use std::sync::Arc;

use hyper::{Method, StatusCode};
use kasa_server::Database;
use serde_json::{Value, json};

use crate::support::{self, Server, Till, test_config};

fn revoke_path(tenant: &str, store: &str, terminal: &str) -> String {
    format!("/admin/v1/tenants/{tenant}/stores/{store}/terminals/{terminal}/revoke")
}

fn row<'a>(list: &'a Value, store: &str, terminal: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|r| r["store_id"] == store && r["terminal_id"] == terminal)
        .unwrap_or_else(|| panic!("{store}/{terminal} missing from {list}"))
}

pub async fn a_revoked_terminal_is_refused_and_keeps_what_it_sent(db: Arc<dyn Database>) {
    let server = Server::start(db.clone(), test_config()).await;
    server.tenant_with_store("acme", "S001").await;
    let mut lost = server.till("acme", "S001", "T01").await;
    let mut other = server.till("acme", "S001", "T02").await;
    lost.sell(false, &[("SKU-1", "2")], &[("cash", "5.00")]);
    let r = server.upload(&lost, &lost.batch(1, lost.last_seq())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let sent = lost.last_seq();
    let lost_pk = server.terminal_pk(&lost).await;

    let r = server
        .admin_post(&revoke_path("acme", "S001", "T01"), json!({"by": "Ana"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let first = r.json();
    assert_eq!(first["newly_revoked"], true);
    assert!(
        first["revoked_by"].as_str().unwrap().starts_with("Ana"),
        "{first}"
    );

    // the (already cached) credential is refused on every terminal route
    lost.sell(false, &[("SKU-1", "1")], &[("cash", "2.50")]);
    let upload = server
        .upload(&lost, &lost.batch(sent + 1, lost.last_seq()))
        .await;
    let pull = server.pull(&lost, None, 10).await;
    let status = server.status(&lost).await;
    for r in [&upload, &pull, &status] {
        assert_eq!(
            (r.status, r.code().as_str()),
            (StatusCode::FORBIDDEN, "auth.revoked"),
            "{}",
            r.text()
        );
        let message = r.json()["error"]["message"].as_str().unwrap().to_owned();
        assert!(
            message.contains("new enrolment code") && message.contains("T01"),
            "{message}"
        );
    }
    // nothing new stored; what it sent before stays
    assert_eq!(db.record_count(lost_pk).await.unwrap(), sent);
    assert_eq!(db.held_through(lost_pk).await.unwrap(), sent);

    // the other terminal carries on
    other.sell(false, &[("SKU-1", "1")], &[("card", "2.50")]);
    let r = server
        .upload(&other, &other.batch(1, other.last_seq()))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(server.pull(&other, None, 10).await.status, StatusCode::OK);

    // revoking again changes nothing and answers with the first revocation
    let again = server
        .admin_post(&revoke_path("acme", "S001", "T01"), json!({}))
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text());
    let again = again.json();
    assert_eq!(again["newly_revoked"], false);
    assert_eq!(
        (&again["revoked_at"], &again["revoked_by"]),
        (&first["revoked_at"], &first["revoked_by"])
    );

    // unknown terminal / store / tenant
    for path in [
        revoke_path("acme", "S001", "T99"),
        revoke_path("acme", "S999", "T01"),
        revoke_path("nobody", "S001", "T01"),
    ] {
        let r = server.admin_post(&path, json!({})).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (StatusCode::NOT_FOUND, "server.not_found"),
            "{path}: {}",
            r.text()
        );
    }
    // a terminal of another store with the same id is a different terminal
    server.tenant_with_store("acme", "S002").await;
    let namesake = server.till("acme", "S002", "T01").await;
    assert_eq!(server.status(&namesake).await.status, StatusCode::OK);

    // the list shows both, the revocation with its time and author
    let list = server.admin_get("/admin/v1/tenants/acme/terminals").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text());
    let list = list.json();
    assert_eq!(list.as_array().unwrap().len(), 3, "{list}");
    let revoked = row(&list, "S001", "T01");
    assert_eq!(revoked["revoked_at"], first["revoked_at"]);
    assert_eq!(revoked["held_through"], sent);
    assert!(revoked["enrolled_at"].is_string() && revoked["last_seen"].is_string());
    assert!(revoked["lag_seconds"].as_i64().unwrap() >= 0);
    let live = row(&list, "S001", "T02");
    assert!(
        live["revoked_at"].is_null() && live["revoked_by"].is_null(),
        "{live}"
    );
    assert!(row(&list, "S002", "T01")["revoked_at"].is_null());

    // the OpenAPI document describes exactly what these routes answer
    let openapi = server
        .send(Method::GET, "/openapi.json", &[], Vec::new())
        .await
        .json();
    let documented = |schema: &str| -> Vec<String> {
        let mut keys: Vec<String> = openapi["components"]["schemas"][schema]["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("openapi.json lacks schema {schema}"))
            .keys()
            .cloned()
            .collect();
        keys.sort();
        keys
    };
    let served = |value: &Value| -> Vec<String> {
        let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    };
    assert_eq!(documented("TerminalStatus"), served(revoked));
    assert_eq!(documented("RevokeReply"), served(&first));
    for path in [
        "/admin/v1/tenants/{tenant}/terminals",
        "/admin/v1/tenants/{tenant}/stores/{store}/terminals/{terminal}/revoke",
    ] {
        assert!(
            openapi["paths"][path].is_object(),
            "openapi.json lacks {path}"
        );
    }

    // the admin token guards both routes
    let r = server
        .send(
            Method::POST,
            &revoke_path("acme", "S001", "T02"),
            &[],
            Vec::new(),
        )
        .await;
    assert_eq!(r.code(), "auth.invalid");
    let r = server
        .send(
            Method::GET,
            "/admin/v1/tenants/acme/terminals",
            &[],
            Vec::new(),
        )
        .await;
    assert_eq!(r.code(), "auth.invalid");
    assert_eq!(server.status(&other).await.status, StatusCode::OK);
}

pub async fn a_revocation_made_elsewhere_applies_to_a_running_server(db: Arc<dyn Database>) {
    let server = Server::start(db.clone(), test_config()).await;
    server.tenant_with_store("acme", "S001").await;
    let till = server.till("acme", "S001", "T01").await;
    assert_eq!(server.status(&till).await.status, StatusCode::OK);
    // as `kasa-server terminal revoke` does, straight on the database
    let outcome = db
        .revoke_terminal("acme", "S001", "T01", "ops (CLI)", 1_795_252_502_000)
        .await
        .unwrap();
    assert!(outcome.newly_revoked);
    assert_eq!(server.status(&till).await.code(), "auth.revoked");
    let pk = server.terminal_pk(&till).await;
    assert_eq!(
        db.revocation(pk).await.unwrap().unwrap().revoked_by,
        "ops (CLI)"
    );
}

#[tokio::test]
pub async fn metrics_need_the_token_when_one_is_configured() {
    let db = support::sqlite().await;
    let open = Server::start(db.db.clone(), test_config()).await;
    let r = open.send(Method::GET, "/metrics", &[], Vec::new()).await;
    assert_eq!(r.status, StatusCode::OK);

    let config = kasa_server::ServerConfig {
        metrics_token: Some("scrape-secret".to_owned()),
        ..test_config()
    };
    let guarded = Server::start(db.db.clone(), config).await;
    let scrape = |token: Option<String>| {
        let guarded = &guarded;
        async move {
            let auth = token.map(|t| format!("Bearer {t}"));
            let headers: Vec<(&str, &str)> =
                auth.iter().map(|a| ("authorization", a.as_str())).collect();
            guarded
                .send(Method::GET, "/metrics", &headers, Vec::new())
                .await
        }
    };
    let r = scrape(None).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::UNAUTHORIZED, "auth.missing")
    );
    let r = scrape(Some("wrong".into())).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::UNAUTHORIZED, "auth.invalid")
    );
    // the admin token is not the metrics token
    let r = scrape(Some(support::ADMIN.into())).await;
    assert_eq!(r.code(), "auth.invalid");
    let r = scrape(Some("scrape-secret".into())).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.text().contains(r#"route="/metrics",status="401"} 3"#),
        "{}",
        r.text()
    );
    // /health stays open
    let r = guarded.send(Method::GET, "/health", &[], Vec::new()).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[test]
fn the_cli_lists_and_revokes_terminals_on_a_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hq.db");
    let database = format!("sqlite:{}", path.display());
    let run = |args: &[&str]| support::kasa_server_cli(&database, args);
    assert!(run(&["tenant", "create", "acme", "--name", "ACME"]).0);
    assert!(
        run(&[
            "store", "create", "S001", "--tenant", "acme", "--name", "Main"
        ])
        .0
    );
    // enrol a terminal through a real server on the same file
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let credential = runtime.block_on(async {
        let db = kasa_server::db::open(&database).await.unwrap();
        let server = Server::start(db, test_config()).await;
        server.till("acme", "S001", "T01").await.credential
    });
    assert!(credential.starts_with("kt1."));

    let (ok, stdout, stderr) = run(&["terminal", "list", "--tenant", "acme", "--format", "json"]);
    assert!(ok, "{stderr}");
    let list: Value = serde_json::from_str(&stdout).unwrap();
    assert!(row(&list, "S001", "T01")["revoked_at"].is_null(), "{list}");

    let revoke = [
        "terminal", "revoke", "T01", "--tenant", "acme", "--store", "S001",
    ];
    let (ok, stdout, stderr) = run(&[&revoke[..], &["--by", "Ana"]].concat());
    assert!(ok && stdout.contains("revoked at"), "{stdout}{stderr}");
    let (ok, stdout, stderr) = run(&revoke);
    assert!(ok && stdout.contains("already revoked"), "{stdout}{stderr}");
    assert!(stdout.contains("Ana (CLI)"), "{stdout}");

    let (ok, stdout, _) = run(&["terminal", "list", "--tenant", "acme"]);
    assert!(ok);
    let line = stdout.lines().find(|l| l.starts_with("T01")).unwrap();
    assert!(line.contains("by Ana (CLI)"), "{stdout}");

    let (ok, _, stderr) = run(&[
        "terminal", "revoke", "T99", "--tenant", "acme", "--store", "S001",
    ]);
    assert!(!ok && stderr.contains("server.not_found"), "{stderr}");

    // the credential is refused by a server started on the file afterwards
    runtime.block_on(async {
        let db = kasa_server::db::open(&database).await.unwrap();
        let server = Server::start(db, test_config()).await;
        let till = Till::new("T01", "S001", &credential);
        let r = server.status(&till).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (StatusCode::FORBIDDEN, "auth.revoked"),
            "{}",
            r.text()
        );
    });
}
