//! The master-data pull of a real till from the real head office (SQLite,
//! and PostgreSQL when `KASA_TEST_POSTGRES_URL` is set): the page loop that
//! fetches page N+1 while page N is written, the page head office writes
//! straight from its stored JSON, and barcodes/prices that arrive before
//! their product (it was edited after them) waiting for it.

#[path = "sync/support.rs"]
mod support;

use kasa_domain::ErrorCode;
use kasa_domain::barcode::{BarcodeConfig, gtin_check_digit};
use kasa_sync_protocol::Entity;
use kasa_terminal::sync::SyncOptions;
use serde_json::json;
use support::{Backend, HeadOffice, Till};

fn product(n: usize) -> serde_json::Value {
    json!({"name": format!("Кафе \"Рила\" {n} g"), "unit": "piece", "vat_class": "standard", "price": format!("{n}.50")})
}

/// Products this test published (the till starts with a small catalog of its own).
fn mine(till: &Till) -> i64 {
    count(till, "SELECT COUNT(*) FROM products WHERE sku LIKE 'MD-%'")
}

fn count(till: &Till, sql: &str) -> i64 {
    till.store
        .as_ref()
        .unwrap()
        .conn()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

/// A fresh till gets exactly the current state over many pages: the
/// products and barcodes as last published (superseded versions and
/// deleted keys left out), searchable and scannable.
fn first_download(backend: Backend) {
    let Some(office) = HeadOffice::start(backend) else {
        return;
    };
    let skus: Vec<String> = (0..40).map(|n| format!("SKU-{n:03}")).collect();
    let codes: Vec<String> = (0..40).map(|n| format!("29{n:010}")).collect();
    let mut changes = Vec::new();
    for (n, sku) in skus.iter().enumerate() {
        changes.push((Entity::Product, sku.as_str(), Some(product(n))));
        changes.push((
            Entity::Barcode,
            codes[n].as_str(),
            Some(json!({"sku": sku})),
        ));
    }
    office.publish(changes);
    // renamed, and its barcode deleted: a first download sees neither the old
    // name nor the barcode
    office.publish(vec![
        (
            Entity::Product,
            "SKU-007",
            Some(json!({"name": "Зеленко прясно", "vat_class": "standard", "price": "2.10"})),
        ),
        (Entity::Barcode, codes[7].as_str(), None),
    ]);
    let mut till = Till::new("S001", "T01");
    till.enrol(&office);
    let report = till
        .round_with(&SyncOptions {
            page_limit: 7,
            ..SyncOptions::default()
        })
        .unwrap();
    // 40 products + 39 barcodes in their latest version, each once; the
    // delete may come along (only the first page of a pull leaves deletes out)
    assert!((79..=80).contains(&report.changes), "{report:?}");
    assert_eq!(report.pages, 12, "79–80 changes at 7 per page");
    assert_eq!(
        count(
            &till,
            "SELECT COUNT(*) FROM products WHERE sku LIKE 'SKU-%'"
        ),
        40
    );
    assert_eq!(
        count(
            &till,
            "SELECT COUNT(*) FROM barcodes WHERE sku LIKE 'SKU-%'"
        ),
        39
    );
    let conn = till.store.as_ref().unwrap().conn();
    let milk = kasa_terminal::catalog::search(conn, "зеленко", 5).unwrap();
    assert_eq!(milk.len(), 1);
    assert_eq!(milk[0].product.sku, "SKU-007");
    assert_eq!(
        kasa_terminal::catalog::search(conn, "рила", 50)
            .unwrap()
            .len(),
        39
    );
    let price: String = conn
        .query_row(
            "SELECT price FROM price_tiers WHERE sku = 'SKU-012' AND kind = 'base'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(price, "12.50");
    // whatever is left (at most the delete) comes with the next pull; then nothing
    let again = till.round().unwrap();
    assert_eq!(report.changes + again.changes, 80);
    assert_eq!(till.status().master_data_version, 82);
    let again = till.round().unwrap();
    assert_eq!((again.pages, again.changes), (1, 0));
}

#[test]
fn a_first_download_is_the_current_state_over_many_pages_sqlite() {
    first_download(Backend::Sqlite);
}

#[test]
fn a_first_download_is_the_current_state_over_many_pages_postgres() {
    first_download(Backend::Postgres);
}

/// Page 3 of 5 cannot be applied: pages 1–2 stay applied with their
/// cursor, nothing of page 3 nor of the page read ahead is visible, and
/// once head office corrects the change the next round continues from page 3.
#[test]
fn a_pull_stops_at_a_bad_page_and_keeps_the_pages_before_it() {
    let office = HeadOffice::start(Backend::Sqlite).unwrap();
    let skus: Vec<String> = (0..25).map(|n| format!("MD-{n:02}")).collect();
    let mut changes: Vec<(Entity, &str, Option<serde_json::Value>)> = skus
        .iter()
        .enumerate()
        .map(|(n, sku)| (Entity::Product, sku.as_str(), Some(product(n))))
        .collect();
    // version 12 (page 3 at 5 a page): a barcode the till cannot read
    changes[11] = (
        Entity::Barcode,
        "2900000000999",
        Some(json!({"sku": "MD-00", "multiplier": "six"})),
    );
    // head office's publish refuses such a change; one stored by an older
    // head office must still stop the till
    office.publish_unchecked(changes);
    let mut till = Till::new("S001", "T01");
    till.enrol(&office);
    let five = SyncOptions {
        page_limit: 5,
        ..SyncOptions::default()
    };
    let err = till.round_with(&five).unwrap_err();
    assert_eq!(err.code(), "sync.master_data_rejected", "{err}");
    assert_eq!(mine(&till), 10);
    assert_eq!(
        count(
            &till,
            "SELECT COUNT(*) FROM products WHERE sku LIKE 'MD-%' AND sku >= 'MD-10'"
        ),
        0,
        "neither page 3 nor the page read ahead is visible"
    );
    assert_eq!(till.status().master_data_version, 10);
    office.publish(vec![(Entity::Barcode, "2900000000999", None)]);
    let report = till.round_with(&five).unwrap();
    assert_eq!(report.changes, 15, "versions 11, 13–25 and the delete");
    assert_eq!(mine(&till), 24);
    assert_eq!(
        count(
            &till,
            "SELECT COUNT(*) FROM barcodes WHERE code = '2900000000999'"
        ),
        0
    );
}

/// A valid EAN-13 (prefix 380, not an in-store prefix).
fn ean(n: usize) -> String {
    let body = format!("380{n:09}");
    let check = gtin_check_digit(&body).unwrap();
    format!("{body}{check}")
}

/// The SKU a code resolves to on the till, if it resolves.
fn scanned(till: &Till, code: &str) -> Option<String> {
    let conn = till.store.as_ref().unwrap().conn();
    kasa_terminal::catalog::find_by_code(conn, code, &BarcodeConfig::default())
        .unwrap()
        .map(|item| item.product.sku)
}

fn pending(till: &Till) -> i64 {
    count(till, "SELECT COUNT(*) FROM sync_master_data_pending")
}

/// Products DP-00…DP-11, then their barcodes, store prices and step
/// tiers, then DP-00…DP-05 edited (new name and price): a fresh till gets
/// those six products at their newest version, after their barcodes,
/// prices and tiers. With `page_limit` 4 the dependents and their products
/// are pages apart; with 1,000 they share one page. Either way every
/// barcode scans to its product, the prices are the newest, and only the
/// barcode of a product head office never published waits.
fn dependents_before_their_product(backend: Backend, page_limit: u32) {
    let Some(office) = HeadOffice::start(backend) else {
        return;
    };
    let skus: Vec<String> = (0..12).map(|n| format!("DP-{n:02}")).collect();
    let codes: Vec<String> = (0..12).map(ean).collect();
    let prices: Vec<String> = (0..3).map(|n| format!("{}/S001", skus[n])).collect();
    let tiers: Vec<String> = (0..3).map(|n| format!("{}/step//6", skus[n])).collect();
    let mut changes: Vec<(Entity, &str, Option<serde_json::Value>)> = Vec::new();
    for (n, sku) in skus.iter().enumerate() {
        changes.push((Entity::Product, sku, Some(product(n))));
    }
    for (sku, code) in skus.iter().zip(&codes) {
        changes.push((Entity::Barcode, code, Some(json!({"sku": sku}))));
    }
    for (n, key) in prices.iter().enumerate() {
        let data = json!({"price": format!("7.7{n}"), "store": "S001"});
        changes.push((Entity::Price, key, Some(data)));
    }
    for (n, key) in tiers.iter().enumerate() {
        let data =
            json!({"sku": skus[n], "kind": "step", "min_qty": "6", "price": format!("0.6{n}")});
        changes.push((Entity::PriceTier, key, Some(data)));
    }
    let orphan = ean(999);
    changes.push((
        Entity::Barcode,
        &orphan,
        Some(json!({"sku": "NEVER-PUBLISHED"})),
    ));
    for (n, sku) in skus.iter().enumerate().take(6) {
        let data = json!({"name": format!("Edited {n}"), "vat_class": "standard", "price": format!("{n}.99")});
        changes.push((Entity::Product, sku, Some(data)));
    }
    office.publish(changes);
    let mut till = Till::new("S001", "T01");
    till.enrol(&office);
    let report = till
        .round_with(&SyncOptions {
            page_limit,
            ..SyncOptions::default()
        })
        .unwrap();
    assert_eq!(
        report.changes, 31,
        "31 keys, each at its newest version: {report:?}"
    );
    for (sku, code) in skus.iter().zip(&codes) {
        assert_eq!(
            scanned(&till, code).as_deref(),
            Some(sku.as_str()),
            "{code}"
        );
    }
    assert_eq!(
        scanned(&till, &orphan),
        None,
        "a waiting barcode is not in the catalog"
    );
    let price = |sql: &str| -> Vec<String> {
        let conn = till.store.as_ref().unwrap().conn();
        let mut select = conn.prepare(sql).unwrap();
        select
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert_eq!(
        price(
            "SELECT price FROM price_tiers WHERE kind = 'base' AND store_id = '' AND sku LIKE 'DP-%' ORDER BY sku"
        ),
        [
            "0.99", "1.99", "2.99", "3.99", "4.99", "5.99", "6.50", "7.50", "8.50", "9.50",
            "10.50", "11.50"
        ],
        "the edited products' own prices"
    );
    assert_eq!(
        price(
            "SELECT price FROM price_tiers WHERE kind = 'base' AND store_id = 'S001' ORDER BY sku"
        ),
        ["7.70", "7.71", "7.72"]
    );
    assert_eq!(
        price("SELECT price FROM price_tiers WHERE kind = 'step' ORDER BY sku"),
        ["0.60", "0.61", "0.62"]
    );
    assert_eq!(
        pending(&till),
        1,
        "only the barcode of the product never published waits"
    );
    assert_eq!(till.status().master_data_pending, 1);
    // its delete removes it from the waiting rows
    office.publish(vec![(Entity::Barcode, &orphan, None)]);
    till.round().unwrap();
    assert_eq!(pending(&till), 0);
    assert_eq!(till.status().master_data_pending, 0);
}

#[test]
fn barcodes_and_prices_of_products_edited_after_them_arrive_pages_apart_sqlite() {
    dependents_before_their_product(Backend::Sqlite, 4);
}

#[test]
fn barcodes_and_prices_of_products_edited_after_them_arrive_pages_apart_postgres() {
    dependents_before_their_product(Backend::Postgres, 4);
}

#[test]
fn barcodes_and_prices_of_products_edited_after_them_arrive_in_one_page_sqlite() {
    dependents_before_their_product(Backend::Sqlite, 1_000);
}

#[test]
fn barcodes_and_prices_of_products_edited_after_them_arrive_in_one_page_postgres() {
    dependents_before_their_product(Backend::Postgres, 1_000);
}

/// Across rounds: a barcode of a product not yet published waits; a newer
/// version pointing elsewhere replaces the waiting one; when the products
/// come, the barcode scans to the product its newest version names. A
/// product delete keeps its waiting barcode (as it keeps applied ones), so
/// the product republished later scans.
fn waiting_barcodes_across_rounds(backend: Backend) {
    let Some(office) = HeadOffice::start(backend) else {
        return;
    };
    let (moved, kept) = (ean(500), ean(501));
    let mut till = Till::new("S001", "T01");
    till.enrol(&office);
    office.publish(vec![(
        Entity::Barcode,
        &moved,
        Some(json!({"sku": "LATE-A"})),
    )]);
    till.round().unwrap();
    assert_eq!((pending(&till), scanned(&till, &moved)), (1, None));
    office.publish(vec![
        (Entity::Barcode, &moved, Some(json!({"sku": "LATE-B"}))),
        (Entity::Barcode, &kept, Some(json!({"sku": "LATE-C"}))),
        (Entity::Product, "LATE-C", None),
    ]);
    till.round().unwrap();
    assert_eq!(
        pending(&till),
        2,
        "the newer version of the moved barcode replaced the older"
    );
    office.publish(vec![
        (Entity::Product, "LATE-A", Some(product(1))),
        (Entity::Product, "LATE-B", Some(product(2))),
    ]);
    till.round().unwrap();
    assert_eq!(scanned(&till, &moved).as_deref(), Some("LATE-B"));
    assert_eq!((pending(&till), scanned(&till, &kept)), (1, None));
    office.publish(vec![(Entity::Product, "LATE-C", Some(product(3)))]);
    till.round().unwrap();
    assert_eq!(scanned(&till, &kept).as_deref(), Some("LATE-C"));
    assert_eq!(pending(&till), 0);
}

#[test]
fn a_waiting_barcode_takes_its_newest_version_across_rounds_sqlite() {
    waiting_barcodes_across_rounds(Backend::Sqlite);
}

#[test]
fn a_waiting_barcode_takes_its_newest_version_across_rounds_postgres() {
    waiting_barcodes_across_rounds(Backend::Postgres);
}
