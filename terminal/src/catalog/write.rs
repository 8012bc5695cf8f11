//! The one place a product row is written: `products.csv` imports and
//! head office's master data both go through [`upsert_product`], set a
//! base price through [`upsert_base_price`] and write promotions through
//! [`upsert_promotion`].
//!
//! Keyed by SKU: a known SKU is updated in place (its id, and with it
//! stock and sales history, stay). A PLU that belongs to another product
//! is refused before anything is written ([`PluTaken`]). The search-index
//! row is not written here: FTS5 flushes its pending terms at every
//! statement savepoint, so callers collect [`ProductWritten::search`] and
//! write them after their batch's other rows (measured several times
//! faster on large imports).

use kasa_domain::pricing::Promotion;
use kasa_domain::product::Product;
use rusqlite::{OptionalExtension, Transaction, params};
use rust_decimal::Decimal;

use super::text::fold;

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductWritten {
    /// The product's row id.
    pub id: i64,
    /// The SKU was on the till before.
    pub existed: bool,
    /// The search form of the name, when the index needs it (new product
    /// or renamed).
    pub search: Option<String>,
}

/// The PLU belongs to another product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluTaken {
    /// The PLU.
    pub plu: u32,
    /// The product holding it.
    pub owner: String,
}

impl PluTaken {
    /// The shop-facing explanation.
    pub fn message(&self) -> String {
        format!(
            "PLU {} already belongs to product {} — give each product its own PLU",
            self.plu, self.owner
        )
    }
}

/// Insert or update `product` with its cost and markup.
pub fn upsert_product(
    tx: &Transaction<'_>,
    product: &Product,
    cost: Option<Decimal>,
    markup_percent: Option<Decimal>,
) -> rusqlite::Result<Result<ProductWritten, PluTaken>> {
    let sku = product.sku.as_str();
    let existing: Option<(i64, String)> = tx
        .prepare_cached("SELECT id, name_norm FROM products WHERE sku = ?1")?
        .query_row([sku], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    if let Some(plu) = product.plu {
        let owner: Option<String> = tx
            .prepare_cached("SELECT sku FROM products WHERE plu = ?1")?
            .query_row([plu], |r| r.get(0))
            .optional()?;
        if let Some(owner) = owner.filter(|o| o != sku) {
            return Ok(Err(PluTaken { plu, owner }));
        }
    }
    let name_norm = fold(&product.name);
    let values = params![
        sku,
        product.name,
        name_norm,
        product.group,
        product.brand,
        product.unit.code(),
        product.vat_class,
        product.lifecycle.code(),
        product.plu,
        product.tracks_batches,
        markup_percent.map(|d| d.to_string()),
        cost.map(|d| d.to_string()),
    ];
    // Existence is known from the lookup above, so a plain INSERT or UPDATE
    // (no upsert with RETURNING, which costs a temporary table per row).
    let id = match &existing {
        Some((id, _)) => {
            tx.prepare_cached(
                "UPDATE products SET name = ?2, name_norm = ?3, product_group = ?4, brand = ?5,
                    unit = ?6, vat_class = ?7, lifecycle = ?8, plu = ?9, tracks_batches = ?10,
                    markup_percent = ?11, cost = ?12
                 WHERE sku = ?1",
            )?
            .execute(values)?;
            *id
        }
        None => {
            tx.prepare_cached(
                "INSERT INTO products (sku, name, name_norm, product_group, brand, unit,
                    vat_class, lifecycle, plu, tracks_batches, markup_percent, cost)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?
            .execute(values)?;
            tx.last_insert_rowid()
        }
    };
    let renamed = existing.as_ref().is_none_or(|(_, old)| *old != name_norm);
    Ok(Ok(ProductWritten {
        id,
        existed: existing.is_some(),
        search: renamed.then_some(name_norm),
    }))
}

/// Set the chain-wide, undated base price of `sku`.
pub fn upsert_base_price(tx: &Transaction<'_>, sku: &str, price: Decimal) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO price_tiers (sku, kind, price) VALUES (?1, 'base', ?2)
         ON CONFLICT (sku, kind, store_id, customer_group, min_qty, valid_from)
         DO UPDATE SET price = excluded.price, valid_to = NULL",
    )?
    .execute(params![sku, price.to_string()])?;
    Ok(())
}

/// How promotion moments are stored (sortable text).
pub(crate) const DATETIME: &str = "%Y-%m-%dT%H:%M:%S";

/// Insert or replace `promotion`, its window, store scope and SKUs.
pub fn upsert_promotion(tx: &Transaction<'_>, promotion: &Promotion) -> rusqlite::Result<()> {
    let body = serde_json::to_string(promotion)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    tx.prepare_cached(
        "INSERT INTO promotions (id, body, starts_at, ends_at, stores) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (id) DO UPDATE SET body = excluded.body, starts_at = excluded.starts_at,
            ends_at = excluded.ends_at, stores = excluded.stores",
    )?
    .execute(params![
        promotion.id,
        body,
        promotion.from.format(DATETIME).to_string(),
        promotion.to.map(|t| t.format(DATETIME).to_string()),
        promotion.stores.join(","),
    ])?;
    tx.prepare_cached("DELETE FROM promotion_products WHERE promotion_id = ?1")?
        .execute([&promotion.id])?;
    let mut link = tx.prepare_cached(
        "INSERT OR IGNORE INTO promotion_products (promotion_id, sku) VALUES (?1, ?2)",
    )?;
    for sku in promotion.skus() {
        link.execute(params![promotion.id, sku])?;
    }
    Ok(())
}
