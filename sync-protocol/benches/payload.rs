//! What reading a record with the payload contract costs head office, per
//! record, against only checking that the payload is JSON (the floor any
//! reader pays). Payloads are the frozen examples, the sale widened to 9
//! lines (the catch-up bench's average).
//!
//! ```sh
//! cargo bench -p kasa-sync-protocol --bench payload
//! ```

use criterion::{Criterion, criterion_group, criterion_main};
use kasa_sync_protocol::payload::{examples, read_record};
use serde::de::IgnoredAny;
use serde_json::Value;

fn sale_of_nine_lines() -> String {
    let mut sale = examples::all()[0].payload.clone();
    let line = sale["lines"][0].clone();
    let movement = sale["movements"][0].clone();
    sale["lines"] = Value::Array(vec![line; 9]);
    sale["movements"] = Value::Array(vec![movement; 9]);
    sale.to_string()
}

fn bench(c: &mut Criterion) {
    let all = examples::all();
    let sale = sale_of_nine_lines();
    let movement = all[3].payload.to_string();
    let journal = all[4].payload.to_string();
    let mut group = c.benchmark_group("payload");
    for (name, kind, document_type, text) in [
        ("sale_9_lines", all[0].kind, Some("sale"), &sale),
        ("stock_movement", all[3].kind, Some("sale"), &movement),
        ("journal_entry", all[4].kind, None, &journal),
    ] {
        group.bench_function(format!("{name}/read_record"), |b| {
            b.iter(|| read_record(kind, document_type, std::hint::black_box(text)).is_ok())
        });
        group.bench_function(format!("{name}/json_only"), |b| {
            b.iter(|| serde_json::from_str::<IgnoredAny>(std::hint::black_box(text)).is_ok())
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
