//! Applying master-data pages from head office.
//!
//! One page = ONE transaction: every change of the page is written to the
//! till's tables and the page's cursor is saved in the same transaction, so
//! the till never shows half a page and never re-applies or skips one after
//! a crash. A change the till cannot apply (a product without a name, a
//! barcode of an unknown product, a promotion that does not parse) fails
//! the whole page with `sync.master_data_rejected`: the previous state and
//! cursor stay, and the next round asks for the same page again.
//!
//! Every change is also kept verbatim in `sync_master_data` (entity, key,
//! version, data): tax rates and roles have no till table yet and are held
//! there; the others are applied to the catalog and user tables:
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
//!
//! CSV publishing at head office sends every field as a string, so numbers
//! and booleans are read from strings too.

use kasa_domain::pricing::Promotion;
use kasa_sync_protocol::{ChangeOp, Entity, MasterDataChange, MasterDataPage};
use rusqlite::{OptionalExtension, Transaction, params};
use serde_json::Value;

use super::SyncError;

/// Apply `page` and save its cursor, in `tx` (the caller commits).
pub fn apply_page(tx: &Transaction<'_>, page: &MasterDataPage) -> Result<(), SyncError> {
    // Search-index rows are written after the page's other rows, as the
    // catalog import does: FTS5 flushes pending terms at every statement
    // savepoint, so interleaving them would write one tiny segment per row.
    let mut search_rows: Vec<(i64, String)> = Vec::new();
    for change in &page.changes {
        apply_change(tx, change, &mut search_rows).map_err(|reason| {
            SyncError::MasterDataRejected {
                version: change.version,
                entity: entity_name(change.entity),
                key: change.key.clone(),
                reason,
            }
        })?;
        match change.op {
            ChangeOp::Upsert => tx.execute(
                "INSERT INTO sync_master_data (entity, key, version, data) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (entity, key) DO UPDATE SET version = excluded.version, data = excluded.data",
                params![entity_name(change.entity), change.key, change.version as i64, change.data.to_string()],
            )?,
            ChangeOp::Delete => tx.execute(
                "DELETE FROM sync_master_data WHERE entity = ?1 AND key = ?2",
                params![entity_name(change.entity), change.key],
            )?,
        };
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
    match entity {
        Entity::Product => "product",
        Entity::Barcode => "barcode",
        Entity::Price => "price",
        Entity::PriceTier => "price_tier",
        Entity::Promotion => "promotion",
        Entity::Customer => "customer",
        Entity::CustomerGroup => "customer_group",
        Entity::TaxRate => "tax_rate",
        Entity::User => "user",
        Entity::Role => "role",
    }
}

type Applied = Result<(), String>;

fn apply_change(
    tx: &Transaction<'_>,
    change: &MasterDataChange,
    search_rows: &mut Vec<(i64, String)>,
) -> Applied {
    let key = change.key.as_str();
    let data = &change.data;
    let sql = |e: rusqlite::Error| e.to_string();
    match (change.entity, change.op) {
        (Entity::Product, ChangeOp::Upsert) => upsert_product(tx, key, data, search_rows),
        (Entity::Product, ChangeOp::Delete) => {
            // products are never deleted on the till (documents refer to
            // them); a delete archives the product
            tx.execute(
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
            tx.execute(
                "INSERT INTO barcodes (gtin, code, sku, multiplier) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (gtin) DO UPDATE SET code = excluded.code, sku = excluded.sku,
                    multiplier = excluded.multiplier",
                params![gtin, key, sku, multiplier.max(1)],
            )
            .map_err(|e| format!("{e} (is product {sku} published?)"))?;
            Ok(())
        }
        (Entity::Barcode, ChangeOp::Delete) => {
            let gtin = kasa_domain::barcode::to_gtin14(key).unwrap_or_else(|_| key.to_owned());
            tx.execute(
                "DELETE FROM barcodes WHERE gtin = ?1 OR code = ?2",
                params![gtin, key],
            )
            .map_err(sql)?;
            Ok(())
        }
        (Entity::Price, op) => {
            let (sku, key_store) = key.split_once('/').unwrap_or((key, ""));
            let store = text(data, "store").unwrap_or(key_store);
            if op == ChangeOp::Delete {
                tx.execute(
                    "DELETE FROM price_tiers WHERE sku = ?1 AND kind = 'base' AND store_id = ?2",
                    params![sku, key_store],
                )
                .map_err(sql)?;
                return Ok(());
            }
            let price = decimal(data, "price")?.ok_or("price is missing")?;
            upsert_tier(
                tx,
                sku,
                "base",
                store,
                "",
                "",
                &price,
                text(data, "valid_from").unwrap_or(""),
                text(data, "valid_to"),
            )
        }
        (Entity::PriceTier, op) => {
            let sku = text(data, "sku").unwrap_or_else(|| key.split('/').next().unwrap_or(key));
            if op == ChangeOp::Delete {
                // key layout `sku/kind/group/min_qty` as the example publishes
                let parts: Vec<&str> = key.split('/').collect();
                if let [sku, kind, group, min_qty] = parts[..] {
                    tx.execute(
                        "DELETE FROM price_tiers WHERE sku = ?1 AND kind = ?2 AND customer_group = ?3 AND min_qty = ?4",
                        params![sku, kind, group, min_qty],
                    )
                    .map_err(sql)?;
                }
                return Ok(());
            }
            let kind = text(data, "kind").unwrap_or("group");
            let price = decimal(data, "price")?.ok_or("price is missing")?;
            upsert_tier(
                tx,
                sku,
                kind,
                text(data, "store").unwrap_or(""),
                text(data, "customer_group").unwrap_or(""),
                text(data, "min_qty").unwrap_or(""),
                &price,
                text(data, "valid_from").unwrap_or(""),
                text(data, "valid_to"),
            )
        }
        (Entity::Promotion, ChangeOp::Upsert) => {
            let mut value = data.clone();
            value["id"] = Value::String(key.to_owned());
            let promotion: Promotion =
                serde_json::from_value(value).map_err(|e| format!("not a promotion: {e}"))?;
            let body = serde_json::to_string(&promotion).map_err(|e| e.to_string())?;
            const DATETIME: &str = "%Y-%m-%dT%H:%M:%S";
            tx.execute(
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
            tx.execute(
                "DELETE FROM promotion_products WHERE promotion_id = ?1",
                [key],
            )
            .map_err(sql)?;
            for sku in promotion.skus() {
                tx.execute(
                    "INSERT OR IGNORE INTO promotion_products (promotion_id, sku) VALUES (?1, ?2)",
                    params![key, sku],
                )
                .map_err(sql)?;
            }
            Ok(())
        }
        (Entity::Promotion, ChangeOp::Delete) => {
            tx.execute(
                "DELETE FROM promotion_products WHERE promotion_id = ?1",
                [key],
            )
            .map_err(sql)?;
            tx.execute("DELETE FROM promotions WHERE id = ?1", [key])
                .map_err(sql)?;
            Ok(())
        }
        (Entity::CustomerGroup, ChangeOp::Upsert) => {
            tx.execute(
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
                tx.execute(
                    "INSERT OR IGNORE INTO customer_groups (code, name) VALUES (?1, ?1)",
                    [group],
                )
                .map_err(sql)?;
            }
            let money = |field| decimal(data, field).map(|d| d.unwrap_or_else(|| "0".to_owned()));
            tx.execute(
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
            tx.execute(
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
            tx.execute("UPDATE users SET active = 0 WHERE login = ?1", [key])
                .map_err(sql)?;
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
    let id: i64 = tx
        .query_row(
            "INSERT INTO products (sku, name, name_norm, product_group, brand, unit, vat_class,
                lifecycle, plu, tracks_batches, markup_percent, cost)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
             ON CONFLICT (sku) DO UPDATE SET name = excluded.name, name_norm = excluded.name_norm,
                product_group = excluded.product_group, brand = excluded.brand, unit = excluded.unit,
                vat_class = excluded.vat_class, lifecycle = excluded.lifecycle, plu = excluded.plu,
                tracks_batches = excluded.tracks_batches, markup_percent = excluded.markup_percent,
                cost = excluded.cost
             RETURNING id",
            params![
                sku,
                name,
                search_form(name),
                text(data, "group").unwrap_or(""),
                text(data, "brand").unwrap_or(""),
                unit,
                text(data, "vat_class").filter(|v| !v.is_empty()).unwrap_or("standard"),
                lifecycle,
                plu,
                boolean(data, "tracks_batches")?.unwrap_or(false),
                decimal(data, "markup_percent")?,
                decimal(data, "cost")?,
            ],
            |r| r.get(0),
        )
        .map_err(|e| e.to_string())?;
    search_rows.push((id, search_form(name)));
    if let Some(price) = decimal(data, "price")? {
        upsert_tier(tx, sku, "base", "", "", "", &price, "", None)?;
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
) -> Applied {
    let existing: Option<i64> = tx
        .query_row(
            "SELECT id FROM price_tiers WHERE sku = ?1 AND kind = ?2 AND store_id = ?3
               AND customer_group = ?4 AND min_qty = ?5 AND valid_from = ?6",
            params![sku, kind, store, customer_group, min_qty, valid_from],
            |r| r.get(0),
        )
        .optional()
        .map_err(|e| e.to_string())?;
    let result = match existing {
        Some(id) => tx.execute(
            "UPDATE price_tiers SET price = ?1, valid_to = ?2 WHERE id = ?3",
            params![price, valid_to, id],
        ),
        None => tx.execute(
            "INSERT INTO price_tiers (sku, kind, store_id, customer_group, min_qty, price, valid_from, valid_to)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![sku, kind, store, customer_group, min_qty, price, valid_from, valid_to],
        ),
    };
    result
        .map(|_| ())
        .map_err(|e| format!("{e} (is product {sku} published?)"))
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
