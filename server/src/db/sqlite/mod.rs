//! The embedded SQLite backend.
//!
//! One connection lives on one dedicated thread; every call sends it a
//! closure and awaits the answer on a oneshot channel. SQLite has one writer
//! anyway, so this costs nothing in throughput and removes `SQLITE_BUSY`
//! from the server entirely. WAL with `synchronous=FULL`: an acknowledged
//! batch survives power loss.
//!
//! The page cache is 64 MiB (`cache_size`, SQLite's default is 2 MB): the
//! unique index on record ids takes inserts at random places, and with the
//! default cache a catch-up spent more of the writer's time in `pread` of
//! index pages than in SQLite itself.
//!
//! Checkpoints run on a second thread with its own connection
//! (`wal_checkpoint(PASSIVE)`, at most every [`CHECKPOINT_EVERY`] while
//! there are writes), not inside the writer's commits: copying 32 MB of WAL
//! into the database and syncing it took the writer 80–190 ms several
//! times per catch-up, with every terminal's batch waiting behind it. A
//! passive checkpoint never blocks the writer; durability is the WAL's
//! either way (`synchronous=FULL` syncs it at every commit).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;

use crate::db::ReceivedRecord;
use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use rust_decimal::Decimal;

use super::{
    ChangeSlice, Database, DbError, DbHealth, IngestOutcome, JournalRow, NewChange, NewEnrolment,
    PublishOutcome, SalesRow, StockRow, StoredCredential, TerminalIdentity, TerminalRow,
};
use crate::db::schema::{self, SQLITE_MIGRATIONS};
use crate::projection::JournalState;

mod revocation;
mod series;
mod write;
use write::{ingest, publish};

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// SQLite behind a single owner thread.
#[derive(Debug)]
pub struct SqliteDatabase {
    jobs: mpsc::Sender<Job>,
    restarts: Arc<AtomicU64>,
}

impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> Self {
        DbError::Backend(format!("sqlite: {e}"))
    }
}

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation)
}

fn to_i64(v: u64) -> Result<i64, DbError> {
    i64::try_from(v).map_err(|_| DbError::Backend(format!("{v} does not fit a database integer")))
}

/// Least time between two checkpoints while the writer is busy.
pub const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// The checkpointing thread (see the module docs); send `()` after writing.
/// It ends when the writer's sender is dropped.
fn spawn_checkpointer(path: &str) -> Result<mpsc::SyncSender<()>, DbError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let (wrote, rx) = mpsc::sync_channel::<()>(1);
    thread::Builder::new()
        .name("kasa-sqlite-ckpt".into())
        .spawn(move || {
            while rx.recv().is_ok() {
                if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    tracing::warn!(error = %e, "WAL checkpoint failed; the next write retries it");
                }
                // rate limit: writes meanwhile leave one pending notice
                thread::sleep(CHECKPOINT_EVERY);
            }
        })
        .map_err(|e| DbError::Backend(format!("cannot start the checkpoint thread: {e}")))?;
    Ok(wrote)
}

/// Open a connection with the server's pragmas.
fn connect(path: &str) -> Result<Connection, DbError> {
    let conn = Connection::open(path)?;
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;
         PRAGMA cache_size=-65536; PRAGMA wal_autocheckpoint=0;",
    )?;
    Ok(conn)
}

/// The owner thread's loop. A job that panics loses only its own answer
/// (its transaction rolls back as the panic unwinds); the loop then starts
/// again on a fresh connection, so one bad job never leaves every later
/// request without a database. While no connection can be opened the
/// thread ends: every call then fails and `/health` says so.
fn run_owner(
    path: &str,
    mut conn: Connection,
    jobs: &mpsc::Receiver<Job>,
    wrote: &mpsc::SyncSender<()>,
    restarts: &AtomicU64,
) {
    loop {
        let served = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            for job in jobs {
                job(&mut conn);
                // a checkpoint is due soon; one already pending is enough
                let _ = wrote.try_send(());
            }
        }));
        if served.is_ok() {
            return; // every sender is gone: the database was dropped
        }
        restarts.fetch_add(1, Ordering::Relaxed);
        tracing::error!("the SQLite owner thread panicked; restarting it on a new connection");
        conn = match connect(path) {
            Ok(fresh) => fresh,
            Err(e) => {
                tracing::error!(error = %e, "cannot reopen the SQLite database; head office is unhealthy");
                return;
            }
        };
    }
}

impl SqliteDatabase {
    /// Open (creating) the database file and start its owner thread.
    pub fn open(path: &str) -> Result<Self, DbError> {
        let conn = connect(path)?;
        let wrote = spawn_checkpointer(path)?;
        let (jobs, rx) = mpsc::channel::<Job>();
        let restarts = Arc::new(AtomicU64::new(0));
        let counter = restarts.clone();
        let owned_path = path.to_owned();
        thread::Builder::new()
            .name("kasa-sqlite".into())
            .spawn(move || run_owner(&owned_path, conn, &rx, &wrote, &counter))
            .map_err(|e| DbError::Backend(format!("cannot start the SQLite thread: {e}")))?;
        Ok(Self { jobs, restarts })
    }

    /// How often the owner thread restarted after a panic.
    pub fn restarts(&self) -> u64 {
        self.restarts.load(Ordering::Relaxed)
    }

    /// Run `job` on the owner thread (tests make it panic or stall there).
    #[cfg(feature = "fault-hooks")]
    pub async fn run_on_owner_thread(
        &self,
        job: impl FnOnce(&mut Connection) + Send + 'static,
    ) -> Result<(), DbError> {
        self.call(move |conn| {
            job(conn);
            Ok(())
        })
        .await
    }

    async fn call<T, F>(&self, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, DbError> + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move |conn| {
                let _ = tx.send(f(conn));
            }))
            .map_err(|_| DbError::Backend("the SQLite thread has stopped".into()))?;
        rx.await
            .map_err(|_| DbError::Backend("the SQLite thread dropped a request".into()))?
    }
}

fn tenant_pk(conn: &Connection, tenant_id: &str) -> Result<i64, DbError> {
    conn.query_row(
        "SELECT pk FROM tenants WHERE tenant_id = ?1",
        [tenant_id],
        |r| r.get(0),
    )
    .optional()?
    .ok_or_else(|| DbError::NotFound {
        what: format!("tenant \"{tenant_id}\""),
    })
}

fn store_pk(conn: &Connection, tenant_id: &str, store_id: &str) -> Result<(i64, i64), DbError> {
    let tenant = tenant_pk(conn, tenant_id)?;
    let store = conn
        .query_row(
            "SELECT pk FROM stores WHERE tenant_pk = ?1 AND store_id = ?2",
            params![tenant, store_id],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| DbError::NotFound {
            what: format!("store \"{store_id}\" of tenant \"{tenant_id}\""),
        })?;
    Ok((tenant, store))
}

fn identity(conn: &Connection, terminal_pk: i64) -> Result<TerminalIdentity, DbError> {
    Ok(conn.query_row(
        "SELECT t.pk, t.terminal_id, s.pk, s.store_id, n.pk, n.tenant_id
           FROM terminals t JOIN stores s ON s.pk = t.store_pk JOIN tenants n ON n.pk = s.tenant_pk
          WHERE t.pk = ?1",
        [terminal_pk],
        |r| {
            Ok(TerminalIdentity {
                terminal_pk: r.get(0)?,
                terminal_id: r.get(1)?,
                store_pk: r.get(2)?,
                store_id: r.get(3)?,
                tenant_pk: r.get(4)?,
                tenant_id: r.get(5)?,
            })
        },
    )?)
}

fn parse_decimal(text: &str) -> Result<Decimal, DbError> {
    text.parse()
        .map_err(|_| DbError::Backend(format!("stored decimal \"{text}\" is not a number")))
}

#[async_trait]
impl Database for SqliteDatabase {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn health(&self) -> Result<DbHealth, DbError> {
        // read on the owner thread: a restart is counted before it serves again
        let restarts = self.restarts.clone();
        self.call(move |conn| {
            let terminals: i64 =
                conn.query_row("SELECT count(*) FROM terminals", [], |r| r.get(0))?;
            Ok(DbHealth {
                terminals: terminals as u64,
                writer_restarts: restarts.load(Ordering::Relaxed),
            })
        })
        .await
    }

    async fn migrate(&self) -> Result<i64, DbError> {
        self.call(|conn| {
            let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            let known = SQLITE_MIGRATIONS.len() as i64;
            if found > known {
                return Err(DbError::SchemaTooNew { found, known });
            }
            for (i, sql) in SQLITE_MIGRATIONS.iter().enumerate().skip(found as usize) {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                tx.execute_batch(sql)?;
                tx.pragma_update(None, "user_version", (i + 1) as i64)?;
                tx.commit()?;
            }
            let filled = series::backfill_chains(conn)?;
            if filled > 0 {
                tracing::info!(
                    records = filled,
                    "series chains computed for records stored before series identity"
                );
            }
            Ok(known)
        })
        .await
    }

    async fn create_tenant(&self, tenant_id: &str, name: &str, now_ms: i64) -> Result<(), DbError> {
        let (tenant_id, name) = (tenant_id.to_owned(), name.to_owned());
        self.call(move |conn| {
            conn.execute(
                "INSERT INTO tenants (tenant_id, name, created_at_ms) VALUES (?1, ?2, ?3)",
                params![tenant_id, name, now_ms],
            )
            .map_err(|e| {
                if is_unique_violation(&e) {
                    DbError::AlreadyExists {
                        what: format!("tenant \"{tenant_id}\""),
                    }
                } else {
                    e.into()
                }
            })?;
            Ok(())
        })
        .await
    }

    async fn create_store(
        &self,
        tenant_id: &str,
        store_id: &str,
        name: &str,
        now_ms: i64,
    ) -> Result<(), DbError> {
        let (tenant_id, store_id, name) =
            (tenant_id.to_owned(), store_id.to_owned(), name.to_owned());
        self.call(move |conn| {
            let tenant = tenant_pk(conn, &tenant_id)?;
            conn.execute(
                "INSERT INTO stores (tenant_pk, store_id, name, created_at_ms) VALUES (?1, ?2, ?3, ?4)",
                params![tenant, store_id, name, now_ms],
            )
            .map_err(|e| {
                if is_unique_violation(&e) {
                    DbError::AlreadyExists { what: format!("store \"{store_id}\"") }
                } else {
                    e.into()
                }
            })?;
            Ok(())
        })
        .await
    }

    async fn create_enrolment_code(
        &self,
        tenant_id: &str,
        store_id: &str,
        code_hash: &str,
        expires_at_ms: i64,
        now_ms: i64,
    ) -> Result<(), DbError> {
        let (tenant_id, store_id, code_hash) = (
            tenant_id.to_owned(),
            store_id.to_owned(),
            code_hash.to_owned(),
        );
        self.call(move |conn| {
            let (_, store) = store_pk(conn, &tenant_id, &store_id)?;
            conn.execute(
                "INSERT INTO enrolment_codes (code_hash, store_pk, created_at_ms, expires_at_ms) VALUES (?1, ?2, ?3, ?4)",
                params![code_hash, store, now_ms, expires_at_ms],
            )?;
            Ok(())
        })
        .await
    }

    async fn enrol(&self, e: NewEnrolment) -> Result<TerminalIdentity, DbError> {
        self.call(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let code: Option<(i64, i64, Option<i64>)> = tx
                .query_row(
                    "SELECT store_pk, expires_at_ms, used_at_ms FROM enrolment_codes WHERE code_hash = ?1",
                    [&e.code_hash],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let store = match code {
                None => return Err(DbError::CodeUnknown),
                Some((_, _, Some(_))) => return Err(DbError::CodeUsed),
                Some((_, expires, None)) if expires <= e.now_ms => return Err(DbError::CodeExpired),
                Some((store, _, None)) => store,
            };
            tx.execute(
                "INSERT INTO terminals (store_pk, terminal_id, credential_lookup, secret_hash, enrolled_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![store, e.terminal_id, e.credential_lookup, e.secret_hash, e.now_ms],
            )
            .map_err(|err| {
                if is_unique_violation(&err) {
                    DbError::AlreadyExists { what: format!("terminal \"{}\" in this store", e.terminal_id) }
                } else {
                    err.into()
                }
            })?;
            let terminal = tx.last_insert_rowid();
            tx.execute(
                "UPDATE enrolment_codes SET used_at_ms = ?1, terminal_pk = ?2 WHERE code_hash = ?3",
                params![e.now_ms, terminal, e.code_hash],
            )?;
            let who = identity(&tx, terminal)?;
            tx.commit()?;
            Ok(who)
        })
        .await
    }

    async fn credential(&self, lookup: &str) -> Result<Option<StoredCredential>, DbError> {
        let lookup = lookup.to_owned();
        self.call(move |conn| {
            let found: Option<(i64, String)> = conn
                .query_row(
                    "SELECT pk, secret_hash FROM terminals WHERE credential_lookup = ?1",
                    [lookup],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            match found {
                None => Ok(None),
                Some((pk, secret_hash)) => Ok(Some(StoredCredential {
                    identity: identity(conn, pk)?,
                    secret_hash,
                })),
            }
        })
        .await
    }

    async fn touch_terminal(&self, terminal_pk: i64, now_ms: i64) -> Result<(), DbError> {
        self.call(move |conn| {
            conn.execute(
                "UPDATE terminals SET last_seen_ms = ?1 WHERE pk = ?2",
                params![now_ms, terminal_pk],
            )?;
            Ok(())
        })
        .await
    }

    async fn held_through(&self, terminal_pk: i64) -> Result<u64, DbError> {
        self.call(move |conn| {
            let held: i64 = conn.query_row(
                "SELECT held_through FROM terminals WHERE pk = ?1",
                [terminal_pk],
                |r| r.get(0),
            )?;
            Ok(held as u64)
        })
        .await
    }

    async fn series_status(
        &self,
        terminal_pk: i64,
        at: Option<u64>,
    ) -> Result<crate::db::series::SeriesStatus, DbError> {
        self.call(move |conn| series::series_status(conn, terminal_pk, at))
            .await
    }

    async fn ingest(
        &self,
        terminal: &TerminalIdentity,
        first_seq: u64,
        records: Vec<ReceivedRecord>,
        now_ms: i64,
    ) -> Result<IngestOutcome, DbError> {
        let terminal = terminal.clone();
        // the records come back to be freed here, not on the single writer thread
        let (outcome, records) = self
            .call(move |conn| {
                Ok((
                    ingest(conn, &terminal, first_seq, &records, now_ms),
                    records,
                ))
            })
            .await?;
        drop(records);
        outcome
    }

    async fn record_payloads(
        &self,
        terminal_pk: i64,
        from_seq: u64,
        limit: u32,
    ) -> Result<Vec<(u64, String)>, DbError> {
        let from = to_i64(from_seq)?;
        self.call(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT seq, payload FROM records WHERE terminal_pk = ?1 AND seq >= ?2
                 ORDER BY seq LIMIT ?3",
            )?;
            let rows = stmt.query_map(params![terminal_pk, from, limit], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get::<_, String>(1)?))
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    async fn record_count(&self, terminal_pk: i64) -> Result<u64, DbError> {
        self.call(move |conn| {
            let n: i64 = conn.query_row(
                "SELECT count(*) FROM records WHERE terminal_pk = ?1",
                [terminal_pk],
                |r| r.get(0),
            )?;
            Ok(n as u64)
        })
        .await
    }

    async fn publish(
        &self,
        tenant_id: &str,
        store_id: Option<&str>,
        changes: &[NewChange],
        now_ms: i64,
    ) -> Result<PublishOutcome, DbError> {
        let (tenant_id, store_id, changes) = (
            tenant_id.to_owned(),
            store_id.map(str::to_owned),
            changes.to_vec(),
        );
        self.call(move |conn| publish(conn, &tenant_id, store_id.as_deref(), &changes, now_ms))
            .await
    }

    async fn changes_after(
        &self,
        tenant_pk: i64,
        store_pk: i64,
        after_version: u64,
        snapshot: bool,
        limit: u32,
    ) -> Result<ChangeSlice, DbError> {
        self.call(move |conn| {
            let server_version: i64 = conn.query_row(
                "SELECT md_version FROM tenants WHERE pk = ?1",
                [tenant_pk],
                |r| r.get(0),
            )?;
            let mut stmt = conn.prepare_cached(
                "SELECT version, entity, key, op, data FROM md_changes
                  WHERE tenant_pk = ?1 AND version > ?2 AND (store_pk IS NULL OR store_pk = ?3)
                    AND superseded = 0 AND (?4 = 0 OR op = 'upsert')
                  ORDER BY version LIMIT ?5",
            )?;
            let rows = stmt.query_map(
                params![
                    tenant_pk,
                    to_i64(after_version)?,
                    store_pk,
                    i64::from(snapshot),
                    i64::from(limit) + 1
                ],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                    ))
                },
            )?;
            let mut changes = Vec::with_capacity(limit as usize + 1);
            for row in rows {
                let (version, entity, key, op, data) = row?;
                changes.push(schema::change(version, &entity, key, &op, data)?);
            }
            Ok(ChangeSlice {
                changes,
                server_version: server_version as u64,
            })
        })
        .await
    }

    async fn sales(
        &self,
        tenant_id: &str,
        from_day: &str,
        to_day: &str,
    ) -> Result<Vec<SalesRow>, DbError> {
        let (tenant_id, from_day, to_day) =
            (tenant_id.to_owned(), from_day.to_owned(), to_day.to_owned());
        self.call(move |conn| {
            let tenant = tenant_pk(conn, &tenant_id)?;
            let mut stmt = conn.prepare_cached(
                "SELECT s.store_id, x.day, t.terminal_id, x.tender, x.documents, x.amount
                   FROM sales x JOIN stores s ON s.pk = x.store_pk JOIN terminals t ON t.pk = x.terminal_pk
                  WHERE s.tenant_pk = ?1 AND x.day >= ?2 AND x.day <= ?3
                  ORDER BY s.store_id, x.day, t.terminal_id, x.tender",
            )?;
            let rows = stmt.query_map(params![tenant, from_day, to_day], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get::<_, String>(5)?))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (store_id, day, terminal_id, tender, documents, amount) = row?;
                out.push(SalesRow { store_id, day, terminal_id, tender, documents, amount: parse_decimal(&amount)? });
            }
            Ok(out)
        })
        .await
    }

    async fn stock(
        &self,
        tenant_id: &str,
        store_id: Option<&str>,
    ) -> Result<Vec<StockRow>, DbError> {
        let (tenant_id, store_id) = (tenant_id.to_owned(), store_id.map(str::to_owned));
        self.call(move |conn| {
            let tenant = tenant_pk(conn, &tenant_id)?;
            let mut stmt = conn.prepare_cached(
                "SELECT s.store_id, x.sku, x.qty FROM stock x JOIN stores s ON s.pk = x.store_pk
                  WHERE s.tenant_pk = ?1 AND (?2 IS NULL OR s.store_id = ?2)
                  ORDER BY s.store_id, x.sku",
            )?;
            let rows = stmt.query_map(params![tenant, store_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get::<_, String>(2)?))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (store_id, sku, qty) = row?;
                out.push(StockRow {
                    store_id,
                    sku,
                    qty: parse_decimal(&qty)?.normalize(),
                });
            }
            Ok(out)
        })
        .await
    }

    async fn terminals(&self, tenant_id: &str) -> Result<Vec<TerminalRow>, DbError> {
        let tenant_id = tenant_id.to_owned();
        self.call(move |conn| {
            let tenant = tenant_pk(conn, &tenant_id)?;
            let mut stmt = conn.prepare_cached(
                "SELECT s.store_id, t.terminal_id, t.enrolled_at_ms, t.last_seen_ms, t.held_through, t.newest_record_ms, t.pk
                   FROM terminals t JOIN stores s ON s.pk = t.store_pk
                  WHERE s.tenant_pk = ?1 ORDER BY s.store_id, t.terminal_id",
            )?;
            let rows = stmt.query_map([tenant], |r| {
                Ok((
                    r.get::<_, i64>(6)?,
                    TerminalRow {
                        store_id: r.get(0)?,
                        terminal_id: r.get(1)?,
                        enrolled_at_ms: r.get(2)?,
                        last_seen_ms: r.get(3)?,
                        held_through: r.get::<_, i64>(4)? as u64,
                        newest_record_ms: r.get(5)?,
                        fork: None,
                    },
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (pk, mut terminal) = row?;
                terminal.fork = series::fork_state(conn, pk)?;
                out.push(terminal);
            }
            Ok(out)
        })
        .await
    }

    async fn journals(&self, tenant_id: &str) -> Result<Vec<JournalRow>, DbError> {
        let tenant_id = tenant_id.to_owned();
        self.call(move |conn| {
            let tenant = tenant_pk(conn, &tenant_id)?;
            let mut stmt = conn.prepare_cached(
                "SELECT s.store_id, t.terminal_id, t.journal_state
                   FROM terminals t JOIN stores s ON s.pk = t.store_pk
                  WHERE s.tenant_pk = ?1 ORDER BY s.store_id, t.terminal_id",
            )?;
            let rows = stmt.query_map([tenant], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get::<_, Option<String>>(2)?))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (store_id, terminal_id, state) = row?;
                let state: JournalState = schema::journal_state(state.as_deref())?;
                out.push(JournalRow {
                    store_id,
                    terminal_id,
                    state,
                });
            }
            Ok(out)
        })
        .await
    }

    async fn tenant_ids(&self) -> Result<Vec<String>, DbError> {
        self.call(|conn| {
            let mut stmt =
                conn.prepare_cached("SELECT tenant_id FROM tenants ORDER BY tenant_id")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }
}
