use std::sync::mpsc;

use super::devices::{PrinterCommand, PrinterDevice, ScaleCommand, ScaleDevice};
use super::*;
use crate::printer::{CodePage, PaperWidth, PrinterProfile};
use crate::scale::{ScaleConfig, ScaleProtocol};
use crate::sim::pty::PtyPair;
use crate::sim::serial_scale::{ScaleSimState, SerialScaleSim, SimLoad};
use crate::sim::tcp_printer::TcpPrinterSim;
use crate::status::PaperState;
use crate::transport::{DeviceUri, Timeouts};

fn fast() -> SupervisorConfig {
    SupervisorConfig {
        probe_interval_ms: 30,
        reconnect_base_ms: 20,
        reconnect_max_ms: 80,
    }
}

fn timeouts() -> Timeouts {
    Timeouts {
        connect_ms: 300,
        write_ms: 300,
        read_ms: 300,
    }
}

fn profile() -> PrinterProfile {
    PrinterProfile::new(PaperWidth::Mm80, CodePage::Cp866)
}

#[test]
fn reconnect_backoff_doubles_to_the_cap() {
    let c = SupervisorConfig::default();
    let got: Vec<u64> = (1..=8).map(|n| c.reconnect_delay_ms(n)).collect();
    assert_eq!(got, [250, 500, 1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
}

#[test]
fn bus_publishes_changes_only() {
    let bus = StatusBus::new(8);
    let mut rx = bus.subscribe();
    bus.publish("p", DeviceState::Online);
    bus.publish("p", DeviceState::Online);
    bus.publish("p", DeviceState::PaperOut);
    assert_eq!(rx.try_recv().unwrap().state, DeviceState::Online);
    assert_eq!(rx.try_recv().unwrap().state, DeviceState::PaperOut);
    assert!(rx.try_recv().is_err());
    assert_eq!(bus.snapshot().len(), 1);
}

#[test]
fn printer_owner_tracks_offline_paper_out_and_back() {
    let sim = TcpPrinterSim::start().unwrap();
    let bus = StatusBus::default();
    let mut events = bus.subscribe();
    let handle = supervise(
        PrinterDevice::new(sim.uri(), profile(), timeouts()),
        &bus,
        fast(),
    );
    let name = handle.name().to_string();
    assert_eq!(
        bus.wait_for(&name, 2_000, |s| *s == DeviceState::Online),
        Some(DeviceState::Online)
    );

    sim.set_paper(PaperState::Out);
    assert_eq!(
        bus.wait_for(&name, 2_000, |s| *s == DeviceState::PaperOut),
        Some(DeviceState::PaperOut)
    );
    let (tx, rx) = mpsc::channel();
    handle
        .send(PrinterCommand::PrintBytes {
            bytes: b"hello\n".to_vec(),
            reply: tx,
        })
        .unwrap();
    assert_eq!(rx.recv().unwrap().unwrap_err().code(), "printer.paper_out");
    assert!(
        sim.print_jobs().is_empty(),
        "nothing printed on an empty roll"
    );

    sim.set_paper(PaperState::Ok);
    sim.set_offline(true);
    let offline = bus.wait_for(&name, 2_000, |s| matches!(s, DeviceState::Offline(_)));
    assert!(
        matches!(offline, Some(DeviceState::Offline(_))),
        "{offline:?}"
    );
    // Commands while offline are answered at once, not queued behind the device.
    let (tx, rx) = mpsc::channel();
    handle
        .send(PrinterCommand::PrintBytes {
            bytes: b"x".to_vec(),
            reply: tx,
        })
        .unwrap();
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(2))
            .unwrap()
            .unwrap_err()
            .code(),
        "printer.offline"
    );

    sim.set_offline(false);
    assert_eq!(
        bus.wait_for(&name, 2_000, |s| *s == DeviceState::Online),
        Some(DeviceState::Online)
    );
    let (tx, rx) = mpsc::channel();
    handle
        .send(PrinterCommand::PrintBytes {
            bytes: b"hello\n".to_vec(),
            reply: tx,
        })
        .unwrap();
    rx.recv().unwrap().unwrap();
    let jobs = sim.wait_for_print_jobs(1, Duration::from_secs(2)).unwrap();
    assert_eq!(jobs[0].data, b"hello\n");

    let mut seen = Vec::new();
    while let Ok(change) = events.try_recv() {
        seen.push(change.state);
    }
    assert_eq!(seen.first(), Some(&DeviceState::Starting));
    assert!(seen.contains(&DeviceState::PaperOut));
    assert!(seen.iter().any(|s| matches!(s, DeviceState::Offline(_))));
    assert_eq!(seen.last(), Some(&DeviceState::Online));
}

#[test]
fn scale_owner_reconnects_after_unplug() {
    let mut pair = PtyPair::spawn().unwrap();
    let initial = ScaleSimState {
        load: SimLoad::Stable { grams: 250 },
        ..ScaleSimState::default()
    };
    let sim =
        SerialScaleSim::start(pair.device_end(), ScaleProtocol::ToledoDemand, initial, 20).unwrap();
    let uri = DeviceUri::parse(&pair.host_uri("")).unwrap();
    let config = ScaleConfig {
        poll_interval_ms: 5,
        response_timeout_ms: 200,
        stable_timeout_ms: 500,
        ..ScaleConfig::default()
    };
    let bus = StatusBus::default();
    let handle = supervise(ScaleDevice::new(uri, config), &bus, fast());
    let name = handle.name().to_string();
    assert_eq!(
        bus.wait_for(&name, 2_000, |s| *s == DeviceState::Online),
        Some(DeviceState::Online)
    );
    let (tx, rx) = mpsc::channel();
    handle.send(ScaleCommand::ReadStable { reply: tx }).unwrap();
    assert_eq!(rx.recv().unwrap().unwrap().weight.grams, 250);

    drop(sim);
    pair.unplug();
    let offline = bus.wait_for(&name, 3_000, |s| matches!(s, DeviceState::Offline(_)));
    assert!(
        matches!(offline, Some(DeviceState::Offline(_))),
        "{offline:?}"
    );

    pair.replug().unwrap();
    let initial = ScaleSimState {
        load: SimLoad::Stable { grams: 975 },
        ..ScaleSimState::default()
    };
    let _sim =
        SerialScaleSim::start(pair.device_end(), ScaleProtocol::ToledoDemand, initial, 20).unwrap();
    assert_eq!(
        bus.wait_for(&name, 3_000, |s| *s == DeviceState::Online),
        Some(DeviceState::Online)
    );
    let (tx, rx) = mpsc::channel();
    handle.send(ScaleCommand::ReadStable { reply: tx }).unwrap();
    assert_eq!(rx.recv().unwrap().unwrap().weight.grams, 975);
}

#[test]
fn scanner_owner_forwards_scans_and_survives_replug() {
    use super::devices::ScannerDevice;
    use crate::scanner::{ScannerConfig, Suffix, Symbology};
    use crate::sim::serial_scanner::SerialScannerSim;

    let mut pair = PtyPair::spawn().unwrap();
    let uri = DeviceUri::parse(&pair.host_uri("?baud=9600")).unwrap();
    let (tx, scans) = mpsc::channel();
    let device = ScannerDevice::new(uri, ScannerConfig::default(), 50, tx);
    let bus = StatusBus::default();
    let config = SupervisorConfig {
        probe_interval_ms: 1,
        ..fast()
    };
    let handle = supervise(device, &bus, config);
    let name = handle.name().to_string();
    assert_eq!(
        bus.wait_for(&name, 2_000, |s| *s == DeviceState::Online),
        Some(DeviceState::Online)
    );
    let mut sim = SerialScannerSim::open(pair.device_end(), b"", Suffix::Cr).unwrap();
    sim.scan(Some("]E0"), "4006381333931").unwrap();
    let scan = scans.recv_timeout(Duration::from_secs(2)).unwrap().unwrap();
    assert_eq!(
        (scan.code.as_str(), scan.symbology),
        ("4006381333931", Symbology::Ean13)
    );

    drop(sim);
    pair.unplug();
    let offline = bus.wait_for(&name, 3_000, |s| matches!(s, DeviceState::Offline(_)));
    assert!(
        matches!(offline, Some(DeviceState::Offline(_))),
        "{offline:?}"
    );
    pair.replug().unwrap();
    assert_eq!(
        bus.wait_for(&name, 3_000, |s| *s == DeviceState::Online),
        Some(DeviceState::Online)
    );
    let mut sim = SerialScannerSim::open(pair.device_end(), b"", Suffix::Cr).unwrap();
    sim.scan(Some("]E4"), "96385074").unwrap();
    let scan = scans.recv_timeout(Duration::from_secs(2)).unwrap().unwrap();
    assert_eq!(scan.code, "96385074");
}
