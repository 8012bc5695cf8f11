//! Whichever side went back in time, a till's series and head office's copy
//! agree record by record: real tills (temp SQLite files, real sales) and a
//! real head office (SQLite; PostgreSQL when `KASA_TEST_POSTGRES_URL` is
//! set). A till restored from an old copy of its database, or cloned to a
//! second machine, is stopped with a stable code and nothing of it is
//! merged; it re-enrols as a new terminal and uploads its fork as that
//! terminal's series. A head office restored from a backup is refilled.

#[path = "sync/support.rs"]
mod support;

use kasa_domain::ErrorCode;
use support::{Backend, HeadOffice, Till, kasa};

/// Head office holds exactly `ids` for the terminal behind `till`'s
/// credential (SQLite: compared id by id; both: count and mark).
fn assert_holds(office: &HeadOffice, till: &Till, ids: &[(u64, String)]) {
    let last = ids.last().map_or(0, |(seq, _)| *seq);
    assert_eq!(office.held(till), (last, ids.len() as u64));
    if let Some(held) = office.record_ids(&till.enrolment().terminal_id) {
        assert_eq!(held, ids, "head office holds exactly these records");
    }
}

fn a_restored_till_is_stopped_and_re_enrols_as_a_new_terminal(backend: Backend) {
    let Some(office) = HeadOffice::start(backend) else {
        return;
    };
    let mut genuine = Till::new("S001", "T01");
    genuine.enrol(&office);
    genuine.sell(3);
    genuine.round().unwrap();
    let backup = genuine.copy();
    genuine.sell(4);
    genuine.round().unwrap();
    let genuine_ids = genuine.record_ids();

    // the old copy is put back and sells on before it syncs
    let mut restored = backup;
    let shared = restored.record_ids().len() as u64;
    restored.sell(2);
    let queued_before = restored.status().records_queued;
    let err = restored.round().unwrap_err();
    assert_eq!(err.code(), "sync.series_diverged", "{err}");
    assert!(
        err.to_string().contains(&format!("seq {}", shared + 1)),
        "{err}"
    );

    // nothing merged: head office holds the genuine series, the till keeps everything
    assert_holds(&office, &genuine, &genuine_ids);
    assert_eq!(office.stock("S001"), genuine.movements());
    let status = restored.status();
    assert_eq!(
        status.records_queued, queued_before,
        "nothing marked synced"
    );
    let fork = status.fork.clone().expect("the fork is recorded");
    assert_eq!(
        (fork.code.as_str(), fork.first_divergent_seq),
        ("sync.series_diverged", shared + 1)
    );
    // head office saw the fork: the terminal is marked, the records kept apart
    let terminal = office
        .terminal_statuses()
        .into_iter()
        .find(|t| t.terminal_id == "T01")
        .unwrap();
    let marked = terminal
        .fork
        .expect("head office marks the terminal forked");
    assert_eq!(marked.first_conflict_seq, shared + 1);
    assert!(marked.kept_apart > 0);
    // every later round says so and sends nothing
    let again = restored.round().unwrap_err();
    assert_eq!(again.code(), "sync.series_diverged", "{again}");
    assert_eq!(kasa(&restored, &["sync", "status"]), 0);
    // the genuine till goes on
    genuine.sell(1);
    genuine.round().unwrap();
    support::assert_series_delivered(&office, &genuine);

    // recovery: a new code, a new terminal id; the fork becomes its series
    let code = office.code("S001");
    let forked_ids = restored.record_ids();
    let done =
        kasa_terminal::sync::reenrol(restored.store(), &office.url(), &code, "T01B").unwrap();
    assert_eq!(
        (done.archived_records, done.records_to_upload),
        (shared, forked_ids.len() as u64 - shared)
    );
    assert!(restored.status().fork.is_none());
    let report = restored.round().unwrap();
    assert_eq!(report.applied, forked_ids.len() as u64 - shared);
    let renumbered: Vec<(u64, String)> = forked_ids[shared as usize..]
        .iter()
        .enumerate()
        .map(|(i, (_, id))| (i as u64 + 1, id.clone()))
        .collect();
    assert_eq!(restored.record_ids(), renumbered);
    assert_holds(&office, &restored, &renumbered);
    // new sales go up as T01B's; T01 at head office is unchanged
    restored.sell(1);
    restored.round().unwrap();
    assert_eq!(restored.status().records_queued, 0);
    support::assert_series_delivered(&office, &genuine);
    // both tills' stock reaches head office exactly once
    let mut expected = genuine.movements();
    let fork_only = movements_after(&restored, shared);
    for (sku, qty) in fork_only {
        *expected.entry(sku).or_default() += qty;
    }
    expected.retain(|_, q| !q.is_zero());
    assert_eq!(office.stock("S001"), expected);
}

/// Σ qty per SKU of the stock-movement records in the till's series (the
/// records it uploads as its own; what head office had before is archived).
fn movements_after(
    till: &Till,
    _shared: u64,
) -> std::collections::BTreeMap<String, rust_decimal::Decimal> {
    let conn = till.store.as_ref().unwrap().conn();
    let last = kasa_terminal::sync::series::last_seq(conn).unwrap();
    let mut out = std::collections::BTreeMap::new();
    for record in kasa_terminal::sync::series::load_records(conn, "", 1, last).unwrap() {
        if record.kind != kasa_sync_protocol::RecordKind::StockMovement {
            continue;
        }
        let sku = record.payload["sku"].as_str().unwrap().to_owned();
        let qty: rust_decimal::Decimal = record.payload["qty"].as_str().unwrap().parse().unwrap();
        *out.entry(sku).or_default() += qty;
    }
    out
}

#[test]
fn a_restored_till_is_stopped_and_re_enrols_as_a_new_terminal_sqlite() {
    a_restored_till_is_stopped_and_re_enrols_as_a_new_terminal(Backend::Sqlite);
}

#[test]
fn a_restored_till_is_stopped_and_re_enrols_as_a_new_terminal_postgres() {
    a_restored_till_is_stopped_and_re_enrols_as_a_new_terminal(Backend::Postgres);
}

fn a_cloned_till_is_detected_whichever_syncs_first(backend: Backend) {
    let Some(office) = HeadOffice::start(backend) else {
        return;
    };
    let mut first = Till::new("S001", "T01");
    first.enrol(&office);
    first.sell(2);
    first.round().unwrap();
    let mut clone = first.copy();
    // both sell on; the clone syncs first and head office takes its records
    first.sell(2);
    clone.sell(3);
    clone.round().unwrap();
    let clone_ids = clone.record_ids();
    let err = first.round().unwrap_err();
    assert_eq!(err.code(), "sync.series_diverged", "{err}");
    assert_holds(&office, &clone, &clone_ids);
    assert!(first.status().fork.is_some());
    // the clone goes on; the other is stopped for good
    clone.sell(1);
    clone.round().unwrap();
    support::assert_series_delivered(&office, &clone);
    assert_eq!(first.round().unwrap_err().code(), "sync.series_diverged");
}

#[test]
fn a_cloned_till_is_detected_whichever_syncs_first_sqlite() {
    a_cloned_till_is_detected_whichever_syncs_first(Backend::Sqlite);
}

#[test]
fn a_cloned_till_is_detected_whichever_syncs_first_postgres() {
    a_cloned_till_is_detected_whichever_syncs_first(Backend::Postgres);
}

#[test]
fn a_till_restored_without_new_sales_is_stopped_as_server_ahead() {
    let office = HeadOffice::start(Backend::Sqlite).unwrap();
    let mut till = Till::new("S001", "T01");
    till.enrol(&office);
    till.sell(2);
    till.round().unwrap();
    let mut restored = till.copy();
    till.sell(2);
    till.round().unwrap();
    let err = restored.round().unwrap_err();
    assert_eq!(err.code(), "sync.server_ahead", "{err}");
    let fork = restored.status().fork.unwrap();
    assert_eq!(
        fork.first_divergent_seq,
        restored.record_ids().len() as u64 + 1
    );
    // a sale rung now would reuse a sequence head office holds: still stopped
    restored.sell(1);
    assert_eq!(restored.round().unwrap_err().code(), "sync.server_ahead");
    // re-enrolled, the new sale is the new terminal's first record run
    let code = office.code("S001");
    let done =
        kasa_terminal::sync::reenrol(restored.store(), &office.url(), &code, "T01R").unwrap();
    assert_eq!(done.records_to_upload, restored.record_ids().len() as u64);
    restored.round().unwrap();
    assert_eq!(restored.status().records_queued, 0);
    // re-enrolling a till that is not forked is refused
    let code = office.code("S001");
    let refused =
        kasa_terminal::sync::reenrol(till.store(), &office.url(), &code, "T01C").unwrap_err();
    assert_eq!(refused.code(), "sync.not_forked");
}

#[test]
fn head_office_restored_from_a_backup_is_refilled_by_the_till() {
    let mut office = HeadOffice::start(Backend::Sqlite).unwrap();
    let mut till = Till::new("S001", "T01");
    till.enrol(&office);
    till.sell(3);
    till.round().unwrap();
    let backup = office.backup().unwrap();
    let held_in_backup = office.held(&till).0;
    till.sell(3);
    till.round().unwrap();
    let last = till.record_ids().len() as u64;

    office.restore(&backup);
    kasa_terminal::sync::set_server_url(till.store(), &office.url()).unwrap();
    assert_eq!(office.held(&till).0, held_in_backup);
    let report = till.round().unwrap();
    assert_eq!(report.refilled, last - held_in_backup);
    assert_eq!(report.applied, last - held_in_backup);
    support::assert_till_delivered_once(&office, &till);
    let status = till.status();
    assert_eq!(status.refilled_records, last - held_in_backup);
    assert!(status.refilled_at.is_some() && status.fork.is_none());
}

/// Seeded rounds of sales and syncs through a lossy network, with restored
/// backups of tills, cloned tills and (SQLite) head office restored from a
/// backup thrown in: at the end head office holds each genuine till's
/// series exactly once, and every restored or cloned copy that sold on was
/// stopped at its first round. `KASA_FORK_SOAK_ROUNDS` sets the rounds per
/// seed (BENCHMARKS.md has the soak's figures).
fn fork_soak(backend: Backend, seed: u64, rounds: usize) {
    use kasa_terminal::sync::{self, SyncOptions};
    use kasa_tests::fault_proxy::{FaultPlan, FaultProxy};
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    let Some(mut office) = HeadOffice::start(backend) else {
        return;
    };
    let lossy = FaultPlan {
        seed,
        ..FaultPlan::lossy()
    };
    let mut proxy = office
        .rt
        .block_on(FaultProxy::start(office.addr, lossy))
        .unwrap();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut tills = [Till::new("S001", "F01"), Till::new("S002", "F02")];
    let mut backups: [Vec<Till>; 2] = [Vec::new(), Vec::new()];
    let mut office_backup = None;
    let options = SyncOptions {
        max_batch_records: 8,
        ..SyncOptions::default()
    };
    for till in tills.iter_mut() {
        till.enrol(&office);
        sync::set_server_url(till.store(), &format!("http://{}", proxy.addr())).unwrap();
    }
    let (mut forks_made, mut forks_stopped, mut refills) = (0, 0, 0);
    // one round on a clean network: what a till's next real round decides
    let clean_round = |till: &mut Till, proxy: &FaultProxy| {
        proxy.set_plan(FaultPlan::clean());
        let result = till.round_with(&options);
        proxy.set_plan(lossy);
        result
    };
    for step in 0..rounds {
        let i = rng.random_range(0..tills.len());
        match rng.random_range(0..20) {
            0..=13 => {
                tills[i].sell(rng.random_range(1..4));
                if let Err(e) = tills[i].round_with(&options) {
                    assert!(e.is_transient(), "step {step}: {e} ({})", e.code());
                }
            }
            14 | 15 => backups[i].push(tills[i].copy()),
            16 | 17 => {
                // a backup put back after the genuine till synced past it, selling on
                clean_round(&mut tills[i], &proxy).unwrap();
                let last = tills[i].record_ids().len();
                let Some(backup) = backups[i].iter().find(|b| b.record_ids().len() < last) else {
                    continue;
                };
                let mut restored = backup.copy();
                restored.sell(rng.random_range(0..3));
                forks_made += 1;
                let err = clean_round(&mut restored, &proxy).unwrap_err();
                assert!(
                    ["sync.series_diverged", "sync.server_ahead"].contains(&err.code()),
                    "step {step}: {err}"
                );
                assert!(restored.status().fork.is_some());
                forks_stopped += 1;
            }
            18 => {
                // a clone that sells and syncs first: it becomes the till head office follows
                let mut clone = tills[i].copy();
                tills[i].sell(1);
                clone.sell(1);
                clean_round(&mut clone, &proxy).unwrap();
                forks_made += 1;
                let err = clean_round(&mut tills[i], &proxy).unwrap_err();
                assert_eq!(err.code(), "sync.series_diverged", "step {step}: {err}");
                forks_stopped += 1;
                tills[i] = clone;
                backups[i].clear(); // copies of the stopped till are not this slot's past
            }
            _ if backend == Backend::Sqlite => match office_backup.take() {
                None => office_backup = office.backup(),
                Some(backup) => {
                    office.restore(&backup);
                    proxy = office
                        .rt
                        .block_on(FaultProxy::start(office.addr, lossy))
                        .unwrap();
                    for till in tills.iter_mut() {
                        let url = format!("http://{}", proxy.addr());
                        sync::set_server_url(till.store(), &url).unwrap();
                        refills += clean_round(till, &proxy).unwrap().refilled;
                    }
                    // older backups of tills may now be ahead of head office: drop them
                    for list in backups.iter_mut() {
                        list.clear();
                    }
                }
            },
            _ => {}
        }
    }
    proxy.set_plan(FaultPlan::clean());
    for till in tills.iter_mut() {
        till.round_with(&options).unwrap();
        support::assert_series_delivered(&office, till);
    }
    for (till, store) in tills.iter().zip(["S001", "S002"]) {
        assert_eq!(office.stock(store), till.movements(), "stock of {store}");
    }
    assert_eq!(forks_stopped, forks_made, "every fork was stopped");
    eprintln!(
        "fork soak {backend:?} seed {seed}: {rounds} steps, {forks_made} forks stopped, {refills} records refilled"
    );
}

fn soak_rounds() -> usize {
    support::env_number("KASA_FORK_SOAK_ROUNDS", 60)
}

#[test]
fn seeded_forks_and_restores_through_a_lossy_network_sqlite() {
    for seed in [5, 17] {
        fork_soak(Backend::Sqlite, seed, soak_rounds());
    }
}

#[test]
fn seeded_forks_and_restores_through_a_lossy_network_postgres() {
    fork_soak(Backend::Postgres, 5, soak_rounds());
}
