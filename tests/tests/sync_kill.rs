//! The real `kasa` binary's `kasa sync now`, killed with SIGKILL at seeded
//! moments while it uploads thousands of records and pulls a few thousand
//! master-data changes from an in-process head office, over many rounds,
//! with the till selling in between; then one round is let finish. Head
//! office must hold exactly the till's records, each once, its stock
//! projection must equal the sum of the till's movements, and the till's
//! catalog must be head office's, with no page half applied.
//!
//! Kill moments alternate between two kinds: as soon as head office holds
//! a seeded number of new records (so the till dies between head office
//! applying a batch and the till noting the acknowledgement — a lost ack),
//! and after a seeded delay since the start (anywhere: opening the
//! database, cutting the wire series, a batch in flight, a master-data
//! page being applied).
//!
//! The binary is `target/<profile>/kasa` beside this test's executable
//! (`cargo test --workspace` builds it; with `-p kasa-tests` alone, run
//! `cargo build -p kasa-terminal --bin kasa` first) or `KASA_BIN`.

#[path = "sync/support.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kasa_sync_protocol::Entity;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use support::{Backend, HeadOffice, Till, assert_till_delivered_once};

const SEED: u64 = 20_261_121;
/// Kills before the round that is let finish.
const KILLS: usize = 12;
/// Sales queued before the first round (≈ 4 wire records each).
const FIRST_SALES: usize = 600;
/// Products head office publishes (three master-data pages of 1,000).
const PRODUCTS: usize = 2_500;
/// Records per upload request, so a round is many requests.
const BATCH_RECORDS: &str = "40";

fn kasa_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("KASA_BIN") {
        return bin.into();
    }
    let exe = std::env::current_exe().unwrap();
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .map(|dir| dir.join("kasa"))
        .unwrap();
    assert!(
        bin.is_file(),
        "the `kasa` binary is not at {}: run `cargo build -p kasa-terminal --bin kasa` (cargo test \
         --workspace builds it) or set KASA_BIN",
        bin.display()
    );
    bin
}

fn sync_now(till: &Till) -> Child {
    Command::new(kasa_bin())
        .arg("--db")
        .arg(&till.path)
        .args(["sync", "now", "--max-batch-records", BATCH_RECORDS])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn sigkill(child: &mut Child) {
    kill(Pid::from_raw(child.id() as i32), Signal::SIGKILL).unwrap();
    child.wait().unwrap();
}

/// The till's last wire sequence, read from its database.
fn local_last_seq(till: &Till) -> u64 {
    till.record_ids().last().map_or(0, |(seq, _)| *seq)
}

#[test]
fn sigkill_mid_sync_loses_nothing_and_applies_nothing_twice_sqlite() {
    killed_mid_sync(Backend::Sqlite);
}

#[test]
fn sigkill_mid_sync_loses_nothing_and_applies_nothing_twice_postgres() {
    killed_mid_sync(Backend::Postgres);
}

fn killed_mid_sync(backend: Backend) {
    let Some(office) = HeadOffice::start(backend) else {
        return;
    };
    let mut till = Till::new("S001", "K01");
    till.enrol(&office);
    let mut published = publish_catalog(&office, 1);
    till.sell(FIRST_SALES);
    let mut rng = StdRng::seed_from_u64(SEED);
    let mut delay_ceiling_ms: u64 = 3_000;
    let (mut lost_acks, mut mid_round) = (0, 0);
    for kill_round in 0..KILLS {
        till.sell(rng.random_range(20..=60));
        if kill_round == KILLS / 2 {
            // new prices for the whole catalog: later kills may land mid-pull
            published = publish_catalog(&office, 2);
        }
        let (held_before, _) = office.held(&till);
        let mut child = sync_now(&till);
        let started = Instant::now();
        let by_threshold = kill_round % 2 == 0;
        let threshold = held_before + rng.random_range(1..=120);
        let delay = Duration::from_millis(rng.random_range(0..=delay_ceiling_ms));
        let finished_first = loop {
            if child.try_wait().unwrap().is_some() {
                break true;
            }
            let due = if by_threshold {
                office.held(&till).0 >= threshold
            } else {
                started.elapsed() >= delay
            };
            if due {
                sigkill(&mut child);
                break false;
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        eprintln!(
            "sync_kill: round {kill_round} {} after {} ms; head office held {held_before} before",
            if finished_first { "finished" } else { "killed" },
            started.elapsed().as_millis()
        );
        if finished_first {
            // the round was quicker than the seeded moment: aim earlier next time
            delay_ceiling_ms = (started.elapsed().as_millis() as u64).max(10);
            continue;
        }
        let (held_after, count_after) = office.held(&till);
        assert_eq!(
            held_after, count_after,
            "head office holds a gapless prefix, once"
        );
        if held_after < local_last_seq(&till) {
            mid_round += 1;
            if by_threshold {
                lost_acks += 1;
            }
        }
    }
    eprintln!(
        "sync_kill: {KILLS} rounds, {mid_round} killed mid-upload ({lost_acks} right after an ack), \
         {} records at the end",
        local_last_seq(&till)
    );
    assert!(
        mid_round >= KILLS / 3 && lost_acks >= 1,
        "the kills should land mid-upload: {mid_round} of {KILLS} did, {lost_acks} right after an ack"
    );
    // the till keeps selling, then a round is let finish
    till.sell(7);
    let status = sync_now(&till).wait().unwrap();
    assert!(status.success(), "the last `kasa sync now`: {status}");
    till.restart();
    assert_till_delivered_once(&office, &till);
    let sync_status = till.status();
    assert_eq!(sync_status.master_data_version, published);
    let conn = till.store.as_ref().unwrap().conn();
    let count =
        |sql: &str| -> usize { conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap() as usize };
    assert_eq!(
        count("SELECT COUNT(*) FROM products WHERE sku LIKE 'P%'"),
        PRODUCTS,
        "the whole catalog, once"
    );
    assert_eq!(
        count(
            "SELECT COUNT(*) FROM price_tiers WHERE sku LIKE 'P%' AND kind = 'base' AND price = '2.00'"
        ),
        PRODUCTS,
        "the second prices everywhere"
    );
}

/// Publish `PRODUCTS` products at price `generation`.00; returns the last version.
fn publish_catalog(office: &HeadOffice, generation: u32) -> u64 {
    let keys: Vec<String> = (0..PRODUCTS).map(|i| format!("P{i:05}")).collect();
    office.publish(
        keys.iter()
            .enumerate()
            .map(|(i, key)| {
                let data = json!({"name": format!("Продукт {i}"), "group": "Разни", "unit": "piece",
                                  "vat_class": "standard", "price": format!("{generation}.00")});
                (Entity::Product, key.as_str(), Some(data))
            })
            .collect(),
    )
}
