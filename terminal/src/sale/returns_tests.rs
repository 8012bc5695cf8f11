//! Returns for a logged-in user and the per-line "already returned" view.

use kasa_domain::ErrorCode;
use kasa_domain::money::Money;
use rust_decimal_macros::dec;

use super::*;
use crate::sale::script::ScriptTender;
use crate::sale::tests::{at, till};
use crate::sale::{SaleSession, TenderRequest, complete_sale};

/// A till with a completed sale of 3 × A and 1 × B; returns its number.
fn till_with_sale(path: &std::path::Path) -> (Store, TillSettings, User, String) {
    let (mut store, settings, ana) = till(path);
    shift::open_shift(&mut store, &settings, &ana, Money(dec!(50)), at(1)).unwrap();
    let mut s = SaleSession::start(store.conn(), &settings, ana.clone(), None, at(2)).unwrap();
    s.ring_up(store.conn(), &settings, "A", Some(dec!(3)), at(2))
        .unwrap();
    s.ring_up(store.conn(), &settings, "B", None, at(2))
        .unwrap();
    s.add_tender(TenderRequest {
        kind: "cash".into(),
        amount: None,
        reference: None,
    })
    .unwrap();
    let done = complete_sale(&mut store, &settings, s, at(3)).unwrap();
    (store, settings, ana, done.number)
}

fn request(original: &str, line: u32, qty: rust_decimal::Decimal) -> ReturnRequest {
    ReturnRequest {
        original: Some(original.to_string()),
        lines: vec![ReturnScriptLine {
            line: Some(line),
            sku: None,
            barcode: None,
            code: None,
            qty,
            price: None,
        }],
        tenders: vec![ScriptTender {
            kind: "cash".into(),
            amount: None,
            reference: None,
        }],
        ..ReturnRequest::default()
    }
}

fn line(sale: &ReturnableSale, no: u32) -> &ReturnableLine {
    sale.lines.iter().find(|l| l.line_no == no).unwrap()
}

#[test]
fn a_logged_in_user_returns_without_a_pin_and_the_view_counts_what_was_returned() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, settings, ana, number) = till_with_sale(&dir.path().join("r.sqlite"));

    let before = returnable_sale(store.conn(), &settings, &number).unwrap();
    assert_eq!(before.number, number);
    assert_eq!(
        (
            line(&before, 1).sold,
            line(&before, 1).returned,
            line(&before, 1).returnable
        ),
        (dec!(3), dec!(0), dec!(3))
    );

    let done = run_return_as(
        &mut store,
        &settings,
        &ana,
        &request(&number, 1, dec!(1)),
        None,
        at(4),
    )
    .unwrap();
    assert_eq!(done.original.as_deref(), Some(number.as_str()));
    assert_eq!(done.total, Money(dec!(6.00)));
    let author: String = store
        .conn()
        .query_row(
            "SELECT author FROM documents WHERE doc_type = 'RE'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(author, "ana");

    // The receipt's barcode form of the number finds the same sale.
    let after = returnable_sale(store.conn(), &settings, &format!("SA-{number}")).unwrap();
    assert_eq!(
        (
            line(&after, 1).sold,
            line(&after, 1).returned,
            line(&after, 1).returnable
        ),
        (dec!(3), dec!(1), dec!(2))
    );
    assert_eq!(line(&after, 2).returned, dec!(0));

    // More than is left is refused and nothing is written.
    let err = run_return_as(
        &mut store,
        &settings,
        &ana,
        &request(&number, 1, dec!(3)),
        None,
        at(5),
    )
    .unwrap_err();
    assert_eq!(err.code(), "return.exceeds_returnable");
    let again = returnable_sale(store.conn(), &settings, &number).unwrap();
    assert_eq!(line(&again, 1).returnable, dec!(2));
}

#[test]
fn the_script_and_the_logged_in_user_run_the_same_return() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, settings, _ana, number) = till_with_sale(&dir.path().join("s.sqlite"));
    let req = request(&number, 2, dec!(1));
    let script = ReturnScript {
        cashier_pin: "1111".into(),
        original: req.original.clone(),
        lines: req.lines.clone(),
        tenders: req.tenders.clone(),
        approval_pin: None,
        reason: None,
        customer: None,
    };
    assert_eq!(script.request(), req);
    let done = run_return_script(&mut store, &settings, &script, at(4)).unwrap();
    assert_eq!(done.total, Money(dec!(10.00)));
    let wrong = ReturnScript {
        cashier_pin: "0000".into(),
        ..script
    };
    assert!(run_return_script(&mut store, &settings, &wrong, at(5)).is_err());
    let view = returnable_sale(store.conn(), &settings, &number).unwrap();
    assert_eq!(line(&view, 2).returnable, dec!(0));
}

#[test]
fn an_unknown_sale_number_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let (store, settings, _ana, _number) = till_with_sale(&dir.path().join("u.sqlite"));
    let err = returnable_sale(store.conn(), &settings, "0000009999").unwrap_err();
    assert_eq!(err.code(), "document.not_found");
}
