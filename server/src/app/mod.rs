//! The HTTP application: routes, shared state, authentication.
//!
//! | route | who | what |
//! |---|---|---|
//! | `POST /sync/v1/hello` | anyone | negotiate ([`kasa_sync_protocol::negotiate`]) |
//! | `POST /enrol` | a till with a code | code → credential (shown once) |
//! | `GET /sync/v1/upload/status` | terminal | `Ack` of what is held |
//! | `POST /sync/v1/upload` | terminal | `UploadBatch` → `Ack` |
//! | `POST /sync/v1/master-data` | terminal | page of changes after a cursor |
//! | `/admin/v1/…` | admin token | tenants, stores, codes, reports, publishing |
//! | `GET /health`, `/openapi.json` | anyone | liveness, API document |
//! | `GET /metrics` | anyone, or `metrics_token` if set | Prometheus |
//!
//! Terminals authenticate with `authorization: Bearer kt1.<lookup>.<secret>`;
//! the admin API with `authorization: Bearer <admin_token>`. Failed attempts
//! are rate-limited per address ([`rate_limit`]); a request carrying a valid
//! credential is never refused by that limit. Bodies are read with a
//! per-route limit before anything else; an oversized body is refused with
//! `sync.batch_too_large` (413) without being read to the end.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::{get, post};
use kasa_sync_protocol::{BodyError, Capabilities, Feature, http as paths};
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

use crate::config::ServerConfig;
use crate::credential::{parse_credential, token_digest, verify_secret};
use crate::db::{Database, TerminalIdentity};
use crate::error::ApiError;

pub mod admin;
pub mod metrics;
pub mod openapi;
pub mod rate_limit;
mod sync;
pub mod terminals;
pub mod upload_order;

use metrics::Metrics;
use rate_limit::FailureLimiter;

/// Largest admin upload (a catalog CSV).
pub const MAX_ADMIN_BODY_BYTES: usize = 256 * 1024 * 1024;
/// Verified credentials remembered at most.
const MAX_CACHED_CREDENTIALS: usize = 50_000;

/// Everything a handler needs.
#[derive(Debug)]
pub struct AppState {
    /// Storage.
    pub db: Arc<dyn Database>,
    /// Configuration read at start.
    pub config: ServerConfig,
    /// Counters for `/metrics`.
    pub metrics: Metrics,
    /// Failed-attempt limiter.
    pub limiter: FailureLimiter,
    /// What this server states in `hello`.
    pub capabilities: Capabilities,
    /// Keeps a terminal's overlapping uploads in sequence order.
    pub upload_order: upload_order::UploadOrder,
    credentials: Mutex<HashMap<[u8; 32], TerminalIdentity>>,
}

impl AppState {
    /// State over a database.
    pub fn new(db: Arc<dyn Database>, config: ServerConfig) -> Arc<Self> {
        let mut capabilities = Capabilities::this_build();
        capabilities
            .requires
            .insert(Feature::new(Feature::MASTER_DATA_V1));
        Arc::new(Self {
            db,
            limiter: FailureLimiter::new(config.rate_limit),
            config,
            metrics: Metrics::default(),
            capabilities,
            upload_order: upload_order::UploadOrder::default(),
            credentials: Mutex::new(HashMap::new()),
        })
    }

    /// The terminal behind the request's bearer credential, refused with
    /// `auth.revoked` if head office revoked it ([`terminals`]).
    pub async fn authenticate(
        &self,
        headers: &HeaderMap,
        peer: IpAddr,
    ) -> Result<TerminalIdentity, ApiError> {
        let who = self.verify_credential(headers, peer).await?;
        self.refuse_revoked(&who).await?;
        Ok(who)
    }

    /// A credential that is valid passes even from an address the limiter
    /// blocks (many tills share one address behind a NAT, and one bad
    /// request must not lock them all out); a blocked address gets
    /// `auth.rate_limited` for anything else. A credential already verified
    /// is answered from memory; otherwise a blocked address costs one
    /// lookup, and one argon2 check only when the lookup names a terminal.
    async fn verify_credential(
        &self,
        headers: &HeaderMap,
        peer: IpAddr,
    ) -> Result<TerminalIdentity, ApiError> {
        let now = Instant::now();
        let refuse = |error: ApiError| {
            let blocked = self.limiter.is_blocked(peer, now);
            self.limiter.charge(peer, now);
            if blocked { rate_limited() } else { error }
        };
        let Some(token) = bearer(headers) else {
            return Err(refuse(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "auth.missing",
                "no terminal credential: send authorization: Bearer <credential from enrolment>",
            )));
        };
        let digest = token_digest(token);
        if let Some(who) = self
            .credentials
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&digest)
        {
            return Ok(who.clone());
        }
        let invalid = || {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "auth.invalid",
                "terminal credential is not valid: enrol the till again with a new code from head office",
            )
        };
        let Some((lookup, secret)) = parse_credential(token) else {
            return Err(refuse(invalid()));
        };
        let stored = match self.db.credential(lookup).await? {
            Some(stored) => {
                // argon2 takes milliseconds of CPU: keep it off the async workers
                let (secret, hash) = (secret.to_owned(), stored.secret_hash.clone());
                let valid = tokio::task::spawn_blocking(move || verify_secret(&secret, &hash))
                    .await
                    .unwrap_or(false);
                valid.then_some(stored)
            }
            None => None,
        };
        let Some(stored) = stored else {
            return Err(refuse(invalid()));
        };
        let mut cache = self.credentials.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= MAX_CACHED_CREDENTIALS {
            cache.clear();
        }
        cache.insert(digest, stored.identity.clone());
        Ok(stored.identity)
    }

    /// Check the admin token.
    pub fn authenticate_admin(&self, headers: &HeaderMap, peer: IpAddr) -> Result<(), ApiError> {
        let now = Instant::now();
        let Some(expected) = self.config.admin_token.as_deref() else {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "auth.admin_disabled",
                "the admin API is off: set admin_token in the config or KASA_SERVER_ADMIN_TOKEN",
            ));
        };
        // the right token passes even from a blocked address (see verify_credential)
        match bearer(headers) {
            Some(token) if crate::credential::same_secret(token, expected) => Ok(()),
            _ if self.limiter.is_blocked(peer, now) => Err(rate_limited()),
            _ => {
                self.limiter.charge(peer, now);
                Err(ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "auth.invalid",
                    "admin token missing or wrong: send authorization: Bearer <admin_token>",
                ))
            }
        }
    }
}

pub(crate) fn rate_limited() -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "auth.rate_limited",
        "too many failed attempts from this address; wait a minute and check the code or credential",
    )
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// Read a request body, refusing it as soon as it passes `limit` bytes.
pub async fn read_body(body: Body, limit: usize) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(body, limit).await.map_err(|_| {
        ApiError::sync(&BodyError::TooLarge {
            limit_bytes: limit as u64,
        })
    })
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// How long `/health` waits for its database query.
pub const HEALTH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// `GET /health`: 200 when a real query (count the terminals) answers
/// within [`HEALTH_TIMEOUT`], 503 otherwise — a stopped or stuck SQLite
/// owner thread, an unreachable PostgreSQL. `writer_restarts` counts the
/// SQLite owner thread's restarts after a panic.
async fn health(
    axum::extract::State(state): axum::extract::State<Arc<AppState>>,
) -> (StatusCode, axum::Json<serde_json::Value>) {
    let backend = state.db.backend();
    let version = env!("CARGO_PKG_VERSION");
    match tokio::time::timeout(HEALTH_TIMEOUT, state.db.health()).await {
        Ok(Ok(db)) => (
            StatusCode::OK,
            axum::Json(serde_json::json!({
                "status": "ok", "backend": backend, "version": version,
                "terminals": db.terminals, "writer_restarts": db.writer_restarts,
            })),
        ),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "health check: the database failed");
            unhealthy(backend, version, &e.to_string())
        }
        Err(_) => {
            tracing::error!("health check: the database did not answer within 2 s");
            unhealthy(
                backend,
                version,
                "the database did not answer within 2 s; check the server log",
            )
        }
    }
}

fn unhealthy(
    backend: &str,
    version: &str,
    reason: &str,
) -> (StatusCode, axum::Json<serde_json::Value>) {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        axum::Json(serde_json::json!({
            "status": "unavailable", "backend": backend, "version": version, "reason": reason,
        })),
    )
}

async fn openapi() -> impl axum::response::IntoResponse {
    static DOCUMENT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    (
        [(header::CONTENT_TYPE, "application/json")],
        DOCUMENT.get_or_init(openapi::document).as_str(),
    )
}

/// The whole application.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route(paths::HELLO_PATH, post(sync::hello))
        .route("/enrol", post(sync::enrol))
        .route(paths::UPLOAD_STATUS_PATH, get(sync::upload_status))
        .route(paths::UPLOAD_PATH, post(sync::upload))
        .route(paths::MASTER_DATA_PATH, post(sync::master_data))
        .merge(admin::routes())
        .merge(terminals::routes())
        .route("/health", get(health))
        .route("/metrics", get(metrics::exposition))
        .route("/openapi.json", get(openapi))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Serve until `shutdown` resolves. Peers' addresses reach the handlers
/// (for the failure limiter).
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Install rustls' ring crypto provider once per process (rustls needs one
/// chosen; the build carries only ring).
fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Serve HTTPS with a PEM certificate chain and private key until
/// `shutdown` resolves (then connections get 10 s to finish).
pub async fn serve_tls(
    listener: std::net::TcpListener,
    state: Arc<AppState>,
    cert_pem: &std::path::Path,
    key_pem: &std::path::Path,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    install_crypto_provider();
    let tls = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert_pem, key_pem)
        .await
        .map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!(
                    "cannot load TLS certificate {} / key {}: {e}",
                    cert_pem.display(),
                    key_pem.display()
                ),
            )
        })?;
    listener.set_nonblocking(true)?;
    let handle = axum_server::Handle::new();
    let stopper = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        stopper.graceful_shutdown(Some(std::time::Duration::from_secs(10)));
    });
    axum_server::from_tcp_rustls(listener, tls)
        .handle(handle)
        .serve(router(state).into_make_service_with_connect_info::<SocketAddr>())
        .await
}
