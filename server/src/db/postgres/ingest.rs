//! The PostgreSQL ingest path (rules in [`crate::db`]): the terminal row
//! locked `FOR UPDATE`, the batch's new records stored, each projection as
//! one NUMERIC upsert over `unnest` in key order (one round trip, not one
//! per SKU), one transaction.
//!
//! New records are stored with a binary `COPY` inside a savepoint: under
//! the terminal's lock the sequences past `held_through` cannot conflict,
//! and a record id already held under another sequence (a till that queued
//! one record twice) is rare, so the fast path almost always stores the
//! whole run. When it meets a unique violation it rolls back to the
//! savepoint and the batch goes through `INSERT … SELECT FROM unnest(…) ON
//! CONFLICT DO NOTHING RETURNING seq`, which stores what is new and reports
//! the rest as duplicates. `COPY` skips the executor's per-row work and the
//! separate conflict probe of both unique indexes (the catch-up bench in
//! BENCHMARKS.md).

use std::collections::HashSet;
use std::pin::pin;

use deadpool_postgres::{Pool, Transaction};
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{ToSql, Type};

use super::{series, to_i64};
use crate::db::schema;
use crate::db::series::{SeriesConflict, chain_batch};
use crate::db::{DbError, IngestOutcome, ReceivedRecord, TerminalIdentity};
use crate::projection::{advance_journal, project};
use kasa_sync_protocol::SeriesHash;

/// Store a validated batch; a batch conflicting with the held series is
/// kept apart instead ([`crate::db::series`]).
pub(super) async fn ingest(
    pool: &Pool,
    terminal: &TerminalIdentity,
    first_seq: u64,
    records: &[ReceivedRecord],
    now_ms: i64,
) -> Result<IngestOutcome, DbError> {
    match ingest_in_series(pool, terminal, first_seq, records, now_ms).await? {
        Ok(outcome) => Ok(outcome),
        Err(conflict) => {
            series::keep_apart(pool, terminal, records, &conflict, now_ms).await?;
            Err(DbError::SeriesConflict {
                seq: conflict.seq,
                detail: conflict.detail,
            })
        }
    }
}

/// The batch's own transaction: `Ok(Err(conflict))` when it differs from
/// the held series (nothing committed).
async fn ingest_in_series(
    pool: &Pool,
    terminal: &TerminalIdentity,
    first_seq: u64,
    records: &[ReceivedRecord],
    now_ms: i64,
) -> Result<Result<IngestOutcome, SeriesConflict>, DbError> {
    let mut client = pool.get().await?;
    let mut tx = client.transaction().await?;
    let row = tx
        .query_one(
            "SELECT held_through, journal_state FROM terminals WHERE pk = $1 FOR UPDATE",
            &[&terminal.terminal_pk],
        )
        .await?;
    let held = row.get::<_, i64>(0) as u64;
    let journal_json: Option<String> = row.get(1);
    let next = held + 1;
    if first_seq > next {
        return Err(DbError::Gap {
            expected: next,
            found: first_seq,
        });
    }
    let skip = usize::try_from(next - first_seq)
        .unwrap_or(usize::MAX)
        .min(records.len());
    let start = series::chain_at(&*tx, terminal.terminal_pk, first_seq.saturating_sub(1)).await?;
    let held_chains = series::chains_between(
        &*tx,
        terminal.terminal_pk,
        first_seq,
        (first_seq + skip as u64).saturating_sub(1),
    )
    .await?;
    let digests: Vec<[u8; 32]> = records.iter().map(|r| r.digest).collect();
    let chains = match chain_batch(first_seq, start, &digests, &held_chains) {
        Ok(chains) => chains,
        Err(conflict) => return Ok(Err(conflict)),
    };
    let fresh = &records[skip..];
    if let Err(conflict) = store_records(&mut tx, terminal, now_ms, fresh, &chains[skip..]).await? {
        return Ok(Err(conflict));
    }
    let inserted: Vec<&ReceivedRecord> = fresh.iter().collect();
    let duplicates = skip as u32;
    let delta = project(inserted.iter().map(|r| &r.effect))?;
    // one statement per projection, keys in sorted order (the deltas are
    // BTreeMaps), so concurrent batches of one store lock rows in one order
    if !delta.stock.is_empty() {
        let (skus, qtys): (Vec<&str>, Vec<String>) = delta
            .stock
            .iter()
            .map(|(sku, qty)| (sku.as_str(), qty.to_string()))
            .unzip();
        tx.execute(
            "INSERT INTO stock (store_pk, sku, qty)
             SELECT $1, s, q::numeric FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS u(s, q, n) ORDER BY n
             ON CONFLICT (store_pk, sku) DO UPDATE SET qty = stock.qty + EXCLUDED.qty",
            &[&terminal.store_pk, &skus, &qtys],
        )
        .await?;
    }
    if !delta.sales.is_empty() {
        let mut days = Vec::with_capacity(delta.sales.len());
        let mut tenders = Vec::with_capacity(delta.sales.len());
        let mut documents = Vec::with_capacity(delta.sales.len());
        let mut amounts = Vec::with_capacity(delta.sales.len());
        for ((day, tender), (count, amount)) in &delta.sales {
            days.push(day.as_str());
            tenders.push(tender.as_str());
            documents.push(*count);
            amounts.push(amount.to_string());
        }
        tx.execute(
            "INSERT INTO sales (store_pk, day, terminal_pk, tender, documents, amount)
             SELECT $1, d, $2, t, c, a::numeric
               FROM unnest($3::text[], $4::text[], $5::bigint[], $6::text[]) WITH ORDINALITY AS u(d, t, c, a, n) ORDER BY n
             ON CONFLICT (store_pk, day, terminal_pk, tender)
             DO UPDATE SET documents = sales.documents + EXCLUDED.documents, amount = sales.amount + EXCLUDED.amount",
            &[&terminal.store_pk, &terminal.terminal_pk, &days, &tenders, &documents, &amounts],
        )
        .await?;
    }
    if !delta.journal.is_empty() {
        let state = schema::journal_state(journal_json.as_deref())?;
        let next_state = advance_journal(&state, delta.journal);
        tx.execute(
            "UPDATE terminals SET journal_state = $1 WHERE pk = $2",
            &[&schema::journal_json(&next_state)?, &terminal.terminal_pk],
        )
        .await?;
    }
    let last_seq = first_seq + records.len() as u64 - 1;
    let held_through = held.max(last_seq);
    let newest = inserted
        .iter()
        .map(|r| r.created_at.timestamp_millis())
        .max();
    tx.execute(
        "UPDATE terminals SET held_through = $1, last_seen_ms = $2, newest_record_ms = GREATEST(newest_record_ms, $3)
          WHERE pk = $4",
        &[&to_i64(held_through)?, &now_ms, &newest, &terminal.terminal_pk],
    )
    .await?;
    tx.commit().await?;
    let chain_head = match chains.last() {
        Some(last) if last_seq == held_through => *last,
        _ => series::chain_at(&**client, terminal.terminal_pk, held_through).await?,
    };
    Ok(Ok(IngestOutcome {
        applied: inserted.len() as u32,
        duplicates,
        held_through,
        unprojected: delta.unprojected,
        chain_head,
    }))
}

/// Store `fresh` (sequences past what the terminal held) with their
/// chains. Under the terminal's lock their sequences are free, so a unique
/// violation means a record id held under another sequence: a conflict,
/// named by the first such record.
async fn store_records(
    tx: &mut Transaction<'_>,
    terminal: &TerminalIdentity,
    now_ms: i64,
    fresh: &[ReceivedRecord],
    chains: &[SeriesHash],
) -> Result<Result<(), SeriesConflict>, DbError> {
    if fresh.is_empty() {
        return Ok(Ok(()));
    }
    let (terminal_pk, tenant_pk) = (terminal.terminal_pk, terminal.tenant_pk);
    let mut seqs = Vec::with_capacity(fresh.len());
    let mut ids = Vec::with_capacity(fresh.len());
    let mut kinds = Vec::with_capacity(fresh.len());
    let mut types: Vec<Option<&str>> = Vec::with_capacity(fresh.len());
    let mut created = Vec::with_capacity(fresh.len());
    let mut payloads = Vec::with_capacity(fresh.len());
    let mut chain_bytes = Vec::with_capacity(fresh.len());
    for (r, chain) in fresh.iter().zip(chains) {
        seqs.push(to_i64(r.seq)?);
        ids.push(r.id.to_string());
        kinds.push(schema::kind_str(r.kind));
        types.push(r.document_type.as_deref());
        created.push(r.created_at.timestamp_millis());
        payloads.push(r.payload.get());
        chain_bytes.push(chain.0.as_slice());
    }
    let savepoint = tx.savepoint("copy_records").await?;
    let copied = async {
        let sink = savepoint
            .copy_in(
                "COPY records (terminal_pk, seq, id, kind, document_type, created_at_ms, received_at_ms, payload, chain, tenant_pk)
                 FROM STDIN BINARY",
            )
            .await?;
        let mut writer = pin!(BinaryCopyInWriter::new(
            sink,
            &[
                Type::INT8,
                Type::INT8,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::INT8,
                Type::INT8,
                Type::TEXT,
                Type::BYTEA,
                Type::INT8,
            ],
        ));
        for i in 0..fresh.len() {
            let row: [&(dyn ToSql + Sync); 10] = [
                &terminal_pk,
                &seqs[i],
                &ids[i],
                &kinds[i],
                &types[i],
                &created[i],
                &now_ms,
                &payloads[i],
                &chain_bytes[i],
                &tenant_pk,
            ];
            writer.as_mut().write(&row).await?;
        }
        writer.finish().await
    }
    .await;
    match copied {
        Ok(_) => {
            savepoint.commit().await?;
            Ok(Ok(()))
        }
        Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
            savepoint.rollback().await?;
            let held: HashSet<String> = tx
                .query(
                    "SELECT id FROM records WHERE tenant_pk = $1 AND id = ANY($2)",
                    &[&tenant_pk, &ids],
                )
                .await?
                .iter()
                .map(|r| r.get::<_, String>(0))
                .collect();
            let first = fresh
                .iter()
                .zip(&ids)
                .find(|(_, id)| held.contains(*id))
                .map_or(fresh[0].seq, |(r, _)| r.seq);
            Ok(Err(SeriesConflict {
                seq: first,
                detail: format!(
                    "record id {} is already held under another sequence",
                    ids[usize::try_from(first - fresh[0].seq).unwrap_or(0)]
                ),
            }))
        }
        Err(e) => Err(e.into()),
    }
}
