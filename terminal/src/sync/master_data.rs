//! Applying master-data pages from head office.
//!
//! One page = ONE transaction: every change of the page is written to the
//! till's tables and the page's cursor is saved in the same transaction, so
//! the till never shows half a page and never re-applies or skips one after
//! a crash. A change the till cannot apply (a product without a name, a
//! barcode multiplier that is not a number, a promotion that does not
//! parse) fails the whole page with `sync.master_data_rejected`: the
//! previous state and cursor stay, and the next round asks for the same
//! page again. A barcode, price or price tier of a product the till does
//! not have yet is not a fault: pages carry the newest change of each key,
//! so a product edited after its barcodes arrives after them. It waits in
//! the sync schema until its product arrives ([`pending`]).
//!
//! Every change is read through the wire contract
//! (`kasa_sync_protocol::master_data::entities`, the same types head
//! office checks at publish) and written by one function per entity
//! ([`catalog`], [`people`], [`held`]); products go through the catalog's
//! one product writer (`crate::catalog::write`), as CSV imports do.
//!
//! | entity | table | written by |
//! |---|---|---|
//! | product | `products` (+ search index; `price` → base price) | `catalog::write::upsert_product`; a delete archives |
//! | barcode | `barcodes` (key = code) | [`catalog`] |
//! | price | `price_tiers` kind base (key `sku/store`) | [`catalog`] |
//! | price_tier | `price_tiers` group/step (key `sku/kind/group/min_qty`) | [`catalog`] |
//! | promotion | `promotions`, `promotion_products` | [`catalog`] |
//! | customer / customer_group | `customers` / `customer_groups` | [`people`] |
//! | user | `users` (key = login); a delete deactivates | [`people`] |
//! | tax_rate, role | `sync_master_data` (head office's copy) | [`held`]: read back as the till's VAT rates and permission table |
//!
//! Every statement is prepared once per connection (`prepare_cached`): a
//! page is thousands of the same few statements. [`pull`] runs the page
//! loop, fetching the next page while this one is written.
//!
use kasa_sync_protocol::master_data::entities::{self, DeleteKey, MasterDataPayload};
use kasa_sync_protocol::{Entity, MasterDataChange, MasterDataPage, TypedChange};
use rusqlite::{Transaction, params};

use super::SyncError;

mod catalog;
pub mod held;
mod pending;
mod people;
mod pull;
#[cfg(test)]
mod tests;
pub use pending::count as pending_count;
use pending::{Pending, is_missing_product};
pub use pull::{PullReport, pull};

/// Apply `page` and save its cursor, in `tx` (the caller commits).
pub fn apply_page(tx: &Transaction<'_>, page: &MasterDataPage) -> Result<(), SyncError> {
    // Search-index rows are written after the page's other rows, as the
    // catalog import does: FTS5 flushes pending terms at every statement
    // savepoint, so interleaving them would write one tiny segment per row.
    let mut search_rows: Vec<(i64, String)> = Vec::new();
    let mut pending = Pending::load(tx)?;
    for change in &page.changes {
        apply_change(tx, change, &mut pending, &mut search_rows).map_err(|reason| {
            SyncError::MasterDataRejected {
                version: change.version,
                entity: entity_name(change.entity),
                key: change.key.clone(),
                reason,
            }
        })?;
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
    entity.as_str()
}

/// Why one change could not be applied (said to the shop with its
/// version, entity and key).
type Applied = Result<(), String>;

/// What the page loop hands every entity's writer.
struct Apply<'t, 'c> {
    tx: &'t Transaction<'c>,
    change: &'t MasterDataChange,
    pending: &'t mut Pending,
    search_rows: &'t mut Vec<(i64, String)>,
}

fn sql(e: rusqlite::Error) -> String {
    e.to_string()
}

/// Run `sql` through the connection's statement cache.
fn exec(tx: &Transaction<'_>, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<usize> {
    tx.prepare_cached(sql)?.execute(params)
}

/// Read `change` through the contract and hand it to its entity's writer.
fn apply_change(
    tx: &Transaction<'_>,
    change: &MasterDataChange,
    pending: &mut Pending,
    search_rows: &mut Vec<(i64, String)>,
) -> Applied {
    let typed = entities::parse(change).map_err(|e| e.fault.to_string())?;
    let mut at = Apply {
        tx,
        change,
        pending,
        search_rows,
    };
    match typed {
        TypedChange::Upsert(payload) => match payload {
            MasterDataPayload::Product(p) => catalog::upsert_product(&mut at, &p),
            MasterDataPayload::Barcode(b) => catalog::upsert_barcode(&mut at, &b),
            MasterDataPayload::Price(p) => catalog::upsert_price(&mut at, &p),
            MasterDataPayload::PriceTier(t) => catalog::upsert_tier(&mut at, &t),
            MasterDataPayload::Promotion(p) => catalog::upsert_promotion(tx, &p),
            MasterDataPayload::Customer(c) => people::upsert_customer(tx, &c),
            MasterDataPayload::CustomerGroup(g) => people::upsert_group(tx, &g),
            MasterDataPayload::User(u) => people::upsert_user(tx, &u),
            MasterDataPayload::TaxRate(_) | MasterDataPayload::Role(_) => held::keep(tx, change),
        },
        TypedChange::Delete(key) => match key {
            DeleteKey::Product(sku) => catalog::archive_product(tx, &sku),
            DeleteKey::Barcode(code) => catalog::delete_barcode(&mut at, &code),
            DeleteKey::Price(key) => catalog::delete_price(&mut at, &key),
            DeleteKey::PriceTier(key) => catalog::delete_tier(&mut at, &key),
            DeleteKey::Promotion(id) => catalog::delete_promotion(tx, &id),
            // customers and groups stay: documents and balances refer to them
            DeleteKey::Customer(_) | DeleteKey::CustomerGroup(_) => Ok(()),
            DeleteKey::User(login) => people::deactivate_user(tx, &login),
            DeleteKey::TaxRate(_) | DeleteKey::Role(_) => held::remove(tx, change),
        },
    }
}
