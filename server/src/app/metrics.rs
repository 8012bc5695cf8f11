//! `/metrics` in the OpenMetrics text format, encoded by `prometheus-client`.
//!
//! - Ingest counters (`kasa_records_ingested_total`, …): plain atomics the
//!   handlers add to, read by a collector at each scrape.
//! - Requests per route and status (`kasa_http_requests_total`) and their
//!   latency (`kasa_http_request_duration_seconds`). Routes are the matched
//!   patterns (`/sync/v1/upload`), never raw paths, so the label set stays
//!   bounded.
//! - Per terminal (labels `tenant`, `store`, `terminal`), read from the
//!   database at each scrape so a restarted server still sees a till that
//!   has gone quiet: `kasa_terminal_last_seen_age_seconds` (since its last
//!   authenticated request, or its enrolment), `kasa_terminal_last_record_age_seconds`
//!   (since the till wrote the newest record head office holds) and
//!   `kasa_terminal_held_through` (highest contiguous sequence held). Alert
//!   on a silent till with e.g. `kasa_terminal_last_seen_age_seconds > 900`.
//!
//! `/metrics` is open unless `metrics_token` is configured: the default
//! listen address is loopback, where an open scrape endpoint is the norm.
//! A server listening on a reachable address should set the token (it then
//! needs `authorization: Bearer <metrics_token>`; failures are refused with
//! `auth.missing` / `auth.invalid` and count against the failed-attempt
//! limiter like any other). The token is separate from the admin token so a
//! Prometheus scraper never holds a credential that can revoke terminals.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeLabelSet, EncodeMetric, text as openmetrics,
};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

use super::{AppState, bearer, rate_limited};
use crate::db::{Database, TerminalRow};
use crate::error::ApiError;

/// Latency bucket upper bounds, in seconds.
pub const BUCKETS_SECONDS: [f64; 10] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];

/// The exposition's content type (OpenMetrics 1.0 text).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Longest wait for the per-terminal rows; past it the scrape answers
/// without them (and logs why) rather than hanging the scraper.
const TERMINAL_ROWS_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TerminalLabels {
    tenant: String,
    store: String,
    terminal: String,
}

type LatencyFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    Histogram::new(BUCKETS_SECONDS)
}

/// The ingest counters, added to by the handlers.
#[derive(Debug, Default)]
pub struct IngestCounters {
    /// Records stored (first time).
    pub records_ingested: AtomicU64,
    /// Records acknowledged as already held.
    pub records_duplicate: AtomicU64,
    /// Records stored whose payload projections could not read.
    pub records_unprojected: AtomicU64,
    /// Batches refused (any code).
    pub batches_refused: AtomicU64,
    /// Batches that waited for the batches before them (see `upload_order`).
    pub batches_held_for_order: AtomicU64,
    /// Terminals enrolled.
    pub enrolments: AtomicU64,
    /// Upload batches that conflicted with a terminal's held series (a
    /// restored or cloned till).
    pub series_conflicts: AtomicU64,
}

impl Collector for IngestCounters {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let counters = [
            (
                "kasa_records_ingested",
                "Records stored for the first time.",
                &self.records_ingested,
            ),
            (
                "kasa_records_duplicate",
                "Records acknowledged as already held.",
                &self.records_duplicate,
            ),
            (
                "kasa_records_unprojected",
                "Records stored whose payload the projections could not read.",
                &self.records_unprojected,
            ),
            (
                "kasa_batches_refused",
                "Upload batches refused.",
                &self.batches_refused,
            ),
            (
                "kasa_batches_held_for_order",
                "Upload batches that waited for a terminal's earlier batches to be stored.",
                &self.batches_held_for_order,
            ),
            ("kasa_enrolments", "Terminals enrolled.", &self.enrolments),
            (
                "kasa_series_conflicts",
                "Upload batches refused because they differ from the series head office holds (restored or cloned till).",
                &self.series_conflicts,
            ),
        ];
        for (name, help, value) in counters {
            let counter = ConstCounter::new(value.load(Ordering::Relaxed));
            let metric = encoder.encode_descriptor(name, help, None, counter.metric_type())?;
            counter.encode(metric)?;
        }
        Ok(())
    }
}

/// The server's metrics.
#[derive(Debug)]
pub struct Metrics {
    /// What ingest counts.
    pub ingest: Arc<IngestCounters>,
    requests: Family<RequestLabels, Counter>,
    latency: LatencyFamily,
    registry: Registry,
}

impl Default for Metrics {
    fn default() -> Self {
        let ingest = Arc::new(IngestCounters::default());
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = LatencyFamily::new_with_constructor(latency_histogram);
        let mut registry = Registry::default();
        registry.register_collector(Box::new(ingest.clone()));
        registry.register(
            "kasa_http_requests",
            "HTTP requests by route and status",
            requests.clone(),
        );
        registry.register_with_unit(
            "kasa_http_request_duration",
            "Request latency",
            Unit::Seconds,
            latency.clone(),
        );
        Self {
            ingest,
            requests,
            latency,
            registry,
        }
    }
}

/// The handlers add to the counters as `state.metrics.records_ingested`.
impl std::ops::Deref for Metrics {
    type Target = IngestCounters;

    fn deref(&self) -> &IngestCounters {
        &self.ingest
    }
}

impl Metrics {
    /// Note one finished request.
    pub fn observe(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                method: method.to_owned(),
                route: route.to_owned(),
            })
            .observe(elapsed.as_secs_f64());
    }

    /// The exposition text, with the per-terminal gauges of `terminals`
    /// (tenant id and row) as of `now_ms`.
    pub fn render(&self, terminals: &[(String, TerminalRow)], now_ms: i64) -> String {
        let mut out = String::new();
        // writing to a String cannot fail
        let _ = openmetrics::encode_registry(&mut out, &self.registry);
        let _ = openmetrics::encode_registry(&mut out, &terminal_registry(terminals, now_ms));
        let _ = openmetrics::encode_eof(&mut out);
        out
    }
}

/// Whole seconds from `then_ms` to `now_ms` (0 for a clock ahead of ours).
fn age_seconds(then_ms: i64, now_ms: i64) -> i64 {
    now_ms.saturating_sub(then_ms).max(0) / 1000
}

fn terminal_registry(terminals: &[(String, TerminalRow)], now_ms: i64) -> Registry {
    let last_seen = Family::<TerminalLabels, Gauge>::default();
    let last_record = Family::<TerminalLabels, Gauge>::default();
    let held_through = Family::<TerminalLabels, Gauge>::default();
    for (tenant, row) in terminals {
        let labels = TerminalLabels {
            tenant: tenant.clone(),
            store: row.store_id.clone(),
            terminal: row.terminal_id.clone(),
        };
        let seen = row.last_seen_ms.unwrap_or(row.enrolled_at_ms);
        last_seen
            .get_or_create(&labels)
            .set(age_seconds(seen, now_ms));
        if let Some(newest) = row.newest_record_ms {
            last_record
                .get_or_create(&labels)
                .set(age_seconds(newest, now_ms));
        }
        held_through
            .get_or_create(&labels)
            .set(i64::try_from(row.held_through).unwrap_or(i64::MAX));
    }
    let mut registry = Registry::default();
    registry.register_with_unit(
        "kasa_terminal_last_seen_age",
        "Time since the terminal's last authenticated request (or its enrolment)",
        Unit::Seconds,
        last_seen,
    );
    registry.register_with_unit(
        "kasa_terminal_last_record_age",
        "Time since the terminal wrote the newest record head office holds (terminal clock)",
        Unit::Seconds,
        last_record,
    );
    registry.register(
        "kasa_terminal_held_through",
        "Highest contiguous sequence of the terminal's series head office holds",
        held_through,
    );
    registry
}

/// Every terminal of every tenant, or none (logged) when the database does
/// not answer in time.
async fn terminal_rows(db: &dyn Database) -> Vec<(String, TerminalRow)> {
    let read = async {
        let mut all = Vec::new();
        for tenant in db.tenant_ids().await? {
            for row in db.terminals(&tenant).await? {
                all.push((tenant.clone(), row));
            }
        }
        Ok::<_, crate::db::DbError>(all)
    };
    match tokio::time::timeout(TERMINAL_ROWS_TIMEOUT, read).await {
        Ok(Ok(rows)) => rows,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "metrics: per-terminal gauges left out");
            Vec::new()
        }
        Err(_) => {
            tracing::warn!("metrics: per-terminal gauges left out (database too slow)");
            Vec::new()
        }
    }
}

/// `GET /metrics`: the exposition text, behind `metrics_token` if set.
pub async fn exposition(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(expected) = state.config.metrics_token.as_deref() {
        let now = Instant::now();
        if state.limiter.is_blocked(peer.ip(), now) {
            return Err(rate_limited());
        }
        let refusal = match bearer(&headers) {
            Some(token) if crate::credential::same_secret(token, expected) => None,
            Some(_) => Some((
                "auth.invalid",
                "metrics token is wrong: send authorization: Bearer <metrics_token from the server config>",
            )),
            None => Some((
                "auth.missing",
                "this server protects /metrics: send authorization: Bearer <metrics_token from the server config>",
            )),
        };
        if let Some((code, message)) = refusal {
            state.limiter.charge(peer.ip(), now);
            return Err(ApiError::new(StatusCode::UNAUTHORIZED, code, message));
        }
    }
    let terminals = terminal_rows(state.db.as_ref()).await;
    Ok((
        [(header::CONTENT_TYPE, CONTENT_TYPE)],
        state.metrics.render(&terminals, super::now_ms()),
    )
        .into_response())
}

/// Middleware: time every request and count it under its route.
pub async fn track(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    state.metrics.observe(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(
        terminal: &str,
        last_seen_ms: Option<i64>,
        newest_record_ms: Option<i64>,
    ) -> TerminalRow {
        TerminalRow {
            store_id: "S001".into(),
            terminal_id: terminal.into(),
            enrolled_at_ms: 1_000,
            last_seen_ms,
            held_through: 42,
            newest_record_ms,
            fork: None,
        }
    }

    #[test]
    fn renders_counters_and_cumulative_buckets() {
        let metrics = Metrics::default();
        metrics.records_ingested.fetch_add(7, Ordering::Relaxed);
        metrics.observe("POST", "/sync/v1/upload", 200, Duration::from_millis(3));
        metrics.observe("POST", "/sync/v1/upload", 409, Duration::from_millis(700));
        let text = metrics.render(&[], 0);
        assert!(text.contains("\nkasa_records_ingested_total 7\n"), "{text}");
        assert!(
            text.contains("# TYPE kasa_records_ingested counter\n"),
            "{text}"
        );
        assert!(
            text.contains(
                r#"kasa_http_requests_total{method="POST",route="/sync/v1/upload",status="409"} 1"#
            ),
            "{text}"
        );
        assert!(
            text.contains(r#"kasa_http_request_duration_seconds_bucket{le="0.005",method="POST",route="/sync/v1/upload"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"kasa_http_request_duration_seconds_bucket{le="1.0",method="POST",route="/sync/v1/upload"} 2"#),
            "{text}"
        );
        assert!(
            text.contains(
                r#"kasa_http_request_duration_seconds_count{method="POST",route="/sync/v1/upload"} 2"#
            ),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"), "{text}");
    }

    #[test]
    fn each_terminal_gets_its_ages_in_whole_seconds() {
        let metrics = Metrics::default();
        let now_ms = 1_000_000;
        let terminals = [
            (
                "acme".to_owned(),
                row("T01", Some(now_ms - 90_500), Some(now_ms - 3_600_000)),
            ),
            // never seen since enrolment, nothing uploaded, clock ahead
            ("acme".to_owned(), row("T02", None, None)),
            (
                "zeta".to_owned(),
                row("T01", Some(now_ms + 5_000), Some(now_ms)),
            ),
        ];
        let text = metrics.render(&terminals, now_ms);
        for line in [
            r#"kasa_terminal_last_seen_age_seconds{tenant="acme",store="S001",terminal="T01"} 90"#,
            r#"kasa_terminal_last_record_age_seconds{tenant="acme",store="S001",terminal="T01"} 3600"#,
            r#"kasa_terminal_last_seen_age_seconds{tenant="acme",store="S001",terminal="T02"} 999"#,
            r#"kasa_terminal_last_seen_age_seconds{tenant="zeta",store="S001",terminal="T01"} 0"#,
            r#"kasa_terminal_last_record_age_seconds{tenant="zeta",store="S001",terminal="T01"} 0"#,
            r#"kasa_terminal_held_through{tenant="acme",store="S001",terminal="T02"} 42"#,
            "# UNIT kasa_terminal_last_seen_age_seconds seconds",
        ] {
            assert!(text.contains(line), "{line} missing from\n{text}");
        }
        assert!(
            !text.contains(r#"kasa_terminal_last_record_age_seconds{tenant="acme",store="S001",terminal="T02"}"#),
            "a terminal with no record has no record age\n{text}"
        );
        assert_eq!(text.matches("# EOF").count(), 1, "{text}");
    }
}
