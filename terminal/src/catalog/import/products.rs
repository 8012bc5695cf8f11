//! `products.csv`: one product per row, with its barcodes and base price.
//!
//! Header: `sku,name,group,brand,unit,vat_class,price,cost,barcodes,plu,status,tracks_batches,markup_percent`
//! (`sku,name,unit,vat_class` are required columns; the others may be left
//! out of the header and are then empty).
//!
//! Upsert rules (the row is the whole truth about the product):
//! - keyed by `sku`: a known SKU is updated in place (its id, and therefore
//!   stock and sales history, stay);
//! - `barcodes` replaces the product's barcode list: codes no longer listed
//!   are removed, new ones added, multipliers updated. A code owned by
//!   **another** product rejects the row (`catalog.duplicate_barcode`) — move
//!   a barcode by first importing the old owner without it;
//! - `price` sets the global, undated base price; an empty `price` removes it
//!   (cost + markup then applies). Store-specific and dated base prices come
//!   from `price_tiers.csv` and are not touched here;
//! - a PLU used by another product rejects the row (`catalog.duplicate_plu`).

use std::cell::RefCell;
use std::collections::HashSet;
use std::io::Read;

use kasa_domain::barcode::{to_gtin14, validate_gtin};
use kasa_domain::product::{Lifecycle, Product, ProductError, Unit};
use rusqlite::{OptionalExtension, Transaction, params};
use rust_decimal::Decimal;

use super::{
    CsvLayout, Fields, ImportOptions, ImportProgress, ImportReport, Rejection, RowOutcome,
    RowResult, run_csv,
};
use crate::catalog::CatalogError;
use crate::catalog::text::parse_decimal;
use crate::catalog::write::{upsert_base_price, upsert_product};
use crate::store::Store;

const SKU: usize = 0;
const NAME: usize = 1;
const UNIT: usize = 2;
const VAT_CLASS: usize = 3;
const GROUP: usize = 4;
const BRAND: usize = 5;
const PRICE: usize = 6;
const COST: usize = 7;
const BARCODES: usize = 8;
const PLU: usize = 9;
const STATUS: usize = 10;
const TRACKS_BATCHES: usize = 11;
const MARKUP: usize = 12;

const LAYOUT: CsvLayout = CsvLayout {
    file: "products.csv",
    columns: &[
        "sku",
        "name",
        "unit",
        "vat_class",
        "group",
        "brand",
        "price",
        "cost",
        "barcodes",
        "plu",
        "status",
        "tracks_batches",
        "markup_percent",
    ],
    required: 4,
    header: "sku,name,group,brand,unit,vat_class,price,cost,barcodes,plu,status,tracks_batches,markup_percent",
};

/// Largest packaging multiplier accepted (`CODE*N`).
pub const MAX_MULTIPLIER: u32 = 100_000;

/// Import `products.csv` with the default options (10,000 rows per
/// transaction, Bulgarian VAT classes).
pub fn import_products<R: Read>(
    store: &mut Store,
    reader: R,
    progress: impl FnMut(ImportProgress),
) -> Result<ImportReport, CatalogError> {
    import_products_with(store, reader, &ImportOptions::default(), progress)
}

/// Import `products.csv` with explicit options.
pub fn import_products_with<R: Read>(
    store: &mut Store,
    reader: R,
    options: &ImportOptions,
    mut progress: impl FnMut(ImportProgress),
) -> Result<ImportReport, CatalogError> {
    let vat_classes: HashSet<String> = options.vat.rates.iter().map(|r| r.class.clone()).collect();
    // Search-index rows of the batch, written just before its commit: FTS5
    // flushes its pending terms at every statement savepoint, so
    // interleaving them with the products upserts would write one tiny
    // index segment per row (measured: several times slower imports).
    let pending_search = RefCell::new(Vec::new());
    run_csv(
        store,
        &LAYOUT,
        reader,
        options.batch_rows,
        &mut progress,
        |tx, fields| match parse_row(fields, &vat_classes) {
            Ok(row) => write_row(tx, &row, &mut pending_search.borrow_mut()),
            Err(rejection) => Ok(Err(rejection)),
        },
        |tx| {
            let mut index = tx.prepare_cached(
                "INSERT OR REPLACE INTO product_search (rowid, name_norm) VALUES (?1, ?2)",
            )?;
            for (id, name_norm) in pending_search.borrow_mut().drain(..) {
                index.execute(params![id, name_norm])?;
            }
            Ok(())
        },
    )
}

/// A validated row.
#[derive(Debug)]
struct ProductInput<'a> {
    product: Product,
    price: Option<Decimal>,
    cost: Option<Decimal>,
    /// (as written, GTIN-14 key, multiplier)
    barcodes: Vec<(&'a str, String, u32)>,
    markup: Option<Decimal>,
}

fn parse_row<'a>(
    f: &'a Fields<'a>,
    vat_classes: &HashSet<String>,
) -> Result<ProductInput<'a>, Rejection> {
    let bad_decimal = |m: String| Rejection::new("catalog.bad_decimal", m);
    let sku = f.at(SKU);
    if sku.is_empty() {
        return Err(Rejection::new(
            "catalog.missing_sku",
            "the sku is empty — every product needs a unique sku",
        ));
    }
    if sku.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Rejection::new(
            "catalog.bad_sku",
            format!(
                "sku `{sku}` contains spaces or control characters — use letters, digits, - or _"
            ),
        ));
    }
    let name = f.at(NAME);
    if name.is_empty() {
        return Err(Rejection::new(
            "catalog.missing_name",
            format!("product {sku} has no name — the name is printed on the receipt"),
        ));
    }
    let unit: Unit = f.at(UNIT).parse().map_err(|e: ProductError| {
        Rejection::new("catalog.unknown_unit", format!("{e} (`{}`)", f.at(UNIT)))
    })?;
    let vat_class = f.at(VAT_CLASS);
    if !vat_classes.contains(vat_class) {
        let mut known: Vec<&str> = vat_classes.iter().map(String::as_str).collect();
        known.sort_unstable();
        return Err(Rejection::new(
            "catalog.unknown_vat_class",
            format!(
                "VAT class `{vat_class}` is not in the tenant's VAT table — use one of: {}",
                known.join(", ")
            ),
        ));
    }
    let price = parse_decimal(f.at(PRICE), "price").map_err(bad_decimal)?;
    let cost = parse_decimal(f.at(COST), "cost").map_err(bad_decimal)?;
    let markup = parse_decimal(f.at(MARKUP), "markup_percent").map_err(bad_decimal)?;
    let barcodes = parse_barcodes(f.at(BARCODES))?;
    let plu = match f.at(PLU) {
        "" => None,
        text => Some(text.parse::<u32>().map_err(|_| {
            Rejection::new(
                "catalog.bad_plu",
                format!("PLU `{text}` is not a whole number from 0 to 4294967295"),
            )
        })?),
    };
    let lifecycle = Lifecycle::parse_csv(f.at(STATUS)).map_err(|_| {
        Rejection::new(
            "catalog.unknown_status",
            format!(
                "status `{}` is unknown — use NEW, ACTIVE, PHASE_OUT, DISCONTINUED or ARCHIVED (empty = ACTIVE)",
                f.at(STATUS)
            ),
        )
    })?;
    let tracks_batches = match f.at(TRACKS_BATCHES).to_ascii_lowercase().as_str() {
        "" | "false" => false,
        "true" => true,
        other => {
            return Err(Rejection::new(
                "catalog.bad_bool",
                format!("tracks_batches `{other}` must be true, false or empty"),
            ));
        }
    };
    Ok(ProductInput {
        product: Product {
            sku: sku.to_owned(),
            name: name.to_owned(),
            group: f.at(GROUP).to_owned(),
            brand: f.at(BRAND).to_owned(),
            unit,
            vat_class: vat_class.to_owned(),
            lifecycle,
            plu,
            tracks_batches,
        },
        price,
        cost,
        barcodes,
        markup,
    })
}

/// `CODE;CODE*12;…` → codes with multipliers, each a valid GTIN.
fn parse_barcodes(field: &str) -> Result<Vec<(&str, String, u32)>, Rejection> {
    let mut out: Vec<(&str, String, u32)> = Vec::new();
    for part in field.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (code, multiplier) = match part.split_once('*') {
            None => (part, 1),
            Some((code, n)) => {
                let n = n
                    .trim()
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=MAX_MULTIPLIER).contains(n));
                let n = n.ok_or_else(|| {
                    Rejection::new(
                        "catalog.bad_multiplier",
                        format!(
                            "packaging barcode `{part}` needs a whole multiplier 1–{MAX_MULTIPLIER} after `*`, like 3800000000012*12"
                        ),
                    )
                })?;
                (code.trim(), n)
            }
        };
        let gtin = validate_gtin(code)
            .and_then(|_| to_gtin14(code))
            .map_err(|e| {
                Rejection::new(
                    if matches!(e, kasa_domain::barcode::BarcodeError::BadCheckDigit { .. }) {
                        "catalog.bad_check_digit"
                    } else {
                        "catalog.bad_barcode"
                    },
                    format!("barcode `{code}` is not a valid EAN-13/EAN-8/UPC-A/GTIN-14: {e}"),
                )
            })?;
        if out.iter().any(|(_, g, _)| *g == gtin) {
            return Err(Rejection::new(
                "catalog.duplicate_barcode",
                format!("barcode `{code}` is listed twice in this row — list it once"),
            ));
        }
        out.push((code, gtin, multiplier));
    }
    Ok(out)
}

fn write_row(
    tx: &Transaction<'_>,
    p: &ProductInput<'_>,
    pending_search: &mut Vec<(i64, String)>,
) -> RowResult {
    let sku = p.product.sku.as_str();
    {
        let mut owner_of = tx.prepare_cached("SELECT sku FROM barcodes WHERE gtin = ?1")?;
        for (code, gtin, _) in &p.barcodes {
            let owner: Option<String> = owner_of.query_row([gtin], |r| r.get(0)).optional()?;
            if let Some(owner) = owner.filter(|o| o != sku) {
                return Ok(Err(Rejection::new(
                    "catalog.duplicate_barcode",
                    format!(
                        "barcode {code} already belongs to product {owner} — remove it there first (re-import {owner} without it)"
                    ),
                )));
            }
        }
    }
    let written = match upsert_product(tx, &p.product, p.cost, p.markup)? {
        Ok(written) => written,
        Err(taken) => {
            return Ok(Err(Rejection::new(
                "catalog.duplicate_plu",
                taken.message(),
            )));
        }
    };
    if let Some(name_norm) = written.search {
        pending_search.push((written.id, name_norm));
    }

    if written.existed {
        let mut stored = tx.prepare_cached("SELECT gtin FROM barcodes WHERE sku = ?1")?;
        let old: Vec<String> = stored
            .query_map([sku], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let mut delete = tx.prepare_cached("DELETE FROM barcodes WHERE gtin = ?1")?;
        for gtin in old
            .iter()
            .filter(|g| !p.barcodes.iter().any(|(_, n, _)| n == *g))
        {
            delete.execute([gtin])?;
        }
    }
    let mut upsert_code = tx.prepare_cached(
        "INSERT INTO barcodes (gtin, code, sku, multiplier) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (gtin) DO UPDATE SET code = excluded.code, multiplier = excluded.multiplier
         WHERE code <> excluded.code OR multiplier <> excluded.multiplier",
    )?;
    for (code, gtin, multiplier) in &p.barcodes {
        upsert_code.execute(params![gtin, code, sku, multiplier])?;
    }

    match p.price {
        Some(price) => upsert_base_price(tx, sku, price)?,
        None if written.existed => {
            tx.prepare_cached(
                "DELETE FROM price_tiers WHERE sku = ?1 AND kind = 'base'
                 AND store_id = '' AND valid_from = ''",
            )?
            .execute([sku])?;
        }
        None => {}
    }
    Ok(Ok(if written.existed {
        RowOutcome::Updated
    } else {
        RowOutcome::Inserted
    }))
}
