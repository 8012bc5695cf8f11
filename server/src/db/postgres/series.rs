//! PostgreSQL side of series identity ([`crate::db::series`]): chains read
//! and backfilled, conflicting batches kept apart, fork state.

use deadpool_postgres::Pool;
use kasa_sync_protocol::{SeriesHash, SeriesPoint, record_digest};
use tokio_postgres::GenericClient;

use super::to_i64;
use crate::db::schema;
use crate::db::series::{
    BACKFILL_CHUNK, ForkState, MAX_FORKED_RECORDS_PER_TERMINAL, SeriesConflict, SeriesStatus,
};
use crate::db::{DbError, ReceivedRecord, TerminalIdentity};

fn stored_chain(seq: i64, chain: Option<&[u8]>) -> Result<SeriesHash, DbError> {
    chain.and_then(SeriesHash::from_slice).ok_or_else(|| {
        DbError::Backend(format!(
            "record seq {seq} has no series chain; restart kasa-server to finish its migration"
        ))
    })
}

/// The chain of a terminal's series at `seq` (genesis at 0).
pub(super) async fn chain_at<C: GenericClient>(
    client: &C,
    terminal_pk: i64,
    seq: u64,
) -> Result<SeriesHash, DbError> {
    if seq == 0 {
        return Ok(SeriesHash::GENESIS);
    }
    let seq = to_i64(seq)?;
    let row = client
        .query_opt(
            "SELECT chain FROM records WHERE terminal_pk = $1 AND seq = $2",
            &[&terminal_pk, &seq],
        )
        .await?;
    stored_chain(seq, row.as_ref().and_then(|r| r.get::<_, Option<&[u8]>>(0)))
}

/// Stored chains of `from..=to` (ascending; empty when `from > to`).
pub(super) async fn chains_between<C: GenericClient>(
    client: &C,
    terminal_pk: i64,
    from: u64,
    to: u64,
) -> Result<Vec<SeriesHash>, DbError> {
    if from > to {
        return Ok(Vec::new());
    }
    let rows = client
        .query(
            "SELECT seq, chain FROM records WHERE terminal_pk = $1 AND seq BETWEEN $2 AND $3 ORDER BY seq",
            &[&terminal_pk, &to_i64(from)?, &to_i64(to)?],
        )
        .await?;
    rows.iter()
        .map(|r| stored_chain(r.get(0), r.get::<_, Option<&[u8]>>(1)))
        .collect()
}

pub(super) async fn series_status(
    pool: &Pool,
    terminal_pk: i64,
    at: Option<u64>,
) -> Result<SeriesStatus, DbError> {
    let client = pool.get().await?;
    let held: i64 = client
        .query_one(
            "SELECT held_through FROM terminals WHERE pk = $1",
            &[&terminal_pk],
        )
        .await?
        .get(0);
    let held = held as u64;
    let chain_head = chain_at(&**client, terminal_pk, held).await?;
    let chain_at = match at {
        Some(seq) if seq <= held => Some(SeriesPoint {
            seq,
            chain: chain_at(&**client, terminal_pk, seq).await?,
        }),
        _ => None,
    };
    Ok(SeriesStatus {
        held_through: held,
        chain_head,
        chain_at,
    })
}

/// Fill `records.chain` for records stored before series identity (see
/// the SQLite twin); returns how many it filled.
pub(super) async fn backfill_chains(pool: &Pool) -> Result<u64, DbError> {
    let mut filled = 0u64;
    loop {
        let mut client = pool.get().await?;
        let tx = client.transaction().await?;
        let rows = tx
            .query(
                "SELECT terminal_pk, seq, id, kind, document_type, payload FROM records
                  WHERE chain IS NULL ORDER BY terminal_pk, seq LIMIT $1 FOR UPDATE",
                &[&BACKFILL_CHUNK],
            )
            .await?;
        if rows.is_empty() {
            return Ok(filled);
        }
        let mut previous: Option<(i64, i64, SeriesHash)> = None;
        let (mut pks, mut seqs, mut chains) = (Vec::new(), Vec::new(), Vec::new());
        for row in &rows {
            let (terminal_pk, seq): (i64, i64) = (row.get(0), row.get(1));
            let before = match previous {
                Some((t, s, chain)) if t == terminal_pk && s + 1 == seq => chain,
                _ => chain_at(&*tx, terminal_pk, (seq - 1) as u64).await?,
            };
            let id: &str = row.get(2);
            let id = id
                .parse()
                .map_err(|_| DbError::Backend(format!("stored record id {id:?}")))?;
            let digest = record_digest(
                &id,
                schema::kind_from_str(row.get(3))?,
                row.get::<_, Option<&str>>(4),
                row.get(5),
            );
            let chain = before.next(&digest);
            pks.push(terminal_pk);
            seqs.push(seq);
            chains.push(chain.0.to_vec());
            previous = Some((terminal_pk, seq, chain));
        }
        tx.execute(
            "UPDATE records r SET chain = u.c
               FROM unnest($1::bigint[], $2::bigint[], $3::bytea[]) AS u(t, s, c)
              WHERE r.terminal_pk = u.t AND r.seq = u.s",
            &[&pks, &seqs, &chains],
        )
        .await?;
        tx.commit().await?;
        filled += rows.len() as u64;
    }
}

/// Keep a conflicting batch apart and mark its terminal forked, in one
/// transaction of its own (the batch's own was rolled back).
pub(super) async fn keep_apart(
    pool: &Pool,
    terminal: &TerminalIdentity,
    records: &[ReceivedRecord],
    conflict: &SeriesConflict,
    now_ms: i64,
) -> Result<(), DbError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    let kept: i64 = tx
        .query_one(
            "SELECT count(*) FROM forked_records WHERE terminal_pk = $1",
            &[&terminal.terminal_pk],
        )
        .await?
        .get(0);
    if kept < MAX_FORKED_RECORDS_PER_TERMINAL {
        let mut seqs = Vec::new();
        let mut ids = Vec::new();
        let mut kinds = Vec::new();
        let mut types: Vec<Option<&str>> = Vec::new();
        let mut created = Vec::new();
        let mut payloads = Vec::new();
        for r in records.iter().filter(|r| r.seq >= conflict.seq) {
            seqs.push(to_i64(r.seq)?);
            ids.push(r.id.to_string());
            kinds.push(schema::kind_str(r.kind));
            types.push(r.document_type.as_deref());
            created.push(r.created_at.timestamp_millis());
            payloads.push(r.payload.get());
        }
        tx.execute(
            "INSERT INTO forked_records (terminal_pk, seq, id, kind, document_type, created_at_ms, received_at_ms, payload)
             SELECT $1, s, i, k, d, c, $2, p
               FROM unnest($3::bigint[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::text[]) AS u(s, i, k, d, c, p)
             ON CONFLICT DO NOTHING",
            &[&terminal.terminal_pk, &now_ms, &seqs, &ids, &kinds, &types, &created, &payloads],
        )
        .await?;
    }
    tx.execute(
        "INSERT INTO terminal_forks (terminal_pk, first_conflict_seq, detected_at_ms, last_conflict_at_ms, conflicts)
         VALUES ($1, $2, $3, $3, 1)
         ON CONFLICT (terminal_pk) DO UPDATE SET
             first_conflict_seq = LEAST(terminal_forks.first_conflict_seq, EXCLUDED.first_conflict_seq),
             last_conflict_at_ms = EXCLUDED.last_conflict_at_ms,
             conflicts = terminal_forks.conflicts + 1",
        &[&terminal.terminal_pk, &to_i64(conflict.seq)?, &now_ms],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Fork state of every terminal of a tenant that has one, by terminal pk.
pub(super) async fn fork_states<C: GenericClient>(
    client: &C,
    tenant_pk: i64,
) -> Result<std::collections::HashMap<i64, ForkState>, DbError> {
    let rows = client
        .query(
            "SELECT f.terminal_pk, f.first_conflict_seq, f.detected_at_ms, f.last_conflict_at_ms, f.conflicts,
                    (SELECT count(*) FROM forked_records x WHERE x.terminal_pk = f.terminal_pk)
               FROM terminal_forks f JOIN terminals t ON t.pk = f.terminal_pk JOIN stores s ON s.pk = t.store_pk
              WHERE s.tenant_pk = $1",
            &[&tenant_pk],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| {
            (
                r.get::<_, i64>(0),
                ForkState {
                    first_conflict_seq: r.get::<_, i64>(1) as u64,
                    detected_at_ms: r.get(2),
                    last_conflict_at_ms: r.get(3),
                    conflicts: r.get::<_, i64>(4) as u64,
                    kept_apart: r.get::<_, i64>(5) as u64,
                },
            )
        })
        .collect())
}
