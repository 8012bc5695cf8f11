//! The background sync loop: a tokio task, its own database connection, one
//! round at a time.
//!
//! After a successful round it waits `interval_ms` (or until [`SyncLoop::kick`]
//! — e.g. right after a sale); after a failure it waits an exponentially
//! growing delay with full jitter ([`BackoffPolicy::delay_ms`]), so a
//! hundred tills coming back online after an outage do not all knock at
//! once. Online / offline is whether the last round reached head office.
//!
//! Design: the task only schedules — `tokio::time::sleep` raced against a
//! [`tokio::sync::Notify`] for kicks and stop. A round itself is blocking
//! work (SQLite, and the blocking HTTP client of [`super::client`]) and runs
//! in `spawn_blocking` with the loop's connection moved in and back, so it
//! never stalls the runtime's workers (the desktop app's UI commands share
//! them). A kick during a round is remembered (`Notify` keeps one permit),
//! so the sale that kicked is sent right after the round in flight.
//!
//! [`SyncLoop::start`] brings its own single-threaded runtime on a thread
//! named `kasa-sync` (for callers without one); [`SyncLoop::spawn`] runs the
//! task on a runtime the caller already has (the desktop app's).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use kasa_domain::ErrorCode;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use tokio::sync::Notify;

use super::{SyncError, SyncOptions, sync_round};
use crate::store::Store;

/// How long to wait between rounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackoffPolicy {
    /// Wait after a successful round.
    pub interval_ms: u64,
    /// First retry delay after a failure.
    pub base_ms: u64,
    /// Longest retry delay.
    pub max_ms: u64,
}

impl Default for BackoffPolicy {
    fn default() -> Self {
        BackoffPolicy {
            interval_ms: 30_000,
            base_ms: 1_000,
            max_ms: 300_000,
        }
    }
}

impl BackoffPolicy {
    /// The upper bound of the delay after `failures` consecutive failures
    /// (`base · 2^(failures-1)`, capped at `max`).
    pub fn ceiling_ms(&self, failures: u32) -> u64 {
        if failures == 0 {
            return self.interval_ms;
        }
        let exponent = (failures - 1).min(32);
        self.base_ms
            .saturating_mul(1u64 << exponent)
            .min(self.max_ms)
    }

    /// The delay to wait: "full jitter" — uniform in `[ceiling/2, ceiling]`,
    /// so retries spread out but never come back sooner than half the ceiling.
    pub fn delay_ms(&self, failures: u32, rng: &mut impl Rng) -> u64 {
        let ceiling = self.ceiling_ms(failures);
        if failures == 0 || ceiling < 2 {
            return ceiling;
        }
        rng.random_range(ceiling / 2..=ceiling)
    }
}

/// What the loop last did (for the UI; the durable state is in the database).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LoopState {
    /// Rounds run.
    pub rounds: u64,
    /// Consecutive failures.
    pub failures: u32,
    /// The last round reached head office and completed.
    pub online: bool,
    /// Code of the last failure, if the last round failed.
    pub last_error_code: Option<String>,
}

#[derive(Debug, Default)]
struct Progress {
    state: LoopState,
    finished: bool,
}

/// What the task and the handle share.
#[derive(Debug, Default)]
struct Shared {
    progress: Mutex<Progress>,
    /// Signalled after every round and when the task ends (for the blocking waits).
    changed: Condvar,
    /// Wakes the task: a kick or a stop.
    wake: Notify,
    stop: AtomicBool,
}

impl Shared {
    fn progress(&self) -> MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A running background loop; stops on [`SyncLoop::stop`] or drop, after
/// the round in flight.
#[derive(Debug)]
pub struct SyncLoop {
    shared: Arc<Shared>,
    /// The runtime thread of [`SyncLoop::start`] (none with [`SyncLoop::spawn`]).
    thread: Option<JoinHandle<()>>,
}

impl SyncLoop {
    /// Start the loop on the till database at `db_path`, on its own
    /// single-threaded tokio runtime (thread `kasa-sync`).
    pub fn start(db_path: &Path, options: SyncOptions, policy: BackoffPolicy) -> SyncLoop {
        let shared = Arc::new(Shared::default());
        let path: PathBuf = db_path.to_path_buf();
        let inner = shared.clone();
        let thread = std::thread::Builder::new()
            .name("kasa-sync".to_owned())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_time()
                    .thread_name("kasa-sync-round")
                    .build();
                match runtime {
                    Ok(runtime) => runtime.block_on(run(path, options, policy, inner)),
                    Err(e) => finish_early(&inner, &e.to_string()),
                }
            });
        let thread = match thread {
            Ok(thread) => Some(thread),
            Err(e) => {
                finish_early(&shared, &e.to_string());
                None
            }
        };
        SyncLoop { shared, thread }
    }

    /// Start the loop as a task on `runtime` (an app that already runs
    /// tokio; the runtime needs its time driver enabled). Rounds run on the
    /// runtime's blocking threads.
    pub fn spawn(
        runtime: &tokio::runtime::Handle,
        db_path: &Path,
        options: SyncOptions,
        policy: BackoffPolicy,
    ) -> SyncLoop {
        let shared = Arc::new(Shared::default());
        runtime.spawn(run(db_path.to_path_buf(), options, policy, shared.clone()));
        SyncLoop {
            shared,
            thread: None,
        }
    }

    /// Run a round now (after a sale, or "Sync now" in the UI). A kick
    /// during a round runs another round right after it.
    pub fn kick(&self) {
        self.shared.wake.notify_one();
    }

    /// What the loop last did.
    pub fn state(&self) -> LoopState {
        self.shared.progress().state.clone()
    }

    /// Wait until at least `rounds` rounds ran (or the loop ended) or
    /// `timeout` passed; returns the state. Blocks the calling thread: call
    /// it from outside the runtime's workers.
    pub fn wait_for_rounds(&self, rounds: u64, timeout: Duration) -> LoopState {
        let guard = self.shared.progress();
        let (guard, _) = self
            .shared
            .changed
            .wait_timeout_while(guard, timeout, |p| p.state.rounds < rounds && !p.finished)
            .unwrap_or_else(PoisonError::into_inner);
        guard.state.clone()
    }

    /// Stop after the round in flight and wait for the loop to end. Blocks
    /// the calling thread until then (at most one round, bounded by the
    /// client's timeouts): do not call it on a current-thread runtime's
    /// own thread when the loop was [`SyncLoop::spawn`]ed there.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.wake.notify_one();
        match self.thread.take() {
            Some(thread) => {
                let _ = thread.join();
            }
            None => {
                let guard = self.shared.progress();
                drop(
                    self.shared
                        .changed
                        .wait_while(guard, |p| !p.finished)
                        .unwrap_or_else(PoisonError::into_inner),
                );
            }
        }
    }
}

impl Drop for SyncLoop {
    fn drop(&mut self) {
        self.halt();
    }
}

/// The loop could not even start: recorded as one failed round so waiters see why.
fn finish_early(shared: &Shared, detail: &str) {
    let mut progress = shared.progress();
    record(
        &mut progress.state,
        &Err(SyncError::RoundAborted {
            detail: format!("the sync loop cannot start: {detail}"),
        }),
    );
    progress.finished = true;
    shared.changed.notify_all();
}

fn record(state: &mut LoopState, outcome: &Result<(), SyncError>) {
    state.rounds += 1;
    match outcome {
        Ok(()) => {
            state.failures = 0;
            state.online = true;
            state.last_error_code = None;
        }
        Err(e) => {
            state.failures = state.failures.saturating_add(1);
            state.online = false;
            state.last_error_code = Some(e.code().to_owned());
        }
    }
}

/// One round on a blocking thread; the connection goes in and comes back.
fn round(
    path: &Path,
    store: Option<Store>,
    options: &SyncOptions,
) -> (Option<Store>, Result<(), SyncError>) {
    let mut store = match store {
        Some(store) => store,
        None => match Store::open(path) {
            Ok(store) => store,
            Err(e) => return (None, Err(e.into())),
        },
    };
    let outcome = sync_round(&mut store, options).map(|_| ());
    (Some(store), outcome)
}

/// Marks the loop finished however its task ends (also when the runtime
/// drops it at shutdown), so [`SyncLoop::stop`] never waits forever.
struct FinishOnDrop(Arc<Shared>);

impl Drop for FinishOnDrop {
    fn drop(&mut self) {
        self.0.progress().finished = true;
        self.0.changed.notify_all();
    }
}

async fn run(path: PathBuf, options: SyncOptions, policy: BackoffPolicy, shared: Arc<Shared>) {
    let _finish = FinishOnDrop(shared.clone());
    let path = Arc::new(path);
    let options = Arc::new(options);
    let mut rng = rand::rngs::StdRng::from_os_rng();
    let mut store: Option<Store> = None;
    while !shared.stop.load(Ordering::SeqCst) {
        let (round_path, round_options, taken) = (path.clone(), options.clone(), store.take());
        let outcome =
            match tokio::task::spawn_blocking(move || round(&round_path, taken, &round_options))
                .await
            {
                Ok((kept, outcome)) => {
                    store = kept;
                    outcome
                }
                // a panicking round loses its connection; the next round opens a fresh one
                Err(e) => Err(SyncError::RoundAborted {
                    detail: e.to_string(),
                }),
            };
        let failures = {
            let mut progress = shared.progress();
            record(&mut progress.state, &outcome);
            shared.changed.notify_all();
            progress.state.failures
        };
        let delay = Duration::from_millis(policy.delay_ms(failures, &mut rng));
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = shared.wake.notified() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use super::*;

    const HOUR_MS: u64 = 3_600_000;

    /// A till database that is not enrolled: every round fails at once with
    /// `sync.not_enrolled`, so the loop sits in its (hour-long) backoff.
    fn unenrolled_till() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("till.sqlite");
        Store::open(&path).unwrap();
        (dir, path)
    }

    fn hour_long_backoff() -> BackoffPolicy {
        BackoffPolicy {
            interval_ms: HOUR_MS,
            base_ms: HOUR_MS,
            max_ms: HOUR_MS,
        }
    }

    /// `stop` on another thread; whether it returned within a minute (it
    /// would take half an hour if it did not wake the loop's sleep).
    fn stops_promptly(running: SyncLoop) -> bool {
        let (done, stopped) = mpsc::channel();
        std::thread::spawn(move || {
            running.stop();
            let _ = done.send(());
        });
        stopped.recv_timeout(Duration::from_secs(60)).is_ok()
    }

    #[test]
    fn a_kick_cuts_the_backoff_short_and_stop_ends_the_wait() {
        let (_dir, path) = unenrolled_till();
        let running = SyncLoop::start(&path, SyncOptions::default(), hour_long_backoff());
        let state = running.wait_for_rounds(1, Duration::from_secs(60));
        assert_eq!(
            (state.rounds, state.failures, state.online),
            (1, 1, false),
            "{state:?}"
        );
        assert_eq!(state.last_error_code.as_deref(), Some("sync.not_enrolled"));
        running.kick();
        let state = running.wait_for_rounds(2, Duration::from_secs(60));
        assert_eq!((state.rounds, state.failures), (2, 2), "{state:?}");
        assert!(stops_promptly(running), "stop waited out the backoff");
    }

    #[test]
    fn a_loop_spawned_on_an_apps_runtime_ends_with_that_runtime() {
        let (_dir, path) = unenrolled_till();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let running = SyncLoop::spawn(
            runtime.handle(),
            &path,
            SyncOptions::default(),
            hour_long_backoff(),
        );
        assert_eq!(
            running.wait_for_rounds(1, Duration::from_secs(60)).rounds,
            1
        );
        // the app shuts its runtime down while the loop sleeps: the task is dropped
        drop(runtime);
        let state = running.wait_for_rounds(2, Duration::from_secs(60));
        assert_eq!(state.rounds, 1, "no round after the runtime went away");
        assert!(
            stops_promptly(running),
            "stop waited for a task that is gone"
        );
    }
}
