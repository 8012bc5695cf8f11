#!/usr/bin/env bash
# Runs Kasa on a demo store: a local head-office server (SQLite) and the desktop till with
# the demo catalog, demo users and a simulated receipt printer. Installs what is missing first.
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
cargo build -p kasa-desktop -p kasa-server -p kasa-terminal

mkdir -p "$DATA/head-office" "$DATA/till"
BIN="$CARGO_TARGET_DIR/debug"
SERVER_DB="sqlite:$DATA/head-office/kasa-server.sqlite"
LISTEN=${KASA_SERVER_LISTEN:-127.0.0.1:8765}

"$BIN/kasa-server" migrate --database "$SERVER_DB" >/dev/null
"$BIN/kasa-server" serve --database "$SERVER_DB" --listen "$LISTEN" >"$DATA/head-office/server.log" 2>&1 &
PIDS=($!)
trap 'kill "${PIDS[@]}" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -sf "http://$LISTEN/health" >/dev/null 2>&1 && break
  sleep 0.1
done
echo "head office: http://$LISTEN (log: $DATA/head-office/server.log)"

if [ -z "${DISPLAY:-}" ]; then
  echo "no DISPLAY: starting Xvfb on :99 (screenshot with: DISPLAY=:99 import -window root shot.png)"
  Xvfb :99 -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
  PIDS+=($!)
  export DISPLAY=:99
fi
echo "till: demo store in $DATA/till — PINs: cashier 1111, manager 9999, admin 0000"
"$BIN/kasa-desktop" --demo --data-dir "$DATA/till" &
APP_PID=$!
PIDS+=($APP_PID)

# Connect the till to head office once: tenant, store and a single-use enrolment code on the
# server, exchanged by the till for its own credential. Then ship the outbox every 15 s (the
# desktop shell does not run the sync loop itself yet).
TILL_DB="$DATA/till/kasa.db"
for _ in $(seq 1 300); do [ -f "$TILL_DB" ] && break; sleep 0.1; done
for _ in $(seq 1 100); do "$BIN/kasa" --db "$TILL_DB" sync status >/dev/null 2>&1 && break; sleep 0.1; done
if "$BIN/kasa" --db "$TILL_DB" sync status 2>/dev/null | grep -q "not enrolled"; then
  "$BIN/kasa-server" tenant create demo --name "Demo" --database "$SERVER_DB" >/dev/null 2>&1 || true
  "$BIN/kasa-server" store create S001 --tenant demo --name "Demo store" --database "$SERVER_DB" >/dev/null 2>&1 || true
  CODE=$("$BIN/kasa-server" enrol-code --tenant demo --store S001 --database "$SERVER_DB" | head -1)
  "$BIN/kasa" --db "$TILL_DB" sync enrol --server "http://$LISTEN" --code "$CODE" || true
fi
( while kill -0 "$APP_PID" 2>/dev/null; do
    "$BIN/kasa" --db "$TILL_DB" sync now >>"$DATA/till/sync.log" 2>&1 || true
    sleep 15
  done ) &
PIDS+=($!)
echo "sync: every 15 s to http://$LISTEN (log: $DATA/till/sync.log; status: kasa --db $TILL_DB sync status)"
wait "$APP_PID"
