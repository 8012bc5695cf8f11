//! Audit entries travel to head office: each one appended to the till's
//! audit log also becomes an `audit` record of the wire series, in the same
//! transaction (head office flags unusual cashier behaviour from them).
//!
//! The record sits after the wire records cut so far and is filed under
//! the last outbox row they came from (it has no outbox row of its own),
//! so the series stays gapless and outbox rows are still cut in order.
//! Its payload follows the contract's `AuditPayload` (`event`, `actor`,
//! `approver`, `reason`, `document_id`, `at`) plus the entry's `detail`.

use chrono::{DateTime, Utc};
use kasa_sync_protocol::{Record, RecordKind};
use rusqlite::{Connection, params};
use uuid::Uuid;

use super::{SyncError, identity, series};
use crate::users::AuditEntry;

/// Append `entry` to the wire series as an `audit` record.
pub fn append(conn: &Connection, entry: &AuditEntry<'_>) -> Result<(), SyncError> {
    let (outbox_seq, last_seq) = series::series_head(conn)?;
    let seq = last_seq + 1;
    let id = Uuid::now_v7();
    let created_at: DateTime<Utc> = entry.at.and_utc();
    let reason = entry.detail.get("reason").and_then(|r| r.as_str());
    let payload = serde_json::json!({
        "event": entry.action,
        "actor": entry.actor,
        "approver": entry.approved_by,
        "reason": reason,
        "document_id": entry.document_id,
        "at": entry.at,
        "detail": entry.detail,
    });
    // nulls left out, keys sorted: the stored text is what head office receives
    let payload = match payload {
        serde_json::Value::Object(map) => {
            serde_json::Value::Object(map.into_iter().filter(|(_, v)| !v.is_null()).collect())
        }
        other => other,
    }
    .to_string();
    // not enrolled: the till's own id (none yet on a store `kasa init` has not set up)
    let terminal_id = series::wire_terminal_id(conn, || {
        crate::settings::load(conn)
            .map(|s| s.terminal_id)
            .unwrap_or_default()
    })?;
    let encoded_len = series::record_encoded_len(
        &Record {
            terminal_id,
            seq,
            id,
            kind: RecordKind::Audit,
            document_type: None,
            created_at,
            payload: (),
        },
        payload.len(),
    )?;
    let chain = identity::chain_next(
        &identity::chain_before(conn, seq)?,
        &id,
        RecordKind::Audit,
        None,
        &payload,
    );
    conn.prepare_cached(
        "INSERT INTO sync_records (seq, outbox_seq, record_id, kind, document_type, created_at,
            payload, encoded_len, chain) VALUES (?1, ?2, ?3, 'audit', NULL, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        seq as i64,
        outbox_seq as i64,
        id.to_string(),
        created_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        payload,
        encoded_len as i64,
        chain.0.as_slice(),
    ])?;
    Ok(())
}
