//! Series identity: what makes "the record at seq 41" one particular record.
//!
//! A sequence number alone cannot tell two tills apart that write the same
//! numbers: a till restored from an old copy of its database, or a disk
//! image cloned to a second till, writes new records under sequences head
//! office already holds. So both sides hash the series:
//!
//! - [`record_digest`]: SHA-256 over a record's id, kind, document type and
//!   payload text (exactly the bytes sent — payloads travel and are stored
//!   as text, decision 39). `created_at` is left out: head office keeps it
//!   to the millisecond, and the payload carries the document's own time.
//! - [`SeriesHash`]: the chain `chain(0) = 0…0`, `chain(n) = SHA-256(chain(n-1)
//!   ‖ digest(n))`. Equal chains at seq `n` mean equal records `1..=n`.
//!
//! Head office computes the chain as it stores records, compares it on
//! every overlap (a different record at a held sequence is a *conflict*,
//! never a duplicate) and reports it in the [`Ack`](crate::Ack) (protocol
//! 1.1). The till compares head office's chain with its own before it
//! trusts an acknowledgement ([`compare_series`]): a difference means its
//! series forked from head office's and uploading stops; a head office
//! holding less than the till had confirmed, on a chain that agrees, was
//! restored from a backup and is refilled.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::upload::RecordKind;

/// A 32-byte SHA-256 value of the series chain (hex on the wire).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema),
    schema(value_type = String, format = "hex")
)]
pub struct SeriesHash(pub [u8; 32]);

impl SeriesHash {
    /// The chain before the first record (seq 0).
    pub const GENESIS: SeriesHash = SeriesHash([0; 32]);

    /// The chain after one more record with digest `digest`.
    pub fn next(&self, digest: &[u8; 32]) -> SeriesHash {
        let out = Sha256::new()
            .chain_update(self.0)
            .chain_update(digest)
            .finalize();
        SeriesHash(out.into())
    }

    /// From 32 raw bytes (as stored); `None` for any other length.
    pub fn from_slice(bytes: &[u8]) -> Option<SeriesHash> {
        <[u8; 32]>::try_from(bytes).ok().map(SeriesHash)
    }

    /// Lower-case hex, 64 characters.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parse 64 hex characters (either case).
    pub fn from_hex(text: &str) -> Option<SeriesHash> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(text, &mut out).ok()?;
        Some(SeriesHash(out))
    }
}

impl fmt::Debug for SeriesHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SeriesHash({})", self.to_hex())
    }
}

impl fmt::Display for SeriesHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl Serialize for SeriesHash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for SeriesHash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        SeriesHash::from_hex(&text)
            .ok_or_else(|| serde::de::Error::custom("expected 64 hex characters (SHA-256)"))
    }
}

/// The chain of a series at one sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SeriesPoint {
    /// The sequence (0 = before the first record).
    pub seq: u64,
    /// The chain over records `1..=seq`.
    pub chain: SeriesHash,
}

/// SHA-256 of what identifies a record: its id, kind, document type and
/// payload text. Fields are length- or marker-delimited so no two records
/// share an input.
pub fn record_digest(
    id: &Uuid,
    kind: RecordKind,
    document_type: Option<&str>,
    payload: &str,
) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(b"kasa record v1\0");
    hasher.update(id.as_bytes());
    hasher.update(kind_tag(kind));
    match document_type {
        None => hasher.update([0u8]),
        Some(t) => {
            hasher.update([1u8]);
            hasher.update((t.len() as u64).to_be_bytes());
            hasher.update(t.as_bytes());
        }
    }
    hasher.update((payload.len() as u64).to_be_bytes());
    hasher.update(payload.as_bytes());
    hasher.finalize().into()
}

fn kind_tag(kind: RecordKind) -> [u8; 1] {
    match kind {
        RecordKind::Document => [1],
        RecordKind::StockMovement => [2],
        RecordKind::JournalEntry => [3],
        RecordKind::Audit => [4],
    }
}

/// How the till's series stands against head office's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesVerdict {
    /// Head office holds a prefix of the till's series (or all of it).
    Agrees,
    /// Head office holds less than the till had already seen confirmed, on
    /// a chain that agrees: it was restored from an older backup. The till
    /// re-sends from `held + 1`.
    HeadOfficeBehind {
        /// What head office holds now.
        held: u64,
        /// What the till had recorded as confirmed.
        confirmed: u64,
    },
    /// Head office holds more than this till ever wrote, and the part both
    /// have agrees: the till's database is older than what it sent
    /// (restored backup, reinstall). Any new record would fork the series.
    HeadOfficeAhead {
        /// What head office holds.
        held: u64,
        /// The till's last sequence.
        local_last: u64,
    },
    /// The two series hold different records at `seq`.
    Diverged {
        /// A sequence both hold with different chains.
        seq: u64,
    },
}

/// Compare head office's chain at `server.seq` with the till's own chain at
/// that sequence (`local_chain_at_server_seq`, `None` when the till never
/// wrote that sequence). `held` is head office's highest contiguous
/// sequence, `local_last` the till's last, `confirmed` the till's
/// confirmed watermark.
///
/// `server` is the chain head office reported: at `held` when the till
/// holds that sequence, else at `local_last` (the till asks for it).
pub fn compare_series(
    held: u64,
    server: SeriesPoint,
    local_chain_at_server_seq: Option<SeriesHash>,
    local_last: u64,
    confirmed: u64,
) -> SeriesVerdict {
    match local_chain_at_server_seq {
        Some(local) if local != server.chain => SeriesVerdict::Diverged { seq: server.seq },
        None if server.seq > 0 => SeriesVerdict::Diverged { seq: server.seq },
        _ if held > local_last => SeriesVerdict::HeadOfficeAhead { held, local_last },
        _ if held < confirmed => SeriesVerdict::HeadOfficeBehind { held, confirmed },
        _ => SeriesVerdict::Agrees,
    }
}

/// Find the first sequence at which two series differ, given that they
/// agree at `agree` and differ at `differ` (`agree < differ`), by asking
/// `same(seq)` — a binary search: about log2(differ - agree) questions
/// (each one a status request to head office).
pub fn first_divergent_seq<E>(
    mut agree: u64,
    mut differ: u64,
    mut same: impl FnMut(u64) -> Result<bool, E>,
) -> Result<u64, E> {
    while differ - agree > 1 {
        let mid = agree + (differ - agree) / 2;
        if same(mid)? {
            agree = mid;
        } else {
            differ = mid;
        }
    }
    Ok(differ)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn chain_of(payloads: &[&str]) -> Vec<SeriesHash> {
        let mut out = vec![SeriesHash::GENESIS];
        for (i, p) in payloads.iter().enumerate() {
            let id = Uuid::from_u128(i as u128 + 1);
            let d = record_digest(&id, RecordKind::Document, Some("sale"), p);
            let next = out[i].next(&d);
            out.push(next);
        }
        out
    }

    #[test]
    fn hex_round_trips_and_refuses_bad_text() {
        let h = chain_of(&["{}"])[1];
        assert_eq!(SeriesHash::from_hex(&h.to_hex()), Some(h));
        assert_eq!(SeriesHash::from_hex(&h.to_hex().to_uppercase()), Some(h));
        assert_eq!(SeriesHash::from_hex("00"), None);
        assert_eq!(SeriesHash::from_hex(&"g".repeat(64)), None);
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(serde_json::from_str::<SeriesHash>(&json).unwrap(), h);
        assert!(serde_json::from_str::<SeriesHash>("\"abc\"").is_err());
    }

    #[test]
    fn every_field_changes_the_digest() {
        let id = Uuid::from_u128(7);
        let base = record_digest(&id, RecordKind::Document, Some("sale"), "{\"a\":1}");
        assert_ne!(
            base,
            record_digest(
                &Uuid::from_u128(8),
                RecordKind::Document,
                Some("sale"),
                "{\"a\":1}"
            )
        );
        assert_ne!(
            base,
            record_digest(&id, RecordKind::Audit, Some("sale"), "{\"a\":1}")
        );
        assert_ne!(
            base,
            record_digest(&id, RecordKind::Document, Some("return"), "{\"a\":1}")
        );
        assert_ne!(
            base,
            record_digest(&id, RecordKind::Document, None, "{\"a\":1}")
        );
        assert_ne!(
            base,
            record_digest(&id, RecordKind::Document, Some("sale"), "{\"a\":1.0}")
        );
        // the boundary between document type and payload is not ambiguous
        assert_ne!(
            record_digest(&id, RecordKind::Document, Some("ab"), "c"),
            record_digest(&id, RecordKind::Document, Some("a"), "bc")
        );
    }

    #[test]
    fn chains_differ_from_the_first_different_record_on() {
        let a = chain_of(&["1", "2", "3", "4"]);
        let b = chain_of(&["1", "2", "X", "4"]);
        assert_eq!(a[..3], b[..3]);
        assert!(a[3..].iter().zip(&b[3..]).all(|(x, y)| x != y));
    }

    fn point(seq: u64, chain: SeriesHash) -> SeriesPoint {
        SeriesPoint { seq, chain }
    }

    #[test]
    fn verdicts() {
        let c = chain_of(&["1", "2", "3", "4", "5"]);
        let other = chain_of(&["1", "2", "x", "y", "z"]);
        // head office holds a prefix
        assert_eq!(
            compare_series(3, point(3, c[3]), Some(c[3]), 5, 2),
            SeriesVerdict::Agrees
        );
        // restored head office
        assert_eq!(
            compare_series(2, point(2, c[2]), Some(c[2]), 5, 5),
            SeriesVerdict::HeadOfficeBehind {
                held: 2,
                confirmed: 5
            }
        );
        // restored till without new sales: head office answered at the till's last
        assert_eq!(
            compare_series(5, point(3, c[3]), Some(c[3]), 3, 3),
            SeriesVerdict::HeadOfficeAhead {
                held: 5,
                local_last: 3
            }
        );
        // restored or cloned till with new sales
        assert_eq!(
            compare_series(5, point(5, other[5]), Some(c[5]), 5, 2),
            SeriesVerdict::Diverged { seq: 5 }
        );
        assert_eq!(
            compare_series(5, point(4, other[4]), Some(c[4]), 4, 2),
            SeriesVerdict::Diverged { seq: 4 }
        );
        // nothing held on either side
        assert_eq!(
            compare_series(
                0,
                point(0, SeriesHash::GENESIS),
                Some(SeriesHash::GENESIS),
                0,
                0
            ),
            SeriesVerdict::Agrees
        );
    }

    proptest! {
        #[test]
        fn binary_search_finds_the_first_difference(len in 2u64..5_000, split in 0u64..5_000) {
            let first_diff = 1 + split % (len - 1); // in 1..len
            let mut asked = 0;
            let found = first_divergent_seq::<()>(0, len, |seq| {
                asked += 1;
                Ok(seq < first_diff)
            }).unwrap();
            prop_assert_eq!(found, first_diff);
            prop_assert!(asked <= 64 - len.leading_zeros() as usize + 1);
        }
    }
}
