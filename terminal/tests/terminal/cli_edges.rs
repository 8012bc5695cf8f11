//! The `kasa` CLI at its edges: a `--db` that does not exist, a reader
//! that closes the pipe, a bad printer address, the print queue drained by
//! whoever prints (through the TCP printer simulator going off and on), and
//! PINs that stay off the command line.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use kasa_drivers::sim::tcp_printer::TcpPrinterSim;
use serde_json::json;

use super::common::*;

fn card_sale(pin: &str, sku: &str) -> String {
    json!({"cashier_pin": pin, "lines": [{"sku": sku}], "tenders": [{"kind": "card"}]}).to_string()
}

#[test]
fn commands_on_a_missing_database_say_so_and_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("typo.sqlite");
    let commands: &[&[&str]] = &[
        &["journal", "verify"],
        &["journal", "export"],
        &["stock"],
        &["report", "z"],
        &["report", "x"],
        &["outbox"],
        &["sync", "status"],
        &["user", "list"],
        &["user", "audit"],
        &["parked", "list"],
        &["count", "review", "c1"],
        &["print-queue", "list"],
        &["print-receipt", "1", "--printer", "file:///dev/null"],
        &["shift", "x"],
    ];
    for args in commands {
        let out = Command::new(kasa_bin())
            .arg("--db")
            .arg(&db)
            .args(*args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "kasa {args:?}: {stderr}");
        assert!(
            stderr.contains("error[store.not_found]")
                && stderr.contains(db.to_str().unwrap())
                && stderr.contains("kasa init"),
            "kasa {args:?}: {stderr}"
        );
        assert!(out.stdout.is_empty(), "kasa {args:?} printed a result");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(left.is_empty(), "kasa {args:?} created {left:?}");
    }
}

#[test]
fn a_reader_that_closes_the_pipe_stops_kasa_quietly() {
    let till = Till::ready();
    till.run_stdin(
        &["sell-loop", "-", "--count", "300"],
        &card_sale("1111", "BREAD"),
    );
    // More output than a pipe holds (64 KiB), and the reader is gone before
    // kasa writes: every write after the first fails with EPIPE.
    for args in [
        &["journal", "export"][..],
        &["--json", "outbox", "--limit", "300"],
        &["outbox", "--limit", "300"],
    ] {
        let mut child = Command::new(kasa_bin())
            .arg("--db")
            .arg(&till.db)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "kasa {args:?}: {stderr}");
        assert!(!stderr.contains("error["), "kasa {args:?}: {stderr}");
        assert_eq!(
            out.status.code(),
            Some(kasa_terminal::cli::EXIT_CLOSED_PIPE)
        );
    }
}

#[test]
fn a_bad_printer_address_refuses_the_sale_before_it_is_made() {
    let till = Till::ready();
    for (uri, want) in [
        ("ftp://10.0.0.5", "tcp://"),
        ("192.168.1.50:9100", "tcp://"),
        ("serial:///dev/ttyUSB0?baud=fast", "baud"),
    ] {
        let out = till.run_stdin(&["sell", "-", "--print", uri], &card_sale("1111", "BREAD"));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{uri}: {stderr}");
        assert!(
            stderr.contains("error[device.invalid_uri]") && stderr.contains(want),
            "{uri}: {stderr}"
        );
        assert!(!stderr.contains("kasa_drivers"), "{stderr}");
    }
    assert!(numbers(&till.sqlite(), "SA").is_empty(), "no sale was made");
}

fn sell_printing(till: &Till, sku: &str, uri: &str) -> (serde_json::Value, String) {
    let out = till.run_stdin(
        &["--json", "sell", "-", "--print", uri],
        &card_sale("1111", sku),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        serde_json::from_slice(&out.stdout).unwrap(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn a_receipt_queued_while_the_printer_was_off_prints_first_when_it_is_back() {
    let till = Till::ready();
    let sim = TcpPrinterSim::start().unwrap();
    let uri = sim.uri().to_string();
    sim.set_offline(true);
    let (first, warning) = sell_printing(&till, "WINE", &uri);
    assert!(
        warning.contains("warning[printer.offline]") && warning.contains("queued"),
        "{warning}"
    );
    let listed = till.json(&["print-queue", "list"]);
    assert_eq!(listed[0]["state"], "queued", "{listed}");
    assert_eq!(listed[0]["error"]["code"], "printer.offline", "{listed}");

    sim.set_offline(false);
    sim.clear_finished_jobs();
    let (second, note) = sell_printing(&till, "BOOK", &uri);
    assert!(note.contains("receipt printed"), "{note}");
    let jobs = sim
        .wait_for_print_jobs(2, Duration::from_secs(10))
        .expect("both receipts printed");
    let text: Vec<String> = jobs.iter().map(|j| sim.job_text(j).join("\n")).collect();
    assert!(
        text[0].contains(first["number"].as_str().unwrap()) && text[0].contains("Вино"),
        "the waiting receipt first: {text:?}"
    );
    assert!(
        text[1].contains(second["number"].as_str().unwrap()) && text[1].contains("Книга"),
        "{text:?}"
    );
    let listed = till.json(&["print-queue", "list"]);
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .all(|j| j["state"] == "printed"),
        "{listed}"
    );
}

#[test]
fn print_queue_retry_prints_a_waiting_job_and_drop_removes_one() {
    let till = Till::ready();
    let sim = TcpPrinterSim::start().unwrap();
    let uri = sim.uri().to_string();
    sim.set_offline(true);
    sell_printing(&till, "WINE", &uri);
    sell_printing(&till, "BOOK", &uri);
    // Still off: retry says so and keeps the job.
    let (code, _, stderr) = till.err(&["print-queue", "retry", "1"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("printer.offline"), "{stderr}");
    till.ok(&["print-queue", "drop", "2"]);
    let (_, code, _) = till.err(&["print-queue", "drop", "2"]);
    assert_eq!(code, "queue.no_such_job");

    sim.set_offline(false);
    sim.clear_finished_jobs();
    let printed = till.json(&["print-queue", "retry", "1"]);
    assert_eq!(printed["state"], "printed", "{printed}");
    let jobs = sim
        .wait_for_print_jobs(1, Duration::from_secs(10))
        .expect("printed");
    assert!(sim.job_text(&jobs[0]).join("\n").contains("Вино"));
    let listed = till.json(&["print-queue", "list"]);
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
}

#[test]
fn pins_come_from_stdin_the_environment_or_not_at_all() {
    let till = Till::ready();
    // `--pin -`: the first line of stdin.
    let mut child = Command::new(kasa_bin())
        .arg("--db")
        .arg(&till.db)
        .args(["shift", "no-sale", "--pin", "-", "--reason", "change"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"2222\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // KASA_PIN / KASA_APPROVAL_PIN.
    let out = Command::new(kasa_bin())
        .arg("--db")
        .arg(&till.db)
        .args(["shift", "cash-out", "--amount", "5.00", "--reason", "bank"])
        .env("KASA_PIN", "1111")
        .env("KASA_APPROVAL_PIN", "9999")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let audit = till.ok(&["user", "audit"]);
    assert!(audit.contains("approved by boris"), "{audit}");
    // Nothing given and no terminal to ask at: a named error, nothing done.
    let out = Command::new(kasa_bin())
        .arg("--db")
        .arg(&till.db)
        .args(["shift", "no-sale", "--reason", "x"])
        .env_remove("KASA_PIN")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("error[auth.pin_required]") && stderr.contains("KASA_PIN"),
        "{stderr}"
    );
    // A wrong PIN from the environment is still a wrong PIN.
    let out = Command::new(kasa_bin())
        .arg("--db")
        .arg(&till.db)
        .args(["shift", "no-sale", "--reason", "x"])
        .env("KASA_PIN", "0000")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("error[auth.wrong_pin]"));
}
