//! Generated-input tests of what head office and a till read off the wire:
//! the body decoder (plain and gzip, valid, damaged and garbage), the upload
//! batch validator, the ingest split, the master-data page check and the
//! cursor. No input panics, every refusal has a stable `sync.*` code, the
//! same input always gets the same answer, and what decodes re-encodes to
//! the same value.
//!
//! Each property runs proptest's default 256 cases in the test suite and
//! `PROPTEST_CASES` cases in a soak run:
//! `PROPTEST_CASES=1000000 cargo test --release -p kasa-sync-protocol --test fuzz_wire`.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use kasa_domain::ErrorCode;
use kasa_sync_protocol::body::{gzip, inflate};
use kasa_sync_protocol::limits::{MAX_ID_BYTES, MAX_KEY_BYTES};
use kasa_sync_protocol::master_data::{
    ChangeOp, Cursor, CursorPosition, Entity, MasterDataChange, MasterDataPage,
    MasterDataPageRequest, check_page,
};
use kasa_sync_protocol::{
    Ack, BatchContext, BodyEncoding, Limits, ProtocolVersion, Record, RecordKind, UploadBatch,
    VersionRange, codes, decode_body, encode_body, split_against_held, validate_batch,
};
use proptest::prelude::*;
use serde_json::Value;
use uuid::Uuid;

const TERMINAL: &str = "T01";
const STORE: &str = "S001";

fn context(limits: Limits) -> BatchContext<'static> {
    BatchContext {
        terminal_id: TERMINAL,
        store_id: STORE,
        accepted: VersionRange::SUPPORTED,
        limits,
    }
}

/// JSON without floats (payloads carry money as strings).
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(any::<String>(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// An id the validator may or may not accept.
fn some_id(good: &'static str) -> impl Strategy<Value = String> {
    prop_oneof![
        4 => Just(good.to_owned()),
        1 => "[A-Za-z0-9._-]{1,8}",
        1 => any::<String>(),
        1 => Just("x".repeat(MAX_ID_BYTES + 1)),
    ]
}

fn kind() -> impl Strategy<Value = RecordKind> {
    prop::sample::select(RecordKind::ALL.to_vec())
}

/// A record at `seq` (shifted by `skew`), with an id from a small pool so
/// repeats happen.
fn record(seq: u64) -> impl Strategy<Value = Record> {
    (
        some_id(TERMINAL),
        prop_oneof![6 => Just(0i64), 1 => -2i64..3],
        0u128..8,
        any::<u128>(),
        any::<bool>(),
        kind(),
        prop_oneof![
            Just(None),
            Just(Some("sale".to_owned())),
            Just(Some(String::new())),
            Just(Some("t".repeat(MAX_KEY_BYTES + 1))),
            any::<String>().prop_map(Some),
        ],
        -62_000_000_000i64..250_000_000_000,
        json_value(),
    )
        .prop_map(
            move |(
                terminal_id,
                skew,
                small_id,
                big_id,
                pooled,
                kind,
                document_type,
                secs,
                payload,
            )| {
                Record {
                    terminal_id,
                    seq: seq.saturating_add_signed(skew),
                    id: Uuid::from_u128(if pooled { small_id } else { big_id }),
                    kind,
                    document_type,
                    created_at: DateTime::<Utc>::from_timestamp(secs, 0).unwrap_or_default(),
                    payload,
                }
            },
        )
}

/// A batch that is valid often enough to reach every check.
fn batch() -> impl Strategy<Value = UploadBatch> {
    (
        prop_oneof![
            8 => Just(ProtocolVersion::CURRENT),
            1 => (any::<u16>(), any::<u16>()).prop_map(|(a, b)| ProtocolVersion::new(a, b)),
        ],
        some_id(TERMINAL),
        some_id(STORE),
        prop_oneof![
            6 => 1u64..1_000,
            1 => Just(0u64),
            1 => (u64::MAX - 8)..=u64::MAX,
        ],
        0usize..7,
    )
        .prop_flat_map(|(protocol, terminal_id, store_id, first_seq, len)| {
            let records: Vec<_> = (0..len as u64)
                .map(|i| record(first_seq.saturating_add(i)))
                .collect();
            (
                Just(protocol),
                Just(terminal_id),
                Just(store_id),
                Just(first_seq),
                records,
            )
        })
        .prop_map(
            |(protocol, terminal_id, store_id, first_seq, records)| UploadBatch {
                protocol,
                terminal_id,
                store_id,
                first_seq,
                records,
            },
        )
}

fn limits() -> impl Strategy<Value = Limits> {
    prop_oneof![
        3 => Just(Limits::default()),
        1 => (0u32..8, 0u64..4_096, 0u32..8).prop_map(|(r, b, p)| Limits {
            max_batch_records: r,
            max_batch_bytes: b,
            max_page_changes: p,
        }),
    ]
}

fn change() -> impl Strategy<Value = MasterDataChange> {
    (
        prop_oneof![4 => 1u64..50, 1 => any::<u64>()],
        prop::sample::select(Entity::ALL.to_vec()),
        prop_oneof![
            4 => "[A-Z0-9]{1,12}",
            1 => Just(String::new()),
            1 => Just("k".repeat(MAX_KEY_BYTES + 1)),
            1 => any::<String>(),
        ],
        prop_oneof![Just(ChangeOp::Upsert), Just(ChangeOp::Delete)],
        prop_oneof![
            2 => Just(Value::Null),
            2 => Just(serde_json::json!({ "name": "x" })),
            1 => json_value(),
        ],
    )
        .prop_map(|(version, entity, key, op, data)| MasterDataChange {
            version,
            entity,
            key,
            op,
            data,
        })
}

/// A page whose versions mostly ascend (sorted) and sometimes do not.
fn page() -> impl Strategy<Value = MasterDataPage> {
    (
        prop::collection::vec(change(), 0..8),
        any::<bool>(),
        any::<bool>(),
        prop_oneof![3 => 40u64..60, 1 => any::<u64>()],
    )
        .prop_map(|(mut changes, sorted, has_more, server_version)| {
            if sorted {
                changes.sort_by_key(|c| c.version);
            }
            MasterDataPage {
                changes,
                next_cursor: Cursor::encode(CursorPosition { after_version: 0 }),
                has_more,
                server_version,
            }
        })
}

/// Bytes derived from a valid message: flipped, cut, extended or spliced.
fn damaged(valid: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    let len = valid.len();
    prop_oneof![
        prop::collection::vec((0..len.max(1), any::<u8>()), 1..4).prop_map({
            let valid = valid.clone();
            move |flips| {
                let mut bytes = valid.clone();
                for (at, byte) in flips {
                    if let Some(b) = bytes.get_mut(at) {
                        *b ^= byte | 1;
                    }
                }
                bytes
            }
        }),
        (0..=len).prop_map({
            let valid = valid.clone();
            move |cut| valid[..cut].to_vec()
        }),
        prop::collection::vec(any::<u8>(), 1..16).prop_map({
            let valid = valid.clone();
            move |tail| [valid.clone(), tail].concat()
        }),
        (0..=len, prop::collection::vec(any::<u8>(), 0..16))
            .prop_map(move |(at, mid)| { [&valid[..at], &mid[..], &valid[at..]].concat() }),
    ]
}

/// Garbage, or a damaged valid body in either encoding.
fn body_bytes() -> impl Strategy<Value = (Vec<u8>, BodyEncoding)> {
    let encoding = prop_oneof![Just(BodyEncoding::Identity), Just(BodyEncoding::Gzip)];
    prop_oneof![
        (prop::collection::vec(any::<u8>(), 0..256), encoding.clone()),
        (
            prop::collection::vec(any::<u8>(), 0..64),
            Just(BodyEncoding::Gzip)
        )
            .prop_map(|(bytes, e)| (gzip(&bytes).unwrap(), e)),
        (batch(), encoding).prop_flat_map(|(batch, encoding)| {
            let valid = encode_body(&batch, encoding).unwrap();
            (damaged(valid), Just(encoding))
        }),
    ]
}

/// Decode as `T`: refusals are named; what decodes re-encodes and decodes
/// to the same value in both encodings.
fn check_decode<T>(
    bytes: &[u8],
    encoding: BodyEncoding,
    max_bytes: u64,
) -> Result<(), TestCaseError>
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let first = decode_body::<T>(bytes, encoding, max_bytes);
    let again = decode_body::<T>(bytes, encoding, max_bytes);
    prop_assert_eq!(&first, &again);
    match first {
        Err(e) => prop_assert!(
            [codes::MALFORMED, codes::BATCH_TOO_LARGE].contains(&e.code()),
            "{}",
            e.code()
        ),
        Ok(message) => {
            for encoding in [BodyEncoding::Identity, BodyEncoding::Gzip] {
                let body = encode_body(&message, encoding).unwrap();
                let back: T = decode_body(&body, encoding, u64::MAX).unwrap();
                prop_assert_eq!(&back, &message);
            }
        }
    }
    Ok(())
}

/// The validator's answer must follow from the batch: what it accepts is a
/// gapless series of this terminal with unique ids and sound types.
fn check_accepted(batch: &UploadBatch, ctx: &BatchContext<'_>) -> Result<(), TestCaseError> {
    prop_assert!(ctx.accepted.contains(batch.protocol));
    prop_assert_eq!(batch.terminal_id.as_str(), ctx.terminal_id);
    prop_assert_eq!(batch.store_id.as_str(), ctx.store_id);
    prop_assert!(!batch.records.is_empty());
    prop_assert!(batch.records.len() <= ctx.limits.max_batch_records as usize);
    prop_assert!(batch.encoded_len() <= ctx.limits.max_batch_bytes);
    prop_assert!(batch.first_seq >= 1);
    let mut ids = HashSet::new();
    for (i, record) in batch.records.iter().enumerate() {
        prop_assert_eq!(record.seq, batch.first_seq + i as u64);
        prop_assert_eq!(record.terminal_id.as_str(), ctx.terminal_id);
        prop_assert!(ids.insert(record.id));
        if record.kind == RecordKind::Document {
            prop_assert!(record.document_type.is_some());
        }
        if let Some(t) = &record.document_type {
            prop_assert!(!t.is_empty() && t.len() <= MAX_KEY_BYTES);
        }
    }
    Ok(())
}

proptest! {
    /// Garbage and damaged bodies, plain or gzip, any limit: decoding never
    /// panics, refuses with a stable code and, when it succeeds, the
    /// message round-trips.
    #[test]
    fn any_body_decodes_or_is_refused(
        (bytes, encoding) in body_bytes(),
        max_bytes in prop_oneof![3 => Just(1u64 << 20), 1 => 0u64..512],
    ) {
        check_decode::<UploadBatch>(&bytes, encoding, max_bytes)?;
        check_decode::<Ack>(&bytes, encoding, max_bytes)?;
        check_decode::<MasterDataPage>(&bytes, encoding, max_bytes)?;
        check_decode::<MasterDataPageRequest>(&bytes, encoding, max_bytes)?;
    }


    /// A batch survives both encodings byte for byte, and the size limit is
    /// inclusive: exactly the inflated size passes, one byte less refuses.
    #[test]
    fn batches_round_trip_at_their_size_limit(batch in batch()) {
        let json = encode_body(&batch, BodyEncoding::Identity).unwrap();
        for encoding in [BodyEncoding::Identity, BodyEncoding::Gzip] {
            let body = encode_body(&batch, encoding).unwrap();
            let len = json.len() as u64;
            let back: UploadBatch = decode_body(&body, encoding, len).unwrap();
            prop_assert_eq!(&back, &batch);
            prop_assert_eq!(encode_body(&back, BodyEncoding::Identity).unwrap(), json.clone());
            prop_assert_eq!(
                inflate(&body, encoding, len - 1).unwrap_err().code(),
                codes::BATCH_TOO_LARGE
            );
        }
    }


    /// Any batch, any limits, any held sequence: validation never panics,
    /// gives one answer, names its refusal, and accepts only sound series;
    /// the ingest split of an accepted batch is where the held series ends.
    #[test]
    fn any_batch_is_validated_consistently(
        batch in batch(),
        limits in limits(),
        held in prop_oneof![3 => 0u64..1_100, 1 => any::<u64>()],
    ) {
        let ctx = context(limits);
        let first = validate_batch(&batch, &ctx);
        prop_assert_eq!(&first, &validate_batch(&batch, &ctx));
        match first {
            Err(e) => prop_assert!(codes::ALL.contains(&e.code()), "{}", e.code()),
            Ok(bytes) => {
                prop_assert_eq!(bytes, batch.encoded_len());
                check_accepted(&batch, &ctx)?;
                match split_against_held(&batch, held) {
                    Err(e) => {
                        prop_assert_eq!(e.code(), codes::GAP);
                        prop_assert!(batch.first_seq > held.saturating_add(1));
                    }
                    Ok(split) => {
                        prop_assert_eq!(split.already_held, split.new_from);
                        let expected = (held.saturating_add(1) - batch.first_seq)
                            .min(batch.records.len() as u64);
                        prop_assert_eq!(split.already_held as u64, expected);
                    }
                }
            }
        }
    }


    /// Any page against any request: the check never panics, gives one
    /// answer, and passes only ascending, bounded, well-formed changes.
    #[test]
    fn any_page_is_checked_consistently(page in page(), limit in any::<u32>()) {
        let request = MasterDataPageRequest { cursor: None, limit };
        let first = check_page(&page, &request);
        prop_assert_eq!(&first, &check_page(&page, &request));
        match first {
            Err(e) => prop_assert_eq!(e.code(), codes::PAGE_INVALID),
            Ok(()) => {
                prop_assert!(page.changes.len() <= request.effective_limit() as usize);
                prop_assert!(!(page.changes.is_empty() && page.has_more));
                let mut previous = 0;
                for c in &page.changes {
                    prop_assert!(c.version > previous && c.version <= page.server_version);
                    prop_assert!(!c.key.is_empty() && c.key.len() <= MAX_KEY_BYTES);
                    prop_assert_eq!(c.op == ChangeOp::Delete, c.data.is_null());
                    prop_assert!(c.op == ChangeOp::Delete || c.data.is_object());
                    previous = c.version;
                }
            }
        }
    }


    /// Any cursor text and any encoding header: no panic; a cursor that
    /// decodes is exactly the one its position encodes to.
    #[test]
    fn any_cursor_or_header_is_read_or_refused(
        text in prop_oneof![
            any::<String>(),
            "md1:[0-9a-fA-F]{14,18}",
            any::<u64>().prop_map(|v| Cursor::encode(CursorPosition { after_version: v }).0),
        ],
    ) {
        let cursor = Cursor(text.clone());
        match cursor.decode() {
            Ok(position) => prop_assert_eq!(Cursor::encode(position), cursor),
            Err(e) => prop_assert_eq!(e.code(), codes::BAD_CURSOR),
        }
        match BodyEncoding::from_header(Some(&text)) {
            Ok(_) => prop_assert!(["", "identity", "gzip"].contains(&text.trim().to_ascii_lowercase().as_str())),
            Err(e) => prop_assert_eq!(e.code(), codes::UNSUPPORTED_ENCODING),
        }
    }
}

/// Found by `any_batch_is_validated_consistently`: a batch whose last
/// record holds the highest sequence but one overflowed the validator's
/// sequence counter (a panic in builds with overflow checks).
#[test]
fn a_batch_ending_just_below_the_last_sequence_number_is_validated() {
    let record = Record {
        terminal_id: TERMINAL.to_owned(),
        seq: u64::MAX - 1,
        id: Uuid::from_u128(1),
        kind: RecordKind::StockMovement,
        document_type: None,
        created_at: DateTime::<Utc>::from_timestamp(0, 0).unwrap(),
        payload: Value::Null,
    };
    let batch = UploadBatch {
        protocol: ProtocolVersion::CURRENT,
        terminal_id: TERMINAL.to_owned(),
        store_id: STORE.to_owned(),
        first_seq: u64::MAX - 1,
        records: vec![record],
    };
    assert_eq!(
        validate_batch(&batch, &context(Limits::default())),
        Ok(batch.encoded_len())
    );
}
