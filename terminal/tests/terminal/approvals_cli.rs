//! The CLI's count approval goes through the till session's approval path,
//! like the desktop's: a cashier needs a manager's PIN, a wrong PIN changes
//! nothing, and the approval and the count are both in the audit log.

use serde_json::Value;

use crate::common::*;

fn audit(till: &Till) -> Vec<Value> {
    till.json(&["user", "audit"]).as_array().unwrap().clone()
}

fn actions(log: &[Value], action: &str) -> Vec<(String, String)> {
    log.iter()
        .filter(|r| r["action"] == action)
        .map(|r| {
            (
                r["actor"].as_str().unwrap_or("").to_string(),
                r["approved_by"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
fn a_cashier_approves_a_count_only_with_a_manager_and_it_is_audited() {
    let till = Till::ready();
    let started = till.json(&[
        "count", "start", "--scope", "skus", "--items", "BREAD", "--pin", "1111",
    ]);
    let session = started["session"].as_str().unwrap().to_string();
    till.ok(&[
        "count", "add", &session, "--device", "hh-1", "--sku", "BREAD", "--qty", "3",
    ]);
    till.ok(&["count", "review", &session]);

    let (exit, code, _) = till.err(&["count", "approve", &session, "--pin", "1111"]);
    assert_eq!((exit, code.as_str()), (2, "count.needs_manager"));
    let approve_args = |pin: &'static str| {
        let args = [
            "count",
            "approve",
            "",
            "--pin",
            "1111",
            "--approval-pin",
            pin,
        ];
        args.map(|a| {
            if a.is_empty() {
                session.clone()
            } else {
                a.to_string()
            }
        })
    };
    let approve_with = |pin: &'static str| {
        let args = approve_args(pin);
        till.err(&args.each_ref().map(String::as_str)).1
    };
    assert_eq!(
        approve_with("2222"),
        "count.needs_manager",
        "another cashier cannot approve"
    );
    assert_eq!(approve_with("0000"), "auth.wrong_pin");
    assert!(actions(&audit(&till), "count.approve").is_empty());
    assert!(actions(&audit(&till), "approval").is_empty());

    let args = approve_args("9999");
    let approved = till.json(&args.each_ref().map(String::as_str));
    assert!(approved["number"].as_str().is_some(), "{approved}");
    let log = audit(&till);
    assert_eq!(
        actions(&log, "approval"),
        vec![("ana".to_string(), "boris".to_string())]
    );
    assert_eq!(
        actions(&log, "count.approve"),
        vec![("ana".to_string(), "boris".to_string())]
    );
}
