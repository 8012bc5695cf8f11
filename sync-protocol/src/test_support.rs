//! Generators shared by the crate's unit and property tests.

use chrono::{DateTime, Utc};
use proptest::prelude::*;
use serde_json::json;
use uuid::Uuid;

use crate::limits::Limits;
use crate::upload::{Record, RecordKind, UploadBatch};
use crate::validate::BatchContext;
use crate::version::{ProtocolVersion, VersionRange};

pub const TERMINAL: &str = "T01";
pub const STORE: &str = "S001";

pub fn context() -> BatchContext<'static> {
    BatchContext {
        terminal_id: TERMINAL,
        store_id: STORE,
        accepted: VersionRange::SUPPORTED,
        limits: Limits::default(),
    }
}

/// A record whose content is derived from `(seq, salt)`.
pub fn record(seq: u64, salt: u64, kind: RecordKind, payload_len: usize) -> Record {
    let created_at =
        DateTime::<Utc>::from_timestamp(1_790_000_000 + seq as i64, 0).expect("timestamp in range");
    Record {
        terminal_id: TERMINAL.to_owned(),
        seq,
        id: Uuid::from_u128((u128::from(salt) << 64) | u128::from(seq)),
        kind,
        document_type: match kind {
            RecordKind::Document | RecordKind::StockMovement => Some("sale".to_owned()),
            _ => None,
        },
        created_at,
        payload: json!({ "note": "x".repeat(payload_len), "seq": seq }),
    }
}

pub fn batch(first_seq: u64, records: Vec<Record>) -> UploadBatch {
    UploadBatch {
        protocol: ProtocolVersion::CURRENT,
        terminal_id: TERMINAL.to_owned(),
        store_id: STORE.to_owned(),
        first_seq,
        records,
    }
}

pub fn kind() -> impl Strategy<Value = RecordKind> {
    prop::sample::select(RecordKind::ALL.to_vec())
}

/// A valid batch: 1..=max_len contiguous records starting somewhere.
pub fn valid_batch(max_len: usize) -> impl Strategy<Value = UploadBatch> {
    (
        1u64..1_000_000,
        any::<u64>(),
        prop::collection::vec((kind(), 0usize..64), 1..=max_len),
    )
        .prop_map(|(first_seq, salt, shapes)| {
            let records = shapes
                .into_iter()
                .enumerate()
                .map(|(i, (kind, len))| record(first_seq + i as u64, salt, kind, len))
                .collect();
            batch(first_seq, records)
        })
}
