#!/usr/bin/env bash
# Build the Kasa till as a Debian package with the Tauri bundler.
#   packaging/build-deb.sh            -> target/desktop/release/bundle/deb/Kasa_<version>_amd64.deb
#   packaging/build-deb.sh appimage   -> AppImage (needs network: the bundler downloads linuxdeploy)
# The Tauri CLI comes from npm (ui/node_modules, `npm install` — not `npm ci`, see TOOLING.md).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUNDLES="${1:-deb}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target/desktop}"
cd "$ROOT/ui"
[ -x node_modules/.bin/tauri ] || npm install --no-audit --no-fund
npm run build
cd "$ROOT/src-tauri"
"$ROOT/ui/node_modules/.bin/tauri" build --bundles "$BUNDLES"
ls -l "$CARGO_TARGET_DIR"/release/bundle/*/
