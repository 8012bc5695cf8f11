//! Schemas of both backends and the conversions they share.
//!
//! Each backend keeps a list of migrations; the position in the list is the
//! schema version (`PRAGMA user_version` in SQLite, `kasa_schema.version` in
//! PostgreSQL). A binary refuses a database whose version is newer than its
//! list. Append, never edit a released entry.

use kasa_sync_protocol::{ChangeOp, Entity, RecordKind, StoredChange};

use super::DbError;
use crate::projection::JournalState;

/// SQLite migrations (STRICT tables; decimals as TEXT; times as ms).
pub const SQLITE_MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE tenants (
    pk INTEGER PRIMARY KEY,
    tenant_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    md_version INTEGER NOT NULL DEFAULT 0,
    created_at_ms INTEGER NOT NULL
) STRICT;
CREATE TABLE stores (
    pk INTEGER PRIMARY KEY,
    tenant_pk INTEGER NOT NULL REFERENCES tenants(pk),
    store_id TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    UNIQUE (tenant_pk, store_id)
) STRICT;
CREATE TABLE terminals (
    pk INTEGER PRIMARY KEY,
    store_pk INTEGER NOT NULL REFERENCES stores(pk),
    terminal_id TEXT NOT NULL,
    credential_lookup TEXT NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL,
    enrolled_at_ms INTEGER NOT NULL,
    last_seen_ms INTEGER,
    held_through INTEGER NOT NULL DEFAULT 0,
    newest_record_ms INTEGER,
    journal_state TEXT,
    UNIQUE (store_pk, terminal_id)
) STRICT;
CREATE TABLE enrolment_codes (
    code_hash TEXT PRIMARY KEY,
    store_pk INTEGER NOT NULL REFERENCES stores(pk),
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    used_at_ms INTEGER,
    terminal_pk INTEGER REFERENCES terminals(pk)
) STRICT;
CREATE TABLE records (
    terminal_pk INTEGER NOT NULL REFERENCES terminals(pk),
    seq INTEGER NOT NULL,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    document_type TEXT,
    created_at_ms INTEGER NOT NULL,
    received_at_ms INTEGER NOT NULL,
    payload TEXT NOT NULL,
    PRIMARY KEY (terminal_pk, seq)
) STRICT;
CREATE TABLE stock (
    store_pk INTEGER NOT NULL REFERENCES stores(pk),
    sku TEXT NOT NULL,
    qty TEXT NOT NULL,
    PRIMARY KEY (store_pk, sku)
) STRICT;
CREATE TABLE sales (
    store_pk INTEGER NOT NULL REFERENCES stores(pk),
    day TEXT NOT NULL,
    terminal_pk INTEGER NOT NULL REFERENCES terminals(pk),
    tender TEXT NOT NULL,
    documents INTEGER NOT NULL,
    amount TEXT NOT NULL,
    PRIMARY KEY (store_pk, day, terminal_pk, tender)
) STRICT;
CREATE TABLE md_changes (
    tenant_pk INTEGER NOT NULL REFERENCES tenants(pk),
    version INTEGER NOT NULL,
    store_pk INTEGER REFERENCES stores(pk),
    entity TEXT NOT NULL,
    key TEXT NOT NULL,
    op TEXT NOT NULL,
    data TEXT NOT NULL,
    superseded INTEGER NOT NULL DEFAULT 0,
    published_at_ms INTEGER NOT NULL,
    PRIMARY KEY (tenant_pk, version)
) STRICT;
CREATE INDEX md_changes_live ON md_changes (tenant_pk, entity, key, store_pk) WHERE superseded = 0;
"#,
    super::revocation::SQLITE_MIGRATION,
    super::record_ids::SQLITE_MIGRATION,
    super::series::SQLITE_MIGRATION,
];

/// PostgreSQL migrations (decimals as NUMERIC; times as ms).
pub const POSTGRES_MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE tenants (
    pk BIGSERIAL PRIMARY KEY,
    tenant_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    md_version BIGINT NOT NULL DEFAULT 0,
    created_at_ms BIGINT NOT NULL
);
CREATE TABLE stores (
    pk BIGSERIAL PRIMARY KEY,
    tenant_pk BIGINT NOT NULL REFERENCES tenants(pk),
    store_id TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    UNIQUE (tenant_pk, store_id)
);
CREATE TABLE terminals (
    pk BIGSERIAL PRIMARY KEY,
    store_pk BIGINT NOT NULL REFERENCES stores(pk),
    terminal_id TEXT NOT NULL,
    credential_lookup TEXT NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL,
    enrolled_at_ms BIGINT NOT NULL,
    last_seen_ms BIGINT,
    held_through BIGINT NOT NULL DEFAULT 0,
    newest_record_ms BIGINT,
    journal_state TEXT,
    UNIQUE (store_pk, terminal_id)
);
CREATE TABLE enrolment_codes (
    code_hash TEXT PRIMARY KEY,
    store_pk BIGINT NOT NULL REFERENCES stores(pk),
    created_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    used_at_ms BIGINT,
    terminal_pk BIGINT REFERENCES terminals(pk)
);
CREATE TABLE records (
    terminal_pk BIGINT NOT NULL REFERENCES terminals(pk),
    seq BIGINT NOT NULL,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    document_type TEXT,
    created_at_ms BIGINT NOT NULL,
    received_at_ms BIGINT NOT NULL,
    payload TEXT NOT NULL,
    PRIMARY KEY (terminal_pk, seq)
);
CREATE TABLE stock (
    store_pk BIGINT NOT NULL REFERENCES stores(pk),
    sku TEXT NOT NULL,
    qty NUMERIC NOT NULL,
    PRIMARY KEY (store_pk, sku)
);
CREATE TABLE sales (
    store_pk BIGINT NOT NULL REFERENCES stores(pk),
    day TEXT NOT NULL,
    terminal_pk BIGINT NOT NULL REFERENCES terminals(pk),
    tender TEXT NOT NULL,
    documents BIGINT NOT NULL,
    amount NUMERIC NOT NULL,
    PRIMARY KEY (store_pk, day, terminal_pk, tender)
);
CREATE TABLE md_changes (
    tenant_pk BIGINT NOT NULL REFERENCES tenants(pk),
    version BIGINT NOT NULL,
    store_pk BIGINT REFERENCES stores(pk),
    entity TEXT NOT NULL,
    key TEXT NOT NULL,
    op TEXT NOT NULL,
    data TEXT NOT NULL,
    superseded BOOLEAN NOT NULL DEFAULT FALSE,
    published_at_ms BIGINT NOT NULL,
    PRIMARY KEY (tenant_pk, version)
);
CREATE INDEX md_changes_live ON md_changes (tenant_pk, entity, key, store_pk) WHERE NOT superseded;
"#,
    super::revocation::POSTGRES_MIGRATION,
    POSTGRES_PAYLOAD_LZ4,
    POSTGRES_RECORDS_WITHOUT_FK,
    super::record_ids::POSTGRES_MIGRATION,
    super::series::POSTGRES_MIGRATION,
];

/// `records.terminal_pk` keeps no foreign key on PostgreSQL: its check is
/// a trigger running one locking query per inserted row (a quarter of the
/// server's CPU in a catch-up, BENCHMARKS.md). Ingest inserts records only
/// for the terminal row it has just locked `FOR UPDATE`, and terminals are
/// never deleted (a lost till is revoked, its row kept), so the reference
/// holds without it. (SQLite checks the key with one index probe; it stays.)
const POSTGRES_RECORDS_WITHOUT_FK: &str = r#"
ALTER TABLE records DROP CONSTRAINT IF EXISTS records_terminal_pk_fkey;
"#;

/// Payloads above 2 KB (a sale document is ~9 KB) are compressed in
/// PostgreSQL's TOAST storage; the default method, pglz, cost the server
/// more CPU in a catch-up than inserting the rows (BENCHMARKS.md). lz4 is
/// several times faster at a similar ratio. It needs PostgreSQL 14 built
/// with lz4 (Debian's is); elsewhere the column keeps pglz and this step
/// changes nothing. Applies to rows stored from now on.
const POSTGRES_PAYLOAD_LZ4: &str = r#"
DO $$
BEGIN
    ALTER TABLE records ALTER COLUMN payload SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR syntax_error OR invalid_parameter_value THEN
    RAISE NOTICE 'lz4 is not available: record payloads stay compressed with pglz';
END
$$;
"#;

/// Wire name of a record kind.
pub fn kind_str(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Document => "document",
        RecordKind::StockMovement => "stock_movement",
        RecordKind::JournalEntry => "journal_entry",
        RecordKind::Audit => "audit",
    }
}

/// A record kind from its stored wire name.
pub fn kind_from_str(text: &str) -> Result<RecordKind, DbError> {
    RecordKind::ALL
        .into_iter()
        .find(|k| kind_str(*k) == text)
        .ok_or_else(|| DbError::Backend(format!("stored record kind {text:?} is unknown")))
}

/// Wire name of an entity.
pub fn entity_str(entity: Entity) -> &'static str {
    entity.as_str()
}

/// Wire name of an op.
pub fn op_str(op: ChangeOp) -> &'static str {
    op.as_str()
}

/// A stored change as the page writer takes it (`data` stays JSON text:
/// it was written from a parsed value at publishing).
pub fn change(
    version: i64,
    entity: &str,
    key: String,
    op: &str,
    data: String,
) -> Result<StoredChange, DbError> {
    let bad = |what: &str| {
        DbError::Backend(format!(
            "stored master-data change {version} has a bad {what}"
        ))
    };
    Ok(StoredChange {
        version: u64::try_from(version).map_err(|_| bad("version"))?,
        entity: Entity::ALL
            .into_iter()
            .find(|e| e.as_str() == entity)
            .ok_or_else(|| bad("entity"))?,
        key,
        op: [ChangeOp::Upsert, ChangeOp::Delete]
            .into_iter()
            .find(|o| o.as_str() == op)
            .ok_or_else(|| bad("op"))?,
        data_json: data,
    })
}

/// Journal state from its stored JSON (absent = nothing received).
pub fn journal_state(json: Option<&str>) -> Result<JournalState, DbError> {
    match json {
        None => Ok(JournalState::default()),
        Some(text) => serde_json::from_str(text)
            .map_err(|e| DbError::Backend(format!("stored journal state is unreadable: {e}"))),
    }
}

/// Journal state to store.
pub fn journal_json(state: &JournalState) -> Result<String, DbError> {
    serde_json::to_string(state).map_err(|e| DbError::Backend(format!("journal state: {e}")))
}
