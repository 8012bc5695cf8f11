//! First download of the catalog to a fresh till: head office publishes
//! `KASA_BENCH_PRODUCTS` products (default 1,000,000) with a barcode each,
//! then a fresh till pulls everything by cursor, page by page (5,000
//! changes a page, each page one transaction with its cursor). Prints wall
//! time and changes/s. Issue 4's target: ≤ 60 s for 1,000,000 products.
//!
//! ```sh
//! cargo bench -p kasa-tests --bench first_download
//! KASA_BENCH_PRODUCTS=100000 cargo bench -p kasa-tests --bench first_download
//! ```

#[path = "../tests/sync/support.rs"]
mod support;

use std::time::Instant;

use kasa_sync_protocol::Entity;
use kasa_terminal::sync::{self, SyncOptions};
use serde_json::json;
use support::{Backend, HeadOffice, Till};

fn main() {
    let products: usize = std::env::var("KASA_BENCH_PRODUCTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let backend = match std::env::var("KASA_BENCH_BACKEND").as_deref() {
        Ok("postgres") => Backend::Postgres,
        _ => Backend::Sqlite,
    };
    let Some(office) = HeadOffice::start(backend) else {
        eprintln!("PostgreSQL asked for but KASA_TEST_POSTGRES_URL is unset");
        std::process::exit(2);
    };
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
    let report = sync::sync_round(
        till.store(),
        &SyncOptions {
            page_limit: kasa_sync_protocol::limits::MAX_PAGE_CHANGES,
            ..SyncOptions::default()
        },
    )
    .unwrap();
    let wall = started.elapsed();
    assert_eq!(report.changes, 2 * products as u64, "everything arrived");
    let ms = wall.as_millis().max(1);
    println!(
        "first_download backend={backend:?} products={products} changes={} pages={} wall_ms={ms} changes_per_s={} (publishing took {} ms)",
        report.changes,
        report.pages,
        u128::from(report.changes) * 1000 / ms,
        publishing.as_millis()
    );
}
