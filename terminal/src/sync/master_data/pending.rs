//! Changes held back until their product arrives.
//!
//! A page carries only the newest change of each key after the cursor, in
//! version order. A product edited after its barcodes were published
//! therefore reaches a till that does not have it yet AFTER its barcodes,
//! prices and tiers (a fresh till sees barcode 16 before product 81). Those
//! dependents cannot be written yet: `barcodes` and `price_tiers` refer to
//! `products` by foreign key.
//!
//! The rule:
//! - a barcode, price or price tier whose product is not on the till is
//!   kept in `sync_master_data_pending` (entity, key, sku, version, data) —
//!   in the page's transaction, so it moves with the page's cursor;
//! - when the product arrives (any later page, or later in the same page),
//!   its pending dependents are applied in that product's transaction,
//!   before the product's own base price (the product is the newer change,
//!   so its `price` wins over a pending chain-wide price), and removed;
//! - a later change of the same dependent key supersedes its pending row:
//!   an upsert that applies, or a delete, removes it; an upsert that again
//!   waits replaces it (the newest version wins);
//! - a product delete leaves its pending dependents: on the till a delete
//!   archives the product and keeps its barcodes and prices, so a product
//!   republished later gets the same barcodes on every till, whether the
//!   till had it before or not.
//!
//! Pending rows are not catalog rows: lookups and search never see them.
//! A dependent of a product head office never sends this store stays
//! pending; `kasa sync status` shows how many there are.
//!
//! Only a missing product sends a change here (the foreign-key failure of
//! its write); any other fault still rejects the page.

use kasa_sync_protocol::{ChangeOp, Entity, MasterDataChange};
use rusqlite::{Connection, Transaction, params};

/// Whether pending rows may exist (checked once per page, set when one is
/// written), so a page of products does not probe an empty table per row.
#[derive(Debug)]
pub(super) struct Pending {
    any: bool,
}

impl Pending {
    /// The state at the start of a page.
    pub(super) fn load(tx: &Transaction<'_>) -> rusqlite::Result<Pending> {
        Ok(Pending {
            any: count(tx)? > 0,
        })
    }

    /// Keep `change` (an upsert of a dependent of `sku`) until `sku` arrives.
    pub(super) fn hold(
        &mut self,
        tx: &Transaction<'_>,
        change: &MasterDataChange,
        sku: &str,
    ) -> rusqlite::Result<()> {
        tx.prepare_cached(
            "INSERT INTO sync_master_data_pending (entity, key, sku, version, data)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (entity, key) DO UPDATE SET sku = excluded.sku,
                version = excluded.version, data = excluded.data",
        )?
        .execute(params![
            change.entity.as_str(),
            change.key,
            sku,
            change.version as i64,
            change.data.to_string()
        ])?;
        self.any = true;
        Ok(())
    }

    /// `change` of a dependent was applied or deleted: a pending older
    /// version of its key is superseded.
    pub(super) fn supersede(
        &self,
        tx: &Transaction<'_>,
        change: &MasterDataChange,
    ) -> rusqlite::Result<()> {
        if self.any {
            tx.prepare_cached(
                "DELETE FROM sync_master_data_pending WHERE entity = ?1 AND key = ?2",
            )?
            .execute(params![change.entity.as_str(), change.key])?;
        }
        Ok(())
    }

    /// Take the pending dependents of `sku` (now on the till), oldest
    /// first, removing them from the table.
    pub(super) fn release(
        &self,
        tx: &Transaction<'_>,
        sku: &str,
    ) -> Result<Vec<MasterDataChange>, String> {
        if !self.any {
            return Ok(Vec::new());
        }
        let sql = |e: rusqlite::Error| e.to_string();
        let rows: Vec<(String, String, i64, String)> = tx
            .prepare_cached(
                "SELECT entity, key, version, data FROM sync_master_data_pending
                 WHERE sku = ?1 ORDER BY version",
            )
            .and_then(|mut select| {
                select
                    .query_map([sku], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                    .collect()
            })
            .map_err(sql)?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        tx.prepare_cached("DELETE FROM sync_master_data_pending WHERE sku = ?1")
            .and_then(|mut delete| delete.execute([sku]))
            .map_err(sql)?;
        rows.into_iter()
            .map(|(entity, key, version, data)| {
                let entity = Entity::ALL
                    .into_iter()
                    .find(|e| e.as_str() == entity)
                    .ok_or_else(|| format!("pending change of unknown entity {entity:?}"))?;
                Ok(MasterDataChange {
                    version: version as u64,
                    entity,
                    key,
                    op: ChangeOp::Upsert,
                    data: serde_json::from_str(&data).map_err(|e| e.to_string())?,
                })
            })
            .collect()
    }
}

/// Whether `error` is a write refused because the product it names is not
/// on the till (the only foreign key of `barcodes` and `price_tiers`).
pub(super) fn is_missing_product(error: &rusqlite::Error) -> bool {
    matches!(
        error,
        rusqlite::Error::SqliteFailure(e, _)
            if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY
    )
}

/// Changes waiting for their product.
pub fn count(conn: &Connection) -> rusqlite::Result<u64> {
    conn.query_row("SELECT COUNT(*) FROM sync_master_data_pending", [], |r| {
        r.get::<_, i64>(0)
    })
    .map(|n| n as u64)
}
