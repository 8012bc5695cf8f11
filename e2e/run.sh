#!/usr/bin/env bash
# End-to-end tests of the real Kasa desktop app: builds the UI and the
# Tauri binary, starts Xvfb and WebKitWebDriver (TAURI_WEBVIEW_AUTOMATION),
# runs e2e/scenarios.mjs (the till day, incl. the sale reaching the demo
# head office) and, when it exists, e2e/scenarios-devices.mjs, each against
# a fresh --demo data directory, prints the combined "N/M steps passed" and
# exits non-zero when a scenario fails. Screenshots: e2e/screenshots/.
#
# The app is built with the cargo invocation scripts/test.sh builds the
# workspace's tests with (BUILD_ARGS below), so both resolve the same
# dependency features and, in one target directory, compile every
# dependency once; `cargo build -p kasa-desktop` alone resolves features for
# the desktop's dependencies only and rebuilds dozens of crates.
#
# Env: KASA_E2E_SKIP_BUILD=1 to reuse the last build; KASA_E2E_SCANNER=
# webdriver to type scans over WebDriver instead of xdotool.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
# Kept equal to the build step of scripts/test.sh.
BUILD_ARGS=(build --workspace --bins --tests)
APP="$CARGO_TARGET_DIR/debug/kasa-desktop"

for tool in Xvfb WebKitWebDriver xdotool node npm; do
  command -v "$tool" >/dev/null || { echo "e2e: '$tool' is missing — see docs/desktop.md (apt-get install xvfb webkit2gtk-driver xdotool)" >&2; exit 2; }
done

if [ "${KASA_E2E_SKIP_BUILD:-}" != 1 ]; then
  (cd "$ROOT/ui" && { [ -d node_modules ] || npm install --no-audit --no-fund; } && npm run build)
  (cd "$ROOT" && cargo "${BUILD_ARGS[@]}")
fi
[ -x "$APP" ] || { echo "e2e: $APP was not built" >&2; exit 2; }

WORK="$(mktemp -d /tmp/kasa-e2e.XXXXXX)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "${KASA_E2E_KEEP:-}" != 1 ]; then rm -rf "$WORK"; else echo "e2e: kept $WORK"; fi
}
trap cleanup EXIT

# A free display number and port.
DISPLAY_NUM=99
while [ -e "/tmp/.X11-unix/X$DISPLAY_NUM" ] || [ -e "/tmp/.X$DISPLAY_NUM-lock" ]; do DISPLAY_NUM=$((DISPLAY_NUM + 1)); done
export DISPLAY=":$DISPLAY_NUM"
Xvfb "$DISPLAY" -screen 0 1920x1080x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do [ -e "/tmp/.X11-unix/X$DISPLAY_NUM" ] && break; sleep 0.05; done
[ -e "/tmp/.X11-unix/X$DISPLAY_NUM" ] || { echo "e2e: Xvfb did not start" >&2; cat "$WORK/xvfb.log" >&2; exit 2; }

PORT=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
TAURI_WEBVIEW_AUTOMATION=true WebKitWebDriver --port="$PORT" >"$WORK/webdriver.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/status" >/dev/null 2>&1 && break; sleep 0.05; done

# One scenario file against a fresh data directory; its last line says
# "N/M steps passed", M counting the steps a failure kept from running. A
# file that dies before saying so counts as failed.
PASSED=0
TOTAL=0
status=0
run_scenarios() {
  local file=$1 name
  name=$(basename "$file" .mjs)
  mkdir -p "$WORK/data-$name"
  echo "== $name"
  local rc=0
  KASA_APP="$APP" KASA_DATA_DIR="$WORK/data-$name" WEBDRIVER_URL="http://127.0.0.1:$PORT" \
    TAURI_WEBVIEW_AUTOMATION=true node "$file" | tee "$WORK/$name.log" || rc=$?
  local counts
  counts=$(grep -Eo '^[0-9]+/[0-9]+ steps passed' "$WORK/$name.log" | tail -1 | grep -Eo '^[0-9]+/[0-9]+' || true)
  if [ -n "$counts" ]; then
    PASSED=$((PASSED + ${counts%/*}))
    TOTAL=$((TOTAL + ${counts#*/}))
  else
    echo "e2e: $name printed no step count" >&2
    [ "$rc" != 0 ] || rc=1
  fi
  if [ "$rc" != 0 ]; then status=1; fi
}

run_scenarios "$ROOT/e2e/scenarios.mjs"
if [ -f "$ROOT/e2e/scenarios-devices.mjs" ]; then run_scenarios "$ROOT/e2e/scenarios-devices.mjs"; fi

echo "e2e: $PASSED/$TOTAL steps passed"
if [ "$status" != 0 ]; then
  echo "e2e: FAILED — logs in $WORK (set KASA_E2E_KEEP=1 to keep them)" >&2
  tail -20 "$WORK/webdriver.log" >&2 || true
fi
exit "$status"
