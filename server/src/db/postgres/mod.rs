//! The PostgreSQL backend: a deadpool of tokio-postgres connections.
//!
//! Same rules as SQLite (see the module docs of [`crate::db`]); the
//! differences are PostgreSQL's: records go in with one
//! `INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING RETURNING seq`
//! per batch, the terminal row is locked `FOR UPDATE` so two uploads of one
//! terminal serialise, and projections are atomic NUMERIC upserts applied in
//! key order (so transactions of different terminals lock rows in one order).

use crate::db::ReceivedRecord;
use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use rust_decimal::Decimal;
use tokio_postgres::NoTls;
use tokio_postgres::error::SqlState;

use super::schema::{self, POSTGRES_MIGRATIONS};
use super::{
    ChangeSlice, Database, DbError, DbHealth, IngestOutcome, JournalRow, NewChange, NewEnrolment,
    PublishOutcome, SalesRow, StockRow, StoredCredential, TerminalIdentity, TerminalRow,
};

mod ingest;
mod revocation;
mod series;

/// PostgreSQL through a connection pool.
pub struct PostgresDatabase {
    pool: Pool,
}

impl std::fmt::Debug for PostgresDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresDatabase")
            .field("pool_size", &self.pool.status().size)
            .finish()
    }
}

impl From<tokio_postgres::Error> for DbError {
    fn from(e: tokio_postgres::Error) -> Self {
        DbError::Backend(format!("postgres: {e}"))
    }
}

impl From<deadpool_postgres::PoolError> for DbError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        DbError::Backend(format!("postgres pool: {e}"))
    }
}

fn unique_violation(e: tokio_postgres::Error, what: String) -> DbError {
    if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
        DbError::AlreadyExists { what }
    } else {
        e.into()
    }
}

fn to_i64(v: u64) -> Result<i64, DbError> {
    i64::try_from(v).map_err(|_| DbError::Backend(format!("{v} does not fit a database integer")))
}

fn parse_decimal(text: &str) -> Result<Decimal, DbError> {
    text.parse()
        .map_err(|_| DbError::Backend(format!("stored decimal \"{text}\" is not a number")))
}

const POOL_SIZE: usize = 16;
/// Changes written per statement when publishing.
const PUBLISH_CHUNK: usize = 5_000;
/// A publish of at least this many changes refreshes `md_changes`' statistics.
const ANALYZE_AFTER_CHANGES: usize = 1_000;

/// For each change, whether a later change of the same publish has the
/// same entity and key (then it is superseded from the start).
fn superseded_within(changes: &[NewChange]) -> Vec<bool> {
    let mut seen = std::collections::HashSet::new();
    let mut out = vec![false; changes.len()];
    for (i, change) in changes.iter().enumerate().rev() {
        out[i] = !seen.insert((change.entity, change.key.as_str()));
    }
    out
}

impl PostgresDatabase {
    /// Connect to `postgres://user@host:port/db` (no TLS: run it on the
    /// same host or a private network) and check one connection works.
    pub async fn connect(url: &str) -> Result<Self, DbError> {
        let config: tokio_postgres::Config = url.parse().map_err(|e| {
            DbError::Backend(format!(
                "database URL is not valid ({e}); use postgres://user@host:port/db"
            ))
        })?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .build()
            .map_err(|e| DbError::Backend(format!("postgres pool: {e}")))?;
        drop(pool.get().await?);
        Ok(Self { pool })
    }
}

async fn tenant_pk(
    client: &impl deadpool_postgres::GenericClient,
    tenant_id: &str,
) -> Result<i64, DbError> {
    client
        .query_opt("SELECT pk FROM tenants WHERE tenant_id = $1", &[&tenant_id])
        .await?
        .map(|r| r.get(0))
        .ok_or_else(|| DbError::NotFound {
            what: format!("tenant \"{tenant_id}\""),
        })
}

async fn store_pk(
    client: &impl deadpool_postgres::GenericClient,
    tenant_id: &str,
    store_id: &str,
) -> Result<(i64, i64), DbError> {
    let tenant = tenant_pk(client, tenant_id).await?;
    let store = client
        .query_opt(
            "SELECT pk FROM stores WHERE tenant_pk = $1 AND store_id = $2",
            &[&tenant, &store_id],
        )
        .await?
        .map(|r| r.get(0))
        .ok_or_else(|| DbError::NotFound {
            what: format!("store \"{store_id}\" of tenant \"{tenant_id}\""),
        })?;
    Ok((tenant, store))
}

async fn identity(
    client: &impl deadpool_postgres::GenericClient,
    terminal_pk: i64,
) -> Result<TerminalIdentity, DbError> {
    let r = client
        .query_one(
            "SELECT t.pk, t.terminal_id, s.pk, s.store_id, n.pk, n.tenant_id
               FROM terminals t JOIN stores s ON s.pk = t.store_pk JOIN tenants n ON n.pk = s.tenant_pk
              WHERE t.pk = $1",
            &[&terminal_pk],
        )
        .await?;
    Ok(TerminalIdentity {
        terminal_pk: r.get(0),
        terminal_id: r.get(1),
        store_pk: r.get(2),
        store_id: r.get(3),
        tenant_pk: r.get(4),
        tenant_id: r.get(5),
    })
}

#[async_trait]
impl Database for PostgresDatabase {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn health(&self) -> Result<DbHealth, DbError> {
        let client = self.pool.get().await?;
        let terminals: i64 = client
            .query_one("SELECT count(*) FROM terminals", &[])
            .await?
            .get(0);
        Ok(DbHealth {
            terminals: terminals as u64,
            writer_restarts: 0,
        })
    }

    async fn migrate(&self) -> Result<i64, DbError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        tx.batch_execute("SELECT pg_advisory_xact_lock(7261); CREATE TABLE IF NOT EXISTS kasa_schema (version BIGINT NOT NULL);")
            .await?;
        let found: i64 = match tx.query_opt("SELECT version FROM kasa_schema", &[]).await? {
            Some(row) => row.get(0),
            None => {
                tx.execute("INSERT INTO kasa_schema (version) VALUES (0)", &[])
                    .await?;
                0
            }
        };
        let known = POSTGRES_MIGRATIONS.len() as i64;
        if found > known {
            return Err(DbError::SchemaTooNew { found, known });
        }
        for sql in POSTGRES_MIGRATIONS.iter().skip(found as usize) {
            tx.batch_execute(sql).await?;
        }
        tx.execute("UPDATE kasa_schema SET version = $1", &[&known])
            .await?;
        tx.commit().await?;
        drop(client);
        let filled = series::backfill_chains(&self.pool).await?;
        if filled > 0 {
            tracing::info!(
                records = filled,
                "series chains computed for records stored before series identity"
            );
        }
        Ok(known)
    }

    async fn create_tenant(&self, tenant_id: &str, name: &str, now_ms: i64) -> Result<(), DbError> {
        let client = self.pool.get().await?;
        client
            .execute(
                "INSERT INTO tenants (tenant_id, name, created_at_ms) VALUES ($1, $2, $3)",
                &[&tenant_id, &name, &now_ms],
            )
            .await
            .map_err(|e| unique_violation(e, format!("tenant \"{tenant_id}\"")))?;
        Ok(())
    }

    async fn create_store(
        &self,
        tenant_id: &str,
        store_id: &str,
        name: &str,
        now_ms: i64,
    ) -> Result<(), DbError> {
        let client = self.pool.get().await?;
        let tenant = tenant_pk(&client, tenant_id).await?;
        client
            .execute(
                "INSERT INTO stores (tenant_pk, store_id, name, created_at_ms) VALUES ($1, $2, $3, $4)",
                &[&tenant, &store_id, &name, &now_ms],
            )
            .await
            .map_err(|e| unique_violation(e, format!("store \"{store_id}\"")))?;
        Ok(())
    }

    async fn create_enrolment_code(
        &self,
        tenant_id: &str,
        store_id: &str,
        code_hash: &str,
        expires_at_ms: i64,
        now_ms: i64,
    ) -> Result<(), DbError> {
        let client = self.pool.get().await?;
        let (_, store) = store_pk(&client, tenant_id, store_id).await?;
        client
            .execute(
                "INSERT INTO enrolment_codes (code_hash, store_pk, created_at_ms, expires_at_ms) VALUES ($1, $2, $3, $4)",
                &[&code_hash, &store, &now_ms, &expires_at_ms],
            )
            .await?;
        Ok(())
    }

    async fn enrol(&self, e: NewEnrolment) -> Result<TerminalIdentity, DbError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let code = tx
            .query_opt(
                "SELECT store_pk, expires_at_ms, used_at_ms FROM enrolment_codes WHERE code_hash = $1 FOR UPDATE",
                &[&e.code_hash],
            )
            .await?
            .map(|r| (r.get::<_, i64>(0), r.get::<_, i64>(1), r.get::<_, Option<i64>>(2)));
        let store = match code {
            None => return Err(DbError::CodeUnknown),
            Some((_, _, Some(_))) => return Err(DbError::CodeUsed),
            Some((_, expires, None)) if expires <= e.now_ms => return Err(DbError::CodeExpired),
            Some((store, _, None)) => store,
        };
        let terminal: i64 = tx
            .query_one(
                "INSERT INTO terminals (store_pk, terminal_id, credential_lookup, secret_hash, enrolled_at_ms)
                 VALUES ($1, $2, $3, $4, $5) RETURNING pk",
                &[&store, &e.terminal_id, &e.credential_lookup, &e.secret_hash, &e.now_ms],
            )
            .await
            .map_err(|err| unique_violation(err, format!("terminal \"{}\" in this store", e.terminal_id)))?
            .get(0);
        tx.execute(
            "UPDATE enrolment_codes SET used_at_ms = $1, terminal_pk = $2 WHERE code_hash = $3",
            &[&e.now_ms, &terminal, &e.code_hash],
        )
        .await?;
        let who = identity(&tx, terminal).await?;
        tx.commit().await?;
        Ok(who)
    }

    async fn credential(&self, lookup: &str) -> Result<Option<StoredCredential>, DbError> {
        let client = self.pool.get().await?;
        let Some(row) = client
            .query_opt(
                "SELECT pk, secret_hash FROM terminals WHERE credential_lookup = $1",
                &[&lookup],
            )
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(StoredCredential {
            identity: identity(&client, row.get(0)).await?,
            secret_hash: row.get(1),
        }))
    }

    async fn touch_terminal(&self, terminal_pk: i64, now_ms: i64) -> Result<(), DbError> {
        let client = self.pool.get().await?;
        client
            .execute(
                "UPDATE terminals SET last_seen_ms = $1 WHERE pk = $2",
                &[&now_ms, &terminal_pk],
            )
            .await?;
        Ok(())
    }

    async fn held_through(&self, terminal_pk: i64) -> Result<u64, DbError> {
        let client = self.pool.get().await?;
        let held: i64 = client
            .query_one(
                "SELECT held_through FROM terminals WHERE pk = $1",
                &[&terminal_pk],
            )
            .await?
            .get(0);
        Ok(held as u64)
    }

    async fn series_status(
        &self,
        terminal_pk: i64,
        at: Option<u64>,
    ) -> Result<crate::db::series::SeriesStatus, DbError> {
        series::series_status(&self.pool, terminal_pk, at).await
    }

    async fn ingest(
        &self,
        terminal: &TerminalIdentity,
        first_seq: u64,
        records: Vec<ReceivedRecord>,
        now_ms: i64,
    ) -> Result<IngestOutcome, DbError> {
        ingest::ingest(&self.pool, terminal, first_seq, &records, now_ms).await
    }

    async fn record_payloads(
        &self,
        terminal_pk: i64,
        from_seq: u64,
        limit: u32,
    ) -> Result<Vec<(u64, String)>, DbError> {
        let client = self.pool.get().await?;
        let rows = client
            .query(
                "SELECT seq, payload FROM records WHERE terminal_pk = $1 AND seq >= $2
                 ORDER BY seq LIMIT $3",
                &[&terminal_pk, &to_i64(from_seq)?, &i64::from(limit)],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| (r.get::<_, i64>(0) as u64, r.get::<_, String>(1)))
            .collect())
    }

    async fn record_count(&self, terminal_pk: i64) -> Result<u64, DbError> {
        let client = self.pool.get().await?;
        let n: i64 = client
            .query_one(
                "SELECT count(*) FROM records WHERE terminal_pk = $1",
                &[&terminal_pk],
            )
            .await?
            .get(0);
        Ok(n as u64)
    }

    async fn publish(
        &self,
        tenant_id: &str,
        store_id: Option<&str>,
        changes: &[NewChange],
        now_ms: i64,
    ) -> Result<PublishOutcome, DbError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let (tenant, store) = match store_id {
            Some(s) => {
                let (t, s) = store_pk(&tx, tenant_id, s).await?;
                (t, Some(s))
            }
            None => (tenant_pk(&tx, tenant_id).await?, None),
        };
        let current: i64 = tx
            .query_one(
                "SELECT md_version FROM tenants WHERE pk = $1 FOR UPDATE",
                &[&tenant],
            )
            .await?
            .get(0);
        // Chunks of one `UPDATE … FROM unnest` + one `INSERT … SELECT FROM unnest`
        // instead of two round trips per change: a 1,000,000-product catalog
        // is 200 chunks, not 2,000,000 statements.
        let later_in_publish = superseded_within(changes);
        let mut version = current;
        for (chunk_index, chunk) in changes.chunks(PUBLISH_CHUNK).enumerate() {
            let offset = chunk_index * PUBLISH_CHUNK;
            let entities: Vec<&str> = chunk.iter().map(|c| schema::entity_str(c.entity)).collect();
            let keys: Vec<&str> = chunk.iter().map(|c| c.key.as_str()).collect();
            // Each key is looked up through `md_changes_live` (the LATERAL
            // subquery, kept apart by OFFSET 0, can only run as an index
            // probe per key), then the versions found are updated by primary
            // key. The plain `UPDATE … FROM unnest(…)` join was planned from
            // statistics that lag a bulk publish (a table just loaded looks
            // empty): as a nested loop over every live change of the tenant
            // per chunk, 330 s for one 5,000-key chunk over 100,000 changes.
            tx.execute(
                "UPDATE md_changes m SET superseded = TRUE
                  WHERE m.tenant_pk = $1 AND m.version = ANY (ARRAY(
                    SELECT c.version FROM unnest($2::text[], $3::text[]) AS u(entity, key)
                    CROSS JOIN LATERAL (
                        SELECT version FROM md_changes c
                         WHERE c.tenant_pk = $1 AND c.entity = u.entity AND c.key = u.key
                           AND c.store_pk IS NOT DISTINCT FROM $4 AND NOT c.superseded
                        OFFSET 0) c))",
                &[&tenant, &entities, &keys, &store],
            )
            .await?;
            let versions: Vec<i64> = (1..=chunk.len() as i64).map(|i| version + i).collect();
            let ops: Vec<&str> = chunk.iter().map(|c| schema::op_str(c.op)).collect();
            let data: Vec<String> = chunk.iter().map(|c| c.data.to_string()).collect();
            let superseded: Vec<bool> = (0..chunk.len())
                .map(|i| later_in_publish[offset + i])
                .collect();
            tx.execute(
                "INSERT INTO md_changes (tenant_pk, version, store_pk, entity, key, op, data, superseded, published_at_ms)
                 SELECT $1, v, $2, e, k, o, d, s, $3
                   FROM unnest($4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bool[]) AS u(v, e, k, o, d, s)",
                &[&tenant, &store, &now_ms, &versions, &entities, &keys, &ops, &data, &superseded],
            )
            .await?;
            version += chunk.len() as i64;
        }
        tx.execute(
            "UPDATE tenants SET md_version = $1 WHERE pk = $2",
            &[&version, &tenant],
        )
        .await?;
        tx.commit().await?;
        if changes.len() >= ANALYZE_AFTER_CHANGES {
            // Fresh statistics for the pulls that follow: with statistics
            // from before a bulk publish, the page query (`version > cursor
            // ORDER BY version LIMIT n`) was planned as a scan and sort of
            // every live change per page — quadratic over a first download.
            // ANALYZE samples a bounded number of rows; after the commit, so
            // it sees them and holds no lock across the publish.
            client.batch_execute("ANALYZE md_changes").await?;
        }
        Ok(PublishOutcome {
            first_version: (current + 1) as u64,
            last_version: version as u64,
            changes: changes.len() as u64,
        })
    }

    async fn changes_after(
        &self,
        tenant_pk: i64,
        store_pk: i64,
        after_version: u64,
        snapshot: bool,
        limit: u32,
    ) -> Result<ChangeSlice, DbError> {
        let client = self.pool.get().await?;
        let server_version: i64 = client
            .query_one(
                "SELECT md_version FROM tenants WHERE pk = $1",
                &[&tenant_pk],
            )
            .await?
            .get(0);
        let rows = client
            .query(
                "SELECT version, entity, key, op, data FROM md_changes
                  WHERE tenant_pk = $1 AND version > $2 AND (store_pk IS NULL OR store_pk = $3)
                    AND NOT superseded AND (NOT $4 OR op = 'upsert')
                  ORDER BY version LIMIT $5",
                &[
                    &tenant_pk,
                    &to_i64(after_version)?,
                    &store_pk,
                    &snapshot,
                    &(i64::from(limit) + 1),
                ],
            )
            .await?;
        let mut changes = Vec::with_capacity(rows.len());
        for r in rows {
            changes.push(schema::change(
                r.get(0),
                r.get(1),
                r.get(2),
                r.get(3),
                r.get(4),
            )?);
        }
        Ok(ChangeSlice {
            changes,
            server_version: server_version as u64,
        })
    }

    async fn sales(
        &self,
        tenant_id: &str,
        from_day: &str,
        to_day: &str,
    ) -> Result<Vec<SalesRow>, DbError> {
        let client = self.pool.get().await?;
        let tenant = tenant_pk(&client, tenant_id).await?;
        let rows = client
            .query(
                "SELECT s.store_id, x.day, t.terminal_id, x.tender, x.documents, x.amount::text
                   FROM sales x JOIN stores s ON s.pk = x.store_pk JOIN terminals t ON t.pk = x.terminal_pk
                  WHERE s.tenant_pk = $1 AND x.day >= $2 AND x.day <= $3
                  ORDER BY s.store_id, x.day, t.terminal_id, x.tender",
                &[&tenant, &from_day, &to_day],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(SalesRow {
                    store_id: r.get(0),
                    day: r.get(1),
                    terminal_id: r.get(2),
                    tender: r.get(3),
                    documents: r.get(4),
                    amount: parse_decimal(r.get(5))?,
                })
            })
            .collect()
    }

    async fn stock(
        &self,
        tenant_id: &str,
        store_id: Option<&str>,
    ) -> Result<Vec<StockRow>, DbError> {
        let client = self.pool.get().await?;
        let tenant = tenant_pk(&client, tenant_id).await?;
        let rows = client
            .query(
                "SELECT s.store_id, x.sku, x.qty::text FROM stock x JOIN stores s ON s.pk = x.store_pk
                  WHERE s.tenant_pk = $1 AND ($2::text IS NULL OR s.store_id = $2)
                  ORDER BY s.store_id, x.sku",
                &[&tenant, &store_id],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(StockRow {
                    store_id: r.get(0),
                    sku: r.get(1),
                    qty: parse_decimal(r.get(2))?.normalize(),
                })
            })
            .collect()
    }

    async fn terminals(&self, tenant_id: &str) -> Result<Vec<TerminalRow>, DbError> {
        let client = self.pool.get().await?;
        let tenant = tenant_pk(&client, tenant_id).await?;
        let rows = client
            .query(
                "SELECT s.store_id, t.terminal_id, t.enrolled_at_ms, t.last_seen_ms, t.held_through, t.newest_record_ms, t.pk
                   FROM terminals t JOIN stores s ON s.pk = t.store_pk
                  WHERE s.tenant_pk = $1 ORDER BY s.store_id, t.terminal_id",
                &[&tenant],
            )
            .await?;
        let mut forks = series::fork_states(&**client, tenant).await?;
        Ok(rows
            .iter()
            .map(|r| TerminalRow {
                store_id: r.get(0),
                terminal_id: r.get(1),
                enrolled_at_ms: r.get(2),
                last_seen_ms: r.get(3),
                held_through: r.get::<_, i64>(4) as u64,
                newest_record_ms: r.get(5),
                fork: forks.remove(&r.get::<_, i64>(6)),
            })
            .collect())
    }

    async fn journals(&self, tenant_id: &str) -> Result<Vec<JournalRow>, DbError> {
        let client = self.pool.get().await?;
        let tenant = tenant_pk(&client, tenant_id).await?;
        let rows = client
            .query(
                "SELECT s.store_id, t.terminal_id, t.journal_state
                   FROM terminals t JOIN stores s ON s.pk = t.store_pk
                  WHERE s.tenant_pk = $1 ORDER BY s.store_id, t.terminal_id",
                &[&tenant],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let state: Option<String> = r.get(2);
                Ok(JournalRow {
                    store_id: r.get(0),
                    terminal_id: r.get(1),
                    state: schema::journal_state(state.as_deref())?,
                })
            })
            .collect()
    }

    async fn tenant_ids(&self) -> Result<Vec<String>, DbError> {
        let client = self.pool.get().await?;
        let rows = client
            .query("SELECT tenant_id FROM tenants ORDER BY tenant_id", &[])
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }
}
