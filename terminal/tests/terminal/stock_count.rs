//! Count sessions end to end: several devices, blind, partial scopes,
//! corrections, approval rules.

use std::collections::BTreeMap;

use kasa_domain::ErrorCode;
use kasa_domain::document::DocumentType;
use kasa_domain::permission::{Operator, Role};
use kasa_domain::stock::MovementKind;
use kasa_terminal::stock::count::{
    CountInput, CountScope, CountStatus, add_count, cancel_session, count_session,
};
use kasa_terminal::stock::movement::movements_of_document;
use kasa_terminal::stock::verify_cache;
use rust_decimal_macros::dec;

use super::{Till, input, manager};

#[test]
fn count_with_two_devices_posts_variance_only_on_approval() {
    let mut till = Till::new();
    till.receive_one("A", dec!(10), dec!(1), None);
    till.receive_one("B", dec!(4), dec!(2), None);
    till.receive_one("C", dec!(7), dec!(3), None);
    let session = till.count(CountScope::Full, false);
    let added = till.add(session, "hh-1", "A", dec!(6));
    assert_eq!(added.expected, Some(dec!(10)));
    till.add(session, "hh-2", "A", dec!(3));
    till.add(session, "hh-2", "B", dec!(4));
    // C not counted at all → counted 0. D found but never received.
    till.add(session, "hh-1", "D", dec!(2));
    // A sale during the count does not distort the variance.
    till.sell("A", dec!(1));
    let review = till.review(session);
    let lines: BTreeMap<_, _> = review
        .lines
        .iter()
        .map(|l| (l.sku.as_str(), (l.expected, l.counted, l.variance)))
        .collect();
    assert_eq!(lines["B"], (dec!(4), dec!(4), dec!(0)));
    assert_eq!(lines["C"], (dec!(7), dec!(0), dec!(-7)));
    assert_eq!(lines["D"], (dec!(0), dec!(2), dec!(2)));
    // A: 6 (hh-1) + 3 (hh-2) against 10 at the snapshot.
    assert_eq!(lines["A"], (dec!(10), dec!(9), dec!(-1)));
    // Nothing moved yet.
    assert_eq!(till.qty("A"), dec!(9));
    assert_eq!(till.qty("C"), dec!(7));

    let approved = till.approve(session, &manager()).unwrap();
    assert_eq!(approved.adjustments, 3);
    assert_eq!(till.qty("A"), dec!(8));
    assert_eq!(till.qty("C"), dec!(0));
    assert_eq!(till.qty("D"), dec!(2));
    assert_eq!(till.qty("B"), dec!(4));
    let moves = movements_of_document(till.store.conn(), approved.document_id).unwrap();
    assert_eq!(moves.len(), 3);
    assert!(
        moves
            .iter()
            .all(|m| m.kind == MovementKind::CountAdjustment)
    );
    let (doc_type, number): (String, String) = till
        .store
        .conn()
        .query_row(
            "SELECT doc_type, number FROM documents WHERE id = ?1",
            [approved.document_id.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(doc_type, DocumentType::StockCount.code());
    assert_eq!(number, approved.number);
    assert_eq!(
        count_session(till.store.conn(), session).unwrap().status,
        CountStatus::Approved
    );
    assert!(verify_cache(till.store.conn()).unwrap().is_empty());
}

#[test]
fn blind_count_hides_expected_until_review() {
    let mut till = Till::new();
    till.receive_one("A", dec!(10), dec!(1), None);
    let session = till.count(CountScope::Full, true);
    let added = till.add(session, "hh-1", "A", dec!(8));
    assert_eq!(added.expected, None);
    assert_eq!(added.counted, dec!(8));
    let review = till.review(session);
    assert_eq!(review.lines[0].expected, dec!(10));
    assert_eq!(review.lines[0].variance, dec!(-2));
}

#[test]
fn partial_count_by_sku_refuses_other_products_and_leaves_them_alone() {
    let mut till = Till::new();
    till.receive_one("A", dec!(10), dec!(1), None);
    till.receive_one("B", dec!(10), dec!(1), None);
    let session = till.count(CountScope::Skus(vec!["A".into()]), false);
    let at = till.tick();
    let tx = till.store.write_tx().unwrap();
    let err = add_count(&tx, session, &input("hh-1", "B", dec!(1)), at).unwrap_err();
    assert_eq!(err.code(), "stock.count_out_of_scope");
    drop(tx);
    till.add(session, "hh-1", "A", dec!(9));
    let review = till.review(session);
    assert_eq!(review.lines.len(), 1);
    till.approve(session, &manager()).unwrap();
    assert_eq!(till.qty("A"), dec!(9));
    assert_eq!(till.qty("B"), dec!(10));
}

#[test]
fn partial_count_by_group_uses_the_catalog_group() {
    let mut till = Till::new();
    for (sku, group) in [("M1", "dairy"), ("M2", "dairy"), ("B1", "bread")] {
        till.store.conn().execute(
            "INSERT INTO products (sku, name, name_norm, product_group, unit, vat_class) VALUES (?1, ?1, ?1, ?2, 'piece', 'standard')",
            [sku, group],
        ).unwrap();
        till.receive_one(sku, dec!(5), dec!(1), None);
    }
    let session = till.count(CountScope::Groups(vec!["dairy".into()]), false);
    till.add(session, "hh-1", "M1", dec!(5));
    let at = till.tick();
    let tx = till.store.write_tx().unwrap();
    assert_eq!(
        add_count(&tx, session, &input("hh-1", "B1", dec!(1)), at)
            .unwrap_err()
            .code(),
        "stock.count_out_of_scope"
    );
    drop(tx);
    let review = till.review(session);
    let skus: Vec<_> = review
        .lines
        .iter()
        .map(|l| (l.sku.as_str(), l.variance))
        .collect();
    assert_eq!(skus, vec![("M1", dec!(0)), ("M2", dec!(-5))]);
}

#[test]
fn approval_needs_a_manager_and_a_review_and_cancel_posts_nothing() {
    let mut till = Till::new();
    till.receive_one("A", dec!(10), dec!(1), None);
    let session = till.count(CountScope::Full, false);
    till.add(session, "hh-1", "A", dec!(1));
    let err = till.approve(session, &manager()).unwrap_err();
    assert_eq!(err.code(), "stock.count_wrong_status");
    till.review(session);
    let err = till
        .approve(session, &Operator::new("cash", Role::Cashier))
        .unwrap_err();
    assert_eq!(err.code(), "count.needs_manager");
    assert_eq!(till.qty("A"), dec!(10));
    let at = till.tick();
    let tx = till.store.write_tx().unwrap();
    cancel_session(&tx, session, at).unwrap();
    tx.commit().unwrap();
    assert_eq!(
        till.approve(session, &manager()).unwrap_err().code(),
        "stock.count_wrong_status"
    );
    assert_eq!(till.qty("A"), dec!(10));
    let at = till.tick();
    let tx = till.store.write_tx().unwrap();
    assert_eq!(
        add_count(&tx, session, &input("hh-1", "A", dec!(1)), at)
            .unwrap_err()
            .code(),
        "stock.count_wrong_status"
    );
}

#[test]
fn count_corrections_replace_and_resends_are_idempotent() {
    let mut till = Till::new();
    till.receive_one("A", dec!(10), dec!(1), None);
    let session = till.count(CountScope::Full, false);
    let first = till.add(session, "hh-1", "A", dec!(6));
    assert_eq!(first.entry_no, 1);
    till.add(session, "hh-2", "A", dec!(3));
    // hh-1 miscounted: entry 2 replaces its entry 1.
    let at = till.tick();
    let tx = till.store.write_tx().unwrap();
    let corrected = add_count(
        &tx,
        session,
        &CountInput {
            corrects: Some(1),
            ..input("hh-1", "A", dec!(5))
        },
        at,
    )
    .unwrap();
    assert_eq!(corrected.entry_no, 2);
    assert_eq!(corrected.counted, dec!(8));
    // The same entry sent again (a retry) changes nothing.
    let again = add_count(
        &tx,
        session,
        &CountInput {
            entry_no: Some(2),
            corrects: Some(1),
            ..input("hh-1", "A", dec!(5))
        },
        at,
    )
    .unwrap();
    assert_eq!(again.counted, dec!(8));
    // A different entry under a used number is refused.
    let err = add_count(
        &tx,
        session,
        &CountInput {
            entry_no: Some(2),
            ..input("hh-1", "A", dec!(7))
        },
        at,
    )
    .unwrap_err();
    assert_eq!(err.code(), "count.conflicting_entry");
    // A device cannot correct another device's entry.
    let err = add_count(
        &tx,
        session,
        &CountInput {
            corrects: Some(2),
            ..input("hh-2", "A", dec!(1))
        },
        at,
    )
    .unwrap_err();
    assert_eq!(err.code(), "count.unknown_entry");
    tx.commit().unwrap();
    let review = till.review(session);
    assert_eq!(review.lines[0].counted, dec!(8));
    assert_eq!(review.lines[0].variance, dec!(-2));
}
