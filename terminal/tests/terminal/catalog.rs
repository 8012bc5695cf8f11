//! Catalog: importing the committed demo store into a real SQLite file, and
//! what the till then finds by barcode, PLU, SKU and name, and prices.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use kasa_domain::ErrorCode;
use kasa_domain::barcode::{BarcodeConfig, InStoreLayout};
use kasa_domain::money::{Currency, Money};
use kasa_domain::pricing::{PriceRequest, PriceRule, price_line};
use kasa_domain::product::Unit;
use kasa_terminal::catalog::lookup::MatchedBy;
use kasa_terminal::catalog::{
    self, ImportReport, customer, find_by_code, get_product, import_customers, import_price_tiers,
    import_products, import_promotions, pricing_inputs, search,
};
use kasa_terminal::store::Store;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn demo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/demo")
}

fn demo_file(name: &str) -> File {
    File::open(demo_dir().join(name)).unwrap()
}

/// The demo products.csv as (sku → row fields by column name).
fn demo_rows() -> Vec<HashMap<String, String>> {
    let mut csv = csv::Reader::from_reader(demo_file("products.csv"));
    let header = csv.headers().unwrap().clone();
    csv.records()
        .map(|r| {
            let r = r.unwrap();
            header
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn open_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("till.sqlite")).unwrap();
    (dir, store)
}

fn import_demo(store: &mut Store) -> [ImportReport; 4] {
    let mut progress_calls = 0;
    let products = import_products(store, demo_file("products.csv"), |p| {
        progress_calls += 1;
        assert!(p.rows_imported <= p.rows_read);
    })
    .unwrap();
    assert!(progress_calls >= 1);
    let tiers = import_price_tiers(store, demo_file("price_tiers.csv"), |_| {}).unwrap();
    let promotions = import_promotions(store, demo_file("promotions.json"), |_| {}).unwrap();
    let customers = import_customers(store, demo_file("customers.csv"), |_| {}).unwrap();
    [products, tiers, promotions, customers]
}

fn count(store: &Store, table: &str) -> i64 {
    store
        .conn()
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

fn demo_config() -> BarcodeConfig {
    let store: serde_json::Value = serde_json::from_reader(demo_file("store.json")).unwrap();
    serde_json::from_value(store["barcodes"].clone()).unwrap()
}

#[test]
fn demo_store_imports_completely_with_cyrillic_names() {
    let (_dir, mut store) = open_store();
    let reports = import_demo(&mut store);
    for report in &reports {
        assert_eq!(report.rejected, vec![], "no demo row may be rejected");
    }
    let rows = demo_rows();
    assert!(
        rows.len() >= 1_500,
        "about 2,000 demo products, got {}",
        rows.len()
    );
    assert_eq!(reports[0].inserted, rows.len() as u64);
    assert_eq!(count(&store, "products"), rows.len() as i64);
    let barcodes: usize = rows
        .iter()
        .map(|r| r["barcodes"].split(';').filter(|c| !c.is_empty()).count())
        .sum();
    assert_eq!(count(&store, "barcodes"), barcodes as i64);
    assert_eq!(count(&store, "customers"), 5);
    assert!(count(&store, "promotions") >= 5);
    for row in &rows {
        let product = get_product(store.conn(), &row["sku"]).unwrap().unwrap();
        assert_eq!(product.name, row["name"], "name round trip");
        assert_eq!(product.vat_class, row["vat_class"]);
    }
    assert!(rows.iter().any(|r| r["name"].starts_with("Хляб")));
    assert!(rows.iter().any(|r| r["vat_class"] == "reduced"));
    assert!(rows.iter().any(|r| r["vat_class"] == "zero"));
}

#[test]
fn every_demo_barcode_resolves_with_its_multiplier() {
    let (_dir, mut store) = open_store();
    import_demo(&mut store);
    let config = demo_config();
    let mut multipliers_seen = Vec::new();
    for row in demo_rows() {
        for part in row["barcodes"].split(';').filter(|c| !c.is_empty()) {
            let (code, multiplier) = match part.split_once('*') {
                Some((code, m)) => (code, m.parse::<u32>().unwrap()),
                None => (part, 1),
            };
            let item = find_by_code(store.conn(), code, &config)
                .unwrap()
                .unwrap_or_else(|| panic!("{code} must resolve"));
            assert_eq!(item.product.sku, row["sku"], "{code}");
            assert_eq!(item.qty, Decimal::from(multiplier), "{code}");
            assert_eq!(item.matched_by, MatchedBy::Barcode);
            multipliers_seen.push(multiplier);
        }
    }
    for m in [6, 12, 24] {
        assert!(
            multipliers_seen.contains(&m),
            "demo has a *{m} packaging barcode"
        );
    }
}

#[test]
fn weighed_and_priced_in_store_barcodes_find_the_plu_product() {
    let (_dir, mut store) = open_store();
    import_demo(&mut store);
    let config = demo_config();
    let rows = demo_rows();
    let weighed = rows.iter().find(|r| !r["plu"].is_empty()).unwrap();
    let plu: u32 = weighed["plu"].parse().unwrap();

    let code = InStoreLayout::weight(21)
        .encode(&format!("{plu:05}"), Some(1_234), None)
        .unwrap();
    let item = find_by_code(store.conn(), &code, &config).unwrap().unwrap();
    assert_eq!(item.product.sku, weighed["sku"]);
    assert_eq!(item.product.unit, Unit::Kg);
    assert_eq!(item.weight_kg, Some(dec!(1.234)));
    assert_eq!(item.qty, dec!(1.234));
    assert_eq!(item.qty.scale(), 3, "weights are kept to 3 decimals");
    assert_eq!(item.matched_by, MatchedBy::InStore);

    let code = InStoreLayout::price(28)
        .encode(&format!("{plu:05}"), None, Some(349))
        .unwrap();
    let item = find_by_code(store.conn(), &code, &config).unwrap().unwrap();
    assert_eq!(item.product.sku, weighed["sku"]);
    assert_eq!(item.embedded_price, Some(Money(dec!(3.49))));
    assert_eq!(item.qty, Decimal::ONE);

    // Typed PLU and typed SKU.
    let item = find_by_code(store.conn(), &plu.to_string(), &config)
        .unwrap()
        .unwrap();
    assert_eq!(
        (item.product.sku.as_str(), item.matched_by),
        (weighed["sku"].as_str(), MatchedBy::Plu)
    );
    let piece = rows.iter().find(|r| r["plu"].is_empty()).unwrap();
    let item = find_by_code(store.conn(), &piece["sku"], &config)
        .unwrap()
        .unwrap();
    assert_eq!(item.product.sku, piece["sku"]);

    // An unknown PLU in a valid in-store code is simply not found.
    let code = InStoreLayout::weight(22)
        .encode("99999", Some(500), None)
        .unwrap();
    assert_eq!(find_by_code(store.conn(), &code, &config).unwrap(), None);
}

#[test]
fn gs1_label_gives_batch_and_expiry_and_bad_check_digit_is_an_error() {
    let (_dir, mut store) = open_store();
    import_demo(&mut store);
    let config = demo_config();
    let row = demo_rows()
        .into_iter()
        .find(|r| r["tracks_batches"] == "true" && !r["barcodes"].is_empty())
        .unwrap();
    let ean = row["barcodes"].split(';').next().unwrap().to_string();
    let label = format!("(01)0{ean}(17)261231(10)LOT42");
    let item = find_by_code(store.conn(), &label, &config)
        .unwrap()
        .unwrap();
    assert_eq!(item.product.sku, row["sku"]);
    assert_eq!(item.batch.as_deref(), Some("LOT42"));
    assert_eq!(item.expiry, NaiveDate::from_ymd_opt(2026, 12, 31));
    assert_eq!(item.matched_by, MatchedBy::Gs1);

    let last = ean.as_bytes()[12] - b'0';
    let wrong = format!("{}{}", &ean[..12], (last + 1) % 10);
    let err = find_by_code(store.conn(), &wrong, &config).unwrap_err();
    assert_eq!(err.code(), "barcode.bad_check_digit");
}

/// A valid EAN-13 from 12 digits.
fn ean(body: &str) -> String {
    format!(
        "{body}{}",
        kasa_domain::barcode::gtin_check_digit(body).unwrap()
    )
}

const HEADER: &str = "sku,name,group,brand,unit,vat_class,price,cost,barcodes,plu,status,tracks_batches,markup_percent\n";

fn import_text(store: &mut Store, text: &str) -> ImportReport {
    import_products(store, text.as_bytes(), |_| {}).unwrap()
}

fn dump(store: &Store) -> Vec<String> {
    let mut out = Vec::new();
    for sql in [
        "SELECT id || '|' || sku || '|' || name || '|' || unit || '|' || vat_class || '|' || lifecycle || '|' || coalesce(plu, '') || '|' || coalesce(cost, '') FROM products ORDER BY id",
        "SELECT gtin || '|' || code || '|' || sku || '|' || multiplier FROM barcodes ORDER BY gtin",
        "SELECT sku || '|' || kind || '|' || store_id || '|' || customer_group || '|' || min_qty || '|' || price FROM price_tiers ORDER BY id",
    ] {
        let mut stmt = store.conn().prepare(sql).unwrap();
        out.extend(
            stmt.query_map([], |r| r.get::<_, String>(0))
                .unwrap()
                .map(Result::unwrap),
        );
    }
    out
}

#[test]
fn bad_rows_are_rejected_with_line_numbers_and_change_nothing() {
    let (_dir, mut store) = open_store();
    let (m1, s1, s6) = (
        ean("380000000001"),
        ean("380000000002"),
        ean("380000000003"),
    );
    let first = format!(
        "{HEADER}A1,Мляко Верея,Мляко,Верея,piece,standard,1.99,1.20,{m1},,,,\n\
         A2,Сирене,Мляко,,piece,standard,7.50,5.00,{s1};{s6}*6,,,,\n"
    );
    let report = import_text(&mut store, &first);
    assert_eq!(
        (report.inserted, report.rejected_total),
        (2, 0),
        "{:?}",
        report.rejected
    );
    let before = dump(&store);

    let check = kasa_domain::barcode::gtin_check_digit("380000000009").unwrap();
    let bad = format!("380000000009{}", (check + 1) % 10);
    let second = format!(
        "{HEADER}A3,Бад чек,Мляко,,piece,standard,1.00,,{bad},,,,\n\
         A4,Бад единица,Мляко,,box,standard,1.00,,,,,,\n\
         A5,Бад ДДС,Мляко,,piece,luxury,1.00,,,,,,\n\
         A6,Чужд баркод,Мляко,,piece,standard,1.00,,{m1},,,,\n\
         A7,Бад цена,Мляко,,piece,standard,\"1,50\",,,,,,\n\
         A2,Сирене ново име,Мляко,,piece,standard,7.90,5.00,{m1},,,,\n\
         A8,Добър,Мляко,,kg,reduced,2.00,,,42,,,\n"
    );
    let report = import_text(&mut store, &second);
    let got: Vec<(u64, &str, &str)> = report
        .rejected
        .iter()
        .map(|r| (r.line, r.key.as_str(), r.code))
        .collect();
    assert_eq!(
        got,
        vec![
            (2, "A3", "catalog.bad_check_digit"),
            (3, "A4", "catalog.unknown_unit"),
            (4, "A5", "catalog.unknown_vat_class"),
            (5, "A6", "catalog.duplicate_barcode"),
            (6, "A7", "catalog.bad_decimal"),
            (7, "A2", "catalog.duplicate_barcode"),
        ]
    );
    assert!(report.rejected.iter().all(|r| !r.message.is_empty()));
    assert_eq!(
        (report.inserted, report.updated, report.rows_read),
        (1, 0, 7)
    );
    // The good row imported; everything that existed is exactly as before.
    assert!(get_product(store.conn(), "A8").unwrap().is_some());
    for sku in ["A3", "A4", "A5", "A6", "A7"] {
        assert!(get_product(store.conn(), sku).unwrap().is_none(), "{sku}");
    }
    let after: Vec<String> = dump(&store)
        .into_iter()
        .filter(|line| !line.contains("A8"))
        .collect();
    assert_eq!(after, before);
}

#[test]
fn missing_required_column_stops_before_writing() {
    let (_dir, mut store) = open_store();
    let err =
        import_products(&mut store, "sku,name,unit\nX,Y,piece\n".as_bytes(), |_| {}).unwrap_err();
    assert_eq!(err.code(), "catalog.missing_column");
    assert_eq!(count(&store, "products"), 0);
}

#[test]
fn reimport_is_idempotent_and_updates_in_place() {
    let (_dir, mut store) = open_store();
    import_demo(&mut store);
    let before = dump(&store);
    let reports = import_demo(&mut store);
    assert_eq!(reports[0].inserted, 0);
    assert_eq!(reports[0].updated, demo_rows().len() as u64);
    assert_eq!(reports[1].inserted, 0);
    assert_eq!(reports[2].inserted, 0);
    assert_eq!(reports[3].inserted, 0);
    assert_eq!(dump(&store), before, "a second import changes nothing");

    // A changed row: new name, a barcode dropped, price removed.
    let (b1, b12) = (ean("380000000004"), ean("380000000005"));
    let text =
        format!("{HEADER}B1,Боза Бояна,Напитки,,piece,standard,1.20,0.80,{b1};{b12}*12,,,,\n");
    import_text(&mut store, &text);
    let text = format!("{HEADER}B1,Айрян Елена,Напитки,,piece,standard,,0.80,{b1},,,,25\n");
    let report = import_text(&mut store, &text);
    assert_eq!((report.inserted, report.updated), (0, 1));
    let config = BarcodeConfig::default();
    assert_eq!(find_by_code(store.conn(), &b12, &config).unwrap(), None);
    let still = find_by_code(store.conn(), &b1, &config).unwrap().unwrap();
    assert_eq!(still.product.name, "Айрян Елена");
    let hits = search(store.conn(), "боза", 10).unwrap();
    assert!(
        hits.iter().all(|h| h.product.sku != "B1"),
        "old name is gone from search"
    );
    let hits = search(store.conn(), "айрян елена", 10).unwrap();
    assert_eq!(hits[0].product.sku, "B1");
    let inputs = pricing_inputs(store.conn(), "B1", "S001", None).unwrap();
    assert!(
        inputs.tiers.is_empty(),
        "empty price removes the base price"
    );
    assert_eq!(inputs.markup_percent, Some(dec!(25)));
}

#[test]
fn search_is_case_insensitive_for_cyrillic() {
    let (_dir, mut store) = open_store();
    import_demo(&mut store);
    let conn = store.conn();
    for typed in ["хляб", "ХЛЯБ", "Хляб", "хля"] {
        let hits = search(conn, typed, 10).unwrap();
        assert_eq!(hits.len(), 10, "{typed}");
        assert!(
            hits.iter()
                .all(|h| h.product.name.to_lowercase().contains("хля")),
            "{typed}: {:?}",
            hits.iter().map(|h| &h.product.name).collect::<Vec<_>>()
        );
        assert!(
            hits[0].product.name.starts_with("Хляб"),
            "{typed}: prefix matches rank first"
        );
    }
    // Two words, any order.
    let hits = search(conn, "верея кисело", 5).unwrap();
    assert!(!hits.is_empty());
    assert!(
        hits.iter()
            .all(|h| h.product.name.contains("Кисело") && h.product.name.contains("Верея"))
    );
    // Substring inside a word.
    let hits = search(conn, "ЛЯБ", 5).unwrap();
    assert!(
        !hits.is_empty()
            && hits
                .iter()
                .all(|h| h.product.name.to_lowercase().contains("ляб"))
    );
    // SKU prefix and barcode prefix.
    let row = &demo_rows()[5];
    let hits = search(conn, &row["sku"], 5).unwrap();
    assert_eq!(hits[0].product.sku, row["sku"]);
    let ean = row["barcodes"].split(';').next().unwrap();
    let hits = search(conn, &ean[..10], 50).unwrap();
    assert!(hits.iter().any(|h| h.product.sku == row["sku"]));
    assert!(search(conn, "несъществуващо", 5).unwrap().is_empty());
    assert!(search(conn, "   ", 5).unwrap().is_empty());
}

#[test]
fn vip_customer_pricing_follows_the_worked_example() {
    let (_dir, mut store) = open_store();
    import_demo(&mut store);
    let conn = store.conn();
    let coffee = demo_rows()
        .into_iter()
        .find(|r| r["name"].starts_with("Кафе на зърна Lavazza"))
        .unwrap();
    let vip = customer(conn, "C0003").unwrap().unwrap();
    assert_eq!(vip.group.as_deref(), Some("VIP"));
    assert_eq!(vip.credit_limit, Money(dec!(500.00)));
    assert_eq!(vip.available_credit(), Money(dec!(380.00)));

    let at = NaiveDate::from_ymd_opt(2026, 3, 2)
        .unwrap()
        .and_hms_opt(10, 0, 0)
        .unwrap();
    let inputs = pricing_inputs(conn, &coffee["sku"], "S001", Some("C0003")).unwrap();
    let request = |qty: Decimal, group: Option<&'static str>| PriceRequest {
        store: "S001",
        customer_group: group,
        qty,
        at,
    };
    let quote = price_line(&inputs, &request(dec!(50), Some("VIP")), Currency::Eur).unwrap();
    assert_eq!(quote.unit_price, Money(dec!(21.50)));
    assert_eq!(quote.rule, PriceRule::QuantityBreak { min_qty: dec!(50) });
    assert_eq!(quote.cost, Some(Money(dec!(15.00))));
    assert_eq!(quote.profit, Some(Money(dec!(6.50))));
    assert_eq!(quote.margin_percent, Some(dec!(30.2)));
    let quote = price_line(&inputs, &request(dec!(1), Some("VIP")), Currency::Eur).unwrap();
    assert_eq!(quote.unit_price, Money(dec!(22.00)));
    assert!(matches!(quote.rule, PriceRule::CustomerGroup { .. }));

    // An anonymous sale gets no group tiers at all: base price.
    let anonymous = pricing_inputs(conn, &coffee["sku"], "S001", None).unwrap();
    let quote = price_line(&anonymous, &request(dec!(1), None), Currency::Eur).unwrap();
    assert_eq!(quote.unit_price, Money(dec!(24.99)));
    assert!(matches!(quote.rule, PriceRule::Base { .. }));

    // Promotions naming a SKU come with its inputs; basket ones by moment.
    let promos = catalog::basket_promotions(conn, "S001", at).unwrap();
    assert!(promos.iter().any(|p| p.id == "PROMO-50-EUR"));
    assert!(
        !promos.iter().any(|p| p.id == "PROMO-SUMMER-15"),
        "not active in March"
    );
}

#[test]
fn demo_store_json_parses_into_domain_settings() {
    let store: serde_json::Value = serde_json::from_reader(demo_file("store.json")).unwrap();
    assert_eq!(store["store_id"], "S001");
    assert_eq!(store["terminal_id"], "T01");
    let currency: Currency = serde_json::from_value(store["currency"].clone()).unwrap();
    assert_eq!(currency, Currency::Eur);
    let mode: kasa_domain::tax::PriceMode =
        serde_json::from_value(store["price_mode"].clone()).unwrap();
    assert_eq!(mode, kasa_domain::tax::PriceMode::Inclusive);
    let rounding: kasa_domain::money::CashRounding =
        serde_json::from_value(store["cash_rounding"].clone()).unwrap();
    assert_eq!(
        rounding,
        kasa_domain::money::CashRounding::none(Currency::Eur)
    );
    let config = demo_config();
    config.validate().unwrap();
    for prefix in 21..=24 {
        assert!(config.layout_for(prefix).unwrap().pattern.contains('W'));
    }
    assert!(config.layout_for(28).unwrap().pattern.contains('P'));
    let (users, rejected) = catalog::parse_users(demo_file("users.csv")).unwrap();
    assert!(rejected.is_empty());
    let pins: Vec<(&str, &str)> = users
        .iter()
        .map(|u| (u.role.name(), u.pin.as_str()))
        .collect();
    assert_eq!(
        pins,
        vec![("cashier", "1111"), ("manager", "9999"), ("admin", "0000")]
    );
}
