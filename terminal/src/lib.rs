//! # kasa-terminal
//!
//! The till's application layer. Every action the UI offers is a plain Rust
//! function here; the store is SQLite (WAL, `synchronous=FULL`).

pub mod store;
