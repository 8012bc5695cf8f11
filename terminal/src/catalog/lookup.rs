//! What a scanned or typed code is: [`find_by_code`]; and single-row reads
//! ([`get_product`], [`customer`]).
//!
//! The code is first read by `kasa_domain::barcode::parse_scan` (check
//! digits, in-store layouts, GS1-128), then:
//! - **GTIN** (EAN-13/EAN-8/UPC-A/GTIN-14): looked up by its GTIN-14 form, so
//!   a UPC-A and its EAN-13 spelling find the same product; `qty` is the
//!   barcode's packaging multiplier (a box barcode `*12` → qty 12);
//! - **in-store 2x** (prefix with a configured layout): a barcode stored
//!   verbatim wins; otherwise the item code is the **PLU** (leading zeros
//!   ignored), falling back to a SKU equal to the item code. An embedded
//!   weight becomes `weight_kg` and `qty` (3 dp); an embedded price is
//!   `embedded_price` (the label's total) with `qty` 1;
//! - **GS1-128**: the GTIN as above, plus batch and expiry; a net weight
//!   (AI 310n) becomes `weight_kg`, and `qty` when the product is sold by kg;
//! - **typed code**: a plain number (no leading zero: `42`) is tried as a
//!   PLU, then the text as a SKU (`000042` is only ever a SKU).
//!
//! A GTIN-shaped code that is not a known barcode, and a digit string that
//! fails its check digit, are finally tried as a SKU — cashiers type SKUs
//! that look like barcodes. Only when that fails too does a bad check digit
//! come back as an error (`barcode.bad_check_digit`: rescan). A code that
//! is valid but unknown is `Ok(None)`.
//!
//! The lifecycle is returned, not judged: the sale decides whether a
//! DISCONTINUED product may still be sold.

use chrono::NaiveDate;
use kasa_domain::barcode::{BarcodeConfig, BarcodeError, Scan, parse_scan, to_gtin14};
use kasa_domain::money::Money;
use kasa_domain::product::{Lifecycle, Product, Unit};
use rusqlite::{Connection, OptionalExtension, Row};
use rust_decimal::Decimal;

use super::CatalogError;

/// A product as the catalog stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductRow {
    /// Row id (stable across re-imports).
    pub id: i64,
    /// Stock-keeping unit, unique.
    pub sku: String,
    /// Name as imported (printed on receipts).
    pub name: String,
    /// Product group.
    pub group: String,
    /// Brand.
    pub brand: String,
    /// Unit of sale.
    pub unit: Unit,
    /// VAT class code ("standard", "reduced", "zero").
    pub vat_class: String,
    /// Lifecycle state.
    pub lifecycle: Lifecycle,
    /// Price look-up code, for weighed goods and typing.
    pub plu: Option<u32>,
    /// Whether stock is kept per batch (expiry).
    pub tracks_batches: bool,
    /// Cost price from the catalog, if known.
    pub cost: Option<Money>,
    /// Markup for the cost + markup fallback price.
    pub markup_percent: Option<Decimal>,
}

impl ProductRow {
    /// The domain record (what a sale line snapshots).
    pub fn to_product(&self) -> Product {
        Product {
            sku: self.sku.clone(),
            name: self.name.clone(),
            group: self.group.clone(),
            brand: self.brand.clone(),
            unit: self.unit,
            vat_class: self.vat_class.clone(),
            lifecycle: self.lifecycle,
            plu: self.plu,
            tracks_batches: self.tracks_batches,
        }
    }
}

/// How a code matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchedBy {
    /// A stored barcode (GTIN or verbatim in-store code).
    Barcode,
    /// An in-store 2x barcode's item code (as PLU or SKU).
    InStore,
    /// A GS1-128 label's GTIN.
    Gs1,
    /// A typed PLU.
    Plu,
    /// A typed SKU.
    Sku,
}

/// A product found from a code, with what the code itself said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedItem {
    /// The product.
    pub product: ProductRow,
    /// Quantity the scan stands for: the packaging multiplier, the embedded
    /// weight in kg (3 dp), or 1.
    pub qty: Decimal,
    /// Weight from the barcode (in-store weight layout, GS1 AI 310n).
    pub weight_kg: Option<Decimal>,
    /// Price printed into an in-store price barcode (the label's total).
    pub embedded_price: Option<Money>,
    /// Batch/lot from a GS1 label.
    pub batch: Option<String>,
    /// Expiry from a GS1 label.
    pub expiry: Option<NaiveDate>,
    /// How the code matched.
    pub matched_by: MatchedBy,
}

impl ResolvedItem {
    fn plain(product: ProductRow, qty: Decimal, matched_by: MatchedBy) -> Self {
        ResolvedItem {
            product,
            qty,
            weight_kg: None,
            embedded_price: None,
            batch: None,
            expiry: None,
            matched_by,
        }
    }
}

/// The columns every product read selects, in [`product_from_row`] order.
pub(crate) const PRODUCT_COLUMNS: &str = "p.id, p.sku, p.name, p.product_group, p.brand, p.unit, \
     p.vat_class, p.lifecycle, p.plu, p.tracks_batches, p.cost, p.markup_percent";

/// Read a product from a row selected with [`PRODUCT_COLUMNS`] starting at
/// column `at`.
pub(crate) fn product_from_row(r: &Row<'_>, at: usize) -> rusqlite::Result<ProductRow> {
    let sku: String = r.get(at + 1)?;
    let bad = |column: usize, what: String| {
        rusqlite::Error::FromSqlConversionFailure(
            at + column,
            rusqlite::types::Type::Text,
            format!("product {sku}: {what}").into(),
        )
    };
    let unit: String = r.get(at + 5)?;
    let lifecycle: String = r.get(at + 7)?;
    let decimal = |column: usize| -> rusqlite::Result<Option<Decimal>> {
        r.get::<_, Option<String>>(at + column)?
            .map(|t| {
                t.parse()
                    .map_err(|_| bad(column, format!("`{t}` is not a decimal")))
            })
            .transpose()
    };
    Ok(ProductRow {
        id: r.get(at)?,
        name: r.get(at + 2)?,
        group: r.get(at + 3)?,
        brand: r.get(at + 4)?,
        unit: unit
            .parse::<Unit>()
            .map_err(|_| bad(5, format!("unit `{unit}`")))?,
        vat_class: r.get(at + 6)?,
        lifecycle: lifecycle
            .parse::<Lifecycle>()
            .map_err(|_| bad(7, format!("lifecycle `{lifecycle}`")))?,
        plu: r.get(at + 8)?,
        tracks_batches: r.get(at + 9)?,
        cost: decimal(10)?.map(Money),
        markup_percent: decimal(11)?,
        sku,
    })
}

fn product_where(
    conn: &Connection,
    condition: &str,
    param: impl rusqlite::ToSql,
) -> Result<Option<ProductRow>, CatalogError> {
    let sql = format!("SELECT {PRODUCT_COLUMNS} FROM products p WHERE {condition}");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([param], |r| product_from_row(r, 0))
        .optional()?)
}

/// The product with this SKU.
pub fn get_product(conn: &Connection, sku: &str) -> Result<Option<ProductRow>, CatalogError> {
    product_where(conn, "p.sku = ?1", sku)
}

/// The product with this PLU.
pub fn product_by_plu(conn: &Connection, plu: u32) -> Result<Option<ProductRow>, CatalogError> {
    product_where(conn, "p.plu = ?1", plu)
}

/// The product and multiplier of a stored barcode (any GTIN spelling).
pub fn product_by_barcode(
    conn: &Connection,
    code: &str,
) -> Result<Option<(ProductRow, u32)>, CatalogError> {
    let Ok(gtin) = to_gtin14(code) else {
        return Ok(None);
    };
    let sql = format!(
        "SELECT b.multiplier, {PRODUCT_COLUMNS} FROM barcodes b JOIN products p ON p.sku = b.sku
         WHERE b.gtin = ?1"
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([gtin], |r| Ok((product_from_row(r, 1)?, r.get(0)?)))
        .optional()?)
}

/// Resolve a scanned or typed code. See the module docs for the order.
pub fn find_by_code(
    conn: &Connection,
    code: &str,
    config: &BarcodeConfig,
) -> Result<Option<ResolvedItem>, CatalogError> {
    let typed = code.trim();
    let scan = match parse_scan(code, config) {
        Ok(scan) => scan,
        Err(e @ (BarcodeError::BadCheckDigit { .. } | BarcodeError::WrongLength { .. })) => {
            return match get_product(conn, typed)? {
                Some(p) => Ok(Some(ResolvedItem::plain(p, Decimal::ONE, MatchedBy::Sku))),
                None => Err(e.into()),
            };
        }
        Err(e) => return Err(e.into()),
    };
    let found = match scan {
        Scan::Gtin { gtin } => product_by_barcode(conn, &gtin)?.map(|(p, multiplier)| {
            ResolvedItem::plain(p, Decimal::from(multiplier), MatchedBy::Barcode)
        }),
        Scan::InStore {
            item_code,
            weight_kg,
            price,
            ..
        } => {
            if let Some((p, multiplier)) = product_by_barcode(conn, typed)? {
                return Ok(Some(ResolvedItem::plain(
                    p,
                    Decimal::from(multiplier),
                    MatchedBy::Barcode,
                )));
            }
            let product = match item_code.parse::<u32>() {
                Ok(plu) => product_by_plu(conn, plu)?,
                Err(_) => None,
            };
            let product = match product {
                Some(p) => Some(p),
                None => get_product(conn, &item_code)?,
            };
            product.map(|product| ResolvedItem {
                product,
                qty: weight_kg.map_or(Decimal::ONE, |w| w.round_dp(3)),
                weight_kg: weight_kg.map(|w| w.round_dp(3)),
                embedded_price: price,
                batch: None,
                expiry: None,
                matched_by: MatchedBy::InStore,
            })
        }
        Scan::Gs1 {
            gtin,
            batch,
            expiry,
            net_weight_kg,
        } => product_by_barcode(conn, &gtin)?.map(|(product, multiplier)| {
            let weight_kg = net_weight_kg.map(|w| w.round_dp(3));
            let qty = match (product.unit, weight_kg) {
                (Unit::Kg, Some(w)) => w,
                _ => Decimal::from(multiplier),
            };
            ResolvedItem {
                product,
                qty,
                weight_kg,
                embedded_price: None,
                batch,
                expiry,
                matched_by: MatchedBy::Gs1,
            }
        }),
        Scan::Code(text) => {
            let by_plu = match typed_plu(&text) {
                Some(plu) => product_by_plu(conn, plu)?,
                None => None,
            };
            match by_plu {
                Some(p) => Some(ResolvedItem::plain(p, Decimal::ONE, MatchedBy::Plu)),
                None => get_product(conn, &text)?
                    .map(|p| ResolvedItem::plain(p, Decimal::ONE, MatchedBy::Sku)),
            }
        }
    };
    match found {
        Some(item) => Ok(Some(item)),
        None => {
            Ok(get_product(conn, typed)?
                .map(|p| ResolvedItem::plain(p, Decimal::ONE, MatchedBy::Sku)))
        }
    }
}

/// A typed number is a PLU only when written as a plain number: `"42"` is
/// PLU 42, while `"000042"` (leading zero) is a SKU.
pub(crate) fn typed_plu(text: &str) -> Option<u32> {
    if text.is_empty() || text.starts_with('0') && text != "0" {
        return None;
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// A customer as the catalog stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    /// Customer code (loyalty card / account number).
    pub code: String,
    /// Name.
    pub name: String,
    /// Customer group (for group prices and promotions).
    pub group: Option<String>,
    /// How much the customer may owe on account.
    pub credit_limit: Money,
    /// What the customer owes now.
    pub balance: Money,
}

impl Customer {
    /// What may still be charged on account (never negative).
    pub fn available_credit(&self) -> Money {
        Money((self.credit_limit.0 - self.balance.0).max(Decimal::ZERO))
    }
}

/// The customer with this code.
pub fn customer(conn: &Connection, code: &str) -> Result<Option<Customer>, CatalogError> {
    let row: Option<(String, String, Option<String>, String, String)> = conn
        .prepare_cached(
            "SELECT code, name, customer_group, credit_limit, balance FROM customers WHERE code = ?1",
        )?
        .query_row([code], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .optional()?;
    let Some((code, name, group, credit_limit, balance)) = row else {
        return Ok(None);
    };
    let money = |text: &str| {
        text.parse::<Decimal>()
            .map(Money)
            .map_err(|_| CatalogError::Corrupt {
                key: code.clone(),
                detail: format!("`{text}` is not a decimal"),
            })
    };
    Ok(Some(Customer {
        credit_limit: money(&credit_limit)?,
        balance: money(&balance)?,
        code: code.clone(),
        name,
        group,
    }))
}
