//! Stock ledger benchmarks: what a store feels.
//!
//! - `post_movements/1000`: one transaction posting 1,000 sale movements
//!   (ledger insert + cache update + batch check) — movements per second.
//! - `post_movements/1`: one durable transaction per movement (`synchronous=FULL`):
//!   a single-line sale's stock cost.
//! - `rebuild/1M`: `kasa stock rebuild` over 1,000,000 movements
//!   (10,000 products × 100 movements).
//!
//! Run: `cargo bench -p kasa-terminal --bench stock`.

use std::hint::black_box;

use chrono::NaiveDate;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use kasa_domain::money::Money;
use kasa_domain::stock::{MovementKind, StockMovement};
use kasa_terminal::stock::movement::new_movement;
use kasa_terminal::stock::{post_movements, rebuild};
use kasa_terminal::store::Store;
use rust_decimal::Decimal;
use uuid::Uuid;

fn movements(n: usize, products: usize, start: usize) -> Vec<StockMovement> {
    let at = NaiveDate::from_ymd_opt(2026, 11, 21)
        .unwrap()
        .and_hms_opt(8, 0, 0)
        .unwrap();
    let doc = Uuid::now_v7();
    (start..start + n)
        .map(|i| {
            let receipt = i % 4 == 0;
            let (qty, kind) = if receipt {
                (Decimal::from(12), MovementKind::Receipt)
            } else {
                (Decimal::from(-3), MovementKind::Sale)
            };
            new_movement(
                &format!("SKU{:06}", i % products),
                "S001",
                None,
                qty,
                Money(Decimal::new(85 + (i % 40) as i64, 2)),
                (!receipt).then(|| Money(Decimal::new(199, 2))),
                doc,
                kind,
                at + chrono::Duration::seconds(i as i64),
            )
        })
        .collect()
}

fn bench_post(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("bench.sqlite")).unwrap();
    let mut group = c.benchmark_group("post_movements");
    let mut start = 0;
    group.throughput(Throughput::Elements(1000));
    group.bench_function("1000", |b| {
        b.iter_batched(
            || {
                start += 1000;
                movements(1000, 5_000, start)
            },
            |batch| {
                let tx = store.write_tx().unwrap();
                post_movements(&tx, black_box(&batch)).unwrap();
                tx.commit().unwrap();
            },
            BatchSize::SmallInput,
        )
    });
    group.throughput(Throughput::Elements(1));
    group.bench_function("1", |b| {
        b.iter_batched(
            || {
                start += 1;
                movements(1, 5_000, start)
            },
            |batch| {
                let tx = store.write_tx().unwrap();
                post_movements(&tx, black_box(&batch)).unwrap();
                tx.commit().unwrap();
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn bench_rebuild(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("rebuild.sqlite")).unwrap();
    let total = 1_000_000;
    let chunk = 100_000;
    for start in (0..total).step_by(chunk) {
        let tx = store.write_tx().unwrap();
        post_movements(&tx, &movements(chunk, 10_000, start)).unwrap();
        tx.commit().unwrap();
    }
    let mut group = c.benchmark_group("rebuild");
    group.sample_size(10);
    group.throughput(Throughput::Elements(total as u64));
    group.bench_function("1M", |b| {
        b.iter(|| black_box(rebuild(store.conn_mut()).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, bench_post, bench_rebuild);
criterion_main!(benches);
