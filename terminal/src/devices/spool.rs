//! The till's one print spool: `<database>.print-queue/` beside the till's
//! database (the drivers' persistent queue), whoever prints — the `kasa`
//! CLI or the desktop app. Every print goes through [`TillSpool`], so a
//! receipt queued while the printer was off is printed before the next one:
//!
//! - [`TillSpool::print_now`] (the CLI, which has no background worker):
//!   queue the job, then send what is queued for that printer up to it,
//!   oldest first, on the caller's thread.
//! - [`TillSpool::queue`] (the desktop app): queue the job; the spool's
//!   worker prints each printer's jobs oldest first.
//!
//! Either way a printer problem never undoes a sale: the job stays queued
//! and the [`PrintOutcome`] says so. `kasa print-queue list|retry|drop` and
//! the desktop's Devices screen show and handle what is waiting.

use std::path::{Path, PathBuf};

use kasa_drivers::printer::{PrinterProfile, Receipt};
use kasa_drivers::queue::{
    JobPayload, JobState, PrintJob, PrintQueue, QueueConfig, QueueError, default_profile,
};
use kasa_drivers::transport::{DeviceUri, Timeouts};
use serde::Serialize;

use super::DeviceError;

/// The spool directory of the till whose database is at `db`.
pub fn spool_dir(db: &Path) -> PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(".print-queue");
    db.with_file_name(name)
}

/// Where a receipt is after a print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PrintState {
    /// The printer took it.
    Printed,
    /// Waiting in the spool (printer off, or the worker has not sent it yet).
    Queued,
    /// Given up on (see its error); `retry` puts it back.
    Failed,
    /// No receipt printer is configured; nothing was queued.
    NoPrinter,
}

impl PrintState {
    /// The snake_case name (the serde form).
    pub fn name(self) -> &'static str {
        match self {
            PrintState::Printed => "printed",
            PrintState::Queued => "queued",
            PrintState::Failed => "failed",
            PrintState::NoPrinter => "no_printer",
        }
    }
}

/// Why a receipt was not printed: the stable code and the message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrintFailure {
    /// `printer.offline`, `printer.paper_out`, …
    pub code: String,
    /// What happened and what to do.
    pub message: String,
}

/// What became of a receipt: the one outcome of every print of the till.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrintOutcome {
    /// The spool's job id (`None` when nothing was queued).
    pub job: Option<u64>,
    /// Printed, queued, failed or no printer.
    pub state: PrintState,
    /// Why not printed, when not.
    pub error: Option<PrintFailure>,
}

impl PrintOutcome {
    /// Nothing was queued because of `e`.
    pub fn refused(e: &DeviceError) -> PrintOutcome {
        use kasa_domain::ErrorCode;
        PrintOutcome {
            job: None,
            state: PrintState::Failed,
            error: failure(e.code(), e.to_string()),
        }
    }
}

/// The till's print spool.
#[derive(Debug)]
pub struct TillSpool {
    queue: PrintQueue,
    profile: PrinterProfile,
}

/// A job as `kasa print-queue list` and the Devices screen show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpoolJob {
    /// Job id.
    pub id: u64,
    /// The printer's URI.
    pub printer: String,
    /// `queued`, `printing`, `printed`, `failed`.
    pub state: &'static str,
    /// A reprint (printed with the COPY banner).
    pub copy: bool,
    /// Attempts so far.
    pub attempts: u32,
    /// When it was queued (unix ms).
    pub created_at_ms: u64,
    /// The last error, when an attempt failed.
    pub error: Option<PrintFailure>,
}

impl From<&PrintJob> for SpoolJob {
    fn from(j: &PrintJob) -> Self {
        SpoolJob {
            id: j.id,
            printer: j.printer.clone(),
            state: match j.state {
                JobState::Queued => "queued",
                JobState::Printing => "printing",
                JobState::Printed { .. } => "printed",
                JobState::Failed { .. } => "failed",
            },
            copy: j.copy,
            attempts: j.attempts,
            created_at_ms: j.created_at_ms,
            error: j.last_error.as_ref().map(|e| PrintFailure {
                code: e.code.clone(),
                message: e.message.clone(),
            }),
        }
    }
}

fn failure(code: &str, message: String) -> Option<PrintFailure> {
    Some(PrintFailure {
        code: code.to_string(),
        message,
    })
}

impl TillSpool {
    /// Open the spool of the till at `db` for printing on the caller's
    /// thread (no worker).
    pub fn open(db: &Path, timeouts: Timeouts) -> Result<TillSpool, DeviceError> {
        Ok(TillSpool {
            queue: PrintQueue::open(&spool_dir(db), config(timeouts))?,
            profile: default_profile(),
        })
    }

    /// Open the spool of the till at `db` with its worker thread, which
    /// prints queued jobs in the background (the desktop app).
    pub fn open_with_worker(db: &Path, timeouts: Timeouts) -> Result<TillSpool, DeviceError> {
        Ok(TillSpool {
            queue: PrintQueue::open_with_worker(&spool_dir(db), config(timeouts))?,
            profile: default_profile(),
        })
    }

    /// The paper width and code page receipts are rendered for.
    pub fn profile(&self) -> &PrinterProfile {
        &self.profile
    }

    /// The spool directory.
    pub fn dir(&self) -> &Path {
        self.queue.dir()
    }

    /// Queue `receipt` for `printer` (a reprint when `copy`) and print what
    /// is queued for that printer up to it, oldest first, now.
    pub fn print_now(&self, printer: &DeviceUri, receipt: Receipt, copy: bool) -> PrintOutcome {
        match self.enqueue(printer, receipt, copy) {
            Ok(job) => self.send_in_order(job),
            Err(e) => PrintOutcome {
                job: None,
                state: PrintState::Failed,
                error: failure(e.code(), e.to_string()),
            },
        }
    }

    /// Queue `receipt` for `printer` for the worker to print.
    pub fn queue(&self, printer: &DeviceUri, receipt: Receipt, copy: bool) -> PrintOutcome {
        match self.enqueue(printer, receipt, copy) {
            Ok(job) => PrintOutcome {
                job: Some(job),
                state: PrintState::Queued,
                error: None,
            },
            Err(e) => PrintOutcome {
                job: None,
                state: PrintState::Failed,
                error: failure(e.code(), e.to_string()),
            },
        }
    }

    /// The outcome when no printer is configured.
    pub fn no_printer() -> PrintOutcome {
        PrintOutcome {
            job: None,
            state: PrintState::NoPrinter,
            error: failure(
                "devices.no_printer",
                "no receipt printer is configured — choose one in Devices".to_string(),
            ),
        }
    }

    fn enqueue(
        &self,
        printer: &DeviceUri,
        receipt: Receipt,
        copy: bool,
    ) -> Result<u64, QueueError> {
        self.queue.enqueue(
            printer,
            self.profile.clone(),
            JobPayload::Receipt { receipt },
            copy,
        )
    }

    /// Send job `id` now, after what is queued before it for its printer.
    fn send_in_order(&self, id: u64) -> PrintOutcome {
        let result = self.queue.print_in_order(id);
        let job = self.queue.job(id);
        let state = match job.as_ref().map(|j| &j.state) {
            Some(JobState::Printed { .. }) => PrintState::Printed,
            Some(JobState::Failed { .. }) => PrintState::Failed,
            _ => PrintState::Queued,
        };
        let error = match result {
            Ok(()) => None,
            Err(e) => failure(e.code(), e.to_string()),
        };
        PrintOutcome {
            job: Some(id),
            state,
            error,
        }
    }

    /// Wait up to `timeout_ms` for job `id` to be printed (the worker's
    /// work); true when it was.
    pub fn wait_printed(&self, id: u64, timeout_ms: u64) -> bool {
        let printed = |j: &PrintJob| matches!(j.state, JobState::Printed { .. });
        self.queue
            .wait_for(id, timeout_ms, printed)
            .is_some_and(|j| printed(&j))
    }

    /// Every job, oldest first.
    pub fn jobs(&self) -> Vec<SpoolJob> {
        self.queue.jobs().iter().map(SpoolJob::from).collect()
    }

    /// The newest `limit` jobs, newest first.
    pub fn recent(&self, limit: usize) -> Vec<SpoolJob> {
        let mut jobs = self.jobs();
        jobs.reverse();
        jobs.truncate(limit);
        jobs
    }

    /// Put job `id` back (queued or failed) and print it now, after what is
    /// queued before it for its printer.
    pub fn retry(&self, id: u64) -> Result<PrintOutcome, DeviceError> {
        self.queue.retry(id)?;
        Ok(self.send_in_order(id))
    }

    /// Queue a copy of job `id` (same printer and content, COPY banner).
    pub fn reprint(&self, id: u64) -> Result<u64, DeviceError> {
        Ok(self.queue.reprint(id)?)
    }

    /// Take over the jobs still to print from an older spool at `old` (the
    /// desktop app's `<data-dir>/print-queue` before the till had one
    /// spool): each is queued here in its order, then `old` is renamed to
    /// `<old>.adopted` (kept, not deleted). Returns how many were taken.
    pub fn adopt(&self, old: &Path) -> Result<usize, DeviceError> {
        if !old.is_dir() {
            return Ok(0);
        }
        let legacy = PrintQueue::open(old, QueueConfig::default())?;
        let mut taken = 0;
        for job in legacy.jobs() {
            if matches!(job.state, JobState::Printed { .. }) {
                continue;
            }
            let uri = DeviceUri::parse(&job.printer)?;
            self.queue
                .enqueue(&uri, job.profile, job.payload, job.copy)?;
            taken += 1;
        }
        drop(legacy);
        let mut aside = old.as_os_str().to_os_string();
        aside.push(".adopted");
        std::fs::rename(old, &aside).map_err(|e| DeviceError::Save {
            path: old.display().to_string(),
            detail: e.to_string(),
        })?;
        Ok(taken)
    }

    /// Delete a queued or failed job: it will not be printed.
    pub fn drop_job(&self, id: u64) -> Result<(), DeviceError> {
        Ok(self.queue.remove(id)?)
    }
}

fn config(timeouts: Timeouts) -> QueueConfig {
    QueueConfig {
        timeouts,
        ..QueueConfig::default()
    }
}

#[cfg(test)]
mod tests {
    use kasa_drivers::queue::JobPayload;

    use super::*;

    #[test]
    fn an_older_spools_waiting_jobs_are_adopted_in_order_and_the_old_spool_kept() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("print-queue");
        let uri = DeviceUri::parse("tcp://127.0.0.1:9").unwrap();
        {
            let legacy = PrintQueue::open(&old, QueueConfig::default()).unwrap();
            for (text, copy) in [("one", false), ("two", true)] {
                let payload = JobPayload::Bytes {
                    bytes: text.as_bytes().to_vec(),
                };
                legacy
                    .enqueue(&uri, default_profile(), payload, copy)
                    .unwrap();
            }
        }
        let spool = TillSpool::open(&dir.path().join("kasa.db"), Timeouts::default()).unwrap();
        assert_eq!(spool.adopt(&old).unwrap(), 2);
        let jobs = spool.jobs();
        assert_eq!(
            jobs.iter().map(|j| (j.state, j.copy)).collect::<Vec<_>>(),
            [("queued", false), ("queued", true)]
        );
        assert!(!old.exists() && dir.path().join("print-queue.adopted").is_dir());
        assert_eq!(spool.adopt(&old).unwrap(), 0, "once only");
        assert_eq!(spool.dir(), dir.path().join("kasa.db.print-queue"));
    }
}
