//! Catch-up after days offline: a till with `KASA_BENCH_SALES` real sales
//! (default 18,000 = 30 days × 600) syncs them all to head office over
//! loopback in one round. Prints wall time and records/s. Head office runs
//! on SQLite, or on PostgreSQL with `KASA_BENCH_BACKEND=postgres` and
//! `KASA_TEST_POSTGRES_URL` set.
//!
//! ```sh
//! cargo bench -p kasa-tests --bench catch_up
//! KASA_BENCH_SALES=18000 KASA_BENCH_BACKEND=postgres cargo bench -p kasa-tests --bench catch_up
//! ```

#[path = "../tests/sync/support.rs"]
mod support;

use std::time::Instant;

use chrono::Utc;
use kasa_terminal::sale::script::{SaleScript, ScriptPeople, run_sale_script_as};
use kasa_terminal::sync::{self, SyncOptions};
use serde_json::json;
use support::{Backend, HeadOffice, Till};

fn main() {
    let sales: usize = std::env::var("KASA_BENCH_SALES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(18_000);
    let backend = match std::env::var("KASA_BENCH_BACKEND").as_deref() {
        Ok("postgres") => Backend::Postgres,
        _ => Backend::Sqlite,
    };
    let Some(office) = HeadOffice::start(backend) else {
        eprintln!("PostgreSQL asked for but KASA_TEST_POSTGRES_URL is unset");
        std::process::exit(2);
    };
    let mut till = Till::new("S001", "T01");
    let skus = ["BREAD", "MILK", "WINE", "BOOK"];
    let scripts: Vec<SaleScript> = (0..4)
        .map(|k| {
            let lines: Vec<_> = (0..1 + k % 3)
                .map(|i| json!({"sku": skus[(k + i) % 4], "qty": "1"}))
                .collect();
            serde_json::from_value(
                json!({"cashier_pin": "1111", "lines": lines, "tenders": [{"kind": "cash"}]}),
            )
            .unwrap()
        })
        .collect();
    let now = Utc::now().naive_utc();
    let people = ScriptPeople::resolve(till.store().conn(), &scripts[0], now).unwrap();
    let settings = till.settings.clone();
    let started = Instant::now();
    for n in 0..sales {
        run_sale_script_as(
            till.store(),
            &settings,
            &scripts[n % 4],
            &people,
            Utc::now().naive_utc(),
        )
        .unwrap();
    }
    let selling = started.elapsed();
    till.enrol(&office);
    let started = Instant::now();
    let report = sync::sync_round(
        till.store(),
        &SyncOptions {
            upload_only: true,
            ..SyncOptions::default()
        },
    )
    .unwrap();
    let wall = started.elapsed();
    let records = report.applied;
    assert_eq!(report.server_acked_seq, records, "everything arrived");
    let ms = wall.as_millis().max(1);
    println!(
        "catch_up backend={backend:?} sales={sales} records={records} batches={} wall_ms={ms} records_per_s={} (selling took {} ms)",
        report.batches,
        u128::from(records) * 1000 / ms,
        selling.as_millis()
    );
}
