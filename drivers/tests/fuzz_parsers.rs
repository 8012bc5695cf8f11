//! Generated-input tests of the parsers that read device bytes: the
//! printer's `DLE EOT` status answers, the Toledo and CAS scale frames, the
//! weight text inside them, and the serial scanner's framing. No bytes make
//! them panic, and what they read is what writing it back reads.
//!
//! Each property runs proptest's default 256 cases in the test suite and
//! `PROPTEST_CASES` cases in a soak run:
//! `PROPTEST_CASES=1000000 cargo test --release -p kasa-drivers --test fuzz_parsers`.

use kasa_drivers::scale::{
    CR, STX, ScaleError, ToledoFrame, Weight, WeightUnit, parse_cas, parse_grams, parse_toledo,
};
use kasa_drivers::scanner::{ScanEvent, ScanFramer, ScannerConfig, Suffix, decode_frame};
use kasa_drivers::status::{DrawerSense, FIXED_MASK, FIXED_VALUE, PrinterStatus};
use proptest::prelude::*;

/// A status byte: any byte, or one with the fixed bits right.
fn status_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        any::<u8>(),
        any::<u8>().prop_map(|b| (b & !FIXED_MASK) | FIXED_VALUE),
    ]
}

/// Weight text as scales and line noise send it.
fn weight_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[+\\- ]{0,2}[0-9 ]{0,8}(\\.[0-9]{0,5})?",
        "[0-9+\\-\\. a-zA-Z]{0,12}",
        any::<String>(),
        any::<i64>().prop_map(|g| Weight::from_grams(g).kg_text()),
    ]
}

fn scale_frame() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..24),
        (weight_text(), any::<bool>()).prop_map(|(text, status)| {
            let body = if status {
                vec![b'?', text.bytes().next().unwrap_or(0)]
            } else {
                text.into_bytes()
            };
            [&[STX][..], &body, &[CR]].concat()
        }),
        (
            "(ST|US|OL|XX|)",
            "(GS|NT|G|)",
            weight_text(),
            "( ?kg| ?KG| ?g| ?G| ?lb|)",
            "(\r\n|\r|\n|)",
        )
            .prop_map(|(state, mode, number, unit, end)| {
                format!("{state},{mode},{number}{unit}{end}").into_bytes()
            }),
    ]
}

/// The result without the error's text (scanner errors are not comparable).
fn outcome(
    result: Result<ScanEvent, kasa_drivers::scanner::ScanError>,
) -> Result<ScanEvent, &'static str> {
    result.map_err(|e| e.code())
}

fn scanner_config() -> impl Strategy<Value = ScannerConfig> {
    (
        prop_oneof![
            Just(vec![]),
            Just(vec![0x02]),
            prop::collection::vec(any::<u8>(), 0..3)
        ],
        prop_oneof![
            Just(Suffix::Cr),
            Just(Suffix::Lf),
            Just(Suffix::CrLf),
            Just(Suffix::None)
        ],
        any::<bool>(),
        1usize..40,
    )
        .prop_map(|(prefix, suffix, aim_ids, max_len)| ScannerConfig {
            prefix,
            suffix,
            aim_ids,
            max_len,
            ..ScannerConfig::default()
        })
}

proptest! {
    /// Any four answer bytes: refused naming the first bad byte, or read
    /// into a status that writes back to answers read the same.
    #[test]
    fn any_status_answer_is_read_or_refused(
        answers in [status_byte(), status_byte(), status_byte(), status_byte()],
        low_is_open in any::<bool>(),
    ) {
        let sense = if low_is_open { DrawerSense::LowIsOpen } else { DrawerSense::HighIsOpen };
        let bad = answers.iter().position(|b| b & FIXED_MASK != FIXED_VALUE);
        match (PrinterStatus::parse(answers, sense), bad) {
            (Err(e), Some(i)) => {
                prop_assert_eq!(usize::from(e.n), i + 1);
                prop_assert_eq!(e.byte, answers[i]);
            }
            (Ok(status), None) => {
                let again = PrinterStatus::parse(status.to_answers(), sense).unwrap();
                prop_assert_eq!(again, status);
                prop_assert_eq!(status.ready(), status.blocking_error("p").is_none());
            }
            (result, bad) => {
                return Err(TestCaseError::fail(format!("{answers:02X?}: {result:?}, bad byte {bad:?}")));
            }
        }
    }

    /// Any weight text: no panic; a weight read writes back as kg text
    /// that reads the same number of grams.
    #[test]
    fn any_weight_text_is_read_exactly_or_refused(text in weight_text(), grams_unit in any::<bool>()) {
        let unit = if grams_unit { WeightUnit::G } else { WeightUnit::Kg };
        if let Some(grams) = parse_grams(&text, unit) {
            let kg = Weight::from_grams(grams).kg_text();
            prop_assert_eq!(parse_grams(&kg, WeightUnit::Kg), Some(grams), "{}", kg);
            prop_assert_eq!(parse_grams(&grams.to_string(), WeightUnit::G), Some(grams));
        }
    }

    /// Any frame, either protocol: no panic, a `scale.*` code on refusal,
    /// and a reading writes back as a frame that reads the same.
    #[test]
    fn any_scale_frame_is_read_or_refused(frame in scale_frame()) {
        match parse_toledo(&frame) {
            Ok(ToledoFrame::Weight(w)) => {
                let again = [&[STX][..], w.kg_text().as_bytes(), &[CR]].concat();
                prop_assert_eq!(parse_toledo(&again).unwrap(), ToledoFrame::Weight(w));
            }
            Ok(ToledoFrame::Status(_)) => {}
            Err(e) => prop_assert!(matches!(e, ScaleError::BadFrame { .. }), "{}", e.code()),
        }
        match parse_cas(&frame) {
            Ok(reading) => {
                prop_assert!(reading.weight.grams >= 0);
                let again = format!(
                    "{},{},{}kg\r\n",
                    if reading.stable { "ST" } else { "US" },
                    if reading.net { "NT" } else { "GS" },
                    reading.weight.kg_text()
                );
                prop_assert_eq!(parse_cas(again.as_bytes()).unwrap(), reading);
            }
            Err(e) => prop_assert!(e.code().starts_with("scale."), "{}", e.code()),
        }
    }

    /// Any byte stream, any scanner set-up: framing never panics and does
    /// not depend on how the bytes were split into reads.
    #[test]
    fn scanner_framing_is_independent_of_read_boundaries(
        config in scanner_config(),
        stream in prop::collection::vec(
            prop_oneof![
                3 => any::<u8>(),
                1 => prop::sample::select(vec![b'\r', b'\n', b']', b'E', b'0', 0x1D, 0x02]),
            ],
            0..96,
        ),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
    ) {
        let mut whole = ScanFramer::new(config.clone());
        let mut expected: Vec<_> = whole.push(&stream).into_iter().map(outcome).collect();
        expected.extend(whole.idle().map(outcome));

        let mut cut_at: Vec<usize> = cuts.iter().map(|i| i.index(stream.len() + 1)).collect();
        cut_at.push(0);
        cut_at.push(stream.len());
        cut_at.sort_unstable();
        let mut pieces = ScanFramer::new(config.clone());
        let mut got = Vec::new();
        for pair in cut_at.windows(2) {
            got.extend(pieces.push(&stream[pair[0]..pair[1]]).into_iter().map(outcome));
        }
        got.extend(pieces.idle().map(outcome));
        prop_assert_eq!(&got, &expected);
        for event in expected.into_iter().flatten() {
            prop_assert!(event.code.bytes().all(|b| (b >= 0x20 && b != 0x7F) || b == 0x1D));
        }
        // The whole stream read as one frame: no panic either.
        let _ = decode_frame(&stream, &config);
    }
}
