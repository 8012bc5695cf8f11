//! One constructed example of every message, frozen as golden files under
//! `fixtures/sync/` (see `tests/golden.rs`).
//!
//! Public so the server's and the terminal's tests can start from the same
//! messages. The JSON payloads list their keys in sorted order so the
//! output is identical whether or not serde_json's `preserve_order` feature
//! is switched on elsewhere in the build.

use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use uuid::Uuid;

use crate::envelope::ErrorEnvelope;
use crate::identity::{SeriesHash, SeriesPoint};
use crate::limits::Limits;
use crate::master_data::{
    ChangeOp, Cursor, CursorPosition, Entity, MasterDataChange, MasterDataPage,
    MasterDataPageRequest,
};
mod entity_examples;

use crate::upload::{Ack, Record, RecordKind, UploadBatch};
use crate::validate::BatchError;
use crate::version::{
    Capabilities, Feature, Hello, HelloReply, ProtocolVersion, VersionRange, Welcome, negotiate,
};

/// 2026-11-21T09:15:02Z.
const SALE_AT_SECS: i64 = 1_795_252_502;

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or(DateTime::UNIX_EPOCH)
}

/// The sale document's id, made on the terminal (UUIDv7).
pub const SALE_ID: Uuid = Uuid::from_u128(0x0193_4a2c_5e10_7b3a_9c4d_2f6e_8a1b_0001);

/// Terminal T01 of store S001 says hello.
pub fn hello() -> Hello {
    Hello {
        terminal_id: "T01".to_owned(),
        store_id: "S001".to_owned(),
        software: "kasa 0.1.0".to_owned(),
        capabilities: Capabilities::this_build(),
    }
}

/// What head office of this build states.
pub fn server_capabilities() -> Capabilities {
    let mut caps = Capabilities::this_build();
    caps.requires = BTreeSet::from([Feature::new(Feature::MASTER_DATA_V1)]);
    caps
}

/// Head office welcomes [`hello`].
pub fn welcome() -> Welcome {
    let server = server_capabilities();
    let agreed = match negotiate(&hello().capabilities, &server) {
        Ok(agreed) => agreed,
        // unreachable for this build's own capabilities; keep the example total
        Err(_) => crate::version::Agreed {
            version: ProtocolVersion::CURRENT,
            features: BTreeSet::new(),
            limits: Limits::default(),
        },
    };
    Welcome {
        agreed,
        server_software: "kasa-server 0.1.0".to_owned(),
        server_protocol: server.protocol,
    }
}

/// The welcome as a reply.
pub fn hello_reply_welcome() -> HelloReply {
    HelloReply::Welcome(welcome())
}

/// A 1.x till meets a head office that speaks only 2.0–2.3.
pub fn hello_reply_refusal() -> HelloReply {
    let client = hello().capabilities;
    let server = Capabilities {
        protocol: VersionRange::new(ProtocolVersion::new(2, 0), ProtocolVersion::new(2, 3)),
        ..server_capabilities()
    };
    match negotiate(&client, &server) {
        Err(err) => HelloReply::Refusal(err.refusal(server.protocol)),
        Ok(_) => HelloReply::Welcome(welcome()),
    }
}

/// A sale of two items with its stock movement, journal entry and an audit event.
pub fn upload_batch() -> UploadBatch {
    let sale_at = at(SALE_AT_SECS);
    let record =
        |seq: u64, id: u128, kind: RecordKind, document_type: Option<&str>, payload| Record {
            terminal_id: "T01".to_owned(),
            seq,
            id: Uuid::from_u128(id),
            kind,
            document_type: document_type.map(str::to_owned),
            created_at: sale_at,
            payload,
        };
    UploadBatch {
        protocol: ProtocolVersion::CURRENT,
        terminal_id: "T01".to_owned(),
        store_id: "S001".to_owned(),
        first_seq: 41,
        records: vec![
            record(
                41,
                SALE_ID.as_u128(),
                RecordKind::Document,
                Some("sale"),
                json!({
                    "cashier": "maria",
                    "currency": "EUR",
                    "lines": [
                        { "qty": "2", "sku": "1001", "total": "3.98", "unit_price": "1.99", "vat_class": "standard" },
                        { "qty": "0.756", "sku": "2040", "total": "5.29", "unit_price": "6.99", "vat_class": "reduced" }
                    ],
                    "number": "0000000041",
                    "tenders": [ { "amount": "9.27", "kind": "cash" } ],
                    "total": "9.27"
                }),
            ),
            record(
                42,
                0x0193_4a2c_5e10_7b3a_9c4d_2f6e_8a1b_0002,
                RecordKind::StockMovement,
                Some("sale"),
                json!({
                    "document_id": SALE_ID.to_string(),
                    "location": "S001",
                    "qty": "-2",
                    "sku": "1001",
                    "unit_cost": "1.20"
                }),
            ),
            record(
                43,
                0x0193_4a2c_5e10_7b3a_9c4d_2f6e_8a1b_0003,
                RecordKind::JournalEntry,
                None,
                json!({
                    "amount": "9.27",
                    "document_id": SALE_ID.to_string(),
                    "hash": "5d1c0e6f2b7a9c3d4e8f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d",
                    "kind": "sale",
                    "prev_hash": "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d",
                    "seq": 17
                }),
            ),
            record(
                44,
                0x0193_4a2c_5e10_7b3a_9c4d_2f6e_8a1b_0004,
                RecordKind::Audit,
                None,
                json!({ "actor": "maria", "event": "drawer_opened", "reason": "sale" }),
            ),
        ],
    }
}

/// Head office holds everything up to the batch's end; one record was a retry.
pub fn ack() -> Ack {
    Ack {
        terminal_id: "T01".to_owned(),
        highest_contiguous_seq: 44,
        duplicates: 1,
        applied: 3,
        chain_head: None,
        chain_at: None,
    }
}

/// The same acknowledgement to a 1.1 till: with the chain at the held
/// sequence, and (as a status answer to `?at=40`) the chain at seq 40.
pub fn ack_v1_1() -> Ack {
    let chain = |byte: u8| SeriesHash([byte; 32]);
    Ack {
        chain_head: Some(chain(0x4a)),
        chain_at: Some(SeriesPoint {
            seq: 40,
            chain: chain(0x40),
        }),
        ..ack()
    }
}

/// A fresh terminal's first page request.
pub fn master_data_page_request_first() -> MasterDataPageRequest {
    MasterDataPageRequest::from_start()
}

/// A request continuing after version 1,200.
pub fn master_data_page_request() -> MasterDataPageRequest {
    MasterDataPageRequest {
        cursor: Some(Cursor::encode(CursorPosition {
            after_version: 1_200,
        })),
        limit: 500,
    }
}

/// A page with one change of every entity (and a delete).
pub fn master_data_page() -> MasterDataPage {
    let upserts: Vec<(Entity, &str, serde_json::Value)> = vec![
        (
            Entity::Product,
            "1001",
            json!({ "brand": "Dobro", "group": "dairy", "lifecycle": "active", "name": "Milk 1 l", "plu": null, "tracks_batches": false, "unit": "piece", "vat_class": "standard" }),
        ),
        (
            Entity::Barcode,
            "4006381333931",
            json!({ "multiplier": "1", "sku": "1001" }),
        ),
        (
            Entity::Price,
            "1001/S001",
            json!({ "price": "1.99", "store": "S001", "valid_from": "2026-11-01" }),
        ),
        (
            Entity::PriceTier,
            "1001/step/wholesale/12",
            json!({ "customer_group": "wholesale", "kind": "step", "min_qty": "12", "price": "1.79" }),
        ),
        (
            Entity::Promotion,
            "PROMO-2026-11-BOGO",
            json!({ "from": "2026-11-20T00:00:00", "kind": { "buy": 2, "get": 1, "skus": ["1001"], "type": "bogo" }, "name": "Milk 2+1", "to": "2026-11-27T00:00:00" }),
        ),
        (
            Entity::Customer,
            "C0042",
            json!({ "balance": "0.00", "credit_limit": "500.00", "customer_group": "wholesale", "name": "Cafe Rila" }),
        ),
        (
            Entity::CustomerGroup,
            "wholesale",
            json!({ "name": "Wholesale" }),
        ),
        (
            Entity::TaxRate,
            "reduced/2026-01-01",
            json!({ "class": "reduced", "rate_percent": "9", "valid_from": "2026-01-01", "valid_to": null }),
        ),
        (
            Entity::User,
            "maria",
            json!({ "name": "Maria Ivanova", "pin_hash": "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo", "role": "cashier" }),
        ),
        (
            Entity::Role,
            "cashier",
            json!({ "permissions": ["no_sale"] }),
        ),
    ];
    let mut changes: Vec<MasterDataChange> = upserts
        .into_iter()
        .enumerate()
        .map(|(i, (entity, key, data))| MasterDataChange {
            version: 1_201 + i as u64,
            entity,
            key: key.to_owned(),
            op: ChangeOp::Upsert,
            data,
        })
        .collect();
    changes.push(MasterDataChange {
        version: 1_211,
        entity: Entity::Barcode,
        key: "4006381333900".to_owned(),
        op: ChangeOp::Delete,
        data: serde_json::Value::Null,
    });
    MasterDataPage {
        changes,
        next_cursor: Cursor::encode(CursorPosition {
            after_version: 1_211,
        }),
        has_more: true,
        server_version: 5_730,
    }
}

/// One change of each entity, its `data` in canonical form (the golden
/// files `master_data_<entity>.json`).
pub fn master_data_entities() -> Vec<(&'static str, MasterDataChange)> {
    let examples = entity_examples::all();
    examples
        .into_iter()
        .enumerate()
        .map(|(i, (file_name, key, payload))| {
            let data = payload.to_data().unwrap_or(serde_json::Value::Null);
            let change = MasterDataChange {
                version: 1_301 + i as u64,
                entity: payload.entity(),
                key: key.to_owned(),
                op: ChangeOp::Upsert,
                data,
            };
            (file_name, change)
        })
        .collect()
}

/// The server refuses a batch that starts past what it holds.
pub fn error_envelope() -> ErrorEnvelope {
    ErrorEnvelope::from_error(&BatchError::Gap {
        expected: 41,
        found: 45,
    })
}

/// One golden file: its name and how to produce and re-read it.
pub struct Example {
    /// File name under `fixtures/sync/`.
    pub file_name: &'static str,
    /// The example as pretty JSON with a trailing newline.
    pub pretty_json: String,
    /// Parse a file's text as this message type and print it again the same way.
    pub reserialise: fn(&str) -> Result<String, serde_json::Error>,
}

impl fmt::Debug for Example {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Example")
            .field("file_name", &self.file_name)
            .finish_non_exhaustive()
    }
}

/// The golden text form: two-space pretty JSON plus a newline.
pub fn pretty<T: Serialize>(message: &T) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(message).map(|mut text| {
        text.push('\n');
        text
    })
}

fn reserialise<T: Serialize + DeserializeOwned>(text: &str) -> Result<String, serde_json::Error> {
    pretty(&serde_json::from_str::<T>(text)?)
}

/// Read a change through the contract and print it in canonical form.
fn reserialise_entity(text: &str) -> Result<String, serde_json::Error> {
    use serde::de::Error as _;
    let change: MasterDataChange = serde_json::from_str(text)?;
    let typed = crate::master_data::entities::parse(&change).map_err(serde_json::Error::custom)?;
    let data = match typed {
        crate::TypedChange::Upsert(payload) => payload.to_data()?,
        crate::TypedChange::Delete(_) => serde_json::Value::Null,
    };
    pretty(&MasterDataChange { data, ..change })
}

fn example<T: Serialize + DeserializeOwned>(
    file_name: &'static str,
    message: T,
) -> Result<Example, serde_json::Error> {
    Ok(Example {
        file_name,
        pretty_json: pretty(&message)?,
        reserialise: reserialise::<T>,
    })
}

/// Every message, one file each.
pub fn all() -> Result<Vec<Example>, serde_json::Error> {
    let mut all = vec![
        example("hello.json", hello())?,
        example("hello_reply_welcome.json", hello_reply_welcome())?,
        example("hello_reply_refusal.json", hello_reply_refusal())?,
        example("upload_batch.json", upload_batch())?,
        example("ack.json", ack())?,
        example("ack_v1_1.json", ack_v1_1())?,
        example(
            "master_data_page_request_first.json",
            master_data_page_request_first(),
        )?,
        example("master_data_page_request.json", master_data_page_request())?,
        example("master_data_page.json", master_data_page())?,
        example("error_envelope.json", error_envelope())?,
    ];
    for (file_name, change) in master_data_entities() {
        all.push(Example {
            file_name,
            pretty_json: pretty(&change)?,
            reserialise: reserialise_entity,
        });
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Limits;
    use crate::master_data::check_page;
    use crate::validate::{BatchContext, validate_batch};
    use kasa_domain::ErrorCode;

    #[test]
    fn examples_are_valid_messages() {
        let ctx = BatchContext {
            terminal_id: "T01",
            store_id: "S001",
            accepted: VersionRange::SUPPORTED,
            limits: Limits::default(),
        };
        validate_batch(&upload_batch(), &ctx).unwrap();
        check_page(&master_data_page(), &master_data_page_request()).unwrap();
        assert!(matches!(hello_reply_welcome(), HelloReply::Welcome(_)));
        match hello_reply_refusal() {
            HelloReply::Refusal(r) => assert_eq!(r.code, "sync.terminal_too_old"),
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert_eq!(
            error_envelope().code(),
            BatchError::Gap {
                expected: 1,
                found: 2
            }
            .code()
        );
        let entities: BTreeSet<_> = master_data_page()
            .changes
            .iter()
            .map(|c| c.entity)
            .collect();
        assert_eq!(entities.len(), Entity::ALL.len(), "every entity appears");
    }

    #[test]
    fn file_names_are_unique() {
        let all = all().unwrap();
        let names: BTreeSet<_> = all.iter().map(|e| e.file_name).collect();
        assert_eq!(names.len(), all.len());
    }
}
