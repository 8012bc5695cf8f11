//! Stock: the movement ledger, the on-hand cache, batches, receiving,
//! purchase orders and count sessions.
//!
//! The ledger is the truth (DOMAIN.md "Stock is a ledger of movements"):
//! immutable movements, enforced by SQLite triggers; on-hand quantity,
//! weighted average cost and last purchase cost are a cache that
//! [`rebuild`] recomputes and [`verify_cache`] checks.
//!
//! - [`ledger`]: [`post_movements`] (called by `documents::complete_document`
//!   inside every sale, return, receipt and count approval), [`on_hand`],
//!   [`list_stock`], [`negative_stock_report`], batches FIFO by expiry.
//! - [`rebuild`](mod@rebuild): [`rebuild()`] and [`verify_cache`].
//! - [`receiving`]: deliveries free or against purchase orders.
//! - [`count`]: count sessions (full / groups / SKUs, blind, several devices).
//! - [`commands`]: one-transaction functions the CLI and the UI call.

pub mod commands;
pub mod count;
mod error;
pub mod ledger;
pub mod movement;
pub mod rebuild;
pub mod receiving;
pub(crate) mod schema;
mod stock_document;
mod values;

pub use commands::{
    count_add, count_approve, count_cancel, count_review, count_start, purchase_order_create,
    receive, stock_list, stock_rebuild, stock_verify,
};
pub use error::StockError;
pub use ledger::{
    BatchLevel, StockFilter, StockLevel, batches, list_stock, negative_stock_report, on_hand,
    post_movements,
};
pub use rebuild::{CacheDifference, RebuildSummary, rebuild, rebuild_in, verify_cache};
pub use receiving::{
    NewPurchaseOrder, OverReceipt, PurchaseOrder, ReceiptOutcome, ReceiveLine, ReceiveRequest,
    create_purchase_order, parse_receive_request, purchase_order, receive_in,
};
