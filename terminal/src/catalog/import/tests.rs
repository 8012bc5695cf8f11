//! Table tests of the import rules that need no demo data.

use kasa_domain::permission::Role;

use super::*;

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("t.sqlite")).unwrap();
    (dir, store)
}

fn ean(body: &str) -> String {
    format!(
        "{body}{}",
        kasa_domain::barcode::gtin_check_digit(body).unwrap()
    )
}

const PRODUCTS: &str = "sku,name,unit,vat_class,price,barcodes\n";

fn codes(report: &ImportReport) -> Vec<(u64, &'static str)> {
    report.rejected.iter().map(|r| (r.line, r.code)).collect()
}

#[test]
fn product_row_rules() {
    let (_d, mut s) = store();
    let (a, b) = (ean("380111111111"), ean("380222222222"));
    let text = format!(
        "{PRODUCTS}\
         ,Без код,piece,standard,1,\n\
         X 1,Интервал,piece,standard,1,\n\
         X2,,piece,standard,1,\n\
         X3,Две,piece,standard,1,{a};{a}\n\
         X4,Кашон,piece,standard,1,{a};{b}*0\n\
         X5,Кашон,piece,standard,1,{a};{b}*x\n\
         X6,Къс,piece,standard,1,12345\n\
         X7,Добър,PIECE,zero,1,{a};{b}*24\n\
         X8,Без цена,piece,standard,,\n"
    );
    let report = import_products(&mut s, text.as_bytes(), |_| {}).unwrap();
    assert_eq!(
        codes(&report),
        vec![
            (2, "catalog.missing_sku"),
            (3, "catalog.bad_sku"),
            (4, "catalog.missing_name"),
            (5, "catalog.duplicate_barcode"),
            (6, "catalog.bad_multiplier"),
            (7, "catalog.bad_multiplier"),
            (8, "catalog.bad_barcode"),
        ]
    );
    assert_eq!(report.inserted, 2);
    let multiplier: u32 = s
        .conn()
        .query_row(
            "SELECT multiplier FROM barcodes WHERE code = ?1",
            [&b],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(multiplier, 24);
}

#[test]
fn a_row_with_the_wrong_number_of_fields_is_rejected_not_fatal() {
    let (_d, mut s) = store();
    let text = "sku,name,unit,vat_class\nA,Едно,piece,standard\nB,Две,piece\nC,Три,kg,reduced\n";
    let report = import_products(&mut s, text.as_bytes(), |_| {}).unwrap();
    assert_eq!(codes(&report), vec![(3, "catalog.bad_row")]);
    assert_eq!(report.inserted, 2);
}

#[test]
fn progress_is_reported_per_batch_and_once_done() {
    let (_d, mut s) = store();
    let mut text = String::from("sku,name,unit,vat_class\n");
    for i in 0..250 {
        text.push_str(&format!("S{i},Стока {i},piece,standard\n"));
    }
    let options = ImportOptions {
        batch_rows: 100,
        ..ImportOptions::default()
    };
    let mut seen = Vec::new();
    let report = import_products_with(&mut s, text.as_bytes(), &options, |p| seen.push(p)).unwrap();
    assert_eq!(report.inserted, 250);
    let rows: Vec<u64> = seen.iter().map(|p| p.rows_read).collect();
    assert_eq!(rows, vec![100, 200, 250]);
    assert!(seen.last().unwrap().done && !seen[0].done);
    assert_eq!(seen.last().unwrap().bytes_read, text.len() as u64);
}

#[test]
fn price_tier_rules() {
    let (_d, mut s) = store();
    import_products(
        &mut s,
        "sku,name,unit,vat_class\nP1,Кафе,piece,standard\n".as_bytes(),
        |_| {},
    )
    .unwrap();
    let text = "sku,kind,store,customer_group,min_qty,price,valid_from,valid_to\n\
                P1,group,,VIP,,22.00,,\n\
                P1,step,,,50,21.50,,\n\
                P1,base,S001,,,24.49,2026-01-01,2026-12-31\n\
                P9,base,,,,1.00,,\n\
                P1,promo,,,,1.00,,\n\
                P1,group,,,,1.00,,\n\
                P1,step,,,0,1.00,,\n\
                P1,base,,,,,,\n\
                P1,base,,,,1.00,2026-02-01,2026-01-01\n\
                P1,base,,,,1.00,01.02.2026,\n";
    let report = import_price_tiers(&mut s, text.as_bytes(), |_| {}).unwrap();
    assert_eq!(
        codes(&report),
        vec![
            (5, "catalog.unknown_product"),
            (6, "catalog.unknown_tier_kind"),
            (7, "catalog.bad_tier"),
            (8, "catalog.bad_tier"),
            (9, "catalog.bad_decimal"),
            (10, "catalog.bad_date"),
            (11, "catalog.bad_date"),
        ]
    );
    assert_eq!((report.inserted, report.updated), (3, 0));
    // Same key, new price: an update.
    let again = "sku,kind,customer_group,price\nP1,group,VIP,21.90\n";
    let report = import_price_tiers(&mut s, again.as_bytes(), |_| {}).unwrap();
    assert_eq!((report.inserted, report.updated), (0, 1));
    let groups: i64 = s
        .conn()
        .query_row("SELECT count(*) FROM customer_groups", [], |r| r.get(0))
        .unwrap();
    assert_eq!(groups, 1, "VIP was created");
}

#[test]
fn promotions_bad_entries_are_rejected_by_entry_number() {
    let (_d, mut s) = store();
    let json = r#"[
      {"id":"OK","from":"2026-01-01T00:00:00",
       "kind":{"type":"fixed_price","skus":["A"],"price":"1.00"}},
      {"id":"NOKIND","from":"2026-01-01T00:00:00"},
      {"id":"BACKWARDS","from":"2026-02-01T00:00:00","to":"2026-01-01T00:00:00",
       "kind":{"type":"percent_off","skus":["A"],"percent":"5"}}
    ]"#;
    let report = import_promotions(&mut s, json.as_bytes(), |_| {}).unwrap();
    let got: Vec<(u64, &str)> = report
        .rejected
        .iter()
        .map(|r| (r.line, r.key.as_str()))
        .collect();
    assert_eq!(got, vec![(2, "NOKIND"), (3, "BACKWARDS")]);
    assert_eq!(report.inserted, 1);
    let err = import_promotions(&mut s, "{\"id\":1}".as_bytes(), |_| {}).unwrap_err();
    assert_eq!(kasa_domain::ErrorCode::code(&err), "catalog.bad_json");
}

#[test]
fn customers_upsert_and_validate() {
    let (_d, mut s) = store();
    let text = "code,name,customer_group,credit_limit,balance\n\
                C1,Иван,VIP,100.00,0\n\
                C2,,,,\n\
                C3,Мария,,abc,\n";
    let report = import_customers(&mut s, text.as_bytes(), |_| {}).unwrap();
    assert_eq!(
        codes(&report),
        vec![(3, "catalog.missing_field"), (4, "catalog.bad_decimal")]
    );
    let report =
        import_customers(&mut s, "code,name\nC1,Иван Иванов\n".as_bytes(), |_| {}).unwrap();
    assert_eq!(report.updated, 1);
    let c = crate::catalog::customer(s.conn(), "C1").unwrap().unwrap();
    assert_eq!((c.name.as_str(), c.group), ("Иван Иванов", None));
}

#[test]
fn users_csv_rows_and_rejections() {
    let text = "login,name,role,pin\n\
                cashier,Гергана,cashier,1111\n\
                boss,,Manager,99999999\n\
                x,X,owner,1234\n\
                y,Y,admin,12a4\n\
                z,Z,admin,123\n\
                ,Nobody,admin,1234\n";
    let (users, rejected) = parse_users(text.as_bytes()).unwrap();
    let got: Vec<(&str, Role, &str)> = users
        .iter()
        .map(|u| (u.login.as_str(), u.role, u.name.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("cashier", Role::Cashier, "Гергана"),
            ("boss", Role::Manager, "boss")
        ]
    );
    let codes: Vec<(u64, &str)> = rejected.iter().map(|r| (r.line, r.code)).collect();
    assert_eq!(
        codes,
        vec![
            (4, "catalog.unknown_role"),
            (5, "catalog.bad_pin"),
            (6, "catalog.bad_pin"),
            (7, "catalog.missing_field"),
        ]
    );
    let err = parse_users("login,name\n".as_bytes()).unwrap_err();
    assert_eq!(kasa_domain::ErrorCode::code(&err), "catalog.missing_column");
}
