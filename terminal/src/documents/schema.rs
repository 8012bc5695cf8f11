//! Tables of documents, their lines and tenders, number series, the journal
//! and the outbox.

/// Documents, lines, tenders, number series, journal, outbox, parked sales
/// and shifts.
pub(crate) const V1: &str = "
CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    doc_type TEXT NOT NULL,
    status TEXT NOT NULL,
    number TEXT NOT NULL,
    store_id TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    author TEXT NOT NULL,
    created_at TEXT NOT NULL,
    completed_at TEXT NOT NULL,
    currency TEXT NOT NULL,
    total TEXT NOT NULL,
    vat_total TEXT NOT NULL,
    customer TEXT,
    original_id TEXT REFERENCES documents (id),
    shift_id TEXT,
    payload TEXT NOT NULL,
    UNIQUE (store_id, terminal_id, doc_type, number)
) STRICT;
CREATE INDEX documents_by_number ON documents (number, doc_type);
CREATE INDEX documents_by_shift ON documents (shift_id);
CREATE INDEX documents_by_original ON documents (original_id);

CREATE TABLE document_lines (
    document_id TEXT NOT NULL REFERENCES documents (id),
    line_no INTEGER NOT NULL,
    sku TEXT NOT NULL,
    name TEXT NOT NULL,
    qty TEXT NOT NULL,
    unit_price TEXT NOT NULL,
    discount TEXT NOT NULL,
    total TEXT NOT NULL,
    vat_class TEXT NOT NULL,
    vat_rate TEXT NOT NULL,
    vat_amount TEXT NOT NULL,
    price_rule TEXT NOT NULL,
    unit_cost TEXT,
    original_line_no INTEGER,
    PRIMARY KEY (document_id, line_no)
) STRICT;

CREATE TABLE document_tenders (
    document_id TEXT NOT NULL REFERENCES documents (id),
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    amount TEXT NOT NULL,
    reference TEXT,
    PRIMARY KEY (document_id, seq)
) STRICT;

CREATE TABLE number_series (
    store_id TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    doc_type TEXT NOT NULL,
    next INTEGER NOT NULL CHECK (next >= 1),
    PRIMARY KEY (store_id, terminal_id, doc_type)
) STRICT;

CREATE TABLE journal (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    document_id TEXT NOT NULL,
    document_number TEXT NOT NULL,
    amount TEXT NOT NULL,
    totals TEXT NOT NULL,
    payload TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
) STRICT;

CREATE TABLE outbox (
    terminal_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    record_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'queued',
    created_at TEXT NOT NULL,
    PRIMARY KEY (terminal_id, seq)
) STRICT;
CREATE INDEX outbox_by_status ON outbox (status, seq);

CREATE TABLE parked_sales (
    id TEXT PRIMARY KEY,
    parked_at TEXT NOT NULL,
    cashier TEXT NOT NULL,
    label TEXT,
    sale TEXT NOT NULL
) STRICT;

CREATE TABLE shifts (
    id TEXT PRIMARY KEY,
    store_id TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    opened_by TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    float TEXT NOT NULL,
    closed_at TEXT,
    closed_by TEXT,
    z_number TEXT
) STRICT;
CREATE UNIQUE INDEX one_open_shift ON shifts (terminal_id) WHERE closed_at IS NULL;
";

/// What head office holds of the outbox as one watermark instead of a
/// `status` per row: rows are confirmed in sequence order (everything
/// before the first row with an unacknowledged record), so `synced` is
/// exactly `seq <= outbox_synced.through_seq`. Flipping `status` on every
/// row rewrote a page of each ~10 KB document per confirmation and was the
/// largest cost of a catch-up on the till (BENCHMARKS.md). The watermark
/// starts at the last row V1 had marked; `outbox_by_seq` replaces the
/// status index for "oldest queued". Dropping the column rewrites the
/// outbox once, on the first start of this version.
pub(crate) const V2: &str = "
CREATE TABLE outbox_synced (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    through_seq INTEGER NOT NULL
) STRICT;
INSERT INTO outbox_synced (id, through_seq)
    VALUES (1, COALESCE((SELECT MAX(seq) FROM outbox WHERE status = 'synced'), 0));
DROP INDEX outbox_by_status;
ALTER TABLE outbox DROP COLUMN status;
CREATE INDEX outbox_by_seq ON outbox (seq);
";

/// The outbox names its document instead of holding a copy of its JSON: a
/// sale's payload is stored once, in `documents.payload` (the outbox row,
/// the document and its wire records were three copies of it, and the
/// copies were most of the pages a sale's commit wrote). Both copies were
/// written from the same value in the same transaction, so nothing is
/// lost; an outbox row not yet cut into wire records is cut from its
/// document (`crate::sync::series::extend_series`). Dropping the column
/// rewrites the outbox once, on the first start of this version.
pub(crate) const V3: &str = "
ALTER TABLE outbox DROP COLUMN payload;
";
