//! Revoking a terminal: what head office does when a till is lost, stolen
//! or replaced.
//!
//! - A revocation is a row of its own (`terminal_revocations`, one per
//!   terminal) rather than columns on `terminals`: the migration is purely
//!   additive and the ingest path, which locks and updates terminal rows,
//!   is untouched.
//! - It records who and when, and is idempotent: revoking again changes
//!   nothing and answers with the first revocation.
//! - Records the terminal sent before stay: they are sales that happened.
//!   Only its credential stops working (`auth.revoked`, checked on every
//!   authenticated request, so a revocation made with the CLI against the
//!   database of a running server takes effect at its next request).
//! - There is no un-revoke: a replacement till enrols as a new terminal
//!   (new id, new code), so a found-again stolen till cannot resume.
//!
//! The backends implement [`TerminalRevocation`] in their own
//! `revocation.rs`; it is a supertrait of [`super::Database`].

use async_trait::async_trait;
use serde::Serialize;

use super::DbError;

/// SQLite migration adding revocations.
pub const SQLITE_MIGRATION: &str = r#"
CREATE TABLE terminal_revocations (
    terminal_pk INTEGER PRIMARY KEY REFERENCES terminals(pk),
    revoked_at_ms INTEGER NOT NULL,
    revoked_by TEXT NOT NULL
) STRICT;
"#;

/// PostgreSQL migration adding revocations.
pub const POSTGRES_MIGRATION: &str = r#"
CREATE TABLE terminal_revocations (
    terminal_pk BIGINT PRIMARY KEY REFERENCES terminals(pk),
    revoked_at_ms BIGINT NOT NULL,
    revoked_by TEXT NOT NULL
);
"#;

/// When and by whom a terminal was revoked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Revocation {
    /// When (ms since the Unix epoch).
    pub revoked_at_ms: i64,
    /// Who asked (admin API caller or CLI user, as given).
    pub revoked_by: String,
}

/// What one revoke call did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokeOutcome {
    /// The revocation in force (the first one if it was revoked before).
    pub revocation: Revocation,
    /// Whether this call revoked it (false: it was revoked already).
    pub newly_revoked: bool,
}

/// A revoked terminal of a tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokedTerminal {
    /// Store id.
    pub store_id: String,
    /// Terminal id.
    pub terminal_id: String,
    /// The revocation.
    pub revocation: Revocation,
}

/// Revocations, in both backends.
#[async_trait]
pub trait TerminalRevocation {
    /// Revoke a terminal of a store (idempotent); `NotFound` if the tenant,
    /// store or terminal does not exist.
    async fn revoke_terminal(
        &self,
        tenant_id: &str,
        store_id: &str,
        terminal_id: &str,
        revoked_by: &str,
        now_ms: i64,
    ) -> Result<RevokeOutcome, DbError>;
    /// The revocation of a terminal, if any.
    async fn revocation(&self, terminal_pk: i64) -> Result<Option<Revocation>, DbError>;
    /// Revoked terminals of a tenant, by store and terminal id.
    async fn revocations(&self, tenant_id: &str) -> Result<Vec<RevokedTerminal>, DbError>;
}

/// `NotFound` for a terminal id that is not in the store.
pub(crate) fn terminal_not_found(tenant_id: &str, store_id: &str, terminal_id: &str) -> DbError {
    DbError::NotFound {
        what: format!(
            "terminal \"{terminal_id}\" of store \"{store_id}\" of tenant \"{tenant_id}\""
        ),
    }
}
