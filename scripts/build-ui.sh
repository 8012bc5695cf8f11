#!/usr/bin/env bash
# Builds the web UI into ui/dist, which the desktop binary embeds at compile time
# (so it must exist before `cargo build`/`clippy` of kasa-desktop).
set -euo pipefail
cd "$(dirname "$0")/../ui"
# `npm install`, not `npm ci`: the lock file lacks other platforms' optional packages.
[ -d node_modules ] || npm install --no-audit --no-fund
npm run build
