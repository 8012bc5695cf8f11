use super::*;

fn cfg(suffix: Suffix) -> ScannerConfig {
    ScannerConfig {
        suffix,
        ..ScannerConfig::default()
    }
}

#[test]
fn aim_identifiers_table() {
    let cases: &[(&[u8], &str, Symbology)] = &[
        (b"]E04006381333931", "4006381333931", Symbology::Ean13),
        (b"]E496385074", "96385074", Symbology::Ean8),
        (
            b"]E3400638133393112",
            "400638133393112",
            Symbology::Ean13AddOn,
        ),
        (b"]C0ABC-123", "ABC-123", Symbology::Code128),
        (
            b"]C10104006381333931\x1d10LOT7",
            "0104006381333931\u{1d}10LOT7",
            Symbology::Gs1Code128,
        ),
        (
            b"]d20104006381333931\x1d17261231",
            "0104006381333931\u{1d}17261231",
            Symbology::Gs1DataMatrix,
        ),
        (b"]d1hello", "hello", Symbology::DataMatrix),
        (
            b"]Q1https://kasa.example/r/1",
            "https://kasa.example/r/1",
            Symbology::Qr,
        ),
        (b"]Q30104006381333931", "0104006381333931", Symbology::Gs1Qr),
        (b"]A0CODE39", "CODE39", Symbology::Code39),
        (b"]I012345678", "12345678", Symbology::Itf),
        (b"]L0pdf", "pdf", Symbology::Pdf417),
        (
            b"]e00104006381333931",
            "0104006381333931",
            Symbology::Gs1DataBar,
        ),
        (b"]F0123", "123", Symbology::Other("]F0".into())),
        (b"4006381333931", "4006381333931", Symbology::Unidentified),
        ("]Q1Здравей".as_bytes(), "Здравей", Symbology::Qr),
        // Too short to hold an identifier: kept as the code.
        (b"]E", "]E", Symbology::Unidentified),
    ];
    for (frame, code, symbology) in cases {
        let ev = decode_frame(frame, &ScannerConfig::default()).unwrap();
        assert_eq!(ev.code, *code, "{frame:?}");
        assert_eq!(&ev.symbology, symbology, "{frame:?}");
    }
    assert!(Symbology::Gs1Code128.is_gs1() && !Symbology::Ean13.is_gs1());
}

#[test]
fn aim_parsing_can_be_switched_off() {
    let config = ScannerConfig {
        aim_ids: false,
        ..ScannerConfig::default()
    };
    let ev = decode_frame(b"]E04006381333931", &config).unwrap();
    assert_eq!(ev.code, "]E04006381333931");
    assert_eq!(ev.symbology, Symbology::Unidentified);
}

#[test]
fn noise_is_a_typed_error() {
    let config = ScannerConfig::default();
    let cases: &[(&[u8], u8, usize)] = &[
        (b"4006\x07381", 0x07, 4),
        (b"\x00", 0x00, 0),
        (b"12\x7f", 0x7f, 2),
        (b"ab\xff\xfe", 0xff, 2),
    ];
    for (frame, byte, position) in cases {
        match decode_frame(frame, &config) {
            Err(ScanError::NonPrintable {
                byte: b,
                position: p,
            }) => {
                assert_eq!((b, p), (*byte, *position), "{frame:?}")
            }
            other => panic!("{frame:?}: {other:?}"),
        }
    }
    assert_eq!(
        decode_frame(b"\x01", &config).unwrap_err().code(),
        "scanner.non_printable"
    );
}

#[test]
fn prefix_is_required_and_stripped() {
    let config = ScannerConfig {
        prefix: vec![0x02],
        ..ScannerConfig::default()
    };
    assert_eq!(
        decode_frame(b"\x02]E496385074", &config).unwrap().code,
        "96385074"
    );
    assert!(matches!(
        decode_frame(b"96385074", &config),
        Err(ScanError::MissingPrefix)
    ));
}

fn codes(results: Vec<Result<ScanEvent, ScanError>>) -> Vec<Result<String, &'static str>> {
    results
        .into_iter()
        .map(|r| r.map(|e| e.code).map_err(|e| e.code()))
        .collect()
}

#[test]
fn suffixes_split_frames_at_every_chunk_boundary() {
    let cases: &[(Suffix, &[u8])] = &[
        (Suffix::Cr, b"]E04006381333931\r]E496385074\r"),
        (Suffix::Cr, b"]E04006381333931\r\n]E496385074\r\n"),
        (Suffix::Lf, b"]E04006381333931\n]E496385074\n"),
        (Suffix::CrLf, b"]E04006381333931\r\n]E496385074\r\n"),
    ];
    let expected = vec![Ok("4006381333931".to_string()), Ok("96385074".to_string())];
    for (suffix, stream) in cases {
        for split in 0..=stream.len() {
            let mut framer = ScanFramer::new(cfg(*suffix));
            let mut got = framer.push(&stream[..split]);
            got.extend(framer.push(&stream[split..]));
            assert_eq!(codes(got), expected, "{suffix:?} split at {split}");
            assert!(!framer.has_partial());
        }
    }
}

#[test]
fn suffix_none_frames_on_idle() {
    let mut framer = ScanFramer::new(cfg(Suffix::None));
    assert!(framer.push(b"]E04006381333931").is_empty());
    assert!(framer.has_partial());
    let ev = framer.idle().unwrap().unwrap();
    assert_eq!(ev.code, "4006381333931");
    assert!(framer.idle().is_none());
}

#[test]
fn overlong_frame_is_reported_once_then_the_next_frame_reads() {
    let mut framer = ScanFramer::new(ScannerConfig::default());
    let mut stream = vec![b'7'; 300];
    stream.push(b'\r');
    stream.extend_from_slice(b"]E496385074\r");
    assert_eq!(
        codes(framer.push(&stream)),
        vec![Err("scanner.overlong"), Ok("96385074".to_string())]
    );
    // Exactly max_len is fine.
    let mut exact = vec![b'1'; 128];
    exact.push(b'\r');
    assert_eq!(codes(framer.push(&exact)), vec![Ok("1".repeat(128))]);
}

#[test]
fn partial_frame_left_idle_is_dropped_not_glued() {
    let mut framer = ScanFramer::new(ScannerConfig::default());
    assert!(framer.push(b"\x13\x11garb").is_empty());
    assert_eq!(
        framer.idle().unwrap().unwrap_err().code(),
        "scanner.incomplete"
    );
    assert_eq!(
        codes(framer.push(b"]E496385074\r")),
        vec![Ok("96385074".to_string())]
    );
}

#[test]
fn empty_lines_are_ignored() {
    let mut framer = ScanFramer::new(cfg(Suffix::Lf));
    assert_eq!(
        codes(framer.push(b"\n\r\n123\n")),
        vec![Ok("123".to_string())]
    );
}

/// A transport that replays scripted reads (bytes or a timeout).
struct Scripted(VecDeque<Option<Vec<u8>>>);

impl Transport for Scripted {
    fn write_all(&mut self, _bytes: &[u8]) -> Result<(), DriverError> {
        Ok(())
    }
    fn read(&mut self, buf: &mut [u8], timeout_ms: u64) -> Result<usize, DriverError> {
        match self.0.pop_front() {
            Some(Some(bytes)) => {
                buf[..bytes.len()].copy_from_slice(&bytes);
                Ok(bytes.len())
            }
            Some(None) => {
                std::thread::sleep(Duration::from_millis(timeout_ms));
                Err(DriverError::Timeout {
                    device: "scripted".into(),
                    operation: "reading",
                    timeout_ms,
                })
            }
            None => Err(DriverError::Offline {
                device: "scripted".into(),
                detail: "end of script".into(),
            }),
        }
    }
    fn device(&self) -> String {
        "scripted".into()
    }
}

#[test]
fn next_scan_reads_frames_errors_and_then_reports_offline() {
    let script = VecDeque::from(vec![
        Some(b"]E0400638".to_vec()),
        Some(b"1333931\r]C1".to_vec()),
        Some(b"01\x1d10A\r\x07\r".to_vec()),
    ]);
    let config = ScannerConfig {
        idle_timeout_ms: 20,
        ..ScannerConfig::default()
    };
    let mut scanner = SerialScanner::from_transport(Box::new(Scripted(script)), config);
    let first = scanner.next_scan(1_000).unwrap().unwrap();
    assert_eq!(
        (first.code.as_str(), first.symbology),
        ("4006381333931", Symbology::Ean13)
    );
    let second = scanner.next_scan(1_000).unwrap().unwrap();
    assert_eq!(second.code, "01\u{1d}10A");
    assert_eq!(second.symbology, Symbology::Gs1Code128);
    assert_eq!(
        scanner.next_scan(1_000).unwrap_err().code(),
        "scanner.non_printable"
    );
    assert_eq!(
        scanner.next_scan(1_000).unwrap_err().code(),
        "device.offline"
    );
}

#[test]
fn next_scan_without_suffix_ends_on_idle_and_times_out_when_quiet() {
    let mut script = VecDeque::from(vec![Some(b"]E496385074".to_vec())]);
    script.extend(std::iter::repeat_n(None, 50));
    let config = ScannerConfig {
        suffix: Suffix::None,
        idle_timeout_ms: 20,
        ..ScannerConfig::default()
    };
    let mut scanner = SerialScanner::from_transport(Box::new(Scripted(script)), config);
    assert_eq!(scanner.next_scan(1_000).unwrap().unwrap().code, "96385074");
    assert!(scanner.next_scan(30).unwrap().is_none());
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    fn summary(
        results: Vec<Result<ScanEvent, ScanError>>,
    ) -> Vec<Result<(String, Symbology), &'static str>> {
        results
            .into_iter()
            .map(|r| r.map(|e| (e.code, e.symbology)).map_err(|e| e.code()))
            .collect()
    }

    proptest! {
        /// Any byte stream, split anywhere, frames the same and never panics.
        #[test]
        fn framing_ignores_chunk_boundaries(
            stream in proptest::collection::vec(
                prop_oneof![4 => 0x20u8..0x7f, 1 => Just(b'\r'), 1 => Just(b'\n'), 1 => any::<u8>()],
                0..400,
            ),
            split in any::<prop::sample::Index>(),
            suffix in prop::sample::select(vec![Suffix::Cr, Suffix::Lf, Suffix::CrLf, Suffix::None]),
        ) {
            let at = split.index(stream.len() + 1);
            let mut whole = ScanFramer::new(cfg(suffix));
            let mut parts = ScanFramer::new(cfg(suffix));
            let expected = summary(whole.push(&stream));
            let mut got = parts.push(&stream[..at]);
            got.extend(parts.push(&stream[at..]));
            prop_assert_eq!(summary(got), expected);
        }

        /// Every printable code with any AIM id and suffix comes back intact.
        #[test]
        fn printable_codes_round_trip(
            code in "[ -~]{1,100}",
            gs_at in proptest::option::of(0usize..100),
            suffix in prop::sample::select(vec![Suffix::Cr, Suffix::Lf, Suffix::CrLf]),
        ) {
            prop_assume!(!code.starts_with(']'));
            let mut code = code;
            if let Some(i) = gs_at.filter(|i| *i < code.len()) {
                code.insert(i, '\u{1d}');
            }
            let mut frame = b"]C1".to_vec();
            frame.extend_from_slice(code.as_bytes());
            frame.extend_from_slice(suffix.bytes());
            let mut framer = ScanFramer::new(cfg(suffix));
            let got = summary(framer.push(&frame));
            prop_assert_eq!(got, vec![Ok((code, Symbology::Gs1Code128))]);
        }
    }
}
