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
    assert_eq!(err.code(), "printer.offline");
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
    assert_eq!(err.code(), "printer.offline", "{err}");
    // Reopening a vanished port says what happened.
    let uri = DeviceUri::parse(&pair.host_uri("")).unwrap();
    let err = Scale::open(&uri, ScaleConfig::default()).unwrap_err();
    assert_eq!(err.code(), "device.not_found", "{err}");
}
