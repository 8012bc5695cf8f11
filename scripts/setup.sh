#!/usr/bin/env bash
# Installs what Kasa needs on a fresh Debian 12 machine, only when missing.
# Idempotent: a second run installs nothing. Called by run.sh and test.sh.
set -euo pipefail

APT_PACKAGES=(
  pkg-config build-essential libssl-dev
  libudev-dev libusb-1.0-0-dev            # serialport, rusb
  socat                                   # pty pairs for serial device simulators
  fonts-dejavu-core
  libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev  # Tauri desktop app
  xvfb webkit2gtk-driver imagemagick xdotool                                   # end-to-end tests under Xvfb
  postgresql                              # head-office server tests on PostgreSQL
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends \
    -o DPkg::Lock::Timeout=300 "${missing[@]}"
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo not found — install Rust with rustup (https://rustup.rs) and run again" >&2
  exit 1
fi
