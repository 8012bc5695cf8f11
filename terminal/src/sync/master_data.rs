//! Applying master-data pages from head office.
//!
//! One page = ONE transaction: every change of the page is written to the
//! till's tables and the page's cursor is saved in the same transaction, so
//! the till never shows half a page and never re-applies or skips one after
//! a crash. A change the till cannot apply (a product without a name, a
//! barcode multiplier that is not a number, a promotion that does not
//! parse) fails the whole page with `sync.master_data_rejected`: the
//! previous state and cursor stay, and the next round asks for the same
//! page again. A barcode, price or price tier of a product the till does
//! not have yet is not a fault: pages carry the newest change of each key,
//! so a product edited after its barcodes arrives after them. It waits in
//! the sync schema until its product arrives ([`pending`]).
//!
//! Changes are applied to the catalog and user tables; tax rates and roles
//! have no till table yet and are kept verbatim in `sync_master_data`
//! (entity, key, version, data) — only they: a verbatim copy of every
//! product and barcode doubled the work and the file of a first download
//! (1,000,000 products = 2,000,000 extra rows) for data already held in
//! the catalog tables.
//!
//! | entity | table | data fields read |
//! |---|---|---|
//! | product | `products` (+ search index; `price` → base price) | name, group, brand, unit, vat_class, lifecycle/status, plu, tracks_batches, markup_percent, cost, price |
//! | barcode | `barcodes` (key = code) | sku, multiplier |
//! | price | `price_tiers` kind base (key `sku/store`) | price, store, valid_from, valid_to |
//! | price_tier | `price_tiers` group/step (key starts `sku/`) | sku, kind, customer_group, min_qty, price, valid_from, valid_to |
//! | promotion | `promotions`, `promotion_products` | a whole `kasa_domain::pricing::Promotion` |
//! | customer / customer_group | `customers` / `customer_groups` | name, customer_group, credit_limit, balance |
//! | user | `users` (key = login) | name, role, pin_hash, active |
//! | tax_rate, role | `sync_master_data` only | — |
//!
//! Every statement is prepared once per connection (`prepare_cached`): a
//! page is thousands of the same few statements. [`pull`] runs the page
//! loop, fetching the next page while this one is written.
//!
//! CSV publishing at head office sends every field as a string, so numbers
//! and booleans are read from strings too.

use kasa_domain::pricing::Promotion;
use kasa_sync_protocol::{ChangeOp, Entity, MasterDataChange, MasterDataPage};
use rusqlite::{Transaction, params};
use serde_json::Value;

use super::SyncError;

mod pending;
mod pull;
pub use pending::count as pending_count;
use pending::{Pending, is_missing_product};
pub use pull::{PullReport, pull};

/// Apply `page` and save its cursor, in `tx` (the caller commits).
pub fn apply_page(tx: &Transaction<'_>, page: &MasterDataPage) -> Result<(), SyncError> {
    // Search-index rows are written after the page's other rows, as the
    // catalog import does: FTS5 flushes pending terms at every statement
    // savepoint, so interleaving them would write one tiny segment per row.
    let mut search_rows: Vec<(i64, String)> = Vec::new();
    let mut pending = Pending::load(tx)?;
    for change in &page.changes {
        apply_change(tx, change, &mut pending, &mut search_rows).map_err(|reason| {
            SyncError::MasterDataRejected {
                version: change.version,
                entity: entity_name(change.entity),
                key: change.key.clone(),
                reason,
            }
        })?;
        if matches!(change.entity, Entity::TaxRate | Entity::Role) {
            keep_verbatim(tx, change)?;
        }
    }
    let mut index = tx.prepare_cached(
        "INSERT OR REPLACE INTO product_search (rowid, name_norm) VALUES (?1, ?2)",
    )?;
    for (id, name_norm) in &search_rows {
        index.execute(params![id, name_norm])?;
    }
    let applied_version = page.changes.last().map(|c| c.version);
    tx.execute(
        "UPDATE sync_state SET master_data_cursor = ?1,
            master_data_version = MAX(master_data_version, COALESCE(?2, 0)),
            server_version = ?3 WHERE id = 1",
        params![
            page.next_cursor.0,
            applied_version.map(|v| v as i64),
            page.server_version as i64
        ],
    )?;
    Ok(())
}

/// The entity's wire name (`price_tier`).
pub fn entity_name(entity: Entity) -> &'static str {
    entity.as_str()
}

/// Hold a change of an entity the till has no table for.
fn keep_verbatim(tx: &Transaction<'_>, change: &MasterDataChange) -> Result<(), SyncError> {
    let entity = entity_name(change.entity);
    match change.op {
        ChangeOp::Upsert => tx
            .prepare_cached(
                "INSERT INTO sync_master_data (entity, key, version, data) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (entity, key) DO UPDATE SET version = excluded.version, data = excluded.data",
            )?
            .execute(params![
                entity,
                change.key,
                change.version as i64,
                change.data.to_string()
            ])?,
        ChangeOp::Delete => tx
            .prepare_cached("DELETE FROM sync_master_data WHERE entity = ?1 AND key = ?2")?
            .execute(params![entity, change.key])?,
    };
    Ok(())
}

type Applied = Result<(), String>;

/// Run `sql` through the connection's statement cache.
fn exec(tx: &Transaction<'_>, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<usize> {
    tx.prepare_cached(sql)?.execute(params)
}

fn apply_change(
    tx: &Transaction<'_>,
    change: &MasterDataChange,
    pending: &mut Pending,
    search_rows: &mut Vec<(i64, String)>,
) -> Applied {
    let key = change.key.as_str();
    let data = &change.data;
    let sql = |e: rusqlite::Error| e.to_string();
    // a dependent of a product: written, held until its product arrives,
    // or (deletes) gone — either way an older pending version is superseded
    let dependent = |written: rusqlite::Result<usize>, sku: &str, pending: &mut Pending| {
        match written {
            Ok(_) => pending.supersede(tx, change),
            Err(e) if is_missing_product(&e) => pending.hold(tx, change, sku),
            Err(e) => Err(e),
        }
        .map_err(sql)
    };
    match (change.entity, change.op) {
        (Entity::Product, ChangeOp::Upsert) => upsert_product(tx, key, data, pending, search_rows),
        (Entity::Product, ChangeOp::Delete) => {
            // products are never deleted on the till (documents refer to
            // them); a delete archives the product (its barcodes, prices
            // and pending dependents stay)
            exec(
                tx,
                "UPDATE products SET lifecycle = 'ARCHIVED' WHERE sku = ?1",
                [key],
            )
            .map_err(sql)?;
            Ok(())
        }
        (Entity::Barcode, ChangeOp::Upsert) => {
            let sku = required(data, "sku")?;
            let multiplier = text(data, "multiplier").map_or(Ok(1), |m| {
                m.parse::<u32>()
                    .map_err(|_| format!("multiplier {m:?} is not a whole number"))
            })?;
            let gtin = kasa_domain::barcode::to_gtin14(key).unwrap_or_else(|_| key.to_owned());
            let written = exec(
                tx,
                "INSERT INTO barcodes (gtin, code, sku, multiplier) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (gtin) DO UPDATE SET code = excluded.code, sku = excluded.sku,
                    multiplier = excluded.multiplier",
                params![gtin, key, sku, multiplier.max(1)],
            );
            dependent(written, sku, pending)
        }
        (Entity::Barcode, ChangeOp::Delete) => {
            let gtin = kasa_domain::barcode::to_gtin14(key).unwrap_or_else(|_| key.to_owned());
            let written = exec(
                tx,
                "DELETE FROM barcodes WHERE gtin = ?1 OR code = ?2",
                params![gtin, key],
            );
            dependent(written, key, pending)
        }
        (Entity::Price, op) => {
            let (sku, key_store) = key.split_once('/').unwrap_or((key, ""));
            let store = text(data, "store").unwrap_or(key_store);
            if op == ChangeOp::Delete {
                let written = exec(
                    tx,
                    "DELETE FROM price_tiers WHERE sku = ?1 AND kind = 'base' AND store_id = ?2",
                    params![sku, key_store],
                );
                return dependent(written, sku, pending);
            }
            let price = decimal(data, "price")?.ok_or("price is missing")?;
            let written = upsert_tier(
                tx,
                sku,
                "base",
                store,
                "",
                "",
                &price,
                text(data, "valid_from").unwrap_or(""),
                text(data, "valid_to"),
            );
            dependent(written, sku, pending)
        }
        (Entity::PriceTier, op) => {
            let sku = text(data, "sku").unwrap_or_else(|| key.split('/').next().unwrap_or(key));
            if op == ChangeOp::Delete {
                // key layout `sku/kind/group/min_qty` as the example publishes
                let parts: Vec<&str> = key.split('/').collect();
                let written = match parts[..] {
                    [sku, kind, group, min_qty] => exec(
                        tx,
                        "DELETE FROM price_tiers WHERE sku = ?1 AND kind = ?2 AND customer_group = ?3 AND min_qty = ?4",
                        params![sku, kind, group, min_qty],
                    ),
                    _ => Ok(0),
                };
                return dependent(written, sku, pending);
            }
            let kind = text(data, "kind").unwrap_or("group");
            let price = decimal(data, "price")?.ok_or("price is missing")?;
            let written = upsert_tier(
                tx,
                sku,
                kind,
                text(data, "store").unwrap_or(""),
                text(data, "customer_group").unwrap_or(""),
                text(data, "min_qty").unwrap_or(""),
                &price,
                text(data, "valid_from").unwrap_or(""),
                text(data, "valid_to"),
            );
            dependent(written, sku, pending)
        }
        (Entity::Promotion, ChangeOp::Upsert) => {
            let mut value = data.clone();
            value["id"] = Value::String(key.to_owned());
            let promotion: Promotion =
                serde_json::from_value(value).map_err(|e| format!("not a promotion: {e}"))?;
            let body = serde_json::to_string(&promotion).map_err(|e| e.to_string())?;
            const DATETIME: &str = "%Y-%m-%dT%H:%M:%S";
            exec(tx,
                "INSERT INTO promotions (id, body, starts_at, ends_at, stores) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (id) DO UPDATE SET body = excluded.body, starts_at = excluded.starts_at,
                    ends_at = excluded.ends_at, stores = excluded.stores",
                params![
                    promotion.id,
                    body,
                    promotion.from.format(DATETIME).to_string(),
                    promotion.to.map(|t| t.format(DATETIME).to_string()),
                    promotion.stores.join(","),
                ],
            )
            .map_err(sql)?;
            exec(
                tx,
                "DELETE FROM promotion_products WHERE promotion_id = ?1",
                [key],
            )
            .map_err(sql)?;
            for sku in promotion.skus() {
                exec(
                    tx,
                    "INSERT OR IGNORE INTO promotion_products (promotion_id, sku) VALUES (?1, ?2)",
                    params![key, sku],
                )
                .map_err(sql)?;
            }
            Ok(())
        }
        (Entity::Promotion, ChangeOp::Delete) => {
            exec(
                tx,
                "DELETE FROM promotion_products WHERE promotion_id = ?1",
                [key],
            )
            .map_err(sql)?;
            exec(tx, "DELETE FROM promotions WHERE id = ?1", [key]).map_err(sql)?;
            Ok(())
        }
        (Entity::CustomerGroup, ChangeOp::Upsert) => {
            exec(
                tx,
                "INSERT INTO customer_groups (code, name) VALUES (?1, ?2)
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name",
                params![key, text(data, "name").unwrap_or(key)],
            )
            .map_err(sql)?;
            Ok(())
        }
        (Entity::Customer, ChangeOp::Upsert) => {
            let name = required(data, "name")?;
            let group = text(data, "customer_group").filter(|g| !g.is_empty());
            if let Some(group) = group {
                exec(
                    tx,
                    "INSERT OR IGNORE INTO customer_groups (code, name) VALUES (?1, ?1)",
                    [group],
                )
                .map_err(sql)?;
            }
            let money = |field| decimal(data, field).map(|d| d.unwrap_or_else(|| "0".to_owned()));
            exec(
                tx,
                "INSERT INTO customers (code, name, customer_group, credit_limit, balance)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name,
                    customer_group = excluded.customer_group, credit_limit = excluded.credit_limit,
                    balance = excluded.balance",
                params![key, name, group, money("credit_limit")?, money("balance")?],
            )
            .map_err(sql)?;
            Ok(())
        }
        (Entity::User, ChangeOp::Upsert) => {
            let role = required(data, "role")?;
            let pin_hash = required(data, "pin_hash")?;
            if !pin_hash.starts_with("$argon2") {
                return Err(
                    "pin_hash must be an argon2 PHC string; head office never sends PINs".into(),
                );
            }
            let active = boolean(data, "active")?.unwrap_or(true);
            exec(
                tx,
                "INSERT INTO users (login, name, role, pin_hash, active, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, strftime('%Y-%m-%dT%H:%M:%S', 'now'))
                 ON CONFLICT (login) DO UPDATE SET name = excluded.name, role = excluded.role,
                    pin_hash = excluded.pin_hash, active = excluded.active",
                params![
                    key,
                    text(data, "name").unwrap_or(key),
                    role,
                    pin_hash,
                    active
                ],
            )
            .map_err(sql)?;
            Ok(())
        }
        (Entity::User, ChangeOp::Delete) => {
            // users stay (documents name them); a delete deactivates
            exec(tx, "UPDATE users SET active = 0 WHERE login = ?1", [key]).map_err(sql)?;
            Ok(())
        }
        (Entity::Customer | Entity::CustomerGroup, ChangeOp::Delete) => Ok(()),
        // held in sync_master_data only (no till table yet)
        (Entity::TaxRate | Entity::Role, _) => Ok(()),
    }
}

fn upsert_product(
    tx: &Transaction<'_>,
    sku: &str,
    data: &Value,
    pending: &mut Pending,
    search_rows: &mut Vec<(i64, String)>,
) -> Applied {
    let name = required(data, "name")?;
    let unit = text(data, "unit").unwrap_or("piece").to_ascii_lowercase();
    if !["piece", "kg", "l", "m"].contains(&unit.as_str()) {
        return Err(format!("unit {unit:?} is not piece, kg, l or m"));
    }
    let lifecycle = text(data, "lifecycle")
        .or_else(|| text(data, "status"))
        .filter(|s| !s.is_empty())
        .unwrap_or("ACTIVE")
        .to_ascii_uppercase();
    let plu = match data.get("plu") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) => Some(
            s.parse::<i64>()
                .map_err(|_| format!("plu {s:?} is not a number"))?,
        ),
        Some(other) => return Err(format!("plu {other} is not a number")),
    };
    let name_norm = search_form(name);
    let tracks_batches = boolean(data, "tracks_batches")?.unwrap_or(false);
    let markup = decimal(data, "markup_percent")?;
    let cost = decimal(data, "cost")?;
    let sql = |e: rusqlite::Error| e.to_string();
    // no RETURNING: SQLite buffers returned rows in a temporary table per
    // statement, which cost more than looking the id up again (measured)
    exec(
        tx,
            "INSERT INTO products (sku, name, name_norm, product_group, brand, unit, vat_class,
                lifecycle, plu, tracks_batches, markup_percent, cost)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
             ON CONFLICT (sku) DO UPDATE SET name = excluded.name, name_norm = excluded.name_norm,
                product_group = excluded.product_group, brand = excluded.brand, unit = excluded.unit,
                vat_class = excluded.vat_class, lifecycle = excluded.lifecycle, plu = excluded.plu,
                tracks_batches = excluded.tracks_batches, markup_percent = excluded.markup_percent,
                cost = excluded.cost",
        params![
                sku,
                name,
                name_norm,
                text(data, "group").unwrap_or(""),
                text(data, "brand").unwrap_or(""),
                unit,
                text(data, "vat_class")
                    .filter(|v| !v.is_empty())
                    .unwrap_or("standard"),
                lifecycle,
                plu,
                tracks_batches,
                markup,
                cost,
            ],
    )
    .map_err(sql)?;
    let id: i64 = tx
        .prepare_cached("SELECT id FROM products WHERE sku = ?1")
        .and_then(|mut find| find.query_row([sku], |r| r.get(0)))
        .map_err(sql)?;
    search_rows.push((id, name_norm));
    // dependents that came before the product: older than it, so written
    // before its own base price (which wins over a pending chain-wide price)
    for held in pending.release(tx, sku)? {
        apply_change(tx, &held, pending, search_rows).map_err(|reason| {
            format!(
                "{} {} (version {}): {reason}",
                held.entity.as_str(),
                held.key,
                held.version
            )
        })?;
    }
    if let Some(price) = decimal(data, "price")? {
        upsert_tier(tx, sku, "base", "", "", "", &price, "", None).map_err(sql)?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn upsert_tier(
    tx: &Transaction<'_>,
    sku: &str,
    kind: &str,
    store: &str,
    customer_group: &str,
    min_qty: &str,
    price: &str,
    valid_from: &str,
    valid_to: Option<&str>,
) -> rusqlite::Result<usize> {
    exec(
        tx,
        "INSERT INTO price_tiers (sku, kind, store_id, customer_group, min_qty, price, valid_from, valid_to)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (sku, kind, store_id, customer_group, min_qty, valid_from)
            DO UPDATE SET price = excluded.price, valid_to = excluded.valid_to",
        params![sku, kind, store, customer_group, min_qty, price, valid_from, valid_to],
    )
}

fn text<'a>(data: &'a Value, field: &str) -> Option<&'a str> {
    data.get(field).and_then(Value::as_str)
}

fn required<'a>(data: &'a Value, field: &str) -> Result<&'a str, String> {
    text(data, field)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("{field} is missing"))
}

/// A decimal given as a string or an integer, checked and normalised to text.
fn decimal(data: &Value, field: &str) -> Result<Option<String>, String> {
    let raw = match data.get(field) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => n.to_string(),
        Some(other) => return Err(format!("{field} {other} is not a decimal string")),
    };
    raw.parse::<rust_decimal::Decimal>()
        .map(|d| Some(d.to_string()))
        .map_err(|_| format!("{field} {raw:?} is not a decimal"))
}

fn boolean(data: &Value, field: &str) -> Result<Option<bool>, String> {
    match data.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) => match s.to_ascii_lowercase().as_str() {
            "" => Ok(None),
            "true" | "1" | "yes" => Ok(Some(true)),
            "false" | "0" | "no" => Ok(Some(false)),
            other => Err(format!("{field} {other:?} is not true or false")),
        },
        Some(other) => Err(format!("{field} {other} is not true or false")),
    }
}

/// The search form of a name, as `catalog::text::fold` makes it (words
/// lower-cased, whitespace collapsed); that module is private to the
/// catalog, so the rule is repeated here and tested against the catalog's
/// search.
fn search_form(text: &str) -> String {
    text.split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}
