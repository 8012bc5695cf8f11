//! The master-data pull of a real till from the real head office (SQLite,
//! and PostgreSQL when `KASA_TEST_POSTGRES_URL` is set): the page loop that
//! fetches page N+1 while page N is written, and the page head office
//! writes straight from its stored JSON.

#[path = "sync/support.rs"]
mod support;

use kasa_domain::ErrorCode;
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
    // version 12 (page 3 at 5 a page): a barcode of a product head office never published
    changes[11] = (
        Entity::Barcode,
        "2900000000999",
        Some(json!({"sku": "NO-SUCH-SKU"})),
    );
    office.publish(changes);
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
