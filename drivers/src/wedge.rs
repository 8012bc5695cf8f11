//! Keyboard-wedge scan detection: tell a barcode scanner that "types" into the
//! focused field from a person typing, by inter-key timing and terminator.
//!
//! A keyboard-wedge scanner emits the whole code as key presses a few
//! milliseconds apart and usually ends with Enter (sometimes Tab, sometimes
//! nothing). People type with gaps of 80 ms or more between keys (a very fast
//! typist's key rollover can produce an occasional 20–40 ms gap, but never a
//! long run of them), and keyboard auto-repeat runs at ~33 ms.
//!
//! ## The rule (defaults in [`WedgeThresholds::default`])
//! A *burst* is a run of characters where every gap between consecutive keys is
//! at most `max_gap_ms` (50 ms). A burst is a **scan** when
//! - it has at least `min_scan_len` (4) characters,
//! - the mean gap between its keys is at most `max_mean_gap_ms` (30 ms),
//! - the largest gap is at most `max_gap_ms` (50 ms) — one delayed key
//!   (USB polling hiccup) is tolerated as long as the mean stays low,
//! - and it ends with Enter (`\r` / `\n`) or Tab arriving within
//!   `terminator_timeout_ms` (50 ms) of the last character, or — when
//!   `accept_unterminated` is on (default) — it simply stops: nothing follows
//!   for longer than the burst window (scanners configured without a suffix).
//!
//! Everything else is **typed** and is passed through unchanged (including the
//! Enter a person pressed), in order. The terminator of a scan is swallowed.
//!
//! ## Using it
//! [`WedgeDetector`] is a pure state machine: feed it `(char, timestamp_ms)`
//! with [`WedgeDetector::push`], call [`WedgeDetector::poll`] from a UI timer
//! (every ~20 ms) so a single typed key or an unterminated scan is released
//! once the burst window has passed, and [`WedgeDetector::finish`] when the
//! input stream ends. A typed character is held back at most
//! `max(max_gap_ms, terminator_timeout_ms)` — 50 ms by default, below what a
//! person notices. [`classify`] runs a whole recorded sequence at once.

/// Configurable thresholds of the scan/typing decision (all times in ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WedgeThresholds {
    /// Shortest code counted as a scan (EAN-8 is 8, PLUs typed by hand are
    /// often 4–5 characters, so 4 keeps short scanned codes while a typed
    /// PLU is rejected by its timing).
    pub min_scan_len: usize,
    /// Largest mean gap between consecutive keys of a scan.
    pub max_mean_gap_ms: u64,
    /// Largest single gap inside a burst; a longer gap ends the burst.
    pub max_gap_ms: u64,
    /// How long after the last character the Enter/Tab may arrive and still
    /// terminate the scan.
    pub terminator_timeout_ms: u64,
    /// Whether a fast burst with no terminator counts as a scan once it stops.
    pub accept_unterminated: bool,
}

impl Default for WedgeThresholds {
    fn default() -> Self {
        Self {
            min_scan_len: 4,
            max_mean_gap_ms: 30,
            max_gap_ms: 50,
            terminator_timeout_ms: 50,
            accept_unterminated: true,
        }
    }
}

/// What the detector releases, in input order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WedgeOutput {
    /// A scanned code, without its terminator.
    Scan(String),
    /// Characters a person typed (terminators included), to pass through.
    Typed(String),
}

/// The scan/typing state machine. See the module docs for the rule.
#[derive(Debug, Clone)]
pub struct WedgeDetector {
    thresholds: WedgeThresholds,
    /// The current burst: characters with their timestamps.
    burst: Vec<(char, u64)>,
}

fn is_terminator(key: char) -> bool {
    matches!(key, '\r' | '\n' | '\t')
}

impl WedgeDetector {
    /// A detector with the given thresholds.
    pub fn new(thresholds: WedgeThresholds) -> Self {
        Self {
            thresholds,
            burst: Vec::new(),
        }
    }

    /// The thresholds in use.
    pub fn thresholds(&self) -> WedgeThresholds {
        self.thresholds
    }

    /// Feeds one key press. Returns whatever can be decided now.
    /// Timestamps must not go backwards; a backwards timestamp is treated as
    /// a zero gap.
    pub fn push(&mut self, key: char, at_ms: u64) -> Vec<WedgeOutput> {
        let mut out = Vec::new();
        let gap_ms = self
            .burst
            .last()
            .map(|&(_, last)| at_ms.saturating_sub(last));
        if is_terminator(key) {
            match gap_ms {
                Some(gap) if gap <= self.thresholds.terminator_timeout_ms => {
                    if self.burst_is_scan() {
                        out.push(WedgeOutput::Scan(self.take_text()));
                    } else {
                        let mut text = self.take_text();
                        text.push(key);
                        out.push(WedgeOutput::Typed(text));
                    }
                }
                Some(_) => {
                    self.end_unterminated(&mut out);
                    push_typed(&mut out, key);
                }
                None => push_typed(&mut out, key),
            }
            return out;
        }
        if let Some(gap) = gap_ms
            && gap > self.thresholds.max_gap_ms
        {
            self.end_unterminated(&mut out);
        }
        self.burst.push((key, at_ms));
        out
    }

    /// Releases a burst that has been silent for longer than the burst window
    /// at time `now_ms`. Call it from a timer.
    pub fn poll(&mut self, now_ms: u64) -> Vec<WedgeOutput> {
        let mut out = Vec::new();
        if let Some(&(_, last)) = self.burst.last() {
            let window = self
                .thresholds
                .max_gap_ms
                .max(self.thresholds.terminator_timeout_ms);
            if now_ms.saturating_sub(last) > window {
                self.end_unterminated(&mut out);
            }
        }
        out
    }

    /// Ends the input: whatever is buffered is decided as an unterminated burst.
    pub fn finish(&mut self) -> Vec<WedgeOutput> {
        let mut out = Vec::new();
        self.end_unterminated(&mut out);
        out
    }

    /// True while characters are held back waiting for a decision.
    pub fn is_pending(&self) -> bool {
        !self.burst.is_empty()
    }

    fn end_unterminated(&mut self, out: &mut Vec<WedgeOutput>) {
        if self.burst.is_empty() {
            return;
        }
        let scan = self.thresholds.accept_unterminated && self.burst_is_scan();
        let text = self.take_text();
        if scan {
            out.push(WedgeOutput::Scan(text));
        } else {
            push_typed_str(out, &text);
        }
    }

    fn burst_is_scan(&self) -> bool {
        let n = self.burst.len();
        if n < self.thresholds.min_scan_len || n < 2 {
            return false;
        }
        let gaps = self.burst.windows(2).map(|w| w[1].1.saturating_sub(w[0].1));
        let max_gap = gaps.clone().max().unwrap_or(0);
        let total: u64 = gaps.sum();
        let gap_count = (n - 1) as u64;
        // mean <= threshold  <=>  total <= threshold * count (integer-exact).
        max_gap <= self.thresholds.max_gap_ms
            && total <= self.thresholds.max_mean_gap_ms.saturating_mul(gap_count)
    }

    fn take_text(&mut self) -> String {
        self.burst.drain(..).map(|(c, _)| c).collect()
    }
}

impl Default for WedgeDetector {
    fn default() -> Self {
        Self::new(WedgeThresholds::default())
    }
}

/// Appends typed text, merging with a directly preceding `Typed` output.
fn push_typed_str(out: &mut Vec<WedgeOutput>, text: &str) {
    if let Some(WedgeOutput::Typed(prev)) = out.last_mut() {
        prev.push_str(text);
    } else {
        out.push(WedgeOutput::Typed(text.to_owned()));
    }
}

fn push_typed(out: &mut Vec<WedgeOutput>, key: char) {
    let mut buf = [0u8; 4];
    push_typed_str(out, key.encode_utf8(&mut buf));
}

/// Classifies a whole recorded key sequence `(char, timestamp_ms)`; adjacent
/// typed pieces are merged.
pub fn classify(events: &[(char, u64)], thresholds: WedgeThresholds) -> Vec<WedgeOutput> {
    let mut detector = WedgeDetector::new(thresholds);
    let mut out: Vec<WedgeOutput> = Vec::new();
    let append = |items: Vec<WedgeOutput>, out: &mut Vec<WedgeOutput>| {
        for item in items {
            match item {
                WedgeOutput::Typed(t) => push_typed_str(out, &t),
                scan => out.push(scan),
            }
        }
    };
    for &(key, at) in events {
        let released = detector.push(key, at);
        append(released, &mut out);
    }
    let rest = detector.finish();
    append(rest, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use WedgeOutput::{Scan, Typed};

    /// Builds events for `text` starting at `start_ms` with the given gaps
    /// (the gap list is cycled).
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

    fn typed(s: &str) -> WedgeOutput {
        Typed(s.to_owned())
    }
    fn scan(s: &str) -> WedgeOutput {
        Scan(s.to_owned())
    }

    #[test]
    fn table() {
        let d = WedgeThresholds::default();
        let mut interleaved = keys("12", 0, &[140]);
        interleaved.extend(keys("4006381333931\n", 600, &[4]));
        interleaved.extend(keys("3\n", 900, &[120]));
        let mut scan_then_key = keys("5901234123457\r", 0, &[8]);
        scan_then_key.push(('x', 70));
        type Case = (
            &'static str,
            Vec<(char, u64)>,
            WedgeThresholds,
            Vec<WedgeOutput>,
        );
        let cases: Vec<Case> = vec![
            (
                "scanner at 4 ms per key with Enter",
                keys("4006381333931\n", 1_000, &[4]),
                d,
                vec![scan("4006381333931")],
            ),
            (
                "scanner ending in Tab",
                keys("96385074\t", 0, &[10]),
                d,
                vec![scan("96385074")],
            ),
            (
                "person typing a PLU at 80-150 ms",
                keys("1234\n", 0, &[80, 150, 110, 95]),
                d,
                vec![typed("1234\n")],
            ),
            (
                "fast typist with key rollover gaps of 25-40 ms",
                keys("4711\n", 0, &[35, 25, 40, 60]),
                d,
                vec![typed("4711\n")],
            ),
            (
                "fast typist: rollover pairs separated by normal gaps",
                keys("abcdef\n", 0, &[20, 90, 20, 90, 20, 90]),
                d,
                vec![typed("abcdef\n")],
            ),
            (
                "scan with one delayed key (45 ms) still a scan",
                keys(
                    "4006381333931\n",
                    0,
                    &[5, 5, 5, 45, 5, 5, 5, 5, 5, 5, 5, 5, 5],
                ),
                d,
                vec![scan("4006381333931")],
            ),
            (
                "a 60 ms stall splits the burst: both halves too slow or short",
                keys("400638\n", 0, &[5, 5, 60, 5, 5, 5]),
                d,
                vec![typed("400638\n")],
            ),
            (
                "scan without terminator ends by timeout",
                keys("4006381333931", 0, &[6]),
                d,
                vec![scan("4006381333931")],
            ),
            (
                "scan without terminator is typed when unterminated scans are off",
                keys("4006381333931", 0, &[6]),
                WedgeThresholds {
                    accept_unterminated: false,
                    ..d
                },
                vec![typed("4006381333931")],
            ),
            (
                "three fast keys are too short for a scan",
                keys("123\n", 0, &[5]),
                d,
                vec![typed("123\n")],
            ),
            (
                "Enter arriving late is typed after the unterminated scan",
                vec![('9', 0), ('8', 5), ('7', 10), ('6', 15), ('\n', 200)],
                d,
                vec![scan("9876"), typed("\n")],
            ),
            (
                "typed, then a scan, then typed again (interleaved)",
                interleaved,
                d,
                vec![typed("12"), scan("4006381333931"), typed("3\n")],
            ),
            (
                "a key right after a scan is typed",
                scan_then_key,
                d,
                vec![scan("5901234123457"), typed("x")],
            ),
            (
                "auto-repeat at 33 ms is not a scan",
                keys("0000000\n", 0, &[33]),
                d,
                vec![typed("0000000\n")],
            ),
            (
                "GS1 payload with a GS character survives",
                keys("0104006381333931\u{1d}10ABC\n", 0, &[3]),
                d,
                vec![scan("0104006381333931\u{1d}10ABC")],
            ),
            ("lone Enter is typed", vec![('\n', 0)], d, vec![typed("\n")]),
            (
                "stricter mean threshold rejects a 20 ms scanner",
                keys("4006381333931\n", 0, &[20]),
                WedgeThresholds {
                    max_mean_gap_ms: 10,
                    ..d
                },
                vec![typed("4006381333931\n")],
            ),
        ];
        for (name, events, thresholds, expected) in cases {
            assert_eq!(classify(&events, thresholds), expected, "case: {name}");
        }
    }

    #[test]
    fn poll_releases_typed_key_after_window_and_not_before() {
        let mut w = WedgeDetector::default();
        assert!(w.push('7', 1_000).is_empty());
        assert!(w.poll(1_040).is_empty(), "still inside the burst window");
        assert!(w.is_pending());
        assert_eq!(w.poll(1_051), vec![typed("7")]);
        assert!(!w.is_pending());
    }

    #[test]
    fn poll_releases_unterminated_scan() {
        let mut w = WedgeDetector::default();
        for (c, t) in keys("12345678", 0, &[5]) {
            assert!(w.push(c, t).is_empty());
        }
        assert!(w.poll(60).is_empty());
        assert_eq!(w.poll(100), vec![scan("12345678")]);
    }

    #[test]
    fn backwards_timestamp_is_zero_gap() {
        let out = classify(
            &[('1', 100), ('2', 90), ('3', 95), ('4', 99), ('\n', 100)],
            WedgeThresholds::default(),
        );
        assert_eq!(out, vec![scan("1234")]);
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    fn text(outputs: &[WedgeOutput]) -> (String, Vec<String>) {
        let mut typed = String::new();
        let mut scans = Vec::new();
        for o in outputs {
            match o {
                WedgeOutput::Typed(t) => typed.push_str(t),
                WedgeOutput::Scan(s) => scans.push(s.clone()),
            }
        }
        (typed, scans)
    }

    proptest! {
        /// A person (every gap ≥ 80 ms) never produces a scan, and every key
        /// comes through unchanged and in order.
        #[test]
        fn human_typing_passes_through(
            keys in proptest::collection::vec(
                (prop::sample::select(vec!['1', '7', 'a', 'Z', '\n', '\t', 'я']), 80u64..400),
                1..40,
            )
        ) {
            let mut t = 0;
            let events: Vec<(char, u64)> = keys.iter().map(|&(c, gap)| { t += gap; (c, t) }).collect();
            let out = classify(&events, WedgeThresholds::default());
            let (typed, scans) = text(&out);
            prop_assert!(scans.is_empty());
            prop_assert_eq!(typed, keys.iter().map(|k| k.0).collect::<String>());
        }

        /// A scanner (gaps ≤ 30 ms, code ≥ 4 chars, Enter) between pieces of
        /// typing is recognised exactly, and the typing around it survives.
        #[test]
        fn scan_between_typing_is_found(
            code in "[0-9A-Z]{4,30}",
            gaps in proptest::collection::vec(0u64..=30, 31),
            before in "[0-9]{0,3}",
            after in "[a-z]{0,3}",
        ) {
            let mut events = Vec::new();
            let mut t = 1_000;
            for c in before.chars() { t += 150; events.push((c, t)); }
            t += 200;
            for (i, c) in code.chars().enumerate() { t += gaps[i]; events.push((c, t)); }
            t += gaps[30];
            events.push(('\n', t));
            for c in after.chars() { t += 150; events.push((c, t)); }
            let out = classify(&events, WedgeThresholds::default());
            let (typed, scans) = text(&out);
            prop_assert_eq!(scans, vec![code.clone()]);
            prop_assert_eq!(typed, format!("{before}{after}"));
        }
    }
}
