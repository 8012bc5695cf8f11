//! A receipt as the lines of text the printer puts on paper, for an
//! on-screen preview: the same layout as [`super::render()`] (word wrap,
//! column rows, separators, double width halving the columns, centring)
//! and the same characters (what the code page cannot print shows as the
//! printer's substitute or `?`). Pictures are named: `[BARCODE CODE128 …]`,
//! `[QR …]`, `[LOGO]`. Georgian lines, drawn as raster images on paper,
//! keep their letters.

use super::codepage::CodePage;
use super::profile::PrinterProfile;
use super::receipt::{Align, BarcodeKind, Block, Receipt, TextStyle};
use super::render::{effective_cols, layout_columns, needs_raster, needs_raster_char, wrap};

/// The printed lines of `receipt` on `profile`'s paper.
pub fn preview_lines(receipt: &Receipt, profile: &PrinterProfile) -> Vec<String> {
    let cols = profile.columns();
    let mut out = Vec::new();
    for block in &receipt.blocks {
        match block {
            Block::Text { text, style } => {
                let width = effective_cols(cols, *style);
                for line in text.split('\n').flat_map(|l| wrap(l, width)) {
                    out.push(placed(&printed(&line, profile.code_page), *style, width));
                }
            }
            Block::Columns { cells, style } => {
                let width = effective_cols(cols, *style);
                for line in layout_columns(cells, width) {
                    out.push(printed(&line, profile.code_page));
                }
            }
            Block::Separator { ch } => {
                out.push(printed(&ch.to_string().repeat(cols), profile.code_page))
            }
            Block::Logo(_) => out.push("[LOGO]".to_string()),
            Block::Barcode { kind, data } => out.push(format!(
                "[BARCODE {} {data}]",
                match kind {
                    BarcodeKind::Ean13 => "EAN13",
                    BarcodeKind::Code128 => "CODE128",
                }
            )),
            Block::Qr { data, .. } => out.push(format!("[QR {data}]")),
            Block::Feed { lines } => out.extend((0..*lines).map(|_| String::new())),
            Block::Cut { .. } | Block::DrawerPulse { .. } => {}
        }
    }
    out
}

/// `line` as the code page prints it (raster lines keep their letters).
fn printed(line: &str, page: CodePage) -> String {
    if needs_raster(line) {
        return line.to_string();
    }
    line.chars()
        .map(|c| {
            if needs_raster_char(c) {
                c
            } else {
                page.decode_byte(page.encode_char(c)).unwrap_or('?')
            }
        })
        .collect()
}

fn placed(line: &str, style: TextStyle, width: usize) -> String {
    let len = line.chars().count();
    let pad = width.saturating_sub(len);
    match style.align {
        Align::Left => line.to_string(),
        Align::Center => format!("{}{line}", " ".repeat(pad / 2)),
        Align::Right => format!("{}{line}", " ".repeat(pad)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::printer::{CodePage, PaperWidth};

    #[test]
    fn the_preview_has_the_papers_layout_and_characters() {
        let profile = PrinterProfile::new(PaperWidth::Mm58, CodePage::Cp866);
        let cols = profile.columns();
        let mut r = Receipt::new();
        r.text("Демо", TextStyle::centered());
        r.row("Хляб «Добруджа»", "1.80");
        r.separator();
        r.barcode(BarcodeKind::Code128, "SA-0000000001").unwrap();
        r.text("ქართული", TextStyle::default());
        r.cut();
        let lines = preview_lines(&r, &profile);
        assert_eq!(lines[0].trim_start(), "Демо");
        assert_eq!(lines[0].chars().count(), (cols - 4) / 2 + 4);
        assert!(lines[1].starts_with("Хляб \"Добруджа\""), "{lines:?}");
        assert!(lines[1].ends_with("1.80") && lines[1].chars().count() == cols);
        assert_eq!(lines[2], "-".repeat(cols));
        assert_eq!(lines[3], "[BARCODE CODE128 SA-0000000001]");
        assert_eq!(lines[4], "ქართული");
        assert_eq!(lines.len(), 5);
    }
}
