//! First download of the catalog to a fresh till: head office publishes
//! `KASA_BENCH_PRODUCTS` products (default 1,000,000) with a barcode each,
//! then a fresh till pulls everything by cursor, page by page (5,000
//! changes a page, each page one transaction with its cursor). Prints wall
//! time and changes/s, the CPU time the process (head office and till)
//! spent during the download and its peak RSS. Issue 4's target: ≤ 60 s
//! for 1,000,000 products. `KASA_BENCH_BACKEND=postgres` runs head office
//! on PostgreSQL (`KASA_TEST_POSTGRES_URL`); `KASA_TIMING=1` makes the till
//! print how long it waited for pages and how long it spent applying them.
//!
//! ```sh
//! cargo bench -p kasa-tests --bench first_download
//! KASA_BENCH_PRODUCTS=100000 cargo bench -p kasa-tests --bench first_download
//! KASA_BENCH_BACKEND=postgres cargo bench -p kasa-tests --bench first_download
//! ```

#[path = "../tests/sync/support.rs"]
mod support;

use std::time::Instant;

use kasa_sync_protocol::Entity;
use kasa_terminal::sync::{self, SyncOptions};
use serde_json::json;
use support::Till;

fn main() {
    let products: usize = support::env_number("KASA_BENCH_PRODUCTS", 1_000_000);
    let (backend, office) = support::bench_head_office();
    let started = Instant::now();
    const CHUNK: usize = 50_000;
    let mut first = 0;
    while first < products {
        let last = (first + CHUNK).min(products);
        let keys: Vec<(String, String)> = (first..last)
            .map(|n| (format!("P{n:07}"), format!("29{n:010}")))
            .collect();
        let mut changes = Vec::with_capacity(keys.len() * 2);
        for (sku, _) in &keys {
            changes.push((
                Entity::Product,
                sku.as_str(),
                Some(json!({"name": format!("Product {sku} test item"), "group": "bench", "unit": "piece", "vat_class": "standard", "price": "1.99"})),
            ));
        }
        for (sku, code) in &keys {
            changes.push((Entity::Barcode, code.as_str(), Some(json!({"sku": sku}))));
        }
        office.publish(changes);
        first = last;
    }
    let publishing = started.elapsed();
    let mut till = Till::new("S001", "T01");
    till.enrol(&office);
    let started = Instant::now();
    let cpu_before = process_cpu_ms();
    let report = sync::sync_round(
        till.store(),
        &SyncOptions {
            page_limit: kasa_sync_protocol::limits::MAX_PAGE_CHANGES,
            ..SyncOptions::default()
        },
    )
    .unwrap();
    let wall = started.elapsed();
    let cpu_ms = process_cpu_ms().saturating_sub(cpu_before);
    assert_eq!(report.changes, 2 * products as u64, "everything arrived");
    let ms = wall.as_millis().max(1);
    println!(
        "first_download backend={backend:?} products={products} changes={} pages={} wall_ms={ms} changes_per_s={} process_cpu_ms={cpu_ms} peak_rss_mb={} (publishing took {} ms)",
        report.changes,
        report.pages,
        u128::from(report.changes) * 1000 / ms,
        peak_rss_kib() / 1024,
        publishing.as_millis()
    );
}

/// User + system CPU time of this process so far (Linux `/proc`, 100 ticks/s).
fn process_cpu_ms() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // fields after the ")" closing the command name: state is field 3, utime 14, stime 15
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<u64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|f| f.parse().ok())
        .collect();
    fields.iter().sum::<u64>() * 10
}

/// Peak resident set of this process (head office and till together), KiB.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}
