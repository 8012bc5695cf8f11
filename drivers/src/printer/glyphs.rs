//! The bundled font with only the glyphs a receipt draws.
//!
//! `fontdue` turns every glyph outline of a font into line segments when it
//! loads it: for DejaVu Sans (~6,000 glyphs) that is about 19 MB for a
//! receipt that draws a few dozen letters. [`font_for`] instead loads a copy
//! of the font whose `glyf` table keeps only the outlines of the characters
//! asked for (and the parts composite glyphs are built from); every other
//! glyph is empty. Glyph ids, the character map, advances and line metrics
//! are the original bytes, so what is drawn is exactly what the whole font
//! draws. The last font is kept and grows with the characters met (a
//! Georgian shop meets about a hundred), so a receipt with no new character
//! loads nothing.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use super::raster::FONT_TTF;

/// The bundled font with (at least) the glyphs of `chars`.
pub fn font_for(chars: impl IntoIterator<Item = char>) -> Arc<fontdue::Font> {
    static LOADED: Mutex<Option<(BTreeSet<char>, Arc<fontdue::Font>)>> = Mutex::new(None);
    let wanted: BTreeSet<char> = chars.into_iter().collect();
    let mut loaded = LOADED.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((have, font)) = loaded.as_ref()
        && wanted.is_subset(have)
    {
        return font.clone();
    }
    let mut all = loaded.take().map(|(have, _)| have).unwrap_or_default();
    all.extend(wanted);
    let bytes = with_only(FONT_TTF, &all).unwrap_or_else(|| FONT_TTF.to_vec());
    let font = Arc::new(
        fontdue::Font::from_bytes(bytes, fontdue::FontSettings::default())
            .unwrap_or_else(|e| panic!("the bundled DejaVuSans.ttf must parse: {e}")),
    );
    *loaded = Some((all, font.clone()));
    font
}

/// Whether the bundled font maps `c` to a glyph (no outline is loaded).
pub fn has_glyph(c: char) -> bool {
    ttf_parser::Face::parse(FONT_TTF, 0).is_ok_and(|f| f.glyph_index(c).is_some_and(|g| g.0 != 0))
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// A table's (offset, length) from the table directory.
fn table(font: &[u8], tag: &[u8; 4]) -> Option<(usize, usize)> {
    let count = usize::from(u16_at(font, 4)?);
    (0..count).find_map(|i| {
        let rec = 12 + 16 * i;
        (font.get(rec..rec + 4)? == tag).then(|| {
            Some((
                u32_at(font, rec + 8)? as usize,
                u32_at(font, rec + 12)? as usize,
            ))
        })?
    })
}

/// The glyph ids a composite glyph is built from.
fn components(glyph: &[u8]) -> Vec<u16> {
    const WORDS: u16 = 0x0001;
    const SCALE: u16 = 0x0008;
    const MORE: u16 = 0x0020;
    const XY_SCALE: u16 = 0x0040;
    const TWO_BY_TWO: u16 = 0x0080;
    let mut out = Vec::new();
    if glyph.len() < 10 || i16::from_be_bytes([glyph[0], glyph[1]]) >= 0 {
        return out;
    }
    let mut at = 10;
    while let (Some(flags), Some(id)) = (u16_at(glyph, at), u16_at(glyph, at + 2)) {
        out.push(id);
        at += 4 + if flags & WORDS != 0 { 4 } else { 2 };
        at += match flags {
            f if f & SCALE != 0 => 2,
            f if f & XY_SCALE != 0 => 4,
            f if f & TWO_BY_TWO != 0 => 8,
            _ => 0,
        };
        if flags & MORE == 0 {
            break;
        }
    }
    out
}

/// `font` with the outlines of every glyph but those of `chars` (and
/// `.notdef`) removed: a new `glyf` and `loca`, every other table as is.
fn with_only(font: &[u8], chars: &BTreeSet<char>) -> Option<Vec<u8>> {
    let face = ttf_parser::Face::parse(font, 0).ok()?;
    let glyph_count = usize::from(face.number_of_glyphs());
    let (head, _) = table(font, b"head")?;
    let long = u16_at(font, head + 50)? == 1;
    let (loca, _) = table(font, b"loca")?;
    let (glyf, glyf_len) = table(font, b"glyf")?;
    let range = |id: usize| -> Option<(usize, usize)> {
        let (a, b) = if long {
            (
                u32_at(font, loca + 4 * id)? as usize,
                u32_at(font, loca + 4 * id + 4)? as usize,
            )
        } else {
            (
                2 * usize::from(u16_at(font, loca + 2 * id)?),
                2 * usize::from(u16_at(font, loca + 2 * id + 2)?),
            )
        };
        (a <= b && b <= glyf_len).then_some((glyf + a, glyf + b))
    };
    let mut keep = BTreeSet::from([0u16]);
    let mut todo: Vec<u16> = chars
        .iter()
        .filter_map(|&c| face.glyph_index(c))
        .map(|g| g.0)
        .collect();
    while let Some(id) = todo.pop() {
        if usize::from(id) < glyph_count && keep.insert(id) {
            let (a, b) = range(usize::from(id))?;
            todo.extend(
                components(&font[a..b])
                    .into_iter()
                    .filter(|c| !keep.contains(c)),
            );
        }
    }
    // The new glyf: kept outlines in id order, each padded to 4 bytes.
    let mut new_glyf = Vec::new();
    let mut offsets = Vec::with_capacity(glyph_count + 1);
    for id in 0..glyph_count {
        offsets.push(new_glyf.len());
        if keep.contains(&u16::try_from(id).ok()?) {
            let (a, b) = range(id)?;
            new_glyf.extend_from_slice(&font[a..b]);
            new_glyf.resize(new_glyf.len().next_multiple_of(4), 0);
        }
    }
    offsets.push(new_glyf.len());
    let new_loca: Vec<u8> = if long {
        offsets
            .iter()
            .flat_map(|&o| u32::try_from(o).unwrap_or(u32::MAX).to_be_bytes())
            .collect()
    } else {
        offsets
            .iter()
            .flat_map(|&o| u16::try_from(o / 2).unwrap_or(u16::MAX).to_be_bytes())
            .collect()
    };
    rebuild(font, &[(*b"glyf", &new_glyf), (*b"loca", &new_loca)])
}

/// `font` with the tables in `replaced` swapped in (same directory order;
/// checksums are not recomputed — nothing that reads this copy checks them).
fn rebuild(font: &[u8], replaced: &[([u8; 4], &[u8])]) -> Option<Vec<u8>> {
    let count = usize::from(u16_at(font, 4)?);
    let dir_len = 12 + 16 * count;
    let mut out = font.get(..dir_len)?.to_vec();
    for i in 0..count {
        let rec = 12 + 16 * i;
        let tag: [u8; 4] = font.get(rec..rec + 4)?.try_into().ok()?;
        let data = match replaced.iter().find(|(t, _)| *t == tag) {
            Some((_, data)) => *data,
            None => {
                let (at, len) = (
                    u32_at(font, rec + 8)? as usize,
                    u32_at(font, rec + 12)? as usize,
                );
                font.get(at..at + len)?
            }
        };
        out.resize(out.len().next_multiple_of(4), 0);
        let offset = u32::try_from(out.len()).ok()?.to_be_bytes();
        let length = u32::try_from(data.len()).ok()?.to_be_bytes();
        out[rec + 8..rec + 12].copy_from_slice(&offset);
        out[rec + 12..rec + 16].copy_from_slice(&length);
        out.extend_from_slice(data);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reduced_font_draws_its_characters_exactly_as_the_whole_font() {
        let whole = fontdue::Font::from_bytes(FONT_TTF, fontdue::FontSettings::default()).unwrap();
        let text: BTreeSet<char> = "ქართული 12.90 Ёж ÅÉ".chars().collect();
        let bytes = with_only(FONT_TTF, &text).unwrap();
        assert!(bytes.len() < FONT_TTF.len() / 2, "{} bytes", bytes.len());
        let reduced = fontdue::Font::from_bytes(bytes, fontdue::FontSettings::default()).unwrap();
        for c in text {
            assert_eq!(reduced.rasterize(c, 24.0), whole.rasterize(c, 24.0), "{c}");
            assert_eq!(reduced.metrics(c, 48.0), whole.metrics(c, 48.0), "{c}");
        }
        // What was not asked for has no outline (but keeps its advance).
        let (m, coverage) = reduced.rasterize('ы', 24.0);
        assert!(coverage.iter().all(|&c| c == 0), "{m:?}");
        assert_eq!(m.advance_width, whole.metrics('ы', 24.0).advance_width);
        assert_eq!(
            reduced.horizontal_line_metrics(24.0),
            whole.horizontal_line_metrics(24.0)
        );
    }

    #[test]
    fn the_loaded_font_grows_with_the_characters_met() {
        let a = font_for("ქა".chars());
        let again = font_for("ა".chars());
        assert!(Arc::ptr_eq(&a, &again), "nothing new: nothing loaded");
        let more = font_for("ბ".chars());
        let (_, coverage) = more.rasterize('ქ', 24.0);
        assert!(
            coverage.iter().any(|&c| c > 0),
            "earlier characters are kept"
        );
        assert!(has_glyph('ქ') && !has_glyph('\u{E000}'));
    }
}
