//! Re-enrolling a till whose series forked from head office's (see
//! [`super::identity`]): a new terminal at head office whose series is the
//! till's records from the fork on.

use rusqlite::params;
use serde::Serialize;

use super::round::{Enrolment, check_url, cut_series, enrolment, now_text, redeem_code};
use super::{SyncError, identity, series};
use crate::store::Store;

/// What a re-enrolment did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reenrolment {
    /// The terminal id head office knew this till by until now.
    pub previous_terminal_id: String,
    /// The new enrolment.
    pub enrolment: Enrolment,
    /// Records head office holds under the previous terminal (archived on the till).
    pub archived_records: u64,
    /// Records that become the new terminal's series, from seq 1.
    pub records_to_upload: u64,
}

/// Re-enrol a till whose series forked from head office's (restored
/// backup, cloned disk) as a new terminal `new_terminal_id`, with a new
/// single-use `code`.
///
/// The records head office already holds under the previous terminal (the
/// part both series share, before the fork) are moved to
/// `sync_records_archive`; the till's own records from the fork on become
/// the new terminal's series, renumbered from 1 with their chain and
/// envelope length recomputed, and go up with the next round. The till's
/// own numbering and outbox stay as they are: head office files the new
/// records under the new terminal id.
pub fn reenrol(
    store: &mut Store,
    server_url: &str,
    code: &str,
    new_terminal_id: &str,
) -> Result<Reenrolment, SyncError> {
    let previous = enrolment(store.conn())?.ok_or(SyncError::NotEnrolled)?;
    let fork = identity::fork_state(store.conn())?.ok_or_else(|| SyncError::NotForked {
        terminal_id: previous.terminal_id.clone(),
    })?;
    if !kasa_sync_protocol::validate::is_valid_id(new_terminal_id)
        || new_terminal_id == previous.terminal_id
    {
        return Err(SyncError::BadTerminalId {
            terminal_id: new_terminal_id.to_owned(),
            previous: previous.terminal_id.clone(),
        });
    }
    check_url(server_url)?;
    cut_series(store)?;
    let enrolled = redeem_code(store, server_url, code, new_terminal_id, &previous.store_id)?;
    if enrolled.tenant_id != previous.tenant_id {
        return Err(SyncError::StoreMismatch {
            code_store: format!("{} of tenant {}", enrolled.store_id, enrolled.tenant_id),
            till_store: previous.store_id,
        });
    }
    let kept = fork.first_divergent_seq.saturating_sub(1);
    let tx = store.write_tx()?;
    let now = now_text();
    tx.execute(
        "INSERT INTO sync_enrolment_history (server_url, tenant_id, store_id, terminal_id, enrolled_at,
            ended_at, reason, records_uploaded) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            previous.server_url,
            previous.tenant_id,
            previous.store_id,
            previous.terminal_id,
            previous.enrolled_at,
            now,
            fork.code,
            kept as i64
        ],
    )?;
    archive(&tx, &previous.terminal_id, kept, &now)?;
    renumber_series(&tx, kept, &previous.terminal_id, &enrolled.terminal_id)?;
    // what the new terminal will send is queued again, outbox rows included
    tx.execute(
        "UPDATE outbox_synced SET through_seq = MIN(through_seq,
            COALESCE((SELECT MIN(outbox_seq) FROM sync_records) - 1, through_seq)) WHERE id = 1",
        [],
    )?;
    tx.execute(
        "UPDATE sync_state SET confirmed_through = 0, server_acked_seq = 0, fork_code = NULL,
            fork_seq = NULL, fork_detected_at = NULL, fork_message = NULL, last_error_code = NULL,
            last_error_message = NULL, last_error_at = NULL WHERE id = 1",
        [],
    )?;
    tx.execute(
        "UPDATE sync_enrolment SET server_url = ?1, terminal_id = ?2, credential = ?3, enrolled_at = ?4
          WHERE id = 1",
        params![
            enrolled.server_url,
            enrolled.terminal_id,
            enrolled.credential,
            enrolled.enrolled_at
        ],
    )?;
    let to_upload = series::last_seq(&tx)?;
    tx.commit()?;
    Ok(Reenrolment {
        previous_terminal_id: previous.terminal_id,
        enrolment: enrolled,
        archived_records: kept,
        records_to_upload: to_upload,
    })
}

/// Move records `1..=through` (what head office holds under the previous
/// terminal) to the archive, each with its payload text as sent.
fn archive(
    tx: &rusqlite::Transaction<'_>,
    terminal_id: &str,
    through: u64,
    now: &str,
) -> Result<(), SyncError> {
    let mut insert = tx.prepare(
        "INSERT INTO sync_records_archive (terminal_id, seq, outbox_seq, record_id, kind, document_type,
            created_at, payload, archived_at)
         SELECT ?1, seq, outbox_seq, record_id, kind, document_type, created_at, ?2, ?3
           FROM sync_records WHERE seq = ?4",
    )?;
    identity::for_each_record(tx, 1, through, |record| {
        insert.execute(params![
            terminal_id,
            record.payload.get(),
            now,
            record.seq as i64
        ])?;
        Ok(())
    })?;
    tx.execute("DELETE FROM sync_records WHERE seq <= ?1", [through as i64])?;
    Ok(())
}

/// Renumber the series after its first `removed` records left it: seq
/// `n` becomes `n - removed`, each record's chain is recomputed from
/// genesis and its envelope length for the new sequence and terminal id.
fn renumber_series(
    tx: &rusqlite::Transaction<'_>,
    removed: u64,
    old_terminal_id: &str,
    new_terminal_id: &str,
) -> Result<(), SyncError> {
    const PARK: i64 = 1 << 52; // above any real sequence: no clash while renumbering
    tx.execute("UPDATE sync_records SET seq = seq + ?1", [PARK])?;
    tx.execute(
        "UPDATE sync_records SET seq = seq - ?1",
        [PARK + removed as i64],
    )?;
    let digits = |n: u64| n.to_string().len() as i64;
    let id_change = new_terminal_id.len() as i64 - old_terminal_id.len() as i64;
    let mut chain = kasa_sync_protocol::SeriesHash::GENESIS;
    let mut update = tx.prepare(
        "UPDATE sync_records SET chain = ?1, encoded_len = encoded_len + ?2 WHERE seq = ?3",
    )?;
    let last = series::last_seq(tx)?;
    identity::for_each_record(tx, 1, last, |record| {
        chain = identity::chain_next(
            &chain,
            &record.id,
            record.kind,
            record.document_type.as_deref(),
            record.payload.get(),
        );
        let change = digits(record.seq) - digits(record.seq + removed) + id_change;
        update.execute(params![chain.0.as_slice(), change, record.seq as i64])?;
        Ok(())
    })?;
    Ok(())
}
