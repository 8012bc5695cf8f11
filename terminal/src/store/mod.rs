//! The till's SQLite store: opening, pragmas, migrations and transactions.
//!
//! Durability settings (see `docs/decisions.md`):
//! - `journal_mode=WAL`: readers never block the single writer.
//! - `synchronous=FULL`: a committed transaction survives power loss — a sale
//!   the cashier saw completed is on disk.
//! - `foreign_keys=ON`, `busy_timeout` so a second process waits instead of
//!   failing.
//!
//! Migrations live beside each table module (`catalog::schema`,
//! `stock::schema`, …) and are listed in order in [`migrations::MIGRATIONS`].
//! `PRAGMA user_version` holds the number of migrations applied; a binary that
//! knows fewer migrations than the file has refuses to open it with
//! `store.newer_schema` instead of corrupting it.

pub mod migrations;

use std::path::{Path, PathBuf};
use std::time::Duration;

use kasa_domain::ErrorCode;
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

/// How long a writer waits for another process's lock before giving up.
pub const BUSY_TIMEOUT_MS: u64 = 10_000;

/// Prepared statements kept per connection (rusqlite's default is 16).
pub const STATEMENT_CACHE: usize = 128;

/// Errors of the store itself (not of business rules).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database was written by a newer Kasa.
    #[error(
        "the database {path} has schema version {found}, but this kasa knows only up to {known} — \
         install the newer kasa that wrote it; the file was not changed"
    )]
    NewerSchema {
        /// The database file.
        path: String,
        /// `user_version` found in the file.
        found: i64,
        /// Migrations this binary knows.
        known: i64,
    },
    /// The file could not be opened or is not a Kasa database.
    #[error("cannot open the database {path}: {source} — check the path and its permissions")]
    Open {
        /// The database file.
        path: String,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// No database at the path (only `kasa init` creates one).
    #[error(
        "there is no till database at {path} — check --db (or $KASA_DB), or set up a till there \
         with `kasa init`; nothing was created"
    )]
    NotFound {
        /// The path asked for.
        path: String,
    },
    /// Any other SQLite error.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

impl ErrorCode for StoreError {
    fn code(&self) -> &'static str {
        match self {
            StoreError::NewerSchema { .. } => "store.newer_schema",
            StoreError::Open { .. } => "store.open_failed",
            StoreError::NotFound { .. } => "store.not_found",
            StoreError::Sqlite(e) if is_busy(e) => "store.busy",
            StoreError::Sqlite(_) => "store.sqlite",
        }
    }
}

/// True for SQLITE_BUSY / SQLITE_LOCKED.
pub fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy) | Some(rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// An open till database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Open (creating if missing) and migrate the database at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Store, StoreError> {
        Store::open_with(path.as_ref(), OpenFlags::SQLITE_OPEN_CREATE)
    }

    /// Open and migrate the database at `path`, which must exist: a missing
    /// file is `store.not_found` and nothing is created (every command but
    /// `kasa init` opens this way, so a mistyped `--db` is said, not
    /// answered from a fresh empty till).
    pub fn open_existing(path: impl AsRef<Path>) -> Result<Store, StoreError> {
        let path = path.as_ref();
        if !path.is_file() {
            return Err(StoreError::NotFound {
                path: path.display().to_string(),
            });
        }
        Store::open_with(path, OpenFlags::empty())
    }

    fn open_with(path: &Path, create: OpenFlags) -> Result<Store, StoreError> {
        let path = path.to_path_buf();
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | create
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )
        .map_err(|source| StoreError::Open {
            path: path.display().to_string(),
            source,
        })?;
        configure(&conn).map_err(|source| StoreError::Open {
            path: path.display().to_string(),
            source,
        })?;
        let mut store = Store { conn, path };
        migrations::migrate(&mut store.conn, &store.path)?;
        Ok(store)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection, for reads.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The connection, for code that manages its own transactions.
    pub fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Start a write transaction. `BEGIN IMMEDIATE` takes the write lock at
    /// once, so two writers (threads or processes) serialise here instead of
    /// failing at commit; the busy timeout makes the second one wait.
    pub fn write_tx(&mut self) -> Result<Transaction<'_>, StoreError> {
        Ok(self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?)
    }
}

/// Pragmas every connection gets.
fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_millis(BUSY_TIMEOUT_MS))?;
    // a sale alone runs more distinct cached statements than rusqlite's
    // default 16 keeps, and an LRU that small re-prepares every one of them
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    // journal_mode returns a row; read it so the statement runs.
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
    debug_assert!(mode.eq_ignore_ascii_case("wal") || mode.eq_ignore_ascii_case("memory"));
    conn.execute_batch(
        "PRAGMA synchronous=FULL;
         PRAGMA foreign_keys=ON;
         PRAGMA temp_store=MEMORY;",
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_with_durable_pragmas() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("till.sqlite")).unwrap();
        let sync: i64 = store
            .conn()
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap();
        assert_eq!(sync, 2, "synchronous must be FULL");
        let fk: i64 = store
            .conn()
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        assert_eq!(fk, 1);
        let mode: String = store
            .conn()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    fn newer_schema_is_refused_and_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("till.sqlite");
        drop(Store::open(&path).unwrap());
        let future = migrations::MIGRATIONS.len() as i64 + 5;
        {
            let c = Connection::open(&path).unwrap();
            c.pragma_update(None, "user_version", future).unwrap();
        }
        let err = Store::open(&path).unwrap_err();
        assert_eq!(err.code(), "store.newer_schema");
        let c = Connection::open(&path).unwrap();
        let v: i64 = c
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, future);
    }

    #[test]
    fn opening_a_missing_database_for_use_creates_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("typo.sqlite");
        let err = Store::open_existing(&path).unwrap_err();
        assert_eq!(err.code(), "store.not_found");
        assert!(err.to_string().contains("kasa init"), "{err}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        drop(Store::open(&path).unwrap());
        Store::open_existing(&path).unwrap();
    }

    #[test]
    fn reopening_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("till.sqlite");
        drop(Store::open(&path).unwrap());
        let store = Store::open(&path).unwrap();
        let v: i64 = store
            .conn()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, migrations::MIGRATIONS.len() as i64);
    }
}
