//! Stock tables (migration `stock_v1`).
//!
//! - `stock_movements` is the ledger: append-only, one row per movement.
//!   Triggers make SQLite itself refuse `UPDATE` and `DELETE`, so no code
//!   path (nor a hand-written `sqlite3` session) can rewrite history;
//!   corrections are new movements. `seq` is the posting order — weighted
//!   average cost depends on order, and `rebuild` replays in `seq` order.
//! - `stock_batch_allocations` records which batch each unbatched outgoing
//!   movement was taken from (FIFO by expiry). It is immutable like the
//!   ledger, so batch remaining quantities are also rebuildable.
//! - `stock_on_hand` and `stock_batches.qty_remaining` are caches derived from
//!   the two tables above; `ledger::rebuild` recomputes them.
//! - `purchase_orders` / `purchase_order_lines`: what was ordered and how
//!   much of it has been received so far.
//! - `count_sessions` / `count_expected` / `count_entries`: stock counts —
//!   the snapshot of expected quantities taken at start, and the raw
//!   per-device entries (numbered per device, corrections point at the entry
//!   they replace), merged by `kasa_domain::count` rules.
//!
//! Quantities and money are TEXT decimal strings (never REAL); times are
//! TEXT ISO-8601 UTC (`YYYY-MM-DDTHH:MM:SS[.fff]`).

/// The first stock schema.
pub(crate) const V1: &str = r#"
CREATE TABLE stock_movements (
    seq            INTEGER NOT NULL UNIQUE,
    id             TEXT    NOT NULL PRIMARY KEY,
    sku            TEXT    NOT NULL,
    location       TEXT    NOT NULL,
    batch          TEXT,
    qty            TEXT    NOT NULL,
    unit_cost      TEXT    NOT NULL,
    unit_sale_price TEXT,
    document_id    TEXT    NOT NULL,
    kind           TEXT    NOT NULL,
    at             TEXT    NOT NULL
) STRICT;
CREATE INDEX stock_movements_by_item ON stock_movements (sku, location, seq);
CREATE INDEX stock_movements_by_document ON stock_movements (document_id);

CREATE TRIGGER stock_movements_no_update BEFORE UPDATE ON stock_movements
BEGIN
    SELECT RAISE(ABORT, 'stock movements are immutable: post a correcting movement instead of updating');
END;
CREATE TRIGGER stock_movements_no_delete BEFORE DELETE ON stock_movements
BEGIN
    SELECT RAISE(ABORT, 'stock movements are immutable: post a correcting movement instead of deleting');
END;

CREATE TABLE stock_batch_allocations (
    movement_id  TEXT NOT NULL REFERENCES stock_movements (id),
    batch        TEXT NOT NULL,
    qty          TEXT NOT NULL,
    PRIMARY KEY (movement_id, batch)
) STRICT;
CREATE TRIGGER stock_batch_allocations_no_update BEFORE UPDATE ON stock_batch_allocations
BEGIN
    SELECT RAISE(ABORT, 'batch allocations are immutable: post a correcting movement instead');
END;
CREATE TRIGGER stock_batch_allocations_no_delete BEFORE DELETE ON stock_batch_allocations
BEGIN
    SELECT RAISE(ABORT, 'batch allocations are immutable: post a correcting movement instead');
END;

CREATE TABLE stock_on_hand (
    sku                 TEXT    NOT NULL,
    location            TEXT    NOT NULL,
    qty                 TEXT    NOT NULL,
    avg_cost            TEXT    NOT NULL,
    last_purchase_cost  TEXT,
    last_seq            INTEGER NOT NULL,
    updated             TEXT    NOT NULL,
    PRIMARY KEY (sku, location)
) STRICT;

CREATE TABLE stock_batches (
    sku            TEXT    NOT NULL,
    location       TEXT    NOT NULL,
    batch          TEXT    NOT NULL,
    expiry         TEXT,
    qty_received   TEXT    NOT NULL,
    qty_remaining  TEXT    NOT NULL,
    received_at    TEXT    NOT NULL,
    received_seq   INTEGER NOT NULL,
    PRIMARY KEY (sku, location, batch)
) STRICT;
CREATE INDEX stock_batches_fifo ON stock_batches (sku, location, expiry, received_seq);

CREATE TABLE purchase_orders (
    id          TEXT NOT NULL PRIMARY KEY,
    supplier    TEXT NOT NULL,
    location    TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('open', 'partial', 'received', 'cancelled')),
    created_at  TEXT NOT NULL,
    expected_on TEXT,
    note        TEXT
) STRICT;

CREATE TABLE purchase_order_lines (
    po_id         TEXT    NOT NULL REFERENCES purchase_orders (id),
    line_no       INTEGER NOT NULL,
    sku           TEXT    NOT NULL,
    qty_ordered   TEXT    NOT NULL,
    unit_cost     TEXT    NOT NULL,
    qty_received  TEXT    NOT NULL,
    PRIMARY KEY (po_id, line_no)
) STRICT;

CREATE TABLE count_sessions (
    id             TEXT    NOT NULL PRIMARY KEY,
    location       TEXT    NOT NULL,
    scope          TEXT    NOT NULL CHECK (scope IN ('full', 'groups', 'skus')),
    scope_items    TEXT    NOT NULL,
    blind          INTEGER NOT NULL CHECK (blind IN (0, 1)),
    status         TEXT    NOT NULL CHECK (status IN ('open', 'review', 'approved', 'cancelled')),
    snapshot_seq   INTEGER NOT NULL,
    started_by     TEXT    NOT NULL,
    started_at     TEXT    NOT NULL,
    reviewed_at    TEXT,
    closed_at      TEXT,
    approved_by    TEXT,
    document_id    TEXT
) STRICT;

CREATE TABLE count_expected (
    session_id  TEXT NOT NULL REFERENCES count_sessions (id),
    sku         TEXT NOT NULL,
    qty         TEXT NOT NULL,
    avg_cost    TEXT NOT NULL,
    PRIMARY KEY (session_id, sku)
) STRICT;

CREATE TABLE count_entries (
    session_id  TEXT    NOT NULL REFERENCES count_sessions (id),
    device      TEXT    NOT NULL,
    entry_no    INTEGER NOT NULL,
    sku         TEXT    NOT NULL,
    qty         TEXT    NOT NULL,
    at          TEXT    NOT NULL,
    corrects    INTEGER,
    arrival     INTEGER NOT NULL,
    PRIMARY KEY (session_id, device, entry_no)
) STRICT;
CREATE INDEX count_entries_by_arrival ON count_entries (session_id, arrival);
"#;
