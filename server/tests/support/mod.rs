//! The server in-process on port 0, a tiny HTTP client, the two backends,
//! and a simulated till that writes records the way the terminal will.

use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;

use axum::body::Bytes;
use chrono::{DateTime, Utc};
use http_body_util::{BodyExt, Full};
use hyper::{Method, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use kasa_domain::journal::{JournalDraft, JournalEntry, JournalKind};
use kasa_domain::money::Money;
use kasa_server::config::RateLimitConfig;
use kasa_server::db::postgres::PostgresDatabase;
use kasa_server::db::sqlite::SqliteDatabase;
use kasa_server::{AppState, Database, ServerConfig};
use kasa_sync_protocol::{ProtocolVersion, Record, RecordKind, UploadBatch};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use uuid::Uuid;

pub const ADMIN: &str = "test-admin-token";

/// A database for one test; keeps its temp dir alive.
pub struct TestDb {
    pub db: Arc<dyn Database>,
    /// The `--database` string, to open the same database again (a restart).
    pub spec: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// The same database opened again, as a restarted server would.
    pub async fn reopen(&self) -> Arc<dyn Database> {
        let db = kasa_server::db::open(&self.spec).await.unwrap();
        db.migrate().await.unwrap();
        db
    }
}

pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hq.db");
    let db = SqliteDatabase::open(path.to_str().unwrap()).unwrap();
    db.migrate().await.unwrap();
    TestDb {
        db: Arc::new(db),
        spec: format!("sqlite:{}", path.display()),
        _dir: Some(dir),
    }
}

/// A fresh database in the cluster named by KASA_TEST_POSTGRES_URL; `None`
/// (with a visible notice) when unset locally; a failure when unset in CI.
pub async fn postgres() -> Option<TestDb> {
    let spec = kasa_tests::postgres::fresh_database("kasa_test").await?;
    let db = PostgresDatabase::connect(&spec).await.unwrap();
    db.migrate().await.unwrap();
    Some(TestDb {
        db: Arc::new(db),
        spec,
        _dir: None,
    })
}

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    pub state: Arc<AppState>,
    client: Client<HttpConnector, Full<Bytes>>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// A response.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: hyper::HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub fn test_config() -> ServerConfig {
    ServerConfig {
        admin_token: Some(ADMIN.to_owned()),
        rate_limit: RateLimitConfig {
            burst: 1000,
            per_minute: 1000,
        },
        ..ServerConfig::default()
    }
}

/// [`test_config`] with a limiter that blocks an address after 3 failures.
pub fn strict_rate_limit() -> ServerConfig {
    ServerConfig {
        rate_limit: RateLimitConfig {
            burst: 3,
            per_minute: 1,
        },
        ..test_config()
    }
}

impl Server {
    pub async fn start(db: Arc<dyn Database>, config: ServerConfig) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = AppState::new(db, config);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = state.clone();
        tokio::spawn(async move {
            kasa_server::serve(listener, serving, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        let client = Client::builder(TokioExecutor::new()).build_http();
        Server {
            addr,
            state,
            client,
            _stop: stop,
        }
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Reply {
        let mut request = hyper::Request::builder()
            .method(method)
            .uri(format!("http://{}{path}", self.addr));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = self
            .client
            .request(request.body(Full::new(Bytes::from(body))).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            headers,
            body,
        }
    }

    /// Like [`Server::send`] but to another address (a proxy) and without
    /// panicking on network errors, which a lossy network makes normal.
    pub async fn try_send_via(
        &self,
        addr: SocketAddr,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Result<Reply, String> {
        let mut request = hyper::Request::builder()
            .method(method)
            .uri(format!("http://{addr}{path}"));
        // one connection per request, so each request gets its own fault draw
        request = request.header("connection", "close");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| e.to_string())?;
            let status = response.status();
            let headers = response.headers().clone();
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| e.to_string())?
                .to_bytes();
            Ok(Reply {
                status,
                headers,
                body,
            })
        };
        tokio::time::timeout(std::time::Duration::from_secs(10), exchange)
            .await
            .map_err(|_| "timed out".to_owned())?
    }

    pub async fn admin_post(&self, path: &str, body: Value) -> Reply {
        let auth = format!("Bearer {ADMIN}");
        self.send(
            Method::POST,
            path,
            &[
                ("authorization", &auth),
                ("content-type", "application/json"),
            ],
            body.to_string().into_bytes(),
        )
        .await
    }

    pub async fn admin_get(&self, path: &str) -> Reply {
        let auth = format!("Bearer {ADMIN}");
        self.send(Method::GET, path, &[("authorization", &auth)], Vec::new())
            .await
    }

    /// Tenant + store (idempotent enough for tests: ignores "already exists").
    pub async fn tenant_with_store(&self, tenant: &str, store: &str) {
        let r = self
            .admin_post(
                "/admin/v1/tenants",
                json!({"tenant_id": tenant, "name": tenant}),
            )
            .await;
        assert!(
            r.status == StatusCode::CREATED || r.code() == "server.already_exists",
            "{r:?}"
        );
        let r = self
            .admin_post(
                &format!("/admin/v1/tenants/{tenant}/stores"),
                json!({"store_id": store, "name": store}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    }

    pub async fn code(&self, tenant: &str, store: &str, ttl_minutes: u64) -> String {
        let r = self
            .admin_post(
                &format!("/admin/v1/tenants/{tenant}/stores/{store}/enrolment-codes"),
                json!({"ttl_minutes": ttl_minutes}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        r.json()["code"].as_str().unwrap().to_owned()
    }

    pub async fn enrol(&self, code: &str, terminal_id: &str) -> Reply {
        self.send(
            Method::POST,
            "/enrol",
            &[("content-type", "application/json")],
            json!({"code": code, "terminal_id": terminal_id})
                .to_string()
                .into_bytes(),
        )
        .await
    }

    /// Tenant, store, code, enrolment: a till ready to sync.
    pub async fn till(&self, tenant: &str, store: &str, terminal: &str) -> Till {
        let code = self.code(tenant, store, 60).await;
        let r = self.enrol(&code, terminal).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        Till::new(terminal, store, r.json()["credential"].as_str().unwrap())
    }

    pub async fn upload_raw(
        &self,
        credential: &str,
        body: Vec<u8>,
        extra: &[(&str, &str)],
    ) -> Reply {
        let auth = format!("Bearer {credential}");
        let mut headers = vec![
            ("authorization", auth.as_str()),
            ("content-type", "application/json"),
            ("kasa-protocol", "1.0"),
        ];
        headers.extend_from_slice(extra);
        self.send(Method::POST, "/sync/v1/upload", &headers, body)
            .await
    }

    pub async fn upload(&self, till: &Till, batch: &UploadBatch) -> Reply {
        self.upload_raw(&till.credential, serde_json::to_vec(batch).unwrap(), &[])
            .await
    }

    pub async fn status(&self, till: &Till) -> Reply {
        let auth = format!("Bearer {}", till.credential);
        self.send(
            Method::GET,
            "/sync/v1/upload/status",
            &[("authorization", &auth)],
            Vec::new(),
        )
        .await
    }

    /// The status as a till of protocol `version` asks it, with `?at=`.
    pub async fn status_at(&self, till: &Till, version: &str, at: Option<u64>) -> Reply {
        let auth = format!("Bearer {}", till.credential);
        let path = match at {
            Some(seq) => format!("/sync/v1/upload/status?at={seq}"),
            None => "/sync/v1/upload/status".to_owned(),
        };
        self.send(
            Method::GET,
            &path,
            &[("authorization", &auth), ("kasa-protocol", version)],
            Vec::new(),
        )
        .await
    }

    /// The internal key of a till's terminal (from its credential).
    pub async fn terminal_pk(&self, till: &Till) -> i64 {
        self.state
            .db
            .credential(till.credential.split('.').nth(1).unwrap())
            .await
            .unwrap()
            .unwrap()
            .identity
            .terminal_pk
    }

    pub async fn pull(&self, till: &Till, cursor: Option<&str>, limit: u32) -> Reply {
        let auth = format!("Bearer {}", till.credential);
        let body = json!({"cursor": cursor, "limit": limit})
            .to_string()
            .into_bytes();
        self.send(
            Method::POST,
            "/sync/v1/master-data",
            &[
                ("authorization", &auth),
                ("content-type", "application/json"),
            ],
            body,
        )
        .await
    }
}

/// Run the `kasa-server` binary on a database: (success, stdout, stderr).
pub fn kasa_server_cli(database: &str, args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kasa-server"))
        .args(["--database", database])
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// A simulated till: its gapless record series and hash-chained journal.
#[derive(Clone)]
pub struct Till {
    pub terminal_id: String,
    pub store_id: String,
    pub credential: String,
    pub records: Vec<Record>,
    journal: Vec<JournalEntry>,
    at: DateTime<Utc>,
}

impl Till {
    pub fn new(terminal_id: &str, store_id: &str, credential: &str) -> Self {
        Till {
            terminal_id: terminal_id.to_owned(),
            store_id: store_id.to_owned(),
            credential: credential.to_owned(),
            records: Vec::new(),
            journal: Vec::new(),
            at: DateTime::from_timestamp(1_795_252_502, 0).unwrap(),
        }
    }

    fn push(&mut self, id: Uuid, kind: RecordKind, document_type: Option<&str>, payload: Value) {
        let seq = self.records.len() as u64 + 1;
        self.records.push(Record {
            terminal_id: self.terminal_id.clone(),
            seq,
            id,
            kind,
            document_type: document_type.map(str::to_owned),
            created_at: self.at,
            payload,
        });
    }

    /// A sale (or return) of `(sku, qty)` lines paid by `(tender, amount)`:
    /// a document, one movement per line, one journal entry.
    pub fn sell(
        &mut self,
        return_: bool,
        lines: &[(&str, &str)],
        tenders: &[(&str, &str)],
    ) -> Uuid {
        let document_id = Uuid::now_v7();
        let total: Decimal = tenders.iter().map(|(_, a)| dec(a)).sum();
        let doc_type = if return_ { "return" } else { "sale" };
        let tender_json: Vec<Value> = tenders
            .iter()
            .map(|(k, a)| json!({"kind": k, "amount": a}))
            .collect();
        self.push(
            document_id,
            RecordKind::Document,
            Some(doc_type),
            json!({"tenders": tender_json, "total": total.to_string()}),
        );
        for (sku, qty) in lines {
            let signed = if return_ { dec(qty) } else { -dec(qty) };
            self.push(Uuid::now_v7(), RecordKind::StockMovement, Some(doc_type), json!({"document_id": document_id, "sku": sku, "qty": signed.to_string(), "location": self.store_id}));
        }
        let draft = JournalDraft {
            at: self.at.naive_utc(),
            kind: if return_ {
                JournalKind::Return
            } else {
                JournalKind::Sale
            },
            document_id,
            document_number: format!("{:010}", self.journal.len() + 1),
            amount: Money(total),
            payload: json!({}),
        };
        let entry = JournalEntry::next(self.journal.last(), draft);
        self.journal.push(entry.clone());
        self.push(
            Uuid::now_v7(),
            RecordKind::JournalEntry,
            None,
            serde_json::to_value(&entry).unwrap(),
        );
        document_id
    }

    /// Records `from..=to` (1-based seqs) as a batch.
    pub fn batch(&self, from: u64, to: u64) -> UploadBatch {
        let records = self.records[(from - 1) as usize..to as usize].to_vec();
        UploadBatch {
            protocol: ProtocolVersion::CURRENT,
            terminal_id: self.terminal_id.clone(),
            store_id: self.store_id.clone(),
            first_seq: from,
            records,
        }
    }

    pub fn last_seq(&self) -> u64 {
        self.records.len() as u64
    }

    /// The series chain over records `1..=seq`, as the real till computes it
    /// (each payload as the compact JSON sent).
    pub fn chain_at(&self, seq: u64) -> kasa_sync_protocol::SeriesHash {
        self.records[..seq as usize].iter().fold(
            kasa_sync_protocol::SeriesHash::GENESIS,
            |chain, r| {
                chain.next(&kasa_sync_protocol::record_digest(
                    &r.id,
                    r.kind,
                    r.document_type.as_deref(),
                    &serde_json::to_string(&r.payload).unwrap(),
                ))
            },
        )
    }

    /// A copy of this till as it was after its first `sales` sales (a
    /// restored backup, a cloned disk): it goes on from there on its own.
    pub fn restored_after(&self, sales: usize) -> Till {
        let mut copy = self.clone();
        let mut seen = 0;
        let keep = self
            .records
            .iter()
            .position(|r| {
                if r.kind == RecordKind::Document {
                    seen += 1;
                }
                seen > sales
            })
            .unwrap_or(self.records.len());
        copy.records.truncate(keep);
        copy.journal.truncate(sales);
        copy
    }
}
