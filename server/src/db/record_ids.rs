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

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use crate::db::schema::SQLITE_MIGRATIONS;

    /// A head office file from before this migration keeps every record,
    /// each now carrying its terminal's tenant, and the same id may then
    /// be stored once in each tenant.
    #[test]
    fn sqlite_upgrade_keeps_every_record_under_its_tenant() {
        let conn = Connection::open_in_memory().unwrap();
        let at = SQLITE_MIGRATIONS
            .iter()
            .position(|m| *m == super::SQLITE_MIGRATION)
            .unwrap();
        for migration in &SQLITE_MIGRATIONS[..at] {
            conn.execute_batch(migration).unwrap();
        }
        conn.execute_batch(
            "INSERT INTO tenants VALUES (1, 'acme', 'ACME', 0, 0), (2, 'bolt', 'Bolt', 0, 0);
             INSERT INTO stores VALUES (10, 1, 'S001', 'a', 0), (20, 2, 'S001', 'b', 0);
             INSERT INTO terminals (pk, store_pk, terminal_id, credential_lookup, secret_hash, enrolled_at_ms)
                  VALUES (100, 10, 'T01', 'l1', 'h', 0), (200, 20, 'T01', 'l2', 'h', 0);
             INSERT INTO records VALUES (100, 1, 'id-1', 'document', 'sale', 0, 0, '{}'),
                                        (100, 2, 'id-2', 'audit', NULL, 0, 0, '{}'),
                                        (200, 1, 'id-3', 'audit', NULL, 0, 0, '{}');",
        )
        .unwrap();
        conn.execute_batch(super::SQLITE_MIGRATION).unwrap();
        let rows: Vec<(i64, i64, String, i64)> = conn
            .prepare(
                "SELECT terminal_pk, seq, id, tenant_pk FROM records ORDER BY terminal_pk, seq",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            rows,
            [
                (100, 1, "id-1".to_owned(), 1),
                (100, 2, "id-2".to_owned(), 1),
                (200, 1, "id-3".to_owned(), 2)
            ]
        );
        let insert = "INSERT INTO records VALUES (?1, ?2, 'id-1', 'audit', NULL, 0, 0, '{}', ?3)
                      ON CONFLICT DO NOTHING";
        assert_eq!(
            conn.execute(insert, (200, 2, 2)).unwrap(),
            1,
            "other tenant"
        );
        assert_eq!(conn.execute(insert, (100, 3, 1)).unwrap(), 0, "same tenant");
    }
}
