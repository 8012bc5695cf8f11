//! Server side, fast path: a page written straight from the change log's
//! stored JSON.
//!
//! Head office stores each change's `data` as compact JSON text (written
//! once, when it was published). Parsing that text into a
//! `serde_json::Value` for every pull, only to measure and serialise it
//! again, was most of head office's work per page. [`encode_page`] writes
//! the page's JSON directly from the stored text instead, with exactly the
//! cut rules of [`build_page`](super::build_page): the bytes it produces are
//! the bytes `serde_json` gives for the page `build_page` cuts from the same
//! changes (a property test below holds it to that), so the wire format
//! does not change.
//!
//! The stored text is trusted to be one JSON value (head office wrote it
//! from a parsed value); the till still parses and checks every page.

use super::{
    ChangeOp, Cursor, CursorPosition, Entity, MasterDataPageRequest, PAGE_ENVELOPE_RESERVE_BYTES,
};
use crate::body::BodyError;

/// A change as head office stores it: `data` is still JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredChange {
    /// Position in the tenant's change sequence.
    pub version: u64,
    /// What it is about.
    pub entity: Entity,
    /// Which one.
    pub key: String,
    /// Upsert or delete.
    pub op: ChangeOp,
    /// The entity as compact JSON (`null` for a delete), as published.
    pub data_json: String,
}

/// A page ready to send: its JSON and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedPage {
    /// The `MasterDataPage` as compact JSON.
    pub json: Vec<u8>,
    /// Changes in it.
    pub changes: usize,
    /// Its `next_cursor`.
    pub next_cursor: Cursor,
    /// Its `has_more`.
    pub has_more: bool,
}

fn write_change(out: &mut Vec<u8>, change: &StoredChange) -> serde_json::Result<()> {
    out.extend_from_slice(b"{\"version\":");
    out.extend_from_slice(change.version.to_string().as_bytes());
    out.extend_from_slice(b",\"entity\":\"");
    out.extend_from_slice(change.entity.as_str().as_bytes());
    out.extend_from_slice(b"\",\"key\":");
    serde_json::to_writer(&mut *out, &change.key)?;
    out.extend_from_slice(b",\"op\":\"");
    out.extend_from_slice(change.op.as_str().as_bytes());
    out.extend_from_slice(b"\",\"data\":");
    out.extend_from_slice(change.data_json.as_bytes());
    out.push(b'}');
    Ok(())
}

/// Cut the next page and write it as JSON, as [`build_page`](super::build_page)
/// would cut it (`candidates`: changes after `after`, ascending).
pub fn encode_page(
    after: CursorPosition,
    request: &MasterDataPageRequest,
    candidates: impl IntoIterator<Item = StoredChange>,
    max_bytes: u64,
    server_version: u64,
) -> Result<EncodedPage, BodyError> {
    let bad = |e: serde_json::Error| BodyError::BadJson {
        detail: e.to_string(),
    };
    let limit = request.effective_limit() as usize;
    let mut json = Vec::with_capacity(64 * 1024);
    json.extend_from_slice(b"{\"changes\":[");
    let mut count = 0usize;
    let mut bytes = PAGE_ENVELOPE_RESERVE_BYTES;
    let mut has_more = false;
    let mut last = after.after_version;
    for change in candidates {
        if count == limit {
            has_more = true;
            break;
        }
        let start = json.len();
        if count > 0 {
            json.push(b',');
        }
        let body_start = json.len();
        write_change(&mut json, &change).map_err(bad)?;
        let cost = (json.len() - body_start) as u64 + 1;
        if count > 0 && bytes.saturating_add(cost) > max_bytes {
            json.truncate(start);
            has_more = true;
            break;
        }
        bytes = bytes.saturating_add(cost);
        count += 1;
        last = change.version;
    }
    let next_cursor = Cursor::encode(CursorPosition {
        after_version: last,
    });
    json.extend_from_slice(b"],\"next_cursor\":");
    serde_json::to_writer(&mut json, &next_cursor).map_err(bad)?;
    json.extend_from_slice(if has_more {
        b",\"has_more\":true"
    } else {
        b",\"has_more\":false"
    });
    json.extend_from_slice(b",\"server_version\":");
    json.extend_from_slice(server_version.max(last).to_string().as_bytes());
    json.push(b'}');
    Ok(EncodedPage {
        json,
        changes: count,
        next_cursor,
        has_more,
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;
    use crate::examples;
    use crate::master_data::{MasterDataChange, MasterDataPage, build_page};

    fn stored(change: &MasterDataChange) -> StoredChange {
        StoredChange {
            version: change.version,
            entity: change.entity,
            key: change.key.clone(),
            op: change.op,
            data_json: change.data.to_string(),
        }
    }

    fn both(
        after: u64,
        limit: u32,
        changes: &[MasterDataChange],
        max_bytes: u64,
        server_version: u64,
    ) -> (Vec<u8>, EncodedPage, MasterDataPage) {
        let after = CursorPosition {
            after_version: after,
        };
        let request = MasterDataPageRequest {
            cursor: None,
            limit,
        };
        let page = build_page(
            after,
            &request,
            changes.iter().cloned(),
            max_bytes,
            server_version,
        );
        let encoded = encode_page(
            after,
            &request,
            changes.iter().map(stored),
            max_bytes,
            server_version,
        )
        .unwrap();
        (serde_json::to_vec(&page).unwrap(), encoded, page)
    }

    #[test]
    fn the_golden_page_encodes_to_the_same_bytes() {
        let example = examples::master_data_page();
        let (expected, encoded, page) = both(
            1200,
            5_000,
            &example.changes,
            8 << 20,
            example.server_version,
        );
        assert_eq!(
            String::from_utf8(encoded.json).unwrap(),
            String::from_utf8(expected).unwrap()
        );
        assert_eq!(encoded.changes, page.changes.len());
        assert_eq!(encoded.next_cursor, page.next_cursor);
    }

    fn arbitrary_change() -> impl Strategy<Value = (u64, usize, String, bool, String)> {
        (
            1u64..4,
            0usize..Entity::ALL.len(),
            "[a-zA-Z0-9 \"\\\\/\u{0}-\u{1f}äж€😀]{1,12}",
            any::<bool>(),
            "[a-z \"\\\\\u{1}жé]{0,80}",
        )
    }

    proptest! {
        /// Any log, any cut: the written page is what serde writes for
        /// the page `build_page` cuts (same changes, cursor, has_more).
        #[test]
        fn encoded_pages_equal_serde_pages(
            steps in prop::collection::vec(arbitrary_change(), 0..60),
            limit in 1u32..40,
            max_bytes in 300u64..4_000,
            after in 0u64..3,
        ) {
            let mut version = after;
            let changes: Vec<MasterDataChange> = steps
                .into_iter()
                .map(|(step, entity, key, delete, name)| {
                    version += step;
                    MasterDataChange {
                        version,
                        entity: Entity::ALL[entity],
                        key,
                        op: if delete { ChangeOp::Delete } else { ChangeOp::Upsert },
                        data: if delete {
                            serde_json::Value::Null
                        } else {
                            json!({ "name": name, "n": version, "tags": [name, null, true] })
                        },
                    }
                })
                .collect();
            let (expected, encoded, page) = both(after, limit, &changes, max_bytes, version + 2);
            prop_assert_eq!(encoded.json, expected);
            prop_assert_eq!(encoded.changes, page.changes.len());
            prop_assert_eq!(encoded.has_more, page.has_more);
            prop_assert_eq!(encoded.next_cursor, page.next_cursor);
        }
    }
}
