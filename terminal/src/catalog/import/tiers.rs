//! `price_tiers.csv`: base prices per store and dated, customer-group prices
//! and quantity breaks.
//!
//! Header: `sku,kind,store,customer_group,min_qty,price,valid_from,valid_to`
//! - `kind` = `base` (a store's own base price, or a dated global one when
//!   `store` is empty), `group` (price for members of `customer_group`),
//!   `step` (price from `min_qty` units up; `customer_group` optional);
//! - `store` empty = every store; `valid_from`/`valid_to` ISO dates, both
//!   inclusive, empty = open.
//!
//! Upsert key: (sku, kind, store, customer_group, min_qty, valid_from) — a
//! re-import with a new price or end date updates the tier. An unknown SKU
//! rejects the row (`catalog.unknown_product`); a customer group that does
//! not exist yet is created (named by its code).

use std::io::Read;

use rusqlite::{OptionalExtension, params};

use super::{
    CsvLayout, ImportOptions, ImportProgress, ImportReport, Rejection, RowOutcome, run_csv,
};
use crate::catalog::CatalogError;
use crate::catalog::text::{parse_date, parse_decimal};
use crate::store::Store;

const LAYOUT: CsvLayout = CsvLayout {
    file: "price_tiers.csv",
    columns: &[
        "sku",
        "kind",
        "price",
        "store",
        "customer_group",
        "min_qty",
        "valid_from",
        "valid_to",
    ],
    required: 3,
    header: "sku,kind,store,customer_group,min_qty,price,valid_from,valid_to",
};
const SKU: usize = 0;
const KIND: usize = 1;
const PRICE: usize = 2;
const STORE: usize = 3;
const GROUP: usize = 4;
const MIN_QTY: usize = 5;
const FROM: usize = 6;
const TO: usize = 7;

/// Import `price_tiers.csv`.
pub fn import_price_tiers<R: Read>(
    store: &mut Store,
    reader: R,
    mut progress: impl FnMut(ImportProgress),
) -> Result<ImportReport, CatalogError> {
    let batch_rows = ImportOptions::default().batch_rows;
    run_csv(
        store,
        &LAYOUT,
        reader,
        batch_rows,
        &mut progress,
        |tx, f| {
            let bad_decimal = |m: String| Rejection::new("catalog.bad_decimal", m);
            let bad_date = |m: String| Rejection::new("catalog.bad_date", m);
            let parsed = (|| {
                let kind = match f.at(KIND).to_ascii_lowercase().as_str() {
                    "base" => "base",
                    "group" => "group",
                    "step" => "step",
                    other => {
                        return Err(Rejection::new(
                            "catalog.unknown_tier_kind",
                            format!("kind `{other}` is unknown — use base, group or step"),
                        ));
                    }
                };
                let price = parse_decimal(f.at(PRICE), "price")
                    .map_err(bad_decimal)?
                    .ok_or_else(|| {
                        Rejection::new(
                            "catalog.bad_decimal",
                            "price is empty — give the tier's price",
                        )
                    })?;
                let min_qty = parse_decimal(f.at(MIN_QTY), "min_qty").map_err(bad_decimal)?;
                let group = f.at(GROUP);
                match kind {
                    "base" if !group.is_empty() || min_qty.is_some() => {
                        return Err(Rejection::new(
                            "catalog.bad_tier",
                            "a base price has no customer_group and no min_qty — use kind group or step",
                        ));
                    }
                    "group" if group.is_empty() || min_qty.is_some() => {
                        return Err(Rejection::new(
                            "catalog.bad_tier",
                            "a group price needs a customer_group and no min_qty (use kind step for quantity breaks)",
                        ));
                    }
                    "step" if min_qty.is_none_or(|q| q.is_zero()) => {
                        return Err(Rejection::new(
                            "catalog.bad_tier",
                            "a step price needs min_qty greater than 0",
                        ));
                    }
                    _ => {}
                }
                let from = parse_date(f.at(FROM), "valid_from").map_err(bad_date)?;
                let to = parse_date(f.at(TO), "valid_to").map_err(bad_date)?;
                if let (Some(from), Some(to)) = (from, to)
                    && to < from
                {
                    return Err(Rejection::new(
                        "catalog.bad_date",
                        format!("valid_to {to} is before valid_from {from}"),
                    ));
                }
                Ok((kind, price, min_qty, group, from, to))
            })();
            let (kind, price, min_qty, group, from, to) = match parsed {
                Ok(p) => p,
                Err(r) => return Ok(Err(r)),
            };
            let sku = f.at(SKU);
            let known: Option<i64> = tx
                .prepare_cached("SELECT 1 FROM products WHERE sku = ?1")?
                .query_row([sku], |r| r.get(0))
                .optional()?;
            if known.is_none() {
                return Ok(Err(Rejection::new(
                    "catalog.unknown_product",
                    format!("product {sku} is not in the catalog — import products.csv first"),
                )));
            }
            if !group.is_empty() {
                tx.prepare_cached(
                    "INSERT OR IGNORE INTO customer_groups (code, name) VALUES (?1, ?1)",
                )?
                .execute([group])?;
            }
            let min_qty = min_qty.map_or(String::new(), |q| q.normalize().to_string());
            let valid_from = from.map_or(String::new(), |d| d.to_string());
            let existed: Option<i64> = tx
                .prepare_cached(
                    "SELECT id FROM price_tiers WHERE sku = ?1 AND kind = ?2 AND store_id = ?3
                 AND customer_group = ?4 AND min_qty = ?5 AND valid_from = ?6",
                )?
                .query_row(
                    params![sku, kind, f.at(STORE), group, min_qty, valid_from],
                    |r| r.get(0),
                )
                .optional()?;
            tx.prepare_cached(
            "INSERT INTO price_tiers (sku, kind, store_id, customer_group, min_qty, price, valid_from, valid_to)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (sku, kind, store_id, customer_group, min_qty, valid_from)
             DO UPDATE SET price = excluded.price, valid_to = excluded.valid_to",
        )?
        .execute(params![
            sku,
            kind,
            f.at(STORE),
            group,
            min_qty,
            price.to_string(),
            valid_from,
            to.map(|d| d.to_string()),
        ])?;
            Ok(Ok(if existed.is_some() {
                RowOutcome::Updated
            } else {
                RowOutcome::Inserted
            }))
        },
        |_| Ok(()),
    )
}
