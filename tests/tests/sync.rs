//! Terminal ↔ head office: real tills (temp SQLite files, real sales through
//! `kasa_terminal`) syncing with the real server in-process on port 0 —
//! SQLite always, PostgreSQL when `KASA_TEST_POSTGRES_URL` is set (CI sets
//! it via `scripts/pg-test-cluster.sh`) — directly and through the seeded
//! fault-injecting proxy of `kasa_tests::fault_proxy`.

#[path = "sync/support.rs"]
mod support;

use kasa_domain::ErrorCode;
use kasa_sync_protocol::Entity;
use kasa_terminal::sync::{self, SyncError, SyncOptions};
use kasa_tests::fault_proxy::{FaultPlan, FaultProxy};
use serde_json::json;
use support::{Backend, HeadOffice, Till, dec, kasa};

/// Head office holds exactly each till's series once, its stock projection
/// is the sum of the tills' movements per store, every sale is counted once
/// and every till's journal verifies there.
fn assert_exactly_once(office: &HeadOffice, tills: &[&Till]) {
    for till in tills {
        support::assert_series_delivered(office, till);
        assert!(till.status().online, "{}: online", till.terminal_id);
    }
    for store in ["S001", "S002"] {
        let mut expected = std::collections::BTreeMap::new();
        let mut sales = 0;
        for till in tills.iter().filter(|t| t.store_id == store) {
            for (sku, qty) in till.movements() {
                *expected.entry(sku).or_insert(rust_decimal::Decimal::ZERO) += qty;
            }
            sales += till.count_documents("SA");
        }
        expected.retain(|_, q: &mut rust_decimal::Decimal| !q.is_zero());
        assert_eq!(office.stock(store), expected, "stock of {store}");
        // one sales row per tender kind a sale used; each sale here uses one tender
        assert_eq!(office.sale_documents(store), sales, "sales of {store}");
    }
}

fn story(backend: Backend) {
    let Some(office) = HeadOffice::start(backend) else {
        return;
    };
    let mut a = Till::new("S001", "T01");
    let mut b = Till::new("S001", "T02");
    let mut c = Till::new("S002", "T03");

    // not enrolled: a clear error, nothing lost
    a.sell(3);
    let err = a.round().unwrap_err();
    assert_eq!(err.code(), "sync.not_enrolled", "{err}");
    assert_eq!(
        a.status().documents_queued,
        4,
        "shift open + 3 sales queued"
    );

    for till in [&mut a, &mut b, &mut c] {
        till.enrol(&office);
        till.sell(5);
        let report = till.round().unwrap();
        assert!(report.applied > 0 && report.duplicates == 0, "{report:?}");
    }
    // a second enrolment is refused and keeps the credential
    let code = office.code("S001");
    let again = sync::enrol(a.store(), &office.url(), &code).unwrap_err();
    assert_eq!(again.code(), "sync.already_enrolled");

    // more sales, another round each: only the new records travel
    for till in [&mut a, &mut b, &mut c] {
        let before = till.status().server_acked_seq;
        till.sell(4);
        let report = till.round().unwrap();
        assert_eq!(report.duplicates, 0);
        assert_eq!(report.server_acked_seq, till.record_ids().len() as u64);
        assert_eq!(
            u64::from(report.applied as u32),
            report.server_acked_seq - before
        );
    }
    // nothing to send: an idle round
    let idle = a.round().unwrap();
    assert_eq!((idle.batches, idle.applied), (0, 0));
    assert!(a.count_kind("stock_movement") > 0);
    assert!(a.count_kind("journal_entry") > 0);
    assert_exactly_once(&office, &[&a, &b, &c]);
}

#[test]
fn every_document_and_movement_arrives_exactly_once_sqlite() {
    story(Backend::Sqlite);
}

#[test]
fn every_document_and_movement_arrives_exactly_once_postgres() {
    story(Backend::Postgres);
}

#[test]
fn offline_is_an_error_with_a_code_and_keeps_everything_queued() {
    let mut till = Till::new("S001", "T01");
    let office = HeadOffice::start(Backend::Sqlite).unwrap();
    till.enrol(&office);
    till.sell(2);
    let url = office.url();
    drop(office); // head office goes away
    let err = till.round().unwrap_err();
    assert_eq!(err.code(), "sync.offline", "{err}");
    assert!(err.is_transient());
    let status = till.status();
    assert!(!status.online);
    assert_eq!(status.last_error_code.as_deref(), Some("sync.offline"));
    assert_eq!(status.documents_queued, 3);
    assert!(status.records_queued >= 3);
    assert!(status.oldest_unsynced_age_seconds.is_some());
    assert!(status.last_error_message.unwrap().contains(&url));
}

#[test]
fn a_lost_ack_is_not_applied_twice() {
    let office = HeadOffice::start(Backend::Sqlite).unwrap();
    let proxy = office
        .rt
        .block_on(FaultProxy::start(office.addr, FaultPlan::clean()))
        .unwrap();
    let mut till = Till::new("S001", "T01");
    till.enrol(&office);
    sync::set_server_url(till.store(), &format!("http://{}", proxy.addr())).unwrap();
    let small = SyncOptions {
        max_batch_records: 7,
        ..SyncOptions::default()
    };
    // cut responses: sooner or later an upload is applied at head office
    // but its ack never reaches the till
    let mut lost_acks = 0;
    for seed in 0..60u64 {
        proxy.set_plan(FaultPlan {
            seed,
            cut_percent: 50,
            max_cut_bytes: 120,
            ..FaultPlan::clean()
        });
        till.sell(2);
        let before = till.status().server_acked_seq;
        let result = till.round_with(&small);
        let (held, _) = office.held(&till);
        if let Err(e) = &result {
            assert!(e.is_transient(), "{e}");
            if held > till.status().server_acked_seq.max(before) {
                lost_acks += 1;
            }
        }
        if lost_acks >= 3 {
            break;
        }
    }
    assert!(lost_acks >= 1, "the test never lost an ack");
    assert!(proxy.counts().cut > 0);
    proxy.set_plan(FaultPlan::clean());
    let report = till.round_with(&small).unwrap();
    assert_eq!(
        report.duplicates, 0,
        "held records are confirmed, not resent"
    );
    // every request delivered twice: each batch is applied once
    proxy.set_plan(FaultPlan {
        duplicate_percent: 100,
        ..FaultPlan::clean()
    });
    till.sell(6);
    till.round_with(&small).unwrap();
    assert!(proxy.counts().duplicated > 0);
    assert_exactly_once(&office, &[&till]);
}

#[test]
fn a_restart_mid_sync_resumes_where_head_office_stands() {
    let office = HeadOffice::start(Backend::Sqlite).unwrap();
    let mut till = Till::new("S002", "T09");
    till.enrol(&office);
    till.sell(12);
    let one_batch = SyncOptions {
        max_batch_records: 5,
        max_batches_per_round: Some(1),
        ..SyncOptions::default()
    };
    let err = till.round_with(&one_batch).unwrap_err();
    assert!(
        matches!(err, SyncError::Interrupted { batches: 1 }),
        "{err}"
    );
    let queued = till.status().records_queued;
    assert!(queued > 0);
    till.restart();
    assert_eq!(
        till.status().records_queued,
        queued,
        "the queue survives a restart"
    );
    assert_eq!(till.status().server_acked_seq, 5);
    till.sell(1);
    let _ = till.round_with(&one_batch).unwrap_err();
    till.restart();
    let report = till.round().unwrap();
    assert_eq!(report.duplicates, 0);
    assert_exactly_once(&office, &[&till]);
}

#[test]
fn master_data_arrives_by_pages_and_a_bad_page_changes_nothing() {
    let office = HeadOffice::start(Backend::Sqlite).unwrap();
    let mut till = Till::new("S001", "T01");
    till.enrol(&office);
    office.publish(vec![
        (
            Entity::Product,
            "CHEESE",
            Some(json!({"name": "Сирене", "group": "Млечни", "unit": "kg", "vat_class": "standard", "price": "12.40", "cost": "8.00"})),
        ),
        (Entity::Barcode, "3800000000099", Some(json!({"sku": "CHEESE", "multiplier": "1"}))),
        (Entity::CustomerGroup, "wholesale", Some(json!({"name": "Wholesale"}))),
        (
            Entity::Customer,
            "C0042",
            Some(json!({"name": "Cafe Rila", "customer_group": "wholesale", "credit_limit": "500.00", "balance": "0"})),
        ),
        (
            Entity::Price,
            "MILK/S001",
            Some(json!({"price": "2.40", "store": "S001"})),
        ),
        (
            Entity::User,
            "maria",
            Some(json!({"name": "Maria", "role": "cashier", "pin_hash": "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"})),
        ),
        (Entity::TaxRate, "reduced/2026-01-01", Some(json!({"class": "reduced", "rate_percent": "9"}))),
    ]);
    let pages = SyncOptions {
        page_limit: 2,
        ..SyncOptions::default()
    };
    let report = till.round_with(&pages).unwrap();
    assert_eq!(report.changes, 7);
    assert_eq!(report.pages, 4, "7 changes at 2 per page");
    let conn = till.store.as_ref().unwrap().conn();
    let one = |sql: &str| -> String { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(
        one("SELECT name FROM products WHERE sku = 'CHEESE'"),
        "Сирене"
    );
    assert_eq!(
        one("SELECT sku FROM barcodes WHERE code = '3800000000099'"),
        "CHEESE"
    );
    assert_eq!(
        one("SELECT price FROM price_tiers WHERE sku = 'CHEESE' AND kind = 'base'"),
        "12.40"
    );
    assert_eq!(
        one("SELECT price FROM price_tiers WHERE sku = 'MILK' AND store_id = 'S001'"),
        "2.40"
    );
    assert_eq!(
        one("SELECT customer_group FROM customers WHERE code = 'C0042'"),
        "wholesale"
    );
    assert_eq!(
        one("SELECT role FROM users WHERE login = 'maria'"),
        "cashier"
    );
    assert_eq!(
        one("SELECT data FROM sync_master_data WHERE entity = 'tax_rate'"),
        r#"{"class":"reduced","rate_percent":"9"}"#
    );
    // the new product sells on the till
    let found = kasa_terminal::catalog::search(conn, "сирене", 5).unwrap();
    assert_eq!(found.len(), 1);
    let status = till.status();
    let cursor = status.master_data_cursor.clone().unwrap();
    assert_eq!(status.master_data_version, 7);

    // a page with a good and a bad change: neither is applied, the cursor stays
    office.publish_unchecked(vec![
        (
            Entity::Product,
            "TEA",
            Some(json!({"name": "Чай", "vat_class": "standard", "price": "3.10"})),
        ),
        (
            Entity::Barcode,
            "3800000000105",
            // a barcode of a product not yet on the till waits for it; a
            // multiplier that is not a number cannot be applied
            Some(json!({"sku": "TEA", "multiplier": "six"})),
        ),
    ]);
    let err = till.round().unwrap_err();
    assert_eq!(err.code(), "sync.master_data_rejected", "{err}");
    assert!(err.to_string().contains("3800000000105"), "{err}");
    let conn = till.store.as_ref().unwrap().conn();
    let tea: i64 = conn
        .query_row("SELECT COUNT(*) FROM products WHERE sku = 'TEA'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(tea, 0, "half a page is never visible");
    let status = till.status();
    assert_eq!(status.master_data_cursor.as_deref(), Some(cursor.as_str()));
    assert_eq!(
        status.last_error_code.as_deref(),
        Some("sync.master_data_rejected")
    );
    assert!(!status.online);
    // head office corrects it (the delete supersedes the bad change): the next round applies
    office.publish(vec![(Entity::Barcode, "3800000000105", None)]);
    till.round().unwrap();
    let conn = till.store.as_ref().unwrap().conn();
    let name: String = conn
        .query_row("SELECT name FROM products WHERE sku = 'TEA'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(name, "Чай");
    assert!(till.status().online);
    assert_eq!(dec("3.10").to_string(), "3.10");
}

fn faults(backend: Backend, seed: u64) {
    let Some(office) = HeadOffice::start(backend) else {
        return;
    };
    let proxy = office
        .rt
        .block_on(FaultProxy::start(
            office.addr,
            FaultPlan {
                seed,
                ..FaultPlan::lossy()
            },
        ))
        .unwrap();
    let mut tills = [
        Till::new("S001", "F01"),
        Till::new("S001", "F02"),
        Till::new("S002", "F03"),
    ];
    let options = SyncOptions {
        max_batch_records: 6,
        ..SyncOptions::default()
    };
    for till in tills.iter_mut() {
        till.enrol(&office);
        sync::set_server_url(till.store(), &format!("http://{}", proxy.addr())).unwrap();
    }
    let mut failures = 0;
    for round in 0..10 {
        for (i, till) in tills.iter_mut().enumerate() {
            till.sell(1 + (round + i) % 3);
            if (round + i) % 4 == 3 {
                till.restart();
            }
            if let Err(e) = till.round_with(&options) {
                assert!(e.is_transient(), "round {round}: {e} ({})", e.code());
                failures += 1;
            }
        }
    }
    let counts = proxy.counts();
    assert!(failures > 0, "the network never failed: {counts:?}");
    assert!(
        counts.dropped > 0 && counts.cut > 0 && counts.duplicated > 0,
        "{counts:?}"
    );
    // the network heals: every till catches up
    proxy.set_plan(FaultPlan::clean());
    for till in tills.iter_mut() {
        till.round_with(&options).unwrap();
    }
    let refs: Vec<&Till> = tills.iter().collect();
    assert_exactly_once(&office, &refs);
}

#[test]
fn seeded_faults_leave_head_office_with_each_record_once_sqlite() {
    for seed in [11, 29] {
        faults(Backend::Sqlite, seed);
    }
}

#[test]
fn seeded_faults_leave_head_office_with_each_record_once_postgres() {
    faults(Backend::Postgres, 11);
}

#[test]
fn the_background_loop_syncs_after_a_kick_and_backs_off_when_offline() {
    use std::time::Duration;
    let office = HeadOffice::start(Backend::Sqlite).unwrap();
    let mut till = Till::new("S001", "B01");
    till.enrol(&office);
    till.sell(3);
    let policy = sync::BackoffPolicy {
        interval_ms: 60_000,
        base_ms: 20,
        max_ms: 200,
    };
    let running = sync::SyncLoop::start(&till.path, SyncOptions::default(), policy);
    let state = running.wait_for_rounds(1, Duration::from_secs(30));
    assert!(state.online, "{state:?}");
    // a sale on the till, then a kick: the loop sends it without waiting the interval
    till.sell(2);
    running.kick();
    let state = running.wait_for_rounds(2, Duration::from_secs(30));
    assert_eq!(state.rounds, 2);
    assert_exactly_once(&office, &[&till]);
    // head office goes away: rounds fail and back off, the till keeps selling
    let proxy = office
        .rt
        .block_on(FaultProxy::start(
            office.addr,
            FaultPlan {
                drop_percent: 100,
                ..FaultPlan::clean()
            },
        ))
        .unwrap();
    sync::set_server_url(till.store(), &format!("http://{}", proxy.addr())).unwrap();
    till.sell(1);
    running.kick();
    let state = running.wait_for_rounds(5, Duration::from_secs(30));
    assert!(!state.online && state.failures >= 2, "{state:?}");
    assert_eq!(state.last_error_code.as_deref(), Some("sync.offline"));
    running.stop();
    assert!(till.status().documents_queued >= 1);
}

/// `kasa sync enrol | status | now` as the CLI runs them (in-process).

#[test]
fn the_cli_enrols_reports_status_and_exits_non_zero_when_a_round_fails() {
    let office = HeadOffice::start(Backend::Sqlite).unwrap();
    let mut till = Till::new("S001", "C01");
    till.sell(2);
    // not enrolled: status works, `now` fails with a user-error exit code
    assert_eq!(kasa(&till, &["sync", "status"]), 0);
    assert_eq!(
        kasa(&till, &["sync", "now"]),
        kasa_terminal::cli::EXIT_USER_ERROR
    );
    let code = office.code("S001");
    let url = office.url();
    assert_eq!(
        kasa(&till, &["sync", "enrol", "--server", &url, "--code", &code]),
        0
    );
    // the code is single use
    till.restart();
    assert_eq!(
        kasa(&till, &["sync", "enrol", "--server", &url, "--code", &code]),
        kasa_terminal::cli::EXIT_USER_ERROR
    );
    assert_eq!(kasa(&till, &["sync", "now"]), 0);
    assert_eq!(kasa(&till, &["--json", "sync", "status"]), 0);
    assert_exactly_once(&office, &[&till]);
    let status = till.status();
    assert!(status.last_error_code.is_none() && status.online);
    let text = sync::describe_status(&status);
    assert!(text.contains("state         online"), "{text}");
    assert!(
        text.contains("queued        0 documents, 0 records"),
        "{text}"
    );
}

#[test]
fn an_enrolment_code_of_another_store_is_refused_and_no_credential_is_kept() {
    let office = HeadOffice::start(Backend::Sqlite).unwrap();
    let mut till = Till::new("S001", "X01");
    let code = office.code("S002");
    let err = sync::enrol(till.store(), &office.url(), &code).unwrap_err();
    assert_eq!(err.code(), "sync.store_mismatch", "{err}");
    assert!(sync::enrolment(till.store().conn()).unwrap().is_none());
    let err = sync::enrol(till.store(), &office.url(), "NOPE-NOPE-NOPE").unwrap_err();
    assert_eq!(err.code(), "enrol.code_unknown", "{err}");
}

#[test]
fn head_office_restarting_between_batches_loses_and_doubles_nothing() {
    let mut office = HeadOffice::start(Backend::Sqlite).unwrap();
    let mut till = Till::new("S001", "R01");
    till.enrol(&office);
    till.sell(10);
    let one_batch = SyncOptions {
        max_batch_records: 4,
        max_batches_per_round: Some(2),
        ..SyncOptions::default()
    };
    let _ = till.round_with(&one_batch).unwrap_err();
    office.stop();
    let err = till.round().unwrap_err();
    assert_eq!(err.code(), "sync.offline", "{err}");
    office.restart();
    sync::set_server_url(till.store(), &office.url()).unwrap();
    till.sell(1);
    let report = till.round().unwrap();
    assert_eq!(report.duplicates, 0);
    assert_exactly_once(&office, &[&till]);
}
