//! The terminal-facing endpoints: hello, enrolment, upload status, upload,
//! master-data pages. Every check that can refuse a batch runs before the
//! database is touched, and a refused batch stores nothing.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::Json;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kasa_sync_protocol::body::{CONTENT_ENCODING_HEADER, GZIP_MIN_BODY_BYTES, inflate};
use kasa_sync_protocol::http::PROTOCOL_HEADER;
use kasa_sync_protocol::limits::{MAX_BATCH_BYTES, MAX_PAGE_BYTES, MAX_SMALL_MESSAGE_BYTES};
use kasa_sync_protocol::payload::{InvalidRecord, read_record};
use kasa_sync_protocol::validate::{is_valid_id, validate_batch_of_len};
use kasa_sync_protocol::{
    Ack, BatchContext, BatchError, BodyEncoding, BodyError, CursorPosition, Hello, HelloReply,
    Limits, MasterDataPageRequest, ProtocolVersion, Record, UploadBatch, VersionRange, Welcome,
    decode_body, encode_page, negotiate, record_digest,
};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::{AppState, now_ms, read_body};
use crate::credential::{enrolment_code_hash, issue_credential};
use crate::db::{DbError, NewEnrolment, ReceivedRecord};
use crate::error::ApiError;
use crate::projection::effect_of;

const SMALL: usize = MAX_SMALL_MESSAGE_BYTES as usize;

fn encoding(headers: &HeaderMap) -> Result<BodyEncoding, ApiError> {
    let value = headers
        .get(CONTENT_ENCODING_HEADER)
        .and_then(|v| v.to_str().ok());
    BodyEncoding::from_header(value).map_err(|e| ApiError::sync(&e))
}

/// A request after hello may name its version; one the server does not
/// speak is refused. Returns the version the request names (absent = 1.0,
/// what tills sent before the header mattered: they get 1.0's shapes).
fn check_protocol_header(headers: &HeaderMap) -> Result<ProtocolVersion, ApiError> {
    let mut named = ProtocolVersion::V1_0;
    // every value counts: a request naming two versions must not pass on the first
    for value in headers.get_all(PROTOCOL_HEADER) {
        let text = value.to_str().unwrap_or("");
        let parsed = text.split_once('.').and_then(|(major, minor)| {
            Some(ProtocolVersion::new(
                major.parse().ok()?,
                minor.parse().ok()?,
            ))
        });
        match parsed {
            Some(v) if VersionRange::SUPPORTED.contains(v) => named = named.max(v),
            Some(got) => {
                return Err(ApiError::sync(&BatchError::UnknownVersion {
                    got,
                    accepted: VersionRange::SUPPORTED,
                }));
            }
            None => {
                return Err(ApiError::sync(&BatchError::Malformed {
                    reason: format!("header {PROTOCOL_HEADER}: \"{text}\" is not major.minor"),
                }));
            }
        }
    }
    Ok(named)
}

/// Whether acknowledgements to a request of `version` carry the series
/// chain (protocol 1.1; a 1.0 till refuses unknown fields).
fn speaks_series_identity(version: ProtocolVersion) -> bool {
    version >= ProtocolVersion::V1_1
}

/// `POST /sync/v1/hello`.
pub async fn hello(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<HelloReply>, ApiError> {
    let raw = read_body(body, SMALL).await?;
    let hello: Hello = decode_body(&raw, encoding(&headers)?, MAX_SMALL_MESSAGE_BYTES)
        .map_err(|e| ApiError::sync(&e))?;
    let reply = match negotiate(&hello.capabilities, &state.capabilities) {
        Ok(agreed) => HelloReply::Welcome(Welcome {
            agreed,
            server_software: format!("kasa-server {}", env!("CARGO_PKG_VERSION")),
            server_protocol: state.capabilities.protocol,
        }),
        Err(e) => HelloReply::Refusal(e.refusal(state.capabilities.protocol)),
    };
    Ok(Json(reply))
}

/// Body of `POST /enrol`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrolRequest {
    /// The code head office gave (`ABCD-EFGH-JKLM`; case, spaces, dashes ignored).
    pub code: String,
    /// The id the till will use (`T01`), unique within its store.
    pub terminal_id: String,
}

/// Answer of `POST /enrol`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EnrolReply {
    /// Tenant.
    pub tenant_id: String,
    /// Store the code was for.
    pub store_id: String,
    /// The terminal.
    pub terminal_id: String,
    /// The credential; shown once — the till stores it, head office only its hash.
    pub credential: String,
}

/// `POST /enrol`.
pub async fn enrol(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Body,
) -> Result<(StatusCode, Json<EnrolReply>), ApiError> {
    let started = Instant::now();
    if state.limiter.is_blocked(peer.ip(), started) {
        return Err(super::rate_limited());
    }
    let raw = read_body(body, SMALL).await?;
    let request: EnrolRequest = serde_json::from_slice(&raw).map_err(|e| {
        ApiError::bad_request(format!(
            "enrolment request is not valid JSON {{code, terminal_id}}: {e}"
        ))
    })?;
    if !is_valid_id(&request.terminal_id) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "enrol.bad_terminal_id",
            "terminal id must be 1–64 letters, digits, '-', '_' or '.'",
        ));
    }
    let issued = tokio::task::spawn_blocking(issue_credential)
        .await
        .map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server.internal",
                e.to_string(),
            )
        })?
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "server.internal", e))?;
    let enrolment = NewEnrolment {
        code_hash: enrolment_code_hash(&request.code),
        terminal_id: request.terminal_id.clone(),
        credential_lookup: issued.lookup.clone(),
        secret_hash: issued.secret_hash.clone(),
        now_ms: now_ms(),
    };
    match state.db.enrol(enrolment).await {
        Ok(who) => {
            state.metrics.enrolments.fetch_add(1, Ordering::Relaxed);
            tracing::info!(tenant = %who.tenant_id, store = %who.store_id, terminal = %who.terminal_id, "terminal enrolled");
            Ok((
                StatusCode::CREATED,
                Json(EnrolReply {
                    tenant_id: who.tenant_id,
                    store_id: who.store_id,
                    terminal_id: who.terminal_id,
                    credential: issued.token,
                }),
            ))
        }
        Err(e) => {
            if matches!(
                e,
                DbError::CodeUnknown | DbError::CodeUsed | DbError::CodeExpired
            ) {
                state.limiter.charge(peer.ip(), Instant::now());
                tracing::warn!(peer = %peer.ip(), code = %kasa_domain::ErrorCode::code(&e), "enrolment refused");
            }
            Err(e.into())
        }
    }
}

/// Query of the status request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusQuery {
    /// A sequence whose chain the till wants (protocol 1.1).
    at: Option<u64>,
}

/// `GET /sync/v1/upload/status[?at=N]`.
pub async fn upload_status(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    query: Result<Query<StatusQuery>, QueryRejection>,
) -> Result<Json<Ack>, ApiError> {
    let who = state.authenticate(&headers, peer.ip()).await?;
    let version = check_protocol_header(&headers)?;
    let Query(query) = query.map_err(|e| {
        ApiError::sync(&BatchError::Malformed {
            reason: format!("status query: {e}; the only parameter is at=<sequence>"),
        })
    })?;
    state.db.touch_terminal(who.terminal_pk, now_ms()).await?;
    let status = state.db.series_status(who.terminal_pk, query.at).await?;
    let identity = speaks_series_identity(version);
    Ok(Json(Ack {
        terminal_id: who.terminal_id,
        highest_contiguous_seq: status.held_through,
        duplicates: 0,
        applied: 0,
        chain_head: identity.then_some(status.chain_head),
        chain_at: status.chain_at.filter(|_| identity),
    }))
}

/// `POST /sync/v1/upload`.
pub async fn upload(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Ack>, ApiError> {
    let who = state.authenticate(&headers, peer.ip()).await?;
    let result = upload_as(&state, &who, &headers, body).await;
    match &result {
        Ok(ack) => {
            state
                .metrics
                .records_ingested
                .fetch_add(u64::from(ack.applied), Ordering::Relaxed);
            state
                .metrics
                .records_duplicate
                .fetch_add(u64::from(ack.duplicates), Ordering::Relaxed);
        }
        Err(e) => {
            state
                .metrics
                .batches_refused
                .fetch_add(1, Ordering::Relaxed);
            tracing::info!(tenant = %who.tenant_id, store = %who.store_id, terminal = %who.terminal_id, code = %e.code, "batch refused");
        }
    }
    result.map(Json)
}

/// An upload batch as it arrives: each payload kept as the JSON text that
/// head office stores; only what the projections need is read from it
/// ([`effect_of`]).
type ReceivedBatch = UploadBatch<Box<RawValue>>;

/// A record checked against the payload contract, ready for the
/// database; a record that breaks it refuses the whole batch.
fn received_record(record: Record<Box<RawValue>>) -> Result<ReceivedRecord, InvalidRecord> {
    let invalid = |reason: String| InvalidRecord {
        seq: record.seq,
        id: record.id,
        reason,
    };
    let read = read_record(
        record.kind,
        record.document_type.as_deref(),
        record.payload.get(),
    )
    .map_err(invalid)?;
    let effect = effect_of(read, record.document_type.as_deref(), record.created_at)
        .map_err(|e| invalid(e.to_string()))?;
    let digest = record_digest(
        &record.id,
        record.kind,
        record.document_type.as_deref(),
        record.payload.get(),
    );
    Ok(ReceivedRecord {
        digest,
        seq: record.seq,
        id: record.id,
        kind: record.kind,
        document_type: record.document_type,
        created_at: record.created_at,
        payload: record.payload,
        effect,
    })
}

async fn upload_as(
    state: &AppState,
    who: &crate::db::TerminalIdentity,
    headers: &HeaderMap,
    body: Body,
) -> Result<Ack, ApiError> {
    let version = check_protocol_header(headers)?;
    let encoding = encoding(headers)?;
    let raw_limit = usize::try_from(MAX_BATCH_BYTES).unwrap_or(usize::MAX) + 64 * 1024;
    let raw = read_body(body, raw_limit).await?;
    // the inflated body's length is the batch's size: no second serialisation to count it
    let json = inflate(&raw, encoding, MAX_BATCH_BYTES).map_err(|e| ApiError::sync(&e))?;
    let received: ReceivedBatch = serde_json::from_slice(&json).map_err(|e| {
        ApiError::sync(&BodyError::BadJson {
            detail: e.to_string(),
        })
    })?;
    let context = BatchContext {
        terminal_id: &who.terminal_id,
        store_id: &who.store_id,
        accepted: state.capabilities.protocol,
        limits: Limits::default(),
    };
    validate_batch_of_len(&received, json.len() as u64, &context)
        .map_err(|e| ApiError::sync(&e))?;
    if i64::try_from(received.last_seq()).is_err() {
        return Err(ApiError::sync(&BatchError::Malformed {
            reason: "sequence numbers above 2^63 are not accepted".into(),
        }));
    }
    let first_seq = received.first_seq;
    let records = received
        .records
        .into_iter()
        .map(received_record)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ApiError::sync(&e))?;
    state
        .upload_order
        .wait_for_turn(
            state.db.as_ref(),
            who.terminal_pk,
            first_seq,
            &state.metrics.batches_held_for_order,
        )
        .await?;
    let outcome = state
        .db
        .ingest(who, first_seq, records, now_ms())
        .await
        .map_err(|e| {
            if let DbError::SeriesConflict { seq, .. } = &e {
                state.metrics.series_conflicts.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(tenant = %who.tenant_id, store = %who.store_id, terminal = %who.terminal_id, seq, "series conflict: batch kept apart, terminal marked forked");
            }
            match e {
                DbError::Gap { expected, found } => {
                    ApiError::sync(&BatchError::Gap { expected, found })
                }
                other => other.into(),
            }
        })?;
    state
        .upload_order
        .stored(who.terminal_pk, outcome.held_through);
    if outcome.unprojected > 0 {
        state
            .metrics
            .records_unprojected
            .fetch_add(u64::from(outcome.unprojected), Ordering::Relaxed);
        tracing::warn!(terminal = %who.terminal_id, count = outcome.unprojected, "records stored but not projected (payload unreadable)");
    }
    Ok(Ack {
        terminal_id: who.terminal_id.clone(),
        highest_contiguous_seq: outcome.held_through,
        duplicates: outcome.duplicates,
        applied: outcome.applied,
        chain_head: speaks_series_identity(version).then_some(outcome.chain_head),
        chain_at: None,
    })
}

/// `POST /sync/v1/master-data`.
pub async fn master_data(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let who = state.authenticate(&headers, peer.ip()).await?;
    check_protocol_header(&headers)?;
    let raw = read_body(body, SMALL).await?;
    let request: MasterDataPageRequest =
        decode_body(&raw, encoding(&headers)?, MAX_SMALL_MESSAGE_BYTES)
            .map_err(|e| ApiError::sync(&e))?;
    let after = match &request.cursor {
        Some(cursor) => cursor.decode().map_err(|e| ApiError::sync(&e))?,
        None => CursorPosition { after_version: 0 },
    };
    let limit = request.effective_limit();
    let slice = state
        .db
        .changes_after(
            who.tenant_pk,
            who.store_pk,
            after.after_version,
            request.cursor.is_none(),
            limit,
        )
        .await?;
    state.db.touch_terminal(who.terminal_pk, now_ms()).await?;
    let page = encode_page(
        after,
        &request,
        slice.changes,
        MAX_PAGE_BYTES,
        slice.server_version,
    )
    .map_err(|e| ApiError::sync(&e))?;
    debug_assert!(page.next_cursor.decode().is_ok());
    let accepts_gzip = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|p| p.trim().starts_with("gzip")));
    if accepts_gzip && page.json.len() >= GZIP_MIN_BODY_BYTES {
        let packed = kasa_sync_protocol::body::gzip(&page.json).map_err(|e| ApiError::sync(&e))?;
        return Ok((
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CONTENT_ENCODING, "gzip"),
            ],
            packed,
        )
            .into_response());
    }
    Ok(([(header::CONTENT_TYPE, "application/json")], page.json).into_response())
}
