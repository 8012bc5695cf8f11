//! Receipt printing end to end: golden receipts (exact bytes + readable
//! text), and printing over real TCP sockets to the printer simulator,
//! including failures (paper out, cover open, offline, offline mid-job).
//!
//! Set `KASA_UPDATE_GOLDENS=1` to rewrite the goldens after an intended
//! change; without it any byte difference fails.

#[path = "printing/receipts.rs"]
mod receipts;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::time::Duration;

use kasa_drivers::printer::{
    CodePage, DrawerPin, PaperWidth, PrinterProfile, ReceiptPrinter, render,
};
use kasa_drivers::sim::decode;
use kasa_drivers::sim::tcp_printer::{SimConfig, TcpPrinterSim};
use kasa_drivers::status::{PaperState, PrinterFault};
use kasa_drivers::transport::{DeviceUri, Timeouts};

const WAIT: Duration = Duration::from_secs(10);

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/receipts")
}

fn goldens() -> Vec<(&'static str, kasa_drivers::printer::Receipt, PrinterProfile)> {
    let mut out = Vec::new();
    for (w, wname) in [(PaperWidth::Mm58, "58mm"), (PaperWidth::Mm80, "80mm")] {
        for (cp, cpname) in [(CodePage::Cp866, "cp866"), (CodePage::Wpc1251, "wpc1251")] {
            let name: &'static str =
                Box::leak(format!("sale-bg-{wname}-{cpname}").into_boxed_str());
            out.push((name, receipts::bulgarian_sale(), PrinterProfile::new(w, cp)));
        }
    }
    out.push((
        "sale-ge-80mm-raster",
        receipts::georgian_sale(),
        PrinterProfile::new(PaperWidth::Mm80, CodePage::Wpc1251),
    ));
    out.push((
        "sale-ge-58mm-raster",
        receipts::georgian_sale(),
        PrinterProfile::new(PaperWidth::Mm58, CodePage::Cp866),
    ));
    out
}

fn first_difference(a: &[u8], b: &[u8]) -> usize {
    a.iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()))
}

#[test]
fn golden_receipts_match_byte_for_byte() {
    let dir = fixtures_dir();
    let update = std::env::var("KASA_UPDATE_GOLDENS").is_ok_and(|v| v == "1");
    if update {
        std::fs::create_dir_all(&dir).unwrap();
    }
    let mut failures = Vec::new();
    for (name, receipt, profile) in goldens() {
        let bytes = render(&receipt, &profile);
        let text = decode::to_text(&bytes, profile.code_page).join("\n") + "\n";
        let bin_path = dir.join(format!("{name}.bin"));
        let txt_path = dir.join(format!("{name}.txt"));
        if update {
            std::fs::write(&bin_path, &bytes).unwrap();
            std::fs::write(&txt_path, &text).unwrap();
            continue;
        }
        let stored = std::fs::read(&bin_path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (run with KASA_UPDATE_GOLDENS=1)",
                bin_path.display()
            )
        });
        if stored != bytes {
            failures.push(format!(
                "{name}.bin differs at byte {} (stored {} bytes, rendered {})",
                first_difference(&stored, &bytes),
                stored.len(),
                bytes.len()
            ));
        }
        let stored_text = std::fs::read_to_string(&txt_path).unwrap();
        if stored_text != text {
            failures.push(format!("{name}.txt differs"));
        }
    }
    assert!(
        failures.is_empty(),
        "golden receipts changed:\n{}",
        failures.join("\n")
    );
}

#[test]
fn golden_text_shows_every_part_of_the_receipt() {
    let profile = PrinterProfile::new(PaperWidth::Mm58, CodePage::Cp866);
    let text = decode::to_text(
        &render(&receipts::bulgarian_sale(), &profile),
        CodePage::Cp866,
    );
    let joined = text.join("\n");
    for needle in [
        "[INIT]",
        "[CODEPAGE 17]",
        "[RASTER 160x48]",
        "[center b 2wh] МАГАЗИН \"ЛОЗА\"",
        "Хляб Добруджа 650г",
        "0.452 кг x 12.90",
        "  Отстъпка 10%",
        "[b 2h] ОБЩА СУМА EUR",
        "ДДС Б 9%",
        "Ёлха, Ъгъл - № 5",
        "[BARCODE CODE128 0000001234]",
        "[QR model2 size6 ecM] 50123456*0001234*2026-11-21*08:15:00*23.62",
        "[DRAWER pin2 t1=50 t2=250]",
        "[CUT]",
    ] {
        assert!(joined.contains(needle), "missing `{needle}` in:\n{joined}");
    }
    assert!(!joined.contains("[UNKNOWN"), "{joined}");
    // Every text line fits the 32 columns of a 58 mm printer.
    let is_marker =
        |l: &str| l.starts_with('[') && l[1..].starts_with(|c: char| c.is_ascii_uppercase());
    for line in text.iter().filter(|l| !is_marker(l)) {
        let body = line
            .strip_prefix('[')
            .map_or(line.as_str(), |l| l.split_once("] ").map_or("", |(_, b)| b));
        assert!(body.chars().count() <= 32, "too wide: {line}");
    }
    let wpc = PrinterProfile::new(PaperWidth::Mm80, CodePage::Wpc1251);
    let joined = decode::to_text(
        &render(&receipts::bulgarian_sale(), &wpc),
        CodePage::Wpc1251,
    )
    .join("\n");
    assert!(
        joined.contains("[center b 2wh] МАГАЗИН „ЛОЗА“ ЕООД"),
        "{joined}"
    );
    assert!(joined.contains("ул. «Витоша» 12"), "{joined}");
    assert!(joined.contains("Ёлха, Ъгъл — № 5"), "{joined}");
}

#[test]
fn georgian_text_is_printed_as_raster_not_question_marks() {
    let profile = PrinterProfile::new(PaperWidth::Mm80, CodePage::Wpc1251);
    let text = decode::to_text(
        &render(&receipts::georgian_sale(), &profile),
        CodePage::Wpc1251,
    );
    let rasters = text
        .iter()
        .filter(|l| l.starts_with("[RASTER 576x"))
        .count();
    assert!(rasters >= 9, "{text:?}");
    assert!(
        !text
            .iter()
            .any(|l| l.contains('?') && !l.starts_with("[QR")),
        "{text:?}"
    );
}

fn printer_for(sim: &TcpPrinterSim, profile: PrinterProfile) -> ReceiptPrinter {
    ReceiptPrinter::open(&sim.uri(), profile, Timeouts::default()).unwrap()
}

#[test]
fn print_over_tcp_delivers_exactly_the_rendered_bytes() {
    let sim = TcpPrinterSim::start().unwrap();
    let profile = PrinterProfile::new(PaperWidth::Mm80, CodePage::Wpc1251);
    let receipt = receipts::bulgarian_sale();
    let mut printer = printer_for(&sim, profile.clone());
    printer.print(&receipt).unwrap();
    drop(printer);
    let jobs = sim.wait_for_print_jobs(1, WAIT).expect("job received");
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].data, render(&receipt, &profile));
    // Status checked before and after the job.
    assert_eq!(jobs[0].status_requests, [1, 2, 3, 4, 1, 2, 3, 4]);
    assert!(!jobs[0].cut_off);
}

#[test]
fn status_round_trips_over_tcp() {
    let sim = TcpPrinterSim::start().unwrap();
    let mut printer = printer_for(&sim, PrinterProfile::default());
    let s = printer.status().unwrap();
    assert!(
        s.online
            && s.paper == PaperState::Ok
            && !s.cover_open
            && !s.drawer_open
            && s.error.is_none()
    );
    sim.set_paper(PaperState::NearEnd);
    sim.set_drawer_open(true);
    let s = printer.status().unwrap();
    assert!(s.online && s.ready());
    assert_eq!(s.paper, PaperState::NearEnd);
    assert!(s.drawer_open);
    sim.set_cover_open(true);
    let s = printer.status().unwrap();
    assert!(s.cover_open && !s.online);
    sim.set_cover_open(false);
    sim.set_fault(Some(PrinterFault::Autocutter));
    assert_eq!(
        printer.status().unwrap().error,
        Some(PrinterFault::Autocutter)
    );
    assert_eq!(sim.status(), {
        let mut expected = s;
        expected.cover_open = false;
        expected.online = false;
        expected.error = Some(PrinterFault::Autocutter);
        expected
    });
}

#[test]
fn paper_out_is_a_typed_error_and_nothing_is_printed() {
    let sim = TcpPrinterSim::start().unwrap();
    sim.set_paper(PaperState::Out);
    let mut printer = printer_for(&sim, PrinterProfile::default());
    let err = printer.print(&receipts::bulgarian_sale()).unwrap_err();
    assert_eq!(err.code(), "printer.paper_out", "{err}");
    drop(printer);
    let jobs = sim
        .wait_until(WAIT, |j| j.len() == 1 && j[0].finished)
        .unwrap();
    assert!(
        jobs[0].data.is_empty(),
        "nothing may be sent: {:?}",
        jobs[0].data.len()
    );
    assert_eq!(jobs[0].status_requests, [1, 2, 3, 4]);
}

#[test]
fn cover_open_is_a_typed_error_and_nothing_is_printed() {
    let sim = TcpPrinterSim::start().unwrap();
    sim.set_cover_open(true);
    let mut printer = printer_for(&sim, PrinterProfile::default());
    let err = printer.print(&receipts::georgian_sale()).unwrap_err();
    assert_eq!(err.code(), "printer.cover_open", "{err}");
    assert!(sim.print_jobs().is_empty());
    // Closing the cover lets the same printer print.
    sim.set_cover_open(false);
    printer.print(&receipts::georgian_sale()).unwrap();
    drop(printer);
    assert_eq!(sim.wait_for_print_jobs(1, WAIT).unwrap().len(), 1);
}

#[test]
fn printer_going_offline_mid_job_is_a_typed_offline_error() {
    let sim = TcpPrinterSim::start().unwrap();
    sim.drop_connection_after(Some(200));
    let mut printer = printer_for(&sim, PrinterProfile::new(PaperWidth::Mm80, CodePage::Cp866));
    let err = printer.print(&receipts::georgian_sale()).unwrap_err();
    assert_eq!(err.code(), "printer.offline", "{err}");
    let jobs = sim
        .wait_until(WAIT, |j| j.len() == 1 && j[0].finished)
        .unwrap();
    assert!(jobs[0].cut_off);
    assert_eq!(jobs[0].data.len(), 200);
    // The printer stays unreachable: a new attempt fails the same way.
    let again = ReceiptPrinter::open(&sim.uri(), PrinterProfile::default(), Timeouts::default())
        .and_then(|mut p| p.print(&receipts::bulgarian_sale()));
    assert_eq!(again.unwrap_err().code(), "printer.offline");
}

#[test]
fn unreachable_printer_is_offline_and_comes_back() {
    let sim = TcpPrinterSim::start().unwrap();
    sim.set_offline(true);
    let result = ReceiptPrinter::open(&sim.uri(), PrinterProfile::default(), Timeouts::default())
        .and_then(|mut p| p.print(&receipts::bulgarian_sale()));
    assert_eq!(result.unwrap_err().code(), "printer.offline");
    sim.set_offline(false);
    let mut printer = printer_for(&sim, PrinterProfile::default());
    printer.print(&receipts::bulgarian_sale()).unwrap();
    drop(printer);
    assert_eq!(sim.wait_for_print_jobs(1, WAIT).unwrap().len(), 1);
}

#[test]
fn silent_device_status_is_offline_after_the_read_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let holder = std::thread::spawn(move || {
        let (s, _) = listener.accept().unwrap();
        let mut r = BufReader::new(s);
        let mut sink = Vec::new();
        let _ = r.read_until(0xFF, &mut sink);
    });
    let timeouts = Timeouts {
        read_ms: 100,
        ..Timeouts::default()
    };
    let uri = DeviceUri::Tcp {
        host: "127.0.0.1".into(),
        port,
    };
    let mut printer = ReceiptPrinter::open(&uri, PrinterProfile::default(), timeouts).unwrap();
    let started = std::time::Instant::now();
    let err = printer.status().unwrap_err();
    assert_eq!(err.code(), "printer.offline", "{err}");
    assert!(err.to_string().contains("no answer to DLE EOT 1"), "{err}");
    assert!(started.elapsed() >= Duration::from_millis(100));
    drop(printer);
    holder.join().unwrap();
}

#[test]
fn drawer_pulse_reaches_the_printer_as_five_bytes() {
    let sim = TcpPrinterSim::start().unwrap();
    let mut printer = printer_for(&sim, PrinterProfile::default());
    printer.open_drawer(DrawerPin::Pin5, 100, 500).unwrap();
    drop(printer);
    let jobs = sim.wait_for_print_jobs(1, WAIT).unwrap();
    assert_eq!(jobs[0].data, [0x1B, 0x70, 1, 50, 250]);
}

#[test]
fn file_printer_writes_the_rendered_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("receipt.bin");
    let uri = DeviceUri::parse(&format!("file://{}", path.display())).unwrap();
    let profile = PrinterProfile::new(PaperWidth::Mm58, CodePage::Cp866);
    let mut printer = ReceiptPrinter::open(&uri, profile.clone(), Timeouts::default()).unwrap();
    assert!(!printer.can_report_status());
    printer.print(&receipts::bulgarian_sale()).unwrap();
    drop(printer);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        render(&receipts::bulgarian_sale(), &profile)
    );
}

#[test]
fn simulator_writes_jobs_as_bytes_and_text() {
    let dir = tempfile::tempdir().unwrap();
    let sim = TcpPrinterSim::start_with(
        "127.0.0.1:0",
        SimConfig {
            code_page: CodePage::Cp866,
            job_dir: Some(dir.path().to_path_buf()),
            png_width_dots: Some(384),
        },
    )
    .unwrap();
    let profile = PrinterProfile::new(PaperWidth::Mm58, CodePage::Cp866);
    let mut printer = printer_for(&sim, profile.clone());
    printer.print(&receipts::bulgarian_sale()).unwrap();
    drop(printer);
    sim.wait_for_print_jobs(1, WAIT).unwrap();
    // Job files are written before the job is marked finished.
    let bytes = std::fs::read(dir.path().join("job-0001.bin")).unwrap();
    assert_eq!(bytes, render(&receipts::bulgarian_sale(), &profile));
    let text = std::fs::read_to_string(dir.path().join("job-0001.txt")).unwrap();
    assert!(text.contains("Сирене краве 400г"), "{text}");
    let png = std::fs::read(dir.path().join("job-0001.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
}

#[test]
fn printer_sim_binary_serves_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kasa-printer-sim"))
        .args(["--port", "0", "--code-page", "cp866", "--jobs"])
        .arg(dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    let uri_text = first
        .split("printer URI ")
        .nth(1)
        .unwrap()
        .trim()
        .to_string();
    let uri = DeviceUri::parse(&uri_text).unwrap();
    let profile = PrinterProfile::new(PaperWidth::Mm58, CodePage::Cp866);
    let mut printer = ReceiptPrinter::open(&uri, profile, Timeouts::default()).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "paper out").unwrap();
    // Wait for the simulator to confirm the state change on stdout.
    let mut line = String::new();
    while !line.contains("Out") {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "simulator exited");
    }
    assert_eq!(
        printer.print(&receipts::thirty_lines()).unwrap_err().code(),
        "printer.paper_out"
    );
    writeln!(stdin, "quit").unwrap();
    let status = child.wait().unwrap();
    assert!(status.success());
}

/// A serial printer on a pty pair: the device end answers `DLE EOT` with
/// "all clear" and keeps every other byte.
#[test]
fn print_over_serial_pty_and_unplug_is_offline() {
    use kasa_drivers::sim::decode::{Command, Parsed, parse_one};
    use kasa_drivers::sim::pty::PtyPair;
    use std::io::Read;

    let mut pair = PtyPair::spawn().unwrap();
    let device_path = pair.device_end().to_path_buf();
    let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
    let device = std::thread::spawn(move || {
        let mut port = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&device_path)
            .unwrap();
        let mut pending = Vec::new();
        let mut data = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = match port.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            pending.extend_from_slice(&buf[..n]);
            let mut used = 0;
            while let Parsed::Command(cmd, len) = parse_one(&pending[used..]) {
                match cmd {
                    Command::StatusRequest(_) => port.write_all(&[0x12]).unwrap(),
                    _ => data.extend_from_slice(&pending[used..used + len]),
                }
                used += len;
            }
            pending.drain(..used);
            let _ = tx.send(data.clone());
        }
    });
    let uri = DeviceUri::parse(&pair.host_uri("?baud=115200")).unwrap();
    let profile = PrinterProfile::new(PaperWidth::Mm58, CodePage::Cp866);
    let mut printer = ReceiptPrinter::open(&uri, profile.clone(), Timeouts::default()).unwrap();
    assert!(printer.status().unwrap().ready());
    let receipt = receipts::thirty_lines();
    printer.print(&receipt).unwrap();
    let expected = render(&receipt, &profile);
    let deadline = std::time::Instant::now() + WAIT;
    let mut got = Vec::new();
    while got != expected {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        got = rx.recv_timeout(left).expect("device end received the job");
    }
    pair.unplug();
    let err = printer.print(&receipt).unwrap_err();
    assert_eq!(err.code(), "printer.offline", "{err}");
    drop(printer);
    device.join().unwrap();
}
