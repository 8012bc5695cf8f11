//! The ordered list of schema migrations.
//!
//! Each table module keeps its own SQL beside it (e.g. `crate::catalog::schema::V1`)
//! and adds one entry here. Entries are append-only: never edit or reorder a
//! released entry — add a new one. `PRAGMA user_version` = entries applied.

use std::path::Path;

use rusqlite::Connection;

use super::StoreError;

/// One migration step.
#[derive(Debug)]
pub struct Migration {
    /// Short name, for logs and errors.
    pub name: &'static str,
    /// SQL run in one transaction together with the `user_version` bump.
    pub sql: &'static str,
}

/// All migrations, in order. Append only.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        name: "meta_v1",
        sql: "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;",
    },
    Migration {
        name: "stock_v1",
        sql: crate::stock::schema::V1,
    },
    Migration {
        name: "catalog_v1",
        sql: crate::catalog::schema::V1,
    },
    Migration {
        name: "documents_v1",
        sql: crate::documents::schema::V1,
    },
    Migration {
        name: "users_v1",
        sql: crate::users::schema::V1,
    },
    Migration {
        name: "users_v2_operator_code",
        sql: crate::users::schema::V2,
    },
    Migration {
        name: "sync_v1",
        sql: crate::sync::schema::V1,
    },
    Migration {
        name: "sync_v2_trust",
        sql: crate::sync::schema::V2,
    },
    Migration {
        name: "sync_v3_master_data_pending",
        sql: crate::sync::schema::V3,
    },
    Migration {
        name: "sync_v4_confirmed_watermark",
        sql: crate::sync::schema::V4,
    },
    Migration {
        name: "documents_v2_outbox_watermark",
        sql: crate::documents::schema::V2,
    },
    Migration {
        name: "documents_v3_outbox_names_its_document",
        sql: crate::documents::schema::V3,
    },
    Migration {
        name: "sync_v5_payload_ranges",
        sql: crate::sync::schema::V5,
    },
    Migration {
        name: "sync_v6_series_identity",
        sql: crate::sync::identity::SCHEMA_V6,
    },
];

/// Apply the missing migrations; refuse a database newer than this binary.
pub fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let known = MIGRATIONS.len() as i64;
    if found > known {
        return Err(StoreError::NewerSchema {
            path: path.display().to_string(),
            found,
            known,
        });
    }
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // Another process may have migrated while we waited for the lock.
        let now: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if now > index as i64 {
            tx.commit()?;
            continue;
        }
        tx.execute_batch(migration.sql)?;
        tx.pragma_update(None, "user_version", index as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}
