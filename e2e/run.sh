#!/usr/bin/env bash
# End-to-end tests of the real Kasa desktop app: builds the UI and the
# Tauri binary, starts Xvfb and WebKitWebDriver (TAURI_WEBVIEW_AUTOMATION),
# runs e2e/scenarios.mjs against a fresh --demo data directory, and exits
# non-zero when a scenario fails. Screenshots: e2e/screenshots/.
#
# Env: KASA_E2E_SKIP_BUILD=1 to reuse the last build; KASA_E2E_SCANNER=
# webdriver to type scans over WebDriver instead of xdotool.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target/desktop}"
APP="$CARGO_TARGET_DIR/debug/kasa-desktop"

for tool in Xvfb WebKitWebDriver xdotool node npm; do
  command -v "$tool" >/dev/null || { echo "e2e: '$tool' is missing — see docs/desktop.md (apt-get install xvfb webkit2gtk-driver xdotool)" >&2; exit 2; }
done

if [ "${KASA_E2E_SKIP_BUILD:-}" != 1 ]; then
  (cd "$ROOT/ui" && { [ -d node_modules ] || npm install --no-audit --no-fund; } && npm run build)
  (cd "$ROOT" && cargo build -p kasa-desktop)
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

mkdir -p "$WORK/data"
status=0
KASA_APP="$APP" KASA_DATA_DIR="$WORK/data" WEBDRIVER_URL="http://127.0.0.1:$PORT" \
  TAURI_WEBVIEW_AUTOMATION=true node "$ROOT/e2e/scenarios.mjs" || status=$?
if [ "$status" != 0 ]; then
  echo "e2e: FAILED — logs in $WORK (set KASA_E2E_KEEP=1 to keep them)" >&2
  tail -20 "$WORK/webdriver.log" >&2 || true
fi
exit "$status"
