//! Imports of catalog files: streaming, in batched transactions, validated
//! row by row.
//!
//! Rules shared by every CSV import:
//! - UTF-8, comma-separated, a header row naming the columns (any order;
//!   surrounding spaces are trimmed). Required columns missing from the header
//!   stop the import before anything is written (`catalog.missing_column`).
//! - Rows are read one at a time (a million-row file never sits in memory)
//!   and written in transactions of [`ImportOptions::batch_rows`] rows (10,000
//!   by default): a crash loses at most the batch in flight, and a re-run
//!   finishes the job because every import is an **upsert** keyed by the
//!   row's natural key (SKU, barcode, tier key, customer code).
//! - A row that fails validation is skipped and listed in
//!   [`ImportReport::rejected`] with its line number (the header is line 1),
//!   a stable code and a message; it changes nothing. The other rows import.
//! - `progress` is called after every committed batch and once at the end.

mod customers;
mod products;
mod promotions;
mod tiers;

use std::collections::HashMap;
use std::io::Read;

use kasa_domain::tax::VatTable;
use rusqlite::Transaction;

use super::CatalogError;
use crate::store::Store;

pub use customers::{UserRow, import_customers, parse_users};
pub use products::{import_products, import_products_with};
pub use promotions::import_promotions;
pub use tiers::import_price_tiers;

/// At most this many rejected rows are kept in a report (the rest are only
/// counted in [`ImportReport::rejected_total`]).
pub const MAX_REPORTED_REJECTIONS: usize = 10_000;

/// Settings of an import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Rows per transaction.
    pub batch_rows: usize,
    /// The tenant's VAT table; a product's `vat_class` must be one of its
    /// classes.
    pub vat: VatTable,
}

impl Default for ImportOptions {
    /// 10,000 rows per transaction, Bulgarian VAT classes.
    fn default() -> Self {
        ImportOptions {
            batch_rows: 10_000,
            vat: VatTable::bulgaria(),
        }
    }
}

/// Where an import is, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportProgress {
    /// Data rows read so far (header excluded).
    pub rows_read: u64,
    /// Rows written (inserted or updated).
    pub rows_imported: u64,
    /// Rows rejected.
    pub rows_rejected: u64,
    /// Bytes of the input consumed so far (compare with the file size).
    pub bytes_read: u64,
    /// True on the last call.
    pub done: bool,
}

/// One row that was not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedRow {
    /// Line in the file (the header is line 1).
    pub line: u64,
    /// The row's key (SKU, customer code…) as written, if it had one.
    pub key: String,
    /// Stable code, e.g. `catalog.bad_check_digit`.
    pub code: &'static str,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// The result of an import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Data rows read.
    pub rows_read: u64,
    /// Rows that created a new record.
    pub inserted: u64,
    /// Rows that updated an existing record (re-import).
    pub updated: u64,
    /// Rejected rows, at most [`MAX_REPORTED_REJECTIONS`].
    pub rejected: Vec<RejectedRow>,
    /// All rejected rows, including those not listed.
    pub rejected_total: u64,
}

impl ImportReport {
    fn reject(&mut self, row: RejectedRow) {
        self.rejected_total += 1;
        if self.rejected.len() < MAX_REPORTED_REJECTIONS {
            self.rejected.push(row);
        }
    }

    fn progress(&self, bytes_read: u64, done: bool) -> ImportProgress {
        ImportProgress {
            rows_read: self.rows_read,
            rows_imported: self.inserted + self.updated,
            rows_rejected: self.rejected_total,
            bytes_read,
            done,
        }
    }
}

/// What one valid row did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RowOutcome {
    Inserted,
    Updated,
}

/// Why one row was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rejection {
    pub code: &'static str,
    pub message: String,
}

impl Rejection {
    pub(crate) fn new(code: &'static str, message: impl Into<String>) -> Self {
        Rejection {
            code,
            message: message.into(),
        }
    }
}

/// A row handler's answer: `Err` stops the import (database trouble), the
/// inner `Err` rejects just this row.
pub(crate) type RowResult = Result<Result<RowOutcome, Rejection>, CatalogError>;

/// One CSV file's layout: its name (for messages) and its columns.
#[derive(Debug)]
pub(crate) struct CsvLayout {
    pub file: &'static str,
    /// All columns in the documented order.
    pub columns: &'static [&'static str],
    /// How many leading entries of `columns` must be present.
    pub required: usize,
    /// The documented header, for messages.
    pub header: &'static str,
}

/// A data row with its fields looked up by the layout's column index.
#[derive(Debug)]
pub(crate) struct Fields<'a> {
    record: &'a csv::StringRecord,
    index: &'a [Option<usize>],
}

impl Fields<'_> {
    /// The trimmed field of the layout's column `column` ("" when absent).
    pub(crate) fn at(&self, column: usize) -> &str {
        self.index[column]
            .and_then(|i| self.record.get(i))
            .unwrap_or("")
            .trim()
    }
}

/// Read `reader` as the CSV `layout`, hand each row to `row` inside batched
/// write transactions, and collect the report.
pub(crate) fn run_csv<R: Read>(
    store: &mut Store,
    layout: &CsvLayout,
    reader: R,
    batch_rows: usize,
    progress: &mut dyn FnMut(ImportProgress),
    mut row: impl FnMut(&Transaction<'_>, &Fields<'_>) -> RowResult,
    mut before_commit: impl FnMut(&Transaction<'_>) -> Result<(), CatalogError>,
) -> Result<ImportReport, CatalogError> {
    let read_error = |source| CatalogError::Read {
        file: layout.file,
        source,
    };
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(reader);
    let header = csv.headers().map_err(read_error)?.clone();
    let by_name: HashMap<&str, usize> = header
        .iter()
        .enumerate()
        .map(|(i, name)| (name.trim(), i))
        .collect();
    let mut index = Vec::with_capacity(layout.columns.len());
    for (n, column) in layout.columns.iter().enumerate() {
        let found = by_name.get(column).copied();
        if found.is_none() && n < layout.required {
            return Err(CatalogError::MissingColumn {
                file: layout.file,
                column,
                expected: layout.header,
            });
        }
        index.push(found);
    }

    store.conn_mut().set_prepared_statement_cache_capacity(64);
    // A bigger page cache while importing: a million-row catalog's indexes
    // do not fit SQLite's default 2 MB and would be re-read page by page.
    let cache_pages: i64 = store
        .conn()
        .query_row("PRAGMA cache_size", [], |r| r.get(0))?;
    store
        .conn()
        .pragma_update(None, "cache_size", IMPORT_CACHE_KIB)?;
    let result = run_batches(
        store,
        layout,
        &mut csv,
        &header,
        &index,
        batch_rows,
        progress,
        &mut row,
        &mut before_commit,
    );
    store
        .conn()
        .pragma_update(None, "cache_size", cache_pages)?;
    result
}

/// Page cache while importing, in KiB (negative = KiB for `cache_size`).
const IMPORT_CACHE_KIB: i64 = -65_536;

#[allow(clippy::too_many_arguments)]
fn run_batches<R: Read>(
    store: &mut Store,
    layout: &CsvLayout,
    csv: &mut csv::Reader<R>,
    header: &csv::StringRecord,
    index: &[Option<usize>],
    batch_rows: usize,
    progress: &mut dyn FnMut(ImportProgress),
    row: &mut impl FnMut(&Transaction<'_>, &Fields<'_>) -> RowResult,
    before_commit: &mut impl FnMut(&Transaction<'_>) -> Result<(), CatalogError>,
) -> Result<ImportReport, CatalogError> {
    let read_error = |source| CatalogError::Read {
        file: layout.file,
        source,
    };
    let batch_rows = batch_rows.max(1);
    let mut report = ImportReport::default();
    let mut record = csv::StringRecord::new();
    let mut finished = false;
    while !finished {
        let tx = store.write_tx()?;
        let mut in_batch = 0;
        while in_batch < batch_rows {
            let line = csv.position().line() + 1;
            match csv.read_record(&mut record) {
                Ok(false) => {
                    finished = true;
                    break;
                }
                Ok(true) => {}
                Err(e) if matches!(e.kind(), csv::ErrorKind::Io(_)) => {
                    return Err(read_error(e));
                }
                Err(e) => {
                    report.rows_read += 1;
                    in_batch += 1;
                    let line = e.position().map_or(line, |p| p.line());
                    report.reject(RejectedRow {
                        line,
                        key: String::new(),
                        code: "catalog.bad_row",
                        message: format!(
                            "{e} — every row needs the same {} columns as the header, in UTF-8",
                            header.len()
                        ),
                    });
                    continue;
                }
            }
            report.rows_read += 1;
            in_batch += 1;
            let line = record.position().map_or(line, |p| p.line());
            let fields = Fields {
                record: &record,
                index,
            };
            match row(&tx, &fields)? {
                Ok(RowOutcome::Inserted) => report.inserted += 1,
                Ok(RowOutcome::Updated) => report.updated += 1,
                Err(rejection) => report.reject(RejectedRow {
                    line,
                    key: fields.at(0).to_string(),
                    code: rejection.code,
                    message: rejection.message,
                }),
            }
        }
        before_commit(&tx)?;
        tx.commit()?;
        progress(report.progress(csv.position().byte(), finished));
    }
    Ok(report)
}

#[cfg(test)]
mod tests;
