//! The SQLite write paths that carry the ingest and publishing rules (see
//! [`crate::db`]): one IMMEDIATE transaction each, on the owner thread.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use rust_decimal::Decimal;

use super::{parse_decimal, series, store_pk, tenant_pk, to_i64};
use crate::db::schema;
use crate::db::series::{SeriesConflict, chain_batch};
use crate::db::{
    DbError, IngestOutcome, NewChange, PublishOutcome, ReceivedRecord, TerminalIdentity,
};
use crate::projection::{add, advance_journal, project};

pub(super) fn ingest(
    conn: &mut Connection,
    terminal: &TerminalIdentity,
    first_seq: u64,
    records: &[ReceivedRecord],
    now_ms: i64,
) -> Result<IngestOutcome, DbError> {
    match ingest_in_series(conn, terminal, first_seq, records, now_ms)? {
        Ok(outcome) => Ok(outcome),
        Err(conflict) => {
            // the batch's transaction was rolled back; keep it apart in one of its own
            series::keep_apart(conn, terminal, records, &conflict, now_ms)?;
            Err(DbError::SeriesConflict {
                seq: conflict.seq,
                detail: conflict.detail,
            })
        }
    }
}

/// The batch's own transaction: `Ok(Err(conflict))` when it differs from
/// the held series (nothing committed).
fn ingest_in_series(
    conn: &mut Connection,
    terminal: &TerminalIdentity,
    first_seq: u64,
    records: &[ReceivedRecord],
    now_ms: i64,
) -> Result<Result<IngestOutcome, SeriesConflict>, DbError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let (held, journal_json): (i64, Option<String>) = tx
        .prepare_cached("SELECT held_through, journal_state FROM terminals WHERE pk = ?1")?
        .query_row([terminal.terminal_pk], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let held = held as u64;
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
    let start = series::chain_at(&tx, terminal.terminal_pk, first_seq.saturating_sub(1))?;
    let held_chains = series::chains_between(
        &tx,
        terminal.terminal_pk,
        first_seq,
        (first_seq + skip as u64).saturating_sub(1),
    )?;
    let digests: Vec<[u8; 32]> = records.iter().map(|r| r.digest).collect();
    let chains = match chain_batch(first_seq, start, &digests, &held_chains) {
        Ok(chains) => chains,
        Err(conflict) => return Ok(Err(conflict)),
    };
    let duplicates = skip as u32;
    let mut inserted: Vec<&ReceivedRecord> = Vec::new();
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO records (terminal_pk, seq, id, kind, document_type, created_at_ms, received_at_ms, payload, chain, tenant_pk)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT DO NOTHING",
        )?;
        for (record, chain) in records[skip..].iter().zip(&chains[skip..]) {
            let n = insert.execute(params![
                terminal.terminal_pk,
                to_i64(record.seq)?,
                record.id.to_string(),
                schema::kind_str(record.kind),
                record.document_type,
                record.created_at.timestamp_millis(),
                now_ms,
                record.payload.get(),
                chain.0.as_slice(),
                terminal.tenant_pk,
            ])?;
            if n == 1 {
                inserted.push(record);
            } else {
                // past the mark the sequence is free: the id is held elsewhere
                return Ok(Err(SeriesConflict {
                    seq: record.seq,
                    detail: format!(
                        "record id {} is already held under another sequence",
                        record.id
                    ),
                }));
            }
        }
    }
    let delta = project(inserted.iter().map(|r| &r.effect))?;
    for (sku, qty) in &delta.stock {
        let old: Option<String> = tx
            .prepare_cached("SELECT qty FROM stock WHERE store_pk = ?1 AND sku = ?2")?
            .query_row(params![terminal.store_pk, sku], |r| r.get(0))
            .optional()?;
        let old = old
            .as_deref()
            .map(parse_decimal)
            .transpose()?
            .unwrap_or_default();
        let new = add(old, *qty, || format!("the stock of SKU {sku}"))?;
        tx.prepare_cached(
            "INSERT INTO stock (store_pk, sku, qty) VALUES (?1, ?2, ?3)
             ON CONFLICT (store_pk, sku) DO UPDATE SET qty = excluded.qty",
        )?
        .execute(params![terminal.store_pk, sku, new.normalize().to_string()])?;
    }
    for ((day, tender), (documents, amount)) in &delta.sales {
        let old: Option<(i64, String)> = tx
            .prepare_cached(
                "SELECT documents, amount FROM sales WHERE store_pk = ?1 AND day = ?2 AND terminal_pk = ?3 AND tender = ?4",
            )?
            .query_row(
                params![terminal.store_pk, day, terminal.terminal_pk, tender],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let (old_docs, old_amount) = match old {
            Some((d, a)) => (d, parse_decimal(&a)?),
            None => (0, Decimal::ZERO),
        };
        tx.prepare_cached(
            "INSERT INTO sales (store_pk, day, terminal_pk, tender, documents, amount) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (store_pk, day, terminal_pk, tender) DO UPDATE SET documents = excluded.documents, amount = excluded.amount",
        )?
        .execute(params![
            terminal.store_pk,
            day,
            terminal.terminal_pk,
            tender,
            old_docs.saturating_add(*documents),
            add(old_amount, *amount, || format!("the {tender} sales of {day}"))?.to_string()
        ])?;
    }
    if !delta.journal.is_empty() {
        let state = schema::journal_state(journal_json.as_deref())?;
        let next_state = advance_journal(&state, delta.journal);
        tx.prepare_cached("UPDATE terminals SET journal_state = ?1 WHERE pk = ?2")?
            .execute(params![
                schema::journal_json(&next_state)?,
                terminal.terminal_pk
            ])?;
    }
    let last_seq = first_seq + records.len() as u64 - 1;
    let held_through = held.max(last_seq);
    let newest = inserted
        .iter()
        .map(|r| r.created_at.timestamp_millis())
        .max();
    tx.prepare_cached(
        "UPDATE terminals SET held_through = ?1, last_seen_ms = ?2,
                newest_record_ms = max(coalesce(newest_record_ms, ?3), coalesce(?3, newest_record_ms))
          WHERE pk = ?4",
    )?
    .execute(params![to_i64(held_through)?, now_ms, newest, terminal.terminal_pk])?;
    tx.commit()?;
    let chain_head = match chains.last() {
        Some(last) if last_seq == held_through => *last,
        _ => series::chain_at(conn, terminal.terminal_pk, held_through)?,
    };
    Ok(Ok(IngestOutcome {
        applied: inserted.len() as u32,
        duplicates,
        held_through,
        unprojected: delta.unprojected,
        chain_head,
    }))
}

pub(super) fn publish(
    conn: &mut Connection,
    tenant_id: &str,
    store_id: Option<&str>,
    changes: &[NewChange],
    now_ms: i64,
) -> Result<PublishOutcome, DbError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let (tenant, store) = match store_id {
        Some(s) => {
            let (t, s) = store_pk(&tx, tenant_id, s)?;
            (t, Some(s))
        }
        None => (tenant_pk(&tx, tenant_id)?, None),
    };
    let current: i64 = tx.query_row(
        "SELECT md_version FROM tenants WHERE pk = ?1",
        [tenant],
        |r| r.get(0),
    )?;
    let mut version = current;
    {
        let mut supersede = tx.prepare_cached(
            "UPDATE md_changes SET superseded = 1
              WHERE tenant_pk = ?1 AND entity = ?2 AND key = ?3 AND store_pk IS ?4 AND superseded = 0",
        )?;
        let mut insert = tx.prepare_cached(
            "INSERT INTO md_changes (tenant_pk, version, store_pk, entity, key, op, data, superseded, published_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, ?8)",
        )?;
        for change in changes {
            version += 1;
            let entity = schema::entity_str(change.entity);
            supersede.execute(params![tenant, entity, change.key, store])?;
            insert.execute(params![
                tenant,
                version,
                store,
                entity,
                change.key,
                schema::op_str(change.op),
                change.data.to_string(),
                now_ms
            ])?;
        }
    }
    tx.execute(
        "UPDATE tenants SET md_version = ?1 WHERE pk = ?2",
        params![version, tenant],
    )?;
    tx.commit()?;
    Ok(PublishOutcome {
        first_version: (current + 1) as u64,
        last_version: version as u64,
        changes: changes.len() as u64,
    })
}
