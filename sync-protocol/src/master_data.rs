//! Download: head office → terminal master data, pulled by cursor in pages.
//!
//! Head office keeps, per tenant, one ever-growing sequence of changes
//! (`version` 1, 2, 3 …): each upsert or delete of a product, barcode,
//! price, promotion, customer, tax rate, user or role becomes one
//! [`MasterDataChange`] with the next version. A terminal asks for the
//! changes after its cursor ([`MasterDataPageRequest`]); the server answers
//! with at most `limit` changes in ascending version order, only those the
//! terminal's store may see ([`MasterDataPage`]). The terminal applies a
//! whole page and saves `next_cursor` in the same transaction, so a
//! half-applied pull is never visible and a crash repeats at most one page
//! (applying a change twice is harmless: upserts and deletes are
//! idempotent by `(entity, key)`).
//!
//! No cursor means "from the beginning": the server then sends the current
//! state of every entity (upserts only). A cursor the server cannot use
//! (older format, or history compacted past it) is refused with
//! `sync.bad_cursor`; the terminal then pulls again from no cursor.
//!
//! Cursors are opaque to the terminal: it stores and returns the string.
//! They carry their own format version (`md1:` prefix) so the server can
//! change their content without a protocol bump.

use std::fmt;

use kasa_domain::ErrorCode;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::codes;
use crate::limits::{DEFAULT_PAGE_CHANGES, MAX_KEY_BYTES, MAX_PAGE_CHANGES};

mod encoded;
pub mod entities;
mod paging;
pub use encoded::{EncodedPage, StoredChange, encode_page};
pub use entities::{ChangeError, ChangeFault, DeleteKey, MasterDataPayload, TypedChange};
pub use paging::{PAGE_ENVELOPE_RESERVE_BYTES, build_page};

/// What kind of master data a change is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    /// A product (key: SKU).
    Product,
    /// A barcode of a product (key: the code).
    Barcode,
    /// A base price (key: `sku/store`, store empty for the chain-wide price).
    Price,
    /// A customer-group or quantity price (key: chosen by the server, stable).
    PriceTier,
    /// A promotion (key: promotion id).
    Promotion,
    /// A customer (key: customer code).
    Customer,
    /// A customer group (key: group code).
    CustomerGroup,
    /// A VAT rate (key: `class/valid_from`).
    TaxRate,
    /// A till user (key: login).
    User,
    /// A role and its permissions (key: role name).
    Role,
}

impl Entity {
    /// Every entity, for tests and generators.
    pub const ALL: [Entity; 10] = [
        Entity::Product,
        Entity::Barcode,
        Entity::Price,
        Entity::PriceTier,
        Entity::Promotion,
        Entity::Customer,
        Entity::CustomerGroup,
        Entity::TaxRate,
        Entity::User,
        Entity::Role,
    ];

    /// The wire name (`price_tier`), as serde writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Entity::Product => "product",
            Entity::Barcode => "barcode",
            Entity::Price => "price",
            Entity::PriceTier => "price_tier",
            Entity::Promotion => "promotion",
            Entity::Customer => "customer",
            Entity::CustomerGroup => "customer_group",
            Entity::TaxRate => "tax_rate",
            Entity::User => "user",
            Entity::Role => "role",
        }
    }
}

/// Whether a change creates/replaces or removes the entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChangeOp {
    /// Create or replace; `data` is the whole entity as a JSON object.
    Upsert,
    /// Remove; `data` is `null`.
    Delete,
}

impl ChangeOp {
    /// The wire name (`upsert` / `delete`), as serde writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            ChangeOp::Upsert => "upsert",
            ChangeOp::Delete => "delete",
        }
    }
}

/// One change of master data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MasterDataChange {
    /// Position in the tenant's change sequence, from 1.
    pub version: u64,
    /// What it is about.
    pub entity: Entity,
    /// Which one (unique per entity).
    pub key: String,
    /// Upsert or delete.
    pub op: ChangeOp,
    /// The whole entity (upsert) or `null` (delete).
    pub data: serde_json::Value,
}

/// Where a pull stands. Opaque to the terminal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct Cursor(pub String);

/// What a cursor means to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CursorPosition {
    /// The last change version the terminal has applied.
    pub after_version: u64,
}

const CURSOR_V1_PREFIX: &str = "md1:";

impl Cursor {
    /// The cursor for "everything up to and including `after_version` applied".
    pub fn encode(position: CursorPosition) -> Cursor {
        Cursor(format!("{CURSOR_V1_PREFIX}{:016x}", position.after_version))
    }

    /// Read a cursor (server side).
    pub fn decode(&self) -> Result<CursorPosition, CursorError> {
        let hex = self
            .0
            .strip_prefix(CURSOR_V1_PREFIX)
            .ok_or_else(|| CursorError {
                cursor: self.0.clone(),
            })?;
        if hex.len() != 16
            || !hex
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        {
            return Err(CursorError {
                cursor: self.0.clone(),
            });
        }
        u64::from_str_radix(hex, 16)
            .map(|after_version| CursorPosition { after_version })
            .map_err(|_| CursorError {
                cursor: self.0.clone(),
            })
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A cursor the server cannot read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "master-data cursor \"{cursor}\" is not one this head office can continue from; pull again from the beginning"
)]
pub struct CursorError {
    /// The cursor received.
    pub cursor: String,
}

impl ErrorCode for CursorError {
    fn code(&self) -> &'static str {
        codes::BAD_CURSOR
    }
}

/// Terminal → server: the next page of changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MasterDataPageRequest {
    /// Where the last applied page ended; `None` = from the beginning.
    pub cursor: Option<Cursor>,
    /// Most changes wanted; the server clamps it to `1..=`[`MAX_PAGE_CHANGES`].
    pub limit: u32,
}

impl MasterDataPageRequest {
    /// The limit the server applies.
    pub fn effective_limit(&self) -> u32 {
        self.limit.clamp(1, MAX_PAGE_CHANGES)
    }

    /// The first request of a fresh terminal.
    pub fn from_start() -> Self {
        Self {
            cursor: None,
            limit: DEFAULT_PAGE_CHANGES,
        }
    }
}

/// Server → terminal: changes after the request's cursor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MasterDataPage {
    /// Changes in ascending version order.
    pub changes: Vec<MasterDataChange>,
    /// Send this with the next request; save it with the applied page.
    pub next_cursor: Cursor,
    /// More changes are waiting; ask again at once.
    pub has_more: bool,
    /// The newest version head office has (lets the till show how far behind it is).
    pub server_version: u64,
}

/// Why a terminal must not apply a page.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "master-data page from head office is invalid ({reason}); it was not applied — report this to head office"
)]
pub struct PageError {
    /// What is wrong.
    pub reason: String,
}

impl ErrorCode for PageError {
    fn code(&self) -> &'static str {
        codes::PAGE_INVALID
    }
}

/// Terminal-side checks before applying a page: at most `limit` changes,
/// versions strictly ascending and not beyond `server_version`, keys
/// non-empty and bounded, upserts carry an object and deletes `null`.
pub fn check_page(page: &MasterDataPage, request: &MasterDataPageRequest) -> Result<(), PageError> {
    let fail = |reason: String| Err(PageError { reason });
    let limit = request.effective_limit();
    if page.changes.len() > limit as usize {
        return fail(format!(
            "{} changes, more than the {limit} asked for",
            page.changes.len()
        ));
    }
    let mut previous = 0u64;
    for change in &page.changes {
        if change.version <= previous {
            return fail(format!(
                "version {} follows version {previous}; versions must ascend",
                change.version
            ));
        }
        if change.version > page.server_version {
            return fail(format!(
                "version {} is newer than server_version {}",
                change.version, page.server_version
            ));
        }
        if change.key.is_empty() || change.key.len() > MAX_KEY_BYTES {
            return fail(format!(
                "version {} has a key of {} bytes (1–{MAX_KEY_BYTES} allowed)",
                change.version,
                change.key.len()
            ));
        }
        match (change.op, &change.data) {
            (ChangeOp::Upsert, serde_json::Value::Object(_))
            | (ChangeOp::Delete, serde_json::Value::Null) => {}
            (ChangeOp::Upsert, _) => {
                return fail(format!(
                    "version {} is an upsert without an object",
                    change.version
                ));
            }
            (ChangeOp::Delete, _) => {
                return fail(format!(
                    "version {} is a delete carrying data",
                    change.version
                ));
            }
        }
        previous = change.version;
    }
    if page.changes.is_empty() && page.has_more {
        return fail("an empty page claims more changes are waiting".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::examples;
    use proptest::prelude::*;
    use serde_json::json;

    fn change(version: u64, op: ChangeOp) -> MasterDataChange {
        MasterDataChange {
            version,
            entity: Entity::Product,
            key: format!("SKU{version}"),
            op,
            data: match op {
                ChangeOp::Upsert => json!({ "name": "x" }),
                ChangeOp::Delete => serde_json::Value::Null,
            },
        }
    }

    fn page(changes: Vec<MasterDataChange>) -> MasterDataPage {
        let last = changes.last().map_or(0, |c| c.version);
        MasterDataPage {
            changes,
            next_cursor: Cursor::encode(CursorPosition {
                after_version: last,
            }),
            has_more: false,
            server_version: last.max(10),
        }
    }

    #[test]
    fn example_page_passes() {
        check_page(
            &examples::master_data_page(),
            &examples::master_data_page_request(),
        )
        .unwrap();
    }

    #[test]
    fn page_failures_table() {
        type Mutation = fn(&mut MasterDataPage);
        let cases: &[(&str, Mutation)] = &[
            ("descending", |p| p.changes.swap(0, 1)),
            ("repeated version", |p| {
                p.changes[1].version = p.changes[0].version
            }),
            ("beyond server", |p| p.server_version = 1),
            ("empty key", |p| p.changes[0].key.clear()),
            ("long key", |p| {
                p.changes[0].key = "k".repeat(MAX_KEY_BYTES + 1)
            }),
            ("upsert without object", |p| {
                p.changes[0].data = json!("text")
            }),
            ("delete with data", |p| p.changes[2].data = json!({})),
            ("empty but more", |p| {
                p.changes.clear();
                p.has_more = true;
            }),
        ];
        let request = MasterDataPageRequest {
            cursor: None,
            limit: 10,
        };
        for (name, mutate) in cases {
            let mut p = page(vec![
                change(3, ChangeOp::Upsert),
                change(4, ChangeOp::Upsert),
                change(7, ChangeOp::Delete),
            ]);
            check_page(&p, &request).unwrap();
            mutate(&mut p);
            let err = check_page(&p, &request).expect_err(name);
            assert_eq!(err.code(), codes::PAGE_INVALID);
        }
        let p = page((1..=3).map(|v| change(v, ChangeOp::Upsert)).collect());
        let small = MasterDataPageRequest {
            cursor: None,
            limit: 2,
        };
        assert!(check_page(&p, &small).is_err());
    }

    #[test]
    fn wire_names_are_serde_names() {
        for entity in Entity::ALL {
            assert_eq!(json!(entity), json!(entity.as_str()));
        }
        for op in [ChangeOp::Upsert, ChangeOp::Delete] {
            assert_eq!(json!(op), json!(op.as_str()));
        }
    }

    #[test]
    fn limits_are_clamped() {
        let req = |limit| {
            MasterDataPageRequest {
                cursor: None,
                limit,
            }
            .effective_limit()
        };
        assert_eq!(req(0), 1);
        assert_eq!(req(250), 250);
        assert_eq!(req(u32::MAX), MAX_PAGE_CHANGES);
        assert_eq!(
            MasterDataPageRequest::from_start().limit,
            DEFAULT_PAGE_CHANGES
        );
    }

    #[test]
    fn foreign_or_damaged_cursors_are_refused() {
        for bad in [
            "",
            "md1:",
            "md2:000000000000002a",
            "md1:2a",
            "md1:000000000000002A",
            "md1:00000000000000zz",
            "md1:0000000000000002a",
        ] {
            let err = Cursor(bad.to_owned()).decode().expect_err(bad);
            assert_eq!(err.code(), codes::BAD_CURSOR);
        }
    }

    proptest! {
        #[test]
        fn cursors_round_trip(after_version in any::<u64>()) {
            let position = CursorPosition { after_version };
            prop_assert_eq!(Cursor::encode(position).decode(), Ok(position));
        }

        #[test]
        fn cursor_order_follows_version_order(a in any::<u64>(), b in any::<u64>()) {
            let ca = Cursor::encode(CursorPosition { after_version: a });
            let cb = Cursor::encode(CursorPosition { after_version: b });
            prop_assert_eq!(ca.0.cmp(&cb.0), a.cmp(&b));
        }
    }
}
