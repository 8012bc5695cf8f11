//! Stock count sessions: start → count (several devices) → review → approve
//! (or cancel).
//!
//! - **Start** takes a snapshot: the expected quantity and average cost of
//!   every in-scope product at that moment (`count_expected`) and the ledger
//!   position (`snapshot_seq`). Scope is the full location, a list of product
//!   groups (from the catalog), or a list of SKUs (a shelf).
//! - **Count**: any number of devices add entries (device id, SKU, quantity)
//!   while the session is open. Entries are kept raw and merged per the
//!   domain rule ([`kasa_domain::count`]) at review.
//! - **Blind** sessions never show the expected quantity while counting
//!   ([`count_add`] returns `expected: None`); review reveals it.
//! - **Review** moves the session to `review` and returns the variance lines:
//!   counted − expected-at-snapshot for every in-scope product; an in-scope
//!   product nobody counted counts as 0. Sales made after the snapshot do not
//!   distort the variance, because it is applied as a delta.
//! - **Approve** needs `Permission::ApproveCount` (the caller has verified
//!   the approver's PIN) and posts one `StockCount` document whose movements
//!   are the non-zero variances, valued at the average cost at approval, in
//!   one transaction. Nothing moves stock before approval.
//! - **Cancel** closes an open or reviewed session without any movement.

use chrono::NaiveDateTime;
use kasa_domain::count::{CountEntry, merge_counts};
use kasa_domain::document::DocumentType;
use kasa_domain::money::Money;
use kasa_domain::permission::{Operator, Permission, authorize};
use kasa_domain::stock::MovementKind;
use rusqlite::{Connection, OptionalExtension, params};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::StockError;
use super::ledger::on_hand;
use super::movement::new_movement;
use super::stock_document::{StockDocument, StockDocumentLine, record_stock_document};
use super::values::{dec_text, parse_dec, time_text};
use crate::settings::TillSettings;

/// What a count session covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "items", rename_all = "snake_case")]
pub enum CountScope {
    /// Every product at the location.
    Full,
    /// Products of these catalog groups.
    Groups(Vec<String>),
    /// These SKUs (a shelf, a bay).
    Skus(Vec<String>),
}

impl CountScope {
    fn code(&self) -> &'static str {
        match self {
            CountScope::Full => "full",
            CountScope::Groups(_) => "groups",
            CountScope::Skus(_) => "skus",
        }
    }

    fn items(&self) -> &[String] {
        match self {
            CountScope::Full => &[],
            CountScope::Groups(items) | CountScope::Skus(items) => items,
        }
    }
}

/// A count session's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CountStatus {
    /// Counting.
    Open,
    /// Counting closed, variance shown, waiting for approval.
    Review,
    /// Adjustments posted.
    Approved,
    /// Closed without adjustments.
    Cancelled,
}

impl CountStatus {
    fn code(self) -> &'static str {
        match self {
            CountStatus::Open => "open",
            CountStatus::Review => "review",
            CountStatus::Approved => "approved",
            CountStatus::Cancelled => "cancelled",
        }
    }

    fn parse(text: &str) -> Result<Self, StockError> {
        Ok(match text {
            "open" => CountStatus::Open,
            "review" => CountStatus::Review,
            "approved" => CountStatus::Approved,
            "cancelled" => CountStatus::Cancelled,
            _ => {
                return Err(StockError::CorruptValue {
                    table: "count_sessions",
                    column: "status",
                    value: text.to_string(),
                });
            }
        })
    }
}

/// Starting a count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountStart {
    /// Location; defaults to this till's store.
    #[serde(default)]
    pub location: Option<String>,
    /// What is counted.
    pub scope: CountScope,
    /// Hide expected quantities from the counters.
    #[serde(default)]
    pub blind: bool,
    /// Who starts it.
    pub started_by: String,
}

/// A stored session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountSession {
    /// Session id.
    pub id: String,
    /// Location counted.
    pub location: String,
    /// Scope.
    pub scope: CountScope,
    /// Blind count.
    pub blind: bool,
    /// Status.
    pub status: CountStatus,
    /// Who started it.
    pub started_by: String,
    /// Who approved it.
    pub approved_by: Option<String>,
    /// The adjustment document, once approved.
    pub document_id: Option<String>,
}

/// The answer to adding a count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountAdded {
    /// Total counted for this SKU so far, all devices merged.
    pub counted: Decimal,
    /// Expected quantity; `None` in a blind session.
    pub expected: Option<Decimal>,
}

/// One line of the variance review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VarianceLine {
    /// Product SKU.
    pub sku: String,
    /// On hand at the snapshot.
    pub expected: Decimal,
    /// Counted (merged over devices; 0 when not counted).
    pub counted: Decimal,
    /// `counted − expected`.
    pub variance: Decimal,
    /// Average unit cost at the snapshot.
    pub unit_cost: Money,
    /// `variance × unit_cost`.
    pub value: Money,
}

/// The variance review of a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountReview {
    /// Session id.
    pub session: String,
    /// Every in-scope or counted product, by SKU.
    pub lines: Vec<VarianceLine>,
    /// Σ value of the variances.
    pub total_value: Money,
}

/// What approval posted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CountApproved {
    /// The `StockCount` document.
    pub document_id: Uuid,
    /// Its number.
    pub number: String,
    /// Adjustment movements posted (non-zero variances).
    pub adjustments: usize,
}

/// Start a count session; returns its id.
pub fn start_session(
    tx: &Connection,
    settings: &TillSettings,
    start: &CountStart,
    at: NaiveDateTime,
) -> Result<String, StockError> {
    let location = start
        .location
        .clone()
        .unwrap_or_else(|| settings.store_id.clone());
    if start.scope.items().is_empty() && start.scope != CountScope::Full {
        return Err(StockError::InvalidRequest(
            "a partial count needs at least one group or SKU".into(),
        ));
    }
    let id = Uuid::now_v7().to_string();
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
            id,
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
            id,
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
            let mut stmt = conn.prepare(
                "SELECT sku FROM products WHERE product_group = ?1
                 UNION SELECT h.sku FROM stock_on_hand h JOIN products p ON p.sku = h.sku
                 WHERE h.location = ?2 AND p.product_group = ?1",
            )?;
            for group in groups {
                let rows = stmt.query_map(params![group, location], |r| r.get::<_, String>(0))?;
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

/// Read a session.
pub fn count_session(conn: &Connection, id: &str) -> Result<CountSession, StockError> {
    let row = conn
        .query_row(
            "SELECT location, scope, scope_items, blind, status, started_by, approved_by, document_id
             FROM count_sessions WHERE id = ?1",
            [id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, Option<String>>(7)?,
                ))
            },
        )
        .optional()?
        .ok_or_else(|| StockError::UnknownCountSession(id.to_string()))?;
    let items: Vec<String> =
        serde_json::from_str(&row.2).map_err(|_| StockError::CorruptValue {
            table: "count_sessions",
            column: "scope_items",
            value: row.2.clone(),
        })?;
    let scope = match row.1.as_str() {
        "full" => CountScope::Full,
        "groups" => CountScope::Groups(items),
        "skus" => CountScope::Skus(items),
        other => {
            return Err(StockError::CorruptValue {
                table: "count_sessions",
                column: "scope",
                value: other.to_string(),
            });
        }
    };
    Ok(CountSession {
        id: id.to_string(),
        location: row.0,
        scope,
        blind: row.3 != 0,
        status: CountStatus::parse(&row.4)?,
        started_by: row.5,
        approved_by: row.6,
        document_id: row.7,
    })
}

fn require_status(
    session: &CountSession,
    allowed: &[CountStatus],
    action: &'static str,
    hint: &'static str,
) -> Result<(), StockError> {
    if allowed.contains(&session.status) {
        Ok(())
    } else {
        Err(StockError::CountWrongStatus {
            id: session.id.clone(),
            status: session.status.code().to_string(),
            action,
            hint,
        })
    }
}

/// Is `sku` inside the session's scope?
fn in_scope(conn: &Connection, session: &CountSession, sku: &str) -> Result<bool, StockError> {
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

/// Record a count from `device`. Quantities are what was found; the domain
/// merge rule combines entries.
pub fn add_count(
    tx: &Connection,
    session_id: &str,
    device: &str,
    sku: &str,
    qty: Decimal,
    at: NaiveDateTime,
) -> Result<CountAdded, StockError> {
    let session = count_session(tx, session_id)?;
    require_status(
        &session,
        &[CountStatus::Open],
        "take more counts",
        "start a new session to count again",
    )?;
    if !in_scope(tx, &session, sku)? {
        return Err(StockError::OutOfScope {
            session: session_id.to_string(),
            sku: sku.to_string(),
        });
    }
    if qty < Decimal::ZERO {
        return Err(StockError::InvalidRequest(format!(
            "counted quantity {qty} for '{sku}' is negative — enter what is on the shelf"
        )));
    }
    tx.execute(
        "INSERT INTO count_entries (session_id, device, sku, qty, at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![session_id, device, sku, dec_text(qty), time_text(at)],
    )?;
    let counted = merged_counts(tx, session_id)?
        .into_iter()
        .find(|(s, _)| s == sku)
        .map(|(_, q)| q)
        .unwrap_or_default();
    let expected = if session.blind {
        None
    } else {
        Some(expected_of(tx, session_id, sku)?.0)
    };
    Ok(CountAdded { counted, expected })
}

fn expected_of(
    conn: &Connection,
    session_id: &str,
    sku: &str,
) -> Result<(Decimal, Money), StockError> {
    let row: Option<(String, String)> = conn
        .query_row(
            "SELECT qty, avg_cost FROM count_expected WHERE session_id = ?1 AND sku = ?2",
            params![session_id, sku],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    match row {
        Some((q, c)) => Ok((
            parse_dec(&q, "count_expected", "qty")?,
            Money(parse_dec(&c, "count_expected", "avg_cost")?),
        )),
        None => Ok((Decimal::ZERO, Money::ZERO)),
    }
}

/// All entries merged per SKU (domain rule), sorted by SKU.
fn merged_counts(
    conn: &Connection,
    session_id: &str,
) -> Result<Vec<(String, Decimal)>, StockError> {
    let mut stmt = conn.prepare(
        "SELECT device, sku, qty, at FROM count_entries WHERE session_id = ?1 ORDER BY id",
    )?;
    let mut rows = stmt.query([session_id])?;
    let mut entries = Vec::new();
    while let Some(row) = rows.next()? {
        let qty: String = row.get(2)?;
        let at: String = row.get(3)?;
        entries.push(CountEntry {
            device: row.get(0)?,
            sku: row.get(1)?,
            qty: parse_dec(&qty, "count_entries", "qty")?,
            at: super::values::parse_time(&at, "count_entries", "at")?,
        });
    }
    let mut merged: Vec<(String, Decimal)> = merge_counts(&entries).into_iter().collect();
    merged.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(merged)
}

/// Close counting and show the variance (reveals expected quantities of a
/// blind session). Calling it again in `review` shows the same review.
pub fn review_session(
    tx: &Connection,
    session_id: &str,
    at: NaiveDateTime,
) -> Result<CountReview, StockError> {
    let session = count_session(tx, session_id)?;
    require_status(
        &session,
        &[CountStatus::Open, CountStatus::Review],
        "be reviewed",
        "an approved or cancelled count is final",
    )?;
    if session.status == CountStatus::Open {
        tx.execute(
            "UPDATE count_sessions SET status = 'review', reviewed_at = ?2 WHERE id = ?1",
            params![session_id, time_text(at)],
        )?;
    }
    variance(tx, session_id)
}

fn variance(conn: &Connection, session_id: &str) -> Result<CountReview, StockError> {
    let mut expected: std::collections::BTreeMap<String, (Decimal, Money)> =
        std::collections::BTreeMap::new();
    {
        let mut stmt =
            conn.prepare("SELECT sku, qty, avg_cost FROM count_expected WHERE session_id = ?1")?;
        let mut rows = stmt.query([session_id])?;
        while let Some(row) = rows.next()? {
            let q: String = row.get(1)?;
            let c: String = row.get(2)?;
            expected.insert(
                row.get(0)?,
                (
                    parse_dec(&q, "count_expected", "qty")?,
                    Money(parse_dec(&c, "count_expected", "avg_cost")?),
                ),
            );
        }
    }
    let counted: std::collections::BTreeMap<String, Decimal> =
        merged_counts(conn, session_id)?.into_iter().collect();
    let mut skus: Vec<&String> = expected.keys().chain(counted.keys()).collect();
    skus.sort();
    skus.dedup();
    let mut lines = Vec::with_capacity(skus.len());
    for sku in skus {
        let (exp, cost) = expected
            .get(sku)
            .copied()
            .unwrap_or((Decimal::ZERO, Money::ZERO));
        let cnt = counted.get(sku).copied().unwrap_or_default();
        let variance = cnt - exp;
        lines.push(VarianceLine {
            sku: sku.clone(),
            expected: exp,
            counted: cnt,
            variance,
            unit_cost: cost,
            value: cost * variance,
        });
    }
    let total_value = lines.iter().map(|l| l.value).sum();
    Ok(CountReview {
        session: session_id.to_string(),
        lines,
        total_value,
    })
}

/// Approve a reviewed count: post the variances as adjustment movements in
/// one `StockCount` document. `approver` is the user whose PIN the caller
/// verified.
pub fn approve_session(
    tx: &Connection,
    settings: &TillSettings,
    session_id: &str,
    approver: &Operator,
    at: NaiveDateTime,
) -> Result<CountApproved, StockError> {
    let session = count_session(tx, session_id)?;
    require_status(
        &session,
        &[CountStatus::Review],
        "be approved",
        "review the variance first (`kasa count review`)",
    )?;
    let authorization = authorize(approver, Permission::ApproveCount, None)?;
    let review = variance(tx, session_id)?;
    let document_id = Uuid::now_v7();
    let mut movements = Vec::new();
    let mut lines = Vec::new();
    for line in review.lines.iter().filter(|l| !l.variance.is_zero()) {
        // Value the adjustment at today's average cost so it does not move
        // the average (a count fixes quantities, not costs).
        let cost = on_hand(tx, &line.sku, &session.location)?.avg_cost;
        movements.push(new_movement(
            &line.sku,
            &session.location,
            None,
            line.variance,
            cost,
            None,
            document_id,
            DocumentType::StockCount,
            MovementKind::CountAdjustment,
            at,
        ));
        lines.push(StockDocumentLine {
            sku: line.sku.clone(),
            qty: line.variance,
            unit_cost: cost,
        });
    }
    let adjustments = movements.len();
    let completed = record_stock_document(
        tx,
        settings,
        StockDocument {
            id: document_id,
            doc_type: DocumentType::StockCount,
            author: authorization.authorized_by.clone(),
            at,
            lines,
            movements,
            body: serde_json::json!({
                "count_session": session_id,
                "location": session.location,
                "scope": session.scope,
                "blind": session.blind,
                "started_by": session.started_by,
                "approved_by": authorization.authorized_by,
                "variance": review.lines,
            }),
        },
    )?;
    tx.execute(
        "UPDATE count_sessions SET status = 'approved', closed_at = ?2, approved_by = ?3, document_id = ?4
         WHERE id = ?1",
        params![
            session_id,
            time_text(at),
            authorization.authorized_by,
            document_id.to_string()
        ],
    )?;
    Ok(CountApproved {
        document_id,
        number: completed.number,
        adjustments,
    })
}

/// Cancel an open or reviewed session; nothing is posted.
pub fn cancel_session(
    tx: &Connection,
    session_id: &str,
    at: NaiveDateTime,
) -> Result<(), StockError> {
    let session = count_session(tx, session_id)?;
    require_status(
        &session,
        &[CountStatus::Open, CountStatus::Review],
        "be cancelled",
        "an approved count is final; correct it with a new count",
    )?;
    tx.execute(
        "UPDATE count_sessions SET status = 'cancelled', closed_at = ?2 WHERE id = ?1",
        params![session_id, time_text(at)],
    )?;
    Ok(())
}
