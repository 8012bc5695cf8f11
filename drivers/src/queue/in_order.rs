//! Printing on demand without overtaking: whoever prints (the till's sale,
//! a reprint, `kasa print-queue retry`) first sends what is already queued
//! for the same printer, oldest first, and stops at the first failure, so a
//! receipt queued while the printer was off is printed before the next one
//! and never after it. Failed jobs (given up on, see the module docs) do not
//! hold the line; they wait for a retry or removal.

use super::{JobState, PrintQueue, QueueError, attempt, state_name};

impl PrintQueue {
    /// Print the queued jobs for job `id`'s printer up to and including `id`,
    /// in id order, each once, ignoring their backoff (someone is printing
    /// now). Stops at the first failure: that job and every later one,
    /// `id` included, stay queued, and the failure is returned.
    pub fn print_in_order(&self, id: u64) -> Result<(), QueueError> {
        let printer = {
            let state = self.shared.lock();
            let job = state.jobs.get(&id).ok_or(QueueError::NoSuchJob { id })?;
            if job.state != JobState::Queued {
                return Err(QueueError::WrongState {
                    id,
                    state: state_name(&job.state),
                });
            }
            job.printer.clone()
        };
        for earlier in self.queued_for(&printer, id) {
            attempt(&self.shared, earlier)?;
        }
        Ok(())
    }

    /// Ids of the queued jobs for `printer` up to `last`, oldest first.
    pub fn queued_for(&self, printer: &str, last: u64) -> Vec<u64> {
        self.shared
            .lock()
            .jobs
            .range(..=last)
            .filter(|(_, j)| j.state == JobState::Queued && j.printer == printer)
            .map(|(id, _)| *id)
            .collect()
    }

    /// Delete a queued or failed job: it will not be printed.
    pub fn remove(&self, id: u64) -> Result<(), QueueError> {
        let mut state = self.shared.lock();
        let job = state.jobs.get(&id).ok_or(QueueError::NoSuchJob { id })?;
        match job.state {
            JobState::Queued | JobState::Failed { .. } => {}
            ref other => {
                return Err(QueueError::WrongState {
                    id,
                    state: state_name(other),
                });
            }
        }
        self.shared.spool.remove(id)?;
        state.jobs.remove(&id);
        self.shared.changed.notify_all();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::{JobPayload, QueueConfig, default_profile};
    use super::*;
    use crate::sim::tcp_printer::TcpPrinterSim;
    use crate::transport::Timeouts;

    fn config() -> QueueConfig {
        QueueConfig {
            timeouts: Timeouts {
                connect_ms: 500,
                write_ms: 500,
                read_ms: 500,
            },
            ..QueueConfig::default()
        }
    }

    fn bytes(b: &[u8]) -> JobPayload {
        JobPayload::Bytes { bytes: b.to_vec() }
    }

    #[test]
    fn a_job_queued_while_the_printer_was_off_prints_before_the_next_one() {
        let dir = tempfile::tempdir().unwrap();
        let sim = TcpPrinterSim::start().unwrap();
        let q = PrintQueue::open(dir.path(), config()).unwrap();
        sim.set_offline(true);
        let first = q
            .enqueue(&sim.uri(), default_profile(), bytes(b"FIRST\n"), false)
            .unwrap();
        assert!(q.print_in_order(first).is_err());
        assert_eq!(q.job(first).unwrap().state, JobState::Queued);
        // Still off: the second job is not printed either, and does not overtake.
        let second = q
            .enqueue(&sim.uri(), default_profile(), bytes(b"SECOND\n"), false)
            .unwrap();
        assert!(q.print_in_order(second).is_err());
        assert_eq!(
            q.job(second).unwrap().attempts,
            0,
            "never tried before the first"
        );

        sim.set_offline(false);
        sim.clear_finished_jobs();
        let third = q
            .enqueue(&sim.uri(), default_profile(), bytes(b"THIRD\n"), false)
            .unwrap();
        q.print_in_order(third).unwrap();
        let jobs = sim
            .wait_for_print_jobs(3, Duration::from_secs(10))
            .expect("three jobs printed");
        let order: Vec<String> = jobs
            .iter()
            .map(|j| String::from_utf8_lossy(&j.data).trim().to_string())
            .collect();
        assert_eq!(order, ["FIRST", "SECOND", "THIRD"]);
        for id in [first, second, third] {
            assert!(matches!(q.job(id).unwrap().state, JobState::Printed { .. }));
        }
    }

    #[test]
    fn two_queues_on_one_spool_never_give_two_jobs_one_id() {
        let dir = tempfile::tempdir().unwrap();
        let uri = crate::transport::DeviceUri::parse("tcp://127.0.0.1:9").unwrap();
        // Both open an empty spool (as the app and the CLI would), then queue.
        let app = PrintQueue::open(dir.path(), config()).unwrap();
        let cli = PrintQueue::open(dir.path(), config()).unwrap();
        let a = app
            .enqueue(&uri, default_profile(), bytes(b"app"), false)
            .unwrap();
        let b = cli
            .enqueue(&uri, default_profile(), bytes(b"cli"), false)
            .unwrap();
        assert_ne!(a, b);
        let reopened = PrintQueue::open(dir.path(), config()).unwrap();
        let payloads: Vec<_> = reopened.jobs().into_iter().map(|j| j.payload).collect();
        assert_eq!(payloads, [bytes(b"app"), bytes(b"cli")]);
    }

    #[test]
    fn a_removed_job_is_gone_and_a_printed_one_cannot_be_removed() {
        let dir = tempfile::tempdir().unwrap();
        let q = PrintQueue::open(dir.path(), config()).unwrap();
        let uri = crate::transport::DeviceUri::parse(&format!(
            "file://{}",
            dir.path().join("out.bin").display()
        ))
        .unwrap();
        let kept = q
            .enqueue(&uri, default_profile(), bytes(b"a"), false)
            .unwrap();
        let gone = q
            .enqueue(&uri, default_profile(), bytes(b"b"), false)
            .unwrap();
        q.remove(gone).unwrap();
        assert!(q.job(gone).is_none());
        assert_eq!(q.remove(gone).unwrap_err().code(), "queue.no_such_job");
        q.print_in_order(kept).unwrap();
        assert_eq!(q.remove(kept).unwrap_err().code(), "queue.wrong_state");
        drop(q);
        let reopened = PrintQueue::open(dir.path(), config()).unwrap();
        assert_eq!(reopened.jobs().len(), 1);
    }
}
