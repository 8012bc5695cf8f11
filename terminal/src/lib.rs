//! # kasa-terminal
//!
//! The till's application layer. Every action the UI offers is a plain Rust
//! function here; the store is SQLite (WAL, `synchronous=FULL`).

pub mod catalog;
pub mod cli;
pub mod devices;
pub mod documents;
pub mod error;
pub mod sale;
pub mod settings;
pub mod shift;
pub mod stock;
pub mod store;
pub mod sync;
#[cfg(feature = "test-support")]
pub mod test_support;
pub mod till;
pub mod users;
