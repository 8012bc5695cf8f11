#![allow(dead_code)]
//! Head office in-process on port 0 (SQLite, or PostgreSQL when
//! `KASA_TEST_POSTGRES_URL` is set) and real tills (temp SQLite files) that
//! sell through `kasa_terminal` and sync through `kasa_terminal::sync`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use chrono::Utc;
use kasa_domain::money::Money;
use kasa_domain::permission::Role;
use kasa_server::credential::{enrolment_code_hash, new_enrolment_code};
use kasa_server::db::NewChange;
use kasa_server::publish::{ChangeInput, check};
use kasa_server::{AppState, Database, ServerConfig};
use kasa_sync_protocol::{ChangeOp, Entity};
use kasa_terminal::documents::StoredDocument;
use kasa_terminal::sale::script::{SaleScript, run_sale_script};
use kasa_terminal::settings::TillSettings;
use kasa_terminal::store::Store;
use kasa_terminal::sync::{self, RoundReport, SyncError, SyncOptions};
use kasa_terminal::test_support::TestTill;
use rust_decimal::Decimal;
use serde_json::{Value, json};

/// Which database head office runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A running head office.
pub struct HeadOffice {
    pub rt: tokio::runtime::Runtime,
    pub db: Arc<dyn Database>,
    pub addr: SocketAddr,
    /// `sqlite:PATH` or the PostgreSQL URL of this test's database.
    pub spec: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

pub const TENANT: &str = "acme";

impl HeadOffice {
    /// Head office with tenant `acme` and stores S001, S002; `None` when
    /// PostgreSQL was asked for but is not configured (outside CI).
    pub fn start(backend: Backend) -> Option<HeadOffice> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let spec = match backend {
            Backend::Sqlite => format!("sqlite:{}", dir.path().join("hq.db").display()),
            Backend::Postgres => {
                rt.block_on(kasa_tests::postgres::fresh_database("kasa_sync_test"))?
            }
        };
        let db = rt.block_on(async {
            let db = kasa_server::db::open(&spec).await.unwrap();
            db.migrate().await.unwrap();
            db.create_tenant(TENANT, "ACME", now_ms()).await.unwrap();
            for store in ["S001", "S002"] {
                db.create_store(TENANT, store, store, now_ms())
                    .await
                    .unwrap();
            }
            db
        });
        let mut office = HeadOffice {
            rt,
            db,
            addr: "127.0.0.1:0".parse().unwrap(),
            spec,
            stop: None,
            _dir: dir,
        };
        office.serve();
        Some(office)
    }

    fn serve(&mut self) {
        let db = self.db.clone();
        let (addr, stop) = self.rt.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let state = AppState::new(db, ServerConfig::default());
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            tokio::spawn(async move {
                kasa_server::serve(listener, state, async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
            });
            (addr, stop)
        });
        self.addr = addr;
        self.stop = Some(stop);
    }

    /// Stop serving (as a crashed or stopped head office would).
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// A new server process over the same database, on a new port.
    pub fn restart(&mut self) {
        self.stop();
        let spec = self.spec.clone();
        self.db = self.rt.block_on(async {
            let db = kasa_server::db::open(&spec).await.unwrap();
            db.migrate().await.unwrap();
            db
        });
        self.serve();
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A single-use enrolment code for `store`.
    pub fn code(&self, store: &str) -> String {
        let code = new_enrolment_code();
        let hash = enrolment_code_hash(&code);
        self.rt
            .block_on(self.db.create_enrolment_code(
                TENANT,
                store,
                &hash,
                now_ms() + 3_600_000,
                now_ms(),
            ))
            .unwrap();
        code
    }

    /// Publish changes tenant-wide; returns the last version.
    pub fn publish(&self, changes: Vec<(Entity, &str, Option<Value>)>) -> u64 {
        let checked: Vec<NewChange> = changes
            .into_iter()
            .enumerate()
            .map(|(i, change)| check(input(change), || format!("change {i}")).unwrap())
            .collect();
        self.store(&checked)
    }

    /// Store changes head office's publish would refuse, as a head office
    /// of an older build (or a damaged one) could hold: the till must
    /// still refuse to apply them.
    pub fn publish_unchecked(&self, changes: Vec<(Entity, &str, Option<Value>)>) -> u64 {
        let raw: Vec<NewChange> = changes
            .into_iter()
            .map(|change| {
                let input = input(change);
                NewChange {
                    entity: input.entity,
                    key: input.key,
                    op: input.op,
                    data: input.data,
                }
            })
            .collect();
        self.store(&raw)
    }

    fn store(&self, changes: &[NewChange]) -> u64 {
        self.rt
            .block_on(self.db.publish(TENANT, None, changes, now_ms()))
            .unwrap()
            .last_version
    }

    /// Stock per SKU head office projects for `store`.
    pub fn stock(&self, store: &str) -> BTreeMap<String, Decimal> {
        self.rt
            .block_on(self.db.stock(TENANT, Some(store)))
            .unwrap()
            .into_iter()
            .filter(|row| !row.qty.is_zero())
            .map(|row| (row.sku, row.qty))
            .collect()
    }

    /// (held_through, record count) for a till.
    pub fn held(&self, till: &Till) -> (u64, u64) {
        let credential = till.enrolment().credential;
        let lookup = credential.split('.').nth(1).unwrap().to_owned();
        self.rt.block_on(async {
            let stored = self.db.credential(&lookup).await.unwrap().unwrap();
            let pk = stored.identity.terminal_pk;
            (
                self.db.held_through(pk).await.unwrap(),
                self.db.record_count(pk).await.unwrap(),
            )
        })
    }

    /// (entries received, verified?) of a till's journal at head office.
    pub fn journal(&self, till: &Till) -> (u64, String) {
        let rows = self.rt.block_on(self.db.journals(TENANT)).unwrap();
        let row = rows
            .into_iter()
            .find(|r| r.terminal_id == till.terminal_id)
            .unwrap();
        (
            row.state.entries_received,
            format!("{:?}", row.state.status),
        )
    }

    /// Sale documents counted in the sales projection of `store`.
    pub fn sale_documents(&self, store: &str) -> i64 {
        self.rt
            .block_on(self.db.sales(TENANT, "2000-01-01", "2999-12-31"))
            .unwrap()
            .into_iter()
            .filter(|r| r.store_id == store)
            .map(|r| r.documents)
            .sum()
    }

    /// For the SQLite backend: a consistent copy of head office's database
    /// (`VACUUM INTO`, as a backup tool would take it while it runs).
    pub fn backup(&self) -> Option<PathBuf> {
        let path = self.spec.strip_prefix("sqlite:")?;
        let copy = self._dir.path().join(format!("backup-{}.db", now_ms()));
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.execute("VACUUM INTO ?1", [copy.to_str().unwrap()])
            .unwrap();
        Some(copy)
    }

    /// Head office restored from `backup`: a new server process on a copy
    /// of the backup (what it held since is gone).
    pub fn restore(&mut self, backup: &std::path::Path) {
        let restored = self._dir.path().join(format!("restored-{}.db", now_ms()));
        std::fs::copy(backup, &restored).unwrap();
        self.spec = format!("sqlite:{}", restored.display());
        self.restart();
    }

    /// The terminal list as head office's admin API shows it.
    pub fn terminal_statuses(&self) -> Vec<kasa_server::app::terminals::TerminalStatus> {
        self.rt
            .block_on(kasa_server::app::terminals::terminal_statuses(
                self.db.as_ref(),
                TENANT,
                now_ms(),
            ))
            .unwrap()
    }

    /// For the SQLite backend: (seq, id) of every record held for a terminal.
    pub fn record_ids(&self, terminal_id: &str) -> Option<Vec<(u64, String)>> {
        let path = self.spec.strip_prefix("sqlite:")?;
        let conn = rusqlite::Connection::open(path).unwrap();
        let mut stmt = conn
            .prepare(
                "SELECT r.seq, r.id FROM records r JOIN terminals t ON t.pk = r.terminal_pk
                 WHERE t.terminal_id = ?1 ORDER BY r.seq",
            )
            .unwrap();
        let rows = stmt
            .query_map([terminal_id], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get::<_, String>(1)?))
            })
            .unwrap();
        Some(rows.map(Result::unwrap).collect())
    }
}

impl Drop for HeadOffice {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

fn now() -> chrono::NaiveDateTime {
    Utc::now().naive_utc()
}

pub fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

const CATALOG: &str = "sku,name,group,brand,unit,vat_class,price,cost,barcodes,plu,status,tracks_batches,markup_percent
BREAD,Хляб,Хлебни,,piece,standard,1.80,1.20,,,ACTIVE,false,
MILK,Мляко,Млечни,,piece,standard,2.50,1.70,,,ACTIVE,false,
WINE,Вино,Напитки,,piece,standard,12.00,7.00,,,ACTIVE,false,
BOOK,Книга,Книги,,piece,reduced,15.00,9.00,,,ACTIVE,false,
";

const SKUS: [&str; 4] = ["BREAD", "MILK", "WINE", "BOOK"];

/// A till: a temp SQLite file, a catalog, a cashier (PIN 1111), an open shift.
pub struct Till {
    pub _dir: tempfile::TempDir,
    pub path: PathBuf,
    pub store: Option<Store>,
    pub settings: TillSettings,
    pub store_id: String,
    pub terminal_id: String,
    sales: u64,
}

impl Till {
    pub fn new(store_id: &str, terminal_id: &str) -> Till {
        let TestTill {
            path,
            store,
            settings,
            dir,
        } = TestTill::setup(store_id, terminal_id)
            .products_csv(CATALOG)
            .user("ana", "Ана", Role::Cashier, "1111")
            .shift_opened_by("1111", Money(Decimal::new(10_000, 2)))
            .build();
        Till {
            _dir: dir,
            path,
            store: Some(store),
            settings,
            store_id: store_id.to_owned(),
            terminal_id: terminal_id.to_owned(),
            sales: 0,
        }
    }

    pub fn store(&mut self) -> &mut Store {
        self.store.as_mut().unwrap()
    }

    /// A copy of this till's database as it is now, as a second till (a
    /// backup restored later, or a disk image cloned to another machine).
    pub fn copy(&self) -> Till {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("till.sqlite");
        self.store
            .as_ref()
            .unwrap()
            .conn()
            .execute("VACUUM INTO ?1", [path.to_str().unwrap()])
            .unwrap();
        Till {
            _dir: dir,
            store: Some(Store::open(&path).unwrap()),
            path,
            settings: self.settings.clone(),
            store_id: self.store_id.clone(),
            terminal_id: self.terminal_id.clone(),
            sales: self.sales,
        }
    }

    /// Close the database and open it again, as a restarted till would.
    pub fn restart(&mut self) {
        self.store = None;
        self.store = Some(Store::open(&self.path).unwrap());
    }

    /// `n` real sales of varying products and quantities, paid in cash or by card.
    pub fn sell(&mut self, n: usize) {
        for _ in 0..n {
            self.sales += 1;
            let k = self.sales as usize;
            let lines: Vec<Value> = (0..1 + k % 3)
                .map(|i| json!({"sku": SKUS[(k + i) % SKUS.len()], "qty": format!("{}", 1 + (k + i) % 4)}))
                .collect();
            let tender = if k.is_multiple_of(2) { "cash" } else { "card" };
            let script: SaleScript = serde_json::from_value(json!({
                "cashier_pin": "1111",
                "lines": lines,
                "tenders": [{"kind": tender}]
            }))
            .unwrap();
            let settings = self.settings.clone();
            let done = run_sale_script(self.store(), &settings, &script, now()).unwrap();
            assert_eq!(done.status, "completed");
        }
    }

    pub fn enrol(&mut self, office: &HeadOffice) {
        let code = office.code(&self.store_id);
        let url = office.url();
        sync::enrol(self.store(), &url, &code).unwrap();
    }

    pub fn enrolment(&self) -> sync::Enrolment {
        sync::enrolment(self.store.as_ref().unwrap().conn())
            .unwrap()
            .unwrap()
    }

    pub fn round(&mut self) -> Result<RoundReport, SyncError> {
        sync::sync_round(self.store(), &SyncOptions::default())
    }

    pub fn round_with(&mut self, options: &SyncOptions) -> Result<RoundReport, SyncError> {
        sync::sync_round(self.store(), options)
    }

    pub fn status(&self) -> sync::SyncStatus {
        sync::status(self.store.as_ref().unwrap().conn(), Utc::now()).unwrap()
    }

    /// Σ qty per SKU of every movement of every stored document.
    pub fn movements(&self) -> BTreeMap<String, Decimal> {
        let conn = self.store.as_ref().unwrap().conn();
        let mut stmt = conn.prepare("SELECT payload FROM documents").unwrap();
        let docs: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let mut sums: BTreeMap<String, Decimal> = BTreeMap::new();
        for doc in docs {
            let doc: StoredDocument = serde_json::from_str(&doc).unwrap();
            for m in doc.movements {
                *sums.entry(m.sku).or_default() += m.qty;
            }
        }
        sums.retain(|_, q| !q.is_zero());
        sums
    }

    /// (seq, id) of the till's wire series.
    pub fn record_ids(&self) -> Vec<(u64, String)> {
        let conn = self.store.as_ref().unwrap().conn();
        let mut stmt = conn
            .prepare("SELECT seq, record_id FROM sync_records ORDER BY seq")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    /// Count of one kind in the till's series.
    pub fn count_kind(&self, kind: &str) -> u64 {
        self.store
            .as_ref()
            .unwrap()
            .conn()
            .query_row(
                "SELECT COUNT(*) FROM sync_records WHERE kind = ?1",
                [kind],
                |r| r.get::<_, i64>(0),
            )
            .unwrap() as u64
    }

    /// Documents of a type on the till.
    pub fn count_documents(&self, doc_type: &str) -> i64 {
        self.store
            .as_ref()
            .unwrap()
            .conn()
            .query_row(
                "SELECT COUNT(*) FROM documents WHERE doc_type = ?1",
                [doc_type],
                |r| r.get(0),
            )
            .unwrap()
    }
}

/// A head-office endpoint served over TLS (rustls) beside the plain one;
/// stops when dropped.
pub struct TlsEndpoint {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl TlsEndpoint {
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }
}

impl Drop for TlsEndpoint {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl HeadOffice {
    /// Serve the same database over https on another port with `pki`'s
    /// server certificate (as `kasa-server serve --tls-cert --tls-key`).
    pub fn serve_tls(&self, pki: &TestPki) -> TlsEndpoint {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let state = AppState::new(self.db.clone(), ServerConfig::default());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (cert, key) = (pki.cert.clone(), pki.key.clone());
        self.rt.spawn(async move {
            kasa_server::serve_tls(listener, state, &cert, &key, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        TlsEndpoint {
            addr,
            stop: Some(stop),
        }
    }
}

/// A private CA and a server certificate it signed for 127.0.0.1 and
/// `localhost`, made fresh for a test (PEM files in a temp dir).
pub struct TestPki {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
    _dir: tempfile::TempDir,
}

impl TestPki {
    pub fn new(ca_name: &str) -> TestPki {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
        };
        let dir = tempfile::tempdir().unwrap();
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params
            .distinguished_name
            .push(DnType::CommonName, ca_name);
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca_params, ca_key);
        let server_key = KeyPair::generate().unwrap();
        let server_params =
            CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
        let server_cert = server_params.signed_by(&server_key, &issuer).unwrap();
        let pki = TestPki {
            ca: dir.path().join("ca.pem"),
            cert: dir.path().join("server.pem"),
            key: dir.path().join("server.key"),
            _dir: dir,
        };
        std::fs::write(&pki.ca, ca_cert.pem()).unwrap();
        std::fs::write(&pki.cert, server_cert.pem()).unwrap();
        std::fs::write(&pki.key, server_key.serialize_pem()).unwrap();
        pki
    }
}

/// Head office holds exactly `till`'s series once (same sequences and ids),
/// its stock projection of the till's store equals the sum of the till's
/// movements (when it is the store's only till), the journal verifies and
/// nothing is left queued on the till.
pub fn assert_till_delivered_once(office: &HeadOffice, till: &Till) {
    assert_series_delivered(office, till);
    assert_eq!(office.stock(&till.store_id), till.movements(), "stock");
}

/// Head office holds `till`'s gapless series exactly once (same sequences
/// and ids), its journal verifies there, and the till has nothing queued.
pub fn assert_series_delivered(office: &HeadOffice, till: &Till) {
    let local = till.record_ids();
    let last = local.last().map_or(0, |(seq, _)| *seq);
    assert_eq!(local.len() as u64, last, "the till's series is gapless");
    assert_eq!(
        office.held(till),
        (last, last),
        "{}/{}: head office holds every record once",
        till.store_id,
        till.terminal_id
    );
    if let Some(held) = office.record_ids(&till.terminal_id) {
        assert_eq!(held, local, "same sequences and ids at head office");
    }
    let (entries, status) = office.journal(till);
    assert_eq!(entries, till.count_kind("journal_entry"));
    assert_eq!(status, "Verified", "the hash chain verifies at head office");
    let status = till.status();
    assert_eq!(
        (status.records_queued, status.documents_queued),
        (0, 0),
        "{status:?}"
    );
    assert_eq!(status.server_acked_seq, last);
}

/// `kasa …` as the CLI runs it (in-process), on `till`'s database; the exit code.
pub fn kasa(till: &Till, args: &[&str]) -> i32 {
    use clap::Parser;
    let db = till.path.to_str().unwrap().to_owned();
    let mut argv = vec!["kasa", "--db", db.as_str()];
    argv.extend_from_slice(args);
    kasa_terminal::cli::main_with(kasa_terminal::cli::Cli::parse_from(argv))
}

/// A bench size from the environment (`name`), or `default`.
pub fn env_number<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Head office for a bench: PostgreSQL with `KASA_BENCH_BACKEND=postgres`
/// (in the cluster of `KASA_TEST_POSTGRES_URL`), SQLite otherwise; exits
/// with 2 when PostgreSQL is asked for and there is no cluster.
pub fn bench_head_office() -> (Backend, HeadOffice) {
    let backend = match std::env::var("KASA_BENCH_BACKEND").as_deref() {
        Ok("postgres") => Backend::Postgres,
        _ => Backend::Sqlite,
    };
    let office = HeadOffice::start(backend).unwrap_or_else(|| {
        eprintln!("PostgreSQL asked for but KASA_TEST_POSTGRES_URL is unset");
        std::process::exit(2);
    });
    (backend, office)
}

fn input((entity, key, data): (Entity, &str, Option<Value>)) -> ChangeInput {
    ChangeInput {
        entity,
        key: key.to_owned(),
        op: if data.is_some() {
            ChangeOp::Upsert
        } else {
            ChangeOp::Delete
        },
        data: data.unwrap_or(Value::Null),
    }
}
