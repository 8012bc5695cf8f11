//! Numbering is gapless per (store, terminal, type) with concurrent writers:
//! threads sharing one database file, and two `kasa` processes.

use std::process::{Command, Stdio};

use kasa_domain::document::DocumentType;
use kasa_domain::money::Money;
use kasa_terminal::documents::{self, NewDocument};
use kasa_terminal::settings;
use kasa_terminal::store::Store;
use proptest::prelude::*;
use serde_json::json;

use crate::common::*;

fn cash_doc(doc_type: DocumentType) -> NewDocument {
    let at = chrono::Utc::now().naive_utc();
    NewDocument {
        id: documents::new_id(),
        doc_type,
        author: "test".to_string(),
        created_at: at,
        completed_at: at,
        total: Money::ZERO,
        vat_total: Money::ZERO,
        customer: None,
        original_id: None,
        shift_id: None,
        lines: Vec::new(),
        tenders: Vec::new(),
        movements: Vec::new(),
        journal: documents::journal_event(doc_type, Money::ZERO),
        body: serde_json::Value::Null,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, .. ProptestConfig::default() })]

    /// Threads, each with its own connection, complete documents of two
    /// types; some transactions roll back. Every committed document has a
    /// number, each series is exactly 1..=committed, and rolled-back
    /// transactions consumed no number.
    #[test]
    fn threads_get_gapless_numbers(plan in proptest::collection::vec(
        proptest::collection::vec((any::<bool>(), any::<bool>()), 1..12), 2..5)
    ) {
        let till = Till::empty();
        let db = till.db.clone();
        let handles: Vec<_> = plan.into_iter().map(|ops| {
            let db = db.clone();
            std::thread::spawn(move || {
                let mut store = Store::open(&db).unwrap();
                let s = settings::load(store.conn()).unwrap();
                let mut committed = (0u64, 0u64);
                for (cash_in, commit) in ops {
                    let doc_type = if cash_in { DocumentType::CashIn } else { DocumentType::NoSale };
                    let tx = store.write_tx().unwrap();
                    documents::complete_document(&tx, &s, cash_doc(doc_type)).unwrap();
                    if commit {
                        tx.commit().unwrap();
                        if cash_in { committed.0 += 1 } else { committed.1 += 1 }
                    } else {
                        tx.rollback().unwrap();
                    }
                }
                committed
            })
        }).collect();
        let mut total = (0u64, 0u64);
        for h in handles {
            let c = h.join().unwrap();
            total.0 += c.0;
            total.1 += c.1;
        }
        let conn = till.sqlite();
        let cash_in = numbers(&conn, DocumentType::CashIn.code());
        let no_sale = numbers(&conn, DocumentType::NoSale.code());
        prop_assert_eq!(cash_in.len() as u64, total.0);
        prop_assert_eq!(no_sale.len() as u64, total.1);
        assert_gapless(&cash_in);
        assert_gapless(&no_sale);
    }
}

#[test]
fn two_processes_selling_at_once_share_one_gapless_series() {
    let till = Till::ready();
    let script = json!({
        "cashier_pin": "1111",
        "lines": [{"barcode": bread_ean()}, {"sku": "MILK", "qty": "2"}],
        "tenders": [{"kind": "cash", "amount": "10.00"}]
    });
    let path = till.write("two.json", &script.to_string());
    const EACH: u64 = 25;
    let spawn = || {
        Command::new(kasa_bin())
            .arg("--db")
            .arg(&till.db)
            .arg("sell-loop")
            .arg(&path)
            .arg("--count")
            .arg(EACH.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let a = spawn();
    let b = spawn();
    let mut all: Vec<u64> = Vec::new();
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mine: Vec<u64> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| l.parse().unwrap())
            .collect();
        assert_eq!(mine.len() as u64, EACH);
        all.extend(mine);
    }
    all.sort_unstable();
    assert_gapless(&all);
    let conn = till.sqlite();
    assert_eq!(numbers(&conn, "SA"), all);
}
