//! Printer profiles: paper width, font, columns, and code page per model.
//!
//! Columns follow from the printable width in dots and the font's cell
//! width: font A is 12×24 dots, font B 9×17. A 58 mm printer prints 384
//! dots (48 mm at 203 dpi) → 32 columns font A, 42 font B; an 80 mm printer
//! prints 576 dots (72 mm) → 48 columns font A, 64 font B. Some 80 mm
//! printers print only 512 dots → 42 columns font A: set `dots_per_line`.
//!
//! ## Code page number per model family (`ESC t n`)
//! The same code page has different `n` on different printers:
//!
//! | family | CP866 | WPC1251 | source |
//! |--------|-------|---------|--------|
//! | Epson TM (T20, T88, m30) | 17 | 46 | Epson ESC/POS reference, "character code tables"; the `escpos` crate agrees |
//! | Bixolon / Samsung SRP | 17 | 46 | SRP-275 manual lists 17 = PC866; 46 as on Epson for WPC1251 (not verified on hardware) |
//! | Xprinter / Rongta / generic "POS-58/80" | 17 | 46 | these clone Epson's table (not verified on hardware) |
//! | Citizen CT-S | 17 | 46 | Epson-compatible mode (not verified on hardware) |
//!
//! Where a printer differs, `code_page_number` overrides the table.

use super::codepage::CodePage;

/// Paper roll width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum PaperWidth {
    Mm58,
    Mm80,
}

impl PaperWidth {
    /// Printable dots per line at 203 dpi.
    pub fn default_dots(self) -> u16 {
        match self {
            PaperWidth::Mm58 => 384,
            PaperWidth::Mm80 => 576,
        }
    }

    pub fn millimetres(self) -> u8 {
        match self {
            PaperWidth::Mm58 => 58,
            PaperWidth::Mm80 => 80,
        }
    }
}

/// Printer's built-in font.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Font {
    /// 12×24 dots.
    A,
    /// 9×17 dots.
    B,
}

impl Font {
    pub fn cell_width_dots(self) -> u16 {
        match self {
            Font::A => 12,
            Font::B => 9,
        }
    }

    pub fn cell_height_dots(self) -> u16 {
        match self {
            Font::A => 24,
            Font::B => 17,
        }
    }
}

/// Printer family, which decides the `ESC t n` numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum PrinterFamily {
    Epson,
    Bixolon,
    Citizen,
    Generic,
}

impl PrinterFamily {
    /// `n` of `ESC t n` selecting `page` on this family (table in module docs).
    pub fn code_page_number(self, page: CodePage) -> u8 {
        match (self, page) {
            (_, CodePage::Cp866) => 17,
            (_, CodePage::Wpc1251) => 46,
        }
    }
}

/// Everything rendering needs to know about one printer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PrinterProfile {
    pub width: PaperWidth,
    /// Printable width in dots (defaults from `width`).
    pub dots_per_line: u16,
    pub font: Font,
    pub family: PrinterFamily,
    pub code_page: CodePage,
    /// Overrides the family's `ESC t n` number.
    pub code_page_number: Option<u8>,
    /// The printer has an autocutter (otherwise `Cut` only feeds).
    pub has_cutter: bool,
    /// Lines to feed before cutting so the last line clears the cutter.
    pub feed_before_cut_lines: u8,
}

impl PrinterProfile {
    /// An Epson-compatible printer of this width and code page, font A.
    pub fn new(width: PaperWidth, code_page: CodePage) -> Self {
        PrinterProfile {
            width,
            dots_per_line: width.default_dots(),
            font: Font::A,
            family: PrinterFamily::Epson,
            code_page,
            code_page_number: None,
            has_cutter: true,
            feed_before_cut_lines: 3,
        }
    }

    pub fn with_font(mut self, font: Font) -> Self {
        self.font = font;
        self
    }

    pub fn with_family(mut self, family: PrinterFamily) -> Self {
        self.family = family;
        self
    }

    /// Characters per line in the normal size.
    pub fn columns(&self) -> usize {
        usize::from(self.dots_per_line / self.font.cell_width_dots())
    }

    /// `n` for `ESC t n`.
    pub fn code_page_select(&self) -> u8 {
        self.code_page_number
            .unwrap_or_else(|| self.family.code_page_number(self.code_page))
    }
}

impl Default for PrinterProfile {
    fn default() -> Self {
        PrinterProfile::new(PaperWidth::Mm80, CodePage::Wpc1251)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_per_width_and_font() {
        let table = [
            (PaperWidth::Mm58, Font::A, 32),
            (PaperWidth::Mm58, Font::B, 42),
            (PaperWidth::Mm80, Font::A, 48),
            (PaperWidth::Mm80, Font::B, 64),
        ];
        for (w, f, cols) in table {
            assert_eq!(
                PrinterProfile::new(w, CodePage::Cp866)
                    .with_font(f)
                    .columns(),
                cols,
                "{w:?} {f:?}"
            );
        }
        let mut narrow80 = PrinterProfile::new(PaperWidth::Mm80, CodePage::Cp866);
        narrow80.dots_per_line = 512;
        assert_eq!(narrow80.columns(), 42);
    }

    #[test]
    fn code_page_numbers_follow_the_family_unless_overridden() {
        let mut p = PrinterProfile::new(PaperWidth::Mm80, CodePage::Cp866);
        assert_eq!(p.code_page_select(), 17);
        p.code_page = CodePage::Wpc1251;
        assert_eq!(p.code_page_select(), 46);
        p.code_page_number = Some(73);
        assert_eq!(p.code_page_select(), 73);
    }
}
