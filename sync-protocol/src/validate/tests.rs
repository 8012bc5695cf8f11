use std::collections::HashSet;

use kasa_domain::ErrorCode;
use proptest::prelude::*;

use super::*;
use crate::test_support::{batch, context, record, valid_batch};

fn ok_batch() -> UploadBatch {
    batch(
        7,
        (7..10)
            .map(|seq| record(seq, 1, RecordKind::Document, 10))
            .collect(),
    )
}

#[test]
fn a_valid_batch_passes_and_reports_its_size() {
    let b = ok_batch();
    let bytes = validate_batch(&b, &context()).unwrap();
    assert_eq!(bytes, serde_json::to_vec(&b).unwrap().len() as u64);
}

#[test]
fn the_byte_limit_is_checked_against_the_body_length_given() {
    let b = ok_batch();
    let compact = serde_json::to_vec(&b).unwrap().len() as u64;
    let mut ctx = context();
    ctx.limits.max_batch_bytes = compact;
    assert_eq!(validate_batch_of_len(&b, compact, &ctx), Ok(compact));
    // the same batch as a padded body one byte over the limit is refused
    let err = validate_batch_of_len(&b, compact + 1, &ctx).unwrap_err();
    assert_eq!(
        err,
        BatchError::TooManyBytes {
            bytes: compact + 1,
            max: compact
        }
    );
    assert_eq!(err.code(), codes::BATCH_TOO_LARGE);
}

#[test]
fn batch_level_failures_table() {
    type Mutation = fn(&mut UploadBatch);
    let cases: &[(&str, Mutation, &str)] = &[
        (
            "newer version",
            |b| b.protocol = ProtocolVersion::new(9, 0),
            codes::UNKNOWN_VERSION,
        ),
        (
            "older version",
            |b| b.protocol = ProtocolVersion::new(0, 9),
            codes::UNKNOWN_VERSION,
        ),
        (
            "other terminal",
            |b| b.terminal_id = "T02".into(),
            codes::FOREIGN_TERMINAL,
        ),
        (
            "other store",
            |b| b.store_id = "S002".into(),
            codes::FOREIGN_STORE,
        ),
        (
            "empty terminal id",
            |b| b.terminal_id.clear(),
            codes::MALFORMED,
        ),
        (
            "id with quote",
            |b| b.store_id = "S\"1".into(),
            codes::MALFORMED,
        ),
        (
            "long id",
            |b| b.terminal_id = "T".repeat(65),
            codes::MALFORMED,
        ),
        ("no records", |b| b.records.clear(), codes::MALFORMED),
        (
            "seq zero",
            |b| {
                b.first_seq = 0;
                for (i, r) in b.records.iter_mut().enumerate() {
                    r.seq = i as u64;
                }
            },
            codes::MALFORMED,
        ),
        (
            "document without type",
            |b| b.records[1].document_type = None,
            codes::MALFORMED,
        ),
        (
            "empty document type",
            |b| b.records[1].document_type = Some(String::new()),
            codes::MALFORMED,
        ),
        (
            "record from other terminal",
            |b| b.records[2].terminal_id = "T99".into(),
            codes::FOREIGN_TERMINAL,
        ),
        ("gap", |b| b.records[1].seq += 1, codes::GAP),
        ("before first", |b| b.records[0].seq -= 1, codes::GAP),
        (
            "repeat seq",
            |b| b.records[2].seq = b.records[0].seq,
            codes::REPEAT,
        ),
        (
            "repeat id",
            |b| b.records[2].id = b.records[0].id,
            codes::REPEAT,
        ),
    ];
    for (name, mutate, code) in cases {
        let mut b = ok_batch();
        mutate(&mut b);
        let err = validate_batch(&b, &context()).expect_err(name);
        assert_eq!(err.code(), *code, "{name}: {err}");
        assert!(!err.to_string().is_empty());
    }
}

#[test]
fn non_documents_may_omit_document_type() {
    let mut b = ok_batch();
    b.records[1].kind = RecordKind::Audit;
    b.records[1].document_type = None;
    assert!(validate_batch(&b, &context()).is_ok());
}

#[test]
fn count_limit_is_inclusive() {
    let mut ctx = context();
    ctx.limits.max_batch_records = 3;
    assert!(validate_batch(&ok_batch(), &ctx).is_ok());
    ctx.limits.max_batch_records = 2;
    let err = validate_batch(&ok_batch(), &ctx).unwrap_err();
    assert_eq!(err, BatchError::TooManyRecords { count: 3, max: 2 });
    assert_eq!(err.code(), codes::BATCH_TOO_LARGE);
}

#[test]
fn byte_limit_is_inclusive() {
    let b = ok_batch();
    let size = b.encoded_len();
    let mut ctx = context();
    ctx.limits.max_batch_bytes = size;
    assert_eq!(validate_batch(&b, &ctx), Ok(size));
    ctx.limits.max_batch_bytes = size - 1;
    let err = validate_batch(&b, &ctx).unwrap_err();
    assert_eq!(err.code(), codes::BATCH_TOO_LARGE);
}

#[test]
fn default_limits_refuse_a_batch_over_the_record_ceiling() {
    let records = (1..=u64::from(crate::limits::MAX_BATCH_RECORDS) + 1)
        .map(|seq| record(seq, 3, RecordKind::Audit, 0))
        .collect();
    let err = validate_batch(&batch(1, records), &context()).unwrap_err();
    assert_eq!(err.code(), codes::BATCH_TOO_LARGE);
}

#[test]
fn split_against_held_table() {
    let b = ok_batch(); // seqs 7, 8, 9
    let cases: &[(u64, Result<usize, u64>)] = &[
        (6, Ok(0)),  // exactly the next records
        (7, Ok(1)),  // retry overlapping one
        (9, Ok(3)),  // whole batch already held
        (20, Ok(3)), // held far beyond (lost acks)
        (5, Err(6)), // would leave seq 6 missing
        (0, Err(1)),
    ];
    for (held, expected) in cases {
        match (split_against_held(&b, *held), expected) {
            (Ok(split), Ok(n)) => {
                assert_eq!(split.already_held, *n, "held {held}");
                assert_eq!(split.new_from, *n);
            }
            (Err(BatchError::Gap { expected: e, found }), Err(want)) => {
                assert_eq!((e, found), (*want, 7), "held {held}");
            }
            (got, want) => panic!("held {held}: got {got:?}, want {want:?}"),
        }
    }
}

proptest! {
    #[test]
    fn valid_batches_pass(b in valid_batch(40)) {
        let bytes = validate_batch(&b, &context()).unwrap();
        prop_assert_eq!(bytes, serde_json::to_vec(&b).unwrap().len() as u64);
    }

    #[test]
    fn an_injected_gap_is_refused_as_gap(
        b in valid_batch(40),
        at in any::<prop::sample::Index>(),
        skip in 1u64..5,
    ) {
        let mut b = b;
        let i = at.index(b.records.len());
        let expected = b.records[i].seq;
        for r in &mut b.records[i..] {
            r.seq += skip;
        }
        let err = validate_batch(&b, &context()).unwrap_err();
        prop_assert_eq!(err, BatchError::Gap { expected, found: expected + skip });
    }

    #[test]
    fn an_injected_repeated_seq_is_refused_as_repeat(
        b in valid_batch(40).prop_filter("two records", |b| b.records.len() >= 2),
        at in any::<prop::sample::Index>(),
        earlier in any::<prop::sample::Index>(),
    ) {
        let mut b = b;
        let i = 1 + at.index(b.records.len() - 1);
        let j = earlier.index(i);
        b.records[i].seq = b.records[j].seq;
        let err = validate_batch(&b, &context()).unwrap_err();
        prop_assert_eq!(err.code(), codes::REPEAT);
        prop_assert_eq!(err, BatchError::RepeatedSeq { seq: b.records[j].seq });
    }

    #[test]
    fn an_injected_repeated_id_is_refused_as_repeat(
        b in valid_batch(40).prop_filter("two records", |b| b.records.len() >= 2),
        at in any::<prop::sample::Index>(),
        earlier in any::<prop::sample::Index>(),
    ) {
        let mut b = b;
        let i = 1 + at.index(b.records.len() - 1);
        let j = earlier.index(i);
        b.records[i].id = b.records[j].id;
        let err = validate_batch(&b, &context()).unwrap_err();
        prop_assert_eq!(err.code(), codes::REPEAT);
        prop_assert_eq!(err, BatchError::RepeatedId {
            id: b.records[j].id,
            first_seq: b.records[j].seq,
            second_seq: b.records[i].seq,
        });
    }

    #[test]
    fn a_record_claiming_another_terminal_is_refused(
        b in valid_batch(40),
        at in any::<prop::sample::Index>(),
    ) {
        let mut b = b;
        let i = at.index(b.records.len());
        b.records[i].terminal_id = "T02".to_owned();
        let err = validate_batch(&b, &context()).unwrap_err();
        prop_assert_eq!(err.code(), codes::FOREIGN_TERMINAL);
    }

    /// Reference model: a batch of arbitrary sequences and ids is accepted
    /// exactly when its sequences are `first_seq, first_seq + 1, …` and its
    /// ids are distinct.
    #[test]
    fn accepted_exactly_when_the_model_says_so(
        first_seq in 1u64..20,
        cells in prop::collection::vec((0u64..25, 0u64..6), 1..12),
    ) {
        let records: Vec<_> = cells
            .iter()
            .map(|&(seq, id)| {
                let mut r = record(seq, 0, RecordKind::Audit, 0);
                r.id = uuid::Uuid::from_u128(u128::from(id) + 1);
                r
            })
            .collect();
        let b = batch(first_seq, records);
        let contiguous = cells
            .iter()
            .enumerate()
            .all(|(i, &(seq, _))| seq == first_seq + i as u64);
        let distinct = cells.iter().map(|&(_, id)| id).collect::<HashSet<_>>().len() == cells.len();
        let got = validate_batch(&b, &context());
        prop_assert_eq!(got.is_ok(), contiguous && distinct, "{:?}", got);
        if let Err(err) = got {
            prop_assert!([codes::GAP, codes::REPEAT].contains(&err.code()));
        }
    }

    #[test]
    fn a_split_never_skips_nor_repeats(b in valid_batch(20), held in 0u64..1_000_100) {
        match split_against_held(&b, held) {
            Ok(split) => {
                prop_assert!(b.first_seq <= held + 1);
                for (i, r) in b.records.iter().enumerate() {
                    prop_assert_eq!(i < split.already_held, r.seq <= held);
                }
            }
            Err(err) => {
                prop_assert!(b.first_seq > held + 1);
                prop_assert_eq!(err.code(), codes::GAP);
            }
        }
    }
}

#[test]
fn ids_are_checked_by_the_documented_rule() {
    for good in ["T01", "S001", "store-7.back_room", &"x".repeat(64)] {
        assert!(is_valid_id(good), "{good}");
    }
    for bad in ["", "T 01", "T/01", "Τ01", &"x".repeat(65)] {
        assert!(!is_valid_id(bad), "{bad}");
    }
}
