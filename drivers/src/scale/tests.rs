use std::collections::VecDeque;

use super::*;
use crate::sim::serial_scale::{ScaleSimState, SimLoad};

#[test]
fn parse_grams_table() {
    let cases: &[(&str, WeightUnit, Option<i64>)] = &[
        ("00.452", WeightUnit::Kg, Some(452)),
        ("+000.452", WeightUnit::Kg, Some(452)),
        ("  0.452", WeightUnit::Kg, Some(452)),
        ("- 1.005", WeightUnit::Kg, Some(-1005)),
        ("1.5", WeightUnit::Kg, Some(1500)),
        ("12", WeightUnit::Kg, Some(12_000)),
        (".25", WeightUnit::Kg, Some(250)),
        ("0.4520", WeightUnit::Kg, Some(452)),
        ("0.4525", WeightUnit::Kg, None),
        ("452", WeightUnit::G, Some(452)),
        ("452.0", WeightUnit::G, Some(452)),
        ("452.5", WeightUnit::G, None),
        ("", WeightUnit::Kg, None),
        ("-", WeightUnit::Kg, None),
        (".", WeightUnit::Kg, None),
        ("1.2.3", WeightUnit::Kg, None),
        ("1e3", WeightUnit::Kg, None),
        ("99999999999999999999", WeightUnit::Kg, None),
    ];
    for (text, unit, grams) in cases {
        assert_eq!(parse_grams(text, *unit), *grams, "{text:?} {unit:?}");
    }
}

#[test]
fn weight_kg_text_is_exact() {
    for (g, text) in [
        (452, "0.452"),
        (0, "0.000"),
        (12_005, "12.005"),
        (-20, "-0.020"),
    ] {
        assert_eq!(Weight::from_grams(g).kg_text(), text);
    }
}

#[test]
fn toledo_frames_table() {
    let status = |bits: u8| vec![STX, b'?', toledo_status::ALWAYS | bits, CR];
    assert_eq!(
        parse_toledo(b"\x0200.452\r").unwrap(),
        ToledoFrame::Weight(Weight::from_grams(452))
    );
    assert_eq!(
        parse_toledo(b"\x0212.000\r").unwrap(),
        ToledoFrame::Weight(Weight::from_grams(12_000))
    );
    let cases: &[(u8, &str)] = &[
        (toledo_status::MOTION, "scale.unstable"),
        (toledo_status::OVER_CAPACITY, "scale.overload"),
        (toledo_status::UNDER_ZERO, "scale.under_zero"),
        (
            toledo_status::OVER_CAPACITY | toledo_status::MOTION,
            "scale.overload",
        ),
    ];
    for (bits, code) in cases {
        let ToledoFrame::Status(s) = parse_toledo(&status(*bits)).unwrap() else {
            panic!("status expected");
        };
        assert_eq!(toledo_status_error(s).unwrap().code(), *code);
    }
    assert!(toledo_status_error(toledo_status::ALWAYS | toledo_status::CENTER_OF_ZERO).is_none());
    for bad in [&b"00.452\r"[..], b"\x0200.452", b"\x02abc\r", b"\x02\r"] {
        assert_eq!(
            parse_toledo(bad).unwrap_err().code(),
            "scale.bad_frame",
            "{bad:?}"
        );
    }
}

#[test]
fn cas_records_table() {
    let ok = |g: i64, stable: bool, net: bool| ScaleReading {
        weight: Weight::from_grams(g),
        stable,
        net,
    };
    let cases: &[(&[u8], Result<ScaleReading, &str>)] = &[
        (b"ST,GS,+000.452kg\r\n", Ok(ok(452, true, false))),
        (b"US,GS,+000.450kg\r\n", Ok(ok(450, false, false))),
        (b"ST,NT,+001.250kg\r\n", Ok(ok(1250, true, true))),
        (b"ST,GS,   0.452kg\r\n", Ok(ok(452, true, false))),
        (b"ST,GS,+  452  g\r\n", Ok(ok(452, true, false))),
        (b"OL,GS,+999.999kg\r\n", Err("scale.overload")),
        (b"ST,GS,-000.020kg\r\n", Err("scale.under_zero")),
        (b"ST,GS,+000.452lb\r\n", Err("scale.unsupported_unit")),
        (b"XX,GS,+000.452kg\r\n", Err("scale.bad_frame")),
        (b"ST,GS\r\n", Err("scale.bad_frame")),
        (b"ST,GS,kg\r\n", Err("scale.bad_frame")),
        (b"ST,GS,+0\xff0.452kg\r\n", Err("scale.bad_frame")),
    ];
    for (frame, expected) in cases {
        let got = parse_cas(frame).map_err(|e| e.code());
        assert_eq!(&got, expected, "{}", frame.escape_ascii());
    }
}

/// An in-memory transport in front of the simulator's answering logic,
/// with a script of loads the scale goes through (one per weight request).
struct LoopbackScale {
    sim: ScaleSimState,
    protocol: ScaleProtocol,
    loads: VecDeque<SimLoad>,
    out: VecDeque<u8>,
}

impl LoopbackScale {
    fn new(protocol: ScaleProtocol, loads: &[SimLoad]) -> Self {
        Self {
            sim: ScaleSimState::default(),
            protocol,
            loads: loads.iter().copied().collect(),
            out: VecDeque::new(),
        }
    }
    fn advance(&mut self) {
        if let Some(load) = self.loads.pop_front() {
            self.sim.load = load;
        }
    }
}

impl Transport for LoopbackScale {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), DriverError> {
        for &b in bytes {
            if b == b'W' {
                self.advance();
            }
            let answer = self.sim.answer_toledo(b);
            self.out.extend(answer);
        }
        Ok(())
    }
    fn read(&mut self, buf: &mut [u8], timeout_ms: u64) -> Result<usize, DriverError> {
        if self.protocol == ScaleProtocol::CasContinuous && self.out.is_empty() {
            self.advance();
            let record = self.sim.cas_record();
            self.out.extend(record);
        }
        if self.out.is_empty() {
            return Err(DriverError::Timeout {
                device: "loopback".into(),
                operation: "reading",
                timeout_ms,
            });
        }
        let n = buf.len().min(self.out.len()).min(5);
        for slot in buf.iter_mut().take(n) {
            *slot = self.out.pop_front().unwrap_or(0);
        }
        Ok(n)
    }
    fn device(&self) -> String {
        "loopback".into()
    }
}

fn scale(protocol: ScaleProtocol, loads: &[SimLoad]) -> Scale {
    let config = ScaleConfig {
        protocol,
        stable_readings: 3,
        poll_interval_ms: 1,
        response_timeout_ms: 50,
        stable_timeout_ms: 200,
    };
    Scale::from_transport(Box::new(LoopbackScale::new(protocol, loads)), config)
}

#[test]
fn stable_detection_needs_consecutive_equal_readings() {
    use SimLoad::{Stable, Unstable};
    for protocol in [ScaleProtocol::ToledoDemand, ScaleProtocol::CasContinuous] {
        let loads = [
            Unstable { grams: 300 },
            Stable { grams: 451 },
            Stable { grams: 452 },
            Unstable { grams: 452 },
            Stable { grams: 452 },
            Stable { grams: 452 },
            Stable { grams: 452 },
            Stable { grams: 999 },
        ];
        let got = scale(protocol, &loads).read_stable().unwrap();
        assert_eq!(got.weight, Weight::from_grams(452), "{protocol:?}");
        assert_eq!(got.readings, 7, "{protocol:?}");
    }
}

#[test]
fn never_settling_is_unstable_and_overload_fails_fast() {
    for protocol in [ScaleProtocol::ToledoDemand, ScaleProtocol::CasContinuous] {
        let moving: Vec<SimLoad> = (0..100_000).map(|g| SimLoad::Stable { grams: g }).collect();
        assert_eq!(
            scale(protocol, &moving).read_stable().unwrap_err().code(),
            "scale.unstable"
        );
        let over = [SimLoad::Stable { grams: 5 }, SimLoad::Overload];
        assert_eq!(
            scale(protocol, &over).read_stable().unwrap_err().code(),
            "scale.overload"
        );
    }
}

#[test]
fn toledo_zero_and_tare_change_what_is_read() {
    let mut s = scale(
        ScaleProtocol::ToledoDemand,
        &[SimLoad::Stable { grams: 120 }],
    );
    assert_eq!(s.read_once().unwrap().weight.grams, 120);
    s.zero().unwrap();
    assert_eq!(s.read_once().unwrap().weight.grams, 0);
    let mut s = scale(
        ScaleProtocol::ToledoDemand,
        &[
            SimLoad::Stable { grams: 200 },
            SimLoad::Stable { grams: 650 },
        ],
    );
    assert_eq!(s.read_once().unwrap().weight.grams, 200);
    s.tare().unwrap();
    assert_eq!(s.read_once().unwrap().weight.grams, 450);
    // A heavy load is outside the zero capture range: refused, typed.
    let mut s = scale(
        ScaleProtocol::ToledoDemand,
        &[SimLoad::Stable { grams: 5_000 }],
    );
    s.read_once().unwrap();
    assert_eq!(s.zero().unwrap_err().code(), "scale.command_rejected");
}

#[test]
fn cas_has_no_remote_zero() {
    let mut s = scale(ScaleProtocol::CasContinuous, &[]);
    assert_eq!(s.zero().unwrap_err().code(), "scale.unsupported");
}

#[test]
fn silent_scale_times_out() {
    struct Silent;
    impl Transport for Silent {
        fn write_all(&mut self, _: &[u8]) -> Result<(), DriverError> {
            Ok(())
        }
        fn read(&mut self, _: &mut [u8], timeout_ms: u64) -> Result<usize, DriverError> {
            Err(DriverError::Timeout {
                device: "silent".into(),
                operation: "reading",
                timeout_ms,
            })
        }
        fn device(&self) -> String {
            "silent".into()
        }
    }
    let mut s = Scale::from_transport(Box::new(Silent), ScaleConfig::default());
    assert_eq!(s.read_once().unwrap_err().code(), "scale.timeout");
}
