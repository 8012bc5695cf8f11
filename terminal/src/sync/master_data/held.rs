//! Tax rates and roles from head office: kept as head office sent them
//! (`sync_master_data`, entity + key → data), checked through the wire
//! contract when applied and read back through it here.
//!
//! - [`vat_rates`]: head office owns every VAT class it publishes rates
//!   for; `crate::settings::load` replaces the preset's rows of those
//!   classes with head office's, so the VAT the till computes follows them
//!   from their first day on. Classes head office never published keep the
//!   preset's rows.
//! - [`permission_table`]: a role head office published replaces that
//!   role's row of the built-in permission table (see
//!   `kasa_domain::permission::PermissionTable`).

use kasa_domain::permission::PermissionTable;
use kasa_domain::tax::VatRate;
use kasa_sync_protocol::master_data::entities::{self, MasterDataPayload};
use kasa_sync_protocol::{ChangeOp, Entity, MasterDataChange, TypedChange};
use rusqlite::{Connection, Transaction, params};

use super::{Applied, exec, sql};

/// Keep an upsert of a tax rate or role (already read through the contract).
pub(super) fn keep(tx: &Transaction<'_>, change: &MasterDataChange) -> Applied {
    exec(
        tx,
        "INSERT INTO sync_master_data (entity, key, version, data) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (entity, key) DO UPDATE SET version = excluded.version, data = excluded.data",
        params![
            change.entity.as_str(),
            change.key,
            change.version as i64,
            change.data.to_string()
        ],
    )
    .map_err(sql)?;
    Ok(())
}

/// Forget a tax rate or role (the preset or built-in row applies again).
pub(super) fn remove(tx: &Transaction<'_>, change: &MasterDataChange) -> Applied {
    exec(
        tx,
        "DELETE FROM sync_master_data WHERE entity = ?1 AND key = ?2",
        params![change.entity.as_str(), change.key],
    )
    .map_err(sql)?;
    Ok(())
}

/// A kept row head office's contract no longer reads (written by an older
/// till before it checked them).
#[derive(Debug, thiserror::Error)]
pub enum HeldError {
    /// SQLite failed.
    #[error("cannot read head office's tax rates and roles: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A row does not read.
    #[error(
        "head office's {entity} \"{key}\" kept on this till cannot be read ({reason}) — pull master data again (`kasa sync now`)"
    )]
    Unreadable {
        /// Its entity.
        entity: &'static str,
        /// Its key.
        key: String,
        /// Why.
        reason: String,
    },
}

impl kasa_domain::ErrorCode for HeldError {
    fn code(&self) -> &'static str {
        match self {
            HeldError::Sqlite(_) => "store.sqlite",
            HeldError::Unreadable { .. } => "sync.held_unreadable",
        }
    }
}

fn held(conn: &Connection, entity: Entity) -> Result<Vec<MasterDataPayload>, HeldError> {
    let mut statement = conn
        .prepare_cached("SELECT key, data FROM sync_master_data WHERE entity = ?1 ORDER BY key")?;
    let rows = statement
        .query_map([entity.as_str()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(key, text)| {
            let unreadable = |reason: String| HeldError::Unreadable {
                entity: entity.as_str(),
                key: key.clone(),
                reason,
            };
            let data: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| unreadable(e.to_string()))?;
            match entities::parse_change(entity, &key, ChangeOp::Upsert, &data) {
                Ok(TypedChange::Upsert(payload)) => Ok(payload),
                Ok(TypedChange::Delete(_)) => Err(unreadable("not an upsert".into())),
                Err(e) => Err(unreadable(e.fault.to_string())),
            }
        })
        .collect()
}

/// The VAT rates head office published, in key order.
pub fn vat_rates(conn: &Connection) -> Result<Vec<VatRate>, HeldError> {
    Ok(held(conn, Entity::TaxRate)?
        .into_iter()
        .filter_map(|p| match p {
            MasterDataPayload::TaxRate(rate) => Some(rate),
            _ => None,
        })
        .collect())
}

/// The built-in permission table with head office's roles applied.
pub fn permission_table(conn: &Connection) -> Result<PermissionTable, HeldError> {
    let mut table = PermissionTable::default();
    for payload in held(conn, Entity::Role)? {
        if let MasterDataPayload::Role(role) = payload {
            table.set(role.role, role.permissions);
        }
    }
    Ok(table)
}
