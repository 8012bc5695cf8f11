//! The fiscal journal: hash-chained entries with perpetual grand totals.
//!
//! Every fiscal event (sale, return, void, cash in/out, no-sale, shift open
//! and close, Z report) is appended as a [`JournalEntry`]. Each entry holds
//! the hash of the previous one and the grand totals *after* it; totals never
//! reset (not at shift close, not at Z). [`verify`] walks the entries and
//! names the first one that breaks the chain, so an edited, deleted,
//! reordered or inserted entry is found and located (NF525-style evidence).
//!
//! ## Hash
//! `hash = lowercase hex SHA-256( prev_hash as its 64 ASCII hex characters
//! ‖ canonical_bytes(entry) )`; the first entry's `prev_hash` is
//! [`GENESIS_HASH`] (64 zeros).
//!
//! ## Canonical bytes (format version `kasa-journal-v1`)
//! A sequence of fields, each written as its length in bytes (u32, big
//! endian) followed by that many bytes of UTF-8 text. No separators, no
//! optional fields, so no two different entries share their bytes. Order:
//!
//! 1. `kasa-journal-v1` (format tag)
//! 2. `seq` in decimal without padding (`42`)
//! 3. `at` as `YYYY-MM-DDTHH:MM:SS.nnnnnnnnn` (always 9 fractional digits)
//! 4. `kind` code ([`JournalKind::code`], e.g. `sale`)
//! 5. `document_id`, lowercase hyphenated UUID
//! 6. `document_number` as stored
//! 7. `amount`, canonical decimal (below)
//! 8. the totals, one field each, in this order: `entry_count`,
//!    `sale_count`, `sales`, `return_count`, `returns`, `void_count`,
//!    `voids`, `cash_in_count`, `cash_in`, `cash_out_count`, `cash_out`,
//!    `no_sale_count`, `shift_open_count`, `shift_close_count`,
//!    `z_report_count` (counts in decimal, money as canonical decimals)
//! 9. `payload` as canonical JSON: object keys sorted by their UTF-8 bytes,
//!    no whitespace, strings escaped as serde_json writes them, numbers as
//!    serde_json writes them. This does not depend on the map order of
//!    `serde_json::Value`, which a crate feature elsewhere could change.
//!
//! A canonical decimal has no trailing zeros beyond two decimals and no
//! negative zero: `12.5`, `12.50` and `12.500` are all `12.50`; `12.505`
//! stays `12.505`; `-0` is `0.00`. Equal amounts give equal bytes, different
//! amounts different bytes. Money inside payloads should be JSON strings.
//!
//! ## Grand totals
//! [`GrandTotals::apply`] adds one entry: `entry_count` always +1, and the
//! entry's amount to the bucket of its kind (sale → `sales`, return →
//! `returns`, void → `voids`, cash in/out → `cash_in`/`cash_out`), with
//! that kind's count +1. Amounts are the document totals as positive figures
//! (a refund paid out is a positive `returns` amount); a voided sale that was
//! completed stays in `sales` and is also counted in `voids`, so
//! [`GrandTotals::net_sales`] = sales − returns − voids. No-sale, shift and Z
//! entries only count.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDateTime;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::ErrorCode;
use crate::money::Money;

/// The `prev_hash` of the first entry: 64 zeros.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The format tag that starts the canonical bytes.
pub const CANONICAL_FORMAT: &str = "kasa-journal-v1";

/// What a journal entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JournalKind {
    /// A completed sale.
    Sale,
    /// A return (refund).
    Return,
    /// A completed sale voided.
    VoidSale,
    /// Cash put into the drawer.
    CashIn,
    /// Cash taken out of the drawer.
    CashOut,
    /// The drawer opened without a sale.
    NoSale,
    /// A shift opened.
    ShiftOpen,
    /// A shift closed.
    ShiftClose,
    /// A Z report (closes the day).
    ZReport,
}

impl JournalKind {
    /// Every kind, in a stable order.
    pub const ALL: [JournalKind; 9] = [
        JournalKind::Sale,
        JournalKind::Return,
        JournalKind::VoidSale,
        JournalKind::CashIn,
        JournalKind::CashOut,
        JournalKind::NoSale,
        JournalKind::ShiftOpen,
        JournalKind::ShiftClose,
        JournalKind::ZReport,
    ];

    /// Stable code, used in the canonical bytes and in storage.
    pub fn code(self) -> &'static str {
        match self {
            JournalKind::Sale => "sale",
            JournalKind::Return => "return",
            JournalKind::VoidSale => "void_sale",
            JournalKind::CashIn => "cash_in",
            JournalKind::CashOut => "cash_out",
            JournalKind::NoSale => "no_sale",
            JournalKind::ShiftOpen => "shift_open",
            JournalKind::ShiftClose => "shift_close",
            JournalKind::ZReport => "z_report",
        }
    }
}

impl fmt::Display for JournalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for JournalKind {
    type Err = JournalError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        JournalKind::ALL
            .into_iter()
            .find(|k| k.code() == s)
            .ok_or_else(|| JournalError::UnknownKind {
                kind: s.to_string(),
            })
    }
}

/// Perpetual totals over the whole journal; never reset.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct GrandTotals {
    /// Entries of any kind.
    pub entry_count: u64,
    /// Sales recorded.
    pub sale_count: u64,
    /// Σ sale totals.
    pub sales: Money,
    /// Returns recorded.
    pub return_count: u64,
    /// Σ refunds.
    pub returns: Money,
    /// Voided sales recorded.
    pub void_count: u64,
    /// Σ voided sale totals.
    pub voids: Money,
    /// Cash-in movements.
    pub cash_in_count: u64,
    /// Σ cash in.
    pub cash_in: Money,
    /// Cash-out movements.
    pub cash_out_count: u64,
    /// Σ cash out.
    pub cash_out: Money,
    /// Drawer opens without a sale.
    pub no_sale_count: u64,
    /// Shifts opened.
    pub shift_open_count: u64,
    /// Shifts closed.
    pub shift_close_count: u64,
    /// Z reports.
    pub z_report_count: u64,
}

impl GrandTotals {
    /// The totals after one more entry of `kind` with `amount`.
    pub fn apply(&self, kind: JournalKind, amount: Money) -> GrandTotals {
        let mut t = self.clone();
        t.entry_count += 1;
        match kind {
            JournalKind::Sale => {
                t.sale_count += 1;
                t.sales += amount;
            }
            JournalKind::Return => {
                t.return_count += 1;
                t.returns += amount;
            }
            JournalKind::VoidSale => {
                t.void_count += 1;
                t.voids += amount;
            }
            JournalKind::CashIn => {
                t.cash_in_count += 1;
                t.cash_in += amount;
            }
            JournalKind::CashOut => {
                t.cash_out_count += 1;
                t.cash_out += amount;
            }
            JournalKind::NoSale => t.no_sale_count += 1,
            JournalKind::ShiftOpen => t.shift_open_count += 1,
            JournalKind::ShiftClose => t.shift_close_count += 1,
            JournalKind::ZReport => t.z_report_count += 1,
        }
        t
    }

    /// Sales − returns − voids.
    pub fn net_sales(&self) -> Money {
        self.sales - self.returns - self.voids
    }
}

/// What the caller supplies for a new entry; the chain fields are computed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalDraft {
    /// When the event happened (UTC).
    pub at: NaiveDateTime,
    /// What happened.
    pub kind: JournalKind,
    /// The document's global id.
    pub document_id: Uuid,
    /// The document's human number (or N-18 sale number).
    pub document_number: String,
    /// The document total (see the module docs for signs).
    pub amount: Money,
    /// Extra facts worth sealing (tenders, VAT groups, operator…).
    pub payload: serde_json::Value,
}

/// One sealed journal entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// 1, 2, 3… without gaps.
    pub seq: u64,
    /// When the event happened (UTC).
    pub at: NaiveDateTime,
    /// What happened.
    pub kind: JournalKind,
    /// The document's global id.
    pub document_id: Uuid,
    /// The document's human number.
    pub document_number: String,
    /// The document total.
    pub amount: Money,
    /// Grand totals after this entry.
    pub totals: GrandTotals,
    /// Extra sealed facts.
    pub payload: serde_json::Value,
    /// Hash of the previous entry ([`GENESIS_HASH`] for the first).
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

impl JournalEntry {
    /// The entry that follows `prev` (or the first entry): next seq, totals
    /// updated by the draft, chained and hashed.
    pub fn next(prev: Option<&JournalEntry>, draft: JournalDraft) -> JournalEntry {
        let (seq, prev_hash, totals) = match prev {
            Some(p) => (
                p.seq.saturating_add(1),
                p.hash.clone(),
                p.totals.apply(draft.kind, draft.amount),
            ),
            None => (
                1,
                GENESIS_HASH.to_string(),
                GrandTotals::default().apply(draft.kind, draft.amount),
            ),
        };
        let mut entry = JournalEntry {
            seq,
            at: draft.at,
            kind: draft.kind,
            document_id: draft.document_id,
            document_number: draft.document_number,
            amount: draft.amount,
            totals,
            payload: draft.payload,
            prev_hash,
            hash: String::new(),
        };
        entry.hash = entry.compute_hash();
        entry
    }

    /// The hash this entry should have, from its `prev_hash` and content.
    pub fn compute_hash(&self) -> String {
        entry_hash(&self.prev_hash, &canonical_bytes(self))
    }
}

/// `hex(SHA-256(prev_hash ASCII ‖ canonical))`.
pub fn entry_hash(prev_hash: &str, canonical: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(canonical);
    hex::encode(hasher.finalize())
}

/// A decimal in canonical text: at least two decimals, no further trailing
/// zeros, no negative zero.
pub fn canonical_decimal(value: Decimal) -> String {
    if value.is_zero() {
        return "0.00".to_string();
    }
    let mut d = value.normalize();
    if d.scale() < 2 {
        d.rescale(2);
    }
    d.to_string()
}

fn push_field(out: &mut Vec<u8>, text: &str) {
    // Fields are far below 4 GiB; a larger one saturates, which still
    // changes the bytes (and the hash) rather than wrapping.
    let len = u32::try_from(text.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(text.as_bytes());
}

/// Canonical JSON: sorted keys, no whitespace.
pub fn canonical_json(value: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => out.push_str(&Value::String(s.clone()).to_string()),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical_json(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                if let Some(v) = map.get(key) {
                    canonical_json(v, out);
                }
            }
            out.push('}');
        }
    }
}

/// The canonical bytes of an entry (everything but `prev_hash` and `hash`),
/// as described in the module docs.
pub fn canonical_bytes(entry: &JournalEntry) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    push_field(&mut out, CANONICAL_FORMAT);
    push_field(&mut out, &entry.seq.to_string());
    push_field(
        &mut out,
        &entry.at.format("%Y-%m-%dT%H:%M:%S%.9f").to_string(),
    );
    push_field(&mut out, entry.kind.code());
    push_field(&mut out, &entry.document_id.hyphenated().to_string());
    push_field(&mut out, &entry.document_number);
    push_field(&mut out, &canonical_decimal(entry.amount.0));
    let t = &entry.totals;
    let counts_and_sums: [String; 15] = [
        t.entry_count.to_string(),
        t.sale_count.to_string(),
        canonical_decimal(t.sales.0),
        t.return_count.to_string(),
        canonical_decimal(t.returns.0),
        t.void_count.to_string(),
        canonical_decimal(t.voids.0),
        t.cash_in_count.to_string(),
        canonical_decimal(t.cash_in.0),
        t.cash_out_count.to_string(),
        canonical_decimal(t.cash_out.0),
        t.no_sale_count.to_string(),
        t.shift_open_count.to_string(),
        t.shift_close_count.to_string(),
        t.z_report_count.to_string(),
    ];
    for field in &counts_and_sums {
        push_field(&mut out, field);
    }
    let mut payload = String::new();
    canonical_json(&entry.payload, &mut payload);
    push_field(&mut out, &payload);
    out
}

/// Why the chain breaks at an entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum BreakReason {
    /// The entry's content no longer matches its hash: it was edited.
    HashMismatch {
        /// The hash the content gives now.
        computed: String,
        /// The hash stored in the entry.
        stored: String,
    },
    /// The entry's number is not the next one: an entry before it was
    /// deleted (found > expected) or entries were reordered or inserted
    /// (found < expected).
    SeqGap {
        /// The seq the chain expected here.
        expected: u64,
        /// The seq found.
        found: u64,
    },
    /// The entry does not point at the previous entry's hash: an entry was
    /// deleted, inserted or reordered, or the previous one was rewritten.
    PrevHashMismatch {
        /// The previous entry's hash.
        expected: String,
        /// The entry's `prev_hash`.
        found: String,
    },
    /// The totals are not the previous totals plus this entry.
    TotalsMismatch {
        /// The totals the chain gives.
        expected: Box<GrandTotals>,
        /// The totals stored.
        found: Box<GrandTotals>,
    },
}

/// The first broken entry of a journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("journal entry {seq} is broken: {}", describe(.reason))]
pub struct JournalBreak {
    /// The seq stored in the broken entry.
    pub seq: u64,
    /// Why it is broken.
    pub reason: BreakReason,
}

fn describe(reason: &BreakReason) -> String {
    match reason {
        BreakReason::HashMismatch { .. } => {
            "its content does not match its hash, it was edited — keep the database as evidence and call support".into()
        }
        BreakReason::SeqGap { expected, found } if found > expected => format!(
            "entry {expected} is missing (deleted) — keep the database as evidence and call support"
        ),
        BreakReason::SeqGap { expected, .. } => format!(
            "expected entry {expected} here; entries were reordered or inserted — keep the database as evidence and call support"
        ),
        BreakReason::PrevHashMismatch { .. } => {
            "it does not chain to the entry before it (deleted, inserted or reordered) — keep the database as evidence and call support".into()
        }
        BreakReason::TotalsMismatch { .. } => {
            "its grand totals do not follow from the entry before it — keep the database as evidence and call support".into()
        }
    }
}

impl ErrorCode for JournalBreak {
    fn code(&self) -> &'static str {
        match self.reason {
            BreakReason::HashMismatch { .. } => "journal.hash_mismatch",
            BreakReason::SeqGap { .. } => "journal.seq_gap",
            BreakReason::PrevHashMismatch { .. } => "journal.prev_hash_mismatch",
            BreakReason::TotalsMismatch { .. } => "journal.totals_mismatch",
        }
    }
}

/// A journal that verified: how far, where it ends, its totals. Compare
/// `last_hash` with an anchor kept elsewhere (printed on the Z report, held
/// by head office) to detect a chain rewritten from the start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedJournal {
    /// Entries checked.
    pub entries: u64,
    /// Seq of the last entry (0 when empty).
    pub last_seq: u64,
    /// Hash of the last entry ([`GENESIS_HASH`] when empty).
    pub last_hash: String,
    /// Grand totals after the last entry.
    pub totals: GrandTotals,
}

/// Verify a whole journal from its first entry.
pub fn verify(
    entries: impl IntoIterator<Item = JournalEntry>,
) -> Result<VerifiedJournal, JournalBreak> {
    verify_after(None, entries)
}

/// Verify entries that continue after `anchor` (an entry already verified,
/// or `None` for the start of the journal).
pub fn verify_after(
    anchor: Option<&JournalEntry>,
    entries: impl IntoIterator<Item = JournalEntry>,
) -> Result<VerifiedJournal, JournalBreak> {
    let mut state = match anchor {
        Some(a) => VerifiedJournal {
            entries: 0,
            last_seq: a.seq,
            last_hash: a.hash.clone(),
            totals: a.totals.clone(),
        },
        None => VerifiedJournal {
            entries: 0,
            last_seq: 0,
            last_hash: GENESIS_HASH.to_string(),
            totals: GrandTotals::default(),
        },
    };
    for entry in entries {
        let broken = |reason| JournalBreak {
            seq: entry.seq,
            reason,
        };
        let computed = entry.compute_hash();
        if computed != entry.hash {
            return Err(broken(BreakReason::HashMismatch {
                computed,
                stored: entry.hash.clone(),
            }));
        }
        let expected_seq = state.last_seq.saturating_add(1);
        if entry.seq != expected_seq {
            return Err(broken(BreakReason::SeqGap {
                expected: expected_seq,
                found: entry.seq,
            }));
        }
        if entry.prev_hash != state.last_hash {
            return Err(broken(BreakReason::PrevHashMismatch {
                expected: state.last_hash.clone(),
                found: entry.prev_hash.clone(),
            }));
        }
        let totals = state.totals.apply(entry.kind, entry.amount);
        if totals != entry.totals {
            return Err(broken(BreakReason::TotalsMismatch {
                expected: Box::new(totals),
                found: Box::new(entry.totals.clone()),
            }));
        }
        state = VerifiedJournal {
            entries: state.entries + 1,
            last_seq: entry.seq,
            last_hash: entry.hash,
            totals,
        };
    }
    Ok(state)
}

/// Errors reading journal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JournalError {
    /// A stored kind code Kasa does not know.
    #[error(
        "journal entry kind '{kind}' is unknown — the journal was written by a newer Kasa; upgrade this one"
    )]
    UnknownKind {
        /// The code found.
        kind: String,
    },
}

impl ErrorCode for JournalError {
    fn code(&self) -> &'static str {
        match self {
            JournalError::UnknownKind { .. } => "journal.unknown_kind",
        }
    }
}

#[cfg(test)]
mod tests;
