//! `promotions.json`: an array of [`kasa_domain::pricing::Promotion`] (the
//! format is documented there).
//!
//! Each entry is checked on its own: an entry that does not parse as a
//! promotion, or whose window ends before it starts, is rejected
//! ([`RejectedRow::line`] is then the 1-based **entry number** in the array)
//! and the others import. A file that is not a JSON array at all imports
//! nothing (`catalog.bad_json`). Upsert by `id`: a re-import replaces the
//! promotion, its window, its store scope and the SKUs it names.

use std::io::Read;

use kasa_domain::pricing::Promotion;
use rusqlite::OptionalExtension;

use super::{ImportProgress, ImportReport, RejectedRow};
use crate::catalog::CatalogError;
use crate::catalog::write::upsert_promotion;
use crate::store::Store;

/// Import `promotions.json` (one transaction: promotion files are small).
pub fn import_promotions<R: Read>(
    store: &mut Store,
    reader: R,
    mut progress: impl FnMut(ImportProgress),
) -> Result<ImportReport, CatalogError> {
    let entries: Vec<serde_json::Value> =
        serde_json::from_reader(reader).map_err(|source| CatalogError::Json {
            file: "promotions.json",
            source,
        })?;
    let mut report = ImportReport::default();
    let tx = store.write_tx()?;
    for (n, entry) in entries.into_iter().enumerate() {
        report.rows_read += 1;
        let line = n as u64 + 1;
        let key = entry
            .get("id")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string();
        let promotion: Promotion = match serde_json::from_value(entry) {
            Ok(p) => p,
            Err(e) => {
                report.reject(RejectedRow {
                    line,
                    key,
                    code: "catalog.bad_promotion",
                    message: format!(
                        "promotion entry {line} is not valid: {e} — see the promotions.json format"
                    ),
                });
                continue;
            }
        };
        if promotion.to.is_some_and(|to| to <= promotion.from) {
            report.reject(RejectedRow {
                line,
                key,
                code: "catalog.bad_promotion",
                message: format!(
                    "promotion {} ends before it starts — `to` must be after `from`",
                    promotion.id
                ),
            });
            continue;
        }
        let existed: Option<i64> = tx
            .query_row(
                "SELECT 1 FROM promotions WHERE id = ?1",
                [&promotion.id],
                |r| r.get(0),
            )
            .optional()?;
        upsert_promotion(&tx, &promotion)?;
        if existed.is_some() {
            report.updated += 1;
        } else {
            report.inserted += 1;
        }
    }
    tx.commit()?;
    progress(report.progress(0, true));
    Ok(report)
}
