use kasa_domain::ErrorCode;
use proptest::prelude::*;

use super::*;
use crate::test_support::{STORE, TERMINAL, context, record};
use crate::upload::RecordKind;
use crate::validate::validate_batch;

fn entries(from: u64, to: u64, len: u64) -> Vec<OutboxEntry> {
    (from..=to)
        .map(|seq| OutboxEntry {
            seq,
            encoded_len: len,
        })
        .collect()
}

fn limits(max_batch_records: u32, max_batch_bytes: u64) -> Limits {
    Limits {
        max_batch_records,
        max_batch_bytes,
        ..Limits::default()
    }
}

#[test]
fn nothing_to_do_when_everything_is_acked() {
    let plan = plan_upload(10, &entries(8, 10, 100), 10, &Limits::default()).unwrap();
    assert!(plan.is_idle());
    assert_eq!(plan.confirm_through, 10);
    assert_eq!(plan.newly_confirmed, 3);
    let plan = plan_upload(0, &[], 0, &Limits::default()).unwrap();
    assert!(plan.is_idle());
    assert_eq!(plan.newly_confirmed, 0);
}

#[test]
fn sends_from_the_ack_in_count_bounded_batches() {
    let plan = plan_upload(25, &entries(1, 25, 100), 3, &limits(10, 1 << 20)).unwrap();
    assert_eq!(plan.newly_confirmed, 3);
    let ranges: Vec<_> = plan
        .batches
        .iter()
        .map(|b| (b.first_seq, b.last_seq, b.records))
        .collect();
    assert_eq!(ranges, [(4, 13, 10), (14, 23, 10), (24, 25, 2)]);
    assert_eq!(plan.records_to_send(), 22);
}

#[test]
fn byte_bound_splits_batches() {
    // each record costs 101 bytes; 512 reserve + 4 × 101 = 916 ≤ 1000 < 1017
    let plan = plan_upload(9, &entries(1, 9, 100), 0, &limits(1000, 1000)).unwrap();
    let counts: Vec<_> = plan.batches.iter().map(|b| b.records).collect();
    assert_eq!(counts, [4, 4, 1]);
    assert!(plan.batches.iter().all(|b| b.bytes <= 1000));
}

#[test]
fn failures_table() {
    let cases: &[(&str, u64, Vec<OutboxEntry>, u64, &str)] = &[
        ("server ahead", 5, entries(1, 5, 10), 6, codes::SERVER_AHEAD),
        (
            "fresh till, server has records",
            0,
            vec![],
            40,
            codes::SERVER_AHEAD,
        ),
        (
            "pruned before ack",
            10,
            entries(6, 10, 10),
            3,
            codes::OUTBOX_PRUNED,
        ),
        (
            "all pruned, unacked remain",
            10,
            vec![],
            7,
            codes::OUTBOX_PRUNED,
        ),
        (
            "hole in outbox",
            10,
            [entries(1, 4, 10), entries(6, 10, 10)].concat(),
            0,
            codes::OUTBOX_GAP,
        ),
        (
            "outbox ends early",
            10,
            entries(1, 8, 10),
            0,
            codes::OUTBOX_GAP,
        ),
        (
            "outbox past counter",
            7,
            entries(1, 8, 10),
            0,
            codes::OUTBOX_GAP,
        ),
        ("seq zero", 2, entries(0, 2, 10), 0, codes::OUTBOX_GAP),
        (
            "huge record",
            3,
            entries(1, 3, crate::limits::MAX_BATCH_BYTES + 1),
            0,
            codes::RECORD_TOO_LARGE,
        ),
    ];
    for (name, last, outbox, acked, code) in cases {
        let err = plan_upload(*last, outbox, *acked, &Limits::default()).expect_err(name);
        assert_eq!(err.code(), *code, "{name}: {err}");
    }
}

#[test]
fn a_record_too_large_is_not_reported_once_acked() {
    let mut outbox = entries(1, 3, 100);
    outbox[0].encoded_len = crate::limits::MAX_BATCH_BYTES + 1;
    let plan = plan_upload(3, &outbox, 1, &Limits::default()).unwrap();
    assert_eq!(plan.records_to_send(), 2);
}

#[test]
fn planned_batches_pass_server_validation_and_their_size_is_an_upper_bound() {
    let records: Vec<_> = (1..=60)
        .map(|seq| {
            record(
                seq,
                9,
                RecordKind::ALL[seq as usize % 4],
                (seq as usize * 37) % 300,
            )
        })
        .collect();
    let outbox: Vec<_> = records
        .iter()
        .map(|r| OutboxEntry {
            seq: r.seq,
            encoded_len: r.encoded_len(),
        })
        .collect();
    let limits = limits(25, 6_000);
    let plan = plan_upload(60, &outbox, 0, &limits).unwrap();
    assert!(plan.batches.len() > 2, "limits should split: {plan:?}");
    let mut ctx = context();
    ctx.limits = limits;
    for planned in &plan.batches {
        let slice = records[(planned.first_seq - 1) as usize..planned.last_seq as usize].to_vec();
        let batch = UploadBatch::from_records(ProtocolVersion::CURRENT, TERMINAL, STORE, slice);
        let actual = validate_batch(&batch, &ctx).unwrap();
        assert!(actual <= planned.bytes, "{actual} > {}", planned.bytes);
    }
}

fn outbox_scenario() -> impl Strategy<Value = (u64, Vec<OutboxEntry>, u64)> {
    // (last, pruned-through ≤ acked, acked ≤ last, sizes)
    (0u64..300)
        .prop_flat_map(|last| (Just(last), 0..=last))
        .prop_flat_map(|(last, acked)| (Just(last), 0..=acked, Just(acked)))
        .prop_flat_map(|(last, pruned, acked)| {
            let n = (last - pruned) as usize;
            (
                Just(last),
                Just(pruned),
                Just(acked),
                prop::collection::vec(0u64..3_000, n),
            )
        })
        .prop_map(|(last, pruned, acked, sizes)| {
            let outbox = sizes
                .into_iter()
                .enumerate()
                .map(|(i, encoded_len)| OutboxEntry {
                    seq: pruned + 1 + i as u64,
                    encoded_len,
                })
                .collect();
            (last, outbox, acked)
        })
}

proptest! {
    #[test]
    fn plan_covers_exactly_the_unacked_seqs_once_in_bounds(
        (last, outbox, acked) in outbox_scenario(),
        max_records in 1u32..50,
        max_bytes in 3_600u64..40_000,
    ) {
        let limits = limits(max_records, max_bytes);
        let plan = plan_upload(last, &outbox, acked, &limits).unwrap();
        prop_assert_eq!(plan.confirm_through, acked);
        prop_assert_eq!(plan.newly_confirmed, outbox.iter().filter(|e| e.seq <= acked).count());

        let mut sent = Vec::new();
        for b in &plan.batches {
            prop_assert!(b.records >= 1 && b.records <= max_records);
            prop_assert!(b.bytes <= max_bytes);
            prop_assert_eq!(u64::from(b.records), b.last_seq - b.first_seq + 1);
            let exact: u64 = outbox
                .iter()
                .filter(|e| e.seq >= b.first_seq && e.seq <= b.last_seq)
                .map(|e| e.encoded_len + 1)
                .sum();
            prop_assert_eq!(b.bytes, BATCH_ENVELOPE_RESERVE_BYTES + exact);
            sent.extend(b.first_seq..=b.last_seq);
        }
        let expected: Vec<u64> = (acked + 1..=last).collect();
        prop_assert_eq!(sent, expected);

        // greedy: a batch ends only because the next record would not fit
        for pair in plan.batches.windows(2) {
            let next = outbox.iter().find(|e| e.seq == pair[1].first_seq).unwrap();
            prop_assert!(
                pair[0].records == max_records || pair[0].bytes + next.encoded_len + 1 > max_bytes
            );
        }
    }

    #[test]
    fn an_ack_beyond_the_till_is_always_refused(
        (last, outbox, _acked) in outbox_scenario(),
        beyond in 1u64..1_000,
    ) {
        let err = plan_upload(last, &outbox, last + beyond, &Limits::default()).unwrap_err();
        prop_assert_eq!(err.code(), codes::SERVER_AHEAD);
    }
}
