//! A PNG picture of what a printer would print, from the ESC/POS bytes it
//! received — for the demo and for eyeballing goldens.
//!
//! Text is drawn on the printer's character grid (12 dots per column for
//! font A, doubled for double width; 24 dots per line, doubled for double
//! height) with the bundled font; raster images are copied as they are;
//! barcodes and QR codes are shown as a labelled box (this is a preview,
//! not a symbol encoder); a cut is a dashed line.

use super::decode::{self, Command};
use crate::printer::CodePage;
use crate::printer::raster::{self, Anchor, Bitmap, RasterText};

const CELL_W: u16 = 12;
const CELL_H: u16 = 24;

struct Canvas {
    width: u16,
    rows: Vec<Vec<bool>>,
}

impl Canvas {
    fn blank(&mut self, n: usize) {
        for _ in 0..n {
            self.rows.push(vec![false; usize::from(self.width)]);
        }
    }

    fn bitmap(&mut self, b: &Bitmap, x0: u16) {
        for y in 0..b.height {
            let mut row = vec![false; usize::from(self.width)];
            for x in 0..b.width {
                let tx = x + x0;
                if tx < self.width && b.get(x, y) {
                    row[usize::from(tx)] = true;
                }
            }
            self.rows.push(row);
        }
    }

    fn text_line(&mut self, text: &str, align: u8, bold: bool, size: (u8, u8)) {
        let sx = u16::from(size.0.max(1));
        let sy = u16::from(size.1.max(1));
        let cell = CELL_W * sx;
        let len = text.chars().count() as u16;
        let start = match align {
            1 => self.width.saturating_sub(len * cell) / 2,
            2 => self.width.saturating_sub(len * cell),
            _ => 0,
        };
        let segments: Vec<(String, Anchor)> = text
            .chars()
            .enumerate()
            .map(|(i, c)| (c.to_string(), Anchor::Left(start + i as u16 * cell)))
            .collect();
        // Glyphs scale with the smaller factor; a wider cell is stretched
        // horizontally (the font cannot be stretched vertically).
        let scale = sx.min(sy);
        let opts = RasterText {
            size_px: (CELL_H - 4) * scale,
            bold,
            double_width: sx > sy,
        };
        let line = raster::rasterize_line(self.width, &segments, opts);
        self.bitmap(&line, 0);
        let drawn = usize::from(line.height);
        self.blank(usize::from(CELL_H * sy).saturating_sub(drawn));
    }

    fn dashed(&mut self) {
        let row = (0..self.width).map(|x| x % 8 < 4).collect();
        self.blank(6);
        self.rows.push(row);
        self.blank(6);
    }

    fn boxed_label(&mut self, label: &str) {
        let w = usize::from(self.width);
        self.rows.push(vec![true; w]);
        self.text_line(label, 1, false, (1, 1));
        self.rows.push(vec![true; w]);
    }
}

/// PNG (1-bit grayscale) of ESC/POS `bytes` printed `width_dots` wide.
pub fn to_png(bytes: &[u8], mut code_page: CodePage, width_dots: u16) -> Vec<u8> {
    let mut canvas = Canvas {
        width: width_dots,
        rows: Vec::new(),
    };
    let (mut align, mut bold, mut size) = (0u8, false, (1u8, 1u8));
    let mut line = String::new();
    let mut line_style = (0u8, false, (1u8, 1u8));
    let mut qr_data = Vec::new();
    for cmd in decode::parse_all(bytes) {
        match cmd {
            Command::Text(t) => {
                if line.is_empty() {
                    line_style = (align, bold, size);
                }
                line.extend(t.iter().map(|&b| code_page.decode_byte(b).unwrap_or('?')));
            }
            Command::LineFeed => {
                if line.is_empty() {
                    canvas.blank(usize::from(CELL_H) * usize::from(size.1));
                } else {
                    canvas.text_line(&line, line_style.0, line_style.1, line_style.2);
                    line.clear();
                }
            }
            Command::Init => (align, bold, size) = (0, false, (1, 1)),
            Command::CodePage(n) => code_page = decode::code_page_for(n).unwrap_or(code_page),
            Command::Justify(a) => align = a,
            Command::Bold(b) => bold = b,
            Command::Size(w, h) => size = (w, h),
            Command::FeedLines(n) => canvas.blank(usize::from(n) * usize::from(CELL_H)),
            Command::Cut { .. } => canvas.dashed(),
            Command::Raster {
                width_bytes,
                height,
                data,
            } => {
                let b = Bitmap {
                    width: width_bytes * 8,
                    height,
                    data,
                };
                let x0 = match align {
                    1 => width_dots.saturating_sub(b.width) / 2,
                    2 => width_dots.saturating_sub(b.width),
                    _ => 0,
                };
                canvas.bitmap(&b, x0);
            }
            Command::Barcode { system, data } => {
                let label = decode::barcode_text(system, &data);
                canvas.boxed_label(label.trim_start_matches('[').trim_end_matches(']'));
            }
            Command::Qr {
                function: 80,
                params,
            } => qr_data = params.get(1..).unwrap_or_default().to_vec(),
            Command::Qr { function: 81, .. } => {
                canvas.boxed_label(&format!("QR {}", String::from_utf8_lossy(&qr_data)));
            }
            _ => {}
        }
    }
    if !line.is_empty() {
        canvas.text_line(&line, line_style.0, line_style.1, line_style.2);
    }
    encode_png(&canvas)
}

fn encode_png(canvas: &Canvas) -> Vec<u8> {
    let width = u32::from(canvas.width);
    let height = canvas.rows.len().max(1) as u32;
    let bpr = usize::from(canvas.width.div_ceil(8));
    let mut data = vec![0xFFu8; bpr * height as usize];
    for (y, row) in canvas.rows.iter().enumerate() {
        for (x, &black) in row.iter().enumerate() {
            if black {
                data[y * bpr + x / 8] &= !(0x80 >> (x % 8));
            }
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, width, height);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::One);
        let written = enc
            .write_header()
            .and_then(|mut w| w.write_image_data(&data).and_then(|()| w.finish()));
        if let Err(e) = written {
            tracing::error!("PNG preview encoding failed: {e}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preview_is_a_png_of_the_right_width() {
        let mut bytes = vec![0x1B, 0x40, 0x1B, 0x74, 17];
        bytes.extend_from_slice(&CodePage::Cp866.encode("Хляб 1.65"));
        bytes.extend_from_slice(b"\n");
        bytes.extend_from_slice(&Bitmap::from_fn(16, 4, |_, _| true).to_gs_v_0());
        bytes.extend_from_slice(&[0x1D, 0x56, 0x41, 0]);
        let png_bytes = to_png(&bytes, CodePage::Cp866, 384);
        let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
        let reader = decoder.read_info().unwrap();
        let info = reader.info();
        assert_eq!(info.width, 384);
        // text line (24) + raster (4) + cut (13)
        assert_eq!(info.height, 24 + 4 + 13);
    }
}
