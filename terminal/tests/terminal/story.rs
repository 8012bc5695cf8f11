//! The full story of a till day over a real SQLite file, through the
//! `kasa` binary: init, catalog, users, shift, sales of every kind,
//! park/recall, voids with and without a manager, returns (over-return
//! refused), shift close with a variance, Z report, journal verify.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::common::*;

fn dec(v: &Value) -> Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("not a decimal string: {v}"))
        .parse()
        .unwrap()
}

#[test]
fn a_day_at_the_till() {
    let till = Till::ready();

    // 1. Scan + quantity + packaging barcode (box of 12) + weighed goods.
    let s1 = till.sell(&json!({
        "cashier_pin": "1111",
        "lines": [
            {"barcode": bread_ean()},
            {"barcode": milk_ean(), "qty": "2"},
            {"barcode": milk_box_ean()},
            {"barcode": weight_code("00101", 1250)}
        ],
        "tenders": [{"kind": "cash", "amount": "50.00"}]
    }));
    // 1.80 + 2×2.50 + 12×2.50 + 1.250 kg × 3.20 = 1.80 + 5.00 + 30.00 + 4.00
    assert_eq!(dec(&s1["total"]), Decimal::new(4080, 2), "{s1}");
    assert_eq!(dec(&s1["change"]), Decimal::new(920, 2), "{s1}");
    let lines = s1["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 4);
    assert_eq!(dec(&lines[2]["qty"]), Decimal::from(12));
    assert_eq!(dec(&lines[3]["qty"]), Decimal::new(1250, 3));
    // VAT 20 % inclusive of 40.80 = 6.80
    assert_eq!(dec(&s1["vat_total"]), Decimal::new(680, 2), "{s1}");
    let sale1_number = s1["number"].as_str().unwrap().to_string();

    // 2. Line discount within the limit, receipt discount, split tender.
    let s2 = till.sell(&json!({
        "cashier_pin": "1111",
        "lines": [
            {"sku": "WINE", "qty": "2", "discount_percent": "10"},
            {"sku": "BOOK"}
        ],
        "receipt_discount": {"percent": "5"},
        "tenders": [{"kind": "card", "amount": "20.00"}, {"kind": "cash"}]
    }));
    // wine 24.00 − 10 % = 21.60; + book 15.00 = 36.60; − 5 % = 34.77
    assert_eq!(dec(&s2["total"]), Decimal::new(3477, 2), "{s2}");
    // two VAT groups (20 % and 9 %)
    assert_eq!(s2["vat"].as_array().unwrap().len(), 2, "{s2}");

    // 3. A discount over the limit needs a manager.
    let over = json!({
        "cashier_pin": "1111",
        "lines": [{"sku": "WINE", "discount_percent": "30"}],
        "tenders": [{"kind": "card"}]
    });
    let (exit, code, _) = till.sell_err(&over);
    assert_eq!((exit, code.as_str()), (2, "sale.needs_manager"));
    let mut approved = over.clone();
    approved["approval_pin"] = json!("9999");
    let s3 = till.sell(&approved);
    assert_eq!(dec(&s3["total"]), Decimal::new(840, 2));

    // 4. Manual price needs a manager; a cashier's PIN does not approve.
    let manual = json!({
        "cashier_pin": "1111",
        "lines": [{"sku": "BREAD", "price": "1.00"}],
        "tenders": [{"kind": "cash", "amount": "1.00"}],
        "approval_pin": "2222"
    });
    let (_, code, _) = till.sell_err(&manual);
    assert_eq!(code, "sale.needs_manager");

    // 5. Wrong PIN: auth.wrong_pin, nothing stored.
    let before = numbers(&till.sqlite(), "SA").len();
    let (exit, code, stderr) = till.sell_err(&json!({
        "cashier_pin": "0000", "lines": [{"sku": "BREAD"}], "tenders": [{"kind": "cash"}]
    }));
    assert_eq!((exit, code.as_str()), (2, "auth.wrong_pin"), "{stderr}");
    assert_eq!(numbers(&till.sqlite(), "SA").len(), before);

    // 6. Archived products cannot be sold; unknown codes say so.
    let (_, code, _) = till.sell_err(&json!({
        "cashier_pin": "1111", "lines": [{"sku": "OLD"}], "tenders": [{"kind": "cash"}]
    }));
    assert_eq!(code, "sale.not_sellable");
    let (_, code, _) = till.sell_err(&json!({
        "cashier_pin": "1111", "lines": [{"sku": "NOPE"}], "tenders": [{"kind": "cash"}]
    }));
    assert_eq!(code, "sale.unknown_code");

    // 7. Park and recall, then a void line with a manager.
    let s7 = till.sell(&json!({
        "cashier_pin": "1111",
        "lines": [{"sku": "BREAD"}, {"sku": "WINE"}, {"sku": "MILK"}],
        "void_lines": [2],
        "park": true,
        "approval_pin": "9999",
        "tenders": [{"kind": "card"}]
    }));
    assert_eq!(dec(&s7["total"]), Decimal::new(430, 2), "{s7}");
    // Without a manager the void line is refused.
    let (_, code, _) = till.sell_err(&json!({
        "cashier_pin": "1111",
        "lines": [{"sku": "BREAD"}, {"sku": "WINE"}],
        "void_lines": [2],
        "tenders": [{"kind": "card"}]
    }));
    assert_eq!(code, "sale.needs_manager");

    // 8. Void the whole sale: refused without a manager, journaled with one.
    let void = json!({
        "cashier_pin": "1111",
        "lines": [{"sku": "WINE"}],
        "void": true
    });
    let (_, code, _) = till.sell_err(&void);
    assert_eq!(code, "sale.needs_manager");
    let mut void_ok = void.clone();
    void_ok["approval_pin"] = json!("9999");
    let v = till.sell(&void_ok);
    assert_eq!(v["status"], "voided", "{v}");
    assert_eq!(numbers(&till.sqlite(), "VS").len(), 1);

    // 9. On account: needs a customer within the credit limit.
    let customers = till.write(
        "customers.csv",
        "code,name,customer_group,credit_limit,balance\nC001,Фирма ООД,vip,100.00,0\n",
    );
    till.ok(&["import", "customers", path_str(&customers)]);
    let s9 = till.sell(&json!({
        "cashier_pin": "1111",
        "customer": "C001",
        "lines": [{"sku": "WINE"}],
        "tenders": [{"kind": "on_account"}]
    }));
    assert_eq!(dec(&s9["total"]), Decimal::new(1200, 2));
    let (_, code, _) = till.sell_err(&json!({
        "cashier_pin": "1111",
        "customer": "C001",
        "lines": [{"sku": "WINE", "qty": "10"}],
        "tenders": [{"kind": "on_account"}]
    }));
    assert_eq!(code, "sale.credit_limit_exceeded");

    // 10. Return against the original: limited to sold − already returned.
    let r1 = till.ret(&json!({
        "cashier_pin": "1111",
        "original": sale1_number,
        "lines": [{"line": 2, "qty": "1"}],
        "tenders": [{"kind": "cash"}]
    }));
    assert_eq!(dec(&r1["total"]), Decimal::new(250, 2), "{r1}");
    let (exit, code, stderr) = till.ret_err(&json!({
        "cashier_pin": "1111",
        "original": sale1_number,
        "lines": [{"line": 2, "qty": "2"}],
        "tenders": [{"kind": "cash"}]
    }));
    assert_eq!(
        (exit, code.as_str()),
        (2, "return.exceeds_returnable"),
        "{stderr}"
    );
    // Without the original receipt: manager only.
    let blind = json!({
        "cashier_pin": "1111",
        "lines": [{"sku": "BREAD", "qty": "1"}],
        "tenders": [{"kind": "cash"}]
    });
    let (_, code, _) = till.ret_err(&blind);
    assert_eq!(code, "return.needs_manager");
    let mut blind_ok = blind.clone();
    blind_ok["approval_pin"] = json!("9999");
    let r2 = till.ret(&blind_ok);
    assert_eq!(dec(&r2["total"]), Decimal::new(180, 2));

    // 11. Stock followed the documents: milk −2 −12 +1 −1 (park sale).
    let milk = till.json(&["stock", "--product", "MILK"]);
    assert_eq!(dec(&milk[0]["qty"]), Decimal::from(-14), "{milk}");
    let rebuilt = till.json(&["stock", "rebuild"]);
    assert_eq!(rebuilt["cache_was_consistent"], true);

    // 12. Cash in/out and no-sale; cash out needs a manager.
    till.ok(&[
        "shift", "cash-in", "--amount", "20.00", "--reason", "change", "--pin", "1111",
    ]);
    let (_, code, _) = till.err(&[
        "shift", "cash-out", "--amount", "10.00", "--reason", "bank", "--pin", "1111",
    ]);
    assert_eq!(code, "shift.needs_manager");
    till.ok(&[
        "shift",
        "cash-out",
        "--amount",
        "10.00",
        "--reason",
        "bank",
        "--pin",
        "1111",
        "--approval-pin",
        "9999",
    ]);
    till.ok(&["shift", "no-sale", "--pin", "1111", "--reason", "coins"]);

    // 13. X report: expected cash = float + cash sales net − cash refunds ± cash in/out.
    let x = till.json(&["report", "x"]);
    let expected_cash = x["tenders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "cash")
        .map(|e| dec(&e["expected"]))
        .unwrap();
    // 100 + 40.80 + (34.77 − 20) + 1.80? no: sale 4 refused; − 2.50 − 1.80 + 20 − 10
    let want = Decimal::new(10000, 2) + Decimal::new(4080, 2) + Decimal::new(1477, 2)
        - Decimal::new(250, 2)
        - Decimal::new(180, 2)
        + Decimal::new(2000, 2)
        - Decimal::new(1000, 2);
    assert_eq!(expected_cash, want, "{x}");
    assert_eq!(x["no_sale_count"], 1);
    assert_eq!(x["voided_sales"], 1);
    assert_eq!(x["returns_without_receipt"], 1);

    // 14. Blind close with a short drawer; the Z report is numbered and stored.
    let counted = format!("cash={},card=100.00", want - Decimal::new(150, 2));
    let z = till.json(&[
        "shift",
        "close",
        "--counted",
        &counted,
        "--blind",
        "--pin",
        "9999",
    ]);
    assert!(
        z["total_variance"].is_null(),
        "blind close hides the variance: {z}"
    );
    assert_eq!(z["number"], "0000000001");
    let stored = till.json(&["report", "z"]);
    let cash = stored["tenders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["kind"] == "cash")
        .unwrap()
        .clone();
    assert_eq!(dec(&cash["variance"]), Decimal::new(-150, 2), "{stored}");
    // The shift is closed: selling now needs a new shift.
    let (_, code, _) = till.sell_err(&json!({
        "cashier_pin": "1111", "lines": [{"sku": "BREAD"}], "tenders": [{"kind": "cash"}]
    }));
    assert_eq!(code, "shift.not_open");

    // 15. Everything is journaled and queued; the chain verifies.
    let verify = till.json(&["journal", "verify"]);
    assert!(verify["entries"].as_u64().unwrap() >= 12, "{verify}");
    let conn = till.sqlite();
    let docs: i64 = conn
        .query_row("SELECT COUNT(*) FROM documents", [], |r| r.get(0))
        .unwrap();
    let outbox: i64 = conn
        .query_row("SELECT COUNT(*) FROM outbox", [], |r| r.get(0))
        .unwrap();
    assert_eq!(docs, outbox, "every document is queued for head office");
    let visible = till.json(&["outbox", "--limit", "3"]);
    assert_eq!(visible["queued"].as_i64().unwrap(), docs, "{visible}");
    assert_eq!(visible["records"].as_array().unwrap().len(), 3);
    assert_gapless(&numbers(&conn, "SA"));
    // Audited: approvals, void, cash out, no-sale, return without receipt.
    let audit = till.json(&["user", "audit"]);
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    for want in [
        "sale.discount_over_limit",
        "sale.void_line",
        "sale.void",
        "shift.cash_out",
        "shift.no_sale",
        "return.without_receipt",
    ] {
        assert!(actions.contains(&want), "{want} not audited: {actions:?}");
    }
}

#[test]
fn printing_happens_after_the_commit_and_never_decides_the_sale() {
    let till = Till::ready();
    let script = json!({
        "cashier_pin": "1111",
        "lines": [{"sku": "BREAD"}],
        "tenders": [{"kind": "cash", "amount": "2.00"}]
    });
    let path = till.write("s.json", &script.to_string());
    // A printer that works (a file device): the receipt bytes arrive.
    let out = till.dir.path().join("receipt.bin");
    let uri = format!("file://{}", out.display());
    let ok = till.run(&["sell", path_str(&path), "--print", &uri]);
    assert!(ok.status.success());
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.len() > 100, "ESC/POS bytes were written");
    // A printer that is offline: the sale still completes (exit 0), with a
    // warning, and the job stays queued.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let offline = format!("tcp://127.0.0.1:{port}");
    let res = till.run(&["sell", path_str(&path), "--print", &offline]);
    assert!(res.status.success());
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert!(stderr.contains("warning[printer."), "{stderr}");
    assert_eq!(numbers(&till.sqlite(), "SA"), vec![1, 2]);
    let queue = till.dir.path().join("till.sqlite.print-queue");
    assert_eq!(std::fs::read_dir(queue).unwrap().count(), 2);
}
