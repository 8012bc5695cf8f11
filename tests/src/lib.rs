//! `kasa-tests`: the workspace's cross-crate tests live in `tests/` of this
//! package (terminal ↔ head-office sync). The library itself is empty.
