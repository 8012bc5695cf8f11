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
//! Rules: key 1–256 bytes; an upsert carries an object, a delete nothing;
//! one change ≤ 1 MiB as JSON (so any change fits a page).

use kasa_sync_protocol::limits::{MAX_CHANGE_BYTES, MAX_KEY_BYTES};
use kasa_sync_protocol::{ChangeOp, Entity};
use serde::Deserialize;

use crate::db::NewChange;

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

/// Check one change.
pub fn check(input: ChangeInput, index: usize) -> Result<NewChange, String> {
    let at = |what: String| format!("change {index} (key \"{}\"): {what}", input.key);
    if input.key.is_empty() || input.key.len() > MAX_KEY_BYTES {
        return Err(at(format!("key must be 1–{MAX_KEY_BYTES} bytes")));
    }
    match (input.op, &input.data) {
        (ChangeOp::Upsert, serde_json::Value::Object(_))
        | (ChangeOp::Delete, serde_json::Value::Null) => {}
        (ChangeOp::Upsert, _) => return Err(at("an upsert needs data as a JSON object".into())),
        (ChangeOp::Delete, _) => return Err(at("a delete carries no data".into())),
    }
    let bytes = input.data.to_string().len() as u64 + input.key.len() as u64 + 64;
    if bytes > MAX_CHANGE_BYTES {
        return Err(at(format!(
            "{bytes} bytes is more than the {MAX_CHANGE_BYTES} a change may have"
        )));
    }
    Ok(NewChange {
        entity: input.entity,
        key: input.key,
        op: input.op,
        data: input.data,
    })
}

/// Parse and check a JSON publish request.
pub fn from_json(body: &[u8]) -> Result<(Option<String>, Vec<NewChange>), String> {
    let request: PublishRequest =
        serde_json::from_slice(body).map_err(|e| format!("publish request is not valid: {e}"))?;
    let changes = request
        .changes
        .into_iter()
        .enumerate()
        .map(|(i, c)| check(c, i))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((request.store_id, changes))
}

/// Parse and check a CSV upload of one entity.
pub fn from_csv(
    body: &[u8],
    entity: Entity,
    key_column: Option<&str>,
) -> Result<Vec<NewChange>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(body);
    let headers = reader
        .headers()
        .map_err(|e| format!("CSV header row is not readable: {e}"))?
        .clone();
    let key_index = match key_column {
        Some(name) => headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| format!("CSV has no column \"{name}\" for the key"))?,
        None if headers.is_empty() => return Err("CSV has no columns".into()),
        None => 0,
    };
    let op_index = headers.iter().position(|h| h == "op");
    let mut changes = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let row = row.map_err(|e| format!("CSV row {} is not readable: {e}", i + 2))?;
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
        changes.push(
            check(
                ChangeInput {
                    entity,
                    key,
                    op,
                    data,
                },
                i,
            )
            .map_err(|e| format!("CSV row {}: {e}", i + 2))?,
        );
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
        let by_name = from_csv(csv.as_bytes(), Entity::Product, Some("name")).unwrap_err();
        assert!(by_name.contains("row 4"), "{by_name}");
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
            br#"{"chnages":[]}"#,
        ] {
            assert!(from_json(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }
}
