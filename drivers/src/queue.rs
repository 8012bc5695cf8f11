//! The persistent print queue: receipts wait here until a printer took them.
//!
//! ## Storage
//! A spool directory with one JSON file per job (`job-0000000042.json`),
//! written atomically (temp file + fsync + rename + directory fsync; see
//! [`spool`]). A spool directory rather than SQLite: jobs are independent,
//! small and few, a file per job needs no new dependency in the drivers
//! crate, and an operator can inspect or delete a stuck job with `ls`/`rm`.
//!
//! ## Life of a job
//! `Queued → Printing → Printed`, or back to `Queued` after a failed attempt
//! (with `last_error` and a later `next_attempt_at_ms`), or `Failed` when the
//! error cannot heal by waiting (bad URI, no permission) or after
//! `max_attempts`. [`PrintQueue::retry`] puts a failed job back.
//! [`PrintQueue::enqueue`] only writes the job file and wakes the worker; it
//! never touches the printer, so a dead printer never blocks the till.
//! [`PrintQueue::print_in_order`] prints on the caller's thread what is
//! queued for a printer up to a job, oldest first ([`in_order`]); a job is
//! deleted with [`PrintQueue::remove`]. Ids are claimed on disk, so two
//! processes sharing a spool never give two jobs one id.
//! The worker thread prints jobs one at a time, per printer in id order
//! (a later receipt never overtakes an earlier one on the same printer;
//! jobs for other printers are not held up).
//!
//! ## Retry backoff
//! After the n-th failed attempt the next one is due after
//! `min(base_backoff_ms × 2^(n−1), max_backoff_ms)` — defaults 1 s doubling
//! to a cap of 60 s, and `Failed` after 30 attempts (≈ 25 minutes).
//!
//! ## Exactly-once, and why a crash reprints
//! A job is marked `Printing` (on disk) before the first byte is sent and
//! `Printed` (on disk) only after the last byte was written and the printer's
//! status afterwards shows no error ([`ReceiptPrinter::print_bytes`]). A
//! failed attempt reprints the whole job. After a crash, a job found in
//! `Printing` goes back to `Queued` and is printed again. So every job is
//! printed at least once and, unless the till dies or the printer fails
//! during the job, exactly once. That is the right trade-off for a receipt:
//! the sale is already committed, the customer and the law need a receipt,
//! and a printer that loses a job is the failure users hate most; a rare
//! duplicate is visible and harmless (the journal, not the paper, is the
//! record), while a silently lost receipt is not recoverable. A printer
//! cannot tell us how much of an interrupted job it printed, so "at most
//! once" would mean losing receipts.
//!
//! ## Copies
//! A reprint is a new job with `copy = true`; when it prints, a
//! `*** COPY / КОПИЕ ***` banner is put in front of it ([`copy_banner`]).

mod in_order;
mod spool;

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::DriverError;
use crate::printer::{Block, Receipt, ReceiptPrinter, TextStyle, render};
use crate::printer::{CodePage, PaperWidth, PrinterProfile};
use crate::transport::{DeviceUri, Timeouts};

use spool::Spool;

/// Text of the banner put on reprints.
pub const COPY_BANNER: &str = "*** COPY / КОПИЕ ***";

/// What to print.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JobPayload {
    /// Ready ESC/POS bytes (stored hex-encoded).
    Bytes {
        #[serde(with = "hex_bytes")]
        bytes: Vec<u8>,
    },
    /// A receipt document, rendered for the job's profile when it prints.
    Receipt { receipt: Receipt },
}

mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::spool::to_hex(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        super::spool::from_hex(&text).ok_or_else(|| D::Error::custom("invalid hex bytes"))
    }
}

/// An error kept on a job: the stable code and the message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobError {
    pub code: String,
    pub message: String,
}

impl From<&DriverError> for JobError {
    fn from(e: &DriverError) -> Self {
        Self {
            code: e.code().to_string(),
            message: e.to_string(),
        }
    }
}

/// Where a job is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum JobState {
    Queued,
    Printing,
    Printed { printed_at_ms: u64 },
    Failed { error: JobError },
}

/// One print job, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrintJob {
    pub id: u64,
    /// Device URI of the printer (canonical form).
    pub printer: String,
    pub profile: PrinterProfile,
    pub payload: JobPayload,
    /// A reprint: printed with the COPY banner.
    pub copy: bool,
    pub created_at_ms: u64,
    pub attempts: u32,
    pub next_attempt_at_ms: u64,
    pub state: JobState,
    pub last_error: Option<JobError>,
}

impl PrintJob {
    /// The bytes to send, banner included for copies.
    pub fn render(&self) -> Vec<u8> {
        let mut bytes = if self.copy {
            render(&copy_banner(), &self.profile)
        } else {
            Vec::new()
        };
        match &self.payload {
            JobPayload::Bytes { bytes: job } => bytes.extend_from_slice(job),
            JobPayload::Receipt { receipt } => bytes.extend(render(receipt, &self.profile)),
        }
        bytes
    }
}

/// The banner printed before a copy.
pub fn copy_banner() -> Receipt {
    Receipt {
        blocks: vec![
            Block::Text {
                text: COPY_BANNER.to_string(),
                style: TextStyle {
                    bold: true,
                    ..TextStyle::centered()
                },
            },
            Block::Separator { ch: '=' },
        ],
    }
}

/// Queue errors.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error(
        "print queue storage failed at {path}: {detail} — check disk space and permissions of the spool directory"
    )]
    Io { path: String, detail: String },
    #[error(
        "print job {id} does not exist — list the print queue (`kasa print-queue list`, or Devices in the app) to see the current jobs"
    )]
    NoSuchJob { id: u64 },
    #[error("print job {id} is {state} — only queued or failed jobs can be printed or retried")]
    WrongState { id: u64, state: &'static str },
    #[error(transparent)]
    Printer(#[from] DriverError),
}

impl QueueError {
    pub fn code(&self) -> &'static str {
        match self {
            QueueError::Io { .. } => "queue.io",
            QueueError::NoSuchJob { .. } => "queue.no_such_job",
            QueueError::WrongState { .. } => "queue.wrong_state",
            QueueError::Printer(e) => e.code(),
        }
    }
}

/// Queue settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueConfig {
    pub base_backoff_ms: u64,
    pub max_backoff_ms: u64,
    pub max_attempts: u32,
    pub timeouts: Timeouts,
}

impl Default for QueueConfig {
    fn default() -> Self {
        Self {
            base_backoff_ms: 1_000,
            max_backoff_ms: 60_000,
            max_attempts: 30,
            timeouts: Timeouts::default(),
        }
    }
}

impl QueueConfig {
    /// Delay before the next attempt after `attempts` failed ones.
    pub fn backoff_ms(&self, attempts: u32) -> u64 {
        let shift = attempts.saturating_sub(1).min(62);
        self.base_backoff_ms
            .saturating_mul(1u64 << shift)
            .min(self.max_backoff_ms)
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[derive(Debug)]
struct State {
    jobs: BTreeMap<u64, PrintJob>,
    next_id: u64,
    shutdown: bool,
}

#[derive(Debug)]
struct Shared {
    spool: Spool,
    config: QueueConfig,
    state: Mutex<State>,
    /// Signalled on every change (enqueue, state change, shutdown).
    changed: Condvar,
    /// Held while a job is being sent: one job at a time.
    printing: Mutex<()>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Persists `job` and publishes it in memory.
    fn store(&self, state: &mut State, job: PrintJob) -> Result<(), QueueError> {
        self.spool.save(&job)?;
        state.jobs.insert(job.id, job);
        self.changed.notify_all();
        Ok(())
    }
}

/// The print queue. Dropping it stops the worker (jobs stay on disk).
#[derive(Debug)]
pub struct PrintQueue {
    shared: Arc<Shared>,
    worker: Option<JoinHandle<()>>,
}

fn state_name(state: &JobState) -> &'static str {
    match state {
        JobState::Queued => "queued",
        JobState::Printing => "printing",
        JobState::Printed { .. } => "printed",
        JobState::Failed { .. } => "failed",
    }
}

impl PrintQueue {
    /// Opens (or creates) the queue in `dir` without a worker. Jobs left in
    /// `Printing` by a crash go back to `Queued` (see module docs).
    pub fn open(dir: &Path, config: QueueConfig) -> Result<Self, QueueError> {
        let spool = Spool::open(dir)?;
        let mut jobs = BTreeMap::new();
        for mut job in spool.load_all()? {
            if job.state == JobState::Printing {
                job.state = JobState::Queued;
                job.next_attempt_at_ms = 0;
                spool.save(&job)?;
            }
            jobs.insert(job.id, job);
        }
        let next_id = jobs.keys().next_back().map_or(1, |id| id + 1);
        let shared = Arc::new(Shared {
            spool,
            config,
            state: Mutex::new(State {
                jobs,
                next_id,
                shutdown: false,
            }),
            changed: Condvar::new(),
            printing: Mutex::new(()),
        });
        Ok(Self {
            shared,
            worker: None,
        })
    }

    /// Opens the queue and starts its worker thread.
    pub fn open_with_worker(dir: &Path, config: QueueConfig) -> Result<Self, QueueError> {
        let mut queue = Self::open(dir, config)?;
        let shared = queue.shared.clone();
        queue.worker = Some(std::thread::spawn(move || worker_loop(&shared)));
        Ok(queue)
    }

    /// The spool directory.
    pub fn dir(&self) -> &Path {
        self.shared.spool.dir()
    }

    /// Adds a job and returns its id at once; the worker prints it.
    pub fn enqueue(
        &self,
        printer: &DeviceUri,
        profile: PrinterProfile,
        payload: JobPayload,
        copy: bool,
    ) -> Result<u64, QueueError> {
        let mut state = self.shared.lock();
        // Another process (the `kasa` CLI beside the desktop app) may have
        // taken ids since this queue was opened: claim a free one on disk.
        let mut id = state.next_id;
        while !self.shared.spool.claim(id)? {
            id += 1;
        }
        let now = now_ms();
        let job = PrintJob {
            id,
            printer: printer.to_string(),
            profile,
            payload,
            copy,
            created_at_ms: now,
            attempts: 0,
            next_attempt_at_ms: now,
            state: JobState::Queued,
            last_error: None,
        };
        self.shared.store(&mut state, job)?;
        state.next_id = id + 1;
        Ok(id)
    }

    /// Queues a copy of job `id` (same printer and content, COPY banner).
    pub fn reprint(&self, id: u64) -> Result<u64, QueueError> {
        let original = self.job(id).ok_or(QueueError::NoSuchJob { id })?;
        let uri = DeviceUri::parse(&original.printer)?;
        self.enqueue(&uri, original.profile, original.payload, true)
    }

    /// All jobs in id order.
    pub fn jobs(&self) -> Vec<PrintJob> {
        self.shared.lock().jobs.values().cloned().collect()
    }

    pub fn job(&self, id: u64) -> Option<PrintJob> {
        self.shared.lock().jobs.get(&id).cloned()
    }

    /// Puts a failed job back in the queue, due now.
    pub fn retry(&self, id: u64) -> Result<(), QueueError> {
        let mut state = self.shared.lock();
        let mut job = state
            .jobs
            .get(&id)
            .cloned()
            .ok_or(QueueError::NoSuchJob { id })?;
        match job.state {
            JobState::Failed { .. } | JobState::Queued => {}
            ref other => {
                return Err(QueueError::WrongState {
                    id,
                    state: state_name(other),
                });
            }
        }
        job.state = JobState::Queued;
        job.attempts = 0;
        job.next_attempt_at_ms = now_ms();
        self.shared.store(&mut state, job)
    }

    /// Deletes printed jobs printed before `before_ms` (unix ms); returns how many.
    pub fn prune_printed(&self, before_ms: u64) -> Result<usize, QueueError> {
        let mut state = self.shared.lock();
        let old: Vec<u64> = state
            .jobs
            .values()
            .filter(|j| matches!(j.state, JobState::Printed { printed_at_ms } if printed_at_ms < before_ms))
            .map(|j| j.id)
            .collect();
        for id in &old {
            self.shared.spool.remove(*id)?;
            state.jobs.remove(id);
        }
        Ok(old.len())
    }

    /// One attempt to print job `id` now, on the calling thread. On failure
    /// the job stays queued (with backoff) or becomes failed, and the
    /// printer's typed error is returned.
    pub fn print_now(&self, id: u64) -> Result<(), QueueError> {
        attempt(&self.shared, id)
    }

    /// Waits up to `timeout_ms` until job `id` satisfies `done`; returns the
    /// job as last seen.
    pub fn wait_for(
        &self,
        id: u64,
        timeout_ms: u64,
        done: impl Fn(&PrintJob) -> bool,
    ) -> Option<PrintJob> {
        let deadline = Instant::now() + Duration::from_millis(timeout_ms);
        let mut state = self.shared.lock();
        loop {
            let job = state.jobs.get(&id).cloned();
            let now = Instant::now();
            match job {
                Some(ref j) if done(j) => return job,
                _ if now >= deadline => return job,
                _ => {}
            }
            state = self
                .shared
                .changed
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }
}

impl Drop for PrintQueue {
    fn drop(&mut self) {
        self.shared.lock().shutdown = true;
        self.shared.changed.notify_all();
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

/// A profile for printing bytes when the caller has none.
pub fn default_profile() -> PrinterProfile {
    PrinterProfile::new(PaperWidth::Mm80, CodePage::Cp866)
}

/// One attempt, with the state transitions and persistence around it.
fn attempt(shared: &Shared, id: u64) -> Result<(), QueueError> {
    let _one_at_a_time = shared.printing.lock().unwrap_or_else(|p| p.into_inner());
    let mut job = {
        let mut state = shared.lock();
        let mut job = state
            .jobs
            .get(&id)
            .cloned()
            .ok_or(QueueError::NoSuchJob { id })?;
        if job.state != JobState::Queued {
            return Err(QueueError::WrongState {
                id,
                state: state_name(&job.state),
            });
        }
        job.state = JobState::Printing;
        shared.store(&mut state, job.clone())?;
        job
    };
    let result = DeviceUri::parse(&job.printer).and_then(|uri| {
        let mut printer = ReceiptPrinter::open(&uri, job.profile.clone(), shared.config.timeouts)?;
        printer.print_bytes(&job.render())
    });
    let mut state = shared.lock();
    job.attempts += 1;
    match &result {
        Ok(()) => {
            job.state = JobState::Printed {
                printed_at_ms: now_ms(),
            };
            job.last_error = None;
        }
        Err(e) => {
            let error = JobError::from(e);
            job.last_error = Some(error.clone());
            if !e.is_transient() || job.attempts >= shared.config.max_attempts {
                job.state = JobState::Failed { error };
            } else {
                job.state = JobState::Queued;
                job.next_attempt_at_ms = now_ms() + shared.config.backoff_ms(job.attempts);
            }
            tracing::warn!(job = id, printer = %job.printer, code = e.code(), "print attempt failed");
        }
    }
    shared.store(&mut state, job)?;
    result.map_err(QueueError::from)
}

/// Due jobs: per printer the lowest queued id, if its time has come.
/// Also returns the earliest future due time.
fn due_jobs(state: &State, now: u64) -> (Vec<u64>, Option<u64>) {
    let mut seen_printers = HashSet::new();
    let mut due = Vec::new();
    let mut next: Option<u64> = None;
    for job in state.jobs.values() {
        if job.state != JobState::Queued || !seen_printers.insert(job.printer.as_str()) {
            continue;
        }
        if job.next_attempt_at_ms <= now {
            due.push(job.id);
        } else {
            next = Some(next.map_or(job.next_attempt_at_ms, |n| n.min(job.next_attempt_at_ms)));
        }
    }
    (due, next)
}

fn worker_loop(shared: &Shared) {
    loop {
        let due = {
            let mut state = shared.lock();
            loop {
                if state.shutdown {
                    return;
                }
                let now = now_ms();
                let (due, next) = due_jobs(&state, now);
                if !due.is_empty() {
                    break due;
                }
                let wait = next.map_or(Duration::from_secs(3600), |n| {
                    Duration::from_millis(n.saturating_sub(now).max(1))
                });
                state = shared
                    .changed
                    .wait_timeout(state, wait)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            }
        };
        let mut storage_failed = false;
        for id in due {
            if shared.lock().shutdown {
                return;
            }
            // Printer errors are recorded on the job. A storage error could
            // not be recorded (disk full, spool gone): pause before trying
            // again instead of spinning on the same due job.
            if let Err(QueueError::Io { .. }) = attempt(shared, id) {
                storage_failed = true;
            }
        }
        if storage_failed {
            let state = shared.lock();
            let pause = Duration::from_millis(shared.config.max_backoff_ms.max(1));
            drop(shared.changed.wait_timeout(state, pause));
        }
    }
}

#[cfg(test)]
mod tests;
