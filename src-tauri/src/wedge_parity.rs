//! The UI's keyboard-wedge detector (`ui/src/wedge.ts`) is a port of
//! `kasa_drivers::wedge`. This test writes the drivers' decisions for a
//! table of key sequences to `ui/test/wedge-cases.json`; the UI's unit
//! test (`npm test` in `ui/`) replays the same sequences through the port
//! and must reach the same decisions. The test fails when the committed
//! cases drift from the drivers (regenerate with `KASA_UPDATE_BINDINGS=1`).

use kasa_drivers::wedge::{WedgeOutput, WedgeThresholds, classify};
use serde_json::{Value, json};

fn keys(text: &str, start_ms: u64, gaps_ms: &[u64]) -> Vec<(char, u64)> {
    let mut t = start_ms;
    text.chars()
        .enumerate()
        .map(|(i, c)| {
            if i > 0 {
                t += gaps_ms[(i - 1) % gaps_ms.len()];
            }
            (c, t)
        })
        .collect()
}

fn cases() -> Vec<(&'static str, Vec<(char, u64)>)> {
    let mut scan_then_typing = keys("3800010000000\r", 0, &[3]);
    scan_then_typing.extend(keys("12", 500, &[120]));
    let mut typing_then_scan = keys("ab", 0, &[150]);
    typing_then_scan.extend(keys("2100001012345\r", 600, &[2]));
    vec![
        ("ean13_scan_with_enter", keys("3800010000000\r", 0, &[3])),
        ("scan_with_tab", keys("12345678\t", 0, &[5])),
        ("unterminated_scan", keys("12345678", 0, &[4])),
        ("human_plu_with_enter", keys("4001\r", 0, &[110])),
        ("fast_typist_short", keys("12\r", 0, &[25])),
        ("three_fast_chars_are_typed", keys("123\r", 0, &[2])),
        (
            "one_usb_hiccup_is_tolerated",
            keys("38000100\r", 0, &[3, 3, 3, 45, 3, 3, 3, 3]),
        ),
        ("slow_mean_is_typing", keys("38000100\r", 0, &[40])),
        ("late_enter_is_typed", {
            let mut k = keys("38000100", 0, &[3]);
            k.push(('\r', 21 + 200));
            k
        }),
        ("scan_then_typing", scan_then_typing),
        ("typing_then_scan", typing_then_scan),
        ("lone_enter", vec![('\r', 10)]),
    ]
}

fn output(o: &WedgeOutput) -> Value {
    match o {
        WedgeOutput::Scan(code) => json!({"kind": "scan", "code": code}),
        WedgeOutput::Typed(text) => json!({"kind": "typed", "text": text}),
    }
}

/// The cases and the drivers' decisions, as committed.
pub fn cases_json() -> String {
    let list: Vec<Value> = cases()
        .into_iter()
        .map(|(name, events)| {
            let expected: Vec<Value> = classify(&events, WedgeThresholds::default())
                .iter()
                .map(output)
                .collect();
            let events: Vec<Value> = events
                .iter()
                .map(|(c, at)| json!([c.to_string(), at]))
                .collect();
            json!({"name": name, "events": events, "expected": expected})
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&list).unwrap_or_default();
    s.push('\n');
    s
}

#[test]
fn committed_wedge_cases_match_the_drivers() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/test/wedge-cases.json");
    let fresh = cases_json();
    if std::env::var_os("KASA_UPDATE_BINDINGS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &fresh).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "ui/test/wedge-cases.json differs from kasa_drivers::wedge — regenerate with KASA_UPDATE_BINDINGS=1 cargo test -p kasa-desktop"
    );
}

#[test]
fn the_cases_cover_scans_and_typing() {
    let json = cases_json();
    assert!(json.contains("\"kind\": \"scan\""));
    assert!(json.contains("\"kind\": \"typed\""));
}
