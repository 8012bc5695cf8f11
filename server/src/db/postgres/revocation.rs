//! [`TerminalRevocation`] on PostgreSQL (see [`crate::db::revocation`]).

use async_trait::async_trait;

use super::{PostgresDatabase, store_pk, tenant_pk};
use crate::db::DbError;
use crate::db::revocation::{
    Revocation, RevokeOutcome, RevokedTerminal, TerminalRevocation, terminal_not_found,
};

#[async_trait]
impl TerminalRevocation for PostgresDatabase {
    async fn revoke_terminal(
        &self,
        tenant_id: &str,
        store_id: &str,
        terminal_id: &str,
        revoked_by: &str,
        now_ms: i64,
    ) -> Result<RevokeOutcome, DbError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let (_, store) = store_pk(&tx, tenant_id, store_id).await?;
        let terminal: i64 = tx
            .query_opt(
                "SELECT pk FROM terminals WHERE store_pk = $1 AND terminal_id = $2",
                &[&store, &terminal_id],
            )
            .await?
            .map(|r| r.get(0))
            .ok_or_else(|| terminal_not_found(tenant_id, store_id, terminal_id))?;
        let inserted = tx
            .execute(
                "INSERT INTO terminal_revocations (terminal_pk, revoked_at_ms, revoked_by)
                 VALUES ($1, $2, $3) ON CONFLICT (terminal_pk) DO NOTHING",
                &[&terminal, &now_ms, &revoked_by],
            )
            .await?;
        let row = tx
            .query_one(
                "SELECT revoked_at_ms, revoked_by FROM terminal_revocations WHERE terminal_pk = $1",
                &[&terminal],
            )
            .await?;
        tx.commit().await?;
        Ok(RevokeOutcome {
            revocation: Revocation {
                revoked_at_ms: row.get(0),
                revoked_by: row.get(1),
            },
            newly_revoked: inserted == 1,
        })
    }

    async fn revocation(&self, terminal_pk: i64) -> Result<Option<Revocation>, DbError> {
        let client = self.pool.get().await?;
        let statement = client
            .prepare_cached(
                "SELECT revoked_at_ms, revoked_by FROM terminal_revocations WHERE terminal_pk = $1",
            )
            .await?;
        Ok(client
            .query_opt(&statement, &[&terminal_pk])
            .await?
            .map(|row| Revocation {
                revoked_at_ms: row.get(0),
                revoked_by: row.get(1),
            }))
    }

    async fn revocations(&self, tenant_id: &str) -> Result<Vec<RevokedTerminal>, DbError> {
        let client = self.pool.get().await?;
        let tenant = tenant_pk(&client, tenant_id).await?;
        let rows = client
            .query(
                "SELECT s.store_id, t.terminal_id, r.revoked_at_ms, r.revoked_by
                   FROM terminal_revocations r
                   JOIN terminals t ON t.pk = r.terminal_pk
                   JOIN stores s ON s.pk = t.store_pk
                  WHERE s.tenant_pk = $1 ORDER BY s.store_id, t.terminal_id",
                &[&tenant],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| RevokedTerminal {
                store_id: r.get(0),
                terminal_id: r.get(1),
                revocation: Revocation {
                    revoked_at_ms: r.get(2),
                    revoked_by: r.get(3),
                },
            })
            .collect())
    }
}
