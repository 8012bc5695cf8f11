//! Sale benchmarks on the demo catalog (fixtures/demo), on a real file with
//! `synchronous=FULL`:
//! - `ring_up`: scan → line added (barcode lookup + pricing + VAT rate);
//! - `complete_5_line_sale`: a 5-line cash sale completed durably (document,
//!   lines, tenders, movements, journal, outbox in one transaction);
//! - `bare_durable_tx`: one single-row durable transaction on the same disk,
//!   the yardstick the sale is compared with.
//!
//! Run: `cargo bench -p kasa-terminal --bench sale`.
//!
//! On another catalog (the 1,000,000-product one): set `KASA_BENCH_DB` to a
//! till database made by `kasa init` + `kasa import products`. It is copied
//! into a temp dir first (the sales go into the copy), a bench cashier and a
//! shift are added when missing, and 5,000 sellable barcodes are sampled at
//! random across the whole catalog (not the first few pages):
//!
//! ```text
//! KASA_BENCH_DB=target/bench1m/kasa1m.sqlite cargo bench -p kasa-terminal --bench sale
//! ```

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

use chrono::Utc;
use criterion::{Criterion, criterion_group, criterion_main};
use kasa_domain::permission::Role;
use kasa_terminal::sale::{self, SaleSession, TenderRequest};
use kasa_terminal::settings::TillSettings;
use kasa_terminal::store::Store;
use kasa_terminal::test_support::TestTill;
use kasa_terminal::{shift, users};

struct Bench {
    _dir: tempfile::TempDir,
    store: Store,
    settings: TillSettings,
    cashier: users::User,
    barcodes: Vec<String>,
}

fn setup() -> Bench {
    match std::env::var_os("KASA_BENCH_DB") {
        Some(db) => setup_from(PathBuf::from(db)),
        None => setup_demo(),
    }
}

/// A copy of an existing till database (see the module docs).
fn setup_from(db: PathBuf) -> Bench {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("bench.sqlite");
    std::fs::copy(&db, &copy).unwrap_or_else(|e| panic!("KASA_BENCH_DB {}: {e}", db.display()));
    let mut store = Store::open(&copy).unwrap();
    let settings = kasa_terminal::settings::load(store.conn()).unwrap();
    let now = Utc::now().naive_utc();
    let cashier = match users::login_by_pin(store.conn(), "80808080", now) {
        Ok(u) => u,
        Err(_) => users::add_user(
            store.conn(),
            "bench",
            "Bench",
            Role::Cashier,
            "80808080",
            now,
        )
        .unwrap(),
    };
    if shift::current_shift(store.conn(), &settings)
        .unwrap()
        .is_none()
    {
        shift::open_shift(
            &mut store,
            &settings,
            &cashier,
            kasa_domain::money::Money::ZERO,
            now,
        )
        .unwrap();
    }
    let mut barcodes = Vec::new();
    {
        let mut stmt = store
            .conn()
            .prepare(
                "SELECT b.code FROM (SELECT code, sku FROM barcodes WHERE multiplier = 1
                   ORDER BY random() LIMIT 5000) b
                 JOIN products p ON p.sku = b.sku
                 WHERE p.lifecycle IN ('ACTIVE', 'PHASE_OUT')",
            )
            .unwrap();
        let rows = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap();
        for r in rows {
            barcodes.push(r.unwrap());
        }
    }
    let products: i64 = store
        .conn()
        .query_row("SELECT COUNT(*) FROM products", [], |r| r.get(0))
        .unwrap();
    eprintln!(
        "bench database {} ({products} products), {} sampled barcodes",
        db.display(),
        barcodes.len()
    );
    assert!(barcodes.len() >= 5, "the catalog has sellable barcodes");
    Bench {
        _dir: dir,
        store,
        settings,
        cashier,
        barcodes,
    }
}

/// The demo store imported into a fresh database.
fn setup_demo() -> Bench {
    let TestTill {
        store,
        settings,
        dir,
        ..
    } = TestTill::setup("S001", "T01")
        .demo_store()
        .shift_opened_by("1111", kasa_domain::money::Money::ZERO)
        .build();
    let cashier = users::login_by_pin(store.conn(), "1111", Utc::now().naive_utc()).unwrap();
    let mut barcodes = Vec::new();
    {
        let mut stmt = store
            .conn()
            .prepare("SELECT b.code FROM barcodes b JOIN products p ON p.sku = b.sku WHERE b.multiplier = 1 AND p.lifecycle IN ('ACTIVE', 'PHASE_OUT') ORDER BY b.gtin LIMIT 500")
            .unwrap();
        let rows = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap();
        for r in rows {
            barcodes.push(r.unwrap());
        }
    }
    assert!(barcodes.len() >= 5, "the demo catalog has barcodes");
    Bench {
        _dir: dir,
        store,
        settings,
        cashier,
        barcodes,
    }
}

/// p50 / p99 of `samples` runs of `f`, in microseconds (integers: the
/// workspace forbids float arithmetic).
fn percentiles(samples: usize, mut f: impl FnMut()) -> (u128, u128) {
    let mut times: Vec<u128> = (0..samples)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_nanos()
        })
        .collect();
    times.sort_unstable();
    let at = |q: usize| times[(times.len() * q / 100).min(times.len() - 1)] / 1000;
    (at(50), at(99))
}

// never inlined: `valgrind --tool=callgrind --toggle-collect='*sell_five*'`
// counts exactly these (see BENCHMARKS.md)
#[inline(never)]
fn sell_five(b: &mut Bench, i: &mut usize) {
    let now = Utc::now().naive_utc();
    let mut session =
        SaleSession::start(b.store.conn(), &b.settings, b.cashier.clone(), None, now).unwrap();
    for _ in 0..5 {
        *i = (*i + 1) % b.barcodes.len();
        session
            .ring_up(b.store.conn(), &b.settings, &b.barcodes[*i], None, now)
            .unwrap();
    }
    session
        .add_tender(TenderRequest {
            kind: "card".into(),
            amount: None,
            reference: None,
        })
        .unwrap();
    black_box(sale::complete_sale(&mut b.store, &b.settings, session, now).unwrap());
}

/// Percentiles the issue asks for, printed once before criterion runs.
fn report_percentiles(b: &mut Bench) {
    let now = Utc::now().naive_utc();
    let mut i = 0usize;
    let mut session =
        SaleSession::start(b.store.conn(), &b.settings, b.cashier.clone(), None, now).unwrap();
    let (p50, p99) = percentiles(2000, || {
        i = (i + 1) % b.barcodes.len();
        if session.line_count() > 200 {
            session = SaleSession::start(b.store.conn(), &b.settings, b.cashier.clone(), None, now)
                .unwrap();
        }
        black_box(
            session
                .ring_up(b.store.conn(), &b.settings, &b.barcodes[i], None, now)
                .unwrap(),
        );
    });
    eprintln!("ring_up: p50 {p50} µs, p99 {p99} µs");
    let start = Instant::now();
    let written = bytes_written();
    let (s50, s99) = percentiles(300, || sell_five(b, &mut i));
    let per_second = 300 * 1_000_000_000 / start.elapsed().as_nanos().max(1);
    let sale_bytes = bytes_written().saturating_sub(written) / 300;
    let written = bytes_written();
    let (t50, t99) = percentiles(300, || bare_tx(b));
    let bare_bytes = bytes_written().saturating_sub(written) / 300;
    eprintln!(
        "5-line sale: p50 {s50} µs, p99 {s99} µs, {per_second} sales/s, {sale_bytes} bytes written; \
         bare durable tx: p50 {t50} µs, p99 {t99} µs, {bare_bytes} bytes written; \
         ratio p50 {}%, p99 {}%",
        s50 * 100 / t50.max(1),
        s99 * 100 / t99.max(1)
    );
}

/// The till's side of a catch-up: every record of the series read as
/// upload batches of 4,000 (what a sync round sends), in µs per 1,000
/// records, best of 5 passes (the pages are cached after the first).
fn report_series_read(b: &Bench) {
    use kasa_sync_protocol::ProtocolVersion;
    use kasa_terminal::sync::series;
    let conn = b.store.conn();
    let last = series::last_seq(conn).unwrap();
    let best = (0..5)
        .map(|_| {
            let start = Instant::now();
            let mut first = 1;
            while first <= last {
                let through = last.min(first + 3_999);
                let batch = series::load_batch(
                    conn,
                    ProtocolVersion::CURRENT,
                    "T01",
                    "S001",
                    first,
                    through,
                )
                .unwrap();
                black_box(serde_json::to_vec(&batch).unwrap());
                first = through + 1;
            }
            start.elapsed().as_nanos()
        })
        .min()
        .unwrap_or(0);
    eprintln!(
        "series read + encoded: {last} records, {} µs per 1,000 records",
        best / u128::from(last.max(1))
    );
}

/// Bytes this process has handed to `write` so far (Linux's
/// `/proc/self/io`, 0 elsewhere): the database and WAL pages a commit writes,
/// a figure the machine's load does not move.
fn bytes_written() -> u64 {
    std::fs::read_to_string("/proc/self/io")
        .ok()
        .and_then(|io| {
            io.lines()
                .find_map(|l| l.strip_prefix("wchar: ").map(str::to_owned))
        })
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

/// One single-row durable transaction (the yardstick).
#[inline(never)]
fn bare_tx(b: &mut Bench) {
    let tx = b.store.write_tx().unwrap();
    tx.execute("INSERT INTO bench_bare (v) VALUES ('x')", [])
        .unwrap();
    tx.commit().unwrap();
}

fn benches(c: &mut Criterion) {
    let mut b = setup();
    b.store
        .conn()
        .execute_batch("CREATE TABLE IF NOT EXISTS bench_bare (id INTEGER PRIMARY KEY, v TEXT)")
        .unwrap();
    report_percentiles(&mut b);
    report_series_read(&b);
    let mut i = 0usize;

    c.bench_function("ring_up", |bench| {
        let now = Utc::now().naive_utc();
        let mut session =
            SaleSession::start(b.store.conn(), &b.settings, b.cashier.clone(), None, now).unwrap();
        bench.iter(|| {
            i = (i + 1) % b.barcodes.len();
            if session.line_count() > 200 {
                session =
                    SaleSession::start(b.store.conn(), &b.settings, b.cashier.clone(), None, now)
                        .unwrap();
            }
            black_box(
                session
                    .ring_up(b.store.conn(), &b.settings, &b.barcodes[i], None, now)
                    .unwrap(),
            );
        });
    });

    let mut group = c.benchmark_group("durable");
    group.sample_size(30);
    group.bench_function("complete_5_line_sale", |bench| {
        bench.iter(|| sell_five(&mut b, &mut i));
    });
    group.bench_function("bare_durable_tx", |bench| {
        bench.iter(|| bare_tx(&mut b));
    });
    group.finish();
}

criterion_group!(sale_benches, benches);
criterion_main!(sale_benches);
