//! Every error code the sync protocol puts on the wire.
//!
//! Codes are the contract: the terminal's sync loop and the UI branch on
//! them, the server's tests assert them. They never change once released; a
//! new situation gets a new code. The human message next to a code (in an
//! [`ErrorEnvelope`](crate::ErrorEnvelope)) may be reworded at any time.
//!
//! | code | who sends it | meaning | what the sender of the request does |
//! |---|---|---|---|
//! | `sync.malformed` | either | not valid JSON, wrong shape, bad id, bad gzip | fix the software; do not retry unchanged |
//! | `sync.unknown_version` | server | the message's protocol version is not one the server speaks | negotiate again (`hello`) |
//! | `sync.terminal_too_old` | server | no common version; the terminal is older | update the till |
//! | `sync.server_too_old` | server | no common version; head office is older | update head office (or roll the till back) |
//! | `sync.missing_feature` | either | a feature one side requires is not offered by the other | update the side lacking it |
//! | `sync.unsupported_encoding` | either | body encoding (e.g. `br`) not understood | send `identity` or `gzip` |
//! | `sync.batch_too_large` | server | more records or bytes than the limits, or a body inflating past them | split the batch (the planner does) |
//! | `sync.gap` | server | sequences not contiguous, or a batch starting past what the server holds | resend from the acknowledged sequence + 1 |
//! | `sync.repeat` | server | the same sequence or record id twice in one batch | fix the outbox; it is corrupt |
//! | `sync.foreign_terminal` | server | a batch or record claims a terminal other than the authenticated one | never retry: credentials or data are wrong |
//! | `sync.foreign_store` | server | a batch claims a store the terminal is not enrolled in | never retry |
//! | `sync.bad_cursor` | server | a master-data cursor the server cannot read (other format version, tampered) | restart the pull from no cursor |
//! | `sync.page_invalid` | terminal | a master-data page breaks the page rules (order, size, shape) | do not apply it; report |
//! | `sync.server_ahead` | terminal (planner) | head office acknowledges sequences this till never wrote | stop uploading; restored backup or reinstall — call support |
//! | `sync.outbox_pruned` | terminal (planner) | head office needs records this till no longer holds | stop; records would be lost — call support |
//! | `sync.outbox_gap` | terminal (planner) | the till's own outbox is not gapless | stop; the local database is damaged |
//! | `sync.record_too_large` | terminal (planner) | one record alone exceeds the batch byte limit | cannot be sent; report |
//! | `sync.series_conflict` | server | a record in the batch differs (id or content) from the record head office holds at that sequence, or reuses an id head office holds elsewhere; the batch is kept apart, nothing stored in the series, the terminal marked forked | stop uploading; the till is a restored backup or a clone — re-enrol it as a new terminal |
//! | `sync.series_diverged` | terminal | head office's chain at a sequence both hold differs from the till's own (restored backup, cloned disk) | stop uploading (kept on the till); re-enrol as a new terminal |
//! | `sync.invalid_record` | server | a record's payload breaks the payload contract ([`crate::payload`]): wrong shape, out of bounds, control characters; the message names the record (seq, id) and the field | never retry unchanged: nothing of the batch was stored; update the till or call support |
//! | `sync.change_bad_key` | server (publish) | a master-data key is empty, too long, has spaces or control characters, or is not in its entity's form | fix the key; nothing of the publish was stored |
//! | `sync.change_shape` | server (publish) | an upsert without an object, or a delete with data | fix the change; nothing was stored |
//! | `sync.change_unknown_field` | server (publish) | a field the entity does not have | remove or rename it; nothing was stored |
//! | `sync.change_missing_field` | server (publish) | a required field is missing or empty | add it; nothing was stored |
//! | `sync.change_bad_value` | server (publish) | a value the till could not use (unit, lifecycle, negative price, control characters…) | fix the value; nothing was stored |
//! | `sync.change_too_large` | server (publish) | one change larger than 1 MiB | split it; nothing was stored |

/// Not valid JSON, wrong shape, invalid identifier or damaged gzip.
pub const MALFORMED: &str = "sync.malformed";
/// Protocol version of a message outside what the receiver speaks.
pub const UNKNOWN_VERSION: &str = "sync.unknown_version";
/// Negotiation failed: the terminal only speaks versions older than the server's oldest.
pub const TERMINAL_TOO_OLD: &str = "sync.terminal_too_old";
/// Negotiation failed: the server only speaks versions older than the terminal's oldest.
pub const SERVER_TOO_OLD: &str = "sync.server_too_old";
/// Negotiation failed: a required feature is not offered by the other side.
pub const MISSING_FEATURE: &str = "sync.missing_feature";
/// Body encoding not understood.
pub const UNSUPPORTED_ENCODING: &str = "sync.unsupported_encoding";
/// Too many records or bytes in one batch (or a body inflating past the limit).
pub const BATCH_TOO_LARGE: &str = "sync.batch_too_large";
/// Sequences are not contiguous.
pub const GAP: &str = "sync.gap";
/// A sequence or record id appears twice in one batch.
pub const REPEAT: &str = "sync.repeat";
/// Batch or record claims a terminal other than the authenticated one.
pub const FOREIGN_TERMINAL: &str = "sync.foreign_terminal";
/// Batch claims a store other than the terminal's own.
pub const FOREIGN_STORE: &str = "sync.foreign_store";
/// Master-data cursor cannot be read.
pub const BAD_CURSOR: &str = "sync.bad_cursor";
/// Master-data page breaks the page rules.
pub const PAGE_INVALID: &str = "sync.page_invalid";
/// Head office acknowledges more than the terminal ever wrote.
pub const SERVER_AHEAD: &str = "sync.server_ahead";
/// Head office needs records the terminal already dropped.
pub const OUTBOX_PRUNED: &str = "sync.outbox_pruned";
/// The terminal's own outbox has a hole.
pub const OUTBOX_GAP: &str = "sync.outbox_gap";
/// A single record is larger than the batch byte limit.
pub const RECORD_TOO_LARGE: &str = "sync.record_too_large";

/// A record differs from the one head office holds at its sequence.
pub const SERIES_CONFLICT: &str = "sync.series_conflict";
/// The till's series and head office's differ (found by the till).
pub const SERIES_DIVERGED: &str = "sync.series_diverged";
/// A record's payload breaks the payload contract (shape, bounds, characters).
pub const INVALID_RECORD: &str = "sync.invalid_record";
/// A master-data key breaks the key rules or its entity's key form.
pub const CHANGE_BAD_KEY: &str = "sync.change_bad_key";
/// A master-data upsert without an object, or a delete with data.
pub const CHANGE_SHAPE: &str = "sync.change_shape";
/// A master-data change has a field its entity does not have.
pub const CHANGE_UNKNOWN_FIELD: &str = "sync.change_unknown_field";
/// A master-data change lacks a required field.
pub const CHANGE_MISSING_FIELD: &str = "sync.change_missing_field";
/// A master-data change has a value the till could not use.
pub const CHANGE_BAD_VALUE: &str = "sync.change_bad_value";
/// A master-data change is larger than a change may be.
pub const CHANGE_TOO_LARGE: &str = "sync.change_too_large";

/// All codes, for documentation and for tests that check uniqueness.
pub const ALL: &[&str] = &[
    MALFORMED,
    UNKNOWN_VERSION,
    TERMINAL_TOO_OLD,
    SERVER_TOO_OLD,
    MISSING_FEATURE,
    UNSUPPORTED_ENCODING,
    BATCH_TOO_LARGE,
    GAP,
    REPEAT,
    FOREIGN_TERMINAL,
    FOREIGN_STORE,
    BAD_CURSOR,
    PAGE_INVALID,
    SERVER_AHEAD,
    OUTBOX_PRUNED,
    OUTBOX_GAP,
    RECORD_TOO_LARGE,
    SERIES_CONFLICT,
    SERIES_DIVERGED,
    INVALID_RECORD,
    CHANGE_BAD_KEY,
    CHANGE_SHAPE,
    CHANGE_UNKNOWN_FIELD,
    CHANGE_MISSING_FIELD,
    CHANGE_BAD_VALUE,
    CHANGE_TOO_LARGE,
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn codes_are_unique_and_namespaced() {
        let unique: BTreeSet<_> = ALL.iter().collect();
        assert_eq!(unique.len(), ALL.len(), "a code is listed twice");
        for code in ALL {
            let name = code.strip_prefix("sync.").expect("codes live under sync.");
            assert!(
                !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{code} is not area.snake_case"
            );
        }
    }
}
