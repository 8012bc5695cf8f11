//! `kasa-load` — push many terminals' records at a head office and measure
//! (`cargo run --release -p kasa-tests --bin kasa-load -- …`).
//!
//! Two questions it answers (results go to BENCHMARKS.md):
//! - catch-up: one till back after 30 offline days (≈200,000 records):
//!   `kasa-load --embedded sqlite:/tmp/hq.db --terminals 1 --records 200000`
//! - many tills at once:
//!   `kasa-load --embedded postgres://kasa@127.0.0.1:PORT/db --terminals 200 --records 1000 --batch 100`
//!
//! It creates a fresh tenant with one store per 20 terminals, enrols the
//! terminals through `/enrol`, generates each till's series (a sale = one
//! document, two stock movements and one hash-chained journal entry), then
//! all terminals upload concurrently, each its batches in order. It prints
//! wall time, records/s, request latency percentiles and checks the server's
//! acknowledgements and stock projection against what was sent.
//!
//! `--url` targets a running server (needs `--admin-token`); `--embedded`
//! starts one in-process on port 0 over the given database.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use kasa_domain::journal::{JournalDraft, JournalEntry, JournalKind};
use kasa_domain::money::Money;
use kasa_server::{AppState, ServerConfig, db};
use kasa_sync_protocol::{
    BodyEncoding, ProtocolVersion, Record, RecordKind, UploadBatch, encode_body,
};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use uuid::Uuid;

#[derive(Debug, Parser)]
#[command(
    name = "kasa-load",
    about = "Load and catch-up benchmark for kasa-server"
)]
struct Args {
    /// Base URL of a running server (http://host:port).
    #[arg(long, conflicts_with = "embedded")]
    url: Option<String>,
    /// Admin token of that server.
    /// (default: KASA_SERVER_ADMIN_TOKEN)
    #[arg(long)]
    admin_token: Option<String>,
    /// Start a server in-process over this database (sqlite:PATH or postgres://…).
    #[arg(long)]
    embedded: Option<String>,
    /// Simulated terminals.
    #[arg(long, default_value_t = 10)]
    terminals: usize,
    /// Records per terminal (rounded up to whole sales of 4 records).
    #[arg(long, default_value_t = 1000)]
    records: usize,
    /// Records per upload batch (at most the protocol's ceiling, 4000).
    #[arg(long, default_value_t = 1000)]
    batch: usize,
    /// Send bodies gzip-compressed.
    #[arg(long)]
    gzip: bool,
}

type HttpClient = Client<HttpConnector, Full<Bytes>>;

struct Target {
    base: String,
    admin: String,
    client: HttpClient,
}

impl Target {
    async fn send(
        &self,
        method: Method,
        path: &str,
        auth: &str,
        body: Vec<u8>,
        gzip: bool,
    ) -> anyhow::Result<(StatusCode, Bytes)> {
        let mut request = hyper::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header("authorization", format!("Bearer {auth}"))
            .header("content-type", "application/json");
        if gzip {
            request = request.header("content-encoding", "gzip");
        }
        let response = self
            .client
            .request(request.body(Full::new(Bytes::from(body)))?)
            .await?;
        let status = response.status();
        Ok((status, response.into_body().collect().await?.to_bytes()))
    }

    async fn admin(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        let (status, bytes) = self
            .send(
                Method::POST,
                path,
                &self.admin.clone(),
                body.to_string().into_bytes(),
                false,
            )
            .await?;
        if !status.is_success() {
            bail!("{path}: {status} {}", String::from_utf8_lossy(&bytes));
        }
        Ok(if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)?
        })
    }
}

fn series(terminal_id: &str, records: usize) -> Vec<Record> {
    let mut out = Vec::with_capacity(records + 4);
    let mut journal: Option<JournalEntry> = None;
    let start: DateTime<Utc> = DateTime::from_timestamp(1_795_252_502, 0).unwrap_or_default();
    let push = |out: &mut Vec<Record>, id, kind, document_type: Option<&str>, payload, at| {
        let seq = out.len() as u64 + 1;
        out.push(Record {
            terminal_id: terminal_id.to_owned(),
            seq,
            id,
            kind,
            document_type: document_type.map(str::to_owned),
            created_at: at,
            payload,
        });
    };
    let mut n: i64 = 0;
    while out.len() < records {
        n += 1;
        let at = start + chrono::Duration::seconds(n * 144); // 600 sales a day
        let document_id = Uuid::now_v7();
        let amount = Decimal::new(199 + (n % 50) * 10, 2);
        push(
            &mut out,
            document_id,
            RecordKind::Document,
            Some("sale"),
            json!({"number": format!("{n:010}"), "tenders": [{"kind": if n % 3 == 0 { "card" } else { "cash" }, "amount": amount.to_string()}], "total": amount.to_string()}),
            at,
        );
        for sku in ["1001", "2040"] {
            push(
                &mut out,
                Uuid::now_v7(),
                RecordKind::StockMovement,
                Some("sale"),
                json!({"document_id": document_id, "sku": sku, "qty": "-1", "location": "S"}),
                at,
            );
        }
        let entry = JournalEntry::next(
            journal.as_ref(),
            JournalDraft {
                at: at.naive_utc(),
                kind: JournalKind::Sale,
                document_id,
                document_number: format!("{n:010}"),
                amount: Money(amount),
                payload: json!({}),
            },
        );
        push(
            &mut out,
            Uuid::now_v7(),
            RecordKind::JournalEntry,
            None,
            serde_json::to_value(&entry).unwrap_or_default(),
            at,
        );
        journal = Some(entry);
    }
    out
}

fn percentile(sorted: &[u64], p: usize) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[((sorted.len() - 1) * p) / 100]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let ceiling = kasa_sync_protocol::limits::MAX_BATCH_RECORDS as usize;
    if args.batch == 0 || args.batch > ceiling {
        bail!("--batch must be 1–{ceiling} (the protocol's limit)");
    }
    let (base, admin, _server) = match (&args.url, &args.embedded) {
        (Some(url), None) => (
            url.trim_end_matches('/').to_owned(),
            args.admin_token
                .clone()
                .context("--url needs --admin-token (or KASA_SERVER_ADMIN_TOKEN)")?,
            None,
        ),
        (None, Some(spec)) => {
            let database = db::open(spec).await?;
            database.migrate().await?;
            let admin = Uuid::now_v7().simple().to_string();
            let config = ServerConfig {
                admin_token: Some(admin.clone()),
                rate_limit: kasa_server::config::RateLimitConfig {
                    burst: 100_000,
                    per_minute: 100_000,
                },
                ..ServerConfig::default()
            };
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let addr: SocketAddr = listener.local_addr()?;
            let state = AppState::new(database, config);
            let task = tokio::spawn(kasa_server::serve(listener, state, std::future::pending()));
            (format!("http://{addr}"), admin, Some(task))
        }
        _ => bail!("give either --url or --embedded"),
    };
    let target = Arc::new(Target {
        base,
        admin,
        client: Client::builder(TokioExecutor::new()).build_http(),
    });

    let tenant = format!("load{}", Utc::now().timestamp_millis());
    target
        .admin(
            "/admin/v1/tenants",
            json!({"tenant_id": tenant, "name": "kasa-load"}),
        )
        .await?;
    let stores = args.terminals.div_ceil(20);
    for s in 0..stores {
        target
            .admin(
                &format!("/admin/v1/tenants/{tenant}/stores"),
                json!({"store_id": format!("S{s:03}"), "name": "load"}),
            )
            .await?;
    }
    let mut tills = Vec::new();
    for t in 0..args.terminals {
        let store = format!("S{:03}", t / 20);
        let code = target
            .admin(
                &format!("/admin/v1/tenants/{tenant}/stores/{store}/enrolment-codes"),
                json!({}),
            )
            .await?;
        let terminal = format!("T{t:04}");
        let (status, body) = target
            .send(
                Method::POST,
                "/enrol",
                "",
                json!({"code": code["code"], "terminal_id": terminal})
                    .to_string()
                    .into_bytes(),
                false,
            )
            .await?;
        if status != StatusCode::CREATED {
            bail!(
                "enrol {terminal}: {status} {}",
                String::from_utf8_lossy(&body)
            );
        }
        let reply: Value = serde_json::from_slice(&body)?;
        tills.push((
            terminal,
            store,
            reply["credential"].as_str().unwrap_or_default().to_owned(),
        ));
    }
    eprintln!(
        "generating {} records for each of {} terminals…",
        args.records, args.terminals
    );
    let mut work = Vec::new();
    for (terminal, store, credential) in tills {
        let records = series(&terminal, args.records);
        let mut bodies = Vec::new();
        for chunk in records.chunks(args.batch) {
            let batch = UploadBatch::from_records(
                ProtocolVersion::CURRENT,
                &terminal,
                &store,
                chunk.to_vec(),
            );
            let encoding = if args.gzip {
                BodyEncoding::Gzip
            } else {
                BodyEncoding::Identity
            };
            bodies.push((encode_body(&batch, encoding)?, chunk.len() as u64));
        }
        work.push((credential, bodies, records.len() as u64));
    }
    let total_records: u64 = work.iter().map(|w| w.2).sum();
    let bytes: usize = work
        .iter()
        .flat_map(|w| w.1.iter().map(|b| b.0.len()))
        .sum();

    eprintln!(
        "uploading {total_records} records ({} MiB on the wire)…",
        bytes / (1024 * 1024)
    );
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (credential, bodies, expected) in work {
        let (target, gzip) = (target.clone(), args.gzip);
        tasks.spawn(async move {
            let mut latencies = Vec::with_capacity(bodies.len());
            let mut acked = 0u64;
            for (body, _) in bodies {
                let t0 = Instant::now();
                let (status, reply) = target
                    .send(
                        Method::POST,
                        kasa_sync_protocol::http::UPLOAD_PATH,
                        &credential,
                        body,
                        gzip,
                    )
                    .await?;
                latencies.push(u64::try_from(t0.elapsed().as_micros()).unwrap_or(u64::MAX));
                if status != StatusCode::OK {
                    bail!(
                        "upload refused: {status} {}",
                        String::from_utf8_lossy(&reply)
                    );
                }
                let ack: Value = serde_json::from_slice(&reply)?;
                acked = ack["highest_contiguous_seq"].as_u64().unwrap_or(0);
            }
            if acked != expected {
                bail!("acknowledged {acked} of {expected} records");
            }
            anyhow::Ok(latencies)
        });
    }
    let mut latencies = Vec::new();
    while let Some(done) = tasks.join_next().await {
        latencies.extend(done??);
    }
    let wall = started.elapsed();
    latencies.sort_unstable();

    let (status, stock) = target
        .send(
            Method::GET,
            &format!("/admin/v1/tenants/{tenant}/reports/stock"),
            &target.admin.clone(),
            Vec::new(),
            false,
        )
        .await?;
    let stock: Value = serde_json::from_slice(&stock).unwrap_or(Value::Null);
    let moved: Decimal = stock
        .as_array()
        .map(|rows| {
            rows.iter()
                .filter_map(|r| r["qty"].as_str()?.parse::<Decimal>().ok())
                .sum()
        })
        .unwrap_or_default();
    let expected_moved = -Decimal::from(total_records / 2);
    let wall_ms = u64::try_from(wall.as_millis()).unwrap_or(u64::MAX).max(1);
    let summary = json!({
        "terminals": args.terminals,
        "records": total_records,
        "batch": args.batch,
        "gzip": args.gzip,
        "wall_ms": wall_ms,
        "records_per_s": total_records * 1000 / wall_ms,
        "requests": latencies.len(),
        "latency_ms": {
            "p50": percentile(&latencies, 50) / 1000,
            "p90": percentile(&latencies, 90) / 1000,
            "p99": percentile(&latencies, 99) / 1000,
            "max": latencies.last().copied().unwrap_or(0) / 1000,
        },
        "stock_report_ok": status == StatusCode::OK && moved == expected_moved,
    });
    println!("{summary}");
    if moved != expected_moved {
        bail!("stock projection moved {moved}, expected {expected_moved}");
    }
    Ok(())
}
