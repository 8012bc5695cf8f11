//! Print benchmarks (being written by PRINTING).
fn main() {}
