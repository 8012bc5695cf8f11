//! Errors as they leave the server: an HTTP status and the protocol's
//! [`ErrorEnvelope`] `{"error":{"code","message"}}`.
//!
//! Codes: the sync protocol's `sync.*` (status from
//! [`kasa_sync_protocol::http::status_for_code`]), plus the server's own:
//!
//! | code | status | meaning |
//! |---|---|---|
//! | `auth.missing` | 401 | no `authorization: Bearer …` header |
//! | `auth.invalid` | 401 | credential unknown, malformed or wrong |
//! | `auth.rate_limited` | 429 | too many failed attempts from this address |
//! | `auth.admin_disabled` | 403 | no admin token configured |
//! | `auth.revoked` | 403 | head office revoked this terminal; enrol a new one |
//! | `enrol.code_unknown` / `enrol.code_used` / `enrol.code_expired` | 403 | code refused |
//! | `enrol.bad_terminal_id` | 400 | terminal id not 1–64 of `A–Z a–z 0–9 - _ .` |
//! | `server.not_found` | 404 | tenant / store unknown |
//! | `server.already_exists` | 409 | id taken |
//! | `server.bad_request` | 400 | admin input invalid (bad CSV, bad change) |
//! | `server.database` | 503 | the database failed; retry later |

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kasa_domain::ErrorCode;
use kasa_sync_protocol::ErrorEnvelope;
use kasa_sync_protocol::http::status_for_code;

use crate::db::DbError;

/// A refused request.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable code.
    pub code: String,
    /// What happened and what to do.
    pub message: String,
}

impl ApiError {
    /// An error with an explicit status.
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_owned(),
            message: message.into(),
        }
    }

    /// A sync-protocol error; status from the protocol's table.
    pub fn sync<E: ErrorCode + std::fmt::Display + ?Sized>(error: &E) -> Self {
        let status =
            StatusCode::from_u16(status_for_code(error.code())).unwrap_or(StatusCode::BAD_REQUEST);
        Self::new(status, error.code(), error.to_string())
    }

    /// Admin input the server cannot use.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "server.bad_request", message)
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        let status = match &e {
            DbError::NotFound { .. } => StatusCode::NOT_FOUND,
            DbError::AlreadyExists { .. } => StatusCode::CONFLICT,
            DbError::CodeUnknown | DbError::CodeUsed | DbError::CodeExpired => {
                StatusCode::FORBIDDEN
            }
            DbError::Gap { .. } | DbError::SeriesConflict { .. } => StatusCode::CONFLICT,
            DbError::OutOfRange(_) => StatusCode::UNPROCESSABLE_ENTITY,
            DbError::SchemaTooNew { .. } => StatusCode::INTERNAL_SERVER_ERROR,
            DbError::Backend(_) => StatusCode::SERVICE_UNAVAILABLE,
        };
        if matches!(e, DbError::Backend(_) | DbError::SchemaTooNew { .. }) {
            tracing::error!(error = %e, "database failure");
        }
        Self::new(status, e.code(), e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(ErrorEnvelope::new(&self.code, self.message)),
        )
            .into_response()
    }
}
