//! The till's sync with head office inside the app: the background loop
//! (`kasa_terminal::sync::SyncLoop`), what starts and kicks it, and the
//! typed `sync-status` event.
//!
//! Rules:
//! - The loop runs only on an enrolled till. A till that is not enrolled has
//!   nothing to retry — every round would fail with `sync.not_enrolled` — so
//!   no loop runs and the status says `not_enrolled` until the manager
//!   enrols it (Sync screen or `kasa sync enrol`); enrolling starts the loop.
//! - A document written by the till kicks the loop right after the command
//!   that wrote it: the till's own connection has an SQLite update hook that
//!   notes inserts into `outbox`, and [`crate::state::TillGuard`] kicks when
//!   the command releases the till — after its transaction committed, so
//!   the round always sees the new rows. Every document (sale, return,
//!   shift open/close, cash movement, count, delivery) goes through the
//!   outbox, so none is missed, and commands that write none (scans,
//!   searches) cost nothing.
//! - Online / offline is whether the loop's last round reached head office
//!   and completed (never the OS network state); before this run's first
//!   round it is the outcome stored by the last round of an earlier run.
//! - The status publisher thread reads `kasa_terminal::sync::status` on a
//!   read-only connection of its own (it never waits on a sale) after each
//!   round and at least every second, and emits `sync-status` when the
//!   view changes.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

use kasa_terminal::store::Store;
use kasa_terminal::sync::background::LoopState;
use kasa_terminal::sync::{BackoffPolicy, SyncLoop, SyncOptions, SyncStatus};
use rusqlite::Connection;

use crate::dto::SyncStatusView;
use crate::error::{ApiError, ApiResult};

/// How often the status is re-read when nothing happens (ages move on).
const STATUS_TICK: Duration = Duration::from_secs(1);
/// How long stopping waits for others to let go of the loop.
const STOP_WAIT: Duration = Duration::from_secs(3);
/// How long "Sync now" waits for its round.
pub const SYNC_NOW_TIMEOUT: Duration = Duration::from_secs(60);

/// The app's sync: the loop (when enrolled) and what the UI is told.
#[derive(Debug)]
pub struct TillSync {
    db_path: PathBuf,
    options: SyncOptions,
    policy: BackoffPolicy,
    running: Mutex<Option<Arc<SyncLoop>>>,
    /// Set by the till connection's update hook on an outbox insert.
    outbox_written: Arc<AtomicBool>,
    /// Wakes the status publisher (a document was written, the till enrolled).
    poke: (Mutex<u64>, Condvar),
    /// An error outside any round (the demo head office did not start,
    /// enrolment failed), shown until a round succeeds.
    local_error: Mutex<Option<ApiError>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl TillSync {
    /// Sync of the till database at `db_path` (nothing runs yet).
    pub fn new(db_path: &Path, options: SyncOptions, policy: BackoffPolicy) -> Arc<TillSync> {
        Arc::new(TillSync {
            db_path: db_path.to_path_buf(),
            options,
            policy,
            running: Mutex::new(None),
            outbox_written: Arc::new(AtomicBool::new(false)),
            poke: (Mutex::new(0), Condvar::new()),
            local_error: Mutex::new(None),
        })
    }

    /// Note outbox inserts made on `conn` (the till's connection).
    pub fn watch_outbox(&self, conn: &Connection) {
        let flag = self.outbox_written.clone();
        conn.update_hook(Some(
            move |action: rusqlite::hooks::Action, _db: &str, table: &str, _rowid: i64| {
                if action == rusqlite::hooks::Action::SQLITE_INSERT && table == "outbox" {
                    flag.store(true, Ordering::Release);
                }
            },
        ));
    }

    /// Called when a command released the till: kick the loop if the
    /// command wrote a document.
    pub fn after_command(&self) {
        if self.outbox_written.swap(false, Ordering::AcqRel) {
            self.kick();
        }
    }

    /// Run a round now (if the loop runs) and refresh the status.
    pub fn kick(&self) {
        if let Some(running) = self.current() {
            running.kick();
        }
        self.refresh();
    }

    /// Have the publisher read the status again now.
    fn refresh(&self) {
        let (count, wake) = &self.poke;
        *lock(count) += 1;
        wake.notify_all();
    }

    fn current(&self) -> Option<Arc<SyncLoop>> {
        lock(&self.running).clone()
    }

    /// The loop's state (`None` when no loop runs).
    pub fn loop_state(&self) -> Option<LoopState> {
        self.current().map(|l| l.state())
    }

    /// Wait until the loop ran `rounds` rounds or `timeout` passed.
    pub fn wait_for_rounds(&self, rounds: u64, timeout: Duration) -> Option<LoopState> {
        self.current().map(|l| l.wait_for_rounds(rounds, timeout))
    }

    /// Whether the loop runs.
    pub fn is_running(&self) -> bool {
        lock(&self.running).is_some()
    }

    /// Start the loop if the till is enrolled and it does not run yet;
    /// returns whether it runs.
    pub fn start_if_enrolled(&self) -> ApiResult<bool> {
        let store = Store::open(&self.db_path)?;
        let enrolled = kasa_terminal::sync::enrolment(store.conn())
            .map_err(|e| ApiError::of(&e))?
            .is_some();
        drop(store);
        if enrolled {
            let mut running = lock(&self.running);
            if running.is_none() {
                *running = Some(Arc::new(SyncLoop::start(
                    &self.db_path,
                    self.options.clone(),
                    self.policy,
                )));
            }
        }
        // a new loop starts with a round; no kick (it would queue a second)
        self.refresh();
        Ok(enrolled)
    }

    /// Enrol the till with head office at `server_url` with a single-use
    /// `code`, then start the loop.
    pub fn enrol(&self, server_url: &str, code: &str) -> ApiResult<()> {
        let mut store = Store::open(&self.db_path)?;
        kasa_terminal::sync::enrol(&mut store, server_url.trim(), code)
            .map_err(|e| ApiError::of(&e))?;
        drop(store);
        self.set_local_error(None);
        self.start_if_enrolled()?;
        Ok(())
    }

    /// Kick the loop and wait for its next round (at most `timeout`).
    pub fn sync_now(&self, timeout: Duration) -> ApiResult<()> {
        let running = self.current().ok_or_else(not_enrolled)?;
        let before = running.state().rounds;
        running.kick();
        running.wait_for_rounds(before + 1, timeout);
        self.refresh();
        Ok(())
    }

    /// Note (or clear) an error outside the rounds.
    pub fn set_local_error(&self, error: Option<ApiError>) {
        *lock(&self.local_error) = error;
        self.refresh();
    }

    /// Stop the loop (after its current round) and wait for it. The
    /// publisher and "Sync now" hold the loop only while they wait on it
    /// (at most [`STATUS_TICK`] for the publisher); a "Sync now" still
    /// waiting after [`STOP_WAIT`] is left to the process's end. Returns
    /// whether a loop was stopped and joined here.
    pub fn stop(&self) -> bool {
        let Some(mut running) = lock(&self.running).take() else {
            return false;
        };
        let deadline = std::time::Instant::now() + STOP_WAIT;
        loop {
            match Arc::try_unwrap(running) {
                Ok(owned) => {
                    owned.stop();
                    return true;
                }
                Err(shared) if std::time::Instant::now() >= deadline => {
                    eprintln!("kasa-desktop: the sync loop is still in use at exit; not waiting");
                    drop(shared);
                    return false;
                }
                Err(shared) => {
                    running = shared;
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
        }
    }

    /// The status now, read on `conn`.
    pub fn view(&self, conn: &Connection) -> ApiResult<SyncStatusView> {
        let status =
            kasa_terminal::sync::status(conn, chrono::Utc::now()).map_err(|e| ApiError::of(&e))?;
        let looped = self.current().map(|l| l.state());
        let local = lock(&self.local_error).clone();
        Ok(view_of(&status, looped.as_ref(), local.as_ref()))
    }

    /// Wait until a round completes, something pokes, or the tick passes.
    fn wait_for_news(&self, seen_rounds: &mut u64, seen_pokes: &mut u64) {
        if let Some(running) = self.current() {
            let state = running.wait_for_rounds(*seen_rounds + 1, STATUS_TICK);
            *seen_rounds = state.rounds;
            return;
        }
        let (count, wake) = &self.poke;
        let guard = lock(count);
        let (guard, _) = wake
            .wait_timeout_while(guard, STATUS_TICK, |c| *c == *seen_pokes)
            .unwrap_or_else(PoisonError::into_inner);
        *seen_pokes = *guard;
    }

    /// Publish `sync-status` whenever it changes, on a thread of its own.
    pub fn spawn_publisher(self: &Arc<Self>, emit: impl Fn(&SyncStatusView) + Send + 'static) {
        let sync = self.clone();
        let spawned = std::thread::Builder::new()
            .name("kasa-sync-status".into())
            .spawn(move || {
                let mut conn: Option<Connection> = None;
                let mut last: Option<SyncStatusView> = None;
                let (mut rounds, mut pokes) = (0u64, 0u64);
                loop {
                    if conn.is_none() {
                        conn = Connection::open_with_flags(
                            &sync.db_path,
                            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
                        )
                        .ok();
                    }
                    if let Some(c) = &conn {
                        match sync.view(c) {
                            Ok(view) if last.as_ref() != Some(&view) => {
                                emit(&view);
                                last = Some(view);
                            }
                            Ok(_) => {}
                            Err(_) => conn = None,
                        }
                    }
                    sync.wait_for_news(&mut rounds, &mut pokes);
                }
            });
        if let Err(e) = spawned {
            eprintln!("kasa-desktop: cannot start the sync status thread: {e}");
        }
    }
}

fn not_enrolled() -> ApiError {
    ApiError::new(
        "sync.not_enrolled",
        "this till is not enrolled with head office — on the Sync screen, enter head office's \
         address and an enrolment code from head office, then Enrol",
    )
}

fn small(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The view of the stored status and the loop's state. `looped` is `None`
/// when no loop runs; `local` is an error outside the rounds.
pub fn view_of(
    status: &SyncStatus,
    looped: Option<&LoopState>,
    local: Option<&ApiError>,
) -> SyncStatusView {
    let online = match looped {
        Some(l) if l.rounds > 0 => l.online,
        Some(_) => status.online,
        None => false,
    };
    let state = if !status.enrolled {
        "not_enrolled"
    } else if status.fork.is_some() {
        // uploading stopped for good until the till is re-enrolled
        "forked"
    } else if online {
        "online"
    } else if status.last_attempt_at.is_none() {
        "never_synced"
    } else {
        "offline"
    };
    let (last_error_code, last_error) = match (&status.last_error_code, local) {
        _ if status.fork.is_some() => (
            status.fork.as_ref().map(|f| f.code.clone()),
            status.fork.as_ref().map(|f| f.message.clone()),
        ),
        (Some(code), _) => (Some(code.clone()), status.last_error_message.clone()),
        (None, Some(e)) if !online => (Some(e.code.clone()), Some(e.message.clone())),
        _ => (None, None),
    };
    SyncStatusView {
        online,
        queued: small(status.records_queued),
        oldest_unsynced_at: status.oldest_unsynced_at.clone(),
        last_sync_at: status.last_success_at.clone(),
        last_error,
        state: state.to_string(),
        enrolled: status.enrolled,
        server_url: status.server_url.clone(),
        terminal_id: status.terminal_id.clone(),
        documents_queued: small(status.documents_queued),
        oldest_unsynced_age_seconds: status
            .oldest_unsynced_age_seconds
            .map(|s| small(s.max(0) as u64)),
        last_attempt_at: status.last_attempt_at.clone(),
        last_error_code,
        last_error_at: status.last_error_at.clone(),
        running: looped.is_some(),
        rounds: small(looped.map_or(0, |l| l.rounds)),
        consecutive_failures: looped.map_or(0, |l| l.failures),
    }
}

#[cfg(test)]
#[path = "sync_tests.rs"]
mod tests;
