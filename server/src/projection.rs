//! What head office derives from the records it stores, as pure functions.
//!
//! The backends insert records with `ON CONFLICT DO NOTHING` and hand only
//! the records actually inserted to [`project`]; the resulting
//! [`ProjectionDelta`] is added to the stored projections. Because a record
//! id (for documents: the document id) is stored once, each document and
//! movement reaches the projections once, however often it is resent.
//!
//! Each record's payload has already passed the payload contract
//! ([`kasa_sync_protocol::payload::read_record`]) when it gets here, so the
//! rules read typed fields, not strings:
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
//!   The first break is kept and the journal stays broken; an entry that
//!   is only a summary makes the journal `unverifiable` from there (head
//!   office cannot vouch for what it cannot check) and is counted in
//!   [`ProjectionDelta::unprojected`].
//!
//! Every sum is checked: the contract's bounds keep them far from
//! `rust_decimal`'s range, and if one still would not fit, the batch is
//! refused ([`Overflow`]) instead of a thread panicking.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use kasa_domain::ErrorCode;
use kasa_domain::journal::{JournalEntry, verify_after};
use kasa_sync_protocol::payload::{DocumentPayload, JournalPayload, RecordPayload};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Sums to add to the stored projections.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProjectionDelta {
    /// Quantity change per SKU.
    pub stock: BTreeMap<String, Decimal>,
    /// (documents, amount) per (day, tender).
    pub sales: BTreeMap<(String, String), (i64, Decimal)>,
    /// Journal entries in order; `None` where the payload is only a summary.
    pub journal: Vec<Option<JournalEntry>>,
    /// Records whose payload could not be projected (journal summaries).
    pub unprojected: u32,
}

/// A sum that does not fit a decimal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} would pass the largest decimal head office can add")]
pub struct Overflow {
    /// The sum, named.
    pub what: String,
}

/// `a + b`, or the named overflow.
pub fn add(a: Decimal, b: Decimal, what: impl FnOnce() -> String) -> Result<Decimal, Overflow> {
    a.checked_add(b).ok_or_else(|| Overflow { what: what() })
}

/// What one record adds to the projections, read from its checked payload
/// on the request's own task (so head office's single writer only sums the
/// effects of the records it actually inserted).
#[derive(Debug, Clone, PartialEq)]
pub enum RecordEffect {
    /// Nothing to project (other document types, audit records).
    Nothing,
    /// A stock movement: the quantity change of one SKU.
    Stock {
        /// The SKU.
        sku: String,
        /// Signed quantity.
        qty: Decimal,
    },
    /// A sale (amounts as paid) or a return (amounts negated): one document
    /// per tender kind it used, on the day of its `created_at` (UTC).
    Sales {
        /// `YYYY-MM-DD`.
        day: String,
        /// Signed amount per tender kind, each kind once.
        per_kind: Vec<(String, Decimal)>,
    },
    /// A journal entry (`None`: only a summary).
    Journal(Option<Box<JournalEntry>>),
}

fn sales_of(
    created_at: DateTime<Utc>,
    doc: DocumentPayload,
    sign: Decimal,
) -> Result<RecordEffect, Overflow> {
    let mut per_kind: BTreeMap<String, Decimal> = BTreeMap::new();
    if doc.tenders.is_empty() {
        // the contract requires a total where there are no tenders
        let total = doc.total.map(|t| t.0).unwrap_or_default();
        per_kind.insert("unspecified".to_owned(), total);
    }
    // one document counts once per tender kind it used
    for tender in doc.tenders {
        let sum = per_kind.entry(tender.kind).or_default();
        *sum = add(*sum, tender.amount.0, || "a document's tenders".into())?;
    }
    Ok(RecordEffect::Sales {
        day: created_at.date_naive().format("%Y-%m-%d").to_string(),
        per_kind: per_kind
            .into_iter()
            .map(|(kind, amount)| (kind, amount * sign))
            .collect(),
    })
}

/// What a record adds to the projections, from its checked payload.
pub fn effect_of(
    payload: RecordPayload,
    document_type: Option<&str>,
    created_at: DateTime<Utc>,
) -> Result<RecordEffect, Overflow> {
    Ok(match payload {
        RecordPayload::StockMovement(m) => RecordEffect::Stock {
            sku: m.sku,
            qty: m.qty.0,
        },
        RecordPayload::Document(doc) => match document_type {
            Some("sale") => sales_of(created_at, *doc, Decimal::ONE)?,
            Some("return") => sales_of(created_at, *doc, Decimal::NEGATIVE_ONE)?,
            _ => RecordEffect::Nothing,
        },
        RecordPayload::JournalEntry(JournalPayload::Whole(entry)) => {
            RecordEffect::Journal(Some(entry))
        }
        RecordPayload::JournalEntry(JournalPayload::Summary(_)) => RecordEffect::Journal(None),
        RecordPayload::Audit(_) => RecordEffect::Nothing,
    })
}

/// The delta of newly stored records' effects (in sequence order).
pub fn project<'a>(
    effects: impl IntoIterator<Item = &'a RecordEffect>,
) -> Result<ProjectionDelta, Overflow> {
    let mut delta = ProjectionDelta::default();
    for effect in effects {
        match effect {
            RecordEffect::Nothing => {}
            RecordEffect::Stock { sku, qty } => {
                let sum = delta.stock.entry(sku.clone()).or_default();
                *sum = add(*sum, *qty, || format!("the stock of SKU {sku}"))?;
            }
            RecordEffect::Sales { day, per_kind } => {
                for (kind, amount) in per_kind {
                    let entry = delta.sales.entry((day.clone(), kind.clone())).or_default();
                    entry.0 = entry.0.saturating_add(1);
                    entry.1 = add(entry.1, *amount, || format!("the {kind} sales of {day}"))?;
                }
            }
            RecordEffect::Journal(entry) => {
                if entry.is_none() {
                    delta.unprojected += 1;
                }
                delta.journal.push(entry.as_deref().cloned());
            }
        }
    }
    Ok(delta)
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
    use kasa_sync_protocol::RecordKind;
    use kasa_sync_protocol::payload::read_record;
    use std::str::FromStr;

    fn effect(
        kind: RecordKind,
        document_type: Option<&str>,
        payload: serde_json::Value,
    ) -> RecordEffect {
        let read = read_record(kind, document_type, &payload.to_string()).unwrap();
        effect_of(
            read,
            document_type,
            DateTime::from_timestamp(1_795_252_502, 0).unwrap(),
        )
        .unwrap()
    }

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn sales_returns_and_stock_add_up() {
        let effects = [
            effect(
                RecordKind::Document,
                Some("sale"),
                json!({"tenders":[{"kind":"cash","amount":"9.27"},{"kind":"card","amount":"1.00"},{"kind":"cash","amount":"0.73"}]}),
            ),
            effect(
                RecordKind::StockMovement,
                None,
                json!({"sku":"1001","qty":"-2"}),
            ),
            effect(
                RecordKind::Document,
                Some("return"),
                json!({"tenders":[{"kind":"cash","amount":"3.00"}]}),
            ),
            effect(
                RecordKind::StockMovement,
                None,
                json!({"sku":"1001","qty":"0.5"}),
            ),
            effect(RecordKind::Document, Some("sale"), json!({"total":"4.10"})),
            effect(RecordKind::Document, Some("delivery_receipt"), json!({})),
            effect(RecordKind::JournalEntry, None, json!({"seq": 1})),
        ];
        let delta = project(&effects).unwrap();
        let day = "2026-11-21".to_owned();
        assert_eq!(delta.stock["1001"], dec("-1.5"));
        assert_eq!(delta.sales[&(day.clone(), "cash".into())], (2, dec("7.00")));
        assert_eq!(delta.sales[&(day.clone(), "card".into())], (1, dec("1.00")));
        assert_eq!(delta.sales[&(day, "unspecified".into())], (1, dec("4.10")));
        assert_eq!(delta.unprojected, 1);
    }

    #[test]
    fn a_sum_past_the_decimal_range_is_an_error_not_a_panic() {
        let huge = RecordEffect::Stock {
            sku: "1001".into(),
            qty: Decimal::MAX,
        };
        let e = project([&huge, &huge]).unwrap_err();
        assert!(e.to_string().contains("SKU 1001"), "{e}");
        let sales = RecordEffect::Sales {
            day: "2026-11-21".into(),
            per_kind: vec![("cash".into(), Decimal::MAX)],
        };
        assert!(project([&sales, &sales]).is_err());
    }

    #[test]
    fn a_journal_entry_is_read_whole_from_its_payload() {
        let entry = chain(1).remove(0);
        let read = effect(
            RecordKind::JournalEntry,
            Some("sale"),
            serde_json::to_value(&entry).unwrap(),
        );
        assert_eq!(read, RecordEffect::Journal(Some(Box::new(entry))));
        let partial = effect(RecordKind::JournalEntry, None, json!({"seq": 1}));
        assert_eq!(partial, RecordEffect::Journal(None));
        assert_eq!(project([&partial]).unwrap().unprojected, 1);
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
