//! SQLite side of series identity ([`crate::db::series`]): chains read and
//! backfilled, conflicting batches kept apart, fork state.

use kasa_sync_protocol::{SeriesHash, SeriesPoint, record_digest};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::to_i64;
use crate::db::schema;
use crate::db::series::{
    BACKFILL_CHUNK, ForkState, MAX_FORKED_RECORDS_PER_TERMINAL, SeriesConflict, SeriesStatus,
};
use crate::db::{DbError, ReceivedRecord, TerminalIdentity};

/// The chain of a terminal's series at `seq` (genesis at 0). A held
/// record always has one after [`backfill_chains`].
pub(super) fn chain_at(
    conn: &Connection,
    terminal_pk: i64,
    seq: u64,
) -> Result<SeriesHash, DbError> {
    if seq == 0 {
        return Ok(SeriesHash::GENESIS);
    }
    let stored: Option<Option<Vec<u8>>> = conn
        .prepare_cached("SELECT chain FROM records WHERE terminal_pk = ?1 AND seq = ?2")?
        .query_row(params![terminal_pk, to_i64(seq)?], |r| r.get(0))
        .optional()?;
    stored
        .flatten()
        .as_deref()
        .and_then(SeriesHash::from_slice)
        .ok_or_else(|| {
            DbError::Backend(format!(
                "record seq {seq} of terminal {terminal_pk} has no series chain; restart kasa-server to finish its migration"
            ))
        })
}

/// Stored chains of `from..=to` (ascending; empty when `from > to`).
pub(super) fn chains_between(
    conn: &Connection,
    terminal_pk: i64,
    from: u64,
    to: u64,
) -> Result<Vec<SeriesHash>, DbError> {
    if from > to {
        return Ok(Vec::new());
    }
    let mut stmt = conn.prepare_cached(
        "SELECT seq, chain FROM records WHERE terminal_pk = ?1 AND seq BETWEEN ?2 AND ?3 ORDER BY seq",
    )?;
    let rows = stmt.query_map(params![terminal_pk, to_i64(from)?, to_i64(to)?], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, Option<Vec<u8>>>(1)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, chain) = row?;
        out.push(
            chain
                .as_deref()
                .and_then(SeriesHash::from_slice)
                .ok_or_else(|| DbError::Backend(format!("record seq {seq} has no series chain")))?,
        );
    }
    Ok(out)
}

pub(super) fn series_status(
    conn: &Connection,
    terminal_pk: i64,
    at: Option<u64>,
) -> Result<SeriesStatus, DbError> {
    let held: i64 = conn.query_row(
        "SELECT held_through FROM terminals WHERE pk = ?1",
        [terminal_pk],
        |r| r.get(0),
    )?;
    let held = held as u64;
    let chain_head = chain_at(conn, terminal_pk, held)?;
    let chain_at = match at {
        Some(seq) if seq <= held => Some(SeriesPoint {
            seq,
            chain: chain_at(conn, terminal_pk, seq)?,
        }),
        _ => None,
    };
    Ok(SeriesStatus {
        held_through: held,
        chain_head,
        chain_at,
    })
}

/// Fill `records.chain` for records stored before series identity, in
/// sequence order per terminal, [`BACKFILL_CHUNK`] records a transaction.
/// Returns how many records it filled.
pub(super) fn backfill_chains(conn: &mut Connection) -> Result<u64, DbError> {
    let mut filled = 0u64;
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let rows: Vec<(i64, i64, String, String, Option<String>, String)> = {
            let mut stmt = tx.prepare(
                "SELECT terminal_pk, seq, id, kind, document_type, payload FROM records
                  WHERE chain IS NULL ORDER BY terminal_pk, seq LIMIT ?1",
            )?;
            let mapped = stmt.query_map([BACKFILL_CHUNK], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })?;
            mapped.collect::<rusqlite::Result<_>>()?
        };
        if rows.is_empty() {
            return Ok(filled);
        }
        let mut previous: Option<(i64, i64, SeriesHash)> = None;
        {
            let mut update =
                tx.prepare("UPDATE records SET chain = ?1 WHERE terminal_pk = ?2 AND seq = ?3")?;
            for (terminal_pk, seq, id, kind, document_type, payload) in &rows {
                let before = match previous {
                    Some((t, s, chain)) if t == *terminal_pk && s + 1 == *seq => chain,
                    _ => chain_at(&tx, *terminal_pk, (*seq - 1) as u64)?,
                };
                let id = id
                    .parse()
                    .map_err(|_| DbError::Backend(format!("stored record id {id:?}")))?;
                let digest = record_digest(
                    &id,
                    schema::kind_from_str(kind)?,
                    document_type.as_deref(),
                    payload,
                );
                let chain = before.next(&digest);
                update.execute(params![chain.0.as_slice(), terminal_pk, seq])?;
                previous = Some((*terminal_pk, *seq, chain));
            }
        }
        tx.commit()?;
        filled += rows.len() as u64;
    }
}

/// Keep a conflicting batch apart and mark its terminal forked, in one
/// transaction of its own (the batch's own was rolled back).
pub(super) fn keep_apart(
    conn: &mut Connection,
    terminal: &TerminalIdentity,
    records: &[ReceivedRecord],
    conflict: &SeriesConflict,
    now_ms: i64,
) -> Result<(), DbError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let kept: i64 = tx.query_row(
        "SELECT count(*) FROM forked_records WHERE terminal_pk = ?1",
        [terminal.terminal_pk],
        |r| r.get(0),
    )?;
    if kept < MAX_FORKED_RECORDS_PER_TERMINAL {
        let mut insert = tx.prepare_cached(
            "INSERT INTO forked_records (terminal_pk, seq, id, kind, document_type, created_at_ms, received_at_ms, payload)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING",
        )?;
        for record in records.iter().filter(|r| r.seq >= conflict.seq) {
            insert.execute(params![
                terminal.terminal_pk,
                to_i64(record.seq)?,
                record.id.to_string(),
                schema::kind_str(record.kind),
                record.document_type,
                record.created_at.timestamp_millis(),
                now_ms,
                record.payload.get(),
            ])?;
        }
    }
    tx.execute(
        "INSERT INTO terminal_forks (terminal_pk, first_conflict_seq, detected_at_ms, last_conflict_at_ms, conflicts)
         VALUES (?1, ?2, ?3, ?3, 1)
         ON CONFLICT (terminal_pk) DO UPDATE SET
             first_conflict_seq = min(first_conflict_seq, excluded.first_conflict_seq),
             last_conflict_at_ms = excluded.last_conflict_at_ms,
             conflicts = conflicts + 1",
        params![terminal.terminal_pk, to_i64(conflict.seq)?, now_ms],
    )?;
    tx.commit()?;
    Ok(())
}

/// The fork state of a terminal, if it ever sent a conflicting batch.
pub(super) fn fork_state(
    conn: &Connection,
    terminal_pk: i64,
) -> Result<Option<ForkState>, DbError> {
    let row: Option<(i64, i64, i64, i64)> = conn
        .prepare_cached(
            "SELECT first_conflict_seq, detected_at_ms, last_conflict_at_ms, conflicts
               FROM terminal_forks WHERE terminal_pk = ?1",
        )?
        .query_row([terminal_pk], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()?;
    let Some((seq, detected, last, conflicts)) = row else {
        return Ok(None);
    };
    let kept: i64 = conn.query_row(
        "SELECT count(*) FROM forked_records WHERE terminal_pk = ?1",
        [terminal_pk],
        |r| r.get(0),
    )?;
    Ok(Some(ForkState {
        first_conflict_seq: seq as u64,
        detected_at_ms: detected,
        last_conflict_at_ms: last,
        conflicts: conflicts as u64,
        kept_apart: kept as u64,
    }))
}
