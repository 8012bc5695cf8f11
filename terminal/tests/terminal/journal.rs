//! Tampering with the stored journal is detected and the entry named.

use serde_json::json;

use crate::common::*;

fn sell_some(till: &Till, n: usize) {
    for _ in 0..n {
        till.sell(&json!({
            "cashier_pin": "1111",
            "lines": [{"barcode": bread_ean()}, {"sku": "WINE"}],
            "tenders": [{"kind": "cash", "amount": "20.00"}]
        }));
    }
}

#[test]
fn editing_a_journal_row_breaks_verify_at_that_entry() {
    let till = Till::ready();
    sell_some(&till, 3);
    let ok = till.json(&["journal", "verify"]);
    let entries = ok["entries"].as_u64().unwrap();
    assert!(entries >= 4, "shift open + 3 sales journaled: {ok}");
    let conn = till.sqlite();
    let (seq, number): (i64, String) = conn
        .query_row(
            "SELECT seq, document_number FROM journal WHERE kind = 'sale' ORDER BY seq LIMIT 1 OFFSET 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    conn.execute("UPDATE journal SET amount = '0.01' WHERE seq = ?1", [seq])
        .unwrap();
    drop(conn);
    let (exit, code, stderr) = till.err(&["journal", "verify"]);
    assert_eq!((exit, code.as_str()), (2, "journal.broken"), "{stderr}");
    assert!(stderr.contains(&format!("entry {seq}")), "{stderr}");
    assert!(stderr.contains(&number), "{stderr}");
}

#[test]
fn deleting_or_reordering_journal_rows_is_detected() {
    let till = Till::ready();
    sell_some(&till, 3);
    let conn = till.sqlite();
    conn.execute("DELETE FROM journal WHERE seq = 2", [])
        .unwrap();
    drop(conn);
    let (_, code, stderr) = till.err(&["journal", "verify"]);
    assert_eq!(code, "journal.broken", "{stderr}");

    let till = Till::ready();
    sell_some(&till, 3);
    let conn = till.sqlite();
    conn.execute_batch(
        "UPDATE journal SET seq = 100 WHERE seq = 2;
         UPDATE journal SET seq = 2 WHERE seq = 3;
         UPDATE journal SET seq = 3 WHERE seq = 100;",
    )
    .unwrap();
    drop(conn);
    let (_, code, stderr) = till.err(&["journal", "verify"]);
    assert_eq!(code, "journal.broken", "{stderr}");
    assert!(stderr.contains("entry 2"), "{stderr}");
}

#[test]
fn export_writes_every_entry_as_json_lines_and_csv() {
    let till = Till::ready();
    sell_some(&till, 2);
    let entries = till.json(&["journal", "verify"])["entries"]
        .as_u64()
        .unwrap();
    let jsonl = till.ok(&["journal", "export", "--format", "jsonl"]);
    let lines: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len() as u64, entries);
    for (i, l) in lines.iter().enumerate() {
        assert_eq!(l["seq"].as_u64().unwrap(), i as u64 + 1);
        assert!(!l["hash"].as_str().unwrap().is_empty());
    }
    let out = till.dir.path().join("j.csv");
    till.ok(&[
        "journal",
        "export",
        "--format",
        "csv",
        "--out",
        path_str(&out),
    ]);
    let csv = std::fs::read_to_string(out).unwrap();
    assert_eq!(csv.lines().count() as u64, entries + 1);
    assert!(csv.starts_with("seq,at,kind,document_id,document_number,amount"));
}
