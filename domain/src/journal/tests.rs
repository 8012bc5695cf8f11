use super::*;
use chrono::NaiveDate;
use proptest::prelude::*;
use rust_decimal_macros::dec;
use serde_json::json;

fn at(minute: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 3, 14)
        .unwrap()
        .and_hms_opt(9, minute % 60, 0)
        .unwrap()
}

fn draft(i: u32, kind: JournalKind, amount: Decimal) -> JournalDraft {
    JournalDraft {
        at: at(i),
        kind,
        document_id: Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 + u128::from(i)),
        document_number: format!("{:010}", i + 1),
        amount: Money(amount),
        payload: json!({"operator": "0001", "lines": i, "tenders": [{"cash": "1.00"}]}),
    }
}

fn chain(drafts: Vec<JournalDraft>) -> Vec<JournalEntry> {
    let mut out: Vec<JournalEntry> = Vec::new();
    for d in drafts {
        let next = JournalEntry::next(out.last(), d);
        out.push(next);
    }
    out
}

/// Ten entries of every kind.
fn sample() -> Vec<JournalEntry> {
    let kinds = [
        (JournalKind::ShiftOpen, dec!(0)),
        (JournalKind::CashIn, dec!(100.00)),
        (JournalKind::Sale, dec!(12.50)),
        (JournalKind::Sale, dec!(3.99)),
        (JournalKind::Return, dec!(3.99)),
        (JournalKind::NoSale, dec!(0)),
        (JournalKind::VoidSale, dec!(12.50)),
        (JournalKind::CashOut, dec!(50.00)),
        (JournalKind::ShiftClose, dec!(0)),
        (JournalKind::ZReport, dec!(0)),
    ];
    chain(
        kinds
            .iter()
            .enumerate()
            .map(|(i, &(k, a))| draft(i as u32, k, a))
            .collect(),
    )
}

fn first_break(entries: Vec<JournalEntry>) -> JournalBreak {
    verify(entries).expect_err("tampering must be detected")
}

#[test]
fn chain_starts_at_genesis_and_verifies() {
    let entries = sample();
    assert_eq!(entries[0].seq, 1);
    assert_eq!(entries[0].prev_hash, GENESIS_HASH);
    assert_eq!(GENESIS_HASH.len(), 64);
    for pair in entries.windows(2) {
        assert_eq!(pair[1].prev_hash, pair[0].hash);
        assert_eq!(pair[1].seq, pair[0].seq + 1);
        assert_eq!(pair[1].hash.len(), 64);
    }
    let verified = verify(entries.clone()).unwrap();
    assert_eq!(verified.entries, 10);
    assert_eq!(verified.last_seq, 10);
    assert_eq!(verified.last_hash, entries[9].hash);
    assert_eq!(verified.totals, entries[9].totals);
    let empty = verify(Vec::new()).unwrap();
    assert_eq!((empty.entries, empty.last_hash.as_str()), (0, GENESIS_HASH));
}

#[test]
fn grand_totals_accumulate_by_kind() {
    let t = sample().last().unwrap().totals.clone();
    assert_eq!(t.entry_count, 10);
    assert_eq!((t.sale_count, t.sales.0), (2, dec!(16.49)));
    assert_eq!((t.return_count, t.returns.0), (1, dec!(3.99)));
    assert_eq!((t.void_count, t.voids.0), (1, dec!(12.50)));
    assert_eq!((t.cash_in_count, t.cash_in.0), (1, dec!(100.00)));
    assert_eq!((t.cash_out_count, t.cash_out.0), (1, dec!(50.00)));
    assert_eq!(
        (
            t.no_sale_count,
            t.shift_open_count,
            t.shift_close_count,
            t.z_report_count
        ),
        (1, 1, 1, 1)
    );
    assert_eq!(t.net_sales().0, dec!(0.00));
    // Totals carry on after a Z report: never reset.
    let mut entries = sample();
    let more = JournalEntry::next(entries.last(), draft(10, JournalKind::Sale, dec!(1.00)));
    assert_eq!(more.totals.sales.0, dec!(17.49));
    assert_eq!(more.totals.z_report_count, 1);
    entries.push(more);
    verify(entries).unwrap();
}

#[test]
fn canonical_bytes_follow_the_documented_layout() {
    let e = &sample()[2];
    // Build the bytes independently from the documented format.
    let mut expected = Vec::new();
    let mut field = |s: &str| {
        expected.extend_from_slice(&(s.len() as u32).to_be_bytes());
        expected.extend_from_slice(s.as_bytes());
    };
    field("kasa-journal-v1");
    field("3");
    field("2026-03-14T09:02:00.000000000");
    field("sale");
    field("01900000-0000-7000-8000-000000000002");
    field("0000000003");
    field("12.50");
    for f in [
        "3", "1", "12.50", "0", "0.00", "0", "0.00", "1", "100.00", "0", "0.00", "0", "1", "0", "0",
    ] {
        field(f);
    }
    field(r#"{"lines":2,"operator":"0001","tenders":[{"cash":"1.00"}]}"#);
    assert_eq!(canonical_bytes(e), expected);
    let mut hasher = Sha256::new();
    hasher.update(e.prev_hash.as_bytes());
    hasher.update(&expected);
    assert_eq!(e.hash, hex::encode(hasher.finalize()));
}

#[test]
fn canonical_decimals_and_json_are_unambiguous() {
    let cases = [
        (dec!(12.5), "12.50"),
        (dec!(12.500), "12.50"),
        (dec!(12.505), "12.505"),
        (dec!(0), "0.00"),
        (dec!(-0.000), "0.00"),
        (dec!(-3), "-3.00"),
        (dec!(100), "100.00"),
    ];
    for (value, text) in cases {
        assert_eq!(canonical_decimal(value), text, "{value}");
    }
    // Same amount at another scale: same hash.
    let a = JournalEntry::next(None, draft(0, JournalKind::Sale, dec!(12.5)));
    let b = JournalEntry::next(None, draft(0, JournalKind::Sale, dec!(12.5000)));
    assert_eq!(a.hash, b.hash);
    let mut out = String::new();
    canonical_json(
        &json!({"b": [true, null, "x\"y"], "a": 1, "ä": {"z": 1.5, "y": "é"}}),
        &mut out,
    );
    assert_eq!(
        out,
        r#"{"a":1,"b":[true,null,"x\"y"],"ä":{"y":"é","z":1.5}}"#
    );
}

#[test]
fn storage_round_trip_keeps_the_chain_valid() {
    let mut entries = sample();
    entries[4].payload =
        json!({"ratio": 0.1, "big": 12345678901234567u64, "neg": -2, "s": "кирилица"});
    entries = chain(
        entries
            .into_iter()
            .map(|e| JournalDraft {
                at: e.at,
                kind: e.kind,
                document_id: e.document_id,
                document_number: e.document_number,
                amount: e.amount,
                payload: e.payload,
            })
            .collect(),
    );
    let text = serde_json::to_string(&entries).unwrap();
    let back: Vec<JournalEntry> = serde_json::from_str(&text).unwrap();
    assert_eq!(back, entries);
    verify(back).unwrap();
}

#[test]
fn edits_are_named_at_the_edited_entry() {
    type Edit = fn(&mut JournalEntry);
    let edits: [(&str, Edit); 9] = [
        ("amount", |e| e.amount = Money(dec!(1.00))),
        ("document number", |e| {
            e.document_number = "0000000099".into()
        }),
        ("payload", |e| e.payload["operator"] = json!("0002")),
        ("date", |e| e.at = at(59)),
        ("kind", |e| e.kind = JournalKind::Return),
        ("document id", |e| e.document_id = Uuid::nil()),
        ("totals", |e| e.totals.sales += Money(dec!(0.01))),
        ("prev hash", |e| e.prev_hash = "1".repeat(64)),
        ("hash", |e| e.hash = "f".repeat(64)),
    ];
    for index in [0usize, 3, 9] {
        for (what, edit) in edits {
            let mut entries = sample();
            edit(&mut entries[index]);
            let seq = entries[index].seq;
            let b = first_break(entries);
            assert_eq!(b.seq, seq, "{what} at {index}");
            assert!(
                matches!(b.reason, BreakReason::HashMismatch { .. }),
                "{what}: {b:?}"
            );
            assert_eq!(b.code(), "journal.hash_mismatch");
        }
    }
}

#[test]
fn deletion_is_named_at_the_entry_after_the_hole() {
    for deleted in [0usize, 4, 8] {
        let mut entries = sample();
        entries.remove(deleted);
        let b = first_break(entries);
        let missing = deleted as u64 + 1;
        assert_eq!(b.seq, missing + 1);
        assert_eq!(
            b.reason,
            BreakReason::SeqGap {
                expected: missing,
                found: missing + 1
            }
        );
        assert!(
            b.to_string()
                .contains(&format!("entry {missing} is missing")),
            "{b}"
        );
    }
}

#[test]
fn reordering_is_named() {
    let mut entries = sample();
    entries.swap(4, 5);
    let b = first_break(entries);
    assert_eq!(b.seq, 6);
    assert_eq!(
        b.reason,
        BreakReason::SeqGap {
            expected: 5,
            found: 6
        }
    );
}

#[test]
fn insertion_is_named() {
    // A forged entry chained properly after entry 3: it fits, but the real
    // entry 4 after it no longer does.
    let mut entries = sample();
    let forged = JournalEntry::next(Some(&entries[2]), draft(40, JournalKind::Sale, dec!(5.00)));
    entries.insert(3, forged);
    let b = first_break(entries);
    assert_eq!(b.seq, 4);
    assert_eq!(
        b.reason,
        BreakReason::SeqGap {
            expected: 5,
            found: 4
        }
    );

    // Inserted and the following entries renumbered (without their hashes).
    let mut entries = sample();
    let forged = JournalEntry::next(Some(&entries[2]), draft(40, JournalKind::Sale, dec!(5.00)));
    entries.insert(3, forged);
    for e in &mut entries[4..] {
        e.seq += 1;
    }
    let b = first_break(entries);
    assert_eq!(b.seq, 5);
    assert!(matches!(b.reason, BreakReason::HashMismatch { .. }));
}

#[test]
fn rehashed_edits_are_still_caught() {
    // Amount edited and the entry re-hashed, totals left alone.
    let mut entries = sample();
    entries[3].amount = Money(dec!(0.01));
    entries[3].hash = entries[3].compute_hash();
    let b = first_break(entries);
    assert_eq!(b.seq, 4);
    assert_eq!(b.code(), "journal.totals_mismatch");

    // Amount and totals edited and re-hashed: the next entry no longer chains.
    let mut entries = sample();
    entries[3].amount = Money(dec!(0.01));
    entries[3].totals = entries[2].totals.apply(entries[3].kind, entries[3].amount);
    entries[3].hash = entries[3].compute_hash();
    let b = first_break(entries);
    assert_eq!(b.seq, 5);
    assert_eq!(b.code(), "journal.prev_hash_mismatch");
}

#[test]
fn tail_verifies_after_an_anchor() {
    let entries = sample();
    let tail = entries[5..].to_vec();
    let v = verify_after(Some(&entries[4]), tail.clone()).unwrap();
    assert_eq!((v.entries, v.last_seq), (5, 10));
    let b = verify_after(Some(&entries[3]), tail).unwrap_err();
    assert_eq!(b.seq, 6);
    assert_eq!(
        b.reason,
        BreakReason::SeqGap {
            expected: 5,
            found: 6
        }
    );
}

#[test]
fn kinds_have_stable_codes() {
    for kind in JournalKind::ALL {
        assert_eq!(kind.code().parse::<JournalKind>(), Ok(kind));
        assert_eq!(
            serde_json::to_string(&kind).unwrap(),
            format!("\"{}\"", kind.code())
        );
    }
    assert_eq!(
        "refund".parse::<JournalKind>().unwrap_err().code(),
        "journal.unknown_kind"
    );
}

fn arb_drafts() -> impl Strategy<Value = Vec<JournalDraft>> {
    prop::collection::vec(
        (
            0usize..JournalKind::ALL.len(),
            -10_000i64..1_000_000,
            0u32..60,
        ),
        1..30,
    )
    .prop_map(|items| {
        items
            .into_iter()
            .enumerate()
            .map(|(i, (k, cents, minute))| {
                let mut d = draft(i as u32, JournalKind::ALL[k], Decimal::new(cents, 2));
                d.at = at(minute);
                d
            })
            .collect()
    })
}

proptest! {
    #[test]
    fn any_chain_verifies_with_totals_equal_to_the_sums(drafts in arb_drafts()) {
        let entries = chain(drafts.clone());
        let v = verify(entries).unwrap();
        let sum = |kind: JournalKind| -> Money {
            drafts.iter().filter(|d| d.kind == kind).map(|d| d.amount).sum()
        };
        prop_assert_eq!(v.totals.entry_count, drafts.len() as u64);
        prop_assert_eq!(v.totals.sales, sum(JournalKind::Sale));
        prop_assert_eq!(v.totals.returns, sum(JournalKind::Return));
        prop_assert_eq!(v.totals.voids, sum(JournalKind::VoidSale));
        prop_assert_eq!(v.totals.cash_in, sum(JournalKind::CashIn));
        prop_assert_eq!(v.totals.cash_out, sum(JournalKind::CashOut));
    }

    #[test]
    fn any_single_edit_is_found_at_its_entry(
        drafts in arb_drafts(),
        pick in any::<prop::sample::Index>(),
        cents in 1i64..1000,
    ) {
        let mut entries = chain(drafts);
        let i = pick.index(entries.len());
        entries[i].amount = Money(entries[i].amount.0 + Decimal::new(cents, 2));
        let b = verify(entries).unwrap_err();
        prop_assert_eq!(b.seq, i as u64 + 1);
    }

    #[test]
    fn any_deletion_but_the_last_is_found(drafts in arb_drafts(), pick in any::<prop::sample::Index>()) {
        let mut entries = chain(drafts);
        prop_assume!(entries.len() >= 2);
        let i = pick.index(entries.len() - 1);
        entries.remove(i);
        let b = verify(entries).unwrap_err();
        prop_assert_eq!(b.seq, i as u64 + 2);
    }
}
