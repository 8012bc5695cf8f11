//! # kasa-server — head office
//!
//! Terminals enrol with a single-use code and get their own credential;
//! they upload their gapless record series (stored once, acknowledged up to
//! the highest contiguous sequence) and pull the master data head office
//! publishes. Head office people read sales, stock, terminal lag and journal
//! integrity, as JSON or CSV, and publish master data by JSON or CSV.
//!
//! - [`db`]: the [`db::Database`] trait and its SQLite and PostgreSQL backends.
//! - [`projection`]: pure rules turning stored records into stock, sales and
//!   journal verification.
//! - [`app`]: the axum router (sync API, enrolment, admin API, health,
//!   metrics, OpenAPI).
//! - [`credential`]: enrolment codes and terminal credentials.
//! - [`config`]: configuration from file, environment and flags.
//!
//! The wire contract is `kasa-sync-protocol`; this crate never changes a
//! message, it only implements the server side of it.

pub mod app;
pub mod config;
pub mod credential;
pub mod db;
pub mod error;
pub mod projection;
pub mod publish;
pub mod report;

pub use app::{AppState, router, serve, serve_tls};
pub use config::ServerConfig;
pub use db::{Database, DbError};
pub use error::ApiError;
