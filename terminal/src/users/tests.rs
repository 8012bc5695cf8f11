use chrono::NaiveDate;

use super::*;
use crate::store::Store;

fn t(min: u32, sec: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 3, 2)
        .unwrap()
        .and_hms_opt(9, min, sec)
        .unwrap()
}

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("u.sqlite")).unwrap();
    (dir, store)
}

#[test]
fn login_finds_the_user_by_pin_and_pins_are_unique() {
    let (_d, store) = store();
    let c = store.conn();
    add_user(c, "ana", "Ана", Role::Cashier, "1111", t(0, 0)).unwrap();
    add_user(c, "boris", "Борис", Role::Manager, "9999", t(0, 0)).unwrap();
    assert_eq!(login_by_pin(c, "9999", t(1, 0)).unwrap().login, "boris");
    assert_eq!(
        login_by_pin(c, "1111", t(1, 0)).unwrap().role,
        Role::Cashier
    );
    let dup = add_user(c, "vera", "Вера", Role::Cashier, "1111", t(0, 0)).unwrap_err();
    assert_eq!(dup.code(), "users.pin_taken");
    let dup = add_user(c, "ana", "x", Role::Cashier, "2222", t(0, 0)).unwrap_err();
    assert_eq!(dup.code(), "users.login_taken");
    assert_eq!(
        add_user(c, "bad login", "x", Role::Cashier, "3333", t(0, 0))
            .unwrap_err()
            .code(),
        "users.bad_login"
    );
    assert_eq!(list_users(c).unwrap().len(), 2);
    let stored: String = c
        .query_row("SELECT pin_hash FROM users WHERE login='ana'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(stored.starts_with("$argon2id$") && !stored.contains("1111"));
}

#[test]
fn wrong_pins_lock_then_unlock_and_success_resets() {
    let (_d, store) = store();
    let c = store.conn();
    add_user(c, "ana", "Ана", Role::Cashier, "1111", t(0, 0)).unwrap();
    for i in 1..MAX_CONSECUTIVE_FAILURES {
        let e = login_by_pin(c, "0000", t(0, i as u32)).unwrap_err();
        assert_eq!(e.code(), "auth.wrong_pin");
    }
    // A right PIN before the limit resets the counter.
    login_by_pin(c, "1111", t(0, 10)).unwrap();
    for i in 0..MAX_CONSECUTIVE_FAILURES - 1 {
        assert_eq!(
            login_by_pin(c, "0000", t(1, i as u32)).unwrap_err().code(),
            "auth.wrong_pin"
        );
    }
    let e = login_by_pin(c, "0000", t(1, 30)).unwrap_err();
    assert_eq!(e.code(), "auth.locked");
    // Locked: even the right PIN is refused until the lockout passes.
    assert_eq!(
        login_by_pin(c, "1111", t(1, 40)).unwrap_err().code(),
        "auth.locked"
    );
    let unlock = t(1, 30) + Duration::seconds(LOCKOUT_BASE_SECS);
    assert_eq!(login_by_pin(c, "1111", unlock).unwrap().login, "ana");
    let log = audit_log(c).unwrap();
    assert!(log.iter().any(|r| r.action == "auth.lockout"));
}

#[test]
fn lockout_doubles_and_is_capped() {
    assert_eq!(lockout_for(MAX_CONSECUTIVE_FAILURES - 1), None);
    assert_eq!(
        lockout_for(MAX_CONSECUTIVE_FAILURES),
        Some(LOCKOUT_BASE_SECS)
    );
    assert_eq!(
        lockout_for(MAX_CONSECUTIVE_FAILURES + 1),
        Some(LOCKOUT_BASE_SECS * 2)
    );
    assert_eq!(
        lockout_for(MAX_CONSECUTIVE_FAILURES + 60),
        Some(LOCKOUT_MAX_SECS)
    );
}

#[test]
fn approval_needs_a_role_that_allows_it_and_is_audited() {
    let (_d, store) = store();
    let c = store.conn();
    let ana = add_user(c, "ana", "Ана", Role::Cashier, "1111", t(0, 0)).unwrap();
    add_user(c, "vera", "Вера", Role::Cashier, "2222", t(0, 0)).unwrap();
    add_user(c, "boris", "Борис", Role::Manager, "9999", t(0, 0)).unwrap();
    let op = ana.operator();
    let e = approve(c, &op, Permission::VoidSale, "2222", None, t(2, 0)).unwrap_err();
    assert_eq!(e.code(), "permission.needs_manager");
    let e = approve(c, &op, Permission::VoidSale, "5555", None, t(2, 0)).unwrap_err();
    assert_eq!(e.code(), "auth.wrong_pin");
    let ok = approve(c, &op, Permission::VoidSale, "9999", None, t(2, 0)).unwrap();
    assert_eq!(ok.approver_login, "boris");
    let log = audit_log(c).unwrap();
    let last = log.last().unwrap();
    assert_eq!(
        (
            last.actor.as_str(),
            last.action.as_str(),
            last.approved_by.as_deref()
        ),
        ("ana", "approval", Some("boris"))
    );
    assert_eq!(last.detail["permission"], "void_sale");
}

#[test]
fn operator_codes_are_given_in_order_and_never_reused() {
    let (_d, store) = store();
    let c = store.conn();
    add_user(c, "ana", "Ана", Role::Cashier, "1111", t(0, 0)).unwrap();
    add_user(c, "boris", "Борис", Role::Manager, "9999", t(0, 0)).unwrap();
    // A failed add takes no code.
    add_user(c, "ana", "x", Role::Cashier, "2222", t(0, 0)).unwrap_err();
    add_user(c, "vera", "Вера", Role::Cashier, "3333", t(0, 0)).unwrap();
    let codes: Vec<Option<String>> = ["ana", "boris", "vera", "nobody"]
        .iter()
        .map(|l| operator_code(c, l).unwrap())
        .collect();
    assert_eq!(
        codes,
        vec![
            Some("0001".to_string()),
            Some("0002".to_string()),
            Some("0003".to_string()),
            None
        ]
    );
}
