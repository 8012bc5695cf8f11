//! The payloads of uploaded records: what a till writes inside each
//! [`Record`](crate::Record), as types head office reads and checks.
//!
//! | record kind | document types | payload type |
//! |---|---|---|
//! | `document` | `sale`, `return`, and every other document type | [`DocumentPayload`] (the till's stored document) |
//! | `stock_movement` | the document type that caused it | [`MovementPayload`] (a `kasa_domain::stock::StockMovement`) |
//! | `journal_entry` | — | [`JournalPayload`]: a whole `kasa_domain::journal::JournalEntry`, or only its summary |
//! | `audit` | — | [`AuditPayload`] |
//!
//! Readers are tolerant of what they do not use and strict about what they
//! do: unknown fields are ignored (a document's type-specific `body`, fields
//! a newer minor version adds), the fields marked *required* must be there,
//! and every field that is present must have its type and stay within
//! [`check`]'s bounds. Decimals are JSON strings (`"12.50"`) or integers,
//! never floats ([`WireDecimal`]).
//!
//! Head office parses every record with [`check::read_record`] before it
//! stores anything: a record that fails is refused with
//! `sync.invalid_record` naming its sequence, id and the reason, and
//! nothing of its batch is stored. Goldens of each payload are in
//! `fixtures/sync/payloads/`.

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use chrono::NaiveDateTime;
use kasa_domain::journal::JournalEntry;
use rust_decimal::Decimal;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use uuid::Uuid;

pub mod check;
pub mod examples;

pub use check::{InvalidRecord, RecordPayload, read_record};

/// A decimal as the wire carries it: a JSON string (`"12.50"`, `"-0.756"`)
/// or a JSON integer. A float is refused — its text is not an exact amount.
/// Serialised as a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct WireDecimal(pub Decimal);

impl Serialize for WireDecimal {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

struct WireDecimalVisitor;

impl Visitor<'_> for WireDecimalVisitor {
    type Value = WireDecimal;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal as a string (\"12.50\") or an integer")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<WireDecimal, E> {
        // rust_decimal also reads "1e5" and "0x10" shapes; the wire does not
        if v.is_empty()
            || !v
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
        {
            return Err(E::custom(format!("{v:?} is not a plain decimal number")));
        }
        Decimal::from_str(v)
            .map(WireDecimal)
            .map_err(|_| E::custom(format!("{v:?} is not a decimal within ±7.9e28")))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<WireDecimal, E> {
        Ok(WireDecimal(Decimal::from(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<WireDecimal, E> {
        Ok(WireDecimal(Decimal::from(v)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<WireDecimal, E> {
        Err(E::custom(format!(
            "{v} is a float; decimals travel as strings (\"12.50\")"
        )))
    }
}

impl<'de> Deserialize<'de> for WireDecimal {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(WireDecimalVisitor)
    }
}

/// A JSON object read as `T` — serde would also read a struct from an
/// array, by position; the wire has objects only.
struct Obj<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjVisitor<T> {
            type Value = T;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map))
            }
        }
        deserializer
            .deserialize_map(ObjVisitor(PhantomData))
            .map(Obj)
    }
}

/// A list of JSON objects (see [`Obj`]).
fn objects<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Vec<T>, D::Error> {
    Ok(Vec::<Obj<T>>::deserialize(deserializer)?
        .into_iter()
        .map(|o| o.0)
        .collect())
}

/// A completed document as the till stores and sends it
/// (`kasa_terminal::documents::StoredDocument`). Required: nothing for most
/// types; a `sale` or `return` needs `tenders` or `total` (what head
/// office's sales figures add).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DocumentPayload {
    /// The document id (equals the record id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
    /// Document type name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc_type: Option<String>,
    /// `completed`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The 10-digit human number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// Store the till is enrolled in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_id: Option<String>,
    /// The till.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminal_id: Option<String>,
    /// Login of the cashier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// When the work started (UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<NaiveDateTime>,
    /// When it completed (UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<NaiveDateTime>,
    /// ISO 4217 code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Receipt total (0 for documents without money).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<WireDecimal>,
    /// VAT total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat_total: Option<WireDecimal>,
    /// Customer code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
    /// The original document (returns, voids).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_id: Option<Uuid>,
    /// The shift it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shift_id: Option<Uuid>,
    /// Lines.
    #[serde(default, deserialize_with = "objects")]
    pub lines: Vec<LinePayload>,
    /// Payments (negative: change given, refunds).
    #[serde(default, deserialize_with = "objects")]
    pub tenders: Vec<TenderPayload>,
    /// The stock movements, each also sent as its own record.
    #[serde(default, deserialize_with = "objects")]
    pub movements: Vec<MovementPayload>,
    /// Journal sequence, for fiscal documents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journal_seq: Option<u64>,
}

/// One line of a document. Required: `sku`, `qty`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinePayload {
    /// 1-based line number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_no: Option<u32>,
    /// Product SKU.
    pub sku: String,
    /// Product name at the time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Quantity in base units (negative on returns).
    pub qty: WireDecimal,
    /// Unit price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<WireDecimal>,
    /// Money off the line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount: Option<WireDecimal>,
    /// Line total after discounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<WireDecimal>,
    /// VAT class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat_class: Option<String>,
    /// VAT rate in percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat_rate: Option<WireDecimal>,
    /// The line's VAT.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat_amount: Option<WireDecimal>,
    /// The price rule that won.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_rule: Option<String>,
    /// Unit cost, for profit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_cost: Option<WireDecimal>,
    /// For returns: the original document's line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_line_no: Option<u32>,
}

/// One payment of a document. Required: `kind`, `amount`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenderPayload {
    /// `cash`, `card`, `voucher`, `on_account`, `cash_rounding`, `change`…
    pub kind: String,
    /// Signed amount.
    pub amount: WireDecimal,
    /// Card slip, voucher code or customer code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// One immutable stock movement (`kasa_domain::stock::StockMovement`).
/// Required: `sku`, `qty`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MovementPayload {
    /// Movement id (equals the record id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
    /// Product SKU.
    pub sku: String,
    /// Store or warehouse id (informational: head office books the
    /// sending till's store).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Batch code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<String>,
    /// Signed quantity in base units.
    pub qty: WireDecimal,
    /// Unit cost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_cost: Option<WireDecimal>,
    /// Unit sale price, on sales and returns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_sale_price: Option<WireDecimal>,
    /// The document that caused it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_id: Option<Uuid>,
    /// When (UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<NaiveDateTime>,
    /// Why (`sale`, `receipt`, `adjustment`…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// A journal entry: the whole hash-chained entry head office verifies, or
/// only a summary of it (kept, but the terminal's journal becomes
/// unverifiable from there).
#[derive(Debug, Clone, PartialEq)]
pub enum JournalPayload {
    /// Everything needed to check the chain.
    Whole(Box<JournalEntry>),
    /// Some fields of an entry.
    Summary(JournalSummary),
}

/// The fields of a journal entry that are not enough to verify it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct JournalSummary {
    /// Journal sequence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// What happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_id: Option<Uuid>,
    /// The document total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<WireDecimal>,
    /// Hash of the previous entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev_hash: Option<String>,
    /// This entry's hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
}

/// An audit event (void, no-sale, price override, login…). Required: `event`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditPayload {
    /// What happened (`drawer_opened`, `line_voided`, `price_override`…).
    pub event: String,
    /// Who did it (login).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// The manager who approved it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approver: Option<String>,
    /// Why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The document it concerns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_id: Option<Uuid>,
    /// An amount involved (override price, voided total).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<WireDecimal>,
    /// When (UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<NaiveDateTime>,
}

#[cfg(test)]
mod tests;
