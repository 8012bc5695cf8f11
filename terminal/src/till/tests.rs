//! The till session against a real SQLite file: every approval path is
//! audited, a wrong PIN changes nothing, a refusal names its permission
//! with a stable code, and an open count survives a restart.

use kasa_domain::ErrorCode;
use kasa_domain::money::Money;
use kasa_domain::permission::{Permission, Role};
use rust_decimal_macros::dec;

use super::*;
use crate::sale::returns::{ReturnRequest, ReturnScriptLine};
use crate::sale::script::ScriptTender;
use crate::sale::tests::{at, till};
use crate::sale::{Discount, TenderRequest};
use crate::stock::count::CountScope;

const MANAGER_PIN: &str = "9999";

/// A till file with cashier ana (1111), manager boris (9999), cashier
/// vera (2222), stock of A, and ana logged in with the shift open.
fn session(path: &std::path::Path) -> TillSession {
    let (store, settings, _ana) = till(path);
    for (login, role, pin) in [
        ("boris", Role::Manager, "9999"),
        ("vera", Role::Cashier, "2222"),
    ] {
        users::add_user(store.conn(), login, login, role, pin, at(0)).unwrap();
    }
    let mut till = TillSession::new(store, settings);
    till.login("1111", at(1)).unwrap();
    till.open_shift(Money(dec!(100)), at(1)).unwrap();
    till
}

/// The `approval` audit entries: (actor, approved_by, permission).
fn approvals(till: &TillSession) -> Vec<(String, Option<String>, String)> {
    users::audit_log(till.conn())
        .unwrap()
        .into_iter()
        .filter(|r| r.action == "approval")
        .map(|r| {
            let p = r.detail["permission"].as_str().unwrap_or("").to_string();
            (r.actor, r.approved_by, p)
        })
        .collect()
}

fn failures(till: &TillSession) -> i64 {
    till.conn()
        .query_row(
            "SELECT COALESCE(MAX(consecutive), 0) FROM login_failures",
            [],
            |r| r.get(0),
        )
        .unwrap()
}

fn documents_of(till: &TillSession, doc_type: &str) -> i64 {
    till.conn()
        .query_row(
            "SELECT COUNT(*) FROM documents WHERE doc_type = ?1",
            [doc_type],
            |r| r.get(0),
        )
        .unwrap()
}

fn pay_and_complete(till: &mut TillSession, minute: u32) -> String {
    till.add_tender(TenderRequest {
        kind: "cash".into(),
        amount: None,
        reference: None,
    })
    .unwrap();
    till.complete_sale(at(minute)).unwrap().number
}

fn unreceipted_return() -> ReturnRequest {
    ReturnRequest {
        original: None,
        lines: vec![ReturnScriptLine {
            line: None,
            sku: Some("B".into()),
            barcode: None,
            code: None,
            qty: dec!(1),
            price: None,
        }],
        tenders: vec![ScriptTender {
            kind: "cash".into(),
            amount: None,
            reference: None,
        }],
        reason: Some("broken".into()),
        customer: None,
    }
}

#[test]
fn every_approval_path_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let mut till = session(&dir.path().join("a.sqlite"));
    let pin = Some(MANAGER_PIN);
    let mut expected = Vec::new();
    let mut expect = |till: &TillSession, p: Permission| {
        expected.push((
            "ana".to_string(),
            Some("boris".to_string()),
            p.name().to_string(),
        ));
        assert_eq!(approvals(till), expected, "after {p}");
    };

    let line = till.ring_up("A", Some(dec!(3)), at(2)).unwrap();
    till.ring_up("B", None, at(2)).unwrap();
    till.set_quantity(line, dec!(2), pin, at(2)).unwrap();
    expect(&till, Permission::VoidLine);
    till.override_price(line, Money(dec!(5.00)), pin, at(2))
        .unwrap();
    expect(&till, Permission::PriceOverride);
    till.discount_line(line, Discount::Percent(dec!(50)), pin, at(2))
        .unwrap();
    expect(&till, Permission::DiscountOverLimit);
    till.discount_receipt(Discount::Percent(dec!(40)), pin, at(2))
        .unwrap();
    expect(&till, Permission::DiscountOverLimit);
    till.void_line(2, pin, at(2)).unwrap();
    expect(&till, Permission::VoidLine);
    // Within the cashier's own rights: no approval is taken or written.
    till.discount_line(line, Discount::Percent(dec!(1)), pin, at(2))
        .unwrap();
    expect_unchanged(&till, 5);
    pay_and_complete(&mut till, 3);

    till.ring_up("A", None, at(4)).unwrap();
    till.void_sale(pin, at(4)).unwrap();
    expect(&till, Permission::VoidSale);

    till.cash_movement(true, Money(dec!(10)), "bank", pin, at(5))
        .unwrap();
    expect(&till, Permission::CashOut);

    till.make_return(&unreceipted_return(), pin, at(6)).unwrap();
    expect(&till, Permission::ReturnWithoutReceipt);

    till.count_start(CountScope::Skus(vec!["A".into()]), false, at(7))
        .unwrap();
    till.count_add("A", dec!(1), at(7)).unwrap();
    till.count_review(at(8)).unwrap();
    let approved = till.count_approve(pin, at(8)).unwrap();
    expect(&till, Permission::ApproveCount);
    let count_entry = users::audit_log(till.conn())
        .unwrap()
        .into_iter()
        .find(|r| r.action == "count.approve")
        .expect("the count approval is audited");
    assert_eq!(
        (
            count_entry.actor.as_str(),
            count_entry.approved_by.as_deref()
        ),
        ("ana", Some("boris"))
    );
    assert_eq!(
        count_entry.document_id,
        Some(approved.document_id.to_string())
    );
}

fn expect_unchanged(till: &TillSession, n: usize) {
    assert_eq!(approvals(till).len(), n);
}

#[test]
fn a_manager_approving_a_count_alone_is_audited_too() {
    let dir = tempfile::tempdir().unwrap();
    let mut till = session(&dir.path().join("m.sqlite"));
    till.logout(at(2)).unwrap();
    till.login(MANAGER_PIN, at(2)).unwrap();
    till.count_start(CountScope::Full, true, at(3)).unwrap();
    till.count_review(at(4)).unwrap();
    till.count_approve(None, at(4)).unwrap();
    let log = users::audit_log(till.conn()).unwrap();
    let entry = log.iter().find(|r| r.action == "count.approve").unwrap();
    assert_eq!(
        (entry.actor.as_str(), entry.approved_by.as_deref()),
        ("boris", Some("boris"))
    );
    assert!(
        approvals(&till).is_empty(),
        "no one else's approval was needed"
    );
}

#[test]
fn a_wrong_pin_changes_nothing_but_the_failure_count() {
    let dir = tempfile::tempdir().unwrap();
    let mut till = session(&dir.path().join("w.sqlite"));
    till.ring_up("A", None, at(2)).unwrap();
    till.ring_up("B", None, at(2)).unwrap();
    let before = till.sale().unwrap().clone();

    let err = till.void_line(2, Some("0000"), at(3)).unwrap_err();
    assert_eq!(err.code(), "auth.wrong_pin");
    let err = till
        .override_price(1, Money(dec!(0.01)), Some("0000"), at(3))
        .unwrap_err();
    assert_eq!(err.code(), "auth.wrong_pin");
    assert_eq!(till.sale(), Some(&before));

    let err = till
        .cash_movement(true, Money(dec!(10)), "bank", Some("0000"), at(4))
        .unwrap_err();
    assert_eq!(err.code(), "auth.wrong_pin");
    assert_eq!(documents_of(&till, "CO"), 0);

    let err = till
        .make_return(&unreceipted_return(), Some("0000"), at(5))
        .unwrap_err();
    assert_eq!(err.code(), "auth.wrong_pin");
    assert_eq!(documents_of(&till, "RE"), 0);

    assert!(approvals(&till).is_empty());
    // The failures are kept (the lockout counts them), nothing else.
    assert_eq!(failures(&till), 4);
}

#[test]
fn a_refusal_names_the_permission_with_a_stable_code() {
    let dir = tempfile::tempdir().unwrap();
    let mut till = session(&dir.path().join("r.sqlite"));
    till.ring_up("A", None, at(2)).unwrap();
    till.ring_up("B", None, at(2)).unwrap();

    let cases: Vec<(TillError, &str, Permission)> = vec![
        (
            till.void_line(2, None, at(3)).unwrap_err(),
            "sale.needs_manager",
            Permission::VoidLine,
        ),
        // Another cashier's PIN does not approve either.
        (
            till.void_line(2, Some("2222"), at(3)).unwrap_err(),
            "sale.needs_manager",
            Permission::VoidLine,
        ),
        (
            till.void_sale(None, at(3)).unwrap_err(),
            "sale.needs_manager",
            Permission::VoidSale,
        ),
        (
            till.cash_movement(true, Money(dec!(5)), "bank", None, at(3))
                .unwrap_err(),
            "shift.needs_manager",
            Permission::CashOut,
        ),
        (
            till.make_return(&unreceipted_return(), None, at(3))
                .unwrap_err(),
            "return.needs_manager",
            Permission::ReturnWithoutReceipt,
        ),
    ];
    for (err, code, permission) in cases {
        assert_eq!(err.code(), code, "{err}");
        assert_eq!(err.needed_permission(), Some(permission), "{err}");
    }
    till.count_start(CountScope::Full, false, at(4)).unwrap();
    till.count_review(at(4)).unwrap();
    let err = till.count_approve(None, at(4)).unwrap_err();
    assert_eq!(err.code(), "count.needs_manager");
    assert_eq!(err.needed_permission(), Some(Permission::ApproveCount));
    assert!(till.count().is_some(), "the count stays open");
    assert_eq!(till.sale().unwrap().line_count(), 2);
    assert_eq!(documents_of(&till, "VS") + documents_of(&till, "CO"), 0);
    assert!(approvals(&till).is_empty());
}

#[test]
fn nothing_runs_without_a_login() {
    let dir = tempfile::tempdir().unwrap();
    let mut till = session(&dir.path().join("l.sqlite"));
    till.logout(at(2)).unwrap();
    let request = crate::stock::ReceiveRequest {
        supplier: "Dairy".into(),
        po: None,
        location: None,
        delivery_note: None,
        lines: Vec::new(),
    };
    let errors = [
        till.ring_up("A", None, at(3)).unwrap_err(),
        till.receive(&request, at(3)).unwrap_err(),
        till.count_start(CountScope::Full, false, at(3))
            .unwrap_err(),
        till.no_sale("coins", at(3)).unwrap_err(),
        till.x_report(at(3)).unwrap_err(),
        till.resolve("A").unwrap_err(),
    ];
    for e in errors {
        assert_eq!(e.code(), "till.not_logged_in");
    }
}

#[test]
fn an_open_count_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.sqlite");
    let id = {
        let mut till = session(&path);
        let open = till
            .count_start(CountScope::Skus(vec!["A".into(), "B".into()]), false, at(2))
            .unwrap();
        let id = open.id;
        till.count_add("A", dec!(2), at(3)).unwrap();
        till.count_add("B", dec!(1), at(3)).unwrap();
        till.count_add("3800000000027", dec!(1), at(3)).unwrap();
        id
    };
    let mut till = TillSession::open(&path).unwrap();
    assert!(till.count().is_none(), "found at login, not before");
    till.login("1111", at(4)).unwrap();
    let open = till.count().expect("the open count is found again");
    assert_eq!((open.id, open.blind, open.scope), (id, false, "skus"));
    let seen: Vec<_> = open
        .entries
        .iter()
        .map(|e| (e.sku.as_str(), e.qty, e.counted))
        .collect();
    // newest first; A: 2, then a box of 6 → 8
    assert_eq!(
        seen,
        vec![
            ("A", dec!(6), dec!(8)),
            ("B", dec!(1), dec!(1)),
            ("A", dec!(2), dec!(2))
        ]
    );
    till.count_add("B", dec!(1), at(5)).unwrap();
    till.count_review(at(6)).unwrap();
    till.count_approve(Some(MANAGER_PIN), at(6)).unwrap();
    drop(till);
    let mut till = TillSession::open(&path).unwrap();
    till.login("1111", at(7)).unwrap();
    assert!(till.count().is_none(), "an approved count is not reopened");
}

#[test]
fn the_last_receipt_is_kept_for_the_printing_side() {
    let dir = tempfile::tempdir().unwrap();
    let mut till = session(&dir.path().join("p.sqlite"));
    till.ring_up("A", None, at(2)).unwrap();
    let number = pay_and_complete(&mut till, 3);
    let last = till.last_receipt().unwrap();
    assert_eq!(
        (last.kind, last.number.as_str()),
        (ReceiptKind::Sale, number.as_str())
    );
    assert_eq!(last.printed, None);
    till.record_print(PrintedCopy {
        text: vec!["KASA".into()],
        job_id: Some(7),
        state: "queued".into(),
        message: None,
    });
    assert_eq!(
        till.last_receipt()
            .unwrap()
            .printed
            .as_ref()
            .unwrap()
            .job_id,
        Some(7)
    );
    // An open sale is parked at logout, not lost.
    till.ring_up("B", None, at(4)).unwrap();
    till.logout(at(5)).unwrap();
    assert!(till.sale().is_none());
    till.login("1111", at(6)).unwrap();
    assert_eq!(till.parked().unwrap().len(), 1);
}
