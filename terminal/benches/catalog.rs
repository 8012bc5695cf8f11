//! Catalog benchmarks: what a cashier and a store manager feel.
//!
//! - `import/products_100k`: import throughput of a generated 100,000-product
//!   `products.csv` (150,000 barcodes) into a fresh database (rows/s).
//! - `find_by_code/*` and `search/*`: latency on a big catalog, built once
//!   under `target/kasa-bench/` and reused by later runs (1,000,000 products
//!   with 1,500,000 barcodes by default; set `KASA_BENCH_PRODUCTS` for
//!   another size — building the 1M catalog takes about a minute).
//!
//! Besides criterion's statistics, the setup prints the big import's time,
//! rows/s and database size, and p50/p99 of 10,000 lookups per kind.
//!
//! Run: `cargo bench -p kasa-terminal --bench catalog`

// Timing statistics (seconds, rows/s, µs) are floats; no money here.
#![allow(clippy::float_arithmetic)]

use std::fs::File;
use std::hint::black_box;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use kasa_domain::barcode::BarcodeConfig;
use kasa_fixtures::{SeededRng, bulgarian_ean13, write_big_products};
use kasa_terminal::catalog::{find_by_code, import_products, search};
use kasa_terminal::store::Store;

const SEED: u64 = 1;

fn bench_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("kasa-bench")
}

fn products_wanted() -> u64 {
    std::env::var("KASA_BENCH_PRODUCTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

fn write_csv(path: &Path, products: u64) {
    let file = BufWriter::with_capacity(1 << 20, File::create(path).unwrap());
    write_big_products(file, products, products * 3 / 2, SEED).unwrap();
}

/// The big catalog database, built on first use.
fn big_catalog(products: u64) -> Store {
    let dir = bench_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join(format!("catalog-{products}.sqlite"));
    let done = dir.join(format!("catalog-{products}.done"));
    if !done.exists() {
        for stale in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{stale}", db.display()));
        }
        let csv = dir.join(format!("products-{products}.csv"));
        write_csv(&csv, products);
        let mut store = Store::open(&db).unwrap();
        let started = Instant::now();
        let report = import_products(&mut store, File::open(&csv).unwrap(), |_| {}).unwrap();
        let took = started.elapsed();
        store
            .conn()
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
            .unwrap();
        let size = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
        println!(
            "big import: {} products ({} barcodes) in {:.1} s = {:.0} rows/s; database {:.0} MB; rejected {}",
            report.inserted,
            products * 3 / 2,
            took.as_secs_f64(),
            report.inserted as f64 / took.as_secs_f64(),
            size as f64 / 1e6,
            report.rejected_total
        );
        std::fs::write(&done, format!("{took:?}\n")).unwrap();
    }
    Store::open(&db).unwrap()
}

fn percentiles(label: &str, mut samples: Vec<Duration>) {
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
    println!(
        "{label}: p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs ({} runs)",
        at(0.50).as_secs_f64() * 1e6,
        at(0.99).as_secs_f64() * 1e6,
        samples[samples.len() - 1].as_secs_f64() * 1e6,
        samples.len()
    );
}

fn import_throughput(c: &mut Criterion) {
    let dir = bench_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("products-100k.csv");
    if !csv.exists() {
        write_csv(&csv, 100_000);
    }
    let mut group = c.benchmark_group("import");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(30));
    group.throughput(Throughput::Elements(100_000));
    group.bench_function("products_100k", |b| {
        b.iter_batched(
            || {
                let tmp = tempfile::tempdir_in(&dir).unwrap();
                let store = Store::open(tmp.path().join("import.sqlite")).unwrap();
                (tmp, store)
            },
            |(tmp, mut store)| {
                let report =
                    import_products(&mut store, File::open(&csv).unwrap(), |_| {}).unwrap();
                assert_eq!(report.inserted, 100_000);
                (tmp, store)
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

fn lookups(c: &mut Criterion) {
    let products = products_wanted();
    let store = big_catalog(products);
    let conn = store.conn();
    let config = BarcodeConfig::common();
    let mut rng = SeededRng::new(99);
    let mut random_ean = move || bulgarian_ean13(100_000_000 + rng.below(products));

    let mut samples = Vec::with_capacity(10_000);
    for _ in 0..10_000 {
        let code = random_ean();
        let t = Instant::now();
        let item = find_by_code(conn, &code, &config).unwrap();
        samples.push(t.elapsed());
        assert!(item.is_some(), "{code} must resolve");
    }
    percentiles("find_by_code ean13 (random, 1 of N)", samples);
    let queries = ["хля", "сирене род", "B00123", "3801000", "ляб", "xyzzy"];
    for q in queries {
        let mut samples = Vec::with_capacity(1_000);
        for _ in 0..1_000 {
            let t = Instant::now();
            black_box(search(conn, q, 20).unwrap());
            samples.push(t.elapsed());
        }
        percentiles(&format!("search {q:?} limit 20"), samples);
    }

    let mut group = c.benchmark_group("find_by_code");
    group.bench_function("ean13", |b| {
        b.iter_batched(
            &mut random_ean,
            |code| find_by_code(conn, &code, &config).unwrap(),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("packaging_ean13", |b| {
        let code = bulgarian_ean13(600_000_000 + 7);
        b.iter(|| find_by_code(conn, black_box(&code), &config).unwrap())
    });
    group.bench_function("sku_typed", |b| {
        b.iter(|| find_by_code(conn, black_box("B0123456"), &config).unwrap())
    });
    group.finish();

    let mut group = c.benchmark_group("search");
    for q in queries {
        group.bench_function(q, |b| b.iter(|| search(conn, black_box(q), 20).unwrap()));
    }
    group.finish();
}

criterion_group!(benches, import_throughput, lookups);
criterion_main!(benches);
