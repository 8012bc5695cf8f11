//! Rendering a [`Receipt`] to ESC/POS bytes for one [`PrinterProfile`].
//!
//! Every job starts with `ESC @` (reset) and `ESC t n` (code page), so a
//! printer left in any state by a previous job prints the same. Each block
//! sets the style it needs and resets it afterwards, so blocks do not leak
//! style into each other and the byte stream reads top to bottom.
//!
//! Layout counts characters: each character is one byte in the code page
//! and one cell on paper; double width halves the columns. Long text wraps at
//! spaces (words longer than a line are cut). Column rows: the last cell is
//! right-aligned in a field of at least [`AMOUNT_WIDTH`] characters, a middle
//! cell is right-aligned just before it, the first cell is left-aligned; if
//! the first cell does not fit, it gets its own line(s) and the other cells
//! follow on the next line.
//!
//! Lines containing Georgian letters are drawn as raster images (`GS v 0`)
//! with the bundled font, laid out on the same character grid in dots.

use super::codepage::CodePage;
use super::escpos_backend::{self as backend, EscPosWriter};
use super::profile::{Font, PrinterProfile};
use super::raster::{self, Anchor, RasterText};
use super::receipt::{Align, BarcodeKind, Block, Receipt, TextStyle, validate_barcode};

/// Minimum width of the amount column in column rows.
pub const AMOUNT_WIDTH: usize = 10;

/// Whether `c` belongs to a script with no code page on receipt printers
/// (Georgian: Mkhedruli, Asomtavruli/Nuskhuri, Mtavruli, supplement).
pub fn needs_raster_char(c: char) -> bool {
    matches!(c, '\u{10A0}'..='\u{10FF}' | '\u{1C90}'..='\u{1CBF}' | '\u{2D00}'..='\u{2D2F}')
}

pub fn needs_raster(text: &str) -> bool {
    text.chars().any(needs_raster_char)
}

/// Renders `receipt` for `profile`.
pub fn render(receipt: &Receipt, profile: &PrinterProfile) -> Vec<u8> {
    let mut w = EscPosWriter::new();
    w.init();
    w.raw(&backend::select_code_page(profile.code_page_select()));
    if profile.font == Font::B {
        w.font(Font::B);
    }
    for block in &receipt.blocks {
        render_block(&mut w, block, profile);
    }
    w.finish()
}

fn render_block(w: &mut EscPosWriter, block: &Block, profile: &PrinterProfile) {
    let cols = profile.columns();
    match block {
        Block::Text { text, style } => {
            if needs_raster(text) {
                raster_text(w, text, *style, profile);
            } else {
                let lines: Vec<String> = text
                    .split('\n')
                    .flat_map(|l| wrap(l, effective_cols(cols, *style)))
                    .collect();
                styled_lines(w, &lines, *style, profile.code_page);
            }
        }
        Block::Columns { cells, style } => {
            if cells.iter().any(|c| needs_raster(c)) {
                raster_columns(w, cells, *style, profile);
            } else {
                let lines = layout_columns(cells, effective_cols(cols, *style));
                styled_lines(
                    w,
                    &lines,
                    TextStyle {
                        align: Align::Left,
                        ..*style
                    },
                    profile.code_page,
                );
            }
        }
        Block::Separator { ch } => {
            let line: String = std::iter::repeat_n(*ch, cols).collect();
            styled_lines(w, &[line], TextStyle::default(), profile.code_page);
        }
        Block::Logo(bitmap) => {
            w.justify(Align::Center);
            w.raw(&bitmap.to_gs_v_0());
            w.justify(Align::Left);
        }
        Block::Barcode { kind, data } => {
            if validate_barcode(*kind, data).is_err() {
                // Invalid data printed as text rather than a barcode the printer rejects.
                styled_lines(
                    w,
                    std::slice::from_ref(data),
                    TextStyle::centered(),
                    profile.code_page,
                );
                return;
            }
            w.justify(Align::Center);
            match kind {
                BarcodeKind::Ean13 => w.ean13(data),
                BarcodeKind::Code128 => w.raw(&backend::code128(data)),
            }
            w.raw(b"\n");
            w.justify(Align::Left);
        }
        Block::Qr { data, module_dots } => {
            w.justify(Align::Center);
            w.qr(data, (*module_dots).clamp(1, 16));
            w.raw(b"\n");
            w.justify(Align::Left);
        }
        Block::Feed { lines } => w.raw(&[0x1B, 0x64, *lines]),
        Block::Cut { partial } => {
            w.raw(&[0x1B, 0x64, profile.feed_before_cut_lines]);
            if profile.has_cutter {
                w.cut(*partial);
            }
        }
        Block::DrawerPulse { pin, on_ms, off_ms } => {
            w.raw(&backend::drawer_pulse(*pin, *on_ms, *off_ms))
        }
    }
}

pub(super) fn effective_cols(cols: usize, style: TextStyle) -> usize {
    if style.double_width {
        (cols / 2).max(1)
    } else {
        cols
    }
}

fn styled_lines(w: &mut EscPosWriter, lines: &[String], style: TextStyle, cp: CodePage) {
    let sized = style.double_width || style.double_height;
    if style.align != Align::Left {
        w.justify(style.align);
    }
    if style.bold {
        w.bold(true);
    }
    if sized {
        w.size(
            if style.double_width { 2 } else { 1 },
            if style.double_height { 2 } else { 1 },
        );
    }
    for line in lines {
        let mut bytes = cp.encode(line);
        bytes.push(b'\n');
        w.raw(&bytes);
    }
    if sized {
        w.size(1, 1);
    }
    if style.bold {
        w.bold(false);
    }
    if style.align != Align::Left {
        w.justify(Align::Left);
    }
}

fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// Word-wraps `text` to `cols` characters.
pub fn wrap(text: &str, cols: usize) -> Vec<String> {
    let cols = cols.max(1);
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split(' ') {
        let mut word = word.to_string();
        loop {
            let cur = char_len(&current);
            let wl = char_len(&word);
            let needed = if cur == 0 { wl } else { cur + 1 + wl };
            if needed <= cols {
                if cur > 0 {
                    current.push(' ');
                }
                current.push_str(&word);
                break;
            }
            if cur > 0 {
                lines.push(std::mem::take(&mut current));
                continue;
            }
            // A word longer than the line: cut it.
            let head: String = word.chars().take(cols).collect();
            word = word.chars().skip(cols).collect();
            lines.push(head);
            if word.is_empty() {
                break;
            }
        }
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines
}

/// Lays out a row of 1–3 cells (more are joined into the middle) on `cols`.
pub fn layout_columns(cells: &[String], cols: usize) -> Vec<String> {
    match cells {
        [] => Vec::new(),
        [only] => wrap(only, cols),
        [left, rest @ ..] => {
            let (middle, last) = match rest {
                [last] => (None, last.clone()),
                [mids @ .., last] => (Some(mids.join(" ")), last.clone()),
                [] => (None, String::new()),
            };
            let amount_w = char_len(&last).max(AMOUNT_WIDTH).min(cols);
            let mut right = format!("{last:>amount_w$}");
            if let Some(m) = middle {
                right = format!("{m} {right}");
            }
            let right_len = char_len(&right);
            let left_len = char_len(left);
            if left_len + 1 + right_len <= cols {
                let pad = cols - left_len - right_len;
                return vec![format!("{left}{}{right}", " ".repeat(pad))];
            }
            let mut lines = wrap(left, cols);
            if right_len <= cols {
                lines.push(format!("{right:>cols$}"));
            } else {
                lines.extend(wrap(right.trim_start(), cols));
            }
            lines
        }
    }
}

fn raster_opts(style: TextStyle, profile: &PrinterProfile) -> RasterText {
    let base = profile.font.cell_height_dots();
    RasterText {
        size_px: if style.double_height { base * 2 } else { base },
        bold: style.bold,
        double_width: style.double_width,
    }
}

fn raster_text(w: &mut EscPosWriter, text: &str, style: TextStyle, profile: &PrinterProfile) {
    let opts = raster_opts(style, profile);
    let width = profile.dots_per_line;
    let anchor = match style.align {
        Align::Left => Anchor::Left(0),
        Align::Center => Anchor::Center,
        Align::Right => Anchor::Right(width),
    };
    for paragraph in text.split('\n') {
        for line in wrap_dots(paragraph, width, opts) {
            let bmp = raster::rasterize_line(width, &[(line, anchor)], opts);
            w.raw(&bmp.to_gs_v_0());
        }
    }
}

/// Word-wraps by measured width in dots.
fn wrap_dots(text: &str, width: u16, opts: RasterText) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split(' ') {
        let candidate = if current.is_empty() {
            word.to_string()
        } else {
            format!("{current} {word}")
        };
        if raster::text_width(&candidate, opts) <= width || current.is_empty() {
            current = candidate;
        } else {
            lines.push(std::mem::replace(&mut current, word.to_string()));
        }
    }
    lines.push(current);
    lines
}

fn raster_columns(
    w: &mut EscPosWriter,
    cells: &[String],
    style: TextStyle,
    profile: &PrinterProfile,
) {
    let opts = raster_opts(style, profile);
    let width = profile.dots_per_line;
    let cell_w = profile.font.cell_width_dots() * if style.double_width { 2 } else { 1 };
    let Some((left, rest)) = cells.split_first() else {
        return;
    };
    if rest.is_empty() {
        raster_text(w, left, style, profile);
        return;
    }
    let (last, middle) = rest
        .split_last()
        .map(|(l, m)| (l.clone(), m.join(" ")))
        .unwrap_or_default();
    let amount_cols = char_len(&last).max(AMOUNT_WIDTH) as u16;
    let mut segments = vec![(last.clone(), Anchor::Right(width))];
    let mut right_start = width.saturating_sub(raster::text_width(&last, opts));
    if !middle.is_empty() {
        let middle_end = width.saturating_sub((amount_cols + 1) * cell_w);
        right_start = middle_end.saturating_sub(raster::text_width(&middle, opts));
        segments.push((middle, Anchor::Right(middle_end)));
    }
    let left_w = raster::text_width(left, opts);
    if left_w + cell_w <= right_start {
        segments.push((left.clone(), Anchor::Left(0)));
        w.raw(&raster::rasterize_line(width, &segments, opts).to_gs_v_0());
    } else {
        for line in wrap_dots(left, width, opts) {
            w.raw(&raster::rasterize_line(width, &[(line, Anchor::Left(0))], opts).to_gs_v_0());
        }
        w.raw(&raster::rasterize_line(width, &segments, opts).to_gs_v_0());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::printer::codepage::CodePage;
    use crate::printer::profile::PaperWidth;
    use crate::printer::receipt::DrawerPin;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn wrap_table() {
        let table: [(&str, usize, &[&str]); 5] = [
            ("Хляб Добруджа 650г", 32, &["Хляб Добруджа 650г"]),
            ("Хляб Добруджа 650г", 10, &["Хляб", "Добруджа", "650г"]),
            ("abcdefghij", 4, &["abcd", "efgh", "ij"]),
            ("", 8, &[""]),
            ("a b c", 3, &["a b", "c"]),
        ];
        for (text, cols, expected) in table {
            assert_eq!(wrap(text, cols), s(expected), "{text} / {cols}");
            assert!(wrap(text, cols).iter().all(|l| l.chars().count() <= cols));
        }
    }

    #[test]
    fn columns_fit_or_break() {
        assert_eq!(
            layout_columns(&s(&["Сирене краве", "7.49"]), 32),
            s(&["Сирене краве                7.49"])
        );
        assert_eq!(
            layout_columns(&s(&["Домати", "0.452 x 12.90", "5.83"]), 32),
            s(&["Домати  0.452 x 12.90       5.83"])
        );
        let long = layout_columns(&s(&["Много дълго име на продукт за касата", "123.45"]), 32);
        assert_eq!(
            long,
            s(&[
                "Много дълго име на продукт за",
                "касата",
                "                          123.45"
            ])
        );
        for cols in [32, 42, 48] {
            for l in layout_columns(&s(&["Кафе", "2 x 1.20", "2.40"]), cols) {
                assert_eq!(l.chars().count(), cols);
            }
        }
    }

    #[test]
    fn job_starts_with_reset_and_code_page_and_styles_reset() {
        let mut r = Receipt::new();
        r.text("ИТОГО", TextStyle::heading());
        let p = PrinterProfile::new(PaperWidth::Mm58, CodePage::Cp866);
        let bytes = render(&r, &p);
        let mut expected = vec![0x1B, 0x40, 0x1B, 0x74, 17];
        expected.extend_from_slice(&[0x1B, 0x61, 1, 0x1B, 0x45, 1, 0x1D, 0x21, 0x11]);
        expected.extend_from_slice(&[0x88, 0x92, 0x8E, 0x83, 0x8E, b'\n']);
        expected.extend_from_slice(&[0x1D, 0x21, 0x00, 0x1B, 0x45, 0, 0x1B, 0x61, 0]);
        assert_eq!(bytes, expected);
    }

    #[test]
    fn drawer_and_cut_bytes() {
        let mut r = Receipt::new();
        r.drawer_pulse(DrawerPin::Pin5, 120, 240).cut();
        let p = PrinterProfile::new(PaperWidth::Mm80, CodePage::Wpc1251);
        let bytes = render(&r, &p);
        assert_eq!(
            &bytes[5..],
            &[0x1B, 0x70, 1, 60, 120, 0x1B, 0x64, 3, 0x1D, 0x56, 0x41, 0]
        );
    }

    #[test]
    fn georgian_lines_become_raster() {
        let mut r = Receipt::new();
        r.line("პური 1.20");
        let p = PrinterProfile::new(PaperWidth::Mm58, CodePage::Cp866);
        let bytes = render(&r, &p);
        assert_eq!(&bytes[5..9], &[0x1D, 0x76, 0x30, 0x00]);
        assert_eq!(bytes[9], 48); // 384 dots / 8
        let text = crate::sim::decode::to_text(&bytes, CodePage::Cp866);
        assert_eq!(text.len(), 3, "{text:?}");
        assert!(text[2].starts_with("[RASTER 384x"), "{text:?}");
    }

    /// Generated rows (seeded): every laid-out line fits, and the text of
    /// every cell survives layout in order.
    #[test]
    fn generated_rows_always_fit_their_columns() {
        use rand::{Rng, SeedableRng};
        let words = [
            "Хляб",
            "Сирене",
            "краве",
            "0.452",
            "кг",
            "x",
            "12.90",
            "Ёлха",
            "№5",
            "ОБЩО",
            "Добруджа",
        ];
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for _ in 0..2_000 {
            let cols = [16usize, 21, 24, 32, 42, 48, 64][rng.random_range(0..7)];
            let n = rng.random_range(1..=3);
            let cells: Vec<String> = (0..n)
                .map(|_| {
                    let k = rng.random_range(1..=6);
                    (0..k)
                        .map(|_| words[rng.random_range(0..words.len())])
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect();
            let lines = layout_columns(&cells, cols);
            for l in &lines {
                assert!(l.chars().count() <= cols, "{cells:?} on {cols}: `{l}`");
            }
            let squeeze = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
            assert_eq!(
                squeeze(&lines.join(" ")),
                squeeze(&cells.join(" ")),
                "{cells:?} on {cols}"
            );
        }
    }
}
