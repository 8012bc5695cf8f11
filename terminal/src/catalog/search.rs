//! Search as you type: by name (word prefix, then substring), SKU prefix,
//! PLU or barcode prefix — case-insensitive for Cyrillic too.
//!
//! How (decision, measured in `benches/catalog.rs` on 1,000,000 products):
//! 1. The typed text is folded like the stored names (`to_lowercase` in Rust).
//! 2. Code-like text (one word of letters/digits): the SKU prefix (range on
//!    the unique SKU index), the PLU when it is a number, and barcodes whose
//!    GTIN starts with it (range on the barcode primary key). These hits come
//!    first — a cashier typing digits wants the code.
//! 3. Names by **word prefix** through the FTS5 index `product_search`
//!    (`unicode61`, prefix indexes for 1–3 characters): every typed word must start a word
//!    of the name, in any order («хля доб» finds «Хляб Добруджа»). Up to
//!    4 × `limit` candidates are read and ranked: names that start with the
//!    typed text first, then shorter names, then alphabetical.
//! 4. Only if that found fewer than `limit`, the text has 3+ characters and
//!    the catalog has at most [`SUBSTRING_SCAN_MAX_PRODUCTS`] products,
//!    **substring** matches (`instr(name_norm, …)`, «ляб» finds «Хляб»).
//!    That is a scan of the products table (early exit at `limit`): ~0.4 s
//!    for a miss on 1,000,000 products, which is too slow to run on every
//!    key press, so big catalogs search by word prefix only. (An FTS5
//!    trigram index would make substrings fast too, at about twice the index
//!    size and import time; word prefixes are what cashiers type.)

use std::collections::HashSet;

use rusqlite::Connection;

use super::CatalogError;
use super::lookup::{PRODUCT_COLUMNS, ProductRow, product_from_row, typed_plu};
use super::text::fold;

/// Substring search scans the products table, so it runs only on catalogs
/// up to this size (measured: ~0.4 s per miss on 1,000,000 products, a few
/// ms on 10,000). Bigger catalogs search by word prefix, SKU and barcode.
pub const SUBSTRING_SCAN_MAX_PRODUCTS: i64 = 100_000;

/// Longest typed text searched (the rest is ignored).
pub const MAX_SEARCH_CHARS: usize = 64;

/// Which way a search hit matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HitKind {
    /// SKU starts with the text.
    Sku,
    /// The PLU is the typed number.
    Plu,
    /// A barcode starts with the typed digits.
    Barcode,
    /// Every typed word starts a word of the name.
    NameWords,
    /// The name contains the typed text.
    NameSubstring,
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductHit {
    /// The product.
    pub product: ProductRow,
    /// How it matched.
    pub kind: HitKind,
}

/// Find up to `limit` products for the typed `text`. See the module docs.
pub fn search(
    conn: &Connection,
    text: &str,
    limit: usize,
) -> Result<Vec<ProductHit>, CatalogError> {
    let truncated: String = text.chars().take(MAX_SEARCH_CHARS).collect();
    let folded = fold(&truncated);
    if folded.is_empty() || limit == 0 {
        return Ok(Vec::new());
    }
    let mut hits = Hits {
        list: Vec::new(),
        seen: HashSet::new(),
        limit,
    };
    let typed = truncated.trim();
    let code_like = !typed.contains(char::is_whitespace)
        && typed
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_');
    if code_like {
        by_code(conn, typed, &mut hits)?;
    }
    if !hits.full() {
        by_name_words(conn, &folded, &mut hits)?;
    }
    if !hits.full() && folded.chars().count() >= 3 && substring_scan_is_cheap(conn)? {
        by_substring(conn, &folded, &mut hits)?;
    }
    Ok(hits.list)
}

struct Hits {
    list: Vec<ProductHit>,
    seen: HashSet<i64>,
    limit: usize,
}

impl Hits {
    fn full(&self) -> bool {
        self.list.len() >= self.limit
    }

    fn push(&mut self, product: ProductRow, kind: HitKind) {
        if !self.full() && self.seen.insert(product.id) {
            self.list.push(ProductHit { product, kind });
        }
    }

    fn remaining(&self) -> i64 {
        (self.limit - self.list.len()) as i64
    }
}

/// The smallest string greater than every string starting with `prefix`.
fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

fn by_code(conn: &Connection, typed: &str, hits: &mut Hits) -> Result<(), CatalogError> {
    let digits = typed.bytes().all(|b| b.is_ascii_digit());
    if let Some(plu) = typed_plu(typed) {
        let sql = format!("SELECT {PRODUCT_COLUMNS} FROM products p WHERE p.plu = ?1");
        let mut stmt = conn.prepare_cached(&sql)?;
        for p in stmt.query_map([plu], |r| product_from_row(r, 0))? {
            hits.push(p?, HitKind::Plu);
        }
    }
    let sql = format!(
        "SELECT {PRODUCT_COLUMNS} FROM products p WHERE p.sku >= ?1 AND p.sku < ?2
         ORDER BY p.sku LIMIT ?3"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(
        rusqlite::params![typed, prefix_end(typed), hits.remaining()],
        |r| product_from_row(r, 0),
    )?;
    for p in rows {
        hits.push(p?, HitKind::Sku);
    }
    if digits && typed.len() >= 3 && !hits.full() {
        // Barcodes are keyed by GTIN-14: an EAN-13 prefix is "0" + typed.
        let mut prefixes = vec![typed.to_string()];
        if typed.len() <= 13 {
            prefixes.insert(0, format!("0{typed}"));
        }
        let sql = format!(
            "SELECT {PRODUCT_COLUMNS} FROM barcodes b JOIN products p ON p.sku = b.sku
             WHERE b.gtin >= ?1 AND b.gtin < ?2 ORDER BY b.gtin LIMIT ?3"
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        for prefix in prefixes {
            let rows = stmt.query_map(
                rusqlite::params![prefix, prefix_end(&prefix), hits.remaining()],
                |r| product_from_row(r, 0),
            )?;
            for p in rows {
                hits.push(p?, HitKind::Barcode);
            }
        }
    }
    Ok(())
}

/// The FTS5 query for folded text: every word a quoted prefix term.
fn fts_query(folded: &str) -> String {
    folded
        .split(' ')
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .map(|w| format!("\"{}\"*", w.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" ")
}

fn by_name_words(conn: &Connection, folded: &str, hits: &mut Hits) -> Result<(), CatalogError> {
    let query = fts_query(folded);
    if query.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "SELECT {PRODUCT_COLUMNS}, p.name_norm FROM products p
         WHERE p.id IN (SELECT rowid FROM product_search WHERE product_search MATCH ?1 LIMIT ?2)"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut found: Vec<(ProductRow, String)> = stmt
        .query_map(rusqlite::params![query, hits.remaining() * 4], |r| {
            Ok((product_from_row(r, 0)?, r.get::<_, String>(12)?))
        })?
        .collect::<Result<_, _>>()?;
    found.sort_by(|(a, an), (b, bn)| {
        (!an.starts_with(folded), an.len(), &a.name).cmp(&(
            !bn.starts_with(folded),
            bn.len(),
            &b.name,
        ))
    });
    for (p, _) in found {
        hits.push(p, HitKind::NameWords);
    }
    Ok(())
}

fn substring_scan_is_cheap(conn: &Connection) -> Result<bool, CatalogError> {
    // max(id) is one index step; ids are only ever appended.
    let highest: Option<i64> = conn
        .prepare_cached("SELECT max(id) FROM products")?
        .query_row([], |r| r.get(0))?;
    Ok(highest.unwrap_or(0) <= SUBSTRING_SCAN_MAX_PRODUCTS)
}

fn by_substring(conn: &Connection, folded: &str, hits: &mut Hits) -> Result<(), CatalogError> {
    let sql = format!(
        "SELECT {PRODUCT_COLUMNS} FROM products p WHERE instr(p.name_norm, ?1) > 0 LIMIT ?2"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    // Read a few more than needed: some may already be listed.
    let rows = stmt.query_map(
        rusqlite::params![folded, hits.remaining() + hits.list.len() as i64],
        |r| product_from_row(r, 0),
    )?;
    for p in rows {
        hits.push(p?, HitKind::NameSubstring);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fts_query_quotes_every_word_as_prefix() {
        assert_eq!(fts_query("хля доб"), "\"хля\"* \"доб\"*");
        assert_eq!(fts_query("a\"b"), "\"a\"\"b\"*");
        assert_eq!(fts_query("- хляб"), "\"хляб\"*");
    }
}
