//! `--demo`'s head office: `kasa-server` as a library, in this process,
//! over an SQLite file in `<data-dir>/head-office/`, listening on
//! 127.0.0.1 only — the demo port [`DEMO_PORT`] when it is free, else any
//! free port. The till is enrolled with it on the first run (tenant
//! [`DEMO_TENANT`], the till's store, a single-use code made through the
//! server's library API and exchanged by `kasa_terminal::sync::enrol`, the
//! same path a real till takes), so the README's one command shows a till
//! that syncs, with no other process.
//!
//! Decisions:
//! - The admin API is on, with a random token written to
//!   `<data-dir>/head-office/admin-token` (mode 0600) and kept across runs,
//!   so a person (or the end-to-end test) can read the reports with `curl`.
//! - When the demo port is taken on a later run, the server listens
//!   elsewhere and the till's stored server URL is moved to it (only when it
//!   points at 127.0.0.1: a demo till enrolled with a real head office keeps
//!   it).
//! - Its own tokio runtime (one worker): the server's lifetime is the
//!   app's, and stopping it never depends on the window's event loop.

use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};

use kasa_terminal::store::Store;
use tokio::sync::oneshot;

use crate::error::{ApiError, ApiResult};

/// The port the demo head office prefers.
pub const DEMO_PORT: u16 = 8765;
/// The demo tenant.
pub const DEMO_TENANT: &str = "demo";
/// The admin token's file inside the head-office directory.
pub const ADMIN_TOKEN_FILE: &str = "admin-token";

/// A running in-process head office.
#[derive(Debug)]
pub struct DemoHeadOffice {
    dir: PathBuf,
    addr: SocketAddr,
    db: std::sync::Arc<dyn kasa_server::Database>,
    runtime: Option<tokio::runtime::Runtime>,
    shutdown: Option<oneshot::Sender<()>>,
}

fn failed(what: &str, e: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        "desktop.demo_head_office",
        format!(
            "the demo head office cannot {what} ({e}) — the till keeps selling and queues its \
             records; check the data directory, or run without --demo"
        ),
    )
}

/// The admin token in `dir`, made (random, 256 bits, mode 0600) if missing.
pub fn admin_token(dir: &Path) -> ApiResult<String> {
    let path = dir.join(ADMIN_TOKEN_FILE);
    if let Ok(text) = std::fs::read_to_string(&path)
        && !text.trim().is_empty()
    {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| failed("keep its admin token private", e))?;
        }
        return Ok(text.trim().to_string());
    }
    let token = hex::encode(rand::random::<[u8; 32]>());
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&path)
        .map_err(|e| failed("write its admin token", e))?;
    file.write_all(token.as_bytes())
        .map_err(|e| failed("write its admin token", e))?;
    Ok(token)
}

fn bind() -> ApiResult<TcpListener> {
    TcpListener::bind(("127.0.0.1", DEMO_PORT))
        .or_else(|_| TcpListener::bind(("127.0.0.1", 0)))
        .map_err(|e| failed("listen on 127.0.0.1", e))
}

impl DemoHeadOffice {
    /// Start it over `<data_dir>/head-office/` (made if missing).
    pub fn start(data_dir: &Path) -> ApiResult<DemoHeadOffice> {
        let dir = data_dir.join("head-office");
        std::fs::create_dir_all(&dir).map_err(|e| failed("create its directory", e))?;
        let token = admin_token(&dir)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("kasa-head-office")
            .enable_all()
            .build()
            .map_err(|e| failed("start its runtime", e))?;
        let spec = format!("sqlite:{}", dir.join("kasa-server.sqlite").display());
        let db = runtime
            .block_on(async {
                let db = kasa_server::db::open(&spec).await?;
                db.migrate().await?;
                Ok::<_, kasa_server::DbError>(db)
            })
            .map_err(|e| failed("open its database", e))?;
        let listener = bind()?;
        let addr = listener
            .local_addr()
            .map_err(|e| failed("listen on 127.0.0.1", e))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| failed("listen on 127.0.0.1", e))?;
        let config = kasa_server::ServerConfig {
            listen: addr.to_string(),
            database: spec,
            admin_token: Some(token),
            ..kasa_server::ServerConfig::default()
        };
        let state = kasa_server::AppState::new(db.clone(), config);
        let (shutdown, stopped) = oneshot::channel::<()>();
        runtime.spawn(async move {
            let served = match tokio::net::TcpListener::from_std(listener) {
                Ok(listener) => {
                    kasa_server::serve(listener, state, async {
                        let _ = stopped.await;
                    })
                    .await
                }
                Err(e) => Err(e),
            };
            if let Err(e) = served {
                eprintln!("kasa-desktop: the demo head office stopped: {e}");
            }
        });
        Ok(DemoHeadOffice {
            dir,
            addr,
            db,
            runtime: Some(runtime),
            shutdown: Some(shutdown),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Its directory (`<data-dir>/head-office`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A single-use enrolment code for `store_id` of the demo tenant,
    /// creating the tenant and the store if they do not exist yet.
    pub fn enrolment_code(&self, store_id: &str) -> ApiResult<String> {
        let runtime = self
            .runtime
            .as_ref()
            .ok_or_else(|| failed("run", "stopped"))?;
        let db = self.db.clone();
        runtime.block_on(async {
            let now = kasa_server::app::now_ms();
            let exists =
                |e: &kasa_server::DbError| matches!(e, kasa_server::DbError::AlreadyExists { .. });
            match db.create_tenant(DEMO_TENANT, "Demo", now).await {
                Err(e) if !exists(&e) => return Err(failed("create the demo tenant", e)),
                _ => {}
            }
            match db
                .create_store(DEMO_TENANT, store_id, "Demo store", now)
                .await
            {
                Err(e) if !exists(&e) => return Err(failed("create the demo store", e)),
                _ => {}
            }
            kasa_server::app::admin::issue_code(db.as_ref(), DEMO_TENANT, store_id, 60)
                .await
                .map(|issued| issued.code)
                .map_err(|e| failed("issue an enrolment code", e.message))
        })
    }

    /// A report of the demo tenant as JSON (`sales`, `terminals`, …), as
    /// the admin API serves it.
    pub fn report(&self, kind: kasa_server::report::ReportKind) -> ApiResult<String> {
        let runtime = self
            .runtime
            .as_ref()
            .ok_or_else(|| failed("run", "stopped"))?;
        runtime
            .block_on(kasa_server::report::report(
                self.db.as_ref(),
                DEMO_TENANT,
                kind,
                &kasa_server::report::ReportFilter::default(),
                kasa_server::report::Format::Json,
                kasa_server::app::now_ms(),
            ))
            .map_err(|e| failed("read its reports", e))
    }

    /// Connect the till at `db_path` to this head office: enrol it on the
    /// first run, follow a changed port on later runs.
    pub fn connect_till(&self, db_path: &Path) -> ApiResult<()> {
        let mut store = Store::open(db_path)?;
        let url = self.url();
        match kasa_terminal::sync::enrolment(store.conn()).map_err(|e| ApiError::of(&e))? {
            Some(enrolled) if enrolled.server_url == url => Ok(()),
            Some(enrolled) if enrolled.server_url.starts_with("http://127.0.0.1:") => {
                kasa_terminal::sync::set_server_url(&mut store, &url).map_err(|e| ApiError::of(&e))
            }
            Some(_) => Ok(()),
            None => {
                let settings = kasa_terminal::settings::load(store.conn())?;
                let code = self.enrolment_code(&settings.store_id)?;
                kasa_terminal::sync::enrol(&mut store, &url, &code)
                    .map(|_| ())
                    .map_err(|e| ApiError::of(&e))
            }
        }
    }

    /// Stop serving (open requests get two seconds).
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(std::time::Duration::from_secs(2));
        }
    }
}

impl Drop for DemoHeadOffice {
    fn drop(&mut self) {
        self.halt();
    }
}
