#!/usr/bin/env bash
# Measure the desktop till: cold start to the interactive first screen,
# scan-to-line p99 with a 1,000,000-product catalog, RSS after 500 sales.
#   e2e/measure.sh <app-binary> <big-data-dir> <big-products.csv>
# <big-data-dir> holds kasa.db made with `kasa init` + `kasa import products`
# (from `kasa-fixtures big`) + `kasa import users fixtures/demo/users.csv`.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
APP="$1"; BIG="$2"; CSV="$3"
WORK="$(mktemp -d /tmp/kasa-measure.XXXXXX)"
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
N=99; while [ -e "/tmp/.X11-unix/X$N" ] || [ -e "/tmp/.X$N-lock" ]; do N=$((N + 1)); done
export DISPLAY=":$N"
Xvfb "$DISPLAY" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 & PIDS+=($!)
for _ in $(seq 1 100); do [ -e "/tmp/.X11-unix/X$N" ] && break; sleep 0.05; done

# One start: launch -> the "interactive" line (the UI's first screen answers
# keys). Timed from this shell's clock before the launch to the epoch the app
# logs, so the process start, dynamic linking and the malloc-tunables re-exec
# (src-tauri/src/process_env.rs) are included; the app's own count from
# its main() is shown next to it.
start_once() { # <label> <log> <app args...>
  local label="$1" log="$2"; shift 2
  local t0; t0=$(date +%s%3N)
  "$APP" "$@" >/dev/null 2>"$log" & local pid=$!
  for _ in $(seq 1 300); do grep -q "interactive" "$log" 2>/dev/null && break; sleep 0.05; done
  kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  local line epoch
  line=$(grep -o "interactive [0-9]* ms after start (epoch_ms [0-9]*)" "$log" || true)
  epoch=$(sed -n 's/.*epoch_ms \([0-9]*\)).*/\1/p' <<<"$line")
  if [ -n "$epoch" ]; then echo "$label: $((epoch - t0)) ms from launch ($(grep -o '[0-9]* ms' <<<"$line") from main)"; else echo "$label: no interactive line"; fi
}

echo "== cold start (launch -> first screen interactive), demo data, 5 runs"
for i in 1 2 3 4 5; do
  rm -rf "$WORK/cold"; mkdir -p "$WORK/cold"
  start_once "run $i (fresh data dir, seeds the demo store)" "$WORK/cold.log" --demo --data-dir "$WORK/cold"
done
mkdir -p "$WORK/warm"; start_once "warm-up (seeds)" "$WORK/warm0.log" --demo --data-dir "$WORK/warm" >/dev/null
for i in 1 2 3 4 5; do
  start_once "run $i (existing store)" "$WORK/warm.log" --demo --data-dir "$WORK/warm"
done
start_once "1M-product store" "$WORK/big.log" --data-dir "$BIG"

PORT=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
TAURI_WEBVIEW_AUTOMATION=true WebKitWebDriver --port="$PORT" >/dev/null 2>&1 & PIDS+=($!)
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/status" >/dev/null 2>&1 && break; sleep 0.05; done
export WEBDRIVER_URL="http://127.0.0.1:$PORT" KASA_APP="$APP"
echo "== scan to line rendered, 1M-product catalog"
KASA_DATA_DIR="$BIG" node "$ROOT/e2e/measure.mjs" scan "$CSV" 300
echo "== RSS after 500 sales (demo store, receipts printed to the simulator)"
mkdir -p "$WORK/sales"
KASA_DATA_DIR="$WORK/sales" node "$ROOT/e2e/measure.mjs" sales 500
