//! Raster images: 1-bit bitmaps, `GS v 0` encoding, and text rasterized
//! with the bundled DejaVu Sans font for scripts printers have no code page
//! for (Georgian).
//!
//! Images are sent in bands of at most [`MAX_BAND_ROWS`] rows: cheap
//! printers overflow their receive buffer on taller `GS v 0` images.
//! Text is drawn with `fontdue` at a pixel size matching the printer font
//! (24 px for font A, doubled for double height), coverage ≥ 50 % is a
//! black dot, bold is a one-dot horizontal smear. Only the glyphs a line
//! draws are loaded ([`super::glyphs`]).
#![allow(
    clippy::float_arithmetic,
    reason = "glyph metrics are f32 pixels, not money"
)]

use super::glyphs::font_for;

/// The bundled font (licence in `drivers/assets/LICENSE-DejaVu.txt`).
pub const FONT_TTF: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// Rows per `GS v 0` command.
pub const MAX_BAND_ROWS: u16 = 255;

/// A 1-bit image: rows of `ceil(width / 8)` bytes, most significant bit
/// leftmost, 1 = black (the `GS v 0` layout).
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Bitmap {
    pub width: u16,
    pub height: u16,
    pub data: Vec<u8>,
}

impl std::fmt::Debug for Bitmap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Bitmap({}x{})", self.width, self.height)
    }
}

impl Bitmap {
    pub fn new(width: u16, height: u16) -> Self {
        Bitmap {
            width,
            height,
            data: vec![0; usize::from(width.div_ceil(8)) * usize::from(height)],
        }
    }

    /// A bitmap with pixel (x, y) black where `black(x, y)`.
    pub fn from_fn(width: u16, height: u16, black: impl Fn(u16, u16) -> bool) -> Self {
        let mut b = Bitmap::new(width, height);
        for y in 0..height {
            for x in 0..width {
                if black(x, y) {
                    b.set(x, y);
                }
            }
        }
        b
    }

    pub fn bytes_per_row(&self) -> usize {
        usize::from(self.width.div_ceil(8))
    }

    pub fn set(&mut self, x: u16, y: u16) {
        if x < self.width && y < self.height {
            let i = usize::from(y) * self.bytes_per_row() + usize::from(x / 8);
            self.data[i] |= 0x80 >> (x % 8);
        }
    }

    pub fn get(&self, x: u16, y: u16) -> bool {
        x < self.width
            && y < self.height
            && self.data[usize::from(y) * self.bytes_per_row() + usize::from(x / 8)]
                & (0x80 >> (x % 8))
                != 0
    }

    /// `GS v 0 0 xL xH yL yH d…` commands, banded.
    pub fn to_gs_v_0(&self) -> Vec<u8> {
        let bpr = self.bytes_per_row();
        let mut out = Vec::with_capacity(self.data.len() + 16);
        let mut y0 = 0u16;
        while y0 < self.height {
            let rows = (self.height - y0).min(MAX_BAND_ROWS);
            let [xl, xh] = (bpr as u16).to_le_bytes();
            let [yl, yh] = rows.to_le_bytes();
            out.extend_from_slice(&[0x1D, 0x76, 0x30, 0x00, xl, xh, yl, yh]);
            let start = usize::from(y0) * bpr;
            out.extend_from_slice(&self.data[start..start + usize::from(rows) * bpr]);
            y0 += rows;
        }
        out
    }
}

/// Whether the bundled font can draw `c`.
pub fn font_has_glyph(c: char) -> bool {
    super::glyphs::has_glyph(c)
}

/// Where a text segment goes on a raster line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// Starts at this x (dots).
    Left(u16),
    /// Ends at this x (dots).
    Right(u16),
    /// Centred on the line.
    Center,
}

/// Text drawing options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RasterText {
    /// Nominal pixel size (24 for font A).
    pub size_px: u16,
    pub bold: bool,
    /// Horizontal stretch ×2 (double width).
    pub double_width: bool,
}

/// Width in dots of `text` drawn with `opts`.
pub fn text_width(text: &str, opts: RasterText) -> u16 {
    let px = f32::from(opts.size_px);
    let font = font_for(text.chars());
    let w: f32 = text
        .chars()
        .map(|c| font.metrics(c, px).advance_width)
        .sum();
    let w = w.ceil() as u16 + u16::from(opts.bold);
    if opts.double_width {
        w.saturating_mul(2)
    } else {
        w
    }
}

/// Draws one line of segments into a bitmap `width_dots` wide.
pub fn rasterize_line(width_dots: u16, segments: &[(String, Anchor)], opts: RasterText) -> Bitmap {
    let f = font_for(segments.iter().flat_map(|(text, _)| text.chars()));
    let px = f32::from(opts.size_px);
    let (ascent, descent) = f
        .horizontal_line_metrics(px)
        .map(|m| (m.ascent, m.descent))
        .unwrap_or((px * 0.8, -px * 0.2));
    let height = ((ascent - descent).ceil() as u16).max(1);
    let baseline = ascent.round() as i32;
    let sx: i32 = if opts.double_width { 2 } else { 1 };
    let mut bmp = Bitmap::new(width_dots, height);
    for (text, anchor) in segments {
        let w = i32::from(text_width(text, opts));
        let mut pen_x = match *anchor {
            Anchor::Left(x) => i32::from(x),
            Anchor::Right(x) => i32::from(x) - w,
            Anchor::Center => (i32::from(width_dots) - w) / 2,
        }
        .max(0) as f32;
        for c in text.chars() {
            let (m, coverage) = f.rasterize(c, px);
            let gx0 = pen_x.round() as i32 + m.xmin * sx;
            let gy0 = baseline - (m.height as i32 + m.ymin);
            for gy in 0..m.height {
                for gx in 0..m.width {
                    if coverage[gy * m.width + gx] < 128 {
                        continue;
                    }
                    let y = gy0 + gy as i32;
                    for dx in 0..(sx + i32::from(opts.bold)) {
                        let x = gx0 + gx as i32 * sx + dx;
                        if (0..i32::from(width_dots)).contains(&x)
                            && (0..i32::from(height)).contains(&y)
                        {
                            bmp.set(x as u16, y as u16);
                        }
                    }
                }
            }
            pen_x += m.advance_width * sx as f32;
        }
    }
    bmp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gs_v_0_header_and_banding() {
        let b = Bitmap::from_fn(10, 300, |x, y| (x + y) % 2 == 0);
        let bytes = b.to_gs_v_0();
        // First band: 2 bytes per row, 255 rows.
        assert_eq!(&bytes[..8], &[0x1D, 0x76, 0x30, 0x00, 2, 0, 255, 0]);
        let second = 8 + 2 * 255;
        assert_eq!(
            &bytes[second..second + 8],
            &[0x1D, 0x76, 0x30, 0x00, 2, 0, 45, 0]
        );
        assert_eq!(bytes.len(), 16 + 2 * 300);
        // Pixel (0,0) black → MSB of the first data byte; (1,0) white.
        assert_eq!(bytes[8] & 0xC0, 0x80);
    }

    #[test]
    fn georgian_text_draws_dots_inside_the_line() {
        assert!(font_has_glyph('ქ'));
        let opts = RasterText {
            size_px: 24,
            bold: false,
            double_width: false,
        };
        let line = rasterize_line(384, &[("ქართული".to_string(), Anchor::Left(0))], opts);
        assert_eq!(line.width, 384);
        assert!((24..=32).contains(&line.height), "{}", line.height);
        let black = line.data.iter().map(|b| b.count_ones()).sum::<u32>();
        assert!(black > 100, "{black}");
        // Nothing beyond the text's width.
        let w = text_width("ქართული", opts);
        assert!((0..line.height).all(|y| (w + 2..384).all(|x| !line.get(x, y))));
    }

    #[test]
    fn right_anchor_ends_at_the_edge() {
        let opts = RasterText {
            size_px: 24,
            bold: true,
            double_width: false,
        };
        let line = rasterize_line(384, &[("12.90".to_string(), Anchor::Right(384))], opts);
        let rightmost = (0..384u16)
            .rev()
            .find(|&x| (0..line.height).any(|y| line.get(x, y)))
            .unwrap();
        assert!(rightmost >= 374, "{rightmost}");
        let leftmost = (0..384u16)
            .find(|&x| (0..line.height).any(|y| line.get(x, y)))
            .unwrap();
        assert!(leftmost > 300, "{leftmost}");
    }
}
