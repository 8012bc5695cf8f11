//! `kasa-tests`: the workspace's cross-crate tests (in `tests/` of this
//! package: terminal ↔ head-office sync) and the tools tests and benchmarks
//! share, kept out of the shipped crates:
//!
//! - [`fault_proxy`]: a TCP proxy that drops, duplicates, delays and cuts
//!   connections, seeded.
//! - [`postgres`]: a fresh PostgreSQL database per test in the cluster of
//!   `KASA_TEST_POSTGRES_URL`.
//! - the `kasa-load` binary (`src/bin/kasa-load.rs`): many simulated tills
//!   against one head office.

pub mod fault_proxy;
pub mod postgres;
