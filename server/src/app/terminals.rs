//! Terminals as head office manages them: the list (enrolment, last
//! contact, lag, revocation) and revocation of a lost, stolen or replaced
//! till. The same functions serve the admin API and the CLI
//! (`kasa-server terminal list | revoke`).
//!
//! | route | what |
//! |---|---|
//! | `GET /admin/v1/tenants/{tenant}/terminals` | every terminal of the tenant |
//! | `POST /admin/v1/tenants/{tenant}/stores/{store}/terminals/{terminal}/revoke` | revoke (idempotent) |
//!
//! A revoked terminal's requests are refused with `auth.revoked` (403)
//! after its credential checks out: the credential is genuine, so the
//! refusal does not count against the failed-attempt limiter (a lost till
//! that keeps trying would otherwise see `auth.rate_limited` and never the
//! reason). The till's sync loop keeps backing off exponentially.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::{AppState, now_ms, read_body};
use crate::db::revocation::Revocation;
use crate::db::{Database, TerminalIdentity};
use crate::error::ApiError;

/// The stable code of a revoked terminal's refused request.
pub const REVOKED: &str = "auth.revoked";

pub(super) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/admin/v1/tenants/{tenant}/terminals", get(list))
        .route(
            "/admin/v1/tenants/{tenant}/stores/{store}/terminals/{terminal}/revoke",
            post(revoke),
        )
}

/// One terminal as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TerminalStatus {
    /// Terminal id.
    pub terminal_id: String,
    /// Store id.
    pub store_id: String,
    /// When it enrolled (RFC 3339).
    pub enrolled_at: Option<String>,
    /// Last authenticated request (RFC 3339), if any.
    pub last_seen: Option<String>,
    /// Seconds since that request: the lag head office can see.
    pub lag_seconds: Option<i64>,
    /// Highest contiguous record sequence held.
    pub held_through: u64,
    /// When it was revoked (RFC 3339), if it was.
    pub revoked_at: Option<String>,
    /// Who revoked it.
    pub revoked_by: Option<String>,
    /// Set when the terminal sent records different from the series head
    /// office holds (`sync.series_conflict`: a restored or cloned till).
    /// Its series stays as held; the differing records are kept apart.
    pub fork: Option<crate::db::series::ForkState>,
}

/// The answer to a revoke.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RevokeReply {
    /// Tenant id.
    pub tenant_id: String,
    /// Store id.
    pub store_id: String,
    /// Terminal id.
    pub terminal_id: String,
    /// When it was revoked (RFC 3339; the first revocation's time).
    pub revoked_at: String,
    /// Who revoked it (the first revocation's).
    pub revoked_by: String,
    /// False when it had been revoked before (nothing changed).
    pub newly_revoked: bool,
}

fn rfc3339(ms: i64) -> Option<String> {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// Every terminal of a tenant with its revocation; shared with the CLI.
pub async fn terminal_statuses(
    db: &dyn Database,
    tenant_id: &str,
    now_ms: i64,
) -> Result<Vec<TerminalStatus>, ApiError> {
    let revoked: HashMap<(String, String), Revocation> = db
        .revocations(tenant_id)
        .await?
        .into_iter()
        .map(|r| ((r.store_id, r.terminal_id), r.revocation))
        .collect();
    Ok(db
        .terminals(tenant_id)
        .await?
        .into_iter()
        .map(|t| {
            let revocation = revoked.get(&(t.store_id.clone(), t.terminal_id.clone()));
            TerminalStatus {
                enrolled_at: rfc3339(t.enrolled_at_ms),
                last_seen: t.last_seen_ms.and_then(rfc3339),
                lag_seconds: t.last_seen_ms.map(|s| (now_ms - s).max(0) / 1000),
                held_through: t.held_through,
                revoked_at: revocation.and_then(|r| rfc3339(r.revoked_at_ms)),
                revoked_by: revocation.map(|r| r.revoked_by.clone()),
                fork: t.fork,
                terminal_id: t.terminal_id,
                store_id: t.store_id,
            }
        })
        .collect())
}

/// Revoke a terminal (idempotent); shared with the CLI.
pub async fn revoke_terminal(
    db: &dyn Database,
    tenant_id: &str,
    store_id: &str,
    terminal_id: &str,
    revoked_by: &str,
) -> Result<RevokeReply, ApiError> {
    let outcome = db
        .revoke_terminal(tenant_id, store_id, terminal_id, revoked_by, now_ms())
        .await?;
    if outcome.newly_revoked {
        tracing::warn!(tenant = %tenant_id, store = %store_id, terminal = %terminal_id, by = %revoked_by, "terminal revoked");
    }
    Ok(RevokeReply {
        tenant_id: tenant_id.to_owned(),
        store_id: store_id.to_owned(),
        terminal_id: terminal_id.to_owned(),
        revoked_at: rfc3339(outcome.revocation.revoked_at_ms).unwrap_or_default(),
        revoked_by: outcome.revocation.revoked_by,
        newly_revoked: outcome.newly_revoked,
    })
}

/// The refusal a revoked terminal gets.
pub fn revoked_error(who: &TerminalIdentity, revocation: &Revocation) -> ApiError {
    let when = rfc3339(revocation.revoked_at_ms).unwrap_or_default();
    ApiError::new(
        StatusCode::FORBIDDEN,
        REVOKED,
        format!(
            "terminal \"{}\" of store \"{}\" was revoked by head office at {when}; the records it \
             sent before are kept. This till cannot sync any more: enrol it as a new terminal \
             (new terminal id) with a new enrolment code from head office",
            who.terminal_id, who.store_id
        ),
    )
}

impl AppState {
    /// Refuse a revoked terminal (checked on every request, so a revocation
    /// made by the CLI on this server's database applies at once).
    pub(super) async fn refuse_revoked(&self, who: &TerminalIdentity) -> Result<(), ApiError> {
        match self.db.revocation(who.terminal_pk).await? {
            Some(revocation) => Err(revoked_error(who, &revocation)),
            None => Ok(()),
        }
    }
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RevokeRequest {
    /// Who is revoking (a name for the record); default "admin API".
    #[serde(default)]
    by: Option<String>,
}

async fn revoke(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path((tenant, store, terminal)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<RevokeReply>, ApiError> {
    state.authenticate_admin(&headers, peer.ip())?;
    let raw = read_body(body, 64 * 1024).await?;
    let input: RevokeRequest = if raw.is_empty() {
        RevokeRequest::default()
    } else {
        serde_json::from_slice(&raw)
            .map_err(|e| ApiError::bad_request(format!("request body is not valid: {e}")))?
    };
    let by = match input.by.as_deref().map(str::trim) {
        Some(name) if !name.is_empty() => {
            format!(
                "{} (admin API from {})",
                name.chars().take(200).collect::<String>(),
                peer.ip()
            )
        }
        _ => format!("admin API from {}", peer.ip()),
    };
    let reply = revoke_terminal(state.db.as_ref(), &tenant, &store, &terminal, &by).await?;
    Ok(Json(reply))
}

async fn list(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Vec<TerminalStatus>>, ApiError> {
    state.authenticate_admin(&headers, peer.ip())?;
    Ok(Json(
        terminal_statuses(state.db.as_ref(), &tenant, now_ms()).await?,
    ))
}
