#!/usr/bin/env bash
# The whole test suite: formatting, lints, every crate's tests.
# Usage: scripts/test.sh        (from the repository root or anywhere)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

echo "== cargo fmt --check"
cargo fmt --all --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

echo "== cargo test"
cargo test --workspace
