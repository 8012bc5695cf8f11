//! [`TerminalRevocation`] on SQLite (see [`crate::db::revocation`]).

use async_trait::async_trait;
use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::{SqliteDatabase, store_pk, tenant_pk};
use crate::db::DbError;
use crate::db::revocation::{
    Revocation, RevokeOutcome, RevokedTerminal, TerminalRevocation, terminal_not_found,
};

#[async_trait]
impl TerminalRevocation for SqliteDatabase {
    async fn revoke_terminal(
        &self,
        tenant_id: &str,
        store_id: &str,
        terminal_id: &str,
        revoked_by: &str,
        now_ms: i64,
    ) -> Result<RevokeOutcome, DbError> {
        let (tenant_id, store_id, terminal_id, revoked_by) = (
            tenant_id.to_owned(),
            store_id.to_owned(),
            terminal_id.to_owned(),
            revoked_by.to_owned(),
        );
        self.call(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let (_, store) = store_pk(&tx, &tenant_id, &store_id)?;
            let terminal: i64 = tx
                .query_row(
                    "SELECT pk FROM terminals WHERE store_pk = ?1 AND terminal_id = ?2",
                    params![store, terminal_id],
                    |r| r.get(0),
                )
                .optional()?
                .ok_or_else(|| terminal_not_found(&tenant_id, &store_id, &terminal_id))?;
            let inserted = tx.execute(
                "INSERT INTO terminal_revocations (terminal_pk, revoked_at_ms, revoked_by)
                 VALUES (?1, ?2, ?3) ON CONFLICT (terminal_pk) DO NOTHING",
                params![terminal, now_ms, revoked_by],
            )?;
            let revocation = tx.query_row(
                "SELECT revoked_at_ms, revoked_by FROM terminal_revocations WHERE terminal_pk = ?1",
                [terminal],
                |r| {
                    Ok(Revocation {
                        revoked_at_ms: r.get(0)?,
                        revoked_by: r.get(1)?,
                    })
                },
            )?;
            tx.commit()?;
            Ok(RevokeOutcome {
                revocation,
                newly_revoked: inserted == 1,
            })
        })
        .await
    }

    async fn revocation(&self, terminal_pk: i64) -> Result<Option<Revocation>, DbError> {
        self.call(move |conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT revoked_at_ms, revoked_by FROM terminal_revocations WHERE terminal_pk = ?1",
                )?
                .query_row([terminal_pk], |r| {
                    Ok(Revocation {
                        revoked_at_ms: r.get(0)?,
                        revoked_by: r.get(1)?,
                    })
                })
                .optional()?)
        })
        .await
    }

    async fn revocations(&self, tenant_id: &str) -> Result<Vec<RevokedTerminal>, DbError> {
        let tenant_id = tenant_id.to_owned();
        self.call(move |conn| {
            let tenant = tenant_pk(conn, &tenant_id)?;
            let mut statement = conn.prepare(
                "SELECT s.store_id, t.terminal_id, r.revoked_at_ms, r.revoked_by
                   FROM terminal_revocations r
                   JOIN terminals t ON t.pk = r.terminal_pk
                   JOIN stores s ON s.pk = t.store_pk
                  WHERE s.tenant_pk = ?1 ORDER BY s.store_id, t.terminal_id",
            )?;
            let rows = statement.query_map([tenant], |r| {
                Ok(RevokedTerminal {
                    store_id: r.get(0)?,
                    terminal_id: r.get(1)?,
                    revocation: Revocation {
                        revoked_at_ms: r.get(2)?,
                        revoked_by: r.get(3)?,
                    },
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }
}
