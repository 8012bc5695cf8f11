//! Memory of printing Georgian: the process's resident set before and
//! after rendering a Georgian receipt (raster text, only the glyphs it
//! draws loaded), then after loading the whole bundled font as `fontdue`
//! would, for comparison.
//!
//! `cargo run --release -p kasa-drivers --example font_memory`

use std::time::Instant;

use kasa_drivers::printer::raster::FONT_TTF;
use kasa_drivers::printer::{CodePage, PaperWidth, PrinterProfile, Receipt, TextStyle, render};

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let mut r = Receipt::new();
    r.text("მაღაზია თბილისი", TextStyle::heading());
    r.row("პური შოთის", "1.80");
    r.row("რძე 3.2%", "3.45");
    r.row("სულ", "5.25");
    let profile = PrinterProfile::new(PaperWidth::Mm80, CodePage::Cp866);

    let before = rss_kb();
    let started = Instant::now();
    let bytes = render(&r, &profile);
    let first = started.elapsed();
    let after = rss_kb();
    let started = Instant::now();
    render(&r, &profile);
    let again = started.elapsed();

    let whole_before = rss_kb();
    let whole = fontdue::Font::from_bytes(FONT_TTF, fontdue::FontSettings::default())
        .unwrap_or_else(|e| panic!("bundled font: {e}"));
    let whole_after = rss_kb();
    println!(
        "Georgian receipt ({} bytes): +{} kB resident, first render {first:?}, next {again:?}",
        bytes.len(),
        after.saturating_sub(before)
    );
    println!(
        "the whole font ({} glyphs) as fontdue loads it: +{} kB resident",
        whole.glyph_count(),
        whole_after.saturating_sub(whole_before)
    );
}
