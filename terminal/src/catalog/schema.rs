//! Catalog tables: products, barcodes, prices, promotions, customers and the
//! search index.
//!
//! Conventions (see the store module): every table is `STRICT`; money and
//! decimal quantities are TEXT decimal strings (`"12.50"`), never REAL; dates
//! are TEXT ISO-8601 (`"2026-01-31"`) and datetimes `"2026-01-31T08:00:00"`.
//!
//! "Applies to every store" and "no start date" are stored as the empty
//! string `''` rather than NULL in `store_id`, `customer_group`, `min_qty`
//! and `valid_from`, so that the natural keys can be `UNIQUE` and re-imports
//! are plain upserts (`NULL`s are all distinct in a SQLite `UNIQUE` index).
//!
//! Search: `products.name_norm` is the name folded to lower case **in Rust**
//! (`str::to_lowercase`, full Unicode, so «Хляб» → «хляб»; SQLite's `lower()`
//! only knows ASCII). The FTS5 table `product_search` indexes `name_norm`
//! (contentless, rows keyed by `products.id`) with the `unicode61` tokenizer
//! and prefix indexes for 1–3 characters, so search-as-you-type by word
//! prefix is an index lookup even on a million products; substring search
//! falls back to `instr(name_norm, …)` (see `catalog::search`).

/// The first catalog migration.
pub(crate) const V1: &str = r#"
CREATE TABLE products (
    id             INTEGER PRIMARY KEY,
    sku            TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    name_norm      TEXT NOT NULL,
    product_group  TEXT NOT NULL DEFAULT '',
    brand          TEXT NOT NULL DEFAULT '',
    unit           TEXT NOT NULL CHECK (unit IN ('piece', 'kg', 'l', 'm')),
    vat_class      TEXT NOT NULL,
    lifecycle      TEXT NOT NULL DEFAULT 'ACTIVE'
                   CHECK (lifecycle IN ('NEW', 'ACTIVE', 'PHASE_OUT', 'DISCONTINUED', 'ARCHIVED')),
    plu            INTEGER CHECK (plu IS NULL OR plu >= 0),
    tracks_batches INTEGER NOT NULL DEFAULT 0 CHECK (tracks_batches IN (0, 1)),
    markup_percent TEXT,
    cost           TEXT
) STRICT;

-- Partial: most products have no PLU and cost nothing here.
CREATE UNIQUE INDEX products_plu ON products (plu) WHERE plu IS NOT NULL;
CREATE INDEX products_group ON products (product_group);

-- gtin: the code as GTIN-14 (kasa_domain::barcode::to_gtin14), so an UPC-A,
-- its EAN-13 form and a GS1-128 AI (01) all find the same row; code: as
-- imported/printed. multiplier: units per scan (a box of 12 = 12).
CREATE TABLE barcodes (
    gtin       TEXT PRIMARY KEY,
    code       TEXT NOT NULL,
    sku        TEXT NOT NULL REFERENCES products (sku) ON DELETE CASCADE ON UPDATE CASCADE,
    multiplier INTEGER NOT NULL DEFAULT 1 CHECK (multiplier >= 1)
) STRICT, WITHOUT ROWID;

CREATE INDEX barcodes_sku ON barcodes (sku);

-- kind: 'base' (store_id '' = every store), 'group' (customer_group set),
-- 'step' (quantity break: min_qty set; customer_group '' = everybody).
CREATE TABLE price_tiers (
    id             INTEGER PRIMARY KEY,
    sku            TEXT NOT NULL REFERENCES products (sku) ON DELETE CASCADE ON UPDATE CASCADE,
    kind           TEXT NOT NULL CHECK (kind IN ('base', 'group', 'step')),
    store_id       TEXT NOT NULL DEFAULT '',
    customer_group TEXT NOT NULL DEFAULT '',
    min_qty        TEXT NOT NULL DEFAULT '',
    price          TEXT NOT NULL,
    valid_from     TEXT NOT NULL DEFAULT '',
    valid_to       TEXT,
    CHECK (kind <> 'base'  OR (customer_group = '' AND min_qty = '')),
    CHECK (kind <> 'group' OR (customer_group <> '' AND min_qty = '')),
    CHECK (kind <> 'step'  OR min_qty <> ''),
    UNIQUE (sku, kind, store_id, customer_group, min_qty, valid_from)
) STRICT;

-- One promotion: the kasa_domain::pricing::Promotion as JSON, plus its window
-- and store scope copied out so the till can filter without parsing JSON.
CREATE TABLE promotions (
    id         TEXT PRIMARY KEY,
    body       TEXT NOT NULL,
    starts_at  TEXT NOT NULL DEFAULT '',
    ends_at    TEXT,
    stores     TEXT NOT NULL DEFAULT ''   -- comma-separated store ids; '' = every store
) STRICT;

-- Which products a promotion names (for "promotions of this SKU" lookups);
-- a promotion that names no product (a receipt threshold) has no rows here.
CREATE TABLE promotion_products (
    promotion_id TEXT NOT NULL REFERENCES promotions (id) ON DELETE CASCADE,
    sku          TEXT NOT NULL,
    PRIMARY KEY (promotion_id, sku)
) STRICT, WITHOUT ROWID;

CREATE INDEX promotion_products_sku ON promotion_products (sku);

CREATE TABLE customer_groups (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL
) STRICT;

CREATE TABLE customers (
    code           TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    customer_group TEXT REFERENCES customer_groups (code),
    credit_limit   TEXT NOT NULL DEFAULT '0',
    balance        TEXT NOT NULL DEFAULT '0'
) STRICT;

CREATE VIRTUAL TABLE product_search USING fts5 (
    name_norm,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 0',
    prefix = '1 2 3'
);
"#;

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    #[test]
    fn schema_applies_and_fts5_folds_cyrillic() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(super::V1).unwrap();
        conn.execute(
            "INSERT INTO product_search (rowid, name_norm) VALUES (1, 'хляб добруджа')",
            [],
        )
        .unwrap();
        let hit: i64 = conn
            .query_row(
                "SELECT rowid FROM product_search WHERE product_search MATCH '\"хля\"*'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(hit, 1);
        // Replacing a contentless row keyed by rowid is how re-import renames.
        conn.execute(
            "INSERT OR REPLACE INTO product_search (rowid, name_norm) VALUES (1, 'мляко')",
            [],
        )
        .unwrap();
        let n: i64 = conn
            .query_row(
                "SELECT count(*) FROM product_search WHERE product_search MATCH '\"хля\"*'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 0);
    }
}
