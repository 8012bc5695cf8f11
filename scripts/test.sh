#!/usr/bin/env bash
# The whole test suite: UI checks, formatting, lints, every crate's tests (the head-office
# server's on SQLite and on a throwaway PostgreSQL cluster), and end-to-end tests of the real
# desktop app under Xvfb. Installs what is missing first (scripts/setup.sh).
# Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
LOG_DIR=$(mktemp -d)

scripts/setup.sh

echo "== ui: build (embedded in the desktop binary) and unit tests"
scripts/build-ui.sh
(cd ui && npm test) | tee "$LOG_DIR/ui.log"

echo "== cargo fmt --check"
cargo fmt --all --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

echo "== PostgreSQL: throwaway cluster on 127.0.0.1"
eval "$(scripts/pg-test-cluster.sh start)"
export KASA_TEST_POSTGRES_URL
trap 'scripts/pg-test-cluster.sh stop >/dev/null 2>&1 || true' EXIT

# One build of every test and binary, the desktop app included: the same invocation as
# e2e/run.sh's (kept equal), so the tests and the app share one feature resolution and no
# dependency is compiled twice.
echo "== cargo build (tests and binaries)"
cargo build --workspace --bins --tests

echo "== cargo test"
cargo test --workspace 2>&1 | tee "$LOG_DIR/cargo.log"

echo "== end-to-end: the real app under Xvfb over WebDriver"
KASA_E2E_SKIP_BUILD=1 e2e/run.sh 2>&1 | tee "$LOG_DIR/e2e.log"

# One closing line over everything that ran.
passed=$(grep -ohE 'test result: [a-zA-Z]+\. [0-9]+ passed' "$LOG_DIR/cargo.log" | awk '{s+=$4} END {print s+0}')
failed=$(grep -ohE '[0-9]+ failed' "$LOG_DIR/cargo.log" | awk '{s+=$1} END {print s+0}')
ui_pass=$(grep -ohE '^# pass [0-9]+' "$LOG_DIR/ui.log" | awk '{s+=$3} END {print s+0}')
e2e_pass=$(grep -ohE '^[0-9]+/[0-9]+ steps passed' "$LOG_DIR/e2e.log" | cut -d/ -f1 | awk '{s+=$1} END {print s+0}')
echo
echo "summary: cargo $passed, ui $ui_pass, e2e $e2e_pass"
echo "$((passed + ui_pass + e2e_pass)) passed, $failed failed"
