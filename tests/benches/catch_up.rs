//! Catch-up after days offline: a till with `KASA_BENCH_SALES` real sales
//! (default 18,000 = 30 days × 600) syncs them all to head office over
//! loopback in one round. Prints wall time and records/s. Head office runs
//! on SQLite, or on PostgreSQL with `KASA_BENCH_BACKEND=postgres` and
//! `KASA_TEST_POSTGRES_URL` set.
//!
//! The sales are shaped like a supermarket's: 1–17 distinct products per
//! sale (9 on average) out of a 240-product catalog, paid cash or by card.
//! Each sale becomes 11 wire records on average (its document, one stock
//! movement per line, its journal entry), so 18,000 sales are ~198,000
//! records. Selling runs with `synchronous=OFF` to keep the setup short
//! (each sale's wire records are cut in its own transaction, as on a real
//! till); the till's file is then checkpointed and synced, as days-old
//! sales would be, and the round runs with the till's normal
//! `synchronous=FULL`.
//!
//! `KASA_BENCH_EXPORT=FILE` writes every record the round sent as JSON lines
//! (`_id` = record id, then seq, kind, document_type, created_at, payload) —
//! the input of the PouchDB comparison (`scripts/bench-pouchdb.sh`).
//!
//! ```sh
//! cargo bench -p kasa-tests --bench catch_up
//! KASA_BENCH_SALES=18000 KASA_BENCH_BACKEND=postgres cargo bench -p kasa-tests --bench catch_up
//! ```

#[path = "../tests/sync/support.rs"]
mod support;

use std::io::Write as _;
use std::time::Instant;

use chrono::Utc;
use kasa_terminal::sale::script::{SaleScript, ScriptPeople, run_sale_script_as};
use kasa_terminal::sync::{self, SyncOptions};
use serde_json::json;
use support::Till;

/// Products in the bench catalog.
const PRODUCTS: usize = 240;
/// Distinct sale shapes (a multiple of 17 line counts and 2 tenders).
const SHAPES: usize = 68;

fn catalog_csv() -> String {
    let mut csv = String::from(
        "sku,name,group,brand,unit,vat_class,price,cost,barcodes,plu,status,tracks_batches,markup_percent\n",
    );
    for i in 0..PRODUCTS {
        let cents = 59 + (i * 37) % 2_400;
        let vat = if i % 5 == 0 { "reduced" } else { "standard" };
        csv.push_str(&format!(
            "P{i:04},Продукт {i},Група {},,piece,{vat},{}.{:02},0.40,,,ACTIVE,false,\n",
            i % 12,
            cents / 100,
            cents % 100
        ));
    }
    csv
}

/// Sale `k`: 1 + (5k mod 17) distinct products (9 on average over 17 sales).
fn sale_shape(k: usize) -> SaleScript {
    let count = 1 + (k * 5) % 17;
    let lines: Vec<_> = (0..count)
        .map(|i| {
            json!({
                "sku": format!("P{:04}", (k * 31 + i * 7) % PRODUCTS),
                "qty": format!("{}", 1 + (k + i) % 3),
            })
        })
        .collect();
    let tender = if k.is_multiple_of(2) { "cash" } else { "card" };
    serde_json::from_value(
        json!({"cashier_pin": "1111", "lines": lines, "tenders": [{"kind": tender}]}),
    )
    .unwrap()
}

fn export_records(till: &mut Till, path: &str) -> u64 {
    let conn = till.store().conn();
    let last = sync::series::last_seq(conn).unwrap();
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut first = 1;
    while first <= last {
        let through = last.min(first + 3_999);
        let batch = sync::series::load_batch(
            conn,
            kasa_sync_protocol::ProtocolVersion::CURRENT,
            "T01",
            "S001",
            first,
            through,
        )
        .unwrap();
        for record in batch.records {
            let doc = json!({
                "_id": record.id.to_string(),
                "seq": record.seq,
                "kind": record.kind,
                "document_type": record.document_type,
                "created_at": record
                    .created_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                "payload": serde_json::from_str::<serde_json::Value>(record.payload.get()).unwrap(),
            });
            serde_json::to_writer(&mut out, &doc).unwrap();
            out.write_all(b"\n").unwrap();
        }
        first = through + 1;
    }
    out.flush().unwrap();
    last
}

/// Per thread name: (ms on a CPU, ms runnable but waiting for one), from
/// Linux's schedstat (empty elsewhere) — says whether a slow round was CPU
/// work, CPU starvation by other load, or waiting (disk, the other side).
fn thread_times() -> std::collections::BTreeMap<String, (u64, u64)> {
    let mut out = std::collections::BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return out;
    };
    for task in tasks.flatten() {
        let dir = task.path();
        let comm = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
        let stat = std::fs::read_to_string(dir.join("schedstat")).unwrap_or_default();
        let mut fields = stat
            .split_whitespace()
            .map(|f| f.parse::<u64>().unwrap_or(0));
        let (on_cpu, waiting) = (fields.next().unwrap_or(0), fields.next().unwrap_or(0));
        let entry: &mut (u64, u64) = out.entry(comm.trim().to_owned()).or_default();
        entry.0 += on_cpu / 1_000_000;
        entry.1 += waiting / 1_000_000;
    }
    out
}

fn main() {
    let sales: usize = support::env_number("KASA_BENCH_SALES", 18_000);
    let (backend, office) = support::bench_head_office();
    let mut till = Till::new("S001", "T01");
    kasa_terminal::catalog::import_products(till.store(), catalog_csv().as_bytes(), |_| {})
        .unwrap();
    let scripts: Vec<SaleScript> = (0..SHAPES).map(sale_shape).collect();
    let now = Utc::now().naive_utc();
    let people = ScriptPeople::resolve(till.store().conn(), &scripts[0], now).unwrap();
    let settings = till.settings.clone();
    till.store()
        .conn()
        .execute_batch("PRAGMA synchronous=OFF")
        .unwrap();
    let started = Instant::now();
    for n in 0..sales {
        run_sale_script_as(
            till.store(),
            &settings,
            &scripts[n % SHAPES],
            &people,
            Utc::now().naive_utc(),
        )
        .unwrap();
    }
    let selling = started.elapsed();
    // a mark for profilers attaching to the round alone
    eprintln!("sold {sales} sales in {} ms; syncing", selling.as_millis());
    till.store()
        .conn()
        .execute_batch("PRAGMA synchronous=FULL; PRAGMA wal_checkpoint(TRUNCATE)")
        .unwrap();
    // the sales were made days ago: their pages are on disk, not still being
    // written back by the kernel while the round is timed
    std::fs::File::open(&till.path)
        .and_then(|f| f.sync_all())
        .unwrap();
    till.enrol(&office);
    let before = thread_times();
    let started = Instant::now();
    // the round cuts the series itself; done here first only to time it apart
    loop {
        let tx = till.store().write_tx().unwrap();
        let added = sync::series::extend_series(&tx, "T01").unwrap();
        tx.commit().unwrap();
        if added == 0 {
            break;
        }
    }
    let cut = started.elapsed();
    let report = sync::sync_round(
        till.store(),
        &SyncOptions {
            upload_only: true,
            ..SyncOptions::default()
        },
    )
    .unwrap();
    let wall = started.elapsed();
    for (thread, (cpu, waiting)) in thread_times() {
        let (cpu0, waiting0) = before.get(&thread).copied().unwrap_or_default();
        if cpu > cpu0 + 10 {
            eprintln!(
                "  thread {thread}: {} ms on CPU, {} ms runnable waiting for a CPU",
                cpu - cpu0,
                waiting - waiting0
            );
        }
    }
    let records = report.applied;
    assert_eq!(report.server_acked_seq, records, "everything arrived");
    let ms = wall.as_millis().max(1);
    println!(
        "catch_up backend={backend:?} sales={sales} records={records} batches={} wall_ms={ms} records_per_s={} (cutting the series {} ms, upload {} ms; selling took {} ms)",
        report.batches,
        u128::from(records) * 1000 / ms,
        cut.as_millis(),
        (wall - cut).as_millis(),
        selling.as_millis()
    );
    if let Ok(path) = std::env::var("KASA_BENCH_EXPORT") {
        let exported = export_records(&mut till, &path);
        assert_eq!(exported, records, "every sent record exported");
        eprintln!("exported {exported} records to {path}");
    }
}
