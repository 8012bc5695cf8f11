//! What head office derives from the records it stores, as pure functions.
//!
//! The backends insert records with `ON CONFLICT DO NOTHING` and hand only
//! the records actually inserted to [`project`]; the resulting
//! [`ProjectionDelta`] is added to the stored projections. Because a record
//! id (for documents: the document id) is stored once, each document and
//! movement reaches the projections once, however often it is resent.
//!
//! - **Stock** per store and SKU: the sum of `qty` of `stock_movement`
//!   records. The store is the sending terminal's store (a till only moves
//!   its own store's stock; `location` in the payload is informational).
//! - **Sales** per store / day / terminal / tender: each `sale` document adds
//!   its tenders (`tenders[].kind`, `tenders[].amount`), each `return`
//!   subtracts them; a document without tenders counts under `total` with
//!   the tender `unspecified`. The day is the record's `created_at` in UTC
//!   (store time zones are a later decision).
//! - **Journal** per terminal: `journal_entry` records whose payload is a
//!   whole [`JournalEntry`] are chained with
//!   [`kasa_domain::journal::verify_after`], continuing from the last
//!   verified entry (the anchor), so each batch only checks its own entries.
//!   The first break is kept and the journal stays broken; an entry whose
//!   payload is not a whole entry makes the journal `unverifiable` from
//!   there (head office cannot vouch for what it cannot check).
//!
//! A payload the rules cannot read is stored anyway (the record is the
//! evidence) and counted in [`ProjectionDelta::unprojected`].

use std::collections::BTreeMap;
use std::str::FromStr;

use kasa_domain::ErrorCode;
use kasa_domain::journal::{JournalEntry, verify_after};
use kasa_sync_protocol::{Record, RecordKind};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Sums to add to the stored projections.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProjectionDelta {
    /// Quantity change per SKU.
    pub stock: BTreeMap<String, Decimal>,
    /// (documents, amount) per (day, tender).
    pub sales: BTreeMap<(String, String), (i64, Decimal)>,
    /// Journal entries in order; `None` where the payload is not a whole entry.
    pub journal: Vec<Option<JournalEntry>>,
    /// Records whose payload could not be projected.
    pub unprojected: u32,
}

fn decimal(value: &serde_json::Value) -> Option<Decimal> {
    match value {
        serde_json::Value::String(s) => Decimal::from_str(s).ok(),
        serde_json::Value::Number(n) if n.is_i64() || n.is_u64() => {
            Decimal::from_str(&n.to_string()).ok()
        }
        _ => None,
    }
}

fn sales_of(record: &Record, sign: Decimal, delta: &mut ProjectionDelta) -> bool {
    let day = record
        .created_at
        .date_naive()
        .format("%Y-%m-%d")
        .to_string();
    let mut adds: Vec<(String, Decimal)> = Vec::new();
    match record.payload.get("tenders").and_then(|t| t.as_array()) {
        Some(tenders) if !tenders.is_empty() => {
            for tender in tenders {
                let kind = tender.get("kind").and_then(|k| k.as_str());
                let amount = tender.get("amount").and_then(decimal);
                match (kind, amount) {
                    (Some(kind), Some(amount)) if !kind.is_empty() => {
                        adds.push((kind.to_owned(), amount));
                    }
                    _ => return false,
                }
            }
        }
        _ => match record.payload.get("total").and_then(decimal) {
            Some(total) => adds.push(("unspecified".to_owned(), total)),
            None => return false,
        },
    }
    // one document counts once per tender kind it used
    let mut per_kind: BTreeMap<String, Decimal> = BTreeMap::new();
    for (kind, amount) in adds {
        *per_kind.entry(kind).or_default() += amount;
    }
    for (kind, amount) in per_kind {
        let entry = delta.sales.entry((day.clone(), kind)).or_default();
        entry.0 += 1;
        entry.1 += amount * sign;
    }
    true
}

/// The delta of newly stored records (in sequence order).
pub fn project<'a>(records: impl IntoIterator<Item = &'a Record>) -> ProjectionDelta {
    let mut delta = ProjectionDelta::default();
    for record in records {
        let ok = match record.kind {
            RecordKind::StockMovement => {
                let sku = record.payload.get("sku").and_then(|s| s.as_str());
                let qty = record.payload.get("qty").and_then(decimal);
                match (sku, qty) {
                    (Some(sku), Some(qty)) if !sku.is_empty() => {
                        *delta.stock.entry(sku.to_owned()).or_default() += qty;
                        true
                    }
                    _ => false,
                }
            }
            RecordKind::Document => match record.document_type.as_deref() {
                Some("sale") => sales_of(record, Decimal::ONE, &mut delta),
                Some("return") => sales_of(record, Decimal::NEGATIVE_ONE, &mut delta),
                _ => true,
            },
            RecordKind::JournalEntry => {
                let entry = JournalEntry::deserialize(&record.payload).ok();
                let ok = entry.is_some();
                delta.journal.push(entry);
                ok
            }
            RecordKind::Audit => true,
        };
        if !ok {
            delta.unprojected += 1;
        }
    }
    delta
}

/// How far head office could verify a terminal's journal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JournalStatus {
    /// No entries received.
    #[default]
    Empty,
    /// Every entry received chains from the first.
    Verified,
    /// An entry broke the chain (see [`JournalState::broken`]).
    Broken,
    /// An entry arrived without the data to check it.
    Unverifiable,
}

/// The first broken entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalBreakInfo {
    /// Journal seq of the broken entry.
    pub seq: u64,
    /// Stable code (`journal.hash_mismatch`…).
    pub code: String,
    /// What it means and what to do.
    pub message: String,
}

/// Stored per terminal (as JSON) and reported by the journal-status API.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JournalState {
    /// Overall status.
    pub status: JournalStatus,
    /// Entries received.
    pub entries_received: u64,
    /// Entries verified in one chain from the first.
    pub entries_verified: u64,
    /// Journal seq of the last verified entry.
    pub last_verified_seq: u64,
    /// Hash of the last verified entry.
    pub last_verified_hash: Option<String>,
    /// The first break, if any.
    pub broken: Option<JournalBreakInfo>,
    /// The last verified entry, to continue verifying from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor: Option<JournalEntry>,
}

/// Continue verifying with newly stored entries.
pub fn advance_journal(state: &JournalState, entries: Vec<Option<JournalEntry>>) -> JournalState {
    let mut next = state.clone();
    next.entries_received += entries.len() as u64;
    if entries.is_empty()
        || matches!(
            state.status,
            JournalStatus::Broken | JournalStatus::Unverifiable
        )
    {
        return next;
    }
    let received = entries.len();
    let whole: Vec<JournalEntry> = entries.into_iter().map_while(|e| e).collect();
    let all_whole = whole.len() == received;
    match verify_after(state.anchor.as_ref(), whole.iter().cloned()) {
        Ok(verified) => {
            next.entries_verified += verified.entries;
            if let Some(last) = whole.last() {
                next.last_verified_seq = last.seq;
                next.last_verified_hash = Some(last.hash.clone());
                next.anchor = Some(last.clone());
            }
            next.status = if all_whole {
                JournalStatus::Verified
            } else {
                JournalStatus::Unverifiable
            };
        }
        Err(brk) => {
            let good = whole.iter().take_while(|e| e.seq != brk.seq).count();
            next.entries_verified += good as u64;
            if good > 0 {
                let last = &whole[good - 1];
                next.last_verified_seq = last.seq;
                next.last_verified_hash = Some(last.hash.clone());
                next.anchor = Some(last.clone());
            }
            next.status = JournalStatus::Broken;
            next.broken = Some(JournalBreakInfo {
                seq: brk.seq,
                code: brk.code().to_owned(),
                message: brk.to_string(),
            });
        }
    }
    next
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, NaiveDate};
    use kasa_domain::journal::{JournalDraft, JournalKind};
    use kasa_domain::money::Money;
    use serde_json::json;
    use uuid::Uuid;

    use super::*;

    fn record(
        seq: u64,
        kind: RecordKind,
        document_type: Option<&str>,
        payload: serde_json::Value,
    ) -> Record {
        Record {
            terminal_id: "T01".into(),
            seq,
            id: Uuid::from_u128(u128::from(seq)),
            kind,
            document_type: document_type.map(str::to_owned),
            created_at: DateTime::from_timestamp(1_795_252_502, 0).unwrap(),
            payload,
        }
    }

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn sales_returns_and_stock_add_up() {
        let records = [
            record(
                1,
                RecordKind::Document,
                Some("sale"),
                json!({"tenders":[{"kind":"cash","amount":"9.27"},{"kind":"card","amount":"1.00"},{"kind":"cash","amount":"0.73"}]}),
            ),
            record(
                2,
                RecordKind::StockMovement,
                None,
                json!({"sku":"1001","qty":"-2"}),
            ),
            record(
                3,
                RecordKind::Document,
                Some("return"),
                json!({"tenders":[{"kind":"cash","amount":"3.00"}]}),
            ),
            record(
                4,
                RecordKind::StockMovement,
                None,
                json!({"sku":"1001","qty":"0.5"}),
            ),
            record(
                5,
                RecordKind::Document,
                Some("sale"),
                json!({"total":"4.10"}),
            ),
            record(
                6,
                RecordKind::Document,
                Some("sale"),
                json!({"tenders":"nope"}),
            ),
            record(7, RecordKind::Document, Some("delivery_receipt"), json!({})),
        ];
        let delta = project(&records);
        let day = "2026-11-21".to_owned();
        assert_eq!(delta.stock["1001"], dec("-1.5"));
        assert_eq!(delta.sales[&(day.clone(), "cash".into())], (2, dec("7.00")));
        assert_eq!(delta.sales[&(day.clone(), "card".into())], (1, dec("1.00")));
        assert_eq!(delta.sales[&(day, "unspecified".into())], (1, dec("4.10")));
        assert_eq!(delta.unprojected, 1);
    }

    fn chain(n: u64) -> Vec<JournalEntry> {
        let mut out: Vec<JournalEntry> = Vec::new();
        for i in 0..n {
            let draft = JournalDraft {
                at: NaiveDate::from_ymd_opt(2026, 11, 21)
                    .unwrap()
                    .and_hms_opt(9, 0, 0)
                    .unwrap(),
                kind: JournalKind::Sale,
                document_id: Uuid::from_u128(u128::from(i) + 100),
                document_number: format!("{i:010}"),
                amount: Money(dec("1.50")),
                payload: json!({}),
            };
            let next = JournalEntry::next(out.last(), draft);
            out.push(next);
        }
        out
    }

    #[test]
    fn journal_verifies_across_batches_and_keeps_the_first_break() {
        let entries = chain(6);
        let s1 = advance_journal(
            &JournalState::default(),
            entries[..3].iter().cloned().map(Some).collect(),
        );
        assert_eq!(s1.status, JournalStatus::Verified);
        assert_eq!((s1.entries_verified, s1.last_verified_seq), (3, 3));
        let mut tampered = entries[3..].to_vec();
        tampered[1].amount = Money(dec("0.01"));
        let s2 = advance_journal(&s1, tampered.into_iter().map(Some).collect());
        assert_eq!(s2.status, JournalStatus::Broken);
        assert_eq!(s2.entries_verified, 4);
        let broken = s2.broken.clone().unwrap();
        assert_eq!(
            (broken.seq, broken.code.as_str()),
            (5, "journal.hash_mismatch")
        );
        let s3 = advance_journal(&s2, vec![None]);
        assert_eq!(s3.status, JournalStatus::Broken);
        assert_eq!(s3.entries_received, 7);
    }

    #[test]
    fn a_skipped_entry_breaks_the_chain_and_partial_payloads_are_unverifiable() {
        let entries = chain(3);
        let s = advance_journal(
            &JournalState::default(),
            vec![Some(entries[0].clone()), Some(entries[2].clone())],
        );
        assert_eq!(s.broken.unwrap().code, "journal.seq_gap");
        let s = advance_journal(
            &JournalState::default(),
            vec![Some(entries[0].clone()), None],
        );
        assert_eq!(s.status, JournalStatus::Unverifiable);
        assert_eq!(s.entries_verified, 1);
    }
}
