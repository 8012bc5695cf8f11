//! Tables of the sync client: the enrolment, the wire series and the state
//! shown by `kasa sync status`.

/// Enrolment, wire records, sync state and the master-data cursor.
///
/// - `sync_enrolment`: one row once the till is enrolled (server URL, the
///   ids head office confirmed, the credential). Kept in the till's
///   database so a reinstall of the binary keeps it.
/// - `sync_records`: the wire series (`seq` from 1, gapless), derived from
///   the outbox by [`crate::sync::series`]: per outbox row the document, its
///   stock movements and its journal entry. A row is written once, in one
///   transaction with the others of its outbox row, and never changed
///   (V1 had a `confirmed` flag per row; [`V4`] replaced it; [`V5`] lets a
///   row point into its document's stored text instead of copying it).
/// - `sync_state`: one row: last success / error, the server's acknowledged
///   sequence and the master-data cursor.
/// - `sync_master_data`: head office's tax rates and roles, as last
///   received; read back as the till's VAT and permission tables
///   (`master_data::held`). (Tills that
///   pulled before this rule also hold copies of other entities here; they
///   are no longer read or updated.)
pub(crate) const V1: &str = "
CREATE TABLE sync_enrolment (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    server_url TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    credential TEXT NOT NULL,
    enrolled_at TEXT NOT NULL
) STRICT;

CREATE TABLE sync_records (
    seq INTEGER PRIMARY KEY CHECK (seq >= 1),
    outbox_seq INTEGER NOT NULL,
    record_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    document_type TEXT,
    created_at TEXT NOT NULL,
    payload TEXT NOT NULL,
    encoded_len INTEGER NOT NULL,
    confirmed INTEGER NOT NULL DEFAULT 0 CHECK (confirmed IN (0, 1))
) STRICT;
CREATE INDEX sync_records_by_outbox ON sync_records (outbox_seq);
CREATE INDEX sync_records_unconfirmed ON sync_records (confirmed, seq);

CREATE TABLE sync_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    server_acked_seq INTEGER NOT NULL DEFAULT 0,
    last_success_at TEXT,
    last_attempt_at TEXT,
    last_error_code TEXT,
    last_error_message TEXT,
    last_error_at TEXT,
    master_data_cursor TEXT,
    master_data_version INTEGER NOT NULL DEFAULT 0,
    server_version INTEGER NOT NULL DEFAULT 0
) STRICT;
INSERT INTO sync_state (id) VALUES (1);

CREATE TABLE sync_master_data (
    entity TEXT NOT NULL,
    key TEXT NOT NULL,
    version INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (entity, key)
) STRICT;
";

/// The extra CA certificate trusted for head office's `https://` address
/// (see [`crate::sync::trust`]): one row at most, the PEM as given.
pub(crate) const V2: &str = "
CREATE TABLE sync_trust (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    ca_cert_pem TEXT NOT NULL,
    source TEXT NOT NULL,
    set_at TEXT NOT NULL
) STRICT;
";

/// Master-data changes waiting for their product (see
/// `crate::sync::master_data::pending`): a barcode, price or price tier
/// that arrived before the product it names. Written and emptied in the
/// transactions of the pages, with their cursor; never read by lookups.
pub(crate) const V3: &str = "
CREATE TABLE sync_master_data_pending (
    entity TEXT NOT NULL,
    key TEXT NOT NULL,
    sku TEXT NOT NULL,
    version INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (entity, key)
) STRICT;
CREATE INDEX sync_master_data_pending_by_sku ON sync_master_data_pending (sku);
";

/// The confirmed part of the series as one watermark instead of a flag per
/// record: head office acknowledges the highest contiguous sequence, so
/// "confirmed" is exactly `seq <= sync_state.confirmed_through` (kept
/// monotone). Setting a flag on each of 1,000 records of ~1.3 KB rewrote
/// their pages and index entries — the round's confirms cost more than its
/// reads (catch-up bench, BENCHMARKS.md). The watermark starts at the
/// highest record V1 had flagged (flags were always set from 1 up).
pub(crate) const V4: &str = "
ALTER TABLE sync_state ADD COLUMN confirmed_through INTEGER NOT NULL DEFAULT 0;
UPDATE sync_state SET confirmed_through =
    (SELECT COALESCE(MAX(seq), 0) FROM sync_records WHERE confirmed = 1);
DROP INDEX sync_records_unconfirmed;
ALTER TABLE sync_records DROP COLUMN confirmed;
";

/// A record whose payload is its document's JSON or a part of it (the
/// `document` record and its `stock_movement` records) holds the byte range
/// of that text in `documents.payload` (`payload_from`, `payload_to`)
/// with `payload` empty instead of a copy; journal entries keep their text
/// in `payload`, and so do rows cut before this version (their ranges are
/// null). See `crate::sync::series`.
pub(crate) const V5: &str = "
ALTER TABLE sync_records ADD COLUMN payload_from INTEGER;
ALTER TABLE sync_records ADD COLUMN payload_to INTEGER;
";
