//! The catalog: products, barcodes, prices, promotions and customers as the
//! till holds them, how they are imported from CSV/JSON, and how a scan, a
//! typed code or a few typed letters find a product.
//!
//! - [`schema`]: the tables (migration `catalog_v1`).
//! - [`import`]: streaming, batched, validating imports with a report of
//!   rejected rows (`products.csv`, `price_tiers.csv`, `promotions.json`,
//!   `customers.csv`, and the `users.csv` parser).
//! - [`lookup`]: [`find_by_code`] (GTIN with packaging multiplier, in-store
//!   2x barcodes with embedded weight or price, GS1-128, PLU, SKU),
//!   [`get_product`], [`customer`].
//! - [`prices`]: [`pricing_inputs`], every candidate price tier for the
//!   pricing engine.
//! - [`write`]: the one product writer (imports and head office's master
//!   data both use it).
//! - [`search`]: search-as-you-type by name (Cyrillic case-insensitive), SKU
//!   or barcode prefix.

pub mod import;
pub mod lookup;
pub mod prices;
pub(crate) mod schema;
pub mod search;
mod text;
pub mod write;

pub use import::{
    ImportOptions, ImportProgress, ImportReport, RejectedRow, UserRow, import_customers,
    import_price_tiers, import_products, import_products_with, import_promotions, parse_users,
};
pub use lookup::{Customer, ProductRow, ResolvedItem, customer, find_by_code, get_product};
pub use prices::{basket_promotions, pricing_inputs};
pub use search::{ProductHit, search};

use kasa_domain::ErrorCode;

use crate::store::StoreError;

/// Errors of catalog reads and imports. A single bad import row is not an
/// error: it is reported as a [`RejectedRow`] and the import goes on.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The store could not start a transaction or similar.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// SQLite failed.
    #[error("catalog database error: {0} — check the disk and retry; nothing was half-written")]
    Sqlite(#[from] rusqlite::Error),
    /// The input file could not be read at all.
    #[error("cannot read {file}: {source} — check the path and that it is UTF-8 CSV")]
    Read {
        /// Which input (e.g. `products.csv`).
        file: &'static str,
        /// The reader's error.
        source: csv::Error,
    },
    /// The header row lacks a required column.
    #[error("{file} has no column `{column}` in its header row — the header must be: {expected}")]
    MissingColumn {
        /// Which input.
        file: &'static str,
        /// The missing column.
        column: &'static str,
        /// The full expected header.
        expected: &'static str,
    },
    /// A JSON input is not valid.
    #[error("{file} is not valid: {source} — fix the JSON and import again; nothing was imported")]
    Json {
        /// Which input.
        file: &'static str,
        /// The parser's error.
        source: serde_json::Error,
    },
    /// A scanned code is not a valid barcode (e.g. a bad check digit).
    #[error("{0} — scan again or type the code")]
    Barcode(#[from] kasa_domain::barcode::BarcodeError),
    /// A stored row cannot be read back (edited by hand or by a newer Kasa).
    #[error("catalog row for {key} is unreadable: {detail} — re-import the catalog")]
    Corrupt {
        /// The SKU or code of the row.
        key: String,
        /// What is wrong.
        detail: String,
    },
}

impl ErrorCode for CatalogError {
    fn code(&self) -> &'static str {
        match self {
            CatalogError::Store(e) => e.code(),
            CatalogError::Sqlite(e) if crate::store::is_busy(e) => "store.busy",
            CatalogError::Sqlite(_) => "catalog.sqlite",
            CatalogError::Read { .. } => "catalog.unreadable_file",
            CatalogError::MissingColumn { .. } => "catalog.missing_column",
            CatalogError::Json { .. } => "catalog.bad_json",
            CatalogError::Barcode(e) => e.code(),
            CatalogError::Corrupt { .. } => "catalog.corrupt_row",
        }
    }
}
