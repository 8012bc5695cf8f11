//! Master data head office publishes, from JSON or CSV, checked before
//! anything is stored: every change becomes the tenant's next version and
//! terminals pull it by cursor.
//!
//! JSON: `{"store_id": null | "S001", "changes": [{"entity": "product",
//! "key": "1001", "op": "upsert", "data": {…}}, {"entity": "barcode", "key":
//! "4006381333900", "op": "delete"}]}`.
//!
//! CSV (one entity per upload, `?entity=product&key=sku&store=S001`): a
//! header row; each row becomes an upsert whose data is the row as an object
//! of strings (column → value); the key is the column named by `key`
//! (default: the first column). A column `op` with `delete` deletes the key.
//!
//! Every change is read through the wire contract
//! ([`kasa_sync_protocol::master_data::entities`]) before anything is
//! stored: its key form, its fields and their values as the till reads them.
//! The first change that breaks it refuses the whole publish with its
//! `sync.change_*` code (HTTP 422, 413 for a change over 1 MiB) and a
//! message naming the change; nothing of that publish is stored. So every
//! change head office holds is one every till can apply. The data is
//! stored as published (not in the contract's canonical form), so what
//! tills receive is byte for byte what was sent.

use kasa_domain::ErrorCode;
use kasa_sync_protocol::master_data::entities::{ChangeError, parse_change};
use kasa_sync_protocol::{ChangeOp, Entity};
use serde::Deserialize;

use crate::db::NewChange;
use crate::error::ApiError;

/// One change as uploaded.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeInput {
    /// What kind of thing.
    pub entity: Entity,
    /// Its key.
    pub key: String,
    /// Upsert or delete.
    pub op: ChangeOp,
    /// The entity (upsert only).
    #[serde(default)]
    pub data: serde_json::Value,
}

/// A JSON publish request.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishRequest {
    /// Store-scoped changes (only that store's terminals see them); `None` = the whole tenant.
    #[serde(default)]
    pub store_id: Option<String>,
    /// The changes, applied in order.
    pub changes: Vec<ChangeInput>,
}

/// Why a publish was refused (nothing of it stored).
#[derive(Debug, Clone, thiserror::Error)]
pub enum PublishError {
    /// The upload is not a publish request at all (bad JSON, bad CSV).
    #[error("{0}")]
    Unreadable(String),
    /// One change breaks the contract.
    #[error("{at}: {source} — fix it and publish again; nothing of this upload was stored")]
    Change {
        /// `change 3` (JSON, from 0) or `CSV row 4`.
        at: String,
        /// What is wrong.
        source: ChangeError,
    },
}

impl ErrorCode for PublishError {
    fn code(&self) -> &'static str {
        match self {
            PublishError::Unreadable(_) => "server.bad_request",
            PublishError::Change { source, .. } => source.code(),
        }
    }
}

impl From<PublishError> for ApiError {
    fn from(e: PublishError) -> Self {
        match e {
            PublishError::Unreadable(message) => ApiError::bad_request(message),
            change => ApiError::sync(&change),
        }
    }
}

/// Check one change against the contract.
pub fn check(input: ChangeInput, at: impl FnOnce() -> String) -> Result<NewChange, PublishError> {
    parse_change(input.entity, &input.key, input.op, &input.data)
        .map_err(|source| PublishError::Change { at: at(), source })?;
    Ok(NewChange {
        entity: input.entity,
        key: input.key,
        op: input.op,
        data: input.data,
    })
}

/// Parse and check a JSON publish request.
pub fn from_json(body: &[u8]) -> Result<(Option<String>, Vec<NewChange>), PublishError> {
    let request: PublishRequest = serde_json::from_slice(body)
        .map_err(|e| PublishError::Unreadable(format!("publish request is not valid: {e}")))?;
    let changes = request
        .changes
        .into_iter()
        .enumerate()
        .map(|(i, c)| check(c, || format!("change {i}")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((request.store_id, changes))
}

/// Parse and check a CSV upload of one entity.
pub fn from_csv(
    body: &[u8],
    entity: Entity,
    key_column: Option<&str>,
) -> Result<Vec<NewChange>, PublishError> {
    let unreadable = PublishError::Unreadable;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(body);
    let headers = reader
        .headers()
        .map_err(|e| unreadable(format!("CSV header row is not readable: {e}")))?
        .clone();
    let key_index = match key_column {
        Some(name) => headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| unreadable(format!("CSV has no column \"{name}\" for the key")))?,
        None if headers.is_empty() => return Err(unreadable("CSV has no columns".into())),
        None => 0,
    };
    let op_index = headers.iter().position(|h| h == "op");
    let mut changes = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let row = row.map_err(|e| unreadable(format!("CSV row {} is not readable: {e}", i + 2)))?;
        let key = row.get(key_index).unwrap_or("").to_owned();
        let delete = op_index
            .and_then(|j| row.get(j))
            .is_some_and(|op| op.eq_ignore_ascii_case("delete"));
        let data = if delete {
            serde_json::Value::Null
        } else {
            serde_json::Value::Object(
                headers
                    .iter()
                    .zip(row.iter())
                    .filter(|(h, _)| Some(*h) != op_index.map(|_| "op"))
                    .map(|(h, v)| (h.to_owned(), serde_json::Value::String(v.to_owned())))
                    .collect(),
            )
        };
        let op = if delete {
            ChangeOp::Delete
        } else {
            ChangeOp::Upsert
        };
        let input = ChangeInput {
            entity,
            key,
            op,
            data,
        };
        changes.push(check(input, || format!("CSV row {}", i + 2))?);
    }
    Ok(changes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_become_upserts_and_deletes() {
        let csv = "sku,name,price,op\n1001,Milk 1 l,1.99,\n2040, Cheese ,6.99,\n3000,,,delete\n";
        let changes = from_csv(csv.as_bytes(), Entity::Product, None).unwrap();
        assert_eq!(changes.len(), 3);
        assert_eq!(changes[0].key, "1001");
        assert_eq!(
            changes[0].data,
            serde_json::json!({"sku":"1001","name":"Milk 1 l","price":"1.99"})
        );
        assert_eq!(changes[1].data["name"], "Cheese");
        assert_eq!(
            (changes[2].op, &changes[2].data),
            (ChangeOp::Delete, &serde_json::Value::Null)
        );
        // keyed by name, "Milk 1 l" is not a SKU (spaces)
        let by_name = from_csv(csv.as_bytes(), Entity::Product, Some("name")).unwrap_err();
        assert_eq!(by_name.code(), "sync.change_bad_key");
        assert!(by_name.to_string().contains("CSV row 2"), "{by_name}");
        assert!(from_csv(csv.as_bytes(), Entity::Product, Some("nope")).is_err());
    }

    #[test]
    fn json_changes_are_checked() {
        let ok = br#"{"changes":[{"entity":"product","key":"1","op":"upsert","data":{"name":"x"}},{"entity":"barcode","key":"2","op":"delete"}]}"#;
        let (store, changes) = from_json(ok).unwrap();
        assert_eq!((store, changes.len()), (None, 2));
        for bad in [
            br#"{"changes":[{"entity":"product","key":"","op":"upsert","data":{}}]}"#.as_slice(),
            br#"{"changes":[{"entity":"product","key":"1","op":"upsert","data":"x"}]}"#,
            br#"{"changes":[{"entity":"product","key":"1","op":"delete","data":{}}]}"#,
            br#"{"changes":[{"entity":"planet","key":"1","op":"delete"}]}"#,
            br#"{"changes":[{"entity":"product","key":"1","op":"upsert","data":{"name":"x","unit":"box"}}]}"#,
            br#"{"chnages":[]}"#,
        ] {
            assert!(from_json(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        let err = from_json(br#"{"changes":[{"entity":"product","key":"1","op":"upsert","data":{"name":"x"}},{"entity":"product","key":"2","op":"upsert","data":{"name":"y","price":"-1"}}]}"#).unwrap_err();
        assert_eq!(err.code(), "sync.change_bad_value");
        assert!(
            err.to_string().starts_with("change 1: product \"2\""),
            "{err}"
        );
    }
}
