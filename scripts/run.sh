#!/usr/bin/env bash
# Runs Kasa on a demo store: the desktop till with --demo, which seeds the demo catalog and users,
# prints to a simulated receipt printer, and runs a local head office in the same process (SQLite
# in <data-dir>/head-office/, http://127.0.0.1:8765 when that port is free) that the till enrols
# with and syncs to by itself. Installs what is missing first.
# Usage: scripts/run.sh [--data-dir DIR]   (default: .kasa-demo in the repository)
# Demo PINs: cashier 1111, manager 9999, admin 0000.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DATA="$ROOT/.kasa-demo"
if [ "${1:-}" = "--data-dir" ] && [ -n "${2:-}" ]; then DATA=$2; fi
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

scripts/setup.sh
scripts/build-ui.sh
cargo build -p kasa-desktop
mkdir -p "$DATA"

PIDS=()
trap '[ ${#PIDS[@]} -eq 0 ] || kill "${PIDS[@]}" 2>/dev/null || true' EXIT
if [ -z "${DISPLAY:-}" ]; then
  echo "no DISPLAY: starting Xvfb on :99 (screenshot with: DISPLAY=:99 import -window root shot.png)"
  Xvfb :99 -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
  PIDS+=($!)
  export DISPLAY=:99
fi
echo "till: demo store in $DATA — PINs: cashier 1111, manager 9999, admin 0000"
echo "head office: in the app; its address is printed below and shown on the Sync screen;"
echo "  reports: curl -H \"authorization: Bearer \$(cat $DATA/head-office/admin-token)\" \\"
echo "    http://127.0.0.1:8765/admin/v1/tenants/demo/reports/sales"
"$CARGO_TARGET_DIR/debug/kasa-desktop" --demo --data-dir "$DATA"
