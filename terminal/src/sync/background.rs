//! The background sync loop: one thread, its own database connection, one
//! round at a time.
//!
//! After a successful round it waits `interval_ms` (or until [`SyncLoop::kick`]
//! — e.g. right after a sale); after a failure it waits an exponentially
//! growing delay with full jitter ([`BackoffPolicy::delay_ms`]), so a
//! hundred tills coming back online after an outage do not all knock at
//! once. A thread, not tokio: the till has no async runtime, and a round is
//! sequential by design (the next batch waits for the previous ack).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use kasa_domain::ErrorCode;
use rand::Rng;
use serde::Serialize;

use super::{SyncOptions, sync_round};
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
struct Shared {
    state: LoopState,
    kicked: bool,
    stop: bool,
}

/// A running background loop; stops (and joins) on [`SyncLoop::stop`] or drop.
#[derive(Debug)]
pub struct SyncLoop {
    shared: Arc<(Mutex<Shared>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl SyncLoop {
    /// Start the loop on the till database at `db_path`.
    pub fn start(db_path: &Path, options: SyncOptions, policy: BackoffPolicy) -> SyncLoop {
        let shared = Arc::new((Mutex::new(Shared::default()), Condvar::new()));
        let path: PathBuf = db_path.to_path_buf();
        let inner = shared.clone();
        let thread = std::thread::Builder::new()
            .name("kasa-sync".to_owned())
            .spawn(move || run(&path, &options, policy, &inner))
            .ok();
        SyncLoop { shared, thread }
    }

    /// Run a round now (after a sale, or "Sync now" in the UI).
    pub fn kick(&self) {
        let (lock, wake) = &*self.shared;
        lock.lock().unwrap_or_else(PoisonError::into_inner).kicked = true;
        wake.notify_all();
    }

    /// What the loop last did.
    pub fn state(&self) -> LoopState {
        let (lock, _) = &*self.shared;
        lock.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .state
            .clone()
    }

    /// Wait until at least `rounds` rounds ran or `timeout` passed; returns the state.
    pub fn wait_for_rounds(&self, rounds: u64, timeout: Duration) -> LoopState {
        let (lock, wake) = &*self.shared;
        let guard = lock.lock().unwrap_or_else(PoisonError::into_inner);
        let (guard, _) = wake
            .wait_timeout_while(guard, timeout, |s| s.state.rounds < rounds)
            .unwrap_or_else(PoisonError::into_inner);
        guard.state.clone()
    }

    /// Stop after the current round and join the thread.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        {
            let (lock, wake) = &*self.shared;
            lock.lock().unwrap_or_else(PoisonError::into_inner).stop = true;
            wake.notify_all();
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for SyncLoop {
    fn drop(&mut self) {
        self.halt();
    }
}

fn run(
    path: &Path,
    options: &SyncOptions,
    policy: BackoffPolicy,
    shared: &(Mutex<Shared>, Condvar),
) {
    let (lock, wake) = shared;
    let mut rng = rand::rng();
    let mut store: Option<Store> = None;
    loop {
        if lock.lock().unwrap_or_else(PoisonError::into_inner).stop {
            return;
        }
        let outcome = match store.as_mut() {
            Some(store) => sync_round(store, options).map(|_| ()),
            None => match Store::open(path) {
                Ok(opened) => {
                    let store = store.insert(opened);
                    sync_round(store, options).map(|_| ())
                }
                Err(e) => Err(e.into()),
            },
        };
        let failures = {
            let mut guard = lock.lock().unwrap_or_else(PoisonError::into_inner);
            guard.state.rounds += 1;
            match &outcome {
                Ok(()) => {
                    guard.state.failures = 0;
                    guard.state.online = true;
                    guard.state.last_error_code = None;
                }
                Err(e) => {
                    guard.state.failures = guard.state.failures.saturating_add(1);
                    guard.state.online = false;
                    guard.state.last_error_code = Some(e.code().to_owned());
                }
            }
            wake.notify_all();
            guard.state.failures
        };
        let delay = Duration::from_millis(policy.delay_ms(failures, &mut rng));
        let guard = lock.lock().unwrap_or_else(PoisonError::into_inner);
        let (mut guard, _) = wake
            .wait_timeout_while(guard, delay, |s| !s.kicked && !s.stop)
            .unwrap_or_else(PoisonError::into_inner);
        guard.kicked = false;
    }
}
