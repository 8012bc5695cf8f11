//! Master-data publishing and paging, hello, rate limits, health, metrics,
//! OpenAPI, schema versions, TLS.

use std::sync::Arc;

use hyper::{Method, StatusCode};
use kasa_server::Database;
use kasa_sync_protocol::{BodyEncoding, Hello, ProtocolVersion, VersionRange, examples};
use serde_json::{Value, json};

use crate::support::{self, ADMIN, Server, test_config};

pub async fn master_data_is_published_and_pulled_by_cursor_in_pages(db: Arc<dyn Database>) {
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
    // the same key twice in one publish: the later one wins
    let r = server
        .admin_post(
            "/admin/v1/tenants/acme/master-data",
            json!({"changes":[
                {"entity":"product","key":"P005","op":"upsert","data":{"name":"First"}},
                {"entity":"product","key":"P005","op":"upsert","data":{"name":"Second"}}
            ]}),
        )
        .await;
    assert_eq!(r.json()["last_version"], 28);
    let bad = server
        .admin_post(
            "/admin/v1/tenants/acme/master-data",
            json!({"changes":[{"entity":"product","key":"","op":"upsert","data":{}}]}),
        )
        .await;
    assert_eq!(
        (bad.status, bad.code().as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "sync.change_bad_key")
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
        assert_eq!(typed.server_version, 28);
        if !typed.has_more {
            break;
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(state.len(), 19);
    assert_eq!(state["P000"]["name"], "Renamed 0");
    assert_eq!(state["P005"]["name"], "Second");
    assert_eq!(state["P010"]["price"], "11.99");

    // later changes arrive after the saved cursor, deletes included
    let r = server
        .admin_post("/admin/v1/tenants/acme/master-data", json!({"changes":[{"entity":"product","key":"P001","op":"delete"},{"entity":"barcode","key":"4006381333900","op":"upsert","data":{"sku":"P002"}}]}))
        .await;
    assert_eq!(r.json()["last_version"], 30);
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
    assert_eq!(got, [(29, "delete".to_owned()), (30, "upsert".to_owned())]);
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

#[tokio::test]
pub async fn hello_negotiates_or_says_who_is_too_old() {
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
    assert_eq!(r.json()["agreed"]["version"], json!({"major":1,"minor":1}));
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
pub async fn failed_enrolments_and_credentials_are_rate_limited_per_address() {
    let db = support::sqlite().await;
    let server = Server::start(db.db.clone(), support::strict_rate_limit()).await;
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
pub async fn health_metrics_and_openapi_are_served() {
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
            .starts_with("application/openmetrics-text")
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
pub async fn a_newer_schema_is_refused() {
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
pub async fn tls_serves_the_same_api_and_refuses_plain_http() {
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

/// Pull every page after `cursor` and apply it the way the till will.
async fn pull_all(
    server: &Server,
    till: &support::Till,
    cursor: &mut Option<String>,
    state: &mut std::collections::BTreeMap<String, Value>,
    limit: u32,
) {
    loop {
        let page = server.pull(till, cursor.as_deref(), limit).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text());
        let page: kasa_sync_protocol::MasterDataPage = serde_json::from_slice(&page.body).unwrap();
        for change in &page.changes {
            match change.op {
                kasa_sync_protocol::ChangeOp::Upsert => {
                    state.insert(change.key.clone(), change.data.clone())
                }
                kasa_sync_protocol::ChangeOp::Delete => state.remove(&change.key),
            };
        }
        *cursor = Some(page.next_cursor.0);
        if !page.has_more {
            return;
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(16))]

    /// Whatever head office publishes and whenever tills pull, with any page
    /// size: a till that keeps its cursor and a till that starts fresh both
    /// end in exactly the published state.
    #[test]
    fn pulls_from_any_cursor_reach_the_published_state(
        rounds in proptest::collection::vec(
            (proptest::collection::vec((0u8..6, proptest::prelude::any::<bool>()), 1..6), 1u32..4),
            1..8,
        ),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let db = support::sqlite().await;
            let server = Server::start(db.db.clone(), test_config()).await;
            server.tenant_with_store("acme", "S001").await;
            let keeper = server.till("acme", "S001", "T01").await;
            let mut model = std::collections::BTreeMap::new();
            let (mut cursor, mut state) = (None, std::collections::BTreeMap::new());
            for (round, (changes, limit)) in rounds.iter().enumerate() {
                let body: Vec<Value> = changes
                    .iter()
                    .enumerate()
                    .map(|(i, (key, delete))| {
                        let key = format!("K{key}");
                        if *delete {
                            model.remove(&key);
                            json!({"entity":"product","key":key,"op":"delete"})
                        } else {
                            let data = json!({"name": format!("round {round} change {i}")});
                            model.insert(key.clone(), data.clone());
                            json!({"entity":"product","key":key,"op":"upsert","data":data})
                        }
                    })
                    .collect();
                let r = server.admin_post("/admin/v1/tenants/acme/master-data", json!({"changes": body})).await;
                assert_eq!(r.status, StatusCode::OK, "{}", r.text());
                if round % 2 == 1 {
                    pull_all(&server, &keeper, &mut cursor, &mut state, *limit).await;
                    assert_eq!(state, model, "keeper after round {round}");
                }
            }
            pull_all(&server, &keeper, &mut cursor, &mut state, 2).await;
            assert_eq!(state, model, "keeper at the end");
            let fresh = server.till("acme", "S001", "T02").await;
            let (mut fresh_cursor, mut fresh_state) = (None, std::collections::BTreeMap::new());
            pull_all(&server, &fresh, &mut fresh_cursor, &mut fresh_state, 1).await;
            assert_eq!(fresh_state, model, "fresh till");
        });
    }
}

#[test]
fn the_cli_sets_up_tenants_stores_and_codes_and_prints_reports() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite:{}", dir.path().join("hq.db").display());
    let run = |args: &[&str]| support::kasa_server_cli(&database, args);
    let (ok, stdout, _) = run(&["migrate"]);
    assert!(
        ok && stdout.contains("schema version 4 (sqlite)"),
        "{stdout}"
    );
    assert!(run(&["tenant", "create", "acme", "--name", "ACME"]).0);
    assert!(
        run(&[
            "store", "create", "S001", "--tenant", "acme", "--name", "Main"
        ])
        .0
    );
    let (ok, stdout, stderr) = run(&["enrol-code", "--tenant", "acme", "--store", "S001"]);
    assert!(ok, "{stderr}");
    let code = stdout.lines().next().unwrap();
    assert!(
        code.len() == 14 && code.chars().filter(|c| *c == '-').count() == 2,
        "{stdout}"
    );
    let (ok, stdout, _) = run(&["report", "stock", "--tenant", "acme"]);
    assert!(ok);
    assert_eq!(stdout, "store_id,sku,qty\n");
    let (ok, _, stderr) = run(&["tenant", "create", "acme", "--name", "again"]);
    assert!(!ok && stderr.contains("already exists"), "{stderr}");
    let (ok, _, stderr) = run(&["enrol-code", "--tenant", "acme", "--store", "S999"]);
    assert!(!ok && stderr.contains("server.not_found"), "{stderr}");
}
