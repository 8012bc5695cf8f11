use chrono::NaiveDate;
use kasa_domain::permission::Role;
use rust_decimal_macros::dec;

use super::*;
use crate::settings::TillSettings;
use crate::store::Store;
use crate::users;

pub(crate) fn at(min: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 3, 4)
        .unwrap()
        .and_hms_opt(10, min, 0)
        .unwrap()
}

const CSV: &str = "sku,name,group,brand,unit,vat_class,price,cost,barcodes,plu,status,tracks_batches,markup_percent\n\
A,Сирене,Млечни,,piece,standard,6.00,4.00,3800000000010;3800000000027*6,,ACTIVE,false,\n\
B,Книга,Книги,,piece,reduced,10.00,7.00,,,ACTIVE,false,\n";

pub(crate) fn till(path: &std::path::Path) -> (Store, TillSettings, User) {
    let mut store = Store::open(path).unwrap();
    let settings = TillSettings::new("S001", "T01");
    settings.save_new(store.conn()).unwrap();
    let report = catalog::import_products(&mut store, CSV.as_bytes(), |_| {}).unwrap();
    assert_eq!(report.rejected_total, 0, "{:?}", report.rejected);
    let ana = users::add_user(store.conn(), "ana", "Ана", Role::Cashier, "1111", at(0)).unwrap();
    (store, settings, ana)
}

#[test]
fn a_parked_sale_survives_a_restart_and_is_recalled_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.sqlite");
    let id = {
        let (mut store, settings, ana) = till(&path);
        shift::open_shift(&mut store, &settings, &ana, Money(dec!(50)), at(1)).unwrap();
        let mut s = SaleSession::start(store.conn(), &settings, ana, None, at(2)).unwrap();
        // A packaging barcode stands for 6 pieces.
        let line = s
            .ring_up(store.conn(), &settings, "3800000000027", None, at(2))
            .unwrap();
        assert_eq!(s.sale.line(line).unwrap().qty, dec!(6));
        s.ring_up(store.conn(), &settings, "B", Some(dec!(2)), at(2))
            .unwrap();
        parked::park(store.conn(), &s, Some("red coat"), at(3)).unwrap()
    };
    let mut store = Store::open(&path).unwrap();
    let settings = crate::settings::load(store.conn()).unwrap();
    let list = parked::list_parked(store.conn()).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!((list[0].id, list[0].lines), (id, 2));
    let mut s = parked::recall(store.conn(), id).unwrap();
    assert_eq!(
        parked::recall(store.conn(), id).unwrap_err().code(),
        "sale.not_parked"
    );
    s.add_tender(TenderRequest {
        kind: "cash".into(),
        amount: Some(Money(dec!(100))),
        reference: None,
    })
    .unwrap();
    let done = complete_sale(&mut store, &settings, s, at(4)).unwrap();
    // 6 × 6.00 + 2 × 10.00
    assert_eq!(done.total, Money(dec!(56.00)));
    assert_eq!(done.change, Money(dec!(44.00)));
    let a = crate::stock::on_hand(store.conn(), "A", "S001").unwrap();
    assert_eq!(a.qty, dec!(-6));
}

#[test]
fn nothing_is_written_when_the_shift_is_not_open() {
    let dir = tempfile::tempdir().unwrap();
    let (store, settings, ana) = till(&dir.path().join("n.sqlite"));
    let err = SaleSession::start(store.conn(), &settings, ana, None, at(1)).unwrap_err();
    assert_eq!(err.code(), "shift.not_open");
    let docs: i64 = store
        .conn()
        .query_row("SELECT COUNT(*) FROM documents", [], |r| r.get(0))
        .unwrap();
    assert_eq!(docs, 0);
}

#[test]
fn an_underpaid_sale_is_refused_and_leaves_no_trace() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, settings, ana) = till(&dir.path().join("u.sqlite"));
    shift::open_shift(&mut store, &settings, &ana, Money::ZERO, at(1)).unwrap();
    let mut s = SaleSession::start(store.conn(), &settings, ana, None, at(2)).unwrap();
    s.ring_up(store.conn(), &settings, "A", None, at(2))
        .unwrap();
    s.add_tender(TenderRequest {
        kind: "cash".into(),
        amount: Some(Money(dec!(1))),
        reference: None,
    })
    .unwrap();
    let err = complete_sale(&mut store, &settings, s, at(3)).unwrap_err();
    assert_eq!(err.code(), "sale.underpaid");
    let (docs, journal, moves): (i64, i64, i64) = store
        .conn()
        .query_row(
            "SELECT (SELECT COUNT(*) FROM documents WHERE doc_type = 'SA'),
                    (SELECT COUNT(*) FROM journal WHERE kind = 'sale'),
                    (SELECT COUNT(*) FROM stock_movements)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!((docs, journal, moves), (0, 0, 0));
    assert_eq!(
        tender_kind("gold").unwrap_err().code(),
        "sale.unknown_tender"
    );
}
