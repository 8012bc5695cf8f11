//! Long-lived state, registered once with Tauri: the till session
//! ([`kasa_terminal::till::TillSession`]: the store, settings, who is
//! logged in, the open sale and count, the last receipt) behind one
//! `Mutex` — SQLite has one writer anyway and every command is a few
//! milliseconds — and the devices and the sync with head office
//! ([`crate::sync::TillSync`]).
//!
//! [`AppState::till`] hands out a [`TillGuard`]: when a command releases the
//! till after writing a document, the guard kicks the sync loop (see
//! `crate::sync` for why this is after the commit).

use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::NaiveDateTime;
use kasa_terminal::store::Store;
use kasa_terminal::till::TillSession;

use crate::devices::Devices;
use crate::error::{ApiError, ApiResult};
use crate::sync::TillSync;

/// Everything the commands share.
#[derive(Debug)]
pub struct AppState {
    till: Mutex<TillSession>,
    pub devices: Arc<Devices>,
    /// The background sync with head office.
    pub sync: Arc<TillSync>,
    /// The head office `--demo` runs in-process (stopped on exit).
    pub head_office: Mutex<Option<crate::demo_head_office::DemoHeadOffice>>,
    pub data_dir: PathBuf,
    pub demo: bool,
    /// When the process started (for the cold-start log line).
    pub started: std::time::Instant,
}

impl AppState {
    /// Open the store in `<data_dir>/kasa.db` (seeding the demo store when
    /// asked and empty) and the devices.
    pub fn open(data_dir: &Path, demo: bool, started: std::time::Instant) -> ApiResult<AppState> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            ApiError::new(
                "desktop.data_dir",
                format!(
                    "cannot create {} ({e}) — pass a writable --data-dir",
                    data_dir.display()
                ),
            )
        })?;
        let db = data_dir.join("kasa.db");
        if demo && crate::demo::is_empty(&db) {
            crate::demo::seed(&db)?;
        }
        let store = Store::open(&db)?;
        let settings = kasa_terminal::settings::load(store.conn()).map_err(|e| {
            let mut api = ApiError::of(&e);
            api.message = format!(
                "{} — initialise the till with `kasa init` and import a catalog, or start with --demo",
                api.message
            );
            api
        })?;
        let devices = Arc::new(Devices::open(data_dir, &db, demo)?);
        let sync = TillSync::new(
            &db,
            kasa_terminal::sync::SyncOptions::default(),
            kasa_terminal::sync::BackoffPolicy::default(),
        );
        sync.watch_outbox(store.conn());
        Ok(AppState {
            till: Mutex::new(TillSession::new(store, settings)),
            devices,
            sync,
            head_office: Mutex::new(None),
            data_dir: data_dir.to_path_buf(),
            demo,
            started,
        })
    }

    /// The till, locked. A panic in another command does not brick the
    /// till: the state is still consistent because every write is one
    /// SQLite transaction.
    pub fn till(&self) -> TillGuard<'_> {
        TillGuard {
            guard: Some(self.till.lock().unwrap_or_else(|p| p.into_inner())),
            sync: &self.sync,
        }
    }

    /// The till database's path.
    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join("kasa.db")
    }
}

/// The locked till; on release it kicks the sync loop if the command
/// wrote a document (after the lock is gone, so the commit is done).
#[derive(Debug)]
pub struct TillGuard<'a> {
    guard: Option<MutexGuard<'a, TillSession>>,
    sync: &'a TillSync,
}

impl Deref for TillGuard<'_> {
    type Target = TillSession;
    fn deref(&self) -> &TillSession {
        self.guard
            .as_deref()
            .expect("the till guard holds the lock until dropped")
    }
}

impl DerefMut for TillGuard<'_> {
    fn deref_mut(&mut self) -> &mut TillSession {
        self.guard
            .as_deref_mut()
            .expect("the till guard holds the lock until dropped")
    }
}

impl Drop for TillGuard<'_> {
    fn drop(&mut self) {
        self.guard.take();
        self.sync.after_command();
    }
}

/// The wall clock, UTC, as the till core takes it.
pub fn now() -> NaiveDateTime {
    chrono::Utc::now().naive_utc()
}
