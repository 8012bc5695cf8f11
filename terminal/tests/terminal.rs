//! Integration tests of kasa-terminal: real SQLite files in temp dirs and
//! the real `kasa` binary.
//!
//! Submodules live in `tests/terminal/`. STOCK and CATALOG may add their own
//! files there with one `mod` line each below.

#[path = "terminal/common.rs"]
mod common;

#[path = "terminal/story.rs"]
mod story;

#[path = "terminal/numbering.rs"]
mod numbering;

#[path = "terminal/crash.rs"]
mod crash;

#[path = "terminal/sell_loop.rs"]
mod sell_loop;

#[path = "terminal/journal.rs"]
mod journal;

// Owned by STOCK.
#[path = "terminal/stock.rs"]
mod stock;

// Owned by CATALOG.
#[path = "terminal/catalog.rs"]
mod catalog;

// Receipts (N-18 number, reprint marked COPY).
#[path = "terminal/receipts.rs"]
mod receipts;

// `kasa stock` output and `stock verify`.
#[path = "terminal/stock_cli.rs"]
mod stock_cli;

// The CLI's approvals through the till session.
#[path = "terminal/approvals_cli.rs"]
mod approvals_cli;
// The CLI at its edges: missing database, closed pipe, printer address,
// print queue, PINs.
#[path = "terminal/cli_edges.rs"]
mod cli_edges;
