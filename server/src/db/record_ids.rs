//! Record ids are unique per tenant, not across head office.
//!
//! A record id is made by a till (UUIDv7) and is the key of head office's
//! side effects, so a resent record is applied once. The id is unique
//! within the tenant whose till made it: a till of one tenant must never
//! learn that an id exists in another tenant, nor have its own record
//! dropped (and acknowledged) because another tenant holds the same id.
//! `records` therefore carries its tenant (`tenant_pk`, set from the
//! sending terminal at ingest) and the unique key is `(tenant_pk, id)`.
//!
//! SQLite cannot drop a column's UNIQUE constraint in place, so its
//! migration rebuilds `records` (copying every row once); PostgreSQL adds
//! the column, fills it, and swaps the constraint for an index.

/// SQLite: rebuild `records` with `tenant_pk` and `UNIQUE (tenant_pk, id)`.
pub const SQLITE_MIGRATION: &str = r#"
CREATE TABLE records_by_tenant (
    terminal_pk INTEGER NOT NULL REFERENCES terminals(pk),
    seq INTEGER NOT NULL,
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    document_type TEXT,
    created_at_ms INTEGER NOT NULL,
    received_at_ms INTEGER NOT NULL,
    payload TEXT NOT NULL,
    tenant_pk INTEGER NOT NULL REFERENCES tenants(pk),
    PRIMARY KEY (terminal_pk, seq),
    UNIQUE (tenant_pk, id)
) STRICT;
INSERT INTO records_by_tenant
    (terminal_pk, seq, id, kind, document_type, created_at_ms, received_at_ms, payload, tenant_pk)
SELECT r.terminal_pk, r.seq, r.id, r.kind, r.document_type, r.created_at_ms, r.received_at_ms,
       r.payload, s.tenant_pk
  FROM records r JOIN terminals t ON t.pk = r.terminal_pk JOIN stores s ON s.pk = t.store_pk;
DROP TABLE records;
ALTER TABLE records_by_tenant RENAME TO records;
"#;

/// PostgreSQL: add `tenant_pk`, unique `(tenant_pk, id)` instead of `id`.
pub const POSTGRES_MIGRATION: &str = r#"
ALTER TABLE records ADD COLUMN tenant_pk BIGINT;
UPDATE records r SET tenant_pk = s.tenant_pk
  FROM terminals t JOIN stores s ON s.pk = t.store_pk
 WHERE t.pk = r.terminal_pk;
ALTER TABLE records ALTER COLUMN tenant_pk SET NOT NULL;
ALTER TABLE records DROP CONSTRAINT records_id_key;
CREATE UNIQUE INDEX records_tenant_id ON records (tenant_pk, id);
"#;
