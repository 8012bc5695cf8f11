//! Character code pages for Cyrillic receipts: exact Unicode ↔ byte tables.
//!
//! Receipt printers print single-byte text through a selected code page
//! (`ESC t n`). Kasa supports the two Cyrillic pages every common ESC/POS
//! printer carries: **CP866** (DOS Cyrillic) and **Windows-1251**. The
//! upper halves (0x80–0xFF) are written out below as tables from the code
//! page definitions, not derived from another crate: the `escpos` crate's
//! WPC1251 table maps ASCII `-` to 0xAD (soft hyphen), so its encoder turns
//! every hyphen into a soft hyphen.
//!
//! Encoding rules ([`CodePage::encode_char`]):
//! 1. printable ASCII (0x20–0x7E) is sent as is;
//! 2. a character in the page's table is sent as its byte;
//! 3. a few typographic characters the page lacks are replaced by a close
//!    ASCII/Cyrillic one (`«»„“”` → `"`, `‘’‚` → `'`, `–—` → `-`, NBSP →
//!    space, Bulgarian `Ѝ/ѝ` → `И/и`), documented in [`substitute`];
//! 4. anything else becomes `?`.
//!
//! Each character becomes exactly one byte, so column layout can count
//! characters.

/// A printer character code page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum CodePage {
    /// IBM/DOS code page 866 (Epson "PC866: Cyrillic #2").
    Cp866,
    /// Windows-1251 (Epson "WPC1251: Cyrillic").
    Wpc1251,
}

/// CP866 bytes 0x80–0xFF.
#[rustfmt::skip]
pub const CP866_HIGH: [char; 128] = [
    // 0x80
    'А','Б','В','Г','Д','Е','Ж','З','И','Й','К','Л','М','Н','О','П',
    // 0x90
    'Р','С','Т','У','Ф','Х','Ц','Ч','Ш','Щ','Ъ','Ы','Ь','Э','Ю','Я',
    // 0xA0
    'а','б','в','г','д','е','ж','з','и','й','к','л','м','н','о','п',
    // 0xB0
    '░','▒','▓','│','┤','╡','╢','╖','╕','╣','║','╗','╝','╜','╛','┐',
    // 0xC0
    '└','┴','┬','├','─','┼','╞','╟','╚','╔','╩','╦','╠','═','╬','╧',
    // 0xD0
    '╨','╤','╥','╙','╘','╒','╓','╫','╪','┘','┌','█','▄','▌','▐','▀',
    // 0xE0
    'р','с','т','у','ф','х','ц','ч','ш','щ','ъ','ы','ь','э','ю','я',
    // 0xF0
    'Ё','ё','Є','є','Ї','ї','Ў','ў','°','∙','·','√','№','¤','■','\u{00A0}',
];

/// Windows-1251 bytes 0x80–0xFF; 0x98 is unassigned (`\0` here, never matched).
#[rustfmt::skip]
pub const WIN1251_HIGH: [char; 128] = [
    // 0x80
    'Ђ','Ѓ','‚','ѓ','„','…','†','‡','€','‰','Љ','‹','Њ','Ќ','Ћ','Џ',
    // 0x90
    'ђ','‘','’','“','”','•','–','—','\0','™','љ','›','њ','ќ','ћ','џ',
    // 0xA0
    '\u{00A0}','Ў','ў','Ј','¤','Ґ','¦','§','Ё','©','Є','«','¬','\u{00AD}','®','Ї',
    // 0xB0
    '°','±','І','і','ґ','µ','¶','·','ё','№','є','»','ј','Ѕ','ѕ','ї',
    // 0xC0
    'А','Б','В','Г','Д','Е','Ж','З','И','Й','К','Л','М','Н','О','П',
    // 0xD0
    'Р','С','Т','У','Ф','Х','Ц','Ч','Ш','Щ','Ъ','Ы','Ь','Э','Ю','Я',
    // 0xE0
    'а','б','в','г','д','е','ж','з','и','й','к','л','м','н','о','п',
    // 0xF0
    'р','с','т','у','ф','х','ц','ч','ш','щ','ъ','ы','ь','э','ю','я',
];

/// Replacement for a character the page lacks, before falling back to `?`.
pub fn substitute(c: char) -> Option<char> {
    Some(match c {
        '«' | '»' | '„' | '“' | '”' => '"',
        '‘' | '’' | '‚' => '\'',
        '–' | '—' | '\u{2212}' => '-',
        '\u{00A0}' => ' ',
        'Ѝ' => 'И',
        'ѝ' => 'и',
        _ => return None,
    })
}

impl CodePage {
    /// The table of bytes 0x80–0xFF.
    pub fn high_table(self) -> &'static [char; 128] {
        match self {
            CodePage::Cp866 => &CP866_HIGH,
            CodePage::Wpc1251 => &WIN1251_HIGH,
        }
    }

    /// The byte for `c` in this page itself (no substitution), if any.
    pub fn byte_of(self, c: char) -> Option<u8> {
        if (' '..='~').contains(&c) {
            return Some(c as u8);
        }
        // Fast paths for the 64 basic Cyrillic letters (the tables agree; tested).
        let basic = match (self, c) {
            (CodePage::Cp866, 'А'..='п') => Some(0x80 + (c as u32 - 'А' as u32) as u8),
            (CodePage::Cp866, 'р'..='я') => Some(0xE0 + (c as u32 - 'р' as u32) as u8),
            (CodePage::Wpc1251, 'А'..='я') => Some(0xC0 + (c as u32 - 'А' as u32) as u8),
            _ => None,
        };
        if basic.is_some() {
            return basic;
        }
        if c == '\0' || (c as u32) < 0x80 {
            return None;
        }
        self.high_table()
            .iter()
            .position(|&t| t == c)
            .map(|i| 0x80 + i as u8)
    }

    /// Whether `c` prints as itself (not substituted, not `?`).
    pub fn can_print(self, c: char) -> bool {
        self.byte_of(c).is_some()
    }

    /// The byte sent for `c` (rules in the module docs).
    pub fn encode_char(self, c: char) -> u8 {
        self.byte_of(c)
            .or_else(|| substitute(c).and_then(|s| self.byte_of(s)))
            .unwrap_or(b'?')
    }

    /// Encodes `text`, one byte per character.
    pub fn encode(self, text: &str) -> Vec<u8> {
        text.chars().map(|c| self.encode_char(c)).collect()
    }

    /// The character a byte stands for (for simulators and previews);
    /// control bytes and unassigned slots give `None`.
    pub fn decode_byte(self, b: u8) -> Option<char> {
        match b {
            0x20..=0x7E => Some(b as char),
            0x80..=0xFF => Some(self.high_table()[usize::from(b - 0x80)]).filter(|&c| c != '\0'),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            CodePage::Cp866 => "CP866",
            CodePage::Wpc1251 => "WPC1251",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every letter of the Russian/Bulgarian alphabets with its byte, written
    /// out from the code page charts (not computed from the tables above).
    const RU_UPPER: &str = "АБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ";
    const RU_LOWER: &str = "абвгдежзийклмнопрстуфхцчшщъыьэюя";

    #[test]
    fn cp866_maps_every_cyrillic_letter_exactly() {
        let cp = CodePage::Cp866;
        for (i, c) in RU_UPPER.chars().enumerate() {
            assert_eq!(cp.encode_char(c), 0x80 + i as u8, "{c}");
        }
        for (i, c) in RU_LOWER.chars().enumerate() {
            let expected = if i < 16 {
                0xA0 + i as u8
            } else {
                0xE0 + (i as u8 - 16)
            };
            assert_eq!(cp.encode_char(c), expected, "{c}");
        }
        let specials = [
            ('Ё', 0xF0),
            ('ё', 0xF1),
            ('Ъ', 0x9A),
            ('ъ', 0xEA),
            ('№', 0xFC),
            ('°', 0xF8),
        ];
        for (c, b) in specials {
            assert_eq!(cp.encode_char(c), b, "{c}");
        }
        // CP866 has no guillemets: replaced by ASCII quotes.
        assert_eq!(
            cp.encode("«Мляко»"),
            [b'"', 0x8C, 0xAB, 0xEF, 0xAA, 0xAE, b'"']
        );
    }

    #[test]
    fn windows1251_maps_every_cyrillic_letter_exactly() {
        let cp = CodePage::Wpc1251;
        for (i, c) in RU_UPPER.chars().enumerate() {
            assert_eq!(cp.encode_char(c), 0xC0 + i as u8, "{c}");
        }
        for (i, c) in RU_LOWER.chars().enumerate() {
            assert_eq!(cp.encode_char(c), 0xE0 + i as u8, "{c}");
        }
        let specials = [
            ('Ё', 0xA8),
            ('ё', 0xB8),
            ('Ъ', 0xDA),
            ('ъ', 0xFA),
            ('№', 0xB9),
            ('«', 0xAB),
            ('»', 0xBB),
            ('€', 0x88),
            ('–', 0x96),
            ('—', 0x97),
            ('І', 0xB2),
            ('і', 0xB3),
            ('Ґ', 0xA5),
            ('ґ', 0xB4),
        ];
        for (c, b) in specials {
            assert_eq!(cp.encode_char(c), b, "{c}");
        }
    }

    #[test]
    fn ascii_passes_through_and_hyphen_stays_a_hyphen() {
        for cp in [CodePage::Cp866, CodePage::Wpc1251] {
            assert_eq!(
                cp.encode("A-z 0.452 x 12,90 = 5.83"),
                b"A-z 0.452 x 12,90 = 5.83".to_vec()
            );
        }
    }

    #[test]
    fn unmappable_characters_become_question_marks() {
        for cp in [CodePage::Cp866, CodePage::Wpc1251] {
            assert_eq!(cp.encode("ა"), b"?"); // Georgian
            assert_eq!(cp.encode("😀"), b"?");
            assert_eq!(cp.encode("\t"), b"?");
            assert_eq!(cp.encode("Ѝ"), cp.encode("И"));
        }
        assert_eq!(CodePage::Cp866.encode("€"), b"?");
    }

    #[test]
    fn fast_path_agrees_with_the_tables() {
        for cp in [CodePage::Cp866, CodePage::Wpc1251] {
            for (i, &c) in cp.high_table().iter().enumerate() {
                if c != '\0' {
                    assert_eq!(cp.byte_of(c), Some(0x80 + i as u8), "{} {c}", cp.name());
                }
            }
        }
    }

    #[test]
    fn tables_are_bijective_and_decode_back() {
        for cp in [CodePage::Cp866, CodePage::Wpc1251] {
            for b in 0x20u8..=0xFF {
                if let Some(c) = cp.decode_byte(b) {
                    assert_eq!(cp.byte_of(c), Some(b), "{} byte {b:#x}", cp.name());
                }
            }
        }
        assert_eq!(CodePage::Wpc1251.decode_byte(0x98), None);
    }
}
