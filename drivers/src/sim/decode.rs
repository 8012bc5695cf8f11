//! Decoding ESC/POS bytes: a command parser (shared with the TCP printer
//! simulator, which must find `DLE EOT` requests at command boundaries) and
//! a readable text rendering for goldens, tests and the demo.
//!
//! Text format of [`to_text`]: one output line per printed line; a line
//! printed with a non-default style starts with its tags in brackets, e.g.
//! `[center b 2wh] ИТОГО` (`b` bold, `2w` double width, `2h` double height,
//! `2wh` both, `center`/`right` alignment). Non-text commands are lines of
//! their own in capitals: `[INIT]`, `[CODEPAGE 17]`, `[FONT B]`, `[FEED 3]`,
//! `[CUT]`, `[CUT partial]`, `[DRAWER pin2 t1=50 t2=250]`,
//! `[BARCODE EAN13 4006381333931]`, `[BARCODE CODE128 0000001234]`,
//! `[QR model2 size6 ecM] <data>`, `[RASTER 384x28]`, `[DLE EOT 1]`,
//! `[UNKNOWN 1b 7a]`.

use crate::printer::CodePage;

/// One parsed ESC/POS command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// A run of printable bytes.
    Text(Vec<u8>),
    LineFeed,
    CarriageReturn,
    Init,
    CodePage(u8),
    Justify(u8),
    Bold(bool),
    Font(u8),
    /// Width and height multipliers.
    Size(u8, u8),
    FeedLines(u8),
    Cut {
        partial: bool,
    },
    DrawerPulse {
        m: u8,
        t1: u8,
        t2: u8,
    },
    StatusRequest(u8),
    /// `GS w/h/f/H`: barcode module width, height, HRI font, HRI position.
    BarcodeSetting(u8, u8),
    /// `GS k`: system number and data as sent.
    Barcode {
        system: u8,
        data: Vec<u8>,
    },
    /// `GS ( k` with cn = 49 (QR): function and parameters.
    Qr {
        function: u8,
        params: Vec<u8>,
    },
    /// `GS v 0`: bytes per row, rows, data.
    Raster {
        width_bytes: u16,
        height: u16,
        data: Vec<u8>,
    },
    Unknown(Vec<u8>),
}

/// Result of parsing the front of a buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// A command and how many bytes it used.
    Command(Command, usize),
    /// More bytes are needed.
    Incomplete,
}

const ESC: u8 = 0x1B;
const GS: u8 = 0x1D;
const DLE: u8 = 0x10;

fn need(buf: &[u8], n: usize) -> Option<&[u8]> {
    if buf.len() >= n {
        Some(&buf[..n])
    } else {
        None
    }
}

/// Parses one command from the front of `buf`.
pub fn parse_one(buf: &[u8]) -> Parsed {
    use Command as C;
    let Some(&first) = buf.first() else {
        return Parsed::Incomplete;
    };
    let done = |c: Command, n: usize| Parsed::Command(c, n);
    match first {
        b'\n' => done(C::LineFeed, 1),
        b'\r' => done(C::CarriageReturn, 1),
        0x20..=0x7E | 0x80..=0xFF => {
            let n = buf
                .iter()
                .position(|b| !matches!(b, 0x20..=0x7E | 0x80..=0xFF))
                .unwrap_or(buf.len());
            done(C::Text(buf[..n].to_vec()), n)
        }
        DLE => match need(buf, 3) {
            None => Parsed::Incomplete,
            Some([_, 0x04, n]) => done(C::StatusRequest(*n), 3),
            Some(b) => done(C::Unknown(b[..2].to_vec()), 2),
        },
        ESC => {
            let Some(&op) = buf.get(1) else {
                return Parsed::Incomplete;
            };
            let arg = |len: usize, f: &dyn Fn(&[u8]) -> Command| match need(buf, len) {
                None => Parsed::Incomplete,
                Some(b) => done(f(b), len),
            };
            match op {
                b'@' => done(C::Init, 2),
                b't' => arg(3, &|b| C::CodePage(b[2])),
                b'a' => arg(3, &|b| C::Justify(b[2] % 48)),
                b'E' => arg(3, &|b| C::Bold(b[2] & 1 == 1)),
                b'M' => arg(3, &|b| C::Font(b[2] % 48)),
                b'd' => arg(3, &|b| C::FeedLines(b[2])),
                b'p' => arg(5, &|b| C::DrawerPulse {
                    m: b[2],
                    t1: b[3],
                    t2: b[4],
                }),
                _ => done(C::Unknown(buf[..2].to_vec()), 2),
            }
        }
        GS => {
            let Some(&op) = buf.get(1) else {
                return Parsed::Incomplete;
            };
            match op {
                b'!' => match need(buf, 3) {
                    None => Parsed::Incomplete,
                    Some(b) => done(C::Size((b[2] >> 4) + 1, (b[2] & 0x0F) + 1), 3),
                },
                b'V' => match buf.get(2) {
                    None => Parsed::Incomplete,
                    Some(&m @ (0 | 1 | 48 | 49)) => done(
                        C::Cut {
                            partial: m & 1 == 1,
                        },
                        3,
                    ),
                    Some(&m @ (65 | 66)) => match need(buf, 4) {
                        None => Parsed::Incomplete,
                        Some(_) => done(C::Cut { partial: m == 66 }, 4),
                    },
                    Some(_) => done(C::Unknown(buf[..3].to_vec()), 3),
                },
                b'w' | b'h' | b'f' | b'H' => match need(buf, 3) {
                    None => Parsed::Incomplete,
                    Some(b) => done(C::BarcodeSetting(op, b[2]), 3),
                },
                b'k' => {
                    let Some(&m) = buf.get(2) else {
                        return Parsed::Incomplete;
                    };
                    if m <= 6 {
                        match buf[3..].iter().position(|&b| b == 0) {
                            None => Parsed::Incomplete,
                            Some(end) => done(
                                C::Barcode {
                                    system: m,
                                    data: buf[3..3 + end].to_vec(),
                                },
                                4 + end,
                            ),
                        }
                    } else {
                        let Some(&n) = buf.get(3) else {
                            return Parsed::Incomplete;
                        };
                        let total = 4 + usize::from(n);
                        match need(buf, total) {
                            None => Parsed::Incomplete,
                            Some(b) => done(
                                C::Barcode {
                                    system: m,
                                    data: b[4..].to_vec(),
                                },
                                total,
                            ),
                        }
                    }
                }
                b'(' => {
                    let Some(h) = need(buf, 5) else {
                        return Parsed::Incomplete;
                    };
                    let len = usize::from(h[3]) + 256 * usize::from(h[4]);
                    let total = 5 + len;
                    match need(buf, total) {
                        None => Parsed::Incomplete,
                        Some(b) if h[2] == b'k' && len >= 2 && b[5] == 49 => done(
                            C::Qr {
                                function: b[6],
                                params: b[7..].to_vec(),
                            },
                            total,
                        ),
                        Some(b) => done(C::Unknown(b.to_vec()), total),
                    }
                }
                b'v' => {
                    let Some(h) = need(buf, 8) else {
                        return Parsed::Incomplete;
                    };
                    let wb = u16::from_le_bytes([h[4], h[5]]);
                    let rows = u16::from_le_bytes([h[6], h[7]]);
                    let total = 8 + usize::from(wb) * usize::from(rows);
                    match need(buf, total) {
                        None => Parsed::Incomplete,
                        Some(b) => done(
                            C::Raster {
                                width_bytes: wb,
                                height: rows,
                                data: b[8..].to_vec(),
                            },
                            total,
                        ),
                    }
                }
                _ => done(C::Unknown(buf[..2].to_vec()), 2),
            }
        }
        _ => done(C::Unknown(vec![first]), 1),
    }
}

/// Parses a whole buffer; a trailing incomplete command becomes `Unknown`.
pub fn parse_all(mut bytes: &[u8]) -> Vec<Command> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        match parse_one(bytes) {
            Parsed::Command(c, n) => {
                out.push(c);
                bytes = &bytes[n..];
            }
            Parsed::Incomplete => {
                out.push(Command::Unknown(bytes.to_vec()));
                break;
            }
        }
    }
    out
}

/// `[BARCODE <symbology> <data>]` for a `GS k` command.
pub(crate) fn barcode_text(system: u8, data: &[u8]) -> String {
    let name = match system {
        0 | 65 => "UPC-A",
        1 | 66 => "UPC-E",
        2 | 67 => "EAN13",
        3 | 68 => "EAN8",
        4 | 69 => "CODE39",
        5 | 70 => "ITF",
        6 | 71 => "CODABAR",
        72 => "CODE93",
        73 => "CODE128",
        _ => "UNKNOWN",
    };
    let shown = if system == 73 && data.len() >= 2 && data[0] == b'{' {
        let mut set = data[1];
        let mut s = String::new();
        let mut i = 2;
        while i < data.len() {
            let b = data[i];
            if b == b'{' && i + 1 < data.len() {
                if data[i + 1] == b'{' {
                    s.push('{');
                } else {
                    set = data[i + 1];
                }
                i += 2;
                continue;
            }
            if set == b'C' {
                s.push_str(&format!("{b:02}"));
            } else {
                s.push(b as char);
            }
            i += 1;
        }
        s
    } else {
        String::from_utf8_lossy(data).into_owned()
    };
    format!("[BARCODE {name} {shown}]")
}

#[derive(Default)]
struct Style {
    align: u8,
    bold: bool,
    size: (u8, u8),
}

impl Style {
    fn tags(&self) -> String {
        let mut t = Vec::new();
        match self.align {
            1 => t.push("center"),
            2 => t.push("right"),
            _ => {}
        }
        if self.bold {
            t.push("b");
        }
        match self.size {
            (2.., 2..) => t.push("2wh"),
            (2.., _) => t.push("2w"),
            (_, 2..) => t.push("2h"),
            _ => {}
        }
        t.join(" ")
    }
}

/// The code page an `ESC t n` selects on an Epson-numbered printer, if it is
/// one Kasa knows (17 = CP866, 46 = WPC1251).
pub fn code_page_for(n: u8) -> Option<CodePage> {
    match n {
        17 => Some(CodePage::Cp866),
        46 => Some(CodePage::Wpc1251),
        _ => None,
    }
}

/// Readable rendering of ESC/POS `bytes`; text is decoded with
/// `code_page` until an `ESC t n` selects another known page.
pub fn to_text(bytes: &[u8], mut code_page: CodePage) -> Vec<String> {
    let mut out = Vec::new();
    let mut style = Style {
        size: (1, 1),
        ..Style::default()
    };
    let mut line = String::new();
    let mut line_tags: Option<String> = None;
    let mut qr_setup: (u8, u8, char) = (2, 3, 'L');
    let mut qr_data: Vec<u8> = Vec::new();
    fn flush(out: &mut Vec<String>, line: &mut String, tags: &mut Option<String>, force: bool) {
        if line.is_empty() && !force {
            return;
        }
        let t = tags.take().unwrap_or_default();
        if t.is_empty() {
            out.push(std::mem::take(line));
        } else {
            out.push(format!("[{t}] {}", std::mem::take(line)));
        }
    }
    for cmd in parse_all(bytes) {
        let marker =
            |out: &mut Vec<String>, line: &mut String, tags: &mut Option<String>, m: String| {
                flush(out, line, tags, false);
                out.push(m);
            };
        match cmd {
            Command::Text(t) => {
                if line.is_empty() {
                    line_tags = Some(style.tags());
                }
                line.extend(
                    t.iter()
                        .map(|&b| code_page.decode_byte(b).unwrap_or('\u{FFFD}')),
                );
            }
            Command::LineFeed => {
                if line.is_empty() {
                    line_tags = None;
                }
                flush(&mut out, &mut line, &mut line_tags, true);
            }
            Command::CarriageReturn => {}
            Command::Init => {
                style = Style {
                    size: (1, 1),
                    ..Style::default()
                };
                marker(&mut out, &mut line, &mut line_tags, "[INIT]".into());
            }
            Command::CodePage(n) => {
                code_page = code_page_for(n).unwrap_or(code_page);
                marker(
                    &mut out,
                    &mut line,
                    &mut line_tags,
                    format!("[CODEPAGE {n}]"),
                );
            }
            Command::Justify(a) => style.align = a,
            Command::Bold(b) => style.bold = b,
            Command::Size(w, h) => style.size = (w, h),
            Command::Font(f) => marker(
                &mut out,
                &mut line,
                &mut line_tags,
                format!("[FONT {}]", if f == 1 { "B" } else { "A" }),
            ),
            Command::FeedLines(n) => {
                marker(&mut out, &mut line, &mut line_tags, format!("[FEED {n}]"))
            }
            Command::Cut { partial } => marker(
                &mut out,
                &mut line,
                &mut line_tags,
                if partial {
                    "[CUT partial]".into()
                } else {
                    "[CUT]".into()
                },
            ),
            Command::DrawerPulse { m, t1, t2 } => {
                let pin = if m & 1 == 0 { "pin2" } else { "pin5" };
                marker(
                    &mut out,
                    &mut line,
                    &mut line_tags,
                    format!("[DRAWER {pin} t1={t1} t2={t2}]"),
                );
            }
            Command::StatusRequest(n) => marker(
                &mut out,
                &mut line,
                &mut line_tags,
                format!("[DLE EOT {n}]"),
            ),
            Command::BarcodeSetting(..) => {}
            Command::Barcode { system, data } => {
                marker(
                    &mut out,
                    &mut line,
                    &mut line_tags,
                    barcode_text(system, &data),
                );
            }
            Command::Qr { function, params } => match (function, params.as_slice()) {
                (65, [n1, ..]) => qr_setup.0 = n1.saturating_sub(48),
                (67, [n, ..]) => qr_setup.1 = *n,
                (69, [n, ..]) => {
                    qr_setup.2 = ['L', 'M', 'Q', 'H'][usize::from(n.saturating_sub(48).min(3))]
                }
                (80, [_, data @ ..]) => qr_data = data.to_vec(),
                (81, _) => {
                    let (model, size, ec) = qr_setup;
                    let data = String::from_utf8_lossy(&qr_data).into_owned();
                    marker(
                        &mut out,
                        &mut line,
                        &mut line_tags,
                        format!("[QR model{model} size{size} ec{ec}] {data}"),
                    );
                }
                _ => marker(
                    &mut out,
                    &mut line,
                    &mut line_tags,
                    format!("[QR fn{function}]"),
                ),
            },
            Command::Raster {
                width_bytes,
                height,
                ..
            } => marker(
                &mut out,
                &mut line,
                &mut line_tags,
                format!("[RASTER {}x{height}]", u32::from(width_bytes) * 8),
            ),
            Command::Unknown(b) => {
                let hex: Vec<String> = b.iter().take(16).map(|x| format!("{x:02x}")).collect();
                marker(
                    &mut out,
                    &mut line,
                    &mut line_tags,
                    format!("[UNKNOWN {}]", hex.join(" ")),
                );
            }
        }
    }
    flush(&mut out, &mut line, &mut line_tags, false);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incomplete_commands_wait_for_more_bytes() {
        for partial in [
            &[0x1Bu8][..],
            &[0x1B, 0x70, 0, 50],
            &[0x10, 0x04],
            &[0x1D, 0x76, 0x30, 0, 1, 0, 2, 0, 0xFF],
        ] {
            assert_eq!(parse_one(partial), Parsed::Incomplete, "{partial:?}");
        }
        assert_eq!(
            parse_one(&[0x10, 0x04, 2, b'x']),
            Parsed::Command(Command::StatusRequest(2), 3)
        );
    }

    #[test]
    fn status_bytes_inside_raster_data_are_data() {
        let mut bytes = vec![0x1D, 0x76, 0x30, 0, 3, 0, 1, 0, 0x10, 0x04, 0x01];
        bytes.push(b'A');
        let cmds = parse_all(&bytes);
        assert!(matches!(
            cmds[0],
            Command::Raster {
                width_bytes: 3,
                height: 1,
                ..
            }
        ));
        assert_eq!(cmds[1], Command::Text(b"A".to_vec()));
    }

    #[test]
    fn text_rendering_shows_styles_and_markers() {
        let mut b = vec![
            0x1B, 0x40, 0x1B, 0x74, 46, 0x1B, 0x61, 1, 0x1B, 0x45, 1, 0x1D, 0x21, 0x11,
        ];
        b.extend_from_slice(&[0xCA, 0xC0, 0xD1, 0xC0, b'\n']);
        b.extend_from_slice(&[0x1D, 0x21, 0, 0x1B, 0x45, 0, 0x1B, 0x61, 0]);
        b.extend_from_slice(b"a-b\n\n");
        b.extend_from_slice(&[0x1B, 0x70, 0, 50, 250, 0x1D, 0x56, 0x41, 0]);
        assert_eq!(
            to_text(&b, CodePage::Wpc1251),
            [
                "[INIT]",
                "[CODEPAGE 46]",
                "[center b 2wh] КАСА",
                "a-b",
                "",
                "[DRAWER pin2 t1=50 t2=250]",
                "[CUT]"
            ]
        );
    }

    #[test]
    fn esc_t_switches_the_decoding_code_page() {
        let b = [0x1B, 0x74, 17, 0x80, b'\n', 0x1B, 0x74, 46, 0xC0, b'\n'];
        assert_eq!(
            to_text(&b, CodePage::Wpc1251),
            ["[CODEPAGE 17]", "А", "[CODEPAGE 46]", "А"]
        );
    }

    #[test]
    fn code128_set_c_is_shown_as_digits() {
        assert_eq!(
            barcode_text(73, &[b'{', b'C', 0, 0, 12, 34]),
            "[BARCODE CODE128 00001234]"
        );
        assert_eq!(barcode_text(73, b"{BA{{1"), "[BARCODE CODE128 A{1]");
        assert_eq!(
            barcode_text(2, b"400638133393"),
            "[BARCODE EAN13 400638133393]"
        );
    }
}
