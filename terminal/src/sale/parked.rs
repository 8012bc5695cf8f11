//! Parked sales: an open cart put aside (the customer forgot something) and
//! recalled later, on this till, even after a restart.
//!
//! A parked sale is the whole session serialised as JSON in
//! `parked_sales`; recalling it deletes the row in the same transaction that
//! reads it, so a parked sale is recalled at most once.

use chrono::NaiveDateTime;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use uuid::Uuid;

use super::{SaleError, SaleSession};
use crate::documents::fmt_time;

/// A parked sale in the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParkedSale {
    /// Id to recall it by.
    pub id: Uuid,
    /// When it was parked.
    pub parked_at: String,
    /// Cashier.
    pub cashier: String,
    /// Free label ("lady with the red coat").
    pub label: Option<String>,
    /// Number of lines.
    pub lines: usize,
}

/// Park `session`; returns its id.
pub fn park(
    conn: &Connection,
    session: &SaleSession,
    label: Option<&str>,
    at: NaiveDateTime,
) -> Result<Uuid, SaleError> {
    let json = serde_json::to_string(session).map_err(|e| SaleError::Corrupt(e.to_string()))?;
    conn.execute(
        "INSERT INTO parked_sales (id, parked_at, cashier, label, sale) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (id) DO UPDATE SET parked_at = ?2, label = ?4, sale = ?5",
        params![
            session.id.to_string(),
            fmt_time(at),
            session.cashier.login,
            label,
            json
        ],
    )?;
    Ok(session.id)
}

/// Recall (and remove) a parked sale.
pub fn recall(conn: &Connection, id: Uuid) -> Result<SaleSession, SaleError> {
    let json: Option<String> = conn
        .query_row(
            "DELETE FROM parked_sales WHERE id = ?1 RETURNING sale",
            [id.to_string()],
            |r| r.get(0),
        )
        .optional()?;
    let json = json.ok_or(SaleError::NotParked(id))?;
    serde_json::from_str(&json).map_err(|e| SaleError::Corrupt(e.to_string()))
}

/// Parked sales, oldest first.
pub fn list_parked(conn: &Connection) -> Result<Vec<ParkedSale>, SaleError> {
    let mut stmt = conn.prepare(
        "SELECT id, parked_at, cashier, label, sale FROM parked_sales ORDER BY parked_at",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<String>>(3)?,
            r.get::<_, String>(4)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, parked_at, cashier, label, sale) = row?;
        let session: SaleSession =
            serde_json::from_str(&sale).map_err(|e| SaleError::Corrupt(e.to_string()))?;
        out.push(ParkedSale {
            id: id.parse().map_err(|_| SaleError::Corrupt(id.clone()))?,
            parked_at,
            cashier,
            label,
            lines: session.line_count(),
        });
    }
    Ok(out)
}
