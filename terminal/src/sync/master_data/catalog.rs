//! Catalog entities from head office: products, barcodes, prices, price
//! tiers, promotions. A barcode, price or tier of a product the till does
//! not have yet waits in [`super::pending`].

use chrono::NaiveDate;
use kasa_domain::pricing::Promotion;
use kasa_sync_protocol::master_data::entities::{
    BarcodeData, PriceData, PriceKey, PriceTierData, ProductData, TierKey, TierKind,
};
use rusqlite::{Transaction, params};

use super::{Applied, Apply, apply_change, exec, is_missing_product, sql};
use crate::catalog::write;

const DAY: &str = "%Y-%m-%d";

impl Apply<'_, '_> {
    /// A dependent of `sku` written, held until its product arrives, or
    /// (deletes) gone — either way an older pending version is superseded.
    fn dependent(&mut self, written: rusqlite::Result<usize>, sku: &str) -> Applied {
        match written {
            Ok(_) => self.pending.supersede(self.tx, self.change),
            Err(e) if is_missing_product(&e) => self.pending.hold(self.tx, self.change, sku),
            Err(e) => Err(e),
        }
        .map_err(sql)
    }
}

/// Through the catalog's product writer, then the product's pending
/// dependents, then its own base price.
pub(super) fn upsert_product(at: &mut Apply<'_, '_>, data: &ProductData) -> Applied {
    let tx = at.tx;
    let sku = data.product.sku.as_str();
    let written = write::upsert_product(tx, &data.product, data.cost, data.markup_percent)
        .map_err(sql)?
        .map_err(|taken| taken.message())?;
    if let Some(name_norm) = written.search {
        at.search_rows.push((written.id, name_norm));
    }
    // dependents that came before the product: older than it, so written
    // before its own base price (which wins over a pending chain-wide price)
    for held in at.pending.release(tx, sku)? {
        apply_change(tx, &held, at.pending, at.search_rows).map_err(|reason| {
            format!(
                "{} {} (version {}): {reason}",
                held.entity.as_str(),
                held.key,
                held.version
            )
        })?;
    }
    if let Some(price) = data.price {
        write::upsert_base_price(tx, sku, price).map_err(sql)?;
    }
    Ok(())
}

/// Products are never deleted on the till (documents refer to them): a
/// delete archives the product; its barcodes, prices and pending
/// dependents stay.
pub(super) fn archive_product(tx: &Transaction<'_>, sku: &str) -> Applied {
    exec(
        tx,
        "UPDATE products SET lifecycle = 'ARCHIVED' WHERE sku = ?1",
        [sku],
    )
    .map_err(sql)?;
    Ok(())
}

fn gtin_of(code: &str) -> String {
    kasa_domain::barcode::to_gtin14(code).unwrap_or_else(|_| code.to_owned())
}

pub(super) fn upsert_barcode(at: &mut Apply<'_, '_>, data: &BarcodeData) -> Applied {
    let written = exec(
        at.tx,
        "INSERT INTO barcodes (gtin, code, sku, multiplier) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (gtin) DO UPDATE SET code = excluded.code, sku = excluded.sku,
            multiplier = excluded.multiplier",
        params![gtin_of(&data.code), data.code, data.sku, data.multiplier],
    );
    at.dependent(written, &data.sku)
}

pub(super) fn delete_barcode(at: &mut Apply<'_, '_>, code: &str) -> Applied {
    let written = exec(
        at.tx,
        "DELETE FROM barcodes WHERE gtin = ?1 OR code = ?2",
        params![gtin_of(code), code],
    );
    at.dependent(written, code)
}

fn day(date: Option<NaiveDate>) -> Option<String> {
    date.map(|d| d.format(DAY).to_string())
}

/// One `price_tiers` row: a base price (kind `base`, no group or
/// quantity) or a tier.
fn upsert_tier_row(at: &mut Apply<'_, '_>, tier: &PriceTierData, kind: &str) -> Applied {
    let written = exec(
        at.tx,
        "INSERT INTO price_tiers (sku, kind, store_id, customer_group, min_qty, price, valid_from, valid_to)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (sku, kind, store_id, customer_group, min_qty, valid_from)
            DO UPDATE SET price = excluded.price, valid_to = excluded.valid_to",
        params![
            tier.sku,
            kind,
            tier.store,
            tier.customer_group,
            tier.min_qty.map(|q| q.to_string()).unwrap_or_default(),
            tier.price.to_string(),
            day(tier.valid_from).unwrap_or_default(),
            day(tier.valid_to)
        ],
    );
    at.dependent(written, &tier.sku)
}

pub(super) fn upsert_price(at: &mut Apply<'_, '_>, data: &PriceData) -> Applied {
    let base = PriceTierData {
        sku: data.sku.clone(),
        kind: TierKind::Group,
        store: data.store.clone(),
        customer_group: String::new(),
        min_qty: None,
        price: data.price,
        valid_from: data.valid_from,
        valid_to: data.valid_to,
    };
    upsert_tier_row(at, &base, "base")
}

pub(super) fn delete_price(at: &mut Apply<'_, '_>, key: &PriceKey) -> Applied {
    let written = exec(
        at.tx,
        "DELETE FROM price_tiers WHERE sku = ?1 AND kind = 'base' AND store_id = ?2",
        params![key.sku, key.store],
    );
    at.dependent(written, &key.sku)
}

pub(super) fn upsert_tier(at: &mut Apply<'_, '_>, data: &PriceTierData) -> Applied {
    upsert_tier_row(at, data, data.kind.as_str())
}

pub(super) fn delete_tier(at: &mut Apply<'_, '_>, key: &TierKey) -> Applied {
    let written = exec(
        at.tx,
        "DELETE FROM price_tiers WHERE sku = ?1 AND kind = ?2 AND customer_group = ?3 AND min_qty = ?4",
        params![key.sku, key.kind.as_str(), key.customer_group, key.min_qty],
    );
    at.dependent(written, &key.sku)
}

pub(super) fn upsert_promotion(tx: &Transaction<'_>, promotion: &Promotion) -> Applied {
    write::upsert_promotion(tx, promotion).map_err(sql)
}

pub(super) fn delete_promotion(tx: &Transaction<'_>, id: &str) -> Applied {
    exec(
        tx,
        "DELETE FROM promotion_products WHERE promotion_id = ?1",
        [id],
    )
    .map_err(sql)?;
    exec(tx, "DELETE FROM promotions WHERE id = ?1", [id]).map_err(sql)?;
    Ok(())
}
