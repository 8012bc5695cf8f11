//! The pull loop: ask for pages after the saved cursor until head office
//! has no more, fetching the next page while the current one is applied.
//!
//! Two threads for one pull. The fetcher sends each request, reads and
//! decodes the answer (inflate + JSON parse) and checks it
//! ([`check_page`]); it already knows the next cursor from the page it just
//! read, so it asks for page N+1 while the till writes page N. The applier
//! (the caller's thread, which owns the till's connection) applies each
//! page and saves its cursor in one transaction, in order. The channel
//! between them holds one page, so at most two pages are in memory besides
//! the one being written.
//!
//! Nothing about atomicity changes: the cursor on disk only moves with an
//! applied page. If applying fails, the applier stops and drops the
//! channel; the fetcher notices at its next send and stops; a page it read
//! ahead is simply not applied (the next round asks for it again). If
//! fetching fails, the pages before it are applied and kept, as before.
//!
//! With `KASA_TIMING` set, a pull prints to stderr how long the till waited
//! for pages and how long it spent applying them (where a slow first
//! download spends its time).

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use kasa_sync_protocol::http::MASTER_DATA_PATH;
use kasa_sync_protocol::{Cursor, MasterDataPage, MasterDataPageRequest, check_page};

use super::apply_page;
use crate::store::Store;
use crate::sync::SyncError;
use crate::sync::client::HeadOffice;

/// What one pull did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PullReport {
    /// Pages applied.
    pub pages: usize,
    /// Changes applied.
    pub changes: u64,
    /// Time the till waited for head office's next page.
    pub waited: Duration,
    /// Time the till spent applying and committing pages.
    pub applying: Duration,
}

/// Connection settings while pulling, restored afterwards.
///
/// - `cache_size` 64 MiB: a first download writes a million products'
///   indexes, which do not fit SQLite's default 2 MB cache (the catalog
///   import uses the same size).
/// - `synchronous = NORMAL`: a page's commit is not fsynced. In WAL mode
///   that keeps every commit atomic and in order — after a power cut the
///   database holds some prefix of the applied pages, each with its own
///   cursor — it only may lose the newest pages, which the next round
///   pulls again from head office. Sales never run on these settings: they
///   are set on this connection for the pull only.
/// - `wal_autocheckpoint` 16,384 pages (64 MiB): fewer checkpoints, each
///   copying more, while thousands of catalog pages are written.
const PULL_PRAGMAS: [(&str, i64); 3] = [
    ("cache_size", -65_536),
    ("synchronous", 1),
    ("wal_autocheckpoint", 16_384),
];

/// Pull and apply pages after the saved cursor, at most `max_pages`.
pub fn pull(
    store: &mut Store,
    office: &HeadOffice,
    page_limit: u32,
    max_pages: usize,
) -> Result<PullReport, SyncError> {
    let cursor: Option<String> = store.conn().query_row(
        "SELECT master_data_cursor FROM sync_state WHERE id = 1",
        [],
        |r| r.get(0),
    )?;
    store.conn_mut().set_prepared_statement_cache_capacity(64);
    let mut saved = Vec::with_capacity(PULL_PRAGMAS.len());
    for (name, value) in PULL_PRAGMAS {
        let before: i64 = store
            .conn()
            .query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))?;
        saved.push((name, before));
        store.conn().pragma_update(None, name, value)?;
    }
    let started = Instant::now();
    let result = thread::scope(|scope| {
        let (pages_tx, pages_rx) = mpsc::sync_channel::<Result<MasterDataPage, SyncError>>(1);
        thread::Builder::new()
            .name("kasa-md-fetch".into())
            .spawn_scoped(scope, move || {
                fetch_pages(office, cursor.map(Cursor), page_limit, max_pages, pages_tx);
            })
            .map_err(|e| SyncError::RoundAborted {
                detail: format!("cannot start the master-data page fetcher: {e}"),
            })?;
        apply_pages(store, pages_rx)
    });
    for (name, before) in saved {
        store.conn().pragma_update(None, name, before)?;
    }
    if let Ok(report) = &result
        && std::env::var_os("KASA_TIMING").is_some()
    {
        eprintln!(
            "master-data pull: {} pages, {} changes in {} ms; the till waited {} ms for pages and spent {} ms applying them",
            report.pages,
            report.changes,
            started.elapsed().as_millis(),
            report.waited.as_millis(),
            report.applying.as_millis(),
        );
    }
    result
}

fn fetch_pages(
    office: &HeadOffice,
    mut cursor: Option<Cursor>,
    page_limit: u32,
    max_pages: usize,
    pages: mpsc::SyncSender<Result<MasterDataPage, SyncError>>,
) {
    for _ in 0..max_pages {
        let request = MasterDataPageRequest {
            cursor: cursor.take(),
            limit: page_limit,
        };
        let page = office
            .post::<_, MasterDataPage>(MASTER_DATA_PATH, &request)
            .and_then(|page| {
                check_page(&page, &request)?;
                Ok(page)
            });
        let more = match &page {
            Ok(page) if page.has_more => {
                cursor = Some(page.next_cursor.clone());
                true
            }
            _ => false,
        };
        // a closed channel means the applier stopped: stop too
        if pages.send(page).is_err() || !more {
            return;
        }
    }
}

fn apply_pages(
    store: &mut Store,
    pages: mpsc::Receiver<Result<MasterDataPage, SyncError>>,
) -> Result<PullReport, SyncError> {
    let mut report = PullReport::default();
    let mut mark = Instant::now();
    for page in pages {
        report.waited += mark.elapsed();
        mark = Instant::now();
        let page = page?;
        let tx = store.write_tx()?;
        apply_page(&tx, &page)?;
        tx.commit()?;
        report.pages += 1;
        report.changes += page.changes.len() as u64;
        report.applying += mark.elapsed();
        mark = Instant::now();
    }
    Ok(report)
}
