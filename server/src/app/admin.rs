//! The head-office API under `/admin/v1`, behind the admin token: tenants,
//! stores, enrolment codes, reports (JSON, or CSV with `?format=csv`) and
//! master-data publishing (JSON, or CSV with `content-type: text/csv`).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use kasa_sync_protocol::Entity;
use kasa_sync_protocol::validate::is_valid_id;
use serde::{Deserialize, Serialize};

use super::{AppState, MAX_ADMIN_BODY_BYTES, now_ms, read_body};
use crate::credential::{enrolment_code_hash, new_enrolment_code};
use crate::db::PublishOutcome;
use crate::error::ApiError;
use crate::publish;
use crate::report::{Format, ReportFilter, ReportKind, report};

pub(super) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/admin/v1/tenants", post(create_tenant))
        .route("/admin/v1/tenants/{tenant}/stores", post(create_store))
        .route(
            "/admin/v1/tenants/{tenant}/stores/{store}/enrolment-codes",
            post(create_code),
        )
        .route(
            "/admin/v1/tenants/{tenant}/master-data",
            post(publish_changes),
        )
        .route(
            "/admin/v1/tenants/{tenant}/reports/{report}",
            get(get_report),
        )
}

fn json_body<T: for<'de> Deserialize<'de>>(raw: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(raw)
        .map_err(|e| ApiError::bad_request(format!("request body is not valid: {e}")))
}

fn check_id(what: &str, id: &str) -> Result<(), ApiError> {
    if is_valid_id(id) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "{what} id must be 1–64 letters, digits, '-', '_' or '.'"
        )))
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewTenant {
    tenant_id: String,
    name: String,
}

async fn create_tenant(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, ApiError> {
    state.authenticate_admin(&headers, peer.ip())?;
    let input: NewTenant = json_body(&read_body(body, 64 * 1024).await?)?;
    check_id("tenant", &input.tenant_id)?;
    state
        .db
        .create_tenant(&input.tenant_id, &input.name, now_ms())
        .await?;
    Ok(StatusCode::CREATED)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewStore {
    store_id: String,
    name: String,
}

async fn create_store(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, ApiError> {
    state.authenticate_admin(&headers, peer.ip())?;
    let input: NewStore = json_body(&read_body(body, 64 * 1024).await?)?;
    check_id("store", &input.store_id)?;
    state
        .db
        .create_store(&tenant, &input.store_id, &input.name, now_ms())
        .await?;
    Ok(StatusCode::CREATED)
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewCode {
    #[serde(default)]
    ttl_minutes: Option<u64>,
}

/// A fresh enrolment code (shown once).
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IssuedCode {
    /// The code to type into the till.
    pub code: String,
    /// When it stops working (RFC 3339).
    pub expires_at: String,
}

/// Create and store a code; shared with the CLI.
pub async fn issue_code(
    state_db: &dyn crate::db::Database,
    tenant: &str,
    store: &str,
    ttl_minutes: u64,
) -> Result<IssuedCode, ApiError> {
    let code = new_enrolment_code();
    let now = now_ms();
    let ttl_ms = i64::try_from(ttl_minutes.saturating_mul(60_000)).unwrap_or(i64::MAX);
    let expires = now.saturating_add(ttl_ms);
    state_db
        .create_enrolment_code(tenant, store, &enrolment_code_hash(&code), expires, now)
        .await?;
    let expires_at = chrono::DateTime::from_timestamp_millis(expires)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default();
    Ok(IssuedCode { code, expires_at })
}

async fn create_code(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path((tenant, store)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<IssuedCode>), ApiError> {
    state.authenticate_admin(&headers, peer.ip())?;
    let raw = read_body(body, 64 * 1024).await?;
    let input: NewCode = if raw.is_empty() {
        NewCode::default()
    } else {
        json_body(&raw)?
    };
    let ttl = input
        .ttl_minutes
        .unwrap_or(state.config.enrolment_code_ttl_minutes);
    let issued = issue_code(state.db.as_ref(), &tenant, &store, ttl).await?;
    Ok((StatusCode::CREATED, Json(issued)))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct PublishQuery {
    /// The entity a CSV upload holds (`product`, `barcode`, `price`, …).
    entity: Option<String>,
    /// The CSV column that is each row's key (default: the entity's own).
    key: Option<String>,
    /// Publish to this store's terminals only.
    store: Option<String>,
}

async fn publish_changes(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(tenant): Path<String>,
    Query(query): Query<PublishQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<PublishOutcome>, ApiError> {
    state.authenticate_admin(&headers, peer.ip())?;
    let raw = read_body(body, MAX_ADMIN_BODY_BYTES).await?;
    let is_csv = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/csv"));
    let (store, changes) = if is_csv {
        let entity_name = query.entity.as_deref().ok_or_else(|| {
            ApiError::bad_request("a CSV upload needs ?entity=product|barcode|price|…")
        })?;
        let entity: Entity =
            serde_json::from_value(serde_json::Value::String(entity_name.to_owned()))
                .map_err(|_| ApiError::bad_request(format!("unknown entity \"{entity_name}\"")))?;
        let changes = publish::from_csv(&raw, entity, query.key.as_deref())?;
        (query.store, changes)
    } else {
        let (store, changes) = publish::from_json(&raw)?;
        (store.or(query.store), changes)
    };
    if changes.is_empty() {
        return Err(ApiError::bad_request(
            "nothing to publish: the upload has no changes",
        ));
    }
    let outcome = state
        .db
        .publish(&tenant, store.as_deref(), &changes, now_ms())
        .await?;
    tracing::info!(tenant = %tenant, store = ?store, changes = outcome.changes, last_version = outcome.last_version, "master data published");
    Ok(Json(outcome))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReportQuery {
    /// `json` (default) or `csv`.
    format: Option<String>,
    /// First UTC day of a sales report (`YYYY-MM-DD`).
    from: Option<String>,
    /// Last UTC day of a sales report, inclusive.
    to: Option<String>,
    /// Only this store (stock report).
    store: Option<String>,
}

async fn get_report(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path((tenant, kind)): Path<(String, String)>,
    Query(query): Query<ReportQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    state.authenticate_admin(&headers, peer.ip())?;
    let kind: ReportKind = kind
        .parse()
        .map_err(|e: String| ApiError::new(StatusCode::NOT_FOUND, "server.not_found", e))?;
    let format: Format = query
        .format
        .as_deref()
        .unwrap_or("json")
        .parse()
        .map_err(ApiError::bad_request)?;
    let filter = ReportFilter {
        from_day: query.from,
        to_day: query.to,
        store_id: query.store,
    };
    let text = report(state.db.as_ref(), &tenant, kind, &filter, format, now_ms()).await?;
    let content_type = match format {
        Format::Json => "application/json",
        Format::Csv => "text/csv; charset=utf-8",
    };
    Ok(([(header::CONTENT_TYPE, content_type)], text).into_response())
}
