//! Counters for `/metrics` in the Prometheus text format (0.0.4), kept by
//! hand: a few atomics and one map of request counts and latency buckets
//! per route. Routes are the matched patterns (`/sync/v1/upload`), never raw
//! paths, so the label set stays bounded.
//!
//! `/metrics` is open unless `metrics_token` is configured: the default
//! listen address is loopback, where an open scrape endpoint is the norm.
//! A server listening on a reachable address should set the token (it then
//! needs `authorization: Bearer <metrics_token>`; failures are refused with
//! `auth.missing` / `auth.invalid` and count against the failed-attempt
//! limiter like any other). The token is separate from the admin token so a
//! Prometheus scraper never holds a credential that can revoke terminals.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{AppState, bearer, rate_limited};
use crate::error::ApiError;

/// Latency bucket upper bounds, in milliseconds.
pub const BUCKETS_MS: [u64; 10] = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 5000];

#[derive(Debug, Default, Clone)]
struct RouteStats {
    by_status: BTreeMap<u16, u64>,
    buckets: [u64; BUCKETS_MS.len()],
    count: u64,
    sum_us: u64,
}

/// The server's counters.
#[derive(Debug, Default)]
pub struct Metrics {
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
    routes: Mutex<BTreeMap<(String, String), RouteStats>>,
}

impl Metrics {
    /// Note one finished request.
    pub fn observe(&self, method: &str, route: &str, status: u16, elapsed_us: u64) {
        let mut routes = self.routes.lock().unwrap_or_else(|p| p.into_inner());
        let stats = routes
            .entry((method.to_owned(), route.to_owned()))
            .or_default();
        *stats.by_status.entry(status).or_default() += 1;
        stats.count += 1;
        stats.sum_us += elapsed_us;
        for (i, bound) in BUCKETS_MS.iter().enumerate() {
            if elapsed_us <= bound * 1000 {
                stats.buckets[i] += 1;
            }
        }
    }

    /// The exposition text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let counters = [
            (
                "kasa_records_ingested_total",
                "Records stored for the first time.",
                &self.records_ingested,
            ),
            (
                "kasa_records_duplicate_total",
                "Records acknowledged as already held.",
                &self.records_duplicate,
            ),
            (
                "kasa_records_unprojected_total",
                "Records stored whose payload the projections could not read.",
                &self.records_unprojected,
            ),
            (
                "kasa_batches_refused_total",
                "Upload batches refused.",
                &self.batches_refused,
            ),
            (
                "kasa_batches_held_for_order_total",
                "Upload batches that waited for a terminal's earlier batches to be stored.",
                &self.batches_held_for_order,
            ),
            (
                "kasa_enrolments_total",
                "Terminals enrolled.",
                &self.enrolments,
            ),
            (
                "kasa_series_conflicts_total",
                "Upload batches refused because they differ from the series head office holds (restored or cloned till).",
                &self.series_conflicts,
            ),
        ];
        for (name, help, value) in counters {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                value.load(Ordering::Relaxed)
            );
        }
        let routes = self
            .routes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let _ = writeln!(
            out,
            "# HELP kasa_http_requests_total HTTP requests by route and status.\n# TYPE kasa_http_requests_total counter"
        );
        for ((method, route), stats) in &routes {
            for (status, n) in &stats.by_status {
                let _ = writeln!(
                    out,
                    "kasa_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}"
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP kasa_http_request_duration_seconds Request latency.\n# TYPE kasa_http_request_duration_seconds histogram"
        );
        for ((method, route), stats) in &routes {
            let labels = format!("method=\"{method}\",route=\"{route}\"");
            for (bound, n) in BUCKETS_MS.iter().zip(stats.buckets) {
                let _ = writeln!(
                    out,
                    "kasa_http_request_duration_seconds_bucket{{{labels},le=\"{}.{:03}\"}} {n}",
                    bound / 1000,
                    bound % 1000
                );
            }
            let _ = writeln!(
                out,
                "kasa_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                stats.count
            );
            let _ = writeln!(
                out,
                "kasa_http_request_duration_seconds_sum{{{labels}}} {}.{:06}",
                stats.sum_us / 1_000_000,
                stats.sum_us % 1_000_000
            );
            let _ = writeln!(
                out,
                "kasa_http_request_duration_seconds_count{{{labels}}} {}",
                stats.count
            );
        }
        out
    }
}

/// `GET /metrics`: the exposition text, behind `metrics_token` if set.
pub async fn exposition(
    State(state): State<std::sync::Arc<AppState>>,
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
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response())
}

/// Middleware: time every request and count it under its route.
pub async fn track(
    State(state): State<std::sync::Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    let elapsed_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    state
        .metrics
        .observe(&method, &route, response.status().as_u16(), elapsed_us);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_cumulative_buckets() {
        let metrics = Metrics::default();
        metrics.records_ingested.fetch_add(7, Ordering::Relaxed);
        metrics.observe("POST", "/sync/v1/upload", 200, 3_000);
        metrics.observe("POST", "/sync/v1/upload", 409, 700_000);
        let text = metrics.render();
        assert!(text.contains("kasa_records_ingested_total 7"), "{text}");
        assert!(text.contains(
            r#"kasa_http_requests_total{method="POST",route="/sync/v1/upload",status="409"} 1"#
        ));
        assert!(
            text.contains(r#"route="/sync/v1/upload",le="0.005"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"route="/sync/v1/upload",le="1.000"} 2"#),
            "{text}"
        );
        assert!(text.contains(
            r#"kasa_http_request_duration_seconds_count{method="POST",route="/sync/v1/upload"} 2"#
        ));
    }
}
