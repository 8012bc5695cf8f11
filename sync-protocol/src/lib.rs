//! # kasa-sync-protocol
//!
//! The wire contract between Kasa terminals and head office: message types,
//! versions and negotiation, limits, and the pure rules both sides apply —
//! batch validation on the server, upload planning on the terminal, page
//! checks for master data. No I/O and no clock: the terminal's sync loop and
//! the server's handlers are built on top of this crate.
//!
//! ## Message flow
//!
//! ```text
//! terminal                                              head office
//!   │ POST /sync/v1/hello          Hello ─────────────────▶ negotiate()
//!   │ ◀──────────── HelloReply::Welcome{agreed} | ::Refusal{code,message}
//!   │ GET  /sync/v1/upload/status  ───────────────────────▶
//!   │ ◀──────────────────────────── Ack{highest_contiguous_seq}
//!   │ plan_upload(outbox, ack) → batches
//!   │ POST /sync/v1/upload         UploadBatch ───────────▶ validate_batch()
//!   │                                                        payload::read_record() each record
//!   │                                                        split_against_held()
//!   │                                                        store (dedup on seq and id)
//!   │ ◀──────────────────────────── Ack | ErrorEnvelope
//!   │ mark ≤ ack synced; next batch …
//!   │ POST /sync/v1/master-data    MasterDataPageRequest{cursor} ─▶
//!   │                                                        build_page() from the change log
//!   │ ◀──────────────────────────── MasterDataPage{changes, next_cursor, has_more}
//!   │ check_page(); apply page + save cursor in ONE transaction; repeat while has_more
//! ```
//!
//! ## Versions
//!
//! A [`ProtocolVersion`] is `major.minor`. `hello` carries the range each
//! side speaks and [`negotiate`] picks the highest common version; with no
//! common version the [`Refusal`] says which side is too old and what to
//! install (`sync.terminal_too_old`: "update the till to ≥ 2.0"). Minor
//! versions only add optional fields or features; majors get new paths
//! (`/sync/v2/…`). `hello` messages ignore unknown fields forever; every
//! later message is strict (`deny_unknown_fields`), because after
//! negotiation both sides know exactly which shape to send. This build
//! speaks 1.0 only ([`VersionRange::SUPPORTED`]).
//!
//! ## Limits (see [`limits`])
//!
//! 4,000 records and 8 MiB (compact JSON, before gzip) per upload batch; gzip
//! bodies are refused as soon as they inflate past the same 8 MiB; 5,000
//! changes or 8 MiB per master-data page; ids of 64 bytes. A side may
//! advertise smaller limits; negotiation takes the smaller of each.
//!
//! ## Delivery: at-least-once + dedup = exactly-once effect
//!
//! - Each terminal writes one gapless series (`seq` from 1) in the same
//!   transaction as the document; each [`Record`] also carries the id the
//!   terminal made (UUIDv7), saved before sending and reused on every retry.
//! - The terminal resends until acknowledged, so the server may see a
//!   record many times. It stores each at most once: unique on
//!   `(terminal, seq)` and on the record id within its tenant (another
//!   tenant's ids never make a record a duplicate). A record already held is
//!   counted in [`Ack::duplicates`], not applied again.
//! - Server side effects (stock per store, sales totals, loyalty) are keyed
//!   by the record / document id, so a retry never doubles them.
//! - The server never holds a series with a hole: a batch starting past
//!   `held + 1` is refused with `sync.gap`
//!   ([`split_against_held`]); the [`Ack`] names the highest *contiguous*
//!   sequence, and the terminal resends from the next one.
//! - The terminal drops nothing until acknowledged; [`plan_upload`] stops
//!   with a named error (never a silent skip) if the two sides' statuses
//!   cannot both be true (server ahead, records pruned, outbox gap).
//!
//! ## Payloads
//!
//! What a record's payload holds is the contract in [`payload`]: typed
//! readers for documents, stock movements, journal entries and audit
//! records, with bounds that keep every sum head office keeps inside the
//! decimal range. Head office reads each record with
//! [`payload::read_record`] and refuses a batch holding a record that fails
//! (`sync.invalid_record`).
//!
//! ## Errors
//!
//! Every refusal is an [`ErrorEnvelope`] `{"error":{"code","message"}}`
//! with a stable code from [`codes`]; every error type implements
//! [`kasa_domain::ErrorCode`]. Golden files of every message live in
//! `fixtures/sync/` and a test fails on any change of the wire format.

pub mod body;
pub mod codes;
pub mod envelope;
pub mod examples;
pub mod http;
pub mod identity;
pub mod limits;
pub mod master_data;
pub mod payload;
pub mod plan;
pub mod upload;
pub mod validate;
pub mod version;

#[cfg(test)]
mod delivery_tests;
#[cfg(test)]
pub(crate) mod test_support;

pub use body::{BodyEncoding, BodyError, decode_body, encode_body};
pub use envelope::{ErrorBody, ErrorEnvelope};
pub use identity::{
    SeriesHash, SeriesPoint, SeriesVerdict, compare_series, first_divergent_seq, record_digest,
};
pub use limits::Limits;
pub use master_data::{
    ChangeError, ChangeFault, ChangeOp, Cursor, CursorError, CursorPosition, DeleteKey,
    EncodedPage, Entity, MasterDataChange, MasterDataPage, MasterDataPageRequest,
    MasterDataPayload, PageError, StoredChange, TypedChange, build_page, check_page, encode_page,
};
pub use plan::{OutboxEntry, PlanError, PlannedBatch, UploadPlan, plan_upload};
pub use upload::{Ack, Record, RecordKind, UploadBatch};
pub use validate::{BatchContext, BatchError, IngestSplit, split_against_held, validate_batch};
pub use version::{
    Agreed, Capabilities, Feature, Hello, HelloReply, NegotiationError, ProtocolVersion, Refusal,
    Side, VersionRange, Welcome, negotiate,
};
