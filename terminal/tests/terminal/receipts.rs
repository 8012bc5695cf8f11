//! Receipts: the N-18 unique sale number on every sale, and `kasa
//! print-receipt` reprinting a stored sale or return, marked COPY, through
//! the TCP printer simulator (real socket, real ESC/POS bytes, decoded).

use std::time::Duration;

use kasa_domain::numbering::N18SaleNumber;
use kasa_drivers::queue::COPY_BANNER;
use kasa_drivers::sim::tcp_printer::TcpPrinterSim;
use serde_json::json;

use super::common::*;

fn decoded(sim: &TcpPrinterSim, jobs: usize) -> String {
    let done = sim
        .wait_for_print_jobs(jobs, Duration::from_secs(10))
        .expect("the simulator received the job");
    sim.job_text(done.last().unwrap()).join("\n")
}

#[test]
fn every_sale_gets_an_n18_number_from_its_own_document_number() {
    let till = Till::ready();
    let script = |pin: &str| {
        json!({
            "cashier_pin": pin,
            "lines": [{"sku": "BREAD"}],
            "tenders": [{"kind": "card"}]
        })
    };
    let s1 = till.sell(&script("1111"));
    let s2 = till.sell(&script("2222"));
    let n1: N18SaleNumber = s1["sale_number"].as_str().unwrap().parse().unwrap();
    let n2: N18SaleNumber = s2["sale_number"].as_str().unwrap().parse().unwrap();
    // Device id derived from S001/T01; ana is operator 0001, vera 0002;
    // the sequence is the sale's document number.
    assert_eq!(n1.to_string(), "0S001T01-0001-0000001");
    assert_eq!((n2.operator.as_str(), n2.seq), ("0002", 2));
    assert_eq!(s2["number"], "0000000002");
    // Stored with the document (the outbox payload carries it too).
    let stored: String = till
        .sqlite()
        .query_row(
            "SELECT json_extract(payload, '$.body.n18_sale_number') FROM documents
             WHERE doc_type = 'SA' AND number = '0000000002'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stored, n2.to_string());
    // And shown by the CLI's text output.
    let text = till.run_stdin(&["sell", "-"], &script("1111").to_string());
    assert!(
        String::from_utf8_lossy(&text.stdout).contains("unique sale number 0S001T01-0001-0000003")
    );
}

#[test]
fn print_receipt_reprints_a_stored_sale_marked_copy_over_tcp() {
    let till = Till::ready();
    let sale = till.sell(&json!({
        "cashier_pin": "1111",
        "lines": [
            {"barcode": bread_ean()},
            {"barcode": weight_code("00101", 1250)},
            {"sku": "BOOK"}
        ],
        "tenders": [{"kind": "cash", "amount": "50.00"}]
    }));
    let number = sale["number"].as_str().unwrap();
    let total = sale["total"].as_str().unwrap();
    let n18 = sale["sale_number"].as_str().unwrap();

    let sim = TcpPrinterSim::start().unwrap();
    let uri = sim.uri().to_string();
    let printed = till.json(&["print-receipt", number, "--printer", &uri]);
    assert_eq!(printed["printed"], true, "{printed}");
    let text = decoded(&sim, 1);
    for want in [
        COPY_BANNER,
        number,
        total,
        n18,
        "Хляб Добруджа",
        "Книга",
        "1.25",
    ] {
        assert!(text.contains(want), "{want:?} missing from\n{text}");
    }
    // By its prefixed number too; the document is unchanged.
    till.ok(&["print-receipt", &format!("SA-{number}"), "--printer", &uri]);
    assert!(decoded(&sim, 2).contains(COPY_BANNER));

    // A return is reprinted as a return.
    let ret = till.ret(&json!({
        "cashier_pin": "1111",
        "original": number,
        "lines": [{"line": 1, "qty": "1"}],
        "tenders": [{"kind": "cash"}]
    }));
    let ret_number = format!("RE-{}", ret["number"].as_str().unwrap());
    till.ok(&["print-receipt", &ret_number, "--printer", &uri]);
    let text = decoded(&sim, 3);
    assert!(
        text.contains("RETURN") && text.contains(COPY_BANNER),
        "{text}"
    );
    assert!(text.contains("-1.80"), "{text}");
}

#[test]
fn print_receipt_errors_are_named() {
    let till = Till::ready();
    let out = till.run(&["print-receipt", "77", "--printer", "file:///dev/null"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("error[document.not_found]"));
    till.sell(&json!({
        "cashier_pin": "1111",
        "lines": [{"sku": "BREAD"}],
        "tenders": [{"kind": "card"}]
    }));
    // Printer refused: a named error, the copy stays queued.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let out = till.run(&[
        "print-receipt",
        "1",
        "--printer",
        &format!("tcp://127.0.0.1:{port}"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error[printer.copy_not_printed]") && stderr.contains("queued"),
        "{stderr}"
    );
}
