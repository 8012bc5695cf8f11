//! Rebuilding and verifying the stock caches from the ledger.
//!
//! The ledger (`stock_movements` + `stock_batch_allocations`) is the truth;
//! `stock_on_hand` and the quantities in `stock_batches` are derived. Both
//! functions replay every movement in `seq` order through the same
//! `StockPosition::apply` that posting uses:
//! - [`rebuild`] rewrites the caches in ONE transaction (`kasa stock rebuild`);
//!   a crash midway leaves the old cache untouched.
//! - [`verify_cache`] only compares and names every (sku, location) or batch
//!   whose cached figures differ from the ledger — the check head office can
//!   run, and what the property tests assert.

use rusqlite::{Connection, TransactionBehavior, params};
use rust_decimal::Decimal;

use super::StockError;
use super::ledger::{StockLevel, replay};
use super::values::{dec_text, parse_dec, time_text};

/// What a rebuild did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RebuildSummary {
    /// Movements replayed.
    pub movements: u64,
    /// On-hand rows written.
    pub positions: u64,
    /// Batch rows written.
    pub batches: u64,
}

/// One cached figure that does not match the ledger.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CacheDifference {
    /// Product SKU.
    pub sku: String,
    /// Location.
    pub location: String,
    /// Batch, for batch rows.
    pub batch: Option<String>,
    /// What differs, e.g. `"qty cached 5 ledger 4"`.
    pub detail: String,
}

/// Recompute `stock_on_hand` and batch quantities from the ledger in one
/// transaction.
pub fn rebuild(conn: &mut Connection) -> Result<RebuildSummary, StockError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let summary = rebuild_in(&tx)?;
    tx.commit()?;
    Ok(summary)
}

/// [`rebuild`] inside the caller's transaction.
pub fn rebuild_in(tx: &Connection) -> Result<RebuildSummary, StockError> {
    let movements: i64 = tx.query_row("SELECT COUNT(*) FROM stock_movements", [], |r| r.get(0))?;
    let replayed = replay(tx)?;
    tx.execute("DELETE FROM stock_on_hand", [])?;
    {
        let mut insert = tx.prepare(
            "INSERT INTO stock_on_hand (sku, location, qty, avg_cost, last_purchase_cost, last_seq, updated)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for (level, seq) in replayed.levels.values() {
            insert.execute(params![
                level.sku,
                level.location,
                dec_text(level.qty),
                dec_text(level.avg_cost.0),
                level.last_purchase_cost.map(|c| dec_text(c.0)),
                seq,
                level.updated.map(time_text).unwrap_or_default(),
            ])?;
        }
    }
    // Batch rows carry master data (expiry, received order) that the ledger
    // does not; keep the rows and rewrite only their quantities.
    tx.execute(
        "UPDATE stock_batches SET qty_received = '0', qty_remaining = '0'",
        [],
    )?;
    {
        let mut upsert = tx.prepare(
            "INSERT INTO stock_batches
               (sku, location, batch, expiry, qty_received, qty_remaining, received_at, received_seq)
             VALUES (?1, ?2, ?3, NULL, ?4, ?5, ?6, ?7)
             ON CONFLICT (sku, location, batch) DO UPDATE SET
               qty_received = excluded.qty_received, qty_remaining = excluded.qty_remaining",
        )?;
        for ((sku, location, batch), b) in &replayed.batches {
            upsert.execute(params![
                sku,
                location,
                batch,
                dec_text(b.received),
                dec_text(b.remaining),
                time_text(b.first_at),
                b.first_seq
            ])?;
        }
    }
    Ok(RebuildSummary {
        movements: movements as u64,
        positions: replayed.levels.len() as u64,
        batches: replayed.batches.len() as u64,
    })
}

/// Compare the caches with the ledger; empty = consistent.
pub fn verify_cache(conn: &Connection) -> Result<Vec<CacheDifference>, StockError> {
    let replayed = replay(conn)?;
    let mut differences = Vec::new();
    let cached = super::ledger::list_stock(conn, &super::ledger::StockFilter::default())?;
    let mut seen = std::collections::HashSet::new();
    for level in cached {
        let key = (level.sku.clone(), level.location.clone());
        match replayed.levels.get(&key) {
            None => differences.push(difference(
                &level,
                None,
                format!("cached qty {} but no movements", level.qty),
            )),
            Some((expected, _)) => {
                for detail in compare_levels(&level, expected) {
                    differences.push(difference(&level, None, detail));
                }
            }
        }
        seen.insert(key);
    }
    for ((sku, location), (expected, _)) in &replayed.levels {
        if !seen.contains(&(sku.clone(), location.clone())) {
            differences.push(difference(
                expected,
                None,
                format!("ledger qty {} but no cached row", expected.qty),
            ));
        }
    }
    let mut stmt = conn
        .prepare("SELECT sku, location, batch, qty_received, qty_remaining FROM stock_batches")?;
    let mut rows = stmt.query([])?;
    let mut seen_batches = std::collections::HashSet::new();
    while let Some(row) = rows.next()? {
        let key: (String, String, String) = (row.get(0)?, row.get(1)?, row.get(2)?);
        let rec: String = row.get(3)?;
        let rem: String = row.get(4)?;
        let rec = parse_dec(&rec, "stock_batches", "qty_received")?;
        let rem = parse_dec(&rem, "stock_batches", "qty_remaining")?;
        let (want_rec, want_rem) = replayed
            .batches
            .get(&key)
            .map(|b| (b.received, b.remaining))
            .unwrap_or((Decimal::ZERO, Decimal::ZERO));
        if rec != want_rec || rem != want_rem {
            differences.push(CacheDifference {
                sku: key.0.clone(),
                location: key.1.clone(),
                batch: Some(key.2.clone()),
                detail: format!(
                    "batch cached received {rec} remaining {rem}, ledger received {want_rec} remaining {want_rem}"
                ),
            });
        }
        seen_batches.insert(key);
    }
    for (key, b) in &replayed.batches {
        if !seen_batches.contains(key) {
            let (rec, rem) = (b.received, b.remaining);
            differences.push(CacheDifference {
                sku: key.0.clone(),
                location: key.1.clone(),
                batch: Some(key.2.clone()),
                detail: format!("ledger batch received {rec} remaining {rem} but no cached row"),
            });
        }
    }
    Ok(differences)
}

fn difference(level: &StockLevel, batch: Option<String>, detail: String) -> CacheDifference {
    CacheDifference {
        sku: level.sku.clone(),
        location: level.location.clone(),
        batch,
        detail,
    }
}

fn compare_levels(cached: &StockLevel, ledger: &StockLevel) -> Vec<String> {
    let mut out = Vec::new();
    if cached.qty != ledger.qty {
        out.push(format!("qty cached {} ledger {}", cached.qty, ledger.qty));
    }
    if cached.avg_cost != ledger.avg_cost {
        out.push(format!(
            "avg_cost cached {} ledger {}",
            cached.avg_cost, ledger.avg_cost
        ));
    }
    if cached.last_purchase_cost != ledger.last_purchase_cost {
        out.push(format!(
            "last_purchase_cost cached {:?} ledger {:?}",
            cached.last_purchase_cost, ledger.last_purchase_cost
        ));
    }
    out
}
