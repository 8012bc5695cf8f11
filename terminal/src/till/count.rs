//! The count this till is working on. The count itself (session,
//! snapshot, entries) lives in the stock tables (`crate::stock::count`);
//! which session this till has open is kept in the `meta` table under
//! [`OPEN_COUNT_KEY`], written in the transaction that starts the count and
//! removed in the one that approves it, so a restart finds it again: at
//! login the session reloads it with this device's entries
//! ([`load_open_count`]).
//!
//! Approving a count ([`approve_count`]) is the same for the CLI and the
//! desktop: the approval path of [`super::approval`] (a cashier needs a
//! manager's PIN) and a `count.approve` audit entry every time.

use chrono::NaiveDateTime;
use kasa_domain::permission::{Operator, Permission};
use rusqlite::{Connection, OptionalExtension, params};
use rust_decimal::Decimal;
use serde::Serialize;
use uuid::Uuid;

use super::TillError;
use super::approval::{ApprovalRequest, with_manager};
use crate::settings::TillSettings;
use crate::stock::count::{self, CountApproved, CountScope, CountStatus};
use crate::store::Store;
use crate::users::{self, AuditEntry};

/// The `meta` key holding the id of the count this till has open.
pub const OPEN_COUNT_KEY: &str = "till.open_count";

/// A count session this till is working on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpenCount {
    /// Session id.
    pub id: Uuid,
    /// Expected quantities are hidden while counting.
    pub blind: bool,
    /// `full`, `groups` or `skus`.
    pub scope: &'static str,
    /// This till's counted scans, newest first.
    pub entries: Vec<CountedEntry>,
}

/// One scan counted on this till.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CountedEntry {
    /// The entry number of this device.
    pub entry_no: u64,
    /// SKU.
    pub sku: String,
    /// Product name.
    pub name: String,
    /// Counted by this scan.
    pub qty: Decimal,
    /// Counted of this product in the session after this scan (all devices).
    pub counted: Decimal,
    /// Expected quantity; `None` in a blind count.
    pub expected: Option<Decimal>,
}

/// The scope's name as stored and shown.
pub fn scope_name(scope: &CountScope) -> &'static str {
    match scope {
        CountScope::Full => "full",
        CountScope::Groups(_) => "groups",
        CountScope::Skus(_) => "skus",
    }
}

/// Remember `id` as this till's open count (inside the caller's transaction).
pub(crate) fn remember(conn: &Connection, id: Uuid) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = ?2",
        params![OPEN_COUNT_KEY, id.to_string()],
    )?;
    Ok(())
}

/// Forget the open count if it is `id`.
pub(crate) fn forget(conn: &Connection, id: Uuid) -> rusqlite::Result<()> {
    conn.execute(
        "DELETE FROM meta WHERE key = ?1 AND value = ?2",
        params![OPEN_COUNT_KEY, id.to_string()],
    )?;
    Ok(())
}

/// The count this till has open, with the entries `device` counted; `None`
/// when there is none or it was approved or cancelled meanwhile (e.g. from
/// the CLI).
pub fn load_open_count(conn: &Connection, device: &str) -> Result<Option<OpenCount>, TillError> {
    let stored: Option<String> = conn
        .query_row(
            "SELECT value FROM meta WHERE key = ?1",
            [OPEN_COUNT_KEY],
            |r| r.get(0),
        )
        .optional()?;
    let Some(id) = stored.and_then(|s| Uuid::parse_str(&s).ok()) else {
        return Ok(None);
    };
    let info = count::count_session(conn, id)?;
    if !matches!(info.status, CountStatus::Open | CountStatus::Review) {
        return Ok(None);
    }
    Ok(Some(OpenCount {
        id,
        blind: info.blind,
        scope: scope_name(&info.scope),
        entries: device_entries(conn, id, device, info.blind)?,
    }))
}

/// `device`'s entries of session `id`, newest first, each with the
/// product's running count over all devices at that moment.
fn device_entries(
    conn: &Connection,
    id: Uuid,
    device: &str,
    blind: bool,
) -> Result<Vec<CountedEntry>, TillError> {
    let mut stmt = conn.prepare(
        "SELECT e.device, e.entry_no, e.sku, e.qty, e.corrects, COALESCE(p.name, ''), x.qty
         FROM count_entries e
         LEFT JOIN products p ON p.sku = e.sku
         LEFT JOIN count_expected x ON x.session_id = e.session_id AND x.sku = e.sku
         WHERE e.session_id = ?1 ORDER BY e.arrival",
    )?;
    type Row = (
        String,
        u64,
        String,
        String,
        Option<u64>,
        String,
        Option<String>,
    );
    let rows: Vec<Row> = stmt
        .query_map([id.to_string()], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })?
        .collect::<Result<_, _>>()?;
    let parse = |text: &str| text.parse::<Decimal>().unwrap_or_default();
    let mut running: std::collections::HashMap<String, Decimal> = Default::default();
    let mut by_entry: std::collections::HashMap<(String, u64), Decimal> = Default::default();
    let mut out = Vec::new();
    for (dev, entry_no, sku, qty, corrects, name, expected) in rows {
        let qty = parse(&qty);
        let replaced = corrects
            .and_then(|c| by_entry.get(&(dev.clone(), c)).copied())
            .unwrap_or_default();
        by_entry.insert((dev.clone(), entry_no), qty);
        let counted = running.entry(sku.clone()).or_default();
        *counted += qty - replaced;
        if dev == device {
            out.push(CountedEntry {
                entry_no,
                sku,
                name,
                qty,
                counted: *counted,
                expected: (!blind).then(|| expected.as_deref().map(parse)).flatten(),
            });
        }
    }
    out.reverse();
    Ok(out)
}

/// Approve the reviewed count `session` as `user`: a cashier needs a
/// manager's `pin` (the approval path, audited as `approval`); the variance
/// is posted and a `count.approve` entry names who approved it. Shared by
/// the CLI and the desktop.
pub fn approve_count(
    store: &mut Store,
    settings: &TillSettings,
    user: &Operator,
    session: Uuid,
    pin: Option<&str>,
    at: NaiveDateTime,
) -> Result<CountApproved, TillError> {
    let request = ApprovalRequest {
        operator: user,
        pin,
        document_id: Some(session),
        at,
    };
    with_manager(store, request, |store, approval| {
        let approver = approval
            .map(|a| Operator::new(a.approver_login.clone(), a.role))
            .unwrap_or_else(|| user.clone());
        let tx = store.write_tx()?;
        let approved = count::approve_session(&tx, settings, session, &approver, &[], at)?;
        users::audit(
            &tx,
            &AuditEntry {
                at,
                actor: &user.login,
                action: "count.approve",
                approved_by: Some(&approver.login),
                document_id: Some(approved.document_id),
                detail: serde_json::json!({
                    "session": session.to_string(),
                    "permission": Permission::ApproveCount.name(),
                }),
            },
        )?;
        forget(&tx, session)?;
        tx.commit()?;
        Ok::<_, TillError>(approved)
    })
}
