//! What the manager and the UI see: `kasa sync status`.

use chrono::{DateTime, NaiveDateTime, Utc};
use rusqlite::Connection;
use serde::Serialize;

use super::{SyncError, round, trust};

/// The sync state of this till.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncStatus {
    /// Enrolled, and with which head office.
    pub enrolled: bool,
    /// Head office URL.
    pub server_url: Option<String>,
    /// This terminal's id at head office.
    pub terminal_id: Option<String>,
    /// Its store.
    pub store_id: Option<String>,
    /// Documents not yet fully acknowledged by head office (outbox rows).
    pub documents_queued: u64,
    /// Wire records (documents, movements, journal entries) not yet
    /// acknowledged, including those not yet cut from the outbox.
    pub records_queued: u64,
    /// When the oldest unsynced document was written (UTC).
    pub oldest_unsynced_at: Option<String>,
    /// Its age in seconds at `now`.
    pub oldest_unsynced_age_seconds: Option<i64>,
    /// Highest sequence head office acknowledged.
    pub server_acked_seq: u64,
    /// This till's last wire sequence.
    pub local_last_seq: u64,
    /// Last round that completed.
    pub last_success_at: Option<String>,
    /// Last round attempted.
    pub last_attempt_at: Option<String>,
    /// Last failure's code (cleared by a success).
    pub last_error_code: Option<String>,
    /// Last failure's message.
    pub last_error_message: Option<String>,
    /// When it failed.
    pub last_error_at: Option<String>,
    /// Whether the last round reached head office and completed.
    pub online: bool,
    /// Master-data cursor (opaque).
    pub master_data_cursor: Option<String>,
    /// Newest master-data version applied.
    pub master_data_version: u64,
    /// Newest version head office had at the last pull.
    pub server_version: u64,
    /// Barcodes, prices and tiers received before their product, waiting
    /// for it (not in the catalog yet).
    pub master_data_pending: u64,
    /// The extra CA trusted for head office's https address, if one was set.
    pub extra_ca: Option<trust::StoredCa>,
    /// Set when this till's series forked from head office's (restored
    /// backup, cloned disk): uploading is stopped until it is re-enrolled.
    pub fork: Option<super::identity::ForkState>,
    /// Records sent again because head office held less than it had
    /// acknowledged (restored from a backup), in total.
    pub refilled_records: u64,
    /// When that last happened.
    pub refilled_at: Option<String>,
    /// Earlier enrolments of this till (re-enrolled after a fork).
    pub earlier_enrolments: u64,
}

/// The status at `now`.
pub fn status(conn: &Connection, now: DateTime<Utc>) -> Result<SyncStatus, SyncError> {
    let enrolled = round::enrolment(conn)?;
    let documents_queued = crate::documents::outbox::queued_count(conn)?;
    let unconfirmed: i64 = conn.query_row(
        "SELECT COUNT(*) FROM sync_records
         WHERE seq > (SELECT confirmed_through FROM sync_state WHERE id = 1)",
        [],
        |r| r.get(0),
    )?;
    // outbox rows not yet turned into wire records count as at least one record each
    let not_cut: i64 = conn.query_row(
        "SELECT COUNT(*) FROM outbox WHERE seq > (SELECT COALESCE(MAX(outbox_seq), 0) FROM sync_records)",
        [],
        |r| r.get(0),
    )?;
    let oldest = crate::documents::outbox::oldest_queued_at(conn)?;
    let (refilled_records, refilled_at) = super::identity::last_refill(conn)?;
    let earlier_enrolments: i64 =
        conn.query_row("SELECT COUNT(*) FROM sync_enrolment_history", [], |r| {
            r.get(0)
        })?;
    let oldest_at = oldest.as_deref().and_then(parse_time);
    let local_last_seq = super::series::last_seq(conn)?;
    let state = conn.query_row(
        "SELECT server_acked_seq, last_success_at, last_attempt_at, last_error_code,
                last_error_message, last_error_at, master_data_cursor, master_data_version,
                server_version FROM sync_state WHERE id = 1",
        [],
        |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, i64>(7)?,
                r.get::<_, i64>(8)?,
            ))
        },
    )?;
    let (acked, success, attempt, code, message, error_at, cursor, md_version, server_version) =
        state;
    Ok(SyncStatus {
        enrolled: enrolled.is_some(),
        server_url: enrolled.as_ref().map(|e| e.server_url.clone()),
        terminal_id: enrolled.as_ref().map(|e| e.terminal_id.clone()),
        store_id: enrolled.as_ref().map(|e| e.store_id.clone()),
        documents_queued,
        records_queued: (unconfirmed + not_cut) as u64,
        oldest_unsynced_at: oldest_at.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        oldest_unsynced_age_seconds: oldest_at.map(|t| (now - t).num_seconds().max(0)),
        server_acked_seq: acked as u64,
        local_last_seq,
        online: success.is_some() && code.is_none(),
        last_success_at: success,
        last_attempt_at: attempt,
        last_error_code: code,
        last_error_message: message,
        last_error_at: error_at,
        master_data_cursor: cursor,
        master_data_version: md_version as u64,
        server_version: server_version as u64,
        master_data_pending: super::master_data::pending_count(conn)?,
        extra_ca: trust::stored_ca_summary(conn)?,
        fork: super::identity::fork_state(conn)?,
        refilled_records,
        refilled_at,
        earlier_enrolments: earlier_enrolments as u64,
    })
}

fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDateTime::parse_from_str(text.trim_end_matches('Z'), "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|t| t.and_utc())
        })
}

/// The status as the CLI prints it.
pub fn describe_status(status: &SyncStatus) -> String {
    let mut out = String::new();
    match (&status.server_url, &status.terminal_id, &status.store_id) {
        (Some(url), Some(terminal), Some(store)) => {
            out.push_str(&format!(
                "head office   {url} (terminal {terminal}, store {store})\n"
            ));
        }
        _ => out.push_str(
            "head office   not enrolled — run `kasa sync enrol --server URL --code CODE`\n",
        ),
    }
    let state = if status.fork.is_some() {
        "upload stopped (series forked)"
    } else if status.online {
        "online"
    } else if status.last_attempt_at.is_none() {
        "never synced"
    } else {
        "offline"
    };
    out.push_str(&format!("state         {state}\n"));
    out.push_str(&format!(
        "queued        {} documents, {} records\n",
        status.documents_queued, status.records_queued
    ));
    match (
        &status.oldest_unsynced_at,
        status.oldest_unsynced_age_seconds,
    ) {
        (Some(at), Some(age)) => {
            out.push_str(&format!("oldest        {at} ({} ago)\n", human_age(age)))
        }
        _ => out.push_str("oldest        nothing waiting\n"),
    }
    out.push_str(&format!(
        "acknowledged  seq {} of {}\n",
        status.server_acked_seq, status.local_last_seq
    ));
    if let Some(fork) = &status.fork {
        out.push_str(&format!(
            "FORKED        [{}] since {}: records from seq {} on are kept on this till, not sent.\n\
             \x20             {}\n",
            fork.code, fork.detected_at, fork.first_divergent_seq, fork.message
        ));
    }
    if let Some(at) = &status.refilled_at {
        out.push_str(&format!(
            "refilled      {} records sent again (last {at}): head office had lost them (restored from a backup)\n",
            status.refilled_records
        ));
    }
    out.push_str(&format!(
        "last success  {}\n",
        status.last_success_at.as_deref().unwrap_or("never")
    ));
    if let (Some(code), Some(message)) = (&status.last_error_code, &status.last_error_message) {
        out.push_str(&format!(
            "last error    {} [{code}] {message}\n",
            status.last_error_at.as_deref().unwrap_or("")
        ));
    }
    out.push_str(&format!(
        "master data   version {} of {}\n",
        status.master_data_version, status.server_version
    ));
    if status.master_data_pending > 0 {
        out.push_str(&format!(
            "waiting       {} barcodes/prices for products not received yet\n",
            status.master_data_pending
        ));
    }
    if let Some(ca) = &status.extra_ca {
        out.push_str(&format!(
            "trusted CA    {} ({} certificate(s), set {}) besides the system's roots\n",
            ca.source, ca.certificates, ca.set_at
        ));
    }
    out
}

fn human_age(seconds: i64) -> String {
    match seconds {
        s if s < 120 => format!("{s} s"),
        s if s < 7_200 => format!("{} min", s / 60),
        s if s < 172_800 => format!("{} h", s / 3_600),
        s => format!("{} days", s / 86_400),
    }
}
