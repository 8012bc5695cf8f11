//! Receipt printing benchmarks.
//!
//! - `render/*`: rendering a receipt to ESC/POS bytes (receipts per second
//!   is 1 / time per iteration);
//! - `print_tcp/30_lines`: from calling `ReceiptPrinter::open` + `print()`
//!   to the last data byte arriving at the TCP printer simulator on
//!   loopback (status checks before and after included, as in production).
//!
//! Before criterion runs, a plain loop prints p50/p99/max of the print
//! latency over 500 receipts and the render rate, to stdout.
//! Run: `CARGO_TARGET_DIR=/work/main/target/drv cargo bench -p kasa-drivers --bench print`

#[path = "../tests/printing/receipts.rs"]
#[allow(dead_code)]
mod receipts;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use kasa_drivers::printer::{CodePage, PaperWidth, PrinterProfile, ReceiptPrinter, render};
use kasa_drivers::sim::tcp_printer::TcpPrinterSim;
use kasa_drivers::transport::Timeouts;

/// Prints once; returns the time from the start of the call to the last data byte at the simulator.
fn print_once(
    sim: &TcpPrinterSim,
    profile: &PrinterProfile,
    receipt: &kasa_drivers::printer::Receipt,
) -> Duration {
    let started = Instant::now();
    let mut printer = ReceiptPrinter::open(&sim.uri(), profile.clone(), Timeouts::default())
        .expect("open printer");
    printer.print(receipt).expect("print");
    // print() returns after the post-print status answer, which the
    // simulator sends only after it has taken every preceding data byte.
    let last = sim
        .last_job()
        .and_then(|j| j.last_data_at)
        .expect("simulator recorded the job");
    last.saturating_duration_since(started)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    #[allow(clippy::float_arithmetic)]
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

fn latency_report() {
    let sim = TcpPrinterSim::start().expect("simulator");
    let profile = PrinterProfile::new(PaperWidth::Mm80, CodePage::Wpc1251);
    let receipt = receipts::thirty_lines();
    for _ in 0..20 {
        print_once(&sim, &profile, &receipt);
    }
    let mut samples: Vec<Duration> = (0..500)
        .map(|_| print_once(&sim, &profile, &receipt))
        .collect();
    samples.sort();
    println!(
        "print 30-line receipt over TCP (open + status + write + last byte at simulator), n=500: p50 {:?}, p99 {:?}, max {:?}; {} bytes per receipt",
        percentile(&samples, 0.50),
        percentile(&samples, 0.99),
        samples[samples.len() - 1],
        render(&receipt, &profile).len()
    );
    // The same over one long-lived connection (a printer kept open by its owner task).
    let mut printer = ReceiptPrinter::open(&sim.uri(), profile.clone(), Timeouts::default())
        .expect("open printer");
    let mut kept: Vec<Duration> = (0..500)
        .map(|_| {
            let started = Instant::now();
            printer.print(&receipt).expect("print");
            let last = sim.last_job().and_then(|j| j.last_data_at).expect("job");
            last.saturating_duration_since(started)
        })
        .collect();
    kept.sort();
    println!(
        "print 30-line receipt over a kept-open TCP connection, n=500: p50 {:?}, p99 {:?}, max {:?}",
        percentile(&kept, 0.50),
        percentile(&kept, 0.99),
        kept[kept.len() - 1]
    );
    for (name, r) in [
        ("30-line", receipts::thirty_lines()),
        ("Bulgarian sale", receipts::bulgarian_sale()),
        ("Georgian raster", receipts::georgian_sale()),
    ] {
        let n = 2_000u32;
        let t = Instant::now();
        for _ in 0..n {
            black_box(render(black_box(&r), &profile));
        }
        let per = t.elapsed() / n;
        println!(
            "render {name} receipt (80 mm): {per:?} each, {} receipts/s",
            1_000_000_000u128 / per.as_nanos().max(1)
        );
    }
}

fn benches(c: &mut Criterion) {
    let profile = PrinterProfile::new(PaperWidth::Mm80, CodePage::Wpc1251);
    let thirty = receipts::thirty_lines();
    let sale = receipts::bulgarian_sale();
    let georgian = receipts::georgian_sale();
    let mut g = c.benchmark_group("render");
    g.bench_function("30_lines_80mm", |b| {
        b.iter(|| render(black_box(&thirty), &profile))
    });
    g.bench_function("bulgarian_sale_80mm", |b| {
        b.iter(|| render(black_box(&sale), &profile))
    });
    g.bench_function("georgian_raster_80mm", |b| {
        b.iter(|| render(black_box(&georgian), &profile))
    });
    g.finish();

    let sim = TcpPrinterSim::start().expect("simulator");
    let mut g = c.benchmark_group("print_tcp");
    g.bench_function("30_lines", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| print_once(&sim, &profile, &thirty))
                .sum()
        })
    });
    g.finish();
}

criterion_group!(print_benches, benches);

fn main() {
    latency_report();
    print_benches();
    Criterion::default().configure_from_args().final_summary();
}
