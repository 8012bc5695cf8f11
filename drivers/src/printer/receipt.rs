//! The receipt document: what to print, independent of any printer.
//!
//! A [`Receipt`] is a list of [`Block`]s. Text and column rows carry a
//! [`TextStyle`]; the renderer lays them out for the printer's column count
//! (see [`super::render`]). The drivers crate knows nothing of sales: the
//! terminal builds a `Receipt` from a sale.

use super::raster::Bitmap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Align {
    #[default]
    Left,
    Center,
    Right,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct TextStyle {
    pub align: Align,
    pub bold: bool,
    pub double_width: bool,
    pub double_height: bool,
}

impl TextStyle {
    pub fn bold() -> Self {
        TextStyle {
            bold: true,
            ..TextStyle::default()
        }
    }

    pub fn centered() -> Self {
        TextStyle {
            align: Align::Center,
            ..TextStyle::default()
        }
    }

    /// Bold, double width and height, centred: headings and totals.
    pub fn heading() -> Self {
        TextStyle {
            align: Align::Center,
            bold: true,
            double_width: true,
            double_height: true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum BarcodeKind {
    /// 12 digits (the printer adds the check digit) or 13 with a valid one.
    Ean13,
    /// Printable ASCII; all-digit data of even length uses code set C.
    Code128,
}

/// Drawer kick-out connector pin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DrawerPin {
    /// `m = 0`.
    Pin2,
    /// `m = 1`.
    Pin5,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Block {
    /// One line of text (wrapped at word boundaries when too long).
    Text {
        text: String,
        style: TextStyle,
    },
    /// Two or three columns on one line: the first left-aligned, the others
    /// right-aligned (amounts). When they do not fit, the first column gets
    /// its own line(s) and the others follow right-aligned.
    Columns {
        cells: Vec<String>,
        style: TextStyle,
    },
    /// A full-width line of `ch`.
    Separator {
        ch: char,
    },
    /// A raster image, centred.
    Logo(Bitmap),
    Barcode {
        kind: BarcodeKind,
        data: String,
    },
    /// QR code, model 2, error correction M; `module_dots` 1..=16.
    Qr {
        data: String,
        module_dots: u8,
    },
    Feed {
        lines: u8,
    },
    Cut {
        partial: bool,
    },
    /// Drawer pulse: on/off times in ms (sent in 2 ms units, max 510 ms).
    DrawerPulse {
        pin: DrawerPin,
        on_ms: u16,
        off_ms: u16,
    },
}

/// A document to print.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Receipt {
    pub blocks: Vec<Block>,
}

/// Invalid content for a block (checked by the builder methods).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    #[error(
        "EAN-13 data `{0}` must be 12 digits or 13 digits with a valid check digit — check the barcode"
    )]
    InvalidEan13(String),
    #[error(
        "CODE128 data `{0}` must be 1..=80 printable ASCII characters — shorten it or use a QR code"
    )]
    InvalidCode128(String),
    #[error("QR data is {0} bytes; receipt printers take at most 7089 — shorten it")]
    QrTooLong(usize),
}

/// GS1 check digit of the first 12 digits (weights 1,3,1,3…).
pub fn ean13_check_digit(first12: &[u8]) -> u8 {
    let sum: u32 = first12
        .iter()
        .enumerate()
        .map(|(i, d)| u32::from(*d) * if i % 2 == 0 { 1 } else { 3 })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

pub fn validate_barcode(kind: BarcodeKind, data: &str) -> Result<(), ReceiptError> {
    match kind {
        BarcodeKind::Ean13 => {
            let digits: Vec<u8> = data.bytes().map(|b| b.wrapping_sub(b'0')).collect();
            let ok = data.bytes().all(|b| b.is_ascii_digit())
                && match digits.len() {
                    12 => true,
                    13 => ean13_check_digit(&digits[..12]) == digits[12],
                    _ => false,
                };
            if ok {
                Ok(())
            } else {
                Err(ReceiptError::InvalidEan13(data.to_string()))
            }
        }
        BarcodeKind::Code128 => {
            if !data.is_empty()
                && data.len() <= 80
                && data.bytes().all(|b| (0x20..0x7F).contains(&b))
            {
                Ok(())
            } else {
                Err(ReceiptError::InvalidCode128(data.to_string()))
            }
        }
    }
}

impl Receipt {
    pub fn new() -> Self {
        Receipt::default()
    }

    pub fn push(&mut self, block: Block) -> &mut Self {
        self.blocks.push(block);
        self
    }

    pub fn text(&mut self, text: impl Into<String>, style: TextStyle) -> &mut Self {
        self.push(Block::Text {
            text: text.into(),
            style,
        })
    }

    pub fn line(&mut self, text: impl Into<String>) -> &mut Self {
        self.text(text, TextStyle::default())
    }

    /// Left text and a right-aligned amount.
    pub fn row(&mut self, left: impl Into<String>, right: impl Into<String>) -> &mut Self {
        self.row_styled(vec![left.into(), right.into()], TextStyle::default())
    }

    /// Left text, a middle right-aligned column and a right amount.
    pub fn row3(
        &mut self,
        left: impl Into<String>,
        middle: impl Into<String>,
        right: impl Into<String>,
    ) -> &mut Self {
        self.row_styled(
            vec![left.into(), middle.into(), right.into()],
            TextStyle::default(),
        )
    }

    pub fn row_styled(&mut self, cells: Vec<String>, style: TextStyle) -> &mut Self {
        self.push(Block::Columns { cells, style })
    }

    pub fn separator(&mut self) -> &mut Self {
        self.push(Block::Separator { ch: '-' })
    }

    pub fn barcode(&mut self, kind: BarcodeKind, data: &str) -> Result<&mut Self, ReceiptError> {
        validate_barcode(kind, data)?;
        Ok(self.push(Block::Barcode {
            kind,
            data: data.to_string(),
        }))
    }

    pub fn qr(&mut self, data: &str, module_dots: u8) -> Result<&mut Self, ReceiptError> {
        if data.len() > 7089 {
            return Err(ReceiptError::QrTooLong(data.len()));
        }
        Ok(self.push(Block::Qr {
            data: data.to_string(),
            module_dots: module_dots.clamp(1, 16),
        }))
    }

    pub fn feed(&mut self, lines: u8) -> &mut Self {
        self.push(Block::Feed { lines })
    }

    pub fn cut(&mut self) -> &mut Self {
        self.push(Block::Cut { partial: false })
    }

    pub fn drawer_pulse(&mut self, pin: DrawerPin, on_ms: u16, off_ms: u16) -> &mut Self {
        self.push(Block::DrawerPulse { pin, on_ms, off_ms })
    }

    pub fn logo(&mut self, bitmap: Bitmap) -> &mut Self {
        self.push(Block::Logo(bitmap))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn barcode_data_is_validated() {
        let table = [
            (BarcodeKind::Ean13, "4006381333931", true),
            (BarcodeKind::Ean13, "400638133393", true),
            (BarcodeKind::Ean13, "4006381333932", false),
            (BarcodeKind::Ean13, "40063813339", false),
            (BarcodeKind::Ean13, "40063813339a", false),
            (BarcodeKind::Code128, "0000001234", true),
            (BarcodeKind::Code128, "S001-T01-{42}", true),
            (BarcodeKind::Code128, "", false),
            (BarcodeKind::Code128, "Хляб", false),
        ];
        for (kind, data, ok) in table {
            assert_eq!(validate_barcode(kind, data).is_ok(), ok, "{kind:?} {data}");
        }
    }

    #[test]
    fn builder_rejects_oversized_qr() {
        let mut r = Receipt::new();
        assert!(r.qr(&"x".repeat(7090), 4).is_err());
        assert!(r.qr("https://example.com", 40).is_ok());
        assert_eq!(
            r.blocks.last(),
            Some(&Block::Qr {
                data: "https://example.com".into(),
                module_dots: 16
            })
        );
    }
}
