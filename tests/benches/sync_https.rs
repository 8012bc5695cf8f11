//! What TLS costs a till's upload: two tills with the same `KASA_BENCH_SALES`
//! sales (default 1,000, about 4 wire records each) sync one round each to
//! the same in-process head office, one over http, one over https (rustls,
//! a private CA given to the till), in `KASA_BENCH_BATCH`-record batches
//! (default 100, so one request — and one TCP + TLS handshake, the client
//! keeps no connection — per 100 records). Prints wall time and records/s
//! of each round and their ratio.
//!
//! ```sh
//! cargo bench -p kasa-tests --bench sync_https
//! KASA_BENCH_SALES=5000 KASA_BENCH_BATCH=1000 cargo bench -p kasa-tests --bench sync_https
//! ```

#[path = "../tests/sync/support.rs"]
mod support;

use std::time::Instant;

use kasa_terminal::sync::{self, SyncOptions};
use support::{Backend, HeadOffice, TestPki, Till};

/// One round of `till` to `url`: (records, milliseconds).
fn timed_round(office: &HeadOffice, till: &mut Till, url: &str, batch: u32) -> (u64, u128) {
    let code = office.code(&till.store_id);
    sync::enrol(till.store(), url, &code).unwrap();
    let options = SyncOptions {
        max_batch_records: batch,
        upload_only: true,
        ..SyncOptions::default()
    };
    let started = Instant::now();
    let report = till.round_with(&options).unwrap();
    let ms = started.elapsed().as_millis().max(1);
    assert_eq!(report.applied, office.held(till).1);
    (report.applied, ms)
}

fn main() {
    let sales = support::env_number("KASA_BENCH_SALES", 1_000usize);
    let batch = support::env_number("KASA_BENCH_BATCH", 100u32);
    let office = HeadOffice::start(Backend::Sqlite).unwrap();
    let pki = TestPki::new("bench CA");
    let https = office.serve_tls(&pki);
    let mut plain_till = Till::new("S001", "P01");
    let mut tls_till = Till::new("S002", "P02");
    plain_till.sell(sales);
    tls_till.sell(sales);
    sync::set_ca(
        tls_till.store().conn(),
        &sync::CaCertificate::from_file(&pki.ca).unwrap(),
    )
    .unwrap();
    let (plain_records, plain_ms) = timed_round(&office, &mut plain_till, &office.url(), batch);
    let (tls_records, tls_ms) = timed_round(&office, &mut tls_till, &https.url(), batch);
    println!("sync_https: {sales} sales per till, {batch}-record batches");
    for (name, records, ms) in [
        ("http ", plain_records, plain_ms),
        ("https", tls_records, tls_ms),
    ] {
        println!(
            "  {name}: {records} records in {ms} ms = {} records/s",
            u128::from(records) * 1000 / ms
        );
    }
    println!(
        "  https / http wall time: {}.{:02}",
        tls_ms / plain_ms,
        tls_ms * 100 / plain_ms % 100
    );
}
