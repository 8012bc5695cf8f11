//! The real `kasa sell-loop` (the till ringing the same sale again and
//! again, printing each number after its commit) killed with SIGKILL at
//! seeded moments until a target number of sales is reported complete.
//! After every kill — the "restart" — and at the end:
//! - 0 lost: every number a child reported is stored;
//! - at most one sale per kill committed but not reported (killed between
//!   the commit and the print), never more;
//! - 0 partial: every sale has its 5 lines, 2 tenders, 5 stock movements,
//!   1 journal entry and 1 outbox record, and the same total;
//! - sale numbers and the outbox sequence are gapless;
//! - `kasa journal verify` and `kasa stock verify` (on-hand cache = sum of
//!   movements) pass.
//!
//! Kill moments alternate at random between "a seeded number of sales
//! after the start, then a seeded delay" (inside a sale's transaction, its
//! fsync, or the print) and "a seeded delay after the start" (opening and
//! migrating the database, logging in).
//!
//! CI runs 300 sales. The soak (figures in BENCHMARKS.md):
//! `KASA_SOAK_SALES=10000 cargo test --release -p kasa-terminal --test kill_soak -- --nocapture`;
//! `KASA_SOAK_SEED` picks another seed.

#[path = "terminal/common.rs"]
mod common;
#[path = "terminal/sell_loop.rs"]
mod sell_loop;

use std::path::Path;
use std::time::{Duration, Instant};

use common::Till;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rusqlite::Connection;
use sell_loop::{SellLoop, five_line_sale};

const DEFAULT_SALES: usize = 300;
const DEFAULT_SEED: u64 = 20_261_206;
/// Most sales a child completes before its kill; the mean is half.
const MAX_SALES_PER_KILL: usize = 60;
/// Lines, tenders, movements, journal entries and outbox records of one sale.
const SALE_SHAPE: (i64, i64, i64, i64, i64) = (5, 2, 5, 1, 1);

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// When to kill the child.
#[derive(Debug, Clone, Copy)]
enum Moment {
    /// After this many reported sales, then this many microseconds.
    AfterSales(usize, u64),
    /// This many microseconds after the start.
    AfterStart(u64),
}

impl Moment {
    fn draw(rng: &mut StdRng) -> Moment {
        if rng.random_bool(0.8) {
            Moment::AfterSales(
                rng.random_range(0..=MAX_SALES_PER_KILL),
                rng.random_range(0..5_000),
            )
        } else {
            Moment::AfterStart(rng.random_range(0..150_000))
        }
    }
}

/// What one child did before it died.
struct Round {
    reported: Vec<u64>,
    killed: bool,
}

fn run_child(till: &Till, script: &Path, count: usize, moment: Moment) -> Round {
    let mut sell = SellLoop::start(till, script, count as u64);
    let mut reported = Vec::new();
    let delay_us = match moment {
        Moment::AfterSales(sales, delay_us) => {
            while reported.len() < sales {
                match sell.numbers.recv_timeout(Duration::from_secs(60)) {
                    Ok(n) => reported.push(n),
                    // The child finished its count (or died): nothing to wait for.
                    Err(_) => break,
                }
            }
            delay_us
        }
        Moment::AfterStart(delay_us) => delay_us,
    };
    std::thread::sleep(Duration::from_micros(delay_us));
    let killed = sell.running();
    let (status, rest) = sell.kill();
    reported.extend(rest);
    if !killed {
        assert!(status.success(), "sell-loop failed on its own: {status}");
    }
    Round { reported, killed }
}

/// Sales stored, in number order: (number, total, lines, tenders,
/// movements, journal entries, outbox records).
type StoredSale = (u64, String, (i64, i64, i64, i64, i64));

fn sales_after(conn: &Connection, after: u64) -> Vec<StoredSale> {
    let mut stmt = conn
        .prepare(
            "SELECT d.number, d.total,
                (SELECT COUNT(*) FROM document_lines WHERE document_id = d.id),
                (SELECT COUNT(*) FROM document_tenders WHERE document_id = d.id),
                (SELECT COUNT(*) FROM stock_movements WHERE document_id = d.id),
                (SELECT COUNT(*) FROM journal WHERE document_id = d.id),
                (SELECT COUNT(*) FROM outbox WHERE record_id = d.id)
             FROM documents d
             WHERE d.doc_type = 'SA' AND CAST(d.number AS INTEGER) > ?1
             ORDER BY CAST(d.number AS INTEGER)",
        )
        .unwrap();
    stmt.query_map([after as i64], |r| {
        let number: String = r.get(0)?;
        Ok((
            number.parse::<u64>().unwrap(),
            r.get(1)?,
            (r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?),
        ))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

/// Check the sales stored after `after` (numbers, shape, total) and the
/// whole outbox; returns the highest sale number stored.
fn check_store(till: &Till, after: u64, total: &mut Option<String>, round: usize) -> u64 {
    let conn = till.sqlite();
    let new = sales_after(&conn, after);
    for (i, (number, sale_total, shape)) in new.iter().enumerate() {
        assert_eq!(
            *number,
            after + i as u64 + 1,
            "round {round}: sale numbers are not gapless after {after}"
        );
        assert_eq!(
            *shape, SALE_SHAPE,
            "round {round}: sale {number} is partial"
        );
        let expected = total.get_or_insert_with(|| sale_total.clone());
        assert_eq!(sale_total, expected, "round {round}: sale {number}'s total");
    }
    let (count, min, max): (i64, Option<i64>, Option<i64>) = conn
        .query_row("SELECT COUNT(*), MIN(seq), MAX(seq) FROM outbox", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!(
        (min.unwrap_or(1), max.unwrap_or(0)),
        (1, count),
        "round {round}: the outbox sequence has a gap"
    );
    for args in [["journal", "verify"], ["stock", "verify"]] {
        let out = till.run(&args);
        assert!(
            out.status.success(),
            "round {round}: kasa {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    after + new.len() as u64
}

#[test]
fn sigkill_at_seeded_moments_loses_no_sale_and_leaves_none_partial() {
    let target: usize = env_or("KASA_SOAK_SALES", DEFAULT_SALES);
    let seed: u64 = env_or("KASA_SOAK_SEED", DEFAULT_SEED);
    let mut rng = StdRng::seed_from_u64(seed);
    let till = Till::ready();
    let script = five_line_sale(&till);
    let started = Instant::now();
    let mut reported: Vec<u64> = Vec::new();
    let mut stored = 0u64;
    let mut total = None;
    let (mut kills, mut kills_at_start, mut unreported) = (0usize, 0usize, 0u64);
    let mut round = 0;
    while reported.len() < target {
        round += 1;
        let moment = Moment::draw(&mut rng);
        let done = run_child(&till, &script, target - reported.len(), moment);
        if done.killed {
            kills += 1;
            kills_at_start += usize::from(matches!(moment, Moment::AfterStart(_)));
        }
        let now_stored = check_store(&till, stored, &mut total, round);
        for n in &done.reported {
            assert!(
                *n > stored && *n <= now_stored,
                "round {round}: reported sale {n} is not among the new sales {}..={now_stored}",
                stored + 1
            );
        }
        reported.extend(&done.reported);
        // Only the sale in flight at the kill may be committed unreported.
        let extra = now_stored - stored - done.reported.len() as u64;
        assert!(
            extra <= u64::from(done.killed),
            "round {round}: {extra} sales stored but never reported"
        );
        unreported += extra;
        stored = now_stored;
    }
    let mut sorted = reported.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), reported.len(), "a number was reported twice");
    // The whole store once more, from the first sale.
    let mut whole_total = total.clone();
    assert_eq!(check_store(&till, 0, &mut whole_total, round), stored);
    eprintln!(
        "kill soak (seed {seed}): {} sales reported, {stored} stored ({unreported} committed but \
         killed before the print), {kills} SIGKILLs ({kills_at_start} during start-up), 0 lost, \
         0 partial, in {:.1} s",
        reported.len(),
        started.elapsed().as_secs_f64()
    );
}
