//! `parse_scan` throughput on a realistic mix of scans: plain EAN-13/EAN-8,
//! in-store weight and price labels, GS1-128 with and without `]C1`, and a
//! typed PLU. Run: `cargo bench -p kasa-domain --bench barcode`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kasa_domain::barcode::{BarcodeConfig, InStoreLayout, parse_scan};

fn scans() -> Vec<String> {
    let weight = InStoreLayout::weight(21)
        .encode("123", Some(1234), None)
        .expect("valid weight label");
    let price = InStoreLayout::price(25)
        .encode("42", None, Some(1299))
        .expect("valid price label");
    vec![
        "4006381333931".into(),
        "5901234123457\r\n".into(),
        "96385074".into(),
        weight,
        price,
        "]C101095011015300031726040010B12\u{1d}3103002500".into(),
        "(01)09501101530003(17)260400(10)B12".into(),
        "1234".into(),
    ]
}

fn bench_parse_scan(c: &mut Criterion) {
    let config = BarcodeConfig::common();
    let scans = scans();
    let mut group = c.benchmark_group("parse_scan");
    group.throughput(Throughput::Elements(scans.len() as u64));
    group.bench_function("mixed_8_scans", |b| {
        b.iter(|| {
            for s in &scans {
                let _ = black_box(parse_scan(black_box(s), &config));
            }
        })
    });
    group.throughput(Throughput::Elements(1));
    group.bench_function("ean13", |b| {
        b.iter(|| parse_scan(black_box("4006381333931"), &config))
    });
    group.bench_function("gs1_128", |b| {
        b.iter(|| {
            parse_scan(
                black_box("]C101095011015300031726040010B12\u{1d}3103002500"),
                &config,
            )
        })
    });
    group.finish();
}

criterion_group!(benches, bench_parse_scan);
criterion_main!(benches);
