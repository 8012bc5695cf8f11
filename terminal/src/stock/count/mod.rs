//! Stock count sessions: start → count (several devices) → review → approve
//! (or cancel). The rules are `kasa_domain::count`'s; this module stores the
//! session and feeds the rules.
//!
//! - **Start** takes a snapshot: expected quantity and average cost of every
//!   in-scope product at that moment (`count_expected`). Scope is the whole
//!   location, a list of product groups (catalog `product_group`), or a list
//!   of SKUs (a shelf). The session id is also the id of the `StockCount`
//!   document approval creates.
//! - **Count**: any number of devices add entries while the session is open.
//!   Each device numbers its entries (given, or the next free number); an
//!   identical re-send is a no-op, a correction names the entry of the same
//!   device it replaces. Merge rule (domain): per SKU the counted quantity is
//!   the sum over all devices of their effective entries.
//! - **Blind** sessions never show the expected quantity while counting
//!   ([`CountAdded::expected`] is `None`); the review reveals it.
//! - **Review** closes counting (status `review`) and returns the variance
//!   lines: counted − expected-at-snapshot for every in-scope product; an
//!   in-scope product nobody counted is counted as 0 and flagged. Sales made
//!   after the snapshot do not distort it, because the variance is posted as
//!   a delta.
//! - **Approve** needs `Permission::ApproveCount` (the caller verified the
//!   approver's PIN) and posts the non-zero variances (minus SKUs the manager
//!   excludes for a recount) as `CountAdjustment` movements of one
//!   `StockCount` document, in one transaction. Nothing moves before that.
//! - **Cancel** closes an open or reviewed session; nothing is posted.

use chrono::NaiveDateTime;
use kasa_domain::count::{
    CountEntry, CountScope as DomainScope, CountSession as DomainSession, CountState, CounterLine,
    ExpectedStock,
};
use kasa_domain::document::DocumentType;
use kasa_domain::money::Money;
use kasa_domain::permission::Operator;
use rusqlite::{Connection, OptionalExtension, params};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::StockError;
use super::ledger::on_hand;
use super::stock_document::{StockDocument, StockDocumentLine, record_stock_document};
use super::values::{dec_text, parse_dec, parse_time, parse_uuid, time_text};
use crate::settings::TillSettings;

mod model;

pub use model::{
    CountAdded, CountApproved, CountInput, CountReview, CountScope, CountSessionInfo, CountStart,
    CountStatus,
};

/// Start a count session; returns its id.
pub fn start_session(
    tx: &Connection,
    settings: &TillSettings,
    start: &CountStart,
    at: NaiveDateTime,
) -> Result<Uuid, StockError> {
    let location = start
        .location
        .clone()
        .unwrap_or_else(|| settings.store_id.clone());
    if start.scope.items().is_empty() && start.scope != CountScope::Full {
        return Err(StockError::InvalidRequest(
            "a partial count needs at least one group or SKU".into(),
        ));
    }
    let id = Uuid::now_v7();
    let snapshot_seq: i64 = tx.query_row(
        "SELECT COALESCE(MAX(seq), 0) FROM stock_movements",
        [],
        |r| r.get(0),
    )?;
    let items = serde_json::to_string(start.scope.items())
        .map_err(|e| StockError::InvalidRequest(e.to_string()))?;
    tx.execute(
        "INSERT INTO count_sessions (id, location, scope, scope_items, blind, status, snapshot_seq, started_by, started_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'open', ?6, ?7, ?8)",
        params![
            id.to_string(),
            location,
            start.scope.code(),
            items,
            start.blind as i64,
            snapshot_seq,
            start.started_by,
            time_text(at)
        ],
    )?;
    let skus = scope_skus(tx, &start.scope, &location)?;
    let mut insert = tx.prepare(
        "INSERT INTO count_expected (session_id, sku, qty, avg_cost) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for sku in skus {
        let level = on_hand(tx, &sku, &location)?;
        insert.execute(params![
            id.to_string(),
            sku,
            dec_text(level.qty),
            dec_text(level.avg_cost.0)
        ])?;
    }
    Ok(id)
}

/// The SKUs a scope covers at `location` at the moment.
fn scope_skus(
    conn: &Connection,
    scope: &CountScope,
    location: &str,
) -> Result<Vec<String>, StockError> {
    let mut out = Vec::new();
    match scope {
        CountScope::Full => {
            let mut stmt =
                conn.prepare("SELECT sku FROM stock_on_hand WHERE location = ?1 ORDER BY sku")?;
            let rows = stmt.query_map([location], |r| r.get::<_, String>(0))?;
            for r in rows {
                out.push(r?);
            }
        }
        CountScope::Groups(groups) => {
            let mut stmt = conn.prepare("SELECT sku FROM products WHERE product_group = ?1")?;
            for group in groups {
                let rows = stmt.query_map([group], |r| r.get::<_, String>(0))?;
                for r in rows {
                    out.push(r?);
                }
            }
        }
        CountScope::Skus(skus) => out.extend(skus.iter().cloned()),
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Read a session's header.
pub fn count_session(conn: &Connection, id: Uuid) -> Result<CountSessionInfo, StockError> {
    let row = conn
        .query_row(
            "SELECT location, scope, scope_items, blind, status, started_by, started_at, approved_by
             FROM count_sessions WHERE id = ?1",
            [id.to_string()],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, Option<String>>(7)?,
                ))
            },
        )
        .optional()?
        .ok_or_else(|| StockError::UnknownCountSession(id.to_string()))?;
    let corrupt = |column: &'static str, value: &str| StockError::CorruptValue {
        table: "count_sessions",
        column,
        value: value.to_string(),
    };
    let items: Vec<String> =
        serde_json::from_str(&row.2).map_err(|_| corrupt("scope_items", &row.2))?;
    let scope = match row.1.as_str() {
        "full" => CountScope::Full,
        "groups" => CountScope::Groups(items),
        "skus" => CountScope::Skus(items),
        other => return Err(corrupt("scope", other)),
    };
    Ok(CountSessionInfo {
        id,
        location: row.0,
        scope,
        blind: row.3 != 0,
        status: CountStatus::parse(&row.4)?,
        started_by: row.5,
        started_at: parse_time(&row.6, "count_sessions", "started_at")?,
        approved_by: row.7,
    })
}

/// Parse a session id given on the command line.
pub fn parse_session_id(text: &str) -> Result<Uuid, StockError> {
    Uuid::parse_str(text.trim()).map_err(|_| StockError::UnknownCountSession(text.to_string()))
}

fn require_status(
    session: &CountSessionInfo,
    allowed: &[CountStatus],
    action: &'static str,
    hint: &'static str,
) -> Result<(), StockError> {
    if allowed.contains(&session.status) {
        Ok(())
    } else {
        Err(StockError::CountWrongStatus {
            id: session.id.to_string(),
            status: session.status.code().to_string(),
            action,
            hint,
        })
    }
}

/// Is `sku` inside the session's scope?
fn in_scope(conn: &Connection, session: &CountSessionInfo, sku: &str) -> Result<bool, StockError> {
    Ok(match &session.scope {
        CountScope::Full => true,
        CountScope::Skus(skus) => skus.iter().any(|s| s == sku),
        CountScope::Groups(groups) => {
            let group: Option<String> = conn
                .query_row(
                    "SELECT product_group FROM products WHERE sku = ?1",
                    [sku],
                    |r| r.get(0),
                )
                .optional()?;
            group.is_some_and(|g| groups.contains(&g))
        }
    })
}

/// The domain session: header, stored entries in arrival order, and the
/// expected snapshot. In-scope filtering already happened (snapshot and
/// `add`), so the domain sees a full-scope session over the snapshot.
fn load_domain(
    conn: &Connection,
    info: &CountSessionInfo,
) -> Result<(DomainSession, Vec<ExpectedStock>), StockError> {
    let mut session = DomainSession::start(
        info.id,
        info.location.clone(),
        DomainScope::Full,
        info.blind,
        info.started_at,
    );
    let mut stmt = conn.prepare_cached(
        "SELECT device, entry_no, sku, qty, at, corrects FROM count_entries
         WHERE session_id = ?1 ORDER BY arrival",
    )?;
    let mut rows = stmt.query([info.id.to_string()])?;
    while let Some(row) = rows.next()? {
        let qty: String = row.get(3)?;
        let at: String = row.get(4)?;
        let entry_no: i64 = row.get(1)?;
        let corrects: Option<i64> = row.get(5)?;
        session.entries.push(CountEntry {
            device: row.get(0)?,
            entry_no: entry_no as u64,
            sku: row.get(2)?,
            qty: parse_dec(&qty, "count_entries", "qty")?,
            at: parse_time(&at, "count_entries", "at")?,
            corrects: corrects.map(|c| c as u64),
        });
    }
    let mut stmt = conn.prepare_cached(
        "SELECT sku, qty, avg_cost FROM count_expected WHERE session_id = ?1 ORDER BY sku",
    )?;
    let mut rows = stmt.query([info.id.to_string()])?;
    let mut expected = Vec::new();
    while let Some(row) = rows.next()? {
        let q: String = row.get(1)?;
        let c: String = row.get(2)?;
        expected.push(ExpectedStock {
            sku: row.get(0)?,
            group: None,
            qty: parse_dec(&q, "count_expected", "qty")?,
            unit_cost: Money(parse_dec(&c, "count_expected", "avg_cost")?),
        });
    }
    Ok((session, expected))
}

/// Record a count from a device.
pub fn add_count(
    tx: &Connection,
    session_id: Uuid,
    input: &CountInput,
    at: NaiveDateTime,
) -> Result<CountAdded, StockError> {
    let info = count_session(tx, session_id)?;
    require_status(
        &info,
        &[CountStatus::Open],
        "take more counts",
        "start a new session to count again",
    )?;
    if !in_scope(tx, &info, &input.sku)? {
        return Err(StockError::OutOfScope {
            session: session_id.to_string(),
            sku: input.sku.clone(),
        });
    }
    let (mut session, expected) = load_domain(tx, &info)?;
    let entry_no = match input.entry_no {
        Some(n) => n,
        None => {
            session
                .entries
                .iter()
                .filter(|e| e.device == input.device)
                .map(|e| e.entry_no)
                .max()
                .unwrap_or(0)
                + 1
        }
    };
    let entry = CountEntry {
        device: input.device.clone(),
        entry_no,
        sku: input.sku.clone(),
        qty: input.qty,
        at,
        corrects: input.corrects,
    };
    let before = session.entries.len();
    session.add(entry.clone())?;
    if session.entries.len() > before {
        let arrival: i64 = tx.query_row(
            "SELECT COALESCE(MAX(arrival), 0) + 1 FROM count_entries WHERE session_id = ?1",
            [session_id.to_string()],
            |r| r.get(0),
        )?;
        tx.execute(
            "INSERT INTO count_entries (session_id, device, entry_no, sku, qty, at, corrects, arrival)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                session_id.to_string(),
                entry.device,
                entry.entry_no as i64,
                entry.sku,
                dec_text(entry.qty),
                time_text(entry.at),
                entry.corrects.map(|c| c as i64),
                arrival
            ],
        )?;
    }
    let line: Option<CounterLine> = session
        .counter_view(&expected)
        .into_iter()
        .find(|l| l.sku == input.sku);
    let (counted, expected_qty) = match line {
        Some(l) => (l.counted, l.expected),
        None => (Decimal::ZERO, None),
    };
    let expected_qty = if info.blind {
        None
    } else {
        Some(expected_qty.unwrap_or(Decimal::ZERO))
    };
    Ok(CountAdded {
        entry_no,
        counted,
        expected: expected_qty,
    })
}

/// Close counting and show the variance (reveals expected quantities of a
/// blind session). Calling it again in `review` shows the same review.
pub fn review_session(
    tx: &Connection,
    settings: &TillSettings,
    session_id: Uuid,
    at: NaiveDateTime,
) -> Result<CountReview, StockError> {
    let info = count_session(tx, session_id)?;
    require_status(
        &info,
        &[CountStatus::Open, CountStatus::Review],
        "be reviewed",
        "an approved or cancelled count is final",
    )?;
    if info.status == CountStatus::Open {
        tx.execute(
            "UPDATE count_sessions SET status = 'review', reviewed_at = ?2 WHERE id = ?1",
            params![session_id.to_string(), time_text(at)],
        )?;
    }
    let (session, expected) = load_domain(tx, &info)?;
    let lines = session.variances(&expected, settings.currency);
    let total_value = lines.iter().map(|l| l.value).sum();
    Ok(CountReview {
        session: session_id,
        lines,
        total_value,
    })
}

/// Approve a reviewed count: post the variances (except `exclude`) as
/// adjustment movements of one `StockCount` document. `approver` is the user
/// whose PIN the caller verified.
pub fn approve_session(
    tx: &Connection,
    settings: &TillSettings,
    session_id: Uuid,
    approver: &Operator,
    exclude: &[String],
    at: NaiveDateTime,
) -> Result<CountApproved, StockError> {
    let info = count_session(tx, session_id)?;
    require_status(
        &info,
        &[CountStatus::Review],
        "be approved",
        "review the variance first (`kasa count review`)",
    )?;
    let (mut session, expected) = load_domain(tx, &info)?;
    let review = session.variances(&expected, settings.currency);
    let movements = session.approve(
        approver,
        None,
        at,
        &expected,
        exclude,
        settings.currency,
        Uuid::now_v7,
    )?;
    let approved_by = match &session.state {
        CountState::Approved { authorization, .. } => authorization.authorized_by.clone(),
        _ => approver.login.clone(),
    };
    let lines = movements
        .iter()
        .map(|m| StockDocumentLine {
            sku: m.sku.clone(),
            qty: m.qty,
            unit_cost: m.unit_cost,
        })
        .collect();
    let adjustments = movements.len();
    let completed = record_stock_document(
        tx,
        settings,
        StockDocument {
            id: session_id,
            doc_type: DocumentType::StockCount,
            author: approved_by.clone(),
            at,
            lines,
            movements,
            body: serde_json::json!({
                "count_session": session_id,
                "location": info.location,
                "scope": info.scope,
                "blind": info.blind,
                "started_by": info.started_by,
                "approved_by": approved_by,
                "excluded": exclude,
                "variance": review,
            }),
        },
    )?;
    tx.execute(
        "UPDATE count_sessions SET status = 'approved', closed_at = ?2, approved_by = ?3, document_id = ?4
         WHERE id = ?1",
        params![
            session_id.to_string(),
            time_text(at),
            approved_by,
            session_id.to_string()
        ],
    )?;
    Ok(CountApproved {
        document_id: session_id,
        number: completed.number,
        adjustments,
    })
}

/// Cancel an open or reviewed session; nothing is posted.
pub fn cancel_session(
    tx: &Connection,
    session_id: Uuid,
    at: NaiveDateTime,
) -> Result<(), StockError> {
    let info = count_session(tx, session_id)?;
    require_status(
        &info,
        &[CountStatus::Open, CountStatus::Review],
        "be cancelled",
        "an approved count is final; correct it with a new count",
    )?;
    tx.execute(
        "UPDATE count_sessions SET status = 'cancelled', closed_at = ?2 WHERE id = ?1",
        params![session_id.to_string(), time_text(at)],
    )?;
    Ok(())
}

/// Parse the id stored in `count_sessions.id` (for listings).
pub(crate) fn stored_session_id(text: &str) -> Result<Uuid, StockError> {
    parse_uuid(text, "count_sessions", "id")
}

/// Open and reviewed sessions, oldest first.
pub fn active_sessions(conn: &Connection) -> Result<Vec<CountSessionInfo>, StockError> {
    let mut stmt = conn.prepare(
        "SELECT id FROM count_sessions WHERE status IN ('open', 'review') ORDER BY started_at",
    )?;
    let ids: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    ids.iter()
        .map(|id| count_session(conn, stored_session_id(id)?))
        .collect()
}
