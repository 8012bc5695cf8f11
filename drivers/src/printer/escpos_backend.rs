//! The only module that uses the `escpos` crate (pinned `=0.20.1`).
//!
//! Used for what it encodes correctly: `ESC @`, `ESC a`, `ESC E`, `GS !`,
//! `ESC M`, `GS V A n` (cut), EAN-13 through `GS k 2` with `GS w/h/f/H`, and
//! QR codes through `GS ( k`. Encoded here by hand because escpos 0.20.1 is
//! wrong or lacks them (each pinned by a byte test below):
//! - drawer pulse: escpos sends `ESC p m` (3 bytes) — Epson's command is
//!   `ESC p m t1 t2` (5 bytes); a printer waits for t1/t2 and swallows the
//!   next two bytes of the receipt;
//! - text: escpos's WPC1251 table maps `-` to 0xAD (soft hyphen), and its
//!   fallback for unmappable characters is an error or a UTF-8 byte salad —
//!   text is encoded by [`super::codepage`];
//! - `ESC t n`: escpos knows one number per page (Epson's), Kasa picks it per
//!   printer family ([`super::profile`]);
//! - CODE128: escpos only has `GS k` function A, which has no CODE128; it is
//!   sent as function B `GS k 73 n {B…` / `{C…`;
//! - QR: escpos's default is model 1 (obsolete); Kasa always asks model 2.

use std::cell::RefCell;
use std::rc::Rc;

use escpos::driver::Driver;
use escpos::errors::Result as EscposResult;
use escpos::printer::Printer;
use escpos::utils::{
    BarcodeFont, BarcodeHeight, BarcodeOption, BarcodePosition, BarcodeWidth, Font as EscFont,
    JustifyMode, Protocol, QRCodeCorrectionLevel, QRCodeModel, QRCodeOption,
};

use super::profile::Font;
use super::receipt::{Align, DrawerPin};

/// An escpos driver that collects the bytes in memory.
#[derive(Clone, Default)]
struct ByteSink(Rc<RefCell<Vec<u8>>>);

impl Driver for ByteSink {
    fn name(&self) -> String {
        "kasa-bytes".to_string()
    }

    fn write(&self, data: &[u8]) -> EscposResult<()> {
        self.0.borrow_mut().extend_from_slice(data);
        Ok(())
    }

    fn read(&self, _buf: &mut [u8]) -> EscposResult<usize> {
        Ok(0)
    }

    fn flush(&self) -> EscposResult<()> {
        Ok(())
    }
}

/// Builds an ESC/POS byte stream. Infallible: inputs are validated before
/// they get here, and a command escpos refuses is replaced by nothing (see
/// `ok`), which the golden tests would show.
pub(crate) struct EscPosWriter {
    printer: Printer<ByteSink>,
    sink: ByteSink,
}

impl std::fmt::Debug for EscPosWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EscPosWriter")
    }
}

fn ok<T>(r: EscposResult<T>, what: &str) {
    if let Err(e) = r {
        tracing::error!("escpos refused {what}: {e}");
    }
}

impl EscPosWriter {
    pub(crate) fn new() -> Self {
        let sink = ByteSink::default();
        EscPosWriter {
            printer: Printer::new(sink.clone(), Protocol::default(), None),
            sink,
        }
    }

    /// Moves queued commands into the sink (escpos buffers until `print`).
    fn sync(&mut self) {
        ok(self.printer.print(), "flush");
    }

    pub(crate) fn init(&mut self) {
        ok(self.printer.init(), "init");
    }

    pub(crate) fn justify(&mut self, align: Align) {
        let mode = match align {
            Align::Left => JustifyMode::LEFT,
            Align::Center => JustifyMode::CENTER,
            Align::Right => JustifyMode::RIGHT,
        };
        ok(self.printer.justify(mode), "justify");
    }

    pub(crate) fn bold(&mut self, on: bool) {
        ok(self.printer.bold(on), "bold");
    }

    /// Character size multipliers 1..=8.
    pub(crate) fn size(&mut self, width: u8, height: u8) {
        ok(self.printer.size(width, height), "size");
    }

    pub(crate) fn font(&mut self, font: Font) {
        let f = match font {
            Font::A => EscFont::A,
            Font::B => EscFont::B,
        };
        ok(self.printer.font(f), "font");
    }

    pub(crate) fn cut(&mut self, partial: bool) {
        if partial {
            ok(self.printer.partial_cut(), "partial cut");
        } else {
            ok(self.printer.cut(), "cut");
        }
    }

    /// EAN-13, HRI below in font A, module width 2, height 102 dots.
    pub(crate) fn ean13(&mut self, data: &str) {
        let option = BarcodeOption::new(
            BarcodeWidth::S,
            BarcodeHeight::S,
            BarcodeFont::A,
            BarcodePosition::Below,
        );
        ok(self.printer.ean13_option(data, option), "ean13");
    }

    /// QR model 2, error correction M.
    pub(crate) fn qr(&mut self, data: &str, module_dots: u8) {
        let option = QRCodeOption::new(QRCodeModel::Model2, module_dots, QRCodeCorrectionLevel::M);
        ok(self.printer.qrcode_option(data, option), "qr code");
    }

    /// Bytes encoded by Kasa itself.
    pub(crate) fn raw(&mut self, bytes: &[u8]) {
        ok(self.printer.custom(bytes), "raw bytes");
    }

    pub(crate) fn finish(mut self) -> Vec<u8> {
        self.sync();
        self.sink.0.take()
    }
}

/// `ESC t n`.
pub(crate) fn select_code_page(n: u8) -> [u8; 3] {
    [0x1B, 0x74, n]
}

/// `ESC p m t1 t2`: m = 0 pin 2, 1 pin 5; t1/t2 in 2 ms units (max 255).
pub(crate) fn drawer_pulse(pin: DrawerPin, on_ms: u16, off_ms: u16) -> [u8; 5] {
    let m = match pin {
        DrawerPin::Pin2 => 0,
        DrawerPin::Pin5 => 1,
    };
    let units = |ms: u16| (ms / 2).clamp(1, 255) as u8;
    [0x1B, 0x70, m, units(on_ms), units(off_ms)]
}

/// CODE128 through `GS k 73 n`: HRI below, width 2, height 80 dots.
/// All-digit data of even length uses code set C (two digits per symbol
/// character), anything else code set B with `{` escaped as `{{`.
pub(crate) fn code128(data: &str) -> Vec<u8> {
    let mut payload = Vec::with_capacity(data.len() + 2);
    if data.len() >= 2 && data.len().is_multiple_of(2) && data.bytes().all(|b| b.is_ascii_digit()) {
        payload.extend_from_slice(b"{C");
        for pair in data.as_bytes().chunks(2) {
            payload.push((pair[0] - b'0') * 10 + (pair[1] - b'0'));
        }
    } else {
        payload.extend_from_slice(b"{B");
        for b in data.bytes() {
            if b == b'{' {
                payload.push(b'{');
            }
            payload.push(b);
        }
    }
    let mut out = vec![
        0x1D, 0x77, 2, // GS w 2: module width
        0x1D, 0x68, 80, // GS h 80: height
        0x1D, 0x66, 0, // GS f 0: HRI font A
        0x1D, 0x48, 2, // GS H 2: HRI below
        0x1D, 0x6B, 73,
    ];
    out.push(payload.len().min(255) as u8);
    out.extend_from_slice(&payload[..payload.len().min(255)]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(f: impl FnOnce(&mut EscPosWriter)) -> Vec<u8> {
        let mut w = EscPosWriter::new();
        f(&mut w);
        w.finish()
    }

    #[test]
    fn escpos_commands_we_rely_on() {
        assert_eq!(with(|w| w.init()), [0x1B, 0x40]);
        assert_eq!(with(|w| w.justify(Align::Center)), [0x1B, 0x61, 1]);
        assert_eq!(with(|w| w.justify(Align::Right)), [0x1B, 0x61, 2]);
        assert_eq!(with(|w| w.bold(true)), [0x1B, 0x45, 1]);
        assert_eq!(with(|w| w.bold(false)), [0x1B, 0x45, 0]);
        assert_eq!(with(|w| w.size(2, 2)), [0x1D, 0x21, 0x11]);
        assert_eq!(with(|w| w.size(1, 2)), [0x1D, 0x21, 0x01]);
        assert_eq!(with(|w| w.size(1, 1)), [0x1D, 0x21, 0x00]);
        assert_eq!(with(|w| w.font(Font::B)), [0x1B, 0x4D, 1]);
        assert_eq!(with(|w| w.cut(false)), [0x1D, 0x56, 0x41, 0]);
        assert_eq!(with(|w| w.cut(true)), [0x1D, 0x56, 0x41, 1]);
        assert_eq!(with(|w| w.raw(&[1, 2, 3])), [1, 2, 3]);
    }

    #[test]
    fn ean13_uses_function_a_with_our_options() {
        let bytes = with(|w| w.ean13("400638133393"));
        let mut expected = vec![
            0x1D, 0x77, 2, 0x1D, 0x68, 102, 0x1D, 0x66, 0, 0x1D, 0x48, 2, 0x1D, 0x6B, 2,
        ];
        expected.extend_from_slice(b"400638133393");
        expected.push(0);
        assert_eq!(bytes, expected);
    }

    #[test]
    fn qr_is_model_2_level_m() {
        let bytes = with(|w| w.qr("AB", 6));
        let expected = [
            0x1D, 0x28, 0x6B, 4, 0, 49, 65, 50, 0, // model 2
            0x1D, 0x28, 0x6B, 3, 0, 49, 67, 6, // module size
            0x1D, 0x28, 0x6B, 3, 0, 49, 69, 49, // level M
            0x1D, 0x28, 0x6B, 5, 0, 49, 80, 48, b'A', b'B', // store
            0x1D, 0x28, 0x6B, 3, 0, 49, 81, 48, // print
        ];
        assert_eq!(bytes, expected);
    }

    #[test]
    fn escpos_drawer_pulse_is_three_bytes_ours_is_epsons_five() {
        // The bug this module works around: escpos omits t1 and t2.
        let sink = ByteSink::default();
        let mut p = Printer::new(sink.clone(), Protocol::default(), None);
        p.cash_drawer(escpos::utils::CashDrawer::Pin2).unwrap();
        p.print().unwrap();
        assert_eq!(*sink.0.borrow(), [0x1B, 0x70, 0]);
        assert_eq!(
            drawer_pulse(DrawerPin::Pin2, 100, 500),
            [0x1B, 0x70, 0, 50, 250]
        );
        assert_eq!(
            drawer_pulse(DrawerPin::Pin5, 50, 1000),
            [0x1B, 0x70, 1, 25, 255]
        );
        assert_eq!(drawer_pulse(DrawerPin::Pin2, 0, 2), [0x1B, 0x70, 0, 1, 1]);
    }

    #[test]
    fn escpos_wpc1251_turns_hyphen_into_soft_hyphen() {
        let sink = ByteSink::default();
        let mut p = Printer::new(sink.clone(), Protocol::default(), None);
        p.page_code(escpos::utils::PageCode::WPC1251).unwrap();
        p.write("a-b").unwrap();
        p.print().unwrap();
        assert_eq!(*sink.0.borrow(), [0x1B, 0x74, 46, b'a', 0xAD, b'b']);
    }

    #[test]
    fn code128_picks_set_c_for_even_digit_strings() {
        let head = [
            0x1D, 0x77, 2, 0x1D, 0x68, 80, 0x1D, 0x66, 0, 0x1D, 0x48, 2, 0x1D, 0x6B, 73,
        ];
        let c = code128("00001234");
        assert_eq!(&c[..15], &head);
        assert_eq!(&c[15..], &[6, b'{', b'C', 0, 0, 12, 34]);
        let b = code128("A{1");
        assert_eq!(&b[15..], &[6, b'{', b'B', b'A', b'{', b'{', b'1']);
        let odd = code128("123");
        assert_eq!(&odd[15..], &[5, b'{', b'B', b'1', b'2', b'3']);
    }
}
