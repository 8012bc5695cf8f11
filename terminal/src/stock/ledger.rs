//! The stock ledger: posting immutable movements and the on-hand cache.
//!
//! Rules (DOMAIN.md "Stock is a ledger of movements"):
//! - [`post_movements`] appends each movement to `stock_movements` with the
//!   next `seq`, then folds it into the `stock_on_hand` row of its
//!   (sku, location) with [`StockPosition::apply`] — the same function
//!   [`rebuild`] replays, so posting and rebuilding cannot disagree.
//! - Negative stock is allowed and recorded: a sale is never blocked by a
//!   wrong count. [`negative_stock_report`] lists it.
//! - Batches: a movement that names a batch adds to / takes from that batch.
//!   An outgoing movement without a batch is taken from the location's
//!   batches FIFO by expiry ([`consume_fifo`]) when the product has batches
//!   there; which batch gave how much is stored in `stock_batch_allocations`
//!   (immutable), so recalls can trace it and `rebuild` recomputes batch
//!   remainders without re-deciding anything. What no batch covers stays
//!   unbatched (negative stock). Batch tracking therefore follows the data:
//!   a product is tracked at a location once batches were received there.
//! - The cache's `updated` is the time of the last movement (not the wall
//!   clock), so a rebuilt cache is identical row for row.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;
use kasa_domain::money::Money;
use kasa_domain::stock::{BatchStock, MovementKind, StockMovement, StockPosition, consume_fifo};
use rusqlite::{Connection, OptionalExtension, params};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::StockError;
use super::values::{dec_text, parse_dec, parse_time, time_text};

/// The cached stock figures of one product at one location.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StockLevel {
    /// Product SKU.
    pub sku: String,
    /// Store / location id.
    pub location: String,
    /// Quantity on hand in base units (may be negative).
    pub qty: Decimal,
    /// Weighted average unit cost.
    pub avg_cost: Money,
    /// Unit cost of the last receipt, if any.
    pub last_purchase_cost: Option<Money>,
    /// Time of the last movement, `None` when nothing was ever posted.
    pub updated: Option<NaiveDateTime>,
}

impl StockLevel {
    fn empty(sku: &str, location: &str) -> Self {
        StockLevel {
            sku: sku.to_string(),
            location: location.to_string(),
            qty: Decimal::ZERO,
            avg_cost: Money::ZERO,
            last_purchase_cost: None,
            updated: None,
        }
    }

    /// The domain position this level caches.
    pub fn position(&self) -> StockPosition {
        StockPosition {
            qty: self.qty,
            avg_cost: self.avg_cost,
            last_purchase_cost: self.last_purchase_cost,
        }
    }
}

/// Which rows [`list_stock`] returns. Empty filter = everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StockFilter {
    /// Only this product.
    pub sku: Option<String>,
    /// Only this location.
    pub location: Option<String>,
    /// Only rows with quantity below zero.
    pub negative_only: bool,
}

/// Append `movements` to the ledger and update the caches, inside the
/// caller's transaction (a sale, a receipt, a count approval). Takes the
/// connection a `Transaction` derefs to, so `complete_document` can pass its
/// transaction; calling it outside a transaction would post each statement
/// separately — don't.
pub fn post_movements(tx: &Connection, movements: &[StockMovement]) -> Result<(), StockError> {
    let mut seq: i64 = tx
        .prepare_cached("SELECT COALESCE(MAX(seq), 0) FROM stock_movements")?
        .query_row([], |r| r.get(0))?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO stock_movements
           (seq, id, sku, location, batch, qty, unit_cost, unit_sale_price, document_id, kind, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?;
    for m in movements {
        m.validate()?;
        seq += 1;
        insert.execute(params![
            seq,
            m.id.to_string(),
            m.sku,
            m.location,
            m.batch,
            dec_text(m.qty),
            dec_text(m.unit_cost.0),
            m.unit_sale_price.map(|p| dec_text(p.0)),
            m.document_id.to_string(),
            super::movement::enum_text(&m.kind),
            time_text(m.at),
        ])?;
        let mut level = load_level(tx, &m.sku, &m.location)?;
        let mut position = level.position();
        position.apply(m);
        level.qty = position.qty;
        level.avg_cost = position.avg_cost;
        level.last_purchase_cost = position.last_purchase_cost;
        level.updated = Some(m.at);
        store_level(tx, &level, seq)?;
        post_batches(tx, m, seq)?;
    }
    Ok(())
}

/// The cached level of `sku` at `location` (zero when never moved).
pub fn on_hand(conn: &Connection, sku: &str, location: &str) -> Result<StockLevel, StockError> {
    load_level(conn, sku, location)
}

/// Cached levels matching `filter`, ordered by location then SKU.
pub fn list_stock(conn: &Connection, filter: &StockFilter) -> Result<Vec<StockLevel>, StockError> {
    let mut stmt = conn.prepare(
        "SELECT sku, location, qty, avg_cost, last_purchase_cost, updated FROM stock_on_hand
         WHERE (?1 IS NULL OR sku = ?1) AND (?2 IS NULL OR location = ?2)
         ORDER BY location, sku",
    )?;
    let mut rows = stmt.query(params![filter.sku, filter.location])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let level = level_from_row(row)?;
        if !filter.negative_only || level.qty < Decimal::ZERO {
            out.push(level);
        }
    }
    Ok(out)
}

/// Every product/location whose quantity is below zero: stock sold that the
/// system did not know about. Worth a count.
pub fn negative_stock_report(conn: &Connection) -> Result<Vec<StockLevel>, StockError> {
    list_stock(
        conn,
        &StockFilter {
            negative_only: true,
            ..StockFilter::default()
        },
    )
}

fn level_from_row(row: &rusqlite::Row<'_>) -> Result<StockLevel, StockError> {
    let qty: String = row.get(2)?;
    let avg: String = row.get(3)?;
    let last: Option<String> = row.get(4)?;
    let updated: String = row.get(5)?;
    Ok(StockLevel {
        sku: row.get(0)?,
        location: row.get(1)?,
        qty: parse_dec(&qty, "stock_on_hand", "qty")?,
        avg_cost: Money(parse_dec(&avg, "stock_on_hand", "avg_cost")?),
        last_purchase_cost: last
            .map(|l| parse_dec(&l, "stock_on_hand", "last_purchase_cost").map(Money))
            .transpose()?,
        updated: Some(super::values::parse_time(
            &updated,
            "stock_on_hand",
            "updated",
        )?),
    })
}

fn load_level(conn: &Connection, sku: &str, location: &str) -> Result<StockLevel, StockError> {
    let mut stmt = conn.prepare_cached(
        "SELECT sku, location, qty, avg_cost, last_purchase_cost, updated FROM stock_on_hand
         WHERE sku = ?1 AND location = ?2",
    )?;
    let mut rows = stmt.query(params![sku, location])?;
    match rows.next()? {
        Some(row) => level_from_row(row),
        None => Ok(StockLevel::empty(sku, location)),
    }
}

fn store_level(conn: &Connection, level: &StockLevel, last_seq: i64) -> Result<(), StockError> {
    let updated = level.updated.map(time_text).unwrap_or_default();
    conn.prepare_cached(
        "INSERT INTO stock_on_hand (sku, location, qty, avg_cost, last_purchase_cost, last_seq, updated)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (sku, location) DO UPDATE SET
           qty = excluded.qty, avg_cost = excluded.avg_cost,
           last_purchase_cost = excluded.last_purchase_cost,
           last_seq = excluded.last_seq, updated = excluded.updated",
    )?
    .execute(params![
        level.sku,
        level.location,
        dec_text(level.qty),
        dec_text(level.avg_cost.0),
        level.last_purchase_cost.map(|c| dec_text(c.0)),
        last_seq,
        updated,
    ])?;
    Ok(())
}

/// Register a batch's expiry before its first receipt is posted (receiving
/// knows the expiry; a movement does not carry it). Existing batches keep
/// their first expiry unless it was unknown.
pub(crate) fn register_batch(
    tx: &Connection,
    sku: &str,
    location: &str,
    batch: &str,
    expiry: Option<chrono::NaiveDate>,
    at: NaiveDateTime,
) -> Result<(), StockError> {
    let next_seq: i64 = tx.query_row(
        "SELECT COALESCE(MAX(seq), 0) + 1 FROM stock_movements",
        [],
        |r| r.get(0),
    )?;
    tx.execute(
        "INSERT INTO stock_batches (sku, location, batch, expiry, qty_received, qty_remaining, received_at, received_seq)
         VALUES (?1, ?2, ?3, ?4, '0', '0', ?5, ?6)
         ON CONFLICT (sku, location, batch) DO UPDATE SET expiry = COALESCE(stock_batches.expiry, excluded.expiry)",
        params![sku, location, batch, expiry.map(|d| d.to_string()), time_text(at), next_seq],
    )?;
    Ok(())
}

fn post_batches(tx: &Connection, m: &StockMovement, seq: i64) -> Result<(), StockError> {
    if let Some(batch) = &m.batch {
        // A named batch: receipts add to it, sales/returns of it move it.
        let received = if m.qty > Decimal::ZERO {
            m.qty
        } else {
            Decimal::ZERO
        };
        let existing = tx
            .query_row(
                "SELECT qty_received, qty_remaining FROM stock_batches
                 WHERE sku = ?1 AND location = ?2 AND batch = ?3",
                params![m.sku, m.location, batch],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
            )
            .optional()?;
        match existing {
            Some((rec, rem)) => {
                let rec = parse_dec(&rec, "stock_batches", "qty_received")? + received;
                let rem = parse_dec(&rem, "stock_batches", "qty_remaining")? + m.qty;
                tx.prepare_cached(
                    "UPDATE stock_batches SET qty_received = ?4, qty_remaining = ?5
                     WHERE sku = ?1 AND location = ?2 AND batch = ?3",
                )?
                .execute(params![
                    m.sku,
                    m.location,
                    batch,
                    dec_text(rec),
                    dec_text(rem)
                ])?;
            }
            None => {
                tx.prepare_cached(
                    "INSERT INTO stock_batches
                       (sku, location, batch, expiry, qty_received, qty_remaining, received_at, received_seq)
                     VALUES (?1, ?2, ?3, NULL, ?4, ?5, ?6, ?7)",
                )?
                .execute(params![
                    m.sku,
                    m.location,
                    batch,
                    dec_text(received),
                    dec_text(m.qty),
                    time_text(m.at),
                    seq
                ])?;
            }
        }
        return Ok(());
    }
    if m.qty >= Decimal::ZERO {
        // Unbatched incoming stock (a return without batch) stays unbatched.
        return Ok(());
    }
    let available = open_batches(tx, &m.sku, &m.location)?;
    if available.is_empty() {
        return Ok(());
    }
    let taken = consume_fifo(&available, -m.qty);
    let mut allocate = tx.prepare_cached(
        "INSERT INTO stock_batch_allocations (movement_id, batch, qty) VALUES (?1, ?2, ?3)",
    )?;
    let mut reduce = tx.prepare_cached(
        "UPDATE stock_batches SET qty_remaining = ?4 WHERE sku = ?1 AND location = ?2 AND batch = ?3",
    )?;
    for allocation in taken.allocations {
        if allocation.qty.is_zero() {
            continue;
        }
        allocate.execute(params![
            m.id.to_string(),
            allocation.batch,
            dec_text(-allocation.qty)
        ])?;
        let before = available
            .iter()
            .find(|b| b.batch == allocation.batch)
            .map(|b| b.qty)
            .unwrap_or_default();
        reduce.execute(params![
            m.sku,
            m.location,
            allocation.batch,
            dec_text(before - allocation.qty)
        ])?;
    }
    Ok(())
}

/// Batches with stock left (the domain's `consume_fifo` orders them:
/// earliest expiry first, unknown expiry last, then first received).
pub(crate) fn open_batches(
    conn: &Connection,
    sku: &str,
    location: &str,
) -> Result<Vec<BatchStock>, StockError> {
    let mut stmt = conn.prepare_cached(
        "SELECT batch, expiry, qty_remaining, received_at FROM stock_batches
         WHERE sku = ?1 AND location = ?2",
    )?;
    let mut rows = stmt.query(params![sku, location])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let rem: String = row.get(2)?;
        let qty = parse_dec(&rem, "stock_batches", "qty_remaining")?;
        if qty > Decimal::ZERO {
            let expiry: Option<String> = row.get(1)?;
            let received_at: String = row.get(3)?;
            out.push(BatchStock {
                batch: row.get(0)?,
                expiry: expiry.and_then(|e| e.parse().ok()),
                received_at: parse_time(&received_at, "stock_batches", "received_at")?,
                qty,
            });
        }
    }
    Ok(out)
}

/// One batch of a product at a location, as cached.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BatchLevel {
    /// Batch / lot code.
    pub batch: String,
    /// Expiry date, when known.
    pub expiry: Option<chrono::NaiveDate>,
    /// Total received into this batch.
    pub qty_received: Decimal,
    /// Still on hand.
    pub qty_remaining: Decimal,
}

/// All batches of `sku` at `location` in FIFO order (including empty ones).
pub fn batches(
    conn: &Connection,
    sku: &str,
    location: &str,
) -> Result<Vec<BatchLevel>, StockError> {
    let mut stmt = conn.prepare(
        "SELECT batch, expiry, qty_received, qty_remaining FROM stock_batches
         WHERE sku = ?1 AND location = ?2
         ORDER BY expiry IS NULL, expiry, received_at, batch",
    )?;
    let mut rows = stmt.query(params![sku, location])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let expiry: Option<String> = row.get(1)?;
        let rec: String = row.get(2)?;
        let rem: String = row.get(3)?;
        out.push(BatchLevel {
            batch: row.get(0)?,
            expiry: expiry.and_then(|e| e.parse().ok()),
            qty_received: parse_dec(&rec, "stock_batches", "qty_received")?,
            qty_remaining: parse_dec(&rem, "stock_batches", "qty_remaining")?,
        });
    }
    Ok(out)
}

/// Cache rows computed from the ledger alone (shared by rebuild and verify).
pub(crate) struct Replayed {
    pub(crate) levels: BTreeMap<(String, String), (StockLevel, i64)>,
    pub(crate) batches: HashMap<(String, String, String), ReplayedBatch>,
}

/// A batch's quantities as the ledger says.
pub(crate) struct ReplayedBatch {
    pub(crate) received: Decimal,
    pub(crate) remaining: Decimal,
    /// First movement that touched it (for rows the cache lost).
    pub(crate) first_seq: i64,
    pub(crate) first_at: NaiveDateTime,
}

impl ReplayedBatch {
    fn first(seq: i64, at: NaiveDateTime) -> Self {
        ReplayedBatch {
            received: Decimal::ZERO,
            remaining: Decimal::ZERO,
            first_seq: seq,
            first_at: at,
        }
    }
}

/// Running state of one (sku, location) during a replay.
struct ReplayAcc {
    position: StockPosition,
    last_seq: i64,
    last_at: String,
}

/// Replay every movement in `seq` order through [`StockPosition::apply`].
///
/// Built for a million rows: values are read as `&str` without copying,
/// the kind is parsed once per distinct text, and times are parsed once per
/// product (the last one) instead of once per row. `apply` sees a scratch
/// movement whose quantity, cost, kind, sku, location and batch are the
/// row's; ids and time are not parsed because the position does not use them.
pub(crate) fn replay(conn: &Connection) -> Result<Replayed, StockError> {
    const T: &str = "stock_movements";
    let mut acc: HashMap<String, HashMap<String, ReplayAcc>> = HashMap::new();
    let mut batches: HashMap<(String, String, String), ReplayedBatch> = HashMap::new();
    let mut kinds: Vec<(String, MovementKind)> = Vec::new();
    let mut scratch = StockMovement {
        id: Uuid::nil(),
        sku: String::new(),
        location: String::new(),
        batch: None,
        qty: Decimal::ZERO,
        unit_cost: Money::ZERO,
        unit_sale_price: None,
        document_id: Uuid::nil(),
        at: NaiveDateTime::default(),
        kind: MovementKind::Adjustment,
    };
    let mut stmt = conn.prepare(
        "SELECT seq, sku, location, batch, qty, unit_cost, kind, at
         FROM stock_movements ORDER BY seq",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let seq: i64 = row.get(0)?;
        let sku = row.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?;
        let location = row.get_ref(2)?.as_str().map_err(rusqlite::Error::from)?;
        let batch = row
            .get_ref(3)?
            .as_str_or_null()
            .map_err(rusqlite::Error::from)?;
        let qty = parse_dec(
            row.get_ref(4)?.as_str().map_err(rusqlite::Error::from)?,
            T,
            "qty",
        )?;
        let cost = parse_dec(
            row.get_ref(5)?.as_str().map_err(rusqlite::Error::from)?,
            T,
            "unit_cost",
        )?;
        let kind_text = row.get_ref(6)?.as_str().map_err(rusqlite::Error::from)?;
        let kind = match kinds.iter().find(|(t, _)| t == kind_text) {
            Some((_, k)) => *k,
            None => {
                let k = super::movement::kind_from_text(kind_text)?;
                kinds.push((kind_text.to_string(), k));
                k
            }
        };
        let at = row.get_ref(7)?.as_str().map_err(rusqlite::Error::from)?;
        scratch.sku.clear();
        scratch.sku.push_str(sku);
        scratch.location.clear();
        scratch.location.push_str(location);
        scratch.batch = batch.map(str::to_string);
        scratch.qty = qty;
        scratch.unit_cost = Money(cost);
        scratch.kind = kind;
        let by_location = match acc.get_mut(sku) {
            Some(m) => m,
            None => acc.entry(sku.to_string()).or_default(),
        };
        let entry = match by_location.get_mut(location) {
            Some(e) => e,
            None => by_location
                .entry(location.to_string())
                .or_insert_with(|| ReplayAcc {
                    position: StockPosition::default(),
                    last_seq: 0,
                    last_at: String::new(),
                }),
        };
        entry.position.apply(&scratch);
        entry.last_seq = seq;
        entry.last_at.clear();
        entry.last_at.push_str(at);
        if let Some(batch) = batch {
            let key = (sku.to_string(), location.to_string(), batch.to_string());
            let b = match batches.get_mut(&key) {
                Some(b) => b,
                None => batches
                    .entry(key)
                    .or_insert(ReplayedBatch::first(seq, parse_time(at, T, "at")?)),
            };
            if qty > Decimal::ZERO {
                b.received += qty;
            }
            b.remaining += qty;
        }
    }
    let mut levels: BTreeMap<(String, String), (StockLevel, i64)> = BTreeMap::new();
    for (sku, by_location) in acc {
        for (location, a) in by_location {
            let level = StockLevel {
                sku: sku.clone(),
                location: location.clone(),
                qty: a.position.qty,
                avg_cost: a.position.avg_cost,
                last_purchase_cost: a.position.last_purchase_cost,
                updated: Some(parse_time(&a.last_at, T, "at")?),
            };
            levels.insert((sku.clone(), location), (level, a.last_seq));
        }
    }
    let mut stmt = conn.prepare(
        "SELECT m.sku, m.location, a.batch, a.qty, m.seq, m.at FROM stock_batch_allocations a
         JOIN stock_movements m ON m.id = a.movement_id",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let qty: String = row.get(3)?;
        let qty = parse_dec(&qty, "stock_batch_allocations", "qty")?;
        let seq: i64 = row.get(4)?;
        let at: String = row.get(5)?;
        let at = parse_time(&at, "stock_movements", "at")?;
        let b = batches
            .entry((row.get(0)?, row.get(1)?, row.get(2)?))
            .or_insert_with(|| ReplayedBatch::first(seq, at));
        b.remaining += qty;
    }
    Ok(Replayed { levels, batches })
}
