//! Journal hash chain: appending entries (canonical bytes + SHA-256 + grand
//! totals) and verifying a chain, per entry. Run:
//! `cargo bench -p kasa-domain --bench journal`.

use std::hint::black_box;

use chrono::NaiveDate;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use kasa_domain::journal::{JournalDraft, JournalEntry, JournalKind, verify};
use kasa_domain::money::Money;
use rust_decimal::Decimal;
use serde_json::json;
use uuid::Uuid;

const CHAIN_LEN: u64 = 1_000;

fn draft(i: u64) -> JournalDraft {
    let at = NaiveDate::from_ymd_opt(2026, 3, 14)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .unwrap_or_default()
        + chrono::Duration::seconds(i as i64);
    JournalDraft {
        at,
        kind: if i % 10 == 9 {
            JournalKind::Return
        } else {
            JournalKind::Sale
        },
        document_id: Uuid::from_u128(u128::from(i) + 1),
        document_number: format!("{:010}", i + 1),
        amount: Money(Decimal::new(1_000 + (i as i64 % 5_000), 2)),
        payload: json!({
            "operator": "0001",
            "n18": format!("DT123456-0001-{:07}", i + 1),
            "tenders": [{"kind": "cash", "amount": "20.00"}],
            "vat": [{"class": "standard", "vat": "1.67"}],
        }),
    }
}

fn chain(len: u64) -> Vec<JournalEntry> {
    let mut out: Vec<JournalEntry> = Vec::with_capacity(len as usize);
    for i in 0..len {
        let next = JournalEntry::next(out.last(), draft(i));
        out.push(next);
    }
    out
}

fn bench_journal(c: &mut Criterion) {
    let mut group = c.benchmark_group("journal");
    group.throughput(Throughput::Elements(CHAIN_LEN));
    group.bench_function("append_1000", |b| {
        b.iter_batched(
            || (0..CHAIN_LEN).map(draft).collect::<Vec<_>>(),
            |drafts| {
                let mut last: Option<JournalEntry> = None;
                for d in drafts {
                    last = Some(JournalEntry::next(last.as_ref(), d));
                }
                black_box(last)
            },
            BatchSize::SmallInput,
        )
    });
    let entries = chain(CHAIN_LEN);
    group.bench_function("verify_1000", |b| {
        b.iter_batched(
            || entries.clone(),
            |entries| black_box(verify(entries).is_ok()),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, bench_journal);
criterion_main!(benches);
