//! Loading what the pricing engine needs from the catalog.
//!
//! [`pricing_inputs`] returns every tier row of the SKU that can apply in the
//! store (global rows and the store's own), all validity dates included —
//! the engine (`kasa_domain::pricing::price_line`) decides by the sale's
//! moment, so a price change at midnight needs no reload. Group tiers are
//! narrowed to the customer's group when a customer is given (other groups
//! can never apply to that sale); without a customer they are left out.
//! Promotions are those that name the SKU and run in the store.
//! [`basket_promotions`] returns the promotions active at a moment for the
//! basket evaluator (BOGO, mix-and-match, receipt thresholds).

use chrono::{NaiveDate, NaiveDateTime};
use kasa_domain::money::Money;
use kasa_domain::pricing::{PriceTier, PricingInputs, Promotion, TierKind};
use rusqlite::{Connection, OptionalExtension, params};
use rust_decimal::Decimal;

use super::CatalogError;
use super::write::DATETIME;

/// All candidate tiers, promotions, cost and markup of `sku` in `store_id`
/// for `customer_code` (or an anonymous sale). An unknown SKU gives inputs
/// with no tiers (the engine then answers `pricing.no_price`).
pub fn pricing_inputs(
    conn: &Connection,
    sku: &str,
    store_id: &str,
    customer_code: Option<&str>,
) -> Result<PricingInputs, CatalogError> {
    let product: Option<(Option<String>, Option<String>)> = conn
        .prepare_cached("SELECT cost, markup_percent FROM products WHERE sku = ?1")?
        .query_row([sku], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((cost, markup)) = product else {
        return Ok(PricingInputs {
            sku: sku.to_string(),
            ..PricingInputs::default()
        });
    };
    let group: Option<String> = match customer_code {
        Some(code) => conn
            .prepare_cached("SELECT customer_group FROM customers WHERE code = ?1")?
            .query_row([code], |r| r.get::<_, Option<String>>(0))
            .optional()?
            .flatten(),
        None => None,
    };

    let mut tiers = Vec::new();
    let mut rows = conn.prepare_cached(
        "SELECT kind, store_id, customer_group, min_qty, price, valid_from, valid_to
         FROM price_tiers
         WHERE sku = ?1 AND (store_id = '' OR store_id = ?2)
           AND (kind <> 'group' OR customer_group = ?3)
         ORDER BY id",
    )?;
    let mut query = rows.query(params![sku, store_id, group.as_deref().unwrap_or("\u{0}")])?;
    while let Some(r) = query.next()? {
        let kind: String = r.get(0)?;
        let store: String = r.get(1)?;
        let customer_group: String = r.get(2)?;
        let min_qty: String = r.get(3)?;
        let price: String = r.get(4)?;
        let valid_from: String = r.get(5)?;
        let valid_to: Option<String> = r.get(6)?;
        let corrupt = |detail: String| CatalogError::Corrupt {
            key: sku.to_string(),
            detail,
        };
        tiers.push(PriceTier {
            kind: match kind.as_str() {
                "base" => TierKind::Base,
                "group" => TierKind::Group,
                "step" => TierKind::Step,
                other => return Err(corrupt(format!("tier kind `{other}`"))),
            },
            store: non_empty(store),
            customer_group: non_empty(customer_group),
            min_qty: non_empty(min_qty).map(|q| decimal(&q, sku)).transpose()?,
            price: Money(decimal(&price, sku)?),
            valid_from: non_empty(valid_from).map(|d| date(&d, sku)).transpose()?,
            valid_to: valid_to.map(|d| date(&d, sku)).transpose()?,
        });
    }

    let mut promotions = Vec::new();
    let mut rows = conn.prepare_cached(
        "SELECT p.body FROM promotion_products pp JOIN promotions p ON p.id = pp.promotion_id
         WHERE pp.sku = ?1 AND (p.stores = '' OR instr(',' || p.stores || ',', ',' || ?2 || ',') > 0)
         ORDER BY p.id",
    )?;
    for body in rows.query_map(params![sku, store_id], |r| r.get::<_, String>(0))? {
        promotions.push(promotion(&body?)?);
    }

    Ok(PricingInputs {
        sku: sku.to_string(),
        tiers,
        promotions,
        cost: cost.map(|c| decimal(&c, sku).map(Money)).transpose()?,
        markup_percent: markup.map(|m| decimal(&m, sku)).transpose()?,
    })
}

/// Promotions running in `store_id` at `at` (line and basket kinds), in id
/// order — what `kasa_domain::pricing::evaluate_basket` needs.
pub fn basket_promotions(
    conn: &Connection,
    store_id: &str,
    at: NaiveDateTime,
) -> Result<Vec<Promotion>, CatalogError> {
    let at = at.format(DATETIME).to_string();
    let mut rows = conn.prepare_cached(
        "SELECT body FROM promotions
         WHERE starts_at <= ?2 AND (ends_at IS NULL OR ends_at > ?2)
           AND (stores = '' OR instr(',' || stores || ',', ',' || ?1 || ',') > 0)
         ORDER BY id",
    )?;
    let bodies = rows.query_map(params![store_id, at], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for body in bodies {
        out.push(promotion(&body?)?);
    }
    Ok(out)
}

fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

fn decimal(text: &str, key: &str) -> Result<Decimal, CatalogError> {
    text.parse().map_err(|_| CatalogError::Corrupt {
        key: key.to_string(),
        detail: format!("`{text}` is not a decimal"),
    })
}

fn date(text: &str, key: &str) -> Result<NaiveDate, CatalogError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| CatalogError::Corrupt {
        key: key.to_string(),
        detail: format!("`{text}` is not a date"),
    })
}

fn promotion(body: &str) -> Result<Promotion, CatalogError> {
    serde_json::from_str(body).map_err(|e| CatalogError::Corrupt {
        key: "promotion".to_string(),
        detail: e.to_string(),
    })
}
