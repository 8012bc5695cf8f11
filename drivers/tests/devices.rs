//! Device round trips over real transports: pty pairs made by socat for the
//! serial scanner and scale, the TCP printer simulator for the print queue.

use std::time::Duration;

use kasa_drivers::scale::{Scale, ScaleConfig, ScaleProtocol};
use kasa_drivers::scanner::{
    ScanError, ScanEvent, ScannerConfig, SerialScanner, Suffix, Symbology,
};
use kasa_drivers::sim::pty::PtyPair;
use kasa_drivers::sim::serial_scale::{ScaleSimState, SerialScaleSim, SimLoad};
use kasa_drivers::sim::serial_scanner::SerialScannerSim;
use kasa_drivers::transport::DeviceUri;

fn scanner_on(pair: &PtyPair, suffix: Suffix) -> SerialScanner {
    let uri = DeviceUri::parse(&pair.host_uri("?baud=115200")).unwrap();
    let config = ScannerConfig {
        suffix,
        idle_timeout_ms: 100,
        ..ScannerConfig::default()
    };
    SerialScanner::open(&uri, config).unwrap()
}

#[test]
fn serial_scanner_round_trip_over_a_pty_for_every_suffix() {
    for suffix in [Suffix::Cr, Suffix::Lf, Suffix::CrLf, Suffix::None] {
        let pair = PtyPair::spawn().unwrap();
        let mut scanner = scanner_on(&pair, suffix);
        let mut sim = SerialScannerSim::open(pair.device_end(), b"", suffix).unwrap();
        sim.scan(Some("]E0"), "4006381333931").unwrap();
        let first = scanner.next_scan(2_000).unwrap().expect("a scan");
        assert_eq!(
            first,
            ScanEvent {
                code: "4006381333931".into(),
                symbology: Symbology::Ean13
            },
            "{suffix:?}"
        );
        sim.scan(Some("]C1"), "0104006381333931\u{1d}10LOT42")
            .unwrap();
        let second = scanner.next_scan(2_000).unwrap().expect("a scan");
        assert_eq!(second.code, "0104006381333931\u{1d}10LOT42", "{suffix:?}");
        assert_eq!(second.symbology, Symbology::Gs1Code128);
        assert!(
            scanner.next_scan(50).unwrap().is_none(),
            "nothing else was sent"
        );
    }
}

#[test]
fn serial_scanner_noise_is_typed_and_reader_keeps_going() {
    let pair = PtyPair::spawn().unwrap();
    let mut scanner = scanner_on(&pair, Suffix::Cr);
    let mut sim = SerialScannerSim::open(pair.device_end(), b"", Suffix::Cr).unwrap();
    sim.write_raw(b"\x00\x13\xfe\r").unwrap();
    sim.write_raw(&[b'9'; 200]).unwrap();
    sim.write_raw(b"\r").unwrap();
    sim.scan(Some("]E4"), "96385074").unwrap();
    assert_eq!(
        scanner.next_scan(2_000).unwrap_err().code(),
        "scanner.non_printable"
    );
    assert_eq!(
        scanner.next_scan(2_000).unwrap_err().code(),
        "scanner.overlong"
    );
    let ok = scanner.next_scan(2_000).unwrap().unwrap();
    assert_eq!(
        (ok.code.as_str(), ok.symbology),
        ("96385074", Symbology::Ean8)
    );
}

#[test]
fn serial_scanner_reader_thread_reports_unplug_as_typed_error() {
    let mut pair = PtyPair::spawn().unwrap();
    let scanner = scanner_on(&pair, Suffix::Cr);
    let mut sim = SerialScannerSim::open(pair.device_end(), b"", Suffix::Cr).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = std::thread::spawn({
        let stop = stop.clone();
        move || scanner.run_reader(tx, stop)
    });
    sim.scan(None, "2000123004521").unwrap();
    let scan = rx.recv_timeout(Duration::from_secs(2)).unwrap().unwrap();
    assert_eq!(scan.code, "2000123004521");
    drop(sim);
    pair.unplug();
    let err = rx
        .recv_timeout(Duration::from_secs(3))
        .unwrap()
        .unwrap_err();
    assert!(matches!(err, ScanError::Transport(_)), "{err:?}");
    assert_eq!(err.code(), "device.offline");
    reader.join().unwrap();
}

fn scale_on(pair: &PtyPair, protocol: ScaleProtocol) -> Scale {
    let uri = DeviceUri::parse(&pair.host_uri("?baud=9600")).unwrap();
    let config = ScaleConfig {
        protocol,
        stable_readings: 3,
        poll_interval_ms: 10,
        response_timeout_ms: 500,
        stable_timeout_ms: 400,
    };
    Scale::open(&uri, config).unwrap()
}

#[test]
fn scale_read_stable_unstable_overload_over_a_pty_both_protocols() {
    for protocol in [ScaleProtocol::ToledoDemand, ScaleProtocol::CasContinuous] {
        let pair = PtyPair::spawn().unwrap();
        let initial = ScaleSimState {
            load: SimLoad::Stable { grams: 1_234 },
            ..ScaleSimState::default()
        };
        let sim = SerialScaleSim::start(pair.device_end(), protocol, initial, 20).unwrap();
        let mut scale = scale_on(&pair, protocol);
        let stable = scale.read_stable().unwrap();
        assert_eq!(stable.weight.grams, 1_234, "{protocol:?}");
        assert_eq!(stable.weight.kg_text(), "1.234");

        sim.set_load(SimLoad::Unstable { grams: 700 });
        assert_eq!(
            scale.read_stable().unwrap_err().code(),
            "scale.unstable",
            "{protocol:?}"
        );

        sim.set_load(SimLoad::Overload);
        assert_eq!(
            scale.read_stable().unwrap_err().code(),
            "scale.overload",
            "{protocol:?}"
        );

        sim.set_load(SimLoad::Stable { grams: 452 });
        assert_eq!(
            scale.read_stable().unwrap().weight.grams,
            452,
            "{protocol:?}"
        );
    }
}

#[test]
fn scale_zero_and_tare_over_a_pty() {
    let pair = PtyPair::spawn().unwrap();
    let initial = ScaleSimState {
        load: SimLoad::Stable { grams: 40 },
        ..ScaleSimState::default()
    };
    let sim =
        SerialScaleSim::start(pair.device_end(), ScaleProtocol::ToledoDemand, initial, 20).unwrap();
    let mut scale = scale_on(&pair, ScaleProtocol::ToledoDemand);
    scale.zero().unwrap();
    assert_eq!(scale.read_stable().unwrap().weight.grams, 0);
    sim.set_load(SimLoad::Stable { grams: 190 });
    scale.tare().unwrap();
    sim.set_load(SimLoad::Stable { grams: 690 });
    assert_eq!(scale.read_stable().unwrap().weight.grams, 500);
    assert_eq!(sim.state().tare_grams, 150);
}

#[test]
fn scale_unplugged_is_a_typed_error() {
    let mut pair = PtyPair::spawn().unwrap();
    let sim = SerialScaleSim::start(
        pair.device_end(),
        ScaleProtocol::ToledoDemand,
        ScaleSimState::default(),
        20,
    )
    .unwrap();
    let mut scale = scale_on(&pair, ScaleProtocol::ToledoDemand);
    assert_eq!(scale.read_once().unwrap().weight.grams, 0);
    drop(sim);
    pair.unplug();
    let err = scale.read_once().unwrap_err();
    assert_eq!(err.code(), "device.offline", "{err}");
    // Reopening a vanished port says what happened.
    let uri = DeviceUri::parse(&pair.host_uri("")).unwrap();
    let err = Scale::open(&uri, ScaleConfig::default()).unwrap_err();
    assert_eq!(err.code(), "device.not_found", "{err}");
}

// ---- print queue against the TCP printer simulator ----

mod with_printer_sim {
    use std::time::Duration;

    use kasa_drivers::printer::{CodePage, PaperWidth, PrinterProfile, Receipt, render};
    use kasa_drivers::queue::{JobPayload, JobState, PrintQueue, QueueConfig, copy_banner};
    use kasa_drivers::sim::pty::PtyPair;
    use kasa_drivers::sim::tcp_printer::{Job, TcpPrinterSim};
    use kasa_drivers::status::PaperState;
    use kasa_drivers::transport::{DeviceUri, Timeouts};

    fn config() -> QueueConfig {
        QueueConfig {
            base_backoff_ms: 20,
            max_backoff_ms: 80,
            max_attempts: 1_000,
            timeouts: Timeouts {
                connect_ms: 500,
                write_ms: 500,
                read_ms: 500,
            },
        }
    }

    fn profile() -> PrinterProfile {
        PrinterProfile::new(PaperWidth::Mm80, CodePage::Cp866)
    }

    fn receipt(text: &str) -> Receipt {
        let mut r = Receipt::new();
        r.line(text).row("Мляко 1 л", "2.49").cut();
        r
    }

    fn printed(job: &kasa_drivers::queue::PrintJob) -> bool {
        matches!(job.state, JobState::Printed { .. })
    }

    fn complete_copies(jobs: &[Job], expected: &[u8]) -> usize {
        jobs.iter()
            .filter(|j| j.finished && !j.cut_off && j.data == expected)
            .count()
    }

    #[test]
    fn offline_printer_keeps_job_queued_then_prints_it_exactly_once() {
        let dir = tempfile::tempdir().unwrap();
        let sim = TcpPrinterSim::start().unwrap();
        sim.set_offline(true);
        let queue = PrintQueue::open_with_worker(dir.path(), config()).unwrap();
        let r = receipt("Бележка 0000000001");
        let id = queue
            .enqueue(
                &sim.uri(),
                profile(),
                JobPayload::Receipt { receipt: r.clone() },
                false,
            )
            .unwrap();
        let failing = queue.wait_for(id, 3_000, |j| j.attempts >= 2).unwrap();
        assert_eq!(failing.state, JobState::Queued);
        assert_eq!(failing.last_error.unwrap().code, "printer.offline");

        sim.set_offline(false);
        let done = queue.wait_for(id, 3_000, printed).unwrap();
        assert!(printed(&done), "{done:?}");
        assert!(done.last_error.is_none());

        // A later job on the same printer proves the worker moved on
        // without sending the first one again.
        let second = receipt("Бележка 0000000002");
        let id2 = queue
            .enqueue(
                &sim.uri(),
                profile(),
                JobPayload::Receipt {
                    receipt: second.clone(),
                },
                false,
            )
            .unwrap();
        assert!(printed(&queue.wait_for(id2, 3_000, printed).unwrap()));
        let jobs = sim.wait_for_print_jobs(2, Duration::from_secs(2)).unwrap();
        assert_eq!(complete_copies(&jobs, &render(&r, &profile())), 1);
        assert_eq!(complete_copies(&jobs, &render(&second, &profile())), 1);
        assert_eq!(jobs.len(), 2, "no partial or duplicate jobs");
    }

    #[test]
    fn enqueue_returns_at_once_while_the_printer_hangs() {
        let dir = tempfile::tempdir().unwrap();
        // Accepts connections (kernel backlog) but never answers a status query.
        let hung = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let uri = DeviceUri::parse(&format!("tcp://{}", hung.local_addr().unwrap())).unwrap();
        let slow = QueueConfig {
            timeouts: Timeouts {
                connect_ms: 3_000,
                write_ms: 3_000,
                read_ms: 3_000,
            },
            ..config()
        };
        let queue = PrintQueue::open_with_worker(dir.path(), slow).unwrap();
        let first = queue
            .enqueue(
                &uri,
                profile(),
                JobPayload::Bytes {
                    bytes: b"1".to_vec(),
                },
                false,
            )
            .unwrap();
        // The worker is now blocked on the hung printer for up to 3 s.
        queue
            .wait_for(first, 2_000, |j| j.state == JobState::Printing)
            .unwrap();
        let started = std::time::Instant::now();
        for n in 0..5u8 {
            queue
                .enqueue(&uri, profile(), JobPayload::Bytes { bytes: vec![n] }, false)
                .unwrap();
        }
        assert!(
            started.elapsed() < Duration::from_millis(1_500),
            "enqueue waited on the printer: {:?}",
            started.elapsed()
        );
        assert_eq!(queue.job(first).unwrap().state, JobState::Printing);
        assert_eq!(queue.jobs().len(), 6);
    }

    #[test]
    fn paper_out_is_a_typed_error_and_the_job_waits_for_a_new_roll() {
        let dir = tempfile::tempdir().unwrap();
        let sim = TcpPrinterSim::start().unwrap();
        sim.set_paper(PaperState::Out);
        let queue = PrintQueue::open(dir.path(), config()).unwrap();
        let r = receipt("paper");
        let id = queue
            .enqueue(
                &sim.uri(),
                profile(),
                JobPayload::Receipt { receipt: r.clone() },
                false,
            )
            .unwrap();
        let err = queue.print_now(id).unwrap_err();
        assert_eq!(err.code(), "printer.paper_out", "{err}");
        let job = queue.job(id).unwrap();
        assert_eq!(job.state, JobState::Queued);
        assert_eq!(job.attempts, 1);
        assert!(sim.print_jobs().is_empty(), "nothing sent to an empty roll");

        sim.set_paper(PaperState::Ok);
        drop(queue);
        let queue = PrintQueue::open_with_worker(dir.path(), config()).unwrap();
        assert!(printed(&queue.wait_for(id, 3_000, printed).unwrap()));
        let jobs = sim.wait_for_print_jobs(1, Duration::from_secs(2)).unwrap();
        assert_eq!(complete_copies(&jobs, &render(&r, &profile())), 1);
    }

    #[test]
    fn printer_dropping_mid_job_gets_the_whole_job_again_once() {
        let dir = tempfile::tempdir().unwrap();
        let sim = TcpPrinterSim::start().unwrap();
        let r = receipt("mid-job");
        let bytes = render(&r, &profile());
        sim.drop_connection_after(Some(bytes.len() / 2));
        let queue = PrintQueue::open(dir.path(), config()).unwrap();
        let id = queue
            .enqueue(
                &sim.uri(),
                profile(),
                JobPayload::Bytes {
                    bytes: bytes.clone(),
                },
                false,
            )
            .unwrap();
        let err = queue.print_now(id).unwrap_err();
        assert_eq!(err.code(), "printer.offline", "{err}");
        assert_eq!(queue.job(id).unwrap().state, JobState::Queued);

        sim.drop_connection_after(None);
        sim.set_offline(false);
        let queue = {
            drop(queue);
            PrintQueue::open_with_worker(dir.path(), config()).unwrap()
        };
        assert!(printed(&queue.wait_for(id, 3_000, printed).unwrap()));
        let jobs = sim.wait_for_print_jobs(2, Duration::from_secs(2)).unwrap();
        assert!(jobs.iter().any(|j| j.cut_off && bytes.starts_with(&j.data)));
        assert_eq!(complete_copies(&jobs, &bytes), 1);
    }

    #[test]
    fn jobs_survive_restart_and_reprint_is_marked_copy() {
        let dir = tempfile::tempdir().unwrap();
        let sim = TcpPrinterSim::start().unwrap();
        sim.set_offline(true);
        let r = receipt("restart");
        let ids: Vec<u64> = {
            let queue = PrintQueue::open(dir.path(), config()).unwrap();
            (0..3)
                .map(|_| {
                    queue
                        .enqueue(
                            &sim.uri(),
                            profile(),
                            JobPayload::Receipt { receipt: r.clone() },
                            false,
                        )
                        .unwrap()
                })
                .collect()
        };
        let queue = PrintQueue::open(dir.path(), config()).unwrap();
        let listed: Vec<(u64, JobState)> =
            queue.jobs().into_iter().map(|j| (j.id, j.state)).collect();
        assert_eq!(
            listed,
            ids.iter()
                .map(|id| (*id, JobState::Queued))
                .collect::<Vec<_>>()
        );
        drop(queue);

        sim.set_offline(false);
        let queue = PrintQueue::open_with_worker(dir.path(), config()).unwrap();
        for id in &ids {
            assert!(printed(&queue.wait_for(*id, 3_000, printed).unwrap()));
        }
        let copy = queue.reprint(ids[0]).unwrap();
        assert!(queue.job(copy).unwrap().copy);
        assert!(printed(&queue.wait_for(copy, 3_000, printed).unwrap()));
        let jobs = sim.wait_for_print_jobs(4, Duration::from_secs(2)).unwrap();
        let original = render(&r, &profile());
        assert_eq!(complete_copies(&jobs, &original), 3);
        let mut with_banner = render(&copy_banner(), &profile());
        with_banner.extend_from_slice(&original);
        assert_eq!(complete_copies(&jobs, &with_banner), 1);
        let text = sim
            .job_text(jobs.iter().find(|j| j.data == with_banner).unwrap())
            .join("\n");
        assert!(text.contains("COPY"), "{text}");
    }

    #[test]
    fn drawer_pulse_and_state_through_the_printer() {
        use kasa_drivers::drawer::{
            DrawerConnection, DrawerPulse, DrawerState, drawer_state, open_drawer,
        };
        use kasa_drivers::printer::DrawerPin;

        let sim = TcpPrinterSim::start().unwrap();
        let connection = DrawerConnection::ThroughPrinter {
            printer: sim.uri(),
            pulse: DrawerPulse {
                pin: DrawerPin::Pin5,
                on_ms: 120,
                off_ms: 240,
            },
        };
        let t = config().timeouts;
        assert_eq!(drawer_state(&connection, t).unwrap(), DrawerState::Closed);
        open_drawer(&connection, t).unwrap();
        let jobs = sim.wait_for_print_jobs(1, Duration::from_secs(2)).unwrap();
        assert_eq!(jobs[0].data, [0x1B, 0x70, 1, 60, 120]);
        sim.set_drawer_open(true);
        assert_eq!(drawer_state(&connection, t).unwrap(), DrawerState::Open);
        sim.set_offline(true);
        assert_eq!(
            drawer_state(&connection, t).unwrap_err().code(),
            "printer.offline"
        );
    }

    #[test]
    fn serial_printer_unplugged_is_typed_and_job_stays_queued() {
        let dir = tempfile::tempdir().unwrap();
        let mut pair = PtyPair::spawn().unwrap();
        let uri = DeviceUri::parse(&pair.host_uri("?baud=19200")).unwrap();
        pair.unplug();
        let queue = PrintQueue::open(dir.path(), config()).unwrap();
        let id = queue
            .enqueue(
                &uri,
                profile(),
                JobPayload::Bytes {
                    bytes: b"serial job\n".to_vec(),
                },
                false,
            )
            .unwrap();
        let err = queue.print_now(id).unwrap_err();
        assert_eq!(err.code(), "device.not_found", "{err}");
        let job = queue.job(id).unwrap();
        assert_eq!(job.state, JobState::Queued);
        assert_eq!(job.last_error.unwrap().code, "device.not_found");
    }
}

#[test]
fn cli_scale_read_over_a_pty() {
    use kasa_drivers::cli::{DeviceCommand, DeviceCommandError, ProtocolArg, ScaleAction, run};

    for (protocol, arg) in [
        (ScaleProtocol::ToledoDemand, ProtocolArg::Toledo),
        (ScaleProtocol::CasContinuous, ProtocolArg::Cas),
    ] {
        let pair = PtyPair::spawn().unwrap();
        let state = ScaleSimState {
            load: SimLoad::Stable { grams: 2_005 },
            ..ScaleSimState::default()
        };
        let sim = SerialScaleSim::start(pair.device_end(), protocol, state, 20).unwrap();
        let read = |device: String| {
            run(DeviceCommand::Scale {
                action: ScaleAction::Read {
                    device,
                    protocol: arg,
                },
            })
        };
        assert_eq!(read(pair.host_uri("?baud=9600")).unwrap(), "2.005 kg\n");
        sim.set_load(SimLoad::Overload);
        // The scale's own error, code and advice (not a generic device error).
        let err = read(pair.host_uri("")).unwrap_err();
        assert!(matches!(err, DeviceCommandError::Scale(_)), "{err:?}");
        assert_eq!(err.code(), "scale.overload", "{protocol:?}");
        assert!(err.to_string().contains("weigh less at a time"), "{err}");
        sim.set_load(SimLoad::Unstable { grams: 700 });
        assert_eq!(
            read(pair.host_uri("")).unwrap_err().code(),
            "scale.unstable"
        );
    }
}
