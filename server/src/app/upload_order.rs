//! Keeping one terminal's overlapping uploads in sequence order.
//!
//! A till may have two upload requests in flight (it sends batch N+1 while
//! head office stores batch N, so parsing N+1 overlaps writing N). They can
//! reach the database in either order; the database refuses a batch that
//! starts past `held_through + 1` (`sync.gap`), which would make the till
//! re-plan and send N+1 again. So before storing, a batch that starts a
//! little ahead of what is held waits for the batches before it:
//!
//! - it waits only while the missing part is at most [`MAX_AHEAD_RECORDS`]
//!   records (a pipelining till is at most one batch ahead) and for at most
//!   [`MAX_WAIT`]; then the database decides, exactly as without this gate,
//!   so a real gap is still refused, only later;
//! - what is held comes from a per-terminal hint raised after each stored
//!   batch of this process, and from the database when the hint is behind
//!   (another server process may have stored the batch before).
//!
//! Nothing here decides what is stored: ingest's own check under the
//! terminal's lock does. The gate only avoids refusing a batch whose
//! predecessor is a few milliseconds from being stored.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use kasa_sync_protocol::limits::MAX_BATCH_RECORDS;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::db::{Database, DbError};

/// A batch further ahead than this is refused at once (`sync.gap`).
pub const MAX_AHEAD_RECORDS: u64 = 2 * MAX_BATCH_RECORDS as u64;
/// Longest a batch waits for its predecessors.
pub const MAX_WAIT: Duration = Duration::from_secs(2);
/// How often a waiting batch asks the database when nothing was stored here.
const RECHECK: Duration = Duration::from_millis(50);

/// Per-terminal high-water marks seen by this process.
#[derive(Debug, Default)]
pub struct UploadOrder {
    held: Mutex<HashMap<i64, u64>>,
    stored: Notify,
}

impl UploadOrder {
    fn hint(&self, terminal_pk: i64) -> Option<u64> {
        self.held
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&terminal_pk)
            .copied()
    }

    fn raise(&self, terminal_pk: i64, held_through: u64) {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let entry = held.entry(terminal_pk).or_insert(held_through);
        *entry = (*entry).max(held_through);
    }

    /// A batch of the terminal was stored: it now holds `held_through`.
    pub fn stored(&self, terminal_pk: i64, held_through: u64) {
        self.raise(terminal_pk, held_through);
        self.stored.notify_waiters();
    }

    /// Wait until a batch starting at `first_seq` is next in line, or until
    /// waiting cannot help (see the module rules). `held_count` is counted
    /// up once if the batch had to wait.
    pub async fn wait_for_turn(
        &self,
        db: &dyn Database,
        terminal_pk: i64,
        first_seq: u64,
        held_count: &AtomicU64,
    ) -> Result<(), DbError> {
        let next_in_line = |held: u64| first_seq <= held.saturating_add(1);
        if self.hint(terminal_pk).is_some_and(next_in_line) {
            return Ok(());
        }
        let deadline = Instant::now() + MAX_WAIT;
        let mut counted = false;
        loop {
            let stored = self.stored.notified();
            tokio::pin!(stored);
            stored.as_mut().enable();
            if self.hint(terminal_pk).is_some_and(next_in_line) {
                return Ok(());
            }
            let held = db.held_through(terminal_pk).await?;
            self.raise(terminal_pk, held);
            let now = Instant::now();
            if next_in_line(held) || first_seq - held - 1 > MAX_AHEAD_RECORDS || now >= deadline {
                return Ok(());
            }
            if !counted {
                held_count.fetch_add(1, Ordering::Relaxed);
                counted = true;
            }
            // woken by a batch stored here, or re-asking the database
            let _ = tokio::time::timeout(RECHECK.min(deadline - now), stored).await;
        }
    }
}
