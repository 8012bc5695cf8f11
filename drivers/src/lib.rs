//! # kasa-drivers
//!
//! Hardware only; knows nothing of sales.
