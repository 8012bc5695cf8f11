//! Server side of the download: cutting one page from the change log.
//!
//! The server reads the changes after the request's cursor in version order
//! (its query may fetch `limit + 1` rows, or stream) and hands them to
//! [`build_page`], which takes as many as fit both the change limit and the
//! byte limit and sets `next_cursor` / `has_more`. A page always carries at
//! least one change when one is waiting, so a pull always makes progress;
//! the server keeps single changes far below the page limit by refusing
//! to publish any change over [`MAX_CHANGE_BYTES`](crate::limits::MAX_CHANGE_BYTES).

use super::{Cursor, CursorPosition, MasterDataChange, MasterDataPage, MasterDataPageRequest};
use crate::upload::encoded_len;

/// Bytes reserved for everything in a page but its changes (the envelope is
/// about 110 bytes; the rest is margin).
pub const PAGE_ENVELOPE_RESERVE_BYTES: u64 = 256;

/// Cut the next page.
///
/// - `after`: where the request's cursor points (`after_version` 0 for no cursor);
/// - `candidates`: changes with `version > after.after_version`, ascending;
/// - `max_bytes`: the page byte limit ([`MAX_PAGE_BYTES`](crate::limits::MAX_PAGE_BYTES));
/// - `server_version`: the newest version the server has.
pub fn build_page(
    after: CursorPosition,
    request: &MasterDataPageRequest,
    candidates: impl IntoIterator<Item = MasterDataChange>,
    max_bytes: u64,
    server_version: u64,
) -> MasterDataPage {
    let limit = request.effective_limit() as usize;
    let mut changes = Vec::new();
    let mut bytes = PAGE_ENVELOPE_RESERVE_BYTES;
    let mut has_more = false;
    for change in candidates {
        let cost = encoded_len(&change).saturating_add(1);
        if changes.len() == limit || (!changes.is_empty() && bytes.saturating_add(cost) > max_bytes)
        {
            has_more = true;
            break;
        }
        bytes = bytes.saturating_add(cost);
        changes.push(change);
    }
    let last = changes.last().map_or(after.after_version, |c| c.version);
    MasterDataPage {
        changes,
        next_cursor: Cursor::encode(CursorPosition {
            after_version: last,
        }),
        has_more,
        server_version: server_version.max(last),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;
    use crate::master_data::{ChangeOp, Entity, check_page};

    fn log(steps: &[(u64, usize, bool)]) -> Vec<MasterDataChange> {
        let mut version = 0;
        steps
            .iter()
            .enumerate()
            .map(|(i, &(step, size, delete))| {
                version += step;
                MasterDataChange {
                    version,
                    entity: Entity::ALL[i % Entity::ALL.len()],
                    key: format!("k{i}"),
                    op: if delete {
                        ChangeOp::Delete
                    } else {
                        ChangeOp::Upsert
                    },
                    data: if delete {
                        serde_json::Value::Null
                    } else {
                        json!({ "name": "n".repeat(size) })
                    },
                }
            })
            .collect()
    }

    #[test]
    fn an_empty_log_gives_an_empty_final_page() {
        let request = MasterDataPageRequest::from_start();
        let page = build_page(
            CursorPosition { after_version: 0 },
            &request,
            vec![],
            1 << 20,
            0,
        );
        assert!(page.changes.is_empty());
        assert!(!page.has_more);
        assert_eq!(page.next_cursor.decode().unwrap().after_version, 0);
        check_page(&page, &request).unwrap();
    }

    #[test]
    fn one_oversized_change_still_makes_progress() {
        let changes = log(&[(1, 5_000, false), (1, 10, false)]);
        let request = MasterDataPageRequest {
            cursor: None,
            limit: 10,
        };
        let page = build_page(
            CursorPosition { after_version: 0 },
            &request,
            changes,
            1_000,
            2,
        );
        assert_eq!(page.changes.len(), 1);
        assert!(page.has_more);
    }

    proptest! {
        /// Pulling page after page from no cursor yields the whole log, in
        /// order, each change once; every page passes the terminal's checks
        /// and stays within its bounds.
        #[test]
        fn paging_covers_the_log_exactly(
            steps in prop::collection::vec((1u64..5, 0usize..300, any::<bool>()), 0..120),
            limit in 1u32..20,
            max_bytes in 600u64..5_000,
        ) {
            let all = log(&steps);
            let server_version = all.last().map_or(0, |c| c.version);
            let mut request = MasterDataPageRequest { cursor: None, limit };
            let mut pulled = Vec::new();
            for _ in 0..=all.len() {
                let after = request
                    .cursor
                    .as_ref()
                    .map_or(CursorPosition { after_version: 0 }, |c| c.decode().unwrap());
                let candidates = all.iter().filter(|c| c.version > after.after_version).cloned();
                let page = build_page(after, &request, candidates, max_bytes, server_version);
                check_page(&page, &request).unwrap();
                prop_assert!(page.changes.len() <= limit as usize);
                if page.changes.len() > 1 {
                    prop_assert!(encoded_len(&page) <= max_bytes);
                }
                pulled.extend(page.changes.iter().cloned());
                request.cursor = Some(page.next_cursor.clone());
                if !page.has_more {
                    break;
                }
            }
            prop_assert_eq!(pulled, all);
        }
    }
}
