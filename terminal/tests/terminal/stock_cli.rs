//! `kasa stock` output and `kasa stock verify`.

use serde_json::json;

use super::common::*;

#[test]
fn stock_verify_passes_then_names_a_tampered_cache() {
    let till = Till::ready();
    till.sell(&json!({
        "cashier_pin": "1111",
        "lines": [{"sku": "MILK", "qty": "3"}, {"barcode": weight_code("00101", 1250)}],
        "tenders": [{"kind": "card"}]
    }));
    let ok = till.ok(&["stock", "verify"]);
    assert!(ok.contains("stock OK"), "{ok}");
    // Money with 2 decimals, quantities without trailing zeros.
    let text = till.ok(&["stock", "--product", "APPLES"]);
    let row = text.lines().find(|l| l.starts_with("APPLES")).unwrap();
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!((cells[2], cells[4]), ("-1.25", "-"), "{text}");
    let (_, cents) = cells[3].split_once('.').unwrap();
    assert_eq!(cents.len(), 2, "avg cost with 2 decimals: {text}");

    // Tamper with the cache: verify fails with a code and names the product.
    till.sqlite()
        .execute("UPDATE stock_on_hand SET qty = '7' WHERE sku = 'MILK'", [])
        .unwrap();
    let out = till.run(&["stock", "verify"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error[stock.cache_differs]") && stderr.contains("MILK"),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("MILK"));
    // Rebuild repairs it.
    till.ok(&["stock", "rebuild"]);
    till.ok(&["stock", "verify"]);
}
